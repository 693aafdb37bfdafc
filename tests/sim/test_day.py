"""One simulated day on the embedded Helsinki map: deterministic, common random numbers, a result that holds together."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from engine.sim import (
    ReplicationResult,
    apply_overrides,
    load_scenario,
    run_replication,
)
from engine.sim.aggregate import flatten
from engine.sim.result import BIN_S
from engine.sim.streams import streams

ROOT = Path(__file__).resolve().parents[2]

# A small day: 60 orders a day, two waves, short solves, sparse pings (about a second a run).
SMALL = {
    "demand.orders_per_day": 60.0,
    "waves.times": ["07:00", "13:00"],
    "solver.iterations": 200,
    "solver.solutions": 5,
    "monitor.ping_minutes": 10.0,
    "monitor.batch_minutes": 10.0,
    "monitor.samples": 32,
    "disruptions.breakdown_rate": 0.3,
}


@pytest.fixture(scope="module")
def small():
    return load_scenario(ROOT / "scenarios" / "helsinki-day.toml", SMALL)


@pytest.fixture(scope="module")
def day(small) -> ReplicationResult:
    return run_replication(small, 0)


def test_result_holds_together(day: ReplicationResult, small) -> None:
    o = day.orders
    n = len(o)
    assert n == day.kpis["orders"] == day.kpis["demand"]["followed"] > 20
    for name in o.__slots__:
        assert getattr(o, name).shape == (n,), name
    # The day's orders are the ones placed on it, each with its promise and its quoted probability.
    assert ((o.placed_s >= 0) & (o.placed_s < 86400)).all()
    assert (o.promised_s > o.placed_s).all()
    assert ((o.quoted_p >= small.target - 1e-9) & (o.quoted_p <= 1)).all()
    # Every order is delivered, or unplanned (nothing lost on the way).
    assert (np.isfinite(o.delivered_s) | o.unplanned).all()
    assert (o.on_time == (np.isfinite(o.delivered_s) & (o.delivered_s <= o.promised_s))).all()
    assert set(o.carrier.tolist()) <= {"own", "posti", "matkahuolto"}
    assert day.on_road.shape == (86400 // BIN_S,) and day.on_road.max() <= day.fleet_size == 6
    assert day.kpis["fleet"]["vehicles_used"] <= 6
    assert set(day.timing) >= {"quote", "dispatch", "matrix", "driving", "monitor", "total"}
    assert day.kpis["on_time"]["overall"] == pytest.approx(float(o.on_time.mean()))


def test_kpis_are_plain_numbers(day: ReplicationResult) -> None:
    flat = flatten(day.kpis)
    assert flat and all(isinstance(v, float) and math.isfinite(v) for v in flat.values())
    json.dumps(day.kpis)  # JSON-ready
    assert "timing" not in day.kpis


def test_same_seed_same_kpis(small, day: ReplicationResult) -> None:
    again = run_replication(small, 0)
    assert again.kpis == day.kpis
    assert np.array_equal(again.orders.delivered_s, day.orders.delivered_s, equal_nan=True)


def test_other_replication_or_root_seed_differs(small, day: ReplicationResult) -> None:
    other = run_replication(small, 1)
    assert other.kpis != day.kpis
    root = run_replication(small, 0, root_seed=small.seed + 1)
    assert root.seed == small.seed + 1 and root.kpis != day.kpis


def test_fleet_sizes_share_the_day(small, day: ReplicationResult) -> None:
    """Common random numbers: another fleet sees the same orders, promises and choices."""
    bigger = run_replication(apply_overrides(small, {"fleet.van.count": 8}), 0)
    a, b = day.orders, bigger.orders
    assert np.array_equal(a.order_id, b.order_id)
    for name in ("placed_s", "lat", "lon", "promised_s", "quoted_p", "price"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.option, b.option)
    assert bigger.fleet_size == 10


def test_streams_key_is_the_name_and_replication() -> None:
    a = streams("x", 3, 7).arrivals.random(4)
    assert np.array_equal(a, streams("x", 3, 7).arrivals.random(4))
    assert not np.array_equal(a, streams("x", 4, 7).arrivals.random(4))
    assert not np.array_equal(a, streams("y", 3, 7).arrivals.random(4))
    s = streams("x", 3, 7)
    assert len({float(g.random()) for g in (s.arrivals, s.choices, s.travel, s.disruptions, s.solver)}) == 5


def test_no_vehicles_hands_off_or_leaves_unplanned(small) -> None:
    r = run_replication(apply_overrides(small, {"fleet.van.count": 0, "fleet.bike.count": 0}), 0)
    o = r.orders
    assert r.kpis["fleet"]["vehicles_used"] == 0 and int(r.on_road.sum()) == 0
    chose_own = o.carrier == "own"
    assert np.array_equal(chose_own, np.isin(o.option, ["same_day", "next_day", "slot"]))
    assert (o.handed_off[chose_own] | o.unplanned[chose_own]).all()
    assert not o.handed_off[~chose_own].any()
    assert r.kpis["on_time"]["overall"] < 1.0


def test_harsher_truth_is_later(small, day: ReplicationResult) -> None:
    """The truth model: slower legs than planned make the own fleet's deliveries later, order by order."""
    slow = run_replication(apply_overrides(small, {"truth.bias": 1.6}), 0)
    own = (day.orders.carrier == "own") & (slow.orders.carrier == "own")
    own &= np.isfinite(day.orders.delivered_s) & np.isfinite(slow.orders.delivered_s)
    assert own.sum() > 10
    assert np.mean(slow.orders.delivered_s[own] - day.orders.delivered_s[own]) > 0


def test_checkout_capacity_withdraws_own_options(small, day: ReplicationResult) -> None:
    """Told the plan is full, checkout's rules withdraw own-fleet options; customers choose among the rest."""
    cap = 5
    r = run_replication(apply_overrides(small, {"checkout.own_orders_per_day": cap}), 0)
    assert r.kpis["demand"]["own_withdrawn"] > 0 and day.kpis["demand"]["own_withdrawn"] == 0
    o = r.orders
    own = np.array([opt in ("same_day", "next_day", "slot") for opt in o.option])
    days = np.floor(o.promised_s[own] / 86400.0).astype(int)
    assert np.bincount(days).max() <= cap + 1  # a slot's promise may end just past its day's midnight
    assert own.sum() < np.isin(day.orders.option, ["same_day", "next_day", "slot"]).sum()
    # Same orders, same draws: only the choices that met a full day changed.
    assert np.array_equal(r.orders.placed_s, day.orders.placed_s)


def test_route_hours_bound_planned_routes(small, monkeypatch: pytest.MonkeyPatch) -> None:
    """``route_hours`` is the dispatcher's maximum route duration: vehicles come back for later waves."""
    from engine.sim import day as _day

    s = apply_overrides(small, {"fleet.van.route_hours": 1.5, "fleet.bike.route_hours": 1.5})
    seen: list[float] = []
    orig = _day.run_waves

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        wo = orig(*a, **k)
        seen.extend(r.stops[-1].arrival - r.stops[0].departure for wv in wo.waves for r in wv.plan.routes if r.order_ids)
        return wo

    monkeypatch.setattr(_day, "run_waves", spy)
    r = run_replication(s, 0)
    assert seen and max(seen) <= 1.5 * 3600
    assert r.kpis["fleet"]["routes"] >= 2
