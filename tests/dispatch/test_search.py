"""The numba SISR search (engine.dispatch.search.improve): optimality on tiny cases, every side constraint, determinism."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.dispatch.search import improve


def routes_cost(res: improve.SearchResult) -> tuple[list[list[int]], float]:
    return res.routes, res.cost


def make_arrays(
    xy: np.ndarray,
    n_depots: int,
    n_veh: int,
    *,
    demand: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    tw: np.ndarray | None = None,
    service: int = 0,
    v_start: list[int] | None = None,
    v_end: list[int] | None = None,
    max_duration: list[int] | None = None,
    fixed: list[float] | None = None,
    cost_per_s: list[float] | None = None,
    compat: np.ndarray | None = None,
    penalty: np.ndarray | None = None,
    windows: tuple = (),
    horizon: int = 100_000,
) -> VrpArrays:
    n = len(xy)
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int32)
    dem = np.ones((n, 1), dtype=np.int32) if demand is None else demand.astype(np.int32)
    dem[:n_depots] = 0
    tws = np.zeros(n, dtype=np.int32) if tw is None else tw[:, 0].astype(np.int32)
    twe = np.full(n, horizon, dtype=np.int32) if tw is None else tw[:, 1].astype(np.int32)
    svc = np.full(n, service, dtype=np.int32)
    svc[:n_depots] = 0
    pen = np.full(n, 10**9, dtype=np.int64) if penalty is None else penalty.astype(np.int64)
    pen[:n_depots] = 0
    return VrpArrays(
        n_depots=n_depots, durations=d, distances=d.copy(), service=svc, tw_start=tws, tw_end=twe, demand=dem,
        v_start=np.asarray(v_start or [0] * n_veh, dtype=np.int32),
        v_end=np.asarray(v_end or [0] * n_veh, dtype=np.int32),
        v_capacity=(np.full((n_veh, dem.shape[1]), 1000, dtype=np.int32) if capacity is None else capacity.astype(np.int32)),
        v_tw_start=np.zeros(n_veh, dtype=np.int32), v_tw_end=np.full(n_veh, horizon, dtype=np.int32),
        v_max_duration=np.asarray(max_duration or [INT_INF] * n_veh, dtype=np.int32),
        v_fixed_cost=np.asarray(fixed or [0.0] * n_veh, dtype=np.float64),
        v_cost_per_m=np.ones(n_veh, dtype=np.float64),
        v_cost_per_s=np.asarray(cost_per_s or [0.0] * n_veh, dtype=np.float64),
        compat=np.ones((n_veh, n), dtype=bool) if compat is None else compat,
        penalty=pen, windows=windows,
    )


def _end_time(a: VrpArrays, v: int, route: list[int], depart: int) -> int | None:
    """Return time when leaving at ``depart`` (None if a window or the return deadline is missed)."""
    path = [int(a.v_start[v]), *route, int(a.v_end[v])]
    t = depart
    for x, y in zip(path[:-1], path[1:-1]):
        t += int(a.service[x]) + int(a.durations[x, y])
        for ws, we in sorted(a.windows[y]):
            if t <= we:
                t = max(t, ws)
                break
        else:
            return None
    t += int(a.service[path[-2]]) + int(a.durations[path[-2], path[-1]])
    return t if t <= min(int(a.v_tw_end[v]), int(a.tw_end[path[-1]])) else None


def route_ok(a: VrpArrays, v: int, route: list[int]) -> bool:
    """Windows, capacity, compatibility and max duration (best departure time) of one route."""
    if not all(a.compat[v, j] for j in route) or np.any(a.demand[route].sum(axis=0) > a.v_capacity[v]):
        return False
    # The shortest duration departs at the shift start or so as to reach some job exactly at a window start.
    earliest = max(int(a.v_tw_start[v]), int(a.tw_start[a.v_start[v]]))
    candidates = {earliest}
    offset = 0
    path = [int(a.v_start[v]), *route]
    for x, y in zip(path, path[1:]):
        offset += int(a.service[x]) + int(a.durations[x, y])
        candidates.update(ws - offset for ws, _ in a.windows[y])
    for depart in sorted(candidates):
        if not earliest <= depart <= int(a.v_tw_end[v]):
            continue
        end = _end_time(a, v, route, depart)
        if end is not None and end - depart <= int(a.v_max_duration[v]):
            return True
    return False


def check_solution(a: VrpArrays, routes: list[list[int]]) -> float:
    """Feasibility by a slow independent evaluator; returns route cost (no waiting cost) + penalties."""
    assert len(routes) == a.n_vehicles
    seen = [j for r in routes for j in r]
    assert len(seen) == len(set(seen)), "a job is visited twice"
    assert all(a.n_depots <= j < a.n_nodes for j in seen)
    total = 0.0
    for v, r in enumerate(routes):
        if r:
            assert route_ok(a, v, r), f"route of vehicle {v} infeasible: {r}"
            total += a.route_cost(v, r)
    missing = set(range(a.n_depots, a.n_nodes)) - set(seen)
    return total + float(sum(a.penalty[j] for j in missing))


def brute_force(a: VrpArrays) -> float:
    """Optimum over every split of the jobs into ordered routes (tiny instances only)."""
    jobs = list(range(a.n_depots, a.n_nodes))
    nv = a.n_vehicles
    best = np.inf
    for perm in itertools.permutations(jobs):
        for cuts in itertools.combinations_with_replacement(range(len(jobs) + 1), nv - 1):
            bounds = [0, *cuts, len(jobs)]
            routes = [list(perm[bounds[i] : bounds[i + 1]]) for i in range(nv)]
            cost = 0.0
            for v, r in enumerate(routes):
                if r:
                    _, ok = a.route_schedule(v, r)
                    if not ok:
                        break
                    cost += a.route_cost(v, r)
            else:
                best = min(best, cost)
    return best


def random_tw_instance(seed: int, n_jobs: int, n_veh: int) -> VrpArrays:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(n_jobs + 1, 2))
    xy[0] = 50
    start = rng.integers(0, 250, size=n_jobs + 1)
    tw = np.stack([start, start + rng.integers(80, 300, size=n_jobs + 1)], axis=1)
    tw[0] = (0, 1000)
    demand = rng.integers(1, 5, size=(n_jobs + 1, 1))
    return make_arrays(xy, 1, n_veh, demand=demand, capacity=np.full((n_veh, 1), 12), tw=tw, service=5, horizon=1000)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_finds_brute_force_optimum_on_tiny_instances(seed: int) -> None:
    a = random_tw_instance(seed, 6, 2)
    opt = brute_force(a)
    assert np.isfinite(opt)
    routes, cost = routes_cost(improve.search(a, time_limit=0, seed=0, max_iterations=3000))
    assert check_solution(a, routes) == pytest.approx(cost)
    assert cost == pytest.approx(opt)


def test_rich_constraints_are_respected() -> None:
    rng = np.random.default_rng(7)
    n_jobs, nd, nv = 40, 2, 5
    xy = rng.uniform(0, 100, size=(nd + n_jobs, 2))
    demand = rng.integers(1, 6, size=(nd + n_jobs, 2))
    capacity = np.array([[30, 20], [30, 20], [15, 40], [60, 60], [10, 10]])
    compat = np.ones((nv, nd + n_jobs), dtype=bool)
    compat[:, nd : nd + 8] = False
    compat[2, nd : nd + 8] = True  # jobs 0..7 need vehicle 2's skill
    start = rng.integers(0, 600, size=nd + n_jobs)
    tw = np.stack([start, start + 300], axis=1)
    tw[:nd] = (0, 2000)
    a = make_arrays(
        xy, nd, nv, demand=demand, capacity=capacity, tw=tw, service=10, v_start=[0, 0, 1, 1, 0],
        v_end=[0, 1, 1, 0, 0], max_duration=[700, INT_INF, 900, INT_INF, 400], fixed=[100, 100, 50, 300, 0],
        compat=compat, horizon=2000,
    )
    routes, cost = routes_cost(improve.search(a, time_limit=0, seed=3, max_iterations=3000))
    assert check_solution(a, routes) == pytest.approx(cost)
    for v, r in enumerate(routes):
        assert all(compat[v, j] for j in r)
        assert (a.demand[r].sum(axis=0) <= capacity[v]).all() if r else True
    # heavy penalties: a job is left out only if no route has room for it anywhere
    missing = set(range(nd, nd + n_jobs)) - {j for r in routes for j in r}
    assert len(missing) < 8
    for j in missing:
        for v, r in enumerate(routes):
            assert not any(route_ok(a, v, r[:k] + [j] + r[k:]) for k in range(len(r) + 1))


def test_max_duration_binds() -> None:
    xy = np.array([[0, 0], [100, 0], [0, 100], [-100, 0], [0, -100]], dtype=float)
    free = make_arrays(xy, 1, 2)
    tight = make_arrays(xy, 1, 2, max_duration=[450, 450])
    r_free, _ = routes_cost(improve.search(free, time_limit=0, seed=0, max_iterations=500))
    r_tight, _ = routes_cost(improve.search(tight, time_limit=0, seed=0, max_iterations=500))
    assert max(len(r) for r in r_free) == 4  # one tour is cheapest without the limit
    assert sorted(len(r) for r in r_tight) == [2, 2]  # 4 jobs * ~141..200 per leg exceed 450 on one route
    for v, r in enumerate(r_tight):
        assert route_ok(tight, v, r)


def test_optional_jobs_follow_their_penalty() -> None:
    xy = np.array([[0, 0], [10, 0], [0, 10], [500, 500]], dtype=float)
    cheap = make_arrays(xy, 1, 1, penalty=np.array([0, 10**6, 10**6, 50]))
    dear = make_arrays(xy, 1, 1, penalty=np.array([0, 10**6, 10**6, 10**6]))
    r1, c1 = routes_cost(improve.search(cheap, time_limit=0, seed=0, max_iterations=300))
    r2, c2 = routes_cost(improve.search(dear, time_limit=0, seed=0, max_iterations=300))
    assert 3 not in r1[0] and c1 == pytest.approx(check_solution(cheap, r1))
    assert 3 in r2[0] and c2 == pytest.approx(check_solution(dear, r2))
    res = improve.search(cheap, time_limit=0, seed=0, max_iterations=300)
    assert res.unassigned == [3]


def test_cheap_hand_offs_do_not_keep_routes_closed() -> None:
    # Ten jobs in a cluster 100 out; a route costs 300 fixed + about 210 of distance.  Opening
    # a route for any one job (about 500) loses to its penalty, so a start built with the real
    # penalties drops all ten.  One route for all ten (about 510) is still the better plan when
    # a drop costs 60 (600 in all), and the worse one when it costs 40 (400).
    xy = np.array([[0, 0]] + [[100 + i, (i % 3)] for i in range(10)], dtype=float)
    for pen, routed in ((40, 0), (60, 10)):
        a = make_arrays(xy, 1, 2, fixed=[300, 300], penalty=np.array([0] + [pen] * 10))
        res = improve.search(a, time_limit=0, seed=0, max_iterations=300)
        assert sum(len(r) for r in res.routes) == routed, pen
        assert res.cost == pytest.approx(check_solution(a, res.routes))


def test_unreachable_job_is_left_out_not_crashed() -> None:
    xy = np.array([[0, 0], [10, 0], [20, 0]], dtype=float)
    tw = np.array([[0, 1000], [0, 1000], [0, 5]])  # job 2 closes before anyone can get there
    a = make_arrays(xy, 1, 2, tw=tw, horizon=1000)
    res = improve.search(a, time_limit=0, seed=0, max_iterations=100)
    assert res.unassigned == [2]
    assert res.routes[0] == [1] or res.routes[1] == [1]


def test_depot_opening_bounds_the_departure() -> None:
    xy = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    tw = np.array([[500, 1000], [0, 505], [0, 520]])  # depot opens at 500: job 1 (due 505) is out of reach
    a = make_arrays(xy, 1, 2, tw=tw, horizon=1000)
    res = improve.search(a, time_limit=0, seed=0, max_iterations=100)
    assert res.unassigned == [1]
    assert check_solution(a, res.routes) == pytest.approx(res.cost)


def test_fixed_cost_and_cost_per_second() -> None:
    # two clusters: with a big fixed cost one vehicle serves both, without it two do
    xy = np.array([[0, 0], [100, 1], [100, -1], [-100, 1], [-100, -1]], dtype=float)
    tw = np.array([[0, 10_000], [0, 10_000], [0, 10_000], [0, 10_000], [0, 10_000]])
    a = make_arrays(xy, 1, 2, tw=tw, fixed=[1000, 1000], cost_per_s=[0.5, 0.5], horizon=10_000)
    routes, cost = routes_cost(improve.search(a, time_limit=0, seed=0, max_iterations=500))
    assert sum(1 for r in routes if r) == 1
    # cost = fixed + distance + 0.5 * duration (no waiting here: duration = travel time)
    r = next(r for r in routes if r)
    v = routes.index(r)
    dist = a.route_cost(v, r) - 1000  # route_cost counts fixed + metres + seconds of travel
    assert cost == pytest.approx(1000 + dist)


def test_multi_window_jobs() -> None:
    xy = np.array([[0, 0], [10, 0], [20, 0], [30, 0]], dtype=float)
    tw = np.array([[0, 1000], [0, 1000], [0, 1000], [0, 1000]])
    wins = ((( 0, 1000),), ((0, 5), (200, 300)), ((0, 1000),), ((0, 1000),))
    a = make_arrays(xy, 1, 1, tw=tw, windows=wins, horizon=1000)
    routes, _ = routes_cost(improve.search(a, time_limit=0, seed=0, max_iterations=300))
    arrivals, ok = a.route_schedule(0, routes[0])
    assert ok and sorted(routes[0]) == [1, 2, 3]
    pos = routes[0].index(1) + 1
    assert 200 <= arrivals[pos] <= 300


def test_initial_routes_are_repaired_and_improved() -> None:
    a = random_tw_instance(11, 12, 3)
    jobs = list(range(1, 13))
    bad = [jobs[::-1], [], []]  # one long route in a poor order: breaks capacity and windows
    routes, cost = routes_cost(improve.search(a, bad, time_limit=0, seed=0, max_iterations=2000))
    assert check_solution(a, routes) == pytest.approx(cost)
    with pytest.raises(ValueError, match="twice"):
        improve.search(a, [[1, 2], [2]], time_limit=0, max_iterations=10)
    with pytest.raises(ValueError, match="not a job node"):
        improve.search(a, [[0, 1]], time_limit=0, max_iterations=10)
    with pytest.raises(ValueError, match="initial routes for 3 vehicles"):
        improve.search(a, [[1], [2], [3], [4]], time_limit=0, max_iterations=10)


def test_deterministic_given_seed_and_iterations() -> None:
    a = random_tw_instance(5, 30, 6)
    r1, c1 = routes_cost(improve.search(a, time_limit=0, seed=42, max_iterations=1500))
    r2, c2 = routes_cost(improve.search(a, time_limit=0, seed=42, max_iterations=1500))
    assert r1 == r2 and c1 == c2
    r3, c3 = routes_cost(improve.search(a, time_limit=0, seed=43, max_iterations=1500))
    assert check_solution(a, r3) == pytest.approx(c3)


def test_two_threads_return_a_feasible_best() -> None:
    a = random_tw_instance(9, 30, 6)
    res = improve.search(a, time_limit=0, seed=1, threads=2, max_iterations=1000)
    assert check_solution(a, res.routes) == pytest.approx(res.cost)
    assert res.iterations == 2000


def test_bad_arguments() -> None:
    a = random_tw_instance(1, 5, 2)
    with pytest.raises(ValueError, match="time_limit"):
        improve.search(a, time_limit=0)
    with pytest.raises(ValueError, match="threads"):
        improve.search(a, time_limit=1, threads=0)
    assert improve.supports(a)


def test_degenerate_sizes() -> None:
    no_jobs = make_arrays(np.array([[0.0, 0.0]]), 1, 2)
    assert routes_cost(improve.search(no_jobs, time_limit=0, max_iterations=10)) == ([[], []], 0.0)
    one_job = make_arrays(np.array([[0.0, 0.0], [3.0, 4.0]]), 1, 2)
    routes, cost = routes_cost(improve.search(one_job, time_limit=0, max_iterations=10))
    assert sorted(routes) == [[], [1]] and cost == 10.0
    no_vehicles = make_arrays(np.array([[0.0, 0.0], [3.0, 4.0]]), 1, 0, capacity=np.zeros((0, 1)))
    res = improve.search(no_vehicles, time_limit=0, max_iterations=10)
    assert res.routes == [] and res.unassigned == [1] and res.cost == 1e9


def test_under_a_clock_the_search_ends_when_its_cooling_schedule_does() -> None:
    """A small problem answers long before its time limit, once its annealing has cooled."""
    import time

    from engine.dispatch.params import SearchParams

    a = random_tw_instance(4, 20, 5)
    t = time.perf_counter()
    res = improve.search(a, time_limit=30, seed=0)
    assert time.perf_counter() - t < 5.0
    assert res.converged and res.iterations == improve.cooling_limit(20, SearchParams()) == int(SearchParams().cooling_iterations * 20**2)
    assert check_solution(a, res.routes) == pytest.approx(res.cost)


def test_cooling_schedule_grows_faster_than_the_square_above_cooling_jobs() -> None:
    """Up to ``cooling_jobs`` jobs the schedule is the quadratic one; at twice that, twice the quadratic one."""
    from engine.dispatch.params import SearchParams

    p = SearchParams()
    assert improve.cooling_limit(2, p) == 5_000
    assert improve.cooling_limit(p.cooling_jobs, p) == int(p.cooling_iterations * p.cooling_jobs**2)
    assert improve.cooling_limit(2 * p.cooling_jobs, p) == int(2 * p.cooling_iterations * (2 * p.cooling_jobs) ** 2)
    assert improve.cooling_limit(200, SearchParams(cooling_jobs=400)) == int(p.cooling_iterations * 200**2)


def test_under_a_clock_a_long_stall_does_not_end_the_search() -> None:
    """The stall counter is for iteration budgets: while the annealing is hot, no new best for a
    long while is normal (it stopped Solomon R205 at 3.7 s of 9 with a 1.3% gap)."""
    from engine.dispatch.params import SearchParams

    a = random_tw_instance(6, 60, 16)
    res = improve.search(a, time_limit=0.5, seed=0, params=SearchParams(stall_iterations=1))
    assert not res.converged and res.seconds >= 0.45
    # under an iteration budget the same setting still ends the search at its stall limit
    res = improve.search(a, time_limit=0, seed=0, max_iterations=200_000, params=SearchParams(stall_iterations=1))
    assert res.converged and res.iterations < 200_000


def test_open_route_cuts_a_route_where_the_depot_detour_is_shortest() -> None:
    """``kernels._open_route``: one van drives two petals; the split gives the second petal to the empty van."""
    from engine.dispatch.search import kernels as K
    from engine.dispatch.search.problem import build_problem

    xy = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [0.0, 20.0], [0.0, 10.0]])
    a = make_arrays(xy, 1, 2)
    P = build_problem(a)
    S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    route = [1, 2, 3, 4]
    S.seq[0, 1 : 1 + len(route)] = route
    S.rlen[0] = len(route)
    K._update_route(P, S, 0)
    K._update_route(P, S, 1)
    touched = np.array([1, 0], dtype=np.int8)
    rem = np.empty(a.n_nodes, dtype=np.int32)
    rng = np.array([12345], dtype=np.uint64)
    n_rem = K._open_route(P, S, rng, touched, rem, 0)
    assert n_rem == 0
    assert S.seq[0, 1 : 1 + S.rlen[0]].tolist() == [1, 2] and S.seq[1, 1 : 1 + S.rlen[1]].tolist() == [3, 4]
    assert S.seq[0, S.rlen[0] + 1] == 0 and S.seq[1, S.rlen[1] + 1] == 0  # both end at the depot
    assert touched.tolist() == [1, 1] and S.node_route[3] == 1 and S.node_pos[3] == 1
    assert S.rcost[0] + S.rcost[1] == pytest.approx(check_solution(a, [[1, 2], [3, 4]]))
    # no empty van of the class: nothing moves
    n_rem = K._open_route(P, S, rng, np.array([1, 1], dtype=np.int8), rem, 0)
    assert n_rem == 0 and S.rlen.tolist() == [2, 2]


def test_search_with_route_splits_stays_feasible_and_costs_what_it_says() -> None:
    """Splits in half of the iterations: every plan still checks out, and no job is lost to them."""
    from engine.dispatch.params import SearchParams

    a = random_tw_instance(8, 60, 11)
    plain = improve.search(a, time_limit=0, seed=3, max_iterations=3_000, params=SearchParams(open_rate=0.0))
    res = improve.search(a, time_limit=0, seed=3, max_iterations=3_000, params=SearchParams(open_rate=0.5, open_min_jobs=0.0))
    assert check_solution(a, res.routes) == pytest.approx(res.cost)
    routed = sorted(c for r in res.routes for c in r)
    assert sorted(routed + res.unassigned) == list(range(a.n_depots, a.n_nodes))
    assert len(res.unassigned) <= len(plain.unassigned)


def test_route_splits_wait_for_long_routes() -> None:
    """Below ``open_min_jobs`` jobs a route the split neither runs nor draws a random number."""
    from engine.dispatch.params import SearchParams

    a = random_tw_instance(8, 60, 11)
    run = lambda **kw: improve.search(a, time_limit=0, seed=3, max_iterations=2_000, params=SearchParams(**kw))  # noqa: E731
    plain = run(open_rate=0.0)
    gated = run(open_rate=1.0, open_min_jobs=1e9)
    assert gated.routes == plain.routes and gated.cost == plain.cost
    # the same rate with the gate open changes the search (so the comparison above can fail)
    assert run(open_rate=1.0, open_min_jobs=0.0).routes != plain.routes


def _same_route_caches(K, P, a: VrpArrays, S, v: int) -> None:
    """Route ``v``'s caches in ``S`` are what ``_update_route`` computes from scratch."""
    L = int(S.rlen[v])
    ref = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    ref.seq[v, : L + 2] = S.seq[v, : L + 2]
    ref.rlen[v] = L
    K._update_route(P, ref, v)
    assert S.es[v, : L + 2].tolist() == ref.es[v, : L + 2].tolist()
    assert S.ls[v, : L + 2].tolist() == ref.ls[v, : L + 2].tolist()
    assert S.rcost[v] == pytest.approx(ref.rcost[v], rel=1e-12)
    assert S.load[v].tolist() == ref.load[v].tolist() and S.rmulti[v] == ref.rmulti[v]
    for x in S.seq[v, 1 : L + 1]:
        assert S.node_route[x] == v and ref.node_pos[x] == S.node_pos[x]


