"""One cost model (engine.dispatch.cost): the same routes cost the same through every path."""

from __future__ import annotations

import numpy as np
import pytest

from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit, check_plan, solve
from engine.dispatch import cost as C
from engine.dispatch.convert import from_problem
from engine.dispatch.model import OrToolsModel
from engine.dispatch.search import improve
from engine.dispatch.search import kernels as K
from engine.domain.problem import Carrier, Depot, Order, Problem, TimeWindow, VehicleType
from engine.io.vroom import arrays_from_vroom, solution_to_vroom

H = 3600
LAT, LON = 60.17, 24.94


def _problem() -> Problem:
    rng = np.random.default_rng(3)
    orders = []
    for i in range(14):
        # Windows spread over the day: routes must wait between stops.
        start = (8 + 2 * (i % 5)) * H
        orders.append(
            Order(f"o{i:02d}", LAT + rng.normal(0, 0.01), LON + rng.normal(0, 0.02),
                  windows=[TimeWindow(start, start + H)], service_time=120 + 30 * (i % 3))
        )
    vt = VehicleType("van", 3, "D1", capacity={"parcels": 6}, shift=TimeWindow(7 * H, 20 * H),
                     cost_per_hour=36.0, cost_per_km=1.0, fixed_cost=5.0)
    return Problem([Depot("D1", LAT, LON)], [vt], orders)


def _plan_and_arrays():
    p = _problem()
    plan = solve(p, stop=FirstOf(MaxRuntime(5), SolutionLimit(100)))
    assert check_plan(p, plan) == [] and not plan.unassigned and not plan.handoffs
    a = from_problem(p)
    node = {oid: a.n_depots + j for j, oid in enumerate(a.job_ids)}
    routes = [[] for _ in range(a.n_vehicles)]
    for r in plan.routes:
        routes[a.vehicle_ids.index(r.vehicle_id)] = [node[o] for o in r.order_ids]
    return p, plan, a, routes


def _numba_cost(a, routes) -> float:
    P = improve.build_problem(a)
    W = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=bool(P.pdp))
    seq = np.zeros((a.n_vehicles, a.n_jobs), dtype=np.int32)
    lens = np.zeros(a.n_vehicles, dtype=np.int32)
    for v, r in enumerate(routes):
        seq[v, : len(r)] = r
        lens[v] = len(r)
    cost = K.init_solution(P, W, seq, lens, np.array([1], dtype=np.uint64), 0)
    # Every route was feasible: none was repaired or changed.
    assert [W.seq[v, 1 : 1 + W.rlen[v]].tolist() for v in range(a.n_vehicles)] == routes
    return float(cost)


def test_the_same_routes_cost_the_same_through_every_path() -> None:
    p, plan, a, routes = _plan_and_arrays()
    ref = C.plan_cost(a, routes)
    # The routes wait: the old search charged that waiting at the per-hour rate.
    waits = sum(
        s.arrival - (prev.departure + int(s.leg_time_s))
        for r in plan.routes for prev, s in zip(r.stops, r.stops[1:]) if s.kind == "delivery"
    )
    assert waits > 0
    # Problem JSON -> Plan: route costs in currency units.
    assert sum(r.cost for r in plan.routes) * a.cost_scale == pytest.approx(ref, abs=1e-6 * ref)
    # numba search
    assert _numba_cost(a, routes) == pytest.approx(ref, rel=1e-12)
    # OR-Tools: its arc costs are integers (rounded per arc, at most half a milli-unit each).
    model = OrToolsModel(a)
    sol = model.from_routes(routes)
    assert sol is not None
    arcs = sum(len(r) + 1 for r in routes if r)
    assert abs(sol.ObjectiveValue() - ref) <= 0.5 * arcs
    # VROOM: the same instance as a VROOM document, costs in milli-euros.
    doc = {
        "vehicles": [
            {"id": v, "start_index": 0, "end_index": 0, "capacity": [600], "time_window": [7 * H, 20 * H],
             "costs": {"fixed": 5000, "per_hour": 36000, "per_km": 1000, "per_task_hour": 36000}}
            for v in range(a.n_vehicles)
        ],
        "jobs": [
            {"id": j, "location_index": a.n_depots + j, "service": int(a.service[a.n_depots + j]), "delivery": [100],
             "time_windows": [list(w) for w in a.windows[a.n_depots + j]]}
            for j in range(a.n_jobs)
        ],
        "matrices": {"car": {"durations": a.durations.tolist(), "distances": a.distances.tolist()}},
    }
    va = arrays_from_vroom(doc)
    assert C.plan_cost(va, routes) == pytest.approx(ref, rel=1e-12)
    out = solution_to_vroom(va, routes)
    assert out["summary"]["cost"] == pytest.approx(ref, abs=len(plan.routes))
    assert _numba_cost(va, routes) == pytest.approx(ref, rel=1e-12)


