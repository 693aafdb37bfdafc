"""Many-to-many travel-time and distance matrices on a ``RoadNetwork``.

The heavy lifting is a contraction hierarchy (built by
:mod:`engine.matrix.contract`, searched by :mod:`engine.matrix.hierarchy`):
built once per network, weight kind and congestion period, cached on disk
beside the network (``engine.network.cache``, namespace ``"matrix"``) and kept
in memory for the process.  A query is then the bucket many-to-many algorithm, parallel over
sources.

Paths are ordered lexicographically by ``(time, metres)`` for time matrices
and ``(metres, time)`` for distance matrices, so the secondary value -- the
metres along the fastest path, which dispatch needs for per-km costs -- is
well defined and exact.

Public API
----------
``prepare(network, hour=None, weight="time") -> MatrixEngine``
    Build or load the hierarchy; ``.preprocess_seconds`` says what it cost.
``travel_times(network, sources, targets, hour=None)``
    Seconds, ``(len(sources), len(targets))`` float64, ``inf`` if unreachable.
``distances(network, sources, targets)``
    Shortest road distance in metres.
``travel_times_and_lengths(network, sources, targets, hour=None)``
    ``(seconds, metres along those fastest paths)``.
``route(network, source, target, hour=None)``
    ``(nodes, seconds, metres)`` of the fastest path for drawing it.
``warm()``
    JIT-compile every kernel on a tiny graph.
"""

from __future__ import annotations

from engine.errors import MatrixError

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from engine.network import cache as _cache
from engine.matrix import contract as _contract
from engine.matrix import hierarchy as _ch
from engine.matrix import dijkstra as _dijkstra

if TYPE_CHECKING:  # pragma: no cover
    from engine.network import RoadNetwork

__all__ = [
    "MatrixError",
    "MatrixEngine",
    "prepare",
    "travel_times",
    "distances",
    "travel_times_and_lengths",
    "route",
    "dijkstra_matrix",
    "warm",
]

#: Bump whenever the stored hierarchy would differ for the same network.
CH_FORMAT_VERSION = 1
CACHE_NAMESPACE = "matrix"
Weight = Literal["time", "distance"]
_WEIGHTS = ("time", "distance")
# Witness-search limits and priority coefficients (edge difference, contracted
# neighbours, level); part of the cache key.
_CH_PARAMS = {"sim_limit": 60, "limit": 500, "coefficients": (2.0, 1.0, 1.0)}
_MEMO_SIZE = 8
_memo: OrderedDict[tuple[Any, ...], "MatrixEngine"] = OrderedDict()
# One parallel kernel at a time: numba's fallback "workqueue" threading layer
# aborts on concurrent launches (e.g. from an API server's thread pool), and a
# kernel already uses every core, so queueing costs nothing.
_KERNEL_LOCK = threading.Lock()
# Two threads asking for the same hierarchy should build it once.
_PREPARE_LOCK = threading.Lock()


def _nchunks() -> int:
    from numba import get_num_threads

    # A few work units per thread so that one slow search does not idle the rest.
    return 4 * get_num_threads()


