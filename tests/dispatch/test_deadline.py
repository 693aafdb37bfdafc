"""Big days within their time limit (issue 11), and the breaks the numba search now models.

The time-limit tests are kept small (2,000 orders, 2 s); ``benchmarks/deadline.py``
has the 5,000-order figures.
"""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import pytest

from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit, SolveParams, check_plan, solve
from engine.dispatch import schedule as sched
from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.dispatch.search import improve
from engine.dispatch.search import kernels as K
from engine.io.problem_json import problem_from_dict, problem_to_dict
from engine.io.scenarios import helsinki_day


def _day(n: int, seed: int = 0):
    """The API benchmark's day: the 300-order Helsinki day repeated to ``n`` orders (haversine matrices)."""
    doc = problem_to_dict(helsinki_day(300, seed))
    doc["network"] = None
    rng = random.Random(seed)
    base = doc["orders"]
    doc["orders"] = [dict(base[i % len(base)], id=f"o{i}", lat=base[i % len(base)]["lat"] + rng.uniform(-0.01, 0.01)) for i in range(n)]
    return problem_from_dict(doc)


# --------------------------------------------------------------------------- time limits


def test_a_2000_order_day_ends_within_its_time_limit_and_accounts_for_every_order() -> None:
    solve(_day(20), stop=MaxRuntime(1.0))  # numba's cache loaded, as in a warm solver process
    p = _day(2000)
    t = time.perf_counter()
    plan = solve(p, stop=MaxRuntime(2.0))
    wall = time.perf_counter() - t
    assert wall < 3.0, f"2 s limit, took {wall:.2f} s"
    # every order exactly once on a route, with a carrier or unassigned with a reason; every route feasible
    assert check_plan(p, plan) == []
    placed = [o for r in plan.routes for o in r.order_ids] + [h.order_id for h in plan.handoffs] + [u.order_id for u in plan.unassigned]
    assert sorted(placed) == sorted(o.order_id for o in p.orders)
    assert plan.stats["search_only"] and plan.routes
    assert all(u.detail for u in plan.unassigned)


def test_orders_the_construction_had_no_time_for_go_to_carriers_or_are_unassigned_with_that_reason() -> None:
    p = _day(400)
    plan = solve(p, stop=MaxRuntime(0.001))
    assert check_plan(p, plan) == []
    assert plan.stats["unplaced_in_time"] > 0
    timed_out = [u for u in plan.unassigned if "time limit ran out" in u.detail]
    assert timed_out and plan.handoffs  # the carriers took what they could, the rest says why


def test_the_deterministic_stop_gives_the_same_plan_on_the_search_alone() -> None:
    p = _day(60)
    params = SolveParams(gls_max_jobs=0, improve_iterations=100)
    stop = FirstOf(MaxRuntime(60), SolutionLimit(10))
    a, b = (solve(p, params=params, stop=stop, seed=3) for _ in range(2))
    assert a.stats["search_only"] and b.stats["search_only"]
    assert [r.order_ids for r in a.routes] == [r.order_ids for r in b.routes]
    assert a.cost == b.cost and check_plan(p, a) == []


def test_search_construction_stops_at_its_deadline() -> None:
    a = _breaks_instance(5, 300, 6)
    res = improve.search(a, time_limit=1e-6, seed=0)
    routed = {j for r in res.routes for j in r}
    assert res.unplaced and set(res.unplaced) <= set(res.unassigned)
    assert routed | set(res.unassigned) == set(range(a.n_depots, a.n_nodes))


# --------------------------------------------------------------------------- breaks


def _breaks_instance(seed: int, n_jobs: int, n_veh: int, max_duration: int | None = None) -> VrpArrays:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(n_jobs + 1, 2))
    xy[0] = 50
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int32)
    start = rng.integers(0, 700, size=n_jobs + 1)
    tws = start.astype(np.int32)
    twe = (start + rng.integers(60, 300, size=n_jobs + 1)).astype(np.int32)
    tws[0], twe[0] = 0, 1000
    svc = np.full(n_jobs + 1, 10, dtype=np.int32)
    svc[0] = 0
    dem = np.ones((n_jobs + 1, 1), dtype=np.int32)
    dem[0] = 0
    breaks = tuple(((300, 500, 60),) if v % 3 else ((200, 350, 40), (550, 700, 40)) for v in range(n_veh))
    return VrpArrays(
        n_depots=1, durations=d, distances=d.copy(), service=svc, tw_start=tws, tw_end=twe, demand=dem,
        v_start=np.zeros(n_veh, dtype=np.int32), v_end=np.zeros(n_veh, dtype=np.int32),
        v_capacity=np.full((n_veh, 1), 12, dtype=np.int32), v_tw_start=np.zeros(n_veh, dtype=np.int32),
        v_tw_end=np.full(n_veh, 1000, dtype=np.int32),
        v_max_duration=np.full(n_veh, max_duration or INT_INF, dtype=np.int32),
        v_fixed_cost=np.zeros(n_veh), v_cost_per_m=np.ones(n_veh), v_cost_per_s=np.zeros(n_veh),
        compat=np.ones((n_veh, n_jobs + 1), dtype=bool), penalty=np.full(n_jobs + 1, 10**6, dtype=np.int64),
        v_breaks=breaks,
    )


