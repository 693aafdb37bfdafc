"""Pickup-and-delivery pairs and loads that go down along a route, in the numba search."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from engine.dispatch.arrays import VrpArrays
from engine.dispatch.search import improve
from engine.dispatch.search.problem import supports
from tests.dispatch.test_search import make_arrays


def _pairs_instance(seed: int, n_pairs: int, n_jobs: int, n_veh: int, cap: int, tight: bool = True) -> VrpArrays:
    """Random pairs (pickup +q, delivery -q) beside plain jobs, some loaded at the start (VROOM delivery jobs)."""
    rng = np.random.default_rng(seed)
    n = 1 + 2 * n_pairs + n_jobs
    xy = rng.uniform(0, 100, (n, 2))
    xy[0] = 50
    tw = np.zeros((n, 2), dtype=np.int64)
    tw[:, 1] = 1000
    if tight:
        for k in range(1, n):
            s = int(rng.integers(0, 700))
            tw[k] = (s, s + int(rng.integers(80, 300)))
        for i in range(n_pairs):
            p, d = 1 + 2 * i, 2 + 2 * i
            tw[d] = (tw[p, 0], max(tw[d, 1], tw[p, 0] + 400))  # a delivery can follow its pickup
    demand = np.zeros((n, 1), dtype=np.int64)
    preload = np.zeros((n, 1), dtype=np.int64)
    pairs = []
    for i in range(n_pairs):
        p, d = 1 + 2 * i, 2 + 2 * i
        q = int(rng.integers(1, 4))
        demand[p], demand[d] = q, -q
        pairs.append((p, d))
    for k in range(1 + 2 * n_pairs, n):
        q = int(rng.integers(1, 3))
        if rng.random() < 0.5:
            demand[k], preload[k] = -q, q  # delivered: on board from the start
        else:
            demand[k] = q  # picked up: on board to the end
    a = make_arrays(xy, 1, n_veh, tw=tw, service=5, capacity=np.full((n_veh, 1), cap), horizon=1000)
    return dataclasses.replace(
        a, demand=demand.astype(np.int32), preload=preload.astype(np.int32),
        pairs=np.asarray(pairs, dtype=np.int32).reshape(-1, 2),
    )


def _check(a: VrpArrays, routes: list[list[int]], cost: float) -> None:
    """Every route feasible by ``VrpArrays.route_schedule`` (windows, loads at every stop, pairs), the
    pairs whole and in order, and the reported cost that of the routes plus the left-out penalties."""
    seen = [j for r in routes for j in r]
    assert len(seen) == len(set(seen))
    where = {j: (v, k) for v, r in enumerate(routes) for k, j in enumerate(r)}
    for v, r in enumerate(routes):
        if r:
            _, ok = a.route_schedule(v, r)
            assert ok, f"route {v} infeasible: {r}"
            start = a.preload[np.asarray(r)].sum(axis=0) if a.preload is not None else 0
            loads = start + np.cumsum(a.demand[np.asarray(r)], axis=0)
            assert (start <= a.v_capacity[v]).all() and (loads <= a.v_capacity[v]).all()
    for p, d in a.pairs:
        p, d = int(p), int(d)
        assert (p in where) == (d in where), f"pair {p}-{d} split"
        if p in where:
            assert where[p][0] == where[d][0] and where[p][1] < where[d][1], f"pair {p}-{d} out of order"
    left = set(range(a.n_depots, a.n_nodes)) - set(seen)
    want = sum(a.route_cost(v, r) for v, r in enumerate(routes) if r) + float(sum(a.penalty[j] for j in left))
    assert cost == pytest.approx(want, rel=1e-9, abs=1e-6)


def test_pairs_are_supported_without_carriers() -> None:
    a = _pairs_instance(0, 3, 2, 2, 6)
    assert supports(a)


@pytest.mark.parametrize("seed", range(8))
def test_search_keeps_pairs_whole_ordered_and_loads_within_capacity(seed: int) -> None:
    a = _pairs_instance(seed, 12, 8, 4, 6)
    res = improve.search(a, time_limit=0, seed=seed, max_iterations=3000)
    _check(a, res.routes, res.cost)
    assert not res.unassigned, "loose enough that everything fits"


@pytest.mark.parametrize("seed", range(4))
def test_tight_capacity_leaves_out_whole_pairs(seed: int) -> None:
    a = _pairs_instance(100 + seed, 15, 6, 2, 3)
    a = dataclasses.replace(a, penalty=np.where(np.arange(a.n_nodes) >= 1, 400, 0).astype(np.int64))
    res = improve.search(a, time_limit=0, seed=seed, max_iterations=3000)
    _check(a, res.routes, res.cost)
    left = set(res.unassigned)
    for p, d in a.pairs:
        assert (int(p) in left) == (int(d) in left)


def _brute_force(a: VrpArrays) -> float:
    best = np.inf
    jobs = list(range(a.n_depots, a.n_nodes))
    for perm in itertools.permutations(jobs):
        for cut in range(len(jobs) + 1):
            routes = [list(perm[:cut]), list(perm[cut:])]
            if all(not r or a.route_schedule(v, r)[1] for v, r in enumerate(routes)):
                best = min(best, sum(a.route_cost(v, r) for v, r in enumerate(routes) if r))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_finds_the_optimum_of_tiny_pair_instances(seed: int) -> None:
    a = _pairs_instance(200 + seed, 2, 2, 2, 3)
    opt = _brute_force(a)
    assert np.isfinite(opt)
    res = improve.search(a, time_limit=0, seed=seed, max_iterations=2000)
    _check(a, res.routes, res.cost)
    assert res.cost == pytest.approx(opt)


def test_capacity_one_serves_pairs_one_after_the_other() -> None:
    xy = np.array([[0, 0], [10, 0], [20, 0], [10, 1], [20, 1]], dtype=float)
    a = make_arrays(xy, 1, 1, capacity=np.array([[1]]))
    a = dataclasses.replace(
        a, demand=np.array([[0], [1], [-1], [1], [-1]], dtype=np.int32),
        pairs=np.array([[1, 2], [3, 4]], dtype=np.int32), preload=np.zeros((5, 1), dtype=np.int32),
    )
    res = improve.search(a, time_limit=0, seed=0, max_iterations=500)
    _check(a, res.routes, res.cost)
    r = res.routes[0]
    assert len(r) == 4 and not res.unassigned
    assert abs(r.index(1) - r.index(2)) == 1 and abs(r.index(3) - r.index(4)) == 1, r


def test_start_load_limits_delivery_jobs() -> None:
    # three jobs loaded at the start, two units each, on a 4-unit van: one must wait for the second van
    xy = np.array([[0, 0], [5, 0], [6, 0], [7, 0]], dtype=float)
    a = make_arrays(xy, 1, 2, capacity=np.array([[4], [4]]), fixed=[0.0, 1000.0])
    a = dataclasses.replace(
        a, demand=np.array([[0], [-2], [-2], [-2]], dtype=np.int32), preload=np.array([[0], [2], [2], [2]], dtype=np.int32),
    )
    res = improve.search(a, time_limit=0, seed=0, max_iterations=500)
    _check(a, res.routes, res.cost)
    assert sorted(len(r) for r in res.routes) == [1, 2]


def test_broken_pairs_in_initial_routes_are_repaired() -> None:
    a = _pairs_instance(7, 6, 0, 3, 8, tight=False)
    p0, d0 = (int(x) for x in a.pairs[0])
    p1, d1 = (int(x) for x in a.pairs[1])
    init = [[d0, p0], [p1], [d1]]  # out of order, and split over two routes
    res = improve.search(a, init, time_limit=0, seed=0, max_iterations=1000)
    _check(a, res.routes, res.cost)
    assert not res.unassigned


@pytest.mark.parametrize("seed", range(4))
def test_distance_and_driving_limits_hold(seed: int) -> None:
    a = _pairs_instance(300 + seed, 8, 10, 4, 8, tight=False)
    free = improve.search(a, time_limit=0, seed=seed, max_iterations=1500)
    longest = max(a.route_cost(v, r) for v, r in enumerate(free.routes) if r)
    # limits below the free plan's longest route, so they bind; driving time is the distance here
    lim = np.full(a.n_vehicles, int(0.7 * longest), dtype=np.int32)
    for which in ("v_max_distance", "v_max_travel"):
        b = dataclasses.replace(a, **{which: lim}, v_fixed_cost=np.zeros(a.n_vehicles), penalty=np.where(np.arange(a.n_nodes) >= 1, 500, 0).astype(np.int64))
        assert supports(b)
        res = improve.search(b, time_limit=0, seed=seed, max_iterations=1500)
        _check(b, res.routes, res.cost)  # route_schedule checks both limits
        for v, r in enumerate(res.routes):
            if r:
                path = [0, *r, 0]
                assert sum(int(b.distances[x, y]) for x, y in zip(path, path[1:])) <= lim[v]


@pytest.mark.parametrize("seed", range(4))
def test_fixed_steps_stay_on_their_vehicle_in_order(seed: int) -> None:
    rng = np.random.default_rng(400 + seed)
    n = 1 + 20
    xy = rng.uniform(0, 100, (n, 2))
    a = make_arrays(xy, 1, 3, capacity=np.full((3, 1), 10))
    jobs = rng.permutation(np.arange(1, n))
    # steps chosen against geography, so that a free search would not keep them
    fixed = ((int(jobs[0]), int(jobs[1]), int(jobs[2])), (), (int(jobs[3]), int(jobs[4])))
    a = dataclasses.replace(a, v_fixed=fixed)
    assert supports(a)
    # start from no routes, and from routes that break the steps (wrong vehicle, wrong order)
    for init in (None, [[fixed[0][2], fixed[0][0]], [fixed[2][0]], [fixed[0][1]]]):
        res = improve.search(a, init, time_limit=0, seed=seed, max_iterations=1500)
        _check(a, res.routes, res.cost)  # route_schedule checks the steps' vehicle and order
        assert not res.unassigned
        for v, steps in enumerate(fixed):
            on = [j for j in res.routes[v] if j in steps]
            assert on == list(steps), (v, res.routes[v], steps)


def test_a_looser_limit_is_tried_when_a_tighter_one_refuses() -> None:
    # two vehicles alike but for their limit: the job is only reachable by the second
    xy = np.array([[0, 0], [50, 0]], dtype=float)
    a = make_arrays(xy, 1, 2)
    for which in ("v_max_distance", "v_max_travel"):
        b = dataclasses.replace(a, **{which: np.array([50, 1000], dtype=np.int32)})
        res = improve.search(b, time_limit=0, seed=0, max_iterations=50)
        assert res.routes == [[], [1]], which


def test_a_fixed_step_its_vehicle_may_not_serve_is_not_put_on_it() -> None:
    xy = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    compat = np.ones((2, 3), dtype=bool)
    compat[0, 1] = False
    a = dataclasses.replace(make_arrays(xy, 1, 2, compat=compat), v_fixed=((1,), ()))
    res = improve.search(a, time_limit=0, seed=0, max_iterations=200)
    assert 1 not in res.routes[0] and 1 not in res.routes[1]
    assert res.unassigned == [1]


def test_fixed_steps_are_served_from_the_construction_on() -> None:
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 100, (13, 2))
    a = make_arrays(xy, 1, 2, capacity=np.full((2, 1), 20))
    a = dataclasses.replace(a, v_fixed=((3, 1, 7), (12, 2)))
    res = improve.search(a, time_limit=0, seed=0, max_iterations=1)
    _check(a, res.routes, res.cost)
    assert [j for j in res.routes[0] if j in (3, 1, 7)] == [3, 1, 7]
    assert [j for j in res.routes[1] if j in (12, 2)] == [12, 2]


def test_pairs_that_do_not_unload_what_they_loaded_are_left_to_or_tools() -> None:
    a = _pairs_instance(1, 3, 0, 2, 6)
    d = a.demand.copy()
    d[int(a.pairs[0, 1])] -= 1
    assert not supports(dataclasses.replace(a, demand=d))
    pre = a.preload.copy()
    pre[int(a.pairs[0, 0])] = 1
    assert not supports(dataclasses.replace(a, preload=pre))


def _repair_one_route(cap: int, demand: list[int], preload: list[int], route: list[int]) -> tuple[list[int], list[int]]:
    """(ejected, kept) when ``K._repair`` mends ``route`` of one van on a line of stops (node 0 the depot)."""
    from engine.dispatch.search import kernels as K
    from engine.dispatch.search.problem import build_problem

    n = len(demand)
    xy = np.array([[0, 0], *[[4 + k, 0] for k in range(1, n)]], dtype=float)
    a = make_arrays(xy, 1, 1, capacity=np.array([[cap]]))
    a = dataclasses.replace(a, demand=np.array(demand, dtype=np.int32)[:, None], preload=np.array(preload, dtype=np.int32)[:, None])
    P = build_problem(a)
    S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=bool(P.pdp))
    S.seq[0, 1 : 1 + len(route)] = route
    S.rlen[0] = len(route)
    for k, c in enumerate(route, start=1):
        S.node_route[c] = 0
        S.node_pos[c] = k
    out = np.empty(a.n_nodes, dtype=np.int32)
    n_out = K._repair(P, S, 0, out, 0)
    return out[:n_out].tolist(), S.seq[0, 1 : 1 + S.rlen[0]].tolist()


def test_start_load_repair_ejects_only_what_loads_at_the_start() -> None:
    # One van of 4: three deliveries of 2 loaded at the start (6 > 4), then two pickups of 1.
    # The repair must drop one delivery, not the pickups behind it that do not load at the start.
    assert _repair_one_route(4, [0, -2, -2, -2, 1, 1], [0, 2, 2, 2, 0, 0], [1, 2, 3, 4, 5]) == ([3], [1, 2, 4, 5])


def test_start_load_repair_keeps_a_pickup_that_comes_first() -> None:
    # The review's case: a van of 5, a pickup of 1 first, then three deliveries of 2 loaded at the start (6 > 5).
    # Every position is over while the start is; only the last delivery should go.
    assert _repair_one_route(5, [0, -2, -2, -2, 1], [0, 2, 2, 2, 0], [4, 1, 2, 3]) == ([3], [4, 1, 2])
