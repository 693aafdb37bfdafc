"""A small generated day shared by the monitor tests (cached: generating it is the slow part)."""

from __future__ import annotations

import copy
from functools import lru_cache

from engine.monitor.dayplay import DayPlay, simulate_day


@lru_cache(maxsize=4)
def _day(orders: int, vehicles: int, seed: int) -> DayPlay:
    return simulate_day(orders, vehicles, seed=seed)


def small_day(orders: int = 80, vehicles: int = 6, seed: int = 3) -> DayPlay:
    return copy.deepcopy(_day(orders, vehicles, seed))
