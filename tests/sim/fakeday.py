"""A stand-in for :func:`engine.sim.day.run_replication`: fast, deterministic, fleet-sensitive.

The runner, aggregate, fleet-search and report tests run thousands of these
in well under a second, so they test their own logic, not the simulator.
Each replication draws from ``SeedSequence([root_seed, crc32(name), replication])``
(the real day's recipe, in miniature), so results depend only on the seed
triple and the fleet: common random numbers across fleet sizes hold here too.
On-time probability rises with the number of vans.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from engine.sim.result import BIN_S, OrderOutcomes, ReplicationResult


@dataclass(frozen=True)
class Van:
    count: int


@dataclass(frozen=True)
class FakeScenario:
    name: str = "fake"
    orders: int = 200
    seed: int = 7
    fleet: dict = field(default_factory=lambda: {"van": Van(20)})


def with_vans(s: FakeScenario, n: int) -> FakeScenario:
    return replace(s, fleet={**s.fleet, "van": Van(int(n))})


def fake_replication(scenario: FakeScenario, replication: int, *, root_seed: int | None = None) -> ReplicationResult:
    root = scenario.seed if root_seed is None else root_seed
    ss = np.random.SeedSequence([root, zlib.crc32(scenario.name.encode()), replication])
    day, demand = (np.random.default_rng(s) for s in ss.spawn(2))
    # A real Scenario (tests of the CLI) or the FakeScenario above.
    n = int(getattr(scenario, "orders", 0) or min(400, scenario.demand.orders_per_day * scenario.demand.surge))
    vans = scenario.fleet["van"].count
    # The day's difficulty does not depend on the fleet (common random numbers).
    hard = day.normal(0.0, 0.02)
    u = demand.random(n)
    p_on_time = np.clip(0.80 + 0.01 * vans - hard, 0.0, 0.999)
    placed = np.sort(demand.uniform(0, 86_400, n))
    on_time = u < p_on_time
    promised = placed + 14_400
    delivered = np.where(on_time, promised - 600, promised + 1200)
    delivered[: n // 50] = np.nan
    on_time[: n // 50] = False
    on_road = np.clip(np.round(vans * np.sin(np.linspace(0, np.pi, 96)) ), 0, vans).astype(np.int32)
    orders = OrderOutcomes(
        order_id=np.array([f"o{i}" for i in range(n)]),
        placed_s=placed,
        lat=31.2 + demand.normal(0, 0.05, n),
        lon=121.4 + demand.normal(0, 0.05, n),
        option=np.where(u < 0.5, "same_day", "next_day"),
        carrier=np.where(u < 0.9, "own", "sf"),
        price=np.full(n, 10.0),
        promised_s=promised,
        quoted_p=np.clip(0.9 + 0.1 * demand.random(n), 0, 1),
        delivered_s=delivered,
        on_time=on_time,
        handed_off=u >= 0.9,
        unplanned=np.zeros(n, bool),
        warned_s=np.where(u > 0.95, placed + 60, np.nan),
    )
    share = float(on_time.mean())
    kpis = {
        "orders": n,
        "on_time": {"overall": share, "by_option": {"same_day": float(on_time[u < 0.5].mean())}},
        "warnings": {"lead_time_s": float("nan") if replication == 1 else 300.0},
        "fleet": {"vans": vans},
    }
    assert len(on_road) * BIN_S == 86_400
    return ReplicationResult(scenario.name, replication, int(root), orders, on_road, vans, kpis,
                             {"quote": 0.01, "dispatch": 0.02, "total": 0.05})


def failing_replication(scenario: FakeScenario, replication: int, *, root_seed: int | None = None) -> ReplicationResult:
    from engine.errors import InputError

    if replication == 2:
        raise InputError("depot 'd9': lat: outside the region", item="depot 'd9'", field="lat")
    return fake_replication(scenario, replication, root_seed=root_seed)
