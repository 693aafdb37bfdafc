"""The road network: a directed CSR graph of drivable roads with travel times.

``RoadNetwork`` holds the compiled arrays and answers snapping and
congestion-period questions; ``compile_raw`` turns a raw directed edge list
(what ``engine.network.osm`` and ``engine.network.synthetic`` produce) into
one: drop self-loops, keep the fastest of parallel edges, keep the largest
strongly connected component (so every node can reach every other) and report
what was dropped in ``RoadNetwork.info``.  ``from_arrays`` checks and wraps a
CSR graph you built yourself.  Where networks come from (``load``) is
``engine.network.source``.

Edge ``k`` of node ``u`` is ``indices[indptr[u] + k]``; its free-flow travel
time is ``travel_time_s[indptr[u] + k]``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from engine.errors import NetworkError, OffNetworkError
from engine.geo import project_local
from engine.network import cache as _cache
from engine.network import speeds as _speeds
from engine.network.speeds import PERIOD_NAMES, ROAD_CLASSES

#: Bump whenever compiled arrays would differ for the same input.
FORMAT_VERSION = 1
CACHE_NAMESPACE = "network"

__all__ = [
    "CACHE_NAMESPACE",
    "FORMAT_VERSION",
    "PERIOD_NAMES",
    "ROAD_CLASSES",
    "RoadNetwork",
    "compile_raw",
    "from_arrays",
    "from_compiled",
    "profile_id",
]


def profile_id(hour: float) -> int:
    """Congestion period (index into ``PERIOD_NAMES``) of a departure ``hour``; see ``engine.network.speeds``."""
    return _speeds.profile_id(hour)


@dataclass(slots=True, eq=False)
class RoadNetwork:
    """A compiled, strongly connected road network in CSR form.

    Attributes
    ----------
    indptr : int64 (n_nodes + 1,)
    indices : int32 (n_edges,)  head node of each edge
    travel_time_s : float64 (n_edges,)  free-flow travel time
    length_m : float64 (n_edges,)
    road_class : int8 (n_edges,)  index into ``ROAD_CLASSES``
    lat, lon : float64 (n_nodes,)
    source : str  what was loaded
    cache_key : str  identifies the compiled arrays (use it to key derived caches)
    info : dict  name, nodes, edges, dropped_nodes, dropped_edges, duplicate_edges,
        oneway_edges, bbox (min_lat, min_lon, max_lat, max_lon), load_seconds, from_cache
    """

    indptr: np.ndarray
    indices: np.ndarray
    travel_time_s: np.ndarray
    length_m: np.ndarray
    road_class: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    source: str
    cache_key: str
    info: dict[str, Any] = field(default_factory=dict)
    _tree: Any = field(default=None, repr=False)
    _origin: tuple[float, float] = field(default=(0.0, 0.0), repr=False)
    _tails: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        return int(self.indices.size)

    def __repr__(self) -> str:
        return f"RoadNetwork({self.source!r}, nodes={self.n_nodes:,}, edges={self.n_edges:,})"

    # --- edges -----------------------------------------------------------

    def edge_tails(self) -> np.ndarray:
        """Tail (from) node of every edge, int32; computed once."""
        if self._tails is None:
            self._tails = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        return self._tails

    def profile_id(self, hour: float) -> int:
        """Congestion period of a departure ``hour`` (same as ``engine.network.profile_id``)."""
        return _speeds.profile_id(hour)

    def travel_time_at(self, hour: float) -> np.ndarray:
        """Edge travel times (s) for a departure at ``hour`` (0-24, wraps).

        Piecewise constant over the periods of ``PERIOD_NAMES``: two hours with
        the same ``profile_id`` give identical arrays, so derived structures
        can be cached per period.
        """
        factor = _speeds.speed_factors(hour, self.road_class)
        return self.travel_time_s / factor

    def mean_speed_kmh_by_class(self) -> dict[str, float]:
        """Length-weighted free-flow speed per road class present in the network."""
        out: dict[str, float] = {}
        for code in np.unique(self.road_class):
            m = self.road_class == code
            t = float(self.travel_time_s[m].sum())
            if t > 0:
                out[ROAD_CLASSES[int(code)]] = float(self.length_m[m].sum()) / t * 3.6
        return out

    # --- snapping --------------------------------------------------------

    def _project(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return project_local(lat, lon, self._origin)

    def _kdtree(self) -> Any:
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._origin = (float(self.lat.mean()), float(self.lon.mean()))
            self._tree = cKDTree(self._project(self.lat, self.lon))
        return self._tree

    def snap(
        self,
        lat: Any,
        lon: Any,
        max_distance_m: float = 2000.0,
        on_far: Literal["raise", "mask"] = "raise",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest network node of each point.

        Parameters
        ----------
        lat, lon
            Scalars or equal-length sequences of WGS84 degrees.
        max_distance_m
            Points farther than this from every node are "off network".
        on_far
            ``"raise"``: raise ``OffNetworkError`` listing them;
            ``"mask"``: return node ``-1`` for them (distance still filled in).

        Returns
        -------
        (nodes, distance_m)
            int64 node ids and float64 straight-line distances in metres
            (local equirectangular projection: exact to well under 1% within
            a metro region).
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        if la.shape != lo.shape or la.ndim != 1:
            raise NetworkError(
                f"snap: lat and lon must be scalars or 1-D sequences of equal length, got {la.shape} and {lo.shape}",
                item="snap", field="lat/lon",
            )
        bad = ~(np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180))
        if bad.any():
            idx = np.flatnonzero(bad)
            raise NetworkError(
                f"snap: invalid coordinates at point index(es) {idx[:10].tolist()}", item=f"point {idx[0]}", field="lat/lon"
            )
        if on_far not in ("raise", "mask"):
            raise NetworkError(f"snap: on_far must be 'raise' or 'mask', got {on_far!r}", item="snap", field="on_far")
        if not (max_distance_m >= 0):
            raise NetworkError(
                f"snap: max_distance_m must be >= 0, got {max_distance_m!r}", item="snap", field="max_distance_m"
            )
        tree = self._kdtree()
        if la.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        dist, node = tree.query(self._project(la, lo))
        node = np.asarray(node, dtype=np.int64)
        dist = np.asarray(dist, dtype=np.float64)
        far = dist > max_distance_m
        if far.any():
            if on_far == "raise":
                idx = np.flatnonzero(far)
                raise OffNetworkError(idx, dist[idx], max_distance_m)
            node = np.where(far, -1, node)
        return node, dist

    # --- persistence -----------------------------------------------------

    def _arrays(self) -> dict[str, np.ndarray]:
        stored = {k: v for k, v in self.info.items() if k not in ("load_seconds", "from_cache")}
        return {
            "indptr": self.indptr,
            "indices": self.indices,
            "travel_time_s": self.travel_time_s,
            "length_m": self.length_m,
            "road_class": self.road_class,
            "lat": self.lat,
            "lon": self.lon,
            "info_json": np.array(json.dumps(stored)),
        }


# --- compiling -----------------------------------------------------------


def _bbox(lat: np.ndarray, lon: np.ndarray) -> list[float]:
    return [float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())]


def _count_oneway(tails: np.ndarray, heads: np.ndarray, n: int) -> int:
    """Edges with no edge back the other way; ``(tails, heads)`` must be sorted and unique."""
    if tails.size == 0:
        return 0
    key = tails.astype(np.int64) * n + heads
    rkey = heads.astype(np.int64) * n + tails
    pos = np.minimum(np.searchsorted(key, rkey), key.size - 1)
    return int((key[pos] != rkey).sum())


def compile_raw(raw: dict[str, np.ndarray], name: str) -> dict[str, np.ndarray]:
    """Raw directed edge list -> deduplicated, strongly connected CSR arrays (+ ``info_json``).

    ``raw`` holds ``lat``, ``lon`` per node and ``u``, ``v``, ``travel_time_s``,
    ``length_m``, ``road_class`` per directed edge; ``name`` goes into the
    messages and ``info``.  The result is what the disk cache stores and
    ``from_compiled`` turns into a ``RoadNetwork``.
    """
    lat = np.asarray(raw["lat"], dtype=np.float64)
    lon = np.asarray(raw["lon"], dtype=np.float64)
    u = np.asarray(raw["u"], dtype=np.int64)
    v = np.asarray(raw["v"], dtype=np.int64)
    tt = np.asarray(raw["travel_time_s"], dtype=np.float64)
    length = np.asarray(raw["length_m"], dtype=np.float64)
    cls = np.asarray(raw["road_class"], dtype=np.int8)
    n = lat.size
    n_raw_edges = u.size

    loops = u == v
    if loops.any():
        keep = ~loops
        u, v, tt, length, cls = u[keep], v[keep], tt[keep], length[keep], cls[keep]
    # Parallel edges: keep the fastest (ties: shortest) of each (u, v).
    order = np.lexsort((length, tt, v, u))
    u, v, tt, length, cls = u[order], v[order], tt[order], length[order], cls[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    n_dupes = int(u.size - first.sum())
    u, v, tt, length, cls = u[first], v[first], tt[first], length[first], cls[first]
    if u.size == 0:
        raise NetworkError(f"{name}: no drivable roads (every edge was a self-loop)", item="network")

    graph = csr_matrix((np.ones(u.size, dtype=np.int8), (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    # Isolated nodes form singleton components; the largest is what we keep.
    sizes = np.bincount(labels)
    big = int(np.argmax(sizes))
    node_keep = labels == big
    if node_keep.sum() < 2:
        raise NetworkError(f"{name}: no two road nodes reach each other (no usable drivable roads)", item="network")
    new_id = np.cumsum(node_keep) - 1
    e_keep = node_keep[u] & node_keep[v]
    n_dropped_edges = int(u.size - e_keep.sum())
    u, v, tt, length, cls = new_id[u[e_keep]], new_id[v[e_keep]], tt[e_keep], length[e_keep], cls[e_keep]
    lat, lon = lat[node_keep], lon[node_keep]
    n_new = lat.size
    # Relabelling is monotone, so (u, v) stays sorted: CSR order for free.
    indptr = np.zeros(n_new + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n_new), out=indptr[1:])
    oneway = _count_oneway(u, v, n_new)
    info = {
        "name": name,
        "nodes": int(n_new),
        "edges": int(u.size),
        "raw_nodes": int(n),
        "raw_edges": int(n_raw_edges),
        "dropped_nodes": int(n - n_new),
        "dropped_edges": n_dropped_edges,
        "duplicate_edges": n_dupes,
        "self_loops": int(loops.sum()),
        "oneway_edges": oneway,
        "bbox": _bbox(lat, lon),
        "format_version": FORMAT_VERSION,
    }
    return {
        "indptr": indptr,
        "indices": v.astype(np.int32),
        "travel_time_s": tt,
        "length_m": length,
        "road_class": cls,
        "lat": lat,
        "lon": lon,
        "info_json": np.array(json.dumps(info)),
    }


def from_compiled(arrays: dict[str, np.ndarray], source: str, key: str, seconds: float, hit: bool) -> RoadNetwork:
    """A ``RoadNetwork`` over ``compile_raw``'s arrays; ``seconds`` and ``hit`` go into ``info``."""
    info = json.loads(str(arrays["info_json"]))
    info["load_seconds"] = seconds
    info["from_cache"] = hit
    return RoadNetwork(
        indptr=np.ascontiguousarray(arrays["indptr"], dtype=np.int64),
        indices=np.ascontiguousarray(arrays["indices"], dtype=np.int32),
        travel_time_s=np.ascontiguousarray(arrays["travel_time_s"], dtype=np.float64),
        length_m=np.ascontiguousarray(arrays["length_m"], dtype=np.float64),
        road_class=np.ascontiguousarray(arrays["road_class"], dtype=np.int8),
        lat=np.ascontiguousarray(arrays["lat"], dtype=np.float64),
        lon=np.ascontiguousarray(arrays["lon"], dtype=np.float64),
        source=source,
        cache_key=key,
        info=info,
    )


