"""Travel-time and distance matrices over a ``RoadNetwork``.

``contract`` builds a contraction hierarchy, ``hierarchy`` stores it and
answers bucket many-to-many and path queries on it; ``dijkstra`` is the plain
reference (and the heap and search primitives both use); ``query`` holds the
public functions, the in-memory memo and the disk cache.
"""

from __future__ import annotations

from engine.matrix.query import (
    MatrixEngine,
    MatrixError,
    dijkstra_matrix,
    distances,
    prepare,
    route,
    travel_times,
    travel_times_and_lengths,
    warm,
)

__all__ = [
    "MatrixEngine",
    "MatrixError",
    "dijkstra_matrix",
    "distances",
    "prepare",
    "route",
    "travel_times",
    "travel_times_and_lengths",
    "warm",
]