@pytest.mark.parametrize("multi", [False, True])
def test_an_insertion_updates_the_route_as_a_full_reschedule_would(multi: bool) -> None:
    """``kernels._update_inserted`` (the schedule from the new job on, until it meets the old
    one) leaves every cache as ``_update_route`` computes it from scratch."""
    from engine.dispatch.search import kernels as K
    from engine.dispatch.search.problem import build_problem

    a = random_tw_instance(5, 40, 6)
    if multi:
        wins = tuple(((int(s), int(e)),) for s, e in zip(a.tw_start, a.tw_end))
        wins = wins[:7] + (((0, 60), (200, 900)),) + wins[8:]
        a = dataclasses.replace(a, windows=wins)
    # asymmetric driving times, and every part of the cost priced (distance, driving, service)
    a = dataclasses.replace(
        a, durations=(a.durations + np.triu(np.ones_like(a.durations)) * 3).astype(np.int32),
        v_cost_per_s=np.full(a.n_vehicles, 0.25), v_cost_per_service_s=np.full(a.n_vehicles, 0.5),
    )
    P = build_problem(a)
    S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    for v in range(a.n_vehicles):
        K._update_route(P, S, v)
    rng = np.array([99], dtype=np.uint64)
    C = S.seq.shape[1]
    tseq, tes, tls = np.empty(C + 1, dtype=np.int32), np.empty(C + 1, dtype=np.int64), np.empty(C + 1, dtype=np.int64)
    seen = np.zeros(a.n_vehicles + 1, dtype=np.int64)
    jver, jthr = np.empty((0, 0), dtype=np.int64), np.empty(0, dtype=np.float64)
    checked = 0
    for stamp, c in enumerate(np.random.default_rng(1).permutation(np.arange(1, a.n_nodes)), start=1):
        v, k = K._best_insertion(P, S, int(c), 0.0, rng, stamp, seen, tseq, tes, tls, jver, jthr, False)
        if v < 0:
            continue
        was_empty = S.rlen[v] == 0
        K._insert(P, S, v, k, int(c))
        _same_route_caches(K, P, a, S, v)
        checked += not was_empty
    assert checked >= 20  # most insertions went into routes that had jobs (the incremental path)