def _check_array(name: str, a: Any, dtype: Any, length: int | None) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise NetworkError(f"from_arrays: {name} must be 1-D, got shape {arr.shape}", item="from_arrays", field=name)
    if length is not None and arr.size != length:
        raise NetworkError(f"from_arrays: {name} has {arr.size} entries, expected {length}", item="from_arrays", field=name)
    if np.issubdtype(np.dtype(dtype), np.integer) and arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise NetworkError(f"from_arrays: {name} must hold integers, got dtype {arr.dtype}", item="from_arrays", field=name)
    return np.ascontiguousarray(arr, dtype=dtype)


def from_arrays(
    indptr: Any,
    indices: Any,
    travel_time_s: Any,
    length_m: Any,
    lat: Any,
    lon: Any,
    road_class: Any = None,
    *,
    source: str = "arrays",
    keep_largest_scc: bool = False,
) -> RoadNetwork:
    """Build a ``RoadNetwork`` from a CSR graph, checking it thoroughly.

    Parameters
    ----------
    indptr, indices
        CSR structure: the edges of node ``u`` are ``indices[indptr[u]:indptr[u+1]]``.
    travel_time_s, length_m
        Per edge, finite and ``>= 0``.
    lat, lon
        Per node, valid WGS84 degrees.
    road_class
        Per edge int8 codes into ``ROAD_CLASSES``; default ``"road"`` everywhere.
    keep_largest_scc
        Run the same dedup + largest-SCC compile step as ``load`` (node ids
        change); by default the graph is taken as given.

    Raises
    ------
    NetworkError
        Naming the array and the problem.
    """
    indptr_a = _check_array("indptr", indptr, np.int64, None)
    if indptr_a.size < 2:
        raise NetworkError("from_arrays: indptr needs at least 2 entries (one node)", item="from_arrays", field="indptr")
    n = indptr_a.size - 1
    if indptr_a[0] != 0:
        raise NetworkError(f"from_arrays: indptr[0] must be 0, got {indptr_a[0]}", item="from_arrays", field="indptr")
    if (np.diff(indptr_a) < 0).any():
        raise NetworkError("from_arrays: indptr must be non-decreasing", item="from_arrays", field="indptr")
    m = int(indptr_a[-1])
    indices_a = _check_array("indices", indices, np.int64, m)
    if m and (indices_a.min() < 0 or indices_a.max() >= n):
        bad = np.flatnonzero((indices_a < 0) | (indices_a >= n))
        raise NetworkError(f"from_arrays: indices out of range [0, {n}) at edge(s) {bad[:10].tolist()}", item="from_arrays", field="indices")
    tt = _check_array("travel_time_s", travel_time_s, np.float64, m)
    ln = _check_array("length_m", length_m, np.float64, m)
    for name, arr in (("travel_time_s", tt), ("length_m", ln)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            raise NetworkError(
                f"from_arrays: {name} must be finite and >= 0; bad at edge(s) {np.flatnonzero(bad)[:10].tolist()}",
                item="from_arrays", field=name,
            )
    la = _check_array("lat", lat, np.float64, n)
    lo = _check_array("lon", lon, np.float64, n)
    bad = ~(np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180))
    if bad.any():
        raise NetworkError(
            f"from_arrays: invalid lat/lon at node(s) {np.flatnonzero(bad)[:10].tolist()}", item="from_arrays", field="lat/lon"
        )
    if road_class is None:
        rc = np.full(m, _speeds.UNKNOWN_CLASS, dtype=np.int8)
    else:
        rc_raw = _check_array("road_class", road_class, np.int64, m)
        if m and (rc_raw.min() < 0 or rc_raw.max() >= len(ROAD_CLASSES)):
            raise NetworkError(
                f"from_arrays: road_class codes must be in [0, {len(ROAD_CLASSES)})", item="from_arrays", field="road_class"
            )
        rc = rc_raw.astype(np.int8)

    t0 = time.perf_counter()
    tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr_a))
    key = _cache.cache_key(
        FORMAT_VERSION, "arrays", keep_largest_scc,
        *(_digest(a) for a in (indptr_a, indices_a, tt, ln, la, lo, rc)),
    )
    if keep_largest_scc:
        raw = {"lat": la, "lon": lo, "u": tails, "v": indices_a, "travel_time_s": tt, "length_m": ln, "road_class": rc}
        arrays = compile_raw(raw, source)
        return from_compiled(arrays, source, key, time.perf_counter() - t0, False)
    info = {
        "name": source,
        "nodes": n,
        "edges": m,
        "raw_nodes": n,
        "raw_edges": m,
        "dropped_nodes": 0,
        "dropped_edges": 0,
        "duplicate_edges": 0,
        "self_loops": int((tails == indices_a).sum()),
        "oneway_edges": _oneway_if_sorted(tails, indices_a, n),
        "bbox": _bbox(la, lo),
        "format_version": FORMAT_VERSION,
        "load_seconds": time.perf_counter() - t0,
        "from_cache": False,
    }
    return RoadNetwork(indptr_a, indices_a.astype(np.int32), tt, ln, rc, la, lo, source, key, info)


def _oneway_if_sorted(tails: np.ndarray, heads: np.ndarray, n: int) -> int | None:
    key = tails * n + heads
    if key.size and (np.diff(key) <= 0).any():
        return None  # unsorted or parallel edges: the count would be ambiguous
    return _count_oneway(tails, heads, n)


def _digest(a: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(a).view(np.uint8)).hexdigest()
