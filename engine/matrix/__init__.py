"""Travel-time and distance matrices over a ``RoadNetwork``.

``hierarchy`` builds a contraction hierarchy and answers bucket many-to-many
queries on it; ``dijkstra`` is the plain reference (and the heap both use);
``query`` holds the public functions, the in-memory memo and the disk cache.
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
