"""Road networks: load an OSM extract, a generated metro region or your own arrays.

Modules, one concern each: ``graph`` (``RoadNetwork``, the compile step and
``from_arrays``), ``source`` (source specs, ``check_source`` and ``load``),
``osm`` (PBF/XML readers), ``synthetic`` (generated regions), ``speeds`` (road
classes, maxspeed parsing, congestion periods) and ``cache`` (on-disk cache of
compiled arrays, shared with the matrix stage).
"""

from __future__ import annotations

from engine.errors import NetworkError, OffNetworkError, OSMReadError
from engine.network.graph import CACHE_NAMESPACE, PERIOD_NAMES, ROAD_CLASSES, RoadNetwork, from_arrays, profile_id
from engine.network.source import SOURCES, check_source, load, parse_source, synthetic_size

__all__ = [
    "CACHE_NAMESPACE",
    "PERIOD_NAMES",
    "ROAD_CLASSES",
    "SOURCES",
    "NetworkError",
    "OSMReadError",
    "OffNetworkError",
    "RoadNetwork",
    "check_source",
    "from_arrays",
    "load",
    "parse_source",
    "profile_id",
    "synthetic_size",
]
