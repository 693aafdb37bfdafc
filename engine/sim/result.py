"""What one simulated day returns: per-order outcomes, the fleet over the day, KPIs and timings.

The contract between the day (:mod:`engine.sim.day`, which produces it) and
everything that aggregates, searches or reports (:mod:`engine.sim.runner`,
:mod:`engine.sim.fleet`, :mod:`engine.sim.report`).  Columnar numpy arrays,
so a result pickles small and crosses process and Ray boundaries cheaply.

Times are seconds from the simulated day's midnight (region time zone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["BIN_S", "OrderOutcomes", "ReplicationResult"]

#: width of the bins of :attr:`ReplicationResult.on_road` (15 minutes)
BIN_S = 900


@dataclass(slots=True)
class OrderOutcomes:
    """One row per order placed during the day (every array has the same length).

    ``option`` and ``carrier`` are the chosen delivery option's kind
    (``same_day``, ``next_day``, ``slot``, ...) and carrier name (``own`` for
    the own fleet).  ``promised_s`` is the promised latest delivery time,
    ``quoted_p`` the probability checkout quoted for it, ``delivered_s`` the
    true delivery time (``nan``: not delivered within the simulated horizon).
    ``on_time`` is ``delivered_s <= promised_s``.  ``warned_s`` is when the
    monitor first warned about the order (``nan``: never).
    """

    order_id: np.ndarray  # str
    placed_s: np.ndarray  # float64
    lat: np.ndarray  # float64
    lon: np.ndarray  # float64
    option: np.ndarray  # str
    carrier: np.ndarray  # str
    price: np.ndarray  # float64
    promised_s: np.ndarray  # float64
    quoted_p: np.ndarray  # float64
    delivered_s: np.ndarray  # float64, nan when not delivered
    on_time: np.ndarray  # bool
    handed_off: np.ndarray  # bool: given to a third-party carrier
    unplanned: np.ndarray  # bool: no vehicle and no carrier took it
    warned_s: np.ndarray  # float64, nan when never warned

    def __len__(self) -> int:
        return int(self.order_id.shape[0])


@dataclass(slots=True)
class ReplicationResult:
    """One replication of one scenario.

    ``kpis`` is a nested dict of plain floats/ints (JSON-ready, deterministic
    for a given scenario, replication and root seed: no timings in it).
    ``timing`` holds wall-clock seconds per phase (``quote``, ``dispatch``,
    ``matrix``, ``driving``, ``monitor``, ``total``): the only part that may
    differ between two runs of the same seed.  ``on_road[t]`` is the number
    of own-fleet vehicles driving or serving in bin ``t`` (``BIN_S`` wide),
    ``fleet_size`` how many there were.
    """

    scenario: str
    replication: int
    seed: int
    orders: OrderOutcomes
    on_road: np.ndarray  # int32 per BIN_S bin over the day
    fleet_size: int
    kpis: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)
