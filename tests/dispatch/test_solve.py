"""Dispatch: small problems solved with every rule checked independently (engine.dispatch.verify)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.dispatch import (
    FirstOf,
    MaxRuntime,
    NoImprovement,
    SolutionLimit,
    SolveParams,
    VehiclePosition,
    check_plan,
    replan,
    solve,
)
from engine.dispatch.pipeline import solve_arrays
from engine.domain.plan import UnassignedReason
from engine.domain.problem import (
    Break,
    Carrier,
    Depot,
    ModelError,
    Order,
    Problem,
    TimeWindow,
    VehicleType,
)
from engine.io.problem_json import problem_from_dict
from engine.io.solomon import from_solomon

H = 3600
LAT, LON = 60.17, 24.94


def _orders(n: int, seed: int = 0, **kw) -> list[Order]:
    rng = np.random.default_rng(seed)
    return [
        Order(f"o{i:02d}", LAT + rng.normal(0, 0.01), LON + rng.normal(0, 0.02), **kw)
        for i in range(n)
    ]


def _problem(orders: list[Order], vts: list[VehicleType] | None = None, carriers: list[Carrier] | None = None, **kw) -> Problem:
    vts = vts or [VehicleType("van", 2, "D1", capacity={"parcels": 20, "kg": 100})]
    return Problem([Depot("D1", LAT, LON)], vts, orders, carriers=carriers or [], **kw)


def _stop(time_limit: float = 1.5, solution_limit: int | None = 200) -> MaxRuntime | FirstOf:
    # A solution cap keeps tests quick and identical from run to run.
    return MaxRuntime(time_limit) if solution_limit is None else FirstOf(MaxRuntime(time_limit), SolutionLimit(solution_limit))


def _solve(p: Problem, *, time_limit: float = 1.5, solution_limit: int | None = 200, network=None):
    plan = solve(p, network=network, stop=_stop(time_limit, solution_limit))
    assert check_plan(p, plan) == []
    return plan


def test_all_orders_assigned_when_feasible() -> None:
    p = _problem(_orders(20))
    plan = _solve(p)
    assert plan.status == "ok"
    assert sorted(o for r in plan.routes for o in r.order_ids) == sorted(o.order_id for o in p.orders)
    assert not plan.handoffs and not plan.unassigned
    assert plan.cost > 0 and plan.distance_m > 0
    assert plan.trajectory and all(b <= a for (_, a), (_, b) in zip(plan.trajectory, plan.trajectory[1:]))
    # Stops carry times, loads and legs: loads fall by one parcel per stop.
    r = plan.routes[0]
    loads = [s.load["parcels"] for s in r.stops]
    assert loads[0] == len(r.order_ids) and loads[-1] == 0
    assert all(s.departure >= s.arrival for s in r.stops)
    assert r.stops[1].leg_distance_m > 0 and r.stops[1].leg_time_s > 0


def test_capacity_respected_in_every_dimension() -> None:
    # 10 orders of 30 kg with 100 kg vans: at most 3 per van, so 4 vans used even though parcels fit.
    orders = _orders(10, size={"parcels": 1, "kg": 30})
    p = _problem(orders, [VehicleType("van", 5, "D1", capacity={"parcels": 50, "kg": 100}, fixed_cost=10)])
    plan = _solve(p)
    assert not plan.unassigned
    assert all(len(r.order_ids) <= 3 for r in plan.routes)
    assert len(plan.routes) == 4


def test_skills_respected() -> None:
    orders = _orders(8)
    orders[0].skills = frozenset({"cold"})
    orders[1].skills = frozenset({"cold"})
    vts = [
        VehicleType("van", 2, "D1", capacity={"parcels": 20}),
        VehicleType("fridge", 1, "D1", capacity={"parcels": 20}, skills=frozenset({"cold"}), fixed_cost=80),
    ]
    plan = _solve(_problem(orders, vts))
    fridge = [r for r in plan.routes if r.vehicle_type == "fridge"]
    assert fridge and {"o00", "o01"} <= set(fridge[0].order_ids)
    assert not plan.unassigned


def test_windows_respected_including_multiple_windows() -> None:
    orders = _orders(12)
    for i, o in enumerate(orders):
        o.windows = [TimeWindow(9 * H, 10 * H)] if i % 2 else [TimeWindow(9 * H, 9 * H + 1800), TimeWindow(15 * H, 16 * H)]
    orders[0].promised_by = 9 * H + 1200
    plan = _solve(_problem(orders))
    assert not plan.unassigned
    for r in plan.routes:
        for s in r.stops:
            if s.kind == "delivery":
                o = next(x for x in orders if x.order_id == s.order_id)
                assert any(w.start <= s.arrival <= w.end for w in o.effective_windows(24 * H))
                assert s.window is not None and s.window.start <= s.arrival <= s.window.end


def test_impossible_window_gives_window_unreachable() -> None:
    orders = _orders(5)
    # Shift starts at 08:00: a 06:00-06:30 window cannot be met.
    orders.append(Order("early", LAT, LON + 0.01, windows=[TimeWindow(6 * H, 6 * H + 1800)], allow_carrier=False))
    plan = _solve(_problem(orders))
    (u,) = plan.unassigned
    assert u.order_id == "early" and u.reason is UnassignedReason.WINDOW_UNREACHABLE
    assert plan.status == "partial"


def test_oversized_order_gives_over_capacity() -> None:
    orders = _orders(5)
    orders.append(Order("piano", LAT, LON + 0.01, size={"parcels": 1, "kg": 400}, allow_carrier=False))
    plan = _solve(_problem(orders))
    (u,) = plan.unassigned
    assert u.order_id == "piano" and u.reason is UnassignedReason.OVER_CAPACITY


def test_no_skilled_vehicle_and_no_carrier_gives_no_skill() -> None:
    orders = _orders(5)
    orders.append(Order("crane", LAT, LON + 0.01, skills=frozenset({"crane"}), allow_carrier=False))
    plan = _solve(_problem(orders, carriers=[Carrier("parcelco")]))
    (u,) = plan.unassigned
    assert u.order_id == "crane" and u.reason is UnassignedReason.NO_SKILL


def test_carrier_handoff_when_fleet_too_small() -> None:
    orders = _orders(14)
    p = _problem(
        orders,
        [VehicleType("van", 1, "D1", capacity={"parcels": 5}, fixed_cost=10)],
        [Carrier("cheap", base_cost=20.0, capacity=4), Carrier("dear", base_cost=25.0, capacity=100)],
    )
    plan = _solve(p)
    assert len(plan.routes[0].order_ids) == 5
    assert len(plan.handoffs) == 9 and not plan.unassigned
    by = {c: sum(h.carrier_id == c for h in plan.handoffs) for c in ("cheap", "dear")}
    # Capacity respected; the cheaper carrier is filled first.
    assert by == {"cheap": 4, "dear": 5}
    assert plan.cost == pytest.approx(plan.routes[0].cost + sum(h.cost for h in plan.handoffs))


def test_carrier_capacity_exhausted_leaves_orders_unassigned_with_reason() -> None:
    orders = _orders(10)
    p = _problem(orders, [VehicleType("van", 1, "D1", capacity={"parcels": 4}, fixed_cost=10)], [Carrier("small", base_cost=30, capacity=2)])
    plan = _solve(p)
    assert len(plan.handoffs) == 2
    assert len(plan.unassigned) == 4
    assert all(u.reason is UnassignedReason.NOT_PLANNED and "capacity" in u.detail for u in plan.unassigned)


def test_full_carrier_sends_orders_back_to_the_fleet() -> None:
    # The carrier is cheaper than the van for every order but takes only 2: the rest must be routed.
    orders = _orders(10)
    p = _problem(orders, [VehicleType("van", 1, "D1", capacity={"parcels": 10}, fixed_cost=40)], [Carrier("small", base_cost=1.0, capacity=2)])
    plan = _solve(p)
    assert len(plan.handoffs) == 2 and not plan.unassigned
    assert len(plan.routes[0].order_ids) == 8
    # The carrier's capacity is in the model itself: no repair round after the solve.
    assert plan.stats["carriers_in_model"] == 1
    assert not any("repair" in name for name, _, _ in plan.stats["phases"])


def test_priority_orders_are_kept_on_the_fleet() -> None:
    orders = _orders(8, allow_carrier=False)
    for o in orders[4:]:
        o.priority = 3
    p = _problem(orders, [VehicleType("van", 1, "D1", capacity={"parcels": 4})])
    plan = _solve(p)
    assert set(plan.routes[0].order_ids) == {o.order_id for o in orders[4:]}
    assert {u.order_id for u in plan.unassigned} == {o.order_id for o in orders[:4]}
    assert all(u.reason is UnassignedReason.NO_CARRIER for u in plan.unassigned)


def test_breaks_are_scheduled_inside_their_window() -> None:
    vt = VehicleType("van", 1, "D1", capacity={"parcels": 30}, shift=TimeWindow(8 * H, 18 * H),
                     breaks=[Break(TimeWindow(12 * H, 13 * H), 1800)])
    orders = _orders(10, windows=[TimeWindow(11 * H, 15 * H)], service_time=600)
    plan = _solve(_problem(orders, [vt]))
    assert not plan.unassigned
    breaks = [s for s in plan.routes[0].stops if s.kind == "break"]
    assert len(breaks) == 1 and 12 * H <= breaks[0].arrival <= 13 * H and breaks[0].departure - breaks[0].arrival == 1800
    # No delivery overlaps the break.
    for s in plan.routes[0].stops:
        if s.kind == "delivery":
            assert s.departure <= breaks[0].arrival or s.arrival >= breaks[0].departure


def test_a_small_day_with_a_break_answers_long_before_its_time_limit() -> None:
    """Breaks send the solve through OR-Tools' guided local search, which never converges on its own: it stops
    after ``SolveParams.gls_stall`` of patience, so 6 orders do not search for the whole limit."""
    import time

    vt = VehicleType("van", 1, "D1", capacity={"parcels": 30}, shift=TimeWindow(8 * H, 18 * H),
                     breaks=[Break(TimeWindow(12 * H, 13 * H), 1800)])
    p = _problem(_orders(6, windows=[TimeWindow(11 * H, 15 * H)], service_time=600), [vt])
    solve(p, stop=MaxRuntime(1.0))  # numba kernels compiled and cached before timing
    t = time.perf_counter()
    plan = solve(p, stop=MaxRuntime(20.0))
    assert time.perf_counter() - t < 5.0
    assert check_plan(p, plan) == [] and not plan.unassigned
    t = time.perf_counter()
    solve(p, stop=MaxRuntime(2.0), params=SolveParams(gls_stall=0.0))  # no patience: the limit, as before
    assert time.perf_counter() - t > 1.5


def test_soft_windows_serve_late_instead_of_dropping() -> None:
    # One van, 8 orders of 30 min service all due within an hour: hard windows cannot serve them all.
    orders = _orders(8, windows=[TimeWindow(9 * H, 10 * H)], service_time=1800, allow_carrier=False)
    hard = _solve(_problem(orders, [VehicleType("van", 1, "D1", capacity={"parcels": 20})]))
    assert hard.unassigned
    soft_p = _problem(orders, [VehicleType("van", 1, "D1", capacity={"parcels": 20})], lateness_cost_per_min=0.5)
    soft = _solve(soft_p)
    assert not soft.unassigned
    late = [s for s in soft.routes[0].stops if s.kind == "delivery" and s.arrival > 10 * H]
    assert late


def test_replan_keeps_served_stops_fixed_and_onboard_orders_on_their_vehicle() -> None:
    orders = _orders(16, seed=3)
    p = _problem(orders, [VehicleType("van", 2, "D1", capacity={"parcels": 10})])
    plan = _solve(p, solution_limit=50)
    r = max(plan.routes, key=lambda r: len(r.order_ids))
    served = set(r.order_ids[:3])
    third = [s for s in r.stops if s.order_id == r.order_ids[2]][0]
    now = third.departure + 30
    new = replan(p, plan, now=now, served=served, stop=_stop(1.5, 50))
    assert check_plan(p, new) == []
    r2 = next(x for x in new.routes if x.vehicle_id == r.vehicle_id)
    # The driven head is unchanged, stop for stop.
    assert [(s.order_id, s.arrival) for s in r2.stops[:4]] == [(s.order_id, s.arrival) for s in r.stops[:4]]
    # What was on board stays on board; nothing new is loaded on a vehicle that is out.
    assert set(r2.order_ids) == set(r.order_ids)
    assert all(s.arrival >= now for s in r2.stops[4:])


def test_replan_moves_vehicle_start_to_its_position() -> None:
    orders = _orders(6, seed=5)
    p = _problem(orders, [VehicleType("van", 1, "D1", capacity={"parcels": 10})])
    plan = _solve(p)
    r = plan.routes[0]
    pos = VehiclePosition(r.vehicle_id, time=12 * H, lat=LAT + 0.02, lon=LON + 0.02)
    new = replan(p, plan, now=12 * H, positions=[pos], stop=MaxRuntime(1.0))
    r2 = new.routes[0]
    first = next(s for s in r2.stops if s.kind == "delivery")
    assert first.arrival >= 12 * H
    with pytest.raises(ModelError, match="ghost"):
        replan(p, plan, now=12 * H, positions=[VehiclePosition("ghost", 0, LAT, LON)])


def test_deterministic_with_solution_limit() -> None:
    p = _problem(_orders(25, seed=7), [VehicleType("van", 3, "D1", capacity={"parcels": 10})])
    a = solve(p, stop=_stop(30, 60), seed=1)
    b = solve(p, stop=_stop(30, 60), seed=1)
    assert [r.order_ids for r in a.routes] == [r.order_ids for r in b.routes]
    assert a.cost == b.cost


def test_no_improvement_stops_early() -> None:
    p = _problem(_orders(15, seed=2))
    plan = solve(p, params=SolveParams(use_improve=False), stop=FirstOf(MaxRuntime(20), NoImprovement(0.3)))
    assert plan.solve_seconds < 10


def test_bad_input_raises_model_error_naming_the_item() -> None:
    base = {
        "depots": [{"id": "D1", "lat": LAT, "lon": LON}],
        "vehicle_types": [{"id": "van", "count": 1, "start_depot": "D1"}],
        "orders": [{"id": "o1", "lat": LAT, "lon": LON}],
    }
    problem_from_dict(base)
    cases = [
        (("vehicle_types", 0, "start_depot", "X"), "vehicle type 'van': start_depot: unknown depot"),
        (("orders", 0, "size", {"parcels": -1}), "order 'o1': size: negative size"),
        (("orders", 0, "windows", [["10:00", "09:00"]]), "order 'o1': windows: end 32400 before start 36000"),
        (("orders", 0, "depot", "nowhere"), "order 'o1': depot: unknown depot"),
        (("vehicle_types", 0, "count", 0), "zero vehicles"),
        (("orders", 0, "lat", 123.0), "order 'o1': lat"),
        (("orders", 0, "sizee", {}), "order 'o1': sizee: unknown field"),
    ]
    for (section, i, key, value), msg in cases:
        doc = {k: [dict(x) for x in v] for k, v in base.items()}
        doc[section][i][key] = value
        with pytest.raises(ModelError) as ei:
            problem_from_dict(doc)
        assert msg in str(ei.value)
    with pytest.raises(ModelError, match="time window"):
        TimeWindow(10, 5)


def test_off_network_order_is_unassigned_not_an_error() -> None:
    from engine import network

    net = network.load("helsinki")
    lat, lon = float(np.median(net.lat)), float(np.median(net.lon))
    orders = [Order(f"o{i}", float(net.lat[i * 50]), float(net.lon[i * 50])) for i in range(6)]
    orders.append(Order("far", lat + 0.2, lon, allow_carrier=False))  # ~22 km north of the extract
    p = Problem([Depot("D1", lat, lon)], [VehicleType("van", 1, "D1")], orders)
    plan = _solve(p, network=net)
    (u,) = plan.unassigned
    assert u.order_id == "far" and u.reason is UnassignedReason.OFF_NETWORK
    assert all(s.node is not None for s in plan.routes[0].stops)


def test_solomon_arrays_solved_feasibly(vrptw_dir) -> None:
    a = from_solomon(vrptw_dir / "solomon" / "C101.txt")
    res = solve_arrays(a, stop=MaxRuntime(3.0), seed=0)
    served = sorted(j for r in res.routes for j in r)
    assert served == list(range(1, 101))
    for v, r in enumerate(res.routes):
        if r:
            _, ok = a.route_schedule(v, r)
            assert ok
    # Within 5% of the best known 828.94 (distance-only objective, x1000 scale).
    assert a.total_cost(res.routes) / a.scale < 828.94 * 1.05


def test_vehicle_starts_and_ends_at_different_depots() -> None:
    depots = [Depot("A", LAT, LON), Depot("B", LAT + 0.03, LON + 0.05)]
    vt = VehicleType("van", 1, "A", end_depot="B", capacity={"parcels": 10})
    p = Problem(depots, [vt], _orders(5))
    plan = _solve(p)
    r = plan.routes[0]
    assert (r.stops[0].lat, r.stops[-1].lat) == (LAT, LAT + 0.03)


def test_plan_json_round_trip() -> None:
    from engine.io.problem_json import plan_from_dict, plan_to_dict, problem_to_dict

    p = _problem(_orders(6), carriers=[Carrier("c", base_cost=80)])
    assert problem_to_dict(problem_from_dict(problem_to_dict(p))) == problem_to_dict(p)
    plan = _solve(p)
    d = plan_to_dict(plan)
    back = plan_from_dict(d)
    assert plan_to_dict(back) == d
    assert dataclasses.asdict(back.routes[0].stops[1]) == dataclasses.asdict(plan.routes[0].stops[1])


def test_cheap_carrier_does_not_keep_the_fleet_home() -> None:
    # A hand-off (10 + 0.5/kg) costs less than opening a route for a single order (fixed 50),
    # but routing all 12 costs less than 12 hand-offs.  A search that starts from nothing
    # never opens a route here; the plan must still use the fleet.
    orders = [
        Order(f"o{i}", LAT + 0.002 * (i % 5), LON + 0.003 * (i // 5), size={"parcels": 1, "kg": 2.5}) for i in range(12)
    ]
    vts = [VehicleType("van", 2, "D1", capacity={"parcels": 10, "kg": 200})]
    p = _problem(orders, vts, carriers=[Carrier("parcelco", base_cost=10)])
    # The time-limited default, as the API and the CLI run it: GLS only gets the last tenth.
    plan = _solve(p, solution_limit=None)
    assert sum(len(r.order_ids) for r in plan.routes) >= 10
    assert plan.cost < 12 * 11.25


def test_small_problem_stops_when_the_search_converges() -> None:
    """A 2-order day must not run the whole time limit."""
    import time

    p = _problem(_orders(2))
    solve(p, stop=MaxRuntime(2))  # numba kernels loaded
    t = time.perf_counter()
    plan = solve(p, stop=MaxRuntime(30))
    assert time.perf_counter() - t < 3.0
    assert check_plan(p, plan) == [] and not plan.unassigned
    assert all(name != "guided local search" for name, _, _ in plan.stats["phases"])


def test_big_problems_keep_the_search_routes_and_the_time_limit() -> None:
    """Above gls_max_jobs the search's routes are not polished by OR-Tools (whose local search
    on thousands of orders cannot stop in time): here forced on a small day."""
    import time

    p = _problem(_orders(30))
    t = time.perf_counter()
    plan = solve(p, params=SolveParams(gls_max_jobs=0), stop=MaxRuntime(3))
    assert time.perf_counter() - t < 3.5
    assert check_plan(p, plan) == [] and not plan.unassigned
    assert [name for name, _, _ in plan.stats["phases"]] == ["improve.search (alone)"]
    assert plan.stats["search_only"]