def test_vroom_per_hour_is_travel_time_only() -> None:
    """VROOM's per_hour is charged on travel, not on service or waiting (its default cost = travel seconds)."""
    d = [[0, 100, 200], [100, 0, 150], [200, 150, 0]]
    doc = {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0}],
        "jobs": [{"id": 1, "location_index": 1, "service": 300, "time_windows": [[0, 200]]},
                 {"id": 2, "location_index": 2, "service": 300, "time_windows": [[5000, 6000]]}],
        "matrix": d,
    }
    a = arrays_from_vroom(doc)
    routes = [[1, 2]]
    assert C.plan_cost(a, routes) == 100 + 150 + 200
    assert _numba_cost(a, routes) == 100 + 150 + 200
    assert solution_to_vroom(a, routes)["summary"]["cost"] == 450


def test_carriers_take_jobs_only_while_they_have_room() -> None:
    p = _problem()
    a = from_problem(p)
    a2 = a.__class__(**{**a.__dict__, "carrier_ids": ("c",), "carrier_capacity": np.array([2]),
                        "carrier_price": np.where(np.arange(a.n_nodes) >= a.n_depots, 7000.0, np.inf)[None, :]})
    left = list(range(a2.n_depots, a2.n_nodes))
    hand = C.hand_off(a2, left)
    assert len(hand) == 2 and set(hand.values()) == {0}
    cost = C.plan_cost(a2, [[] for _ in range(a2.n_vehicles)], hand)
    assert cost == 2 * 7000 + sum(int(a2.penalty[j]) for j in left if j not in hand)
    with pytest.raises(ValueError):
        C.plan_cost(a2, [[] for _ in range(a2.n_vehicles)], {j: 0 for j in left[:3]})
    # OR-Tools prices the same hand-offs the same way.
    sol = OrToolsModel(a2).from_routes([[] for _ in range(a2.n_vehicles)], hand)
    assert sol is not None and sol.ObjectiveValue() == pytest.approx(cost)


def test_carrier_capacity_never_idles_the_fleet() -> None:
    """A cheap carrier with little room: the fleet serves the rest, nothing is NOT_PLANNED."""
    rng = np.random.default_rng(5)
    orders = [Order(f"o{i:03d}", LAT + rng.normal(0, 0.02), LON + rng.normal(0, 0.04), service_time=180,
                    windows=[TimeWindow((8 + i % 8) * H, (10 + i % 8) * H)]) for i in range(120)]
    vt = VehicleType("van", 8, "D1", capacity={"parcels": 20}, shift=TimeWindow(7 * H, 19 * H), fixed_cost=60.0)
    p = Problem([Depot("D1", LAT, LON)], [vt], orders, carriers=[Carrier("cheap", base_cost=2.0, cost_per_kg=0.0, capacity=10)])
    plan = solve(p, stop=MaxRuntime(8))
    assert check_plan(p, plan) == []
    assert len(plan.handoffs) == 10
    assert plan.unassigned == []
    assert sum(len(r.order_ids) for r in plan.routes) == 110
    assert plan.solve_seconds < 8 * 1.2