def test_a_refused_move_stops_its_recreate_and_changes_nothing() -> None:
    """``kernels._recreate`` with a limit below what the plan costs stops and says so; the
    annealing then restores the routes, so the search's plans are as feasible as ever."""
    from engine.dispatch.search import kernels as K
    from engine.dispatch.search.problem import build_problem, with_neighbours

    a = random_tw_instance(6, 30, 6)
    P = with_neighbours(build_problem(a), a)
    S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    for v in range(a.n_vehicles):
        K._update_route(P, S, v)
    C = S.seq.shape[1]
    rem = np.arange(1, a.n_nodes, dtype=np.int32)
    args = (np.array([7], dtype=np.uint64), 0.0, np.zeros(a.n_vehicles, dtype=np.int8), np.zeros(1, dtype=np.int64),
            np.zeros(a.n_vehicles + 1, dtype=np.int64), np.empty(a.n_nodes + 1), np.empty(C + 1, dtype=np.int32),
            np.empty(C + 1, dtype=np.int64), np.empty(C + 1, dtype=np.int64), 0, np.empty((0, 0), dtype=np.int64),
            np.empty(0), np.empty(1, dtype=np.int64))
    assert K._recreate(P, S, rem.copy(), len(rem), *args, 100.0)
    placed = int(S.rlen.sum()) + int(S.nunas[0])
    assert 0 < placed < len(rem) and S.rcost.sum() + S.pen[0] >= 100.0
    S2 = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    for v in range(a.n_vehicles):
        K._update_route(P, S2, v)
    assert not K._recreate(P, S2, rem.copy(), len(rem), *args, np.inf)
    assert int(S2.rlen.sum()) + int(S2.nunas[0]) == len(rem)
    res = improve.search(a, time_limit=0, seed=2, max_iterations=3_000)
    assert check_solution(a, res.routes) == pytest.approx(res.cost)