def _brute_feasible(a: VrpArrays, v: int, route: list[int]) -> bool:
    """Any placement of the breaks (before the departure, one per gap between stops, after the return) that works."""
    path = [int(a.v_start[v]), *route, int(a.v_end[v])]
    brk = sorted(a.v_breaks[v])
    gaps = range(len(path) + 1)  # 0: before departure, k: before node k, len(path): after the return
    for where in itertools.product(gaps, repeat=len(brk)):
        if list(where) != sorted(where) or any(where.count(g) > 1 for g in where if 0 < g < len(path)):
            continue
        t = int(a.v_tw_start[v])
        t0 = t
        ok = True
        for b, (ws, we, d) in enumerate(brk):
            if where[b] == 0:
                s = max(t, ws)
                ok &= s <= we
                t = s + d
        for k in range(1, len(path)):
            dep = t + int(a.service[path[k - 1]])
            t = dep + int(a.durations[path[k - 1], path[k]])
            for b, (ws, we, d) in enumerate(brk):
                if where[b] == k:
                    ok &= max(dep, ws) <= we
                    t = max(t, ws) + d
            if k < len(path) - 1:
                ok &= t <= int(a.tw_end[path[k]])
                t = max(t, int(a.tw_start[path[k]]))
        ok &= t <= int(a.v_tw_end[v])
        end = t
        for b, (ws, we, d) in enumerate(brk):
            if where[b] == len(path):
                s = max(t, ws)
                ok &= s <= we
                t = s + d
        ok &= end - t0 <= int(a.v_max_duration[v])
        if ok:
            return True
    return False


def _check_schedule(a: VrpArrays, v: int, route: list[int], s: sched.Schedule) -> None:
    """Independent check of a schedule: windows, travel, every break once in its window, off the services."""
    path = [int(a.v_start[v]), *route, int(a.v_end[v])]
    t = s.times
    assert t[0] >= a.v_tw_start[v] and t[-1] <= a.v_tw_end[v]
    assert t[-1] - t[0] <= a.v_max_duration[v]
    assert len(s.breaks) == len(a.v_breaks[v])
    for ws, we, d in a.v_breaks[v]:
        assert any(bs >= ws and bs <= we and bd == d for _, bs, bd in s.breaks)
    for k in range(1, len(path)):
        if k < len(path) - 1:
            assert a.tw_start[path[k]] <= t[k] <= a.tw_end[path[k]]
        dep = t[k - 1] + int(a.service[path[k - 1]])
        inside = [(bs, bd) for g, bs, bd in s.breaks if g == k]
        need = dep + int(a.durations[path[k - 1], path[k]]) + sum(bd for _, bd in inside)
        assert t[k] >= need
        for bs, bd in inside:
            assert bs >= dep and bs + bd <= t[k]
    for g, bs, bd in s.breaks:
        if g == 0:
            assert bs + bd <= t[0] and bs >= a.v_tw_start[v]
        if g == len(path):
            assert bs >= t[-1]


@pytest.mark.parametrize("max_duration", [None, 650])
def test_the_kernel_and_the_schedule_agree_with_brute_force_on_breaks(max_duration: int | None) -> None:
    a = _breaks_instance(11, 8, 3, max_duration)
    P = improve.build_problem(a)
    C = a.n_jobs + 3
    es, ls = np.zeros(C, dtype=np.int64), np.zeros(C, dtype=np.int64)
    bt = np.zeros(3, dtype=np.int64)
    rng = np.random.default_rng(0)
    agree = feasible = 0
    for _ in range(400):
        v = int(rng.integers(0, a.n_vehicles))
        route = [int(x) for x in rng.permutation(np.arange(1, a.n_nodes))[: int(rng.integers(1, 6))]]
        route.sort(key=lambda j: int(a.tw_start[j]) + int(rng.integers(0, 200)))
        seq = np.array([0, *route, 0], dtype=np.int32)
        bad, _ = K._eval_row(P, v, seq, len(route), es, ls, bt)
        s = sched.route(a, v, route)
        truth = _brute_feasible(a, v, route)
        assert (bad < 0) == truth == (s is not None), (v, route)
        if s is not None:
            _check_schedule(a, v, route, s)
            feasible += 1
        agree += 1
    assert feasible > 40  # the sample has both kinds


def test_search_routes_with_breaks_are_feasible() -> None:
    a = _breaks_instance(3, 60, 8, 800)
    res = improve.search(a, time_limit=0, seed=1, max_iterations=500)
    assert improve.supports(a)
    for v, r in enumerate(res.routes):
        if r:
            s = sched.route(a, v, r)
            assert s is not None
            _check_schedule(a, v, r, s)


def test_check_plan_catches_a_missing_or_misplaced_break() -> None:
    p = _day(60)
    plan = solve(p, params=SolveParams(gls_max_jobs=0), stop=MaxRuntime(2.0))
    assert check_plan(p, plan) == []
    with_break = next(r for r in plan.routes if any(s.kind == "break" for s in r.stops))
    brk = next(s for s in with_break.stops if s.kind == "break")
    shifted = brk.arrival
    brk.arrival, brk.departure = brk.arrival - 4 * 3600, brk.departure - 4 * 3600  # outside its window
    assert any("matches none of its breaks" in e for e in check_plan(p, plan))
    brk.arrival, brk.departure = shifted, shifted + (brk.departure - brk.arrival)
    with_break.stops.remove(brk)
    vt = next(v for v in p.vehicle_types if v.type_id == with_break.vehicle_type)
    w = vt.breaks[0]
    spans = with_break.stops[0].departure < w.window.start and with_break.stops[-1].arrival > w.window.end + w.duration
    assert spans == any("without a break" in e for e in check_plan(p, plan))
