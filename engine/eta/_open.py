"""Open orders of one key of the live drift correction (:mod:`engine.eta.drift`), in one array."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

__all__ = ["OpenSet"]


class OpenSet:
    """The open orders of one key: each one's row (its promises at the narrow levels, the promise, its widening cap) in one array.

    ``advance`` reads every open order at each step; one contiguous array keeps that a few vector operations
    (rows of a closed order are reused by the next ones opened).
    """

    def __init__(self, width: int) -> None:
        self.rows = np.empty((0, width), dtype=np.float64)
        self.index: dict[Hashable, int] = {}
        self.free: list[int] = []

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self.index

    def add(self, ids: list[Hashable], rows: np.ndarray) -> None:
        for i, row in zip(ids, rows):
            j = self.index.get(i)
            if j is None:
                if not self.free:
                    cap = self.rows.shape[0]
                    new = max(64, 2 * cap)
                    self.rows = np.concatenate([self.rows, np.full((new - cap, self.rows.shape[1]), np.nan)])
                    self.free.extend(range(new - 1, cap - 1, -1))
                j = self.index[i] = self.free.pop()
            self.rows[j] = row

    def pop(self, ids: list[Hashable]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the ``ids`` open here (now closed), and which of ``ids`` they were."""
        found = np.zeros(len(ids), dtype=bool)
        got = []
        for n, i in enumerate(ids):
            j = self.index.pop(i, None)
            if j is not None:
                found[n] = True
                got.append(j)
                self.free.append(j)
        return self.rows[got], found

    def live(self) -> tuple[list[Hashable], np.ndarray]:
        """Ids and row numbers of every open order, in one order."""
        return list(self.index), np.fromiter(self.index.values(), dtype=np.int64, count=len(self.index))

    def drop(self, ids: list[Hashable]) -> None:
        for i in ids:
            self.free.append(self.index.pop(i))