def _edge_weights(network: RoadNetwork, hour: float | None, weight: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Primary/secondary edge weights and the profile tag for the cache key."""
    if weight not in _WEIGHTS:
        raise MatrixError(f"weight must be one of {_WEIGHTS}, got {weight!r}", field="weight")
    if weight == "distance":
        # Shortest distance does not depend on the hour; the free-flow time
        # only breaks ties, so one hierarchy serves every hour.
        return np.asarray(network.length_m, np.float64), np.asarray(network.travel_time_s, np.float64), "free"
    if hour is None:
        tt = np.asarray(network.travel_time_s, np.float64)
        tag = "free"
    else:
        try:
            hour_f = float(hour)
        except (TypeError, ValueError):
            raise MatrixError(f"hour must be a number of hours (0-24), got {hour!r}", field="hour") from None
        if not np.isfinite(hour_f):
            raise MatrixError(f"hour must be finite, got {hour!r}", field="hour")
        tt = np.asarray(network.travel_time_at(hour_f), np.float64)
        tag = f"period{network.profile_id(hour_f)}"
    return tt, np.asarray(network.length_m, np.float64), tag


def _check_weights(name: str, w: np.ndarray, m: int) -> None:
    if w.shape != (m,):
        raise MatrixError(f"network {name} has shape {w.shape}, expected ({m},) (one per edge)", item="network", field=name)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise MatrixError(
            f"network {name} must be finite and >= 0; bad at edge(s) {np.flatnonzero(bad)[:10].tolist()}",
            item="network", field=name,
        )


def _as_nodes(name: str, nodes: Any, n: int) -> np.ndarray:
    arr = np.asarray(nodes)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise MatrixError(f"{name} must be a 1-D sequence of node ids, got shape {arr.shape}", field=name)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise MatrixError(f"{name} must hold integer node ids, got dtype {arr.dtype}", field=name)
    arr = arr.astype(np.int64, copy=False)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        idx = np.flatnonzero(bad)
        raise MatrixError(
            f"{name}: node id(s) {arr[idx[:10]].tolist()} at position(s) {idx[:10].tolist()} "
            f"are outside the network's [0, {n}) range",
            field=name,
        )
    return np.ascontiguousarray(arr)


@dataclass(eq=False)
class MatrixEngine:
    """A prepared contraction hierarchy for one network, weight and congestion period.

    Attributes
    ----------
    weight : "time" or "distance"
        What the primary value is; the secondary is the other one along the
        same paths.
    profile : str
        ``"free"`` (free flow) or ``"period<k>"`` (``engine.network.profile_id``).
    preprocess_seconds : float
        Time the hierarchy took to build (also when it was loaded from cache).
    load_seconds : float
        Time this call spent getting it (build or cache read).
    from_cache : bool
        Whether it came from the disk cache.
    """

    network: Any
    weight: str
    profile: str
    hierarchy: _ch.Hierarchy
    w1: np.ndarray
    w2: np.ndarray
    preprocess_seconds: float
    load_seconds: float
    from_cache: bool

    @property
    def n_nodes(self) -> int:
        return self.hierarchy.n

    @property
    def n_shortcut_edges(self) -> int:
        """Edges of the hierarchy (upward + downward, originals included)."""
        return self.hierarchy.n_edges

    def table(self, sources: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(primary, secondary)`` matrices between node ids ``sources`` and ``targets``."""
        n = self.hierarchy.n
        src = _as_nodes("sources", sources, n)
        tgt = _as_nodes("targets", targets, n)
        # Duplicates cost a search each; collapse them and expand afterwards.
        us, inv_s = np.unique(src, return_inverse=True)
        ut, inv_t = np.unique(tgt, return_inverse=True)
        if us.size == src.size and ut.size == tgt.size:
            with _KERNEL_LOCK:
                return self.hierarchy.query(src, tgt, _nchunks())
        with _KERNEL_LOCK:
            p, s = self.hierarchy.query(us, ut, _nchunks())
        return p[np.ix_(inv_s, inv_t)], s[np.ix_(inv_s, inv_t)]

    def route(self, source: int, target: int) -> tuple[np.ndarray, float, float]:
        """Best path between two nodes: ``(nodes, primary, secondary)``; empty and inf if unreachable."""
        n = self.hierarchy.n
        s = int(_as_nodes("source", source, n)[0])
        t = int(_as_nodes("target", target, n)[0])
        return self.hierarchy.path(s, t)


def prepare(
    network: RoadNetwork,
    hour: float | None = None,
    *,
    weight: Weight = "time",
    use_cache: bool = True,
) -> MatrixEngine:
    """Build (or fetch) the contraction hierarchy for ``network``.

    Parameters
    ----------
    network
        An ``engine.network.RoadNetwork``.
    hour
        Departure hour for congested travel times (``network.travel_time_at``);
        ``None`` is free flow.  Hours in the same congestion period share one
        hierarchy.  Ignored for ``weight="distance"``.
    weight
        ``"time"`` (fastest paths) or ``"distance"`` (shortest paths).
    use_cache
        Read/write the disk cache (``engine.network.cache``); the in-process memo is
        always used.

    Returns
    -------
    MatrixEngine
    """
    for attr in ("indptr", "indices", "travel_time_s", "length_m", "cache_key"):
        if not hasattr(network, attr):
            raise MatrixError(
                f"network must be an engine.network.RoadNetwork (missing {attr!r}), got {type(network).__name__}",
                field="network",
            )
    w1, w2, tag = _edge_weights(network, hour, weight)
    m = int(network.indices.size)
    _check_weights("travel times" if weight == "time" else "lengths", w1, m)
    _check_weights("lengths" if weight == "time" else "travel times", w2, m)
    memo_key = (network.cache_key, weight, tag)
    with _PREPARE_LOCK:
        return _prepare_locked(network, weight, tag, w1, w2, memo_key, use_cache)


def _prepare_locked(
    network: Any, weight: str, tag: str, w1: np.ndarray, w2: np.ndarray, memo_key: tuple[Any, ...], use_cache: bool
) -> MatrixEngine:
    hit = _memo.get(memo_key)
    if hit is not None and hit.network is network:
        _memo.move_to_end(memo_key)
        return hit
    t0 = time.perf_counter()
    key = _cache.cache_key("ch", CH_FORMAT_VERSION, network.cache_key, weight, tag, _CH_PARAMS)

    def build() -> dict[str, np.ndarray]:
        tb = time.perf_counter()
        h = _contract.build(network.indptr, network.indices, w1, w2, **_CH_PARAMS)
        arrays = h.arrays()
        arrays["preprocess_seconds"] = np.array(time.perf_counter() - tb)
        return arrays

    arrays, from_cache = _cache.cached_npz(key, build, namespace=CACHE_NAMESPACE, use_cache=use_cache)
    try:
        h = _ch.Hierarchy.from_arrays(arrays)
        if h.n != network.n_nodes:
            raise ValueError(f"cached hierarchy has {h.n} nodes, network {network.n_nodes}")
    except ValueError:
        # A stale or foreign entry: rebuild rather than trust it.
        arrays = build()
        h = _ch.Hierarchy.from_arrays(arrays)
        from_cache = False
    eng = MatrixEngine(
        network=network,
        weight=weight,
        profile=tag,
        hierarchy=h,
        w1=w1,
        w2=w2,
        preprocess_seconds=float(arrays.get("preprocess_seconds", np.nan)),
        load_seconds=time.perf_counter() - t0,
        from_cache=from_cache,
    )
    _memo[memo_key] = eng
    while len(_memo) > _MEMO_SIZE:
        _memo.popitem(last=False)
    return eng


def travel_times(network: RoadNetwork, sources: Any, targets: Any, *, hour: float | None = None) -> np.ndarray:
    """Fastest travel time in seconds from every source node to every target node.

    Returns a float64 array of shape ``(len(sources), len(targets))``; ``inf``
    where a target cannot be reached, 0 on ``source == target``.
    """
    return prepare(network, hour, weight="time").table(sources, targets)[0]


def travel_times_and_lengths(
    network: RoadNetwork, sources: Any, targets: Any, *, hour: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(seconds, metres)``: fastest times and the length of those fastest paths
    (the shortest one among equally fast paths)."""
    return prepare(network, hour, weight="time").table(sources, targets)


def distances(network: RoadNetwork, sources: Any, targets: Any) -> np.ndarray:
    """Shortest road distance in metres from every source to every target (``inf`` if unreachable)."""
    return prepare(network, weight="distance").table(sources, targets)[0]


def route(
    network: RoadNetwork, source: int, target: int, *, hour: float | None = None
) -> tuple[np.ndarray, float, float]:
    """Fastest path from node ``source`` to node ``target``.

    Returns
    -------
    (nodes, seconds, metres)
        ``nodes`` is an int64 array starting at ``source`` and ending at
        ``target``; empty with ``inf`` seconds/metres when unreachable.
    """
    return prepare(network, hour, weight="time").route(source, target)


def dijkstra_matrix(
    network: RoadNetwork, sources: Any, targets: Any, *, hour: float | None = None, weight: Weight = "time"
) -> tuple[np.ndarray, np.ndarray]:
    """The same as ``MatrixEngine.table`` by plain parallel Dijkstra, no preprocessing.

    Slower for more than a handful of sources; the reference the hierarchy is
    checked against and a fallback for one-off queries.
    """
    w1, w2, _ = _edge_weights(network, hour, weight)
    n = network.n_nodes
    src = _as_nodes("sources", sources, n)
    tgt = _as_nodes("targets", targets, n)
    with _KERNEL_LOCK:
        return _dijkstra.many_to_many(network.indptr, network.indices, w1, w2, src, tgt, _nchunks())


def warm() -> None:
    """Compile every matrix kernel (numba caches them on disk) on a tiny graph."""
    rng = np.random.default_rng(0)
    n = 30
    tail = np.repeat(np.arange(n), 3)
    head = rng.integers(0, n, tail.size)
    indptr = np.arange(0, tail.size + 1, 3, dtype=np.int64)
    w1 = rng.random(tail.size)
    w2 = rng.random(tail.size)
    h = _contract.build(indptr, head.astype(np.int32), w1, w2, **_CH_PARAMS)
    nodes = np.arange(n, dtype=np.int64)
    h.query(nodes, nodes, _nchunks())
    h.path(0, n - 1)
    _dijkstra.many_to_many(indptr, head.astype(np.int32), w1, w2, nodes, nodes, _nchunks())
    _dijkstra.shortest_path(indptr, head.astype(np.int32), w1, w2, 0, n - 1)
