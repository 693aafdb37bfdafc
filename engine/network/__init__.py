"""Road networks: load an OSM extract, a generated metro region or your own arrays.

Modules, one concern each: ``graph`` (``RoadNetwork`` and the compile step),
``osm`` (PBF/XML readers), ``synthetic`` (generated regions), ``speeds`` (road
classes, maxspeed parsing, congestion periods) and ``cache`` (on-disk cache of
compiled arrays, shared with the matrix stage).
"""

from __future__ import annotations

from engine.network.graph import (
    CACHE_NAMESPACE,
    PERIOD_NAMES,
    ROAD_CLASSES,
    NetworkError,
    OffNetworkError,
    RoadNetwork,
    from_arrays,
    load,
    profile_id,
    synthetic_size,
)

__all__ = [
    "CACHE_NAMESPACE",
    "PERIOD_NAMES",
    "ROAD_CLASSES",
    "NetworkError",
    "OffNetworkError",
    "RoadNetwork",
    "from_arrays",
    "load",
    "profile_id",
    "synthetic_size",
]
