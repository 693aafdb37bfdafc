"""The random streams of one replication: one root seed, one key per (scenario name, replication).

``SeedSequence([root_seed, crc32(name), replication])`` spawns one child per
concern, always in the same order, so adding draws to one concern never
shifts another's numbers.  The key holds the scenario's *name* only, not its
fleet or any other override: two fleet sizes of one scenario see the same
orders, choices, travel noise and disruptions (common random numbers), and
only the fleet's response differs.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["STREAMS", "Streams", "streams"]

#: The concerns, in spawn order (never reorder: it would change every result).
STREAMS = ("arrivals", "choices", "travel", "disruptions", "solver")


@dataclass(frozen=True, slots=True)
class Streams:
    """One ``numpy.random.Generator`` per concern."""

    arrivals: np.random.Generator
    choices: np.random.Generator
    travel: np.random.Generator
    disruptions: np.random.Generator
    solver: np.random.Generator


def streams(name: str, replication: int, root_seed: int) -> Streams:
    """The streams of replication ``replication`` of the scenario called ``name``."""
    ss = np.random.SeedSequence([int(root_seed), zlib.crc32(name.encode("utf-8")), int(replication)])
    return Streams(*(np.random.default_rng(c) for c in ss.spawn(len(STREAMS))))