def test_blink_gaps_skip_positions_as_independent_draws_would() -> None:
    """``kernels._blink_gap``: geometric gaps, so each position is skipped with chance ``blink``."""
    from engine.dispatch.search import kernels as K

    rng = np.array([2024], dtype=np.uint64)
    for blink in (0.01, 0.2):
        gaps = np.array([K._blink_gap(rng, blink) for _ in range(20_000)])
        assert gaps.min() == 0
        # mean of a geometric count of tries before the first skip: (1 - p) / p
        assert gaps.mean() == pytest.approx((1 - blink) / blink, rel=0.05)
    assert K._blink_gap(rng, 0.0) > 10**15 and K._blink_gap(rng, 1.0) == 0


def test_independent_runs_share_the_time_and_keep_the_best() -> None:
    """``SearchParams.runs``: under a clock, runs one after the other within the limit; the best is kept."""
    from engine.dispatch.params import SearchParams

    a = random_tw_instance(4, 60, 20)
    # every job mandatory, as on Solomon (optional jobs race two starts instead)
    a = dataclasses.replace(a, penalty=np.where(np.arange(a.n_nodes) < a.n_depots, 0, 10**12).astype(np.int64))
    assert not improve.over_full(a, None)
    seen: list[float] = []
    res = improve.search(a, time_limit=1.5, seed=1, params=SearchParams(runs=3, run_iterations=1.0, cooling_iterations=1e6),
                         on_progress=lambda _t, c: seen.append(c))
    assert res.seconds < 1.5 + 0.3
    assert check_solution(a, res.routes) == pytest.approx(res.cost)
    assert sorted([c for r in res.routes for c in r] + res.unassigned) == list(range(a.n_depots, a.n_nodes))
    # each run reports its own progress: a later run starts above the best so far
    assert any(later > earlier for earlier, later in zip(seen, seen[1:]))
    assert min(seen) == pytest.approx(res.cost)
    # the trajectory restarts are hidden: best-so-far only goes down, and ends at the result
    costs = [c for _, c in res.trajectory]
    assert costs == sorted(costs, reverse=True) and costs[-1] == pytest.approx(res.cost)
    # an iteration budget keeps one run (the deterministic stop stays as it was)
    one = improve.search(a, time_limit=0, seed=1, max_iterations=2_000)
    three = improve.search(a, time_limit=0, seed=1, max_iterations=2_000, params=SearchParams(runs=3))
    assert one.routes == three.routes
    # a time that holds fewer iterations than a run needs: one run, whose best only goes down
    seen.clear()
    improve.search(a, time_limit=0.5, seed=1, params=SearchParams(runs=3, run_iterations=1e9), on_progress=lambda _t, c: seen.append(c))
    assert seen == sorted(seen, reverse=True)
