"""The descent that finishes a search (engine.dispatch.search.descent)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.dispatch.arrays import VrpArrays
from engine.dispatch.params import SearchParams
from engine.dispatch.search import descent as D
from engine.dispatch.search import improve
from engine.dispatch.search import kernels as K
from engine.dispatch.search.problem import build_problem, with_neighbours
from tests.dispatch.test_search import brute_force, check_solution, make_arrays, random_tw_instance, route_ok


def _rows(a: VrpArrays, routes: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    seq = np.zeros((a.n_vehicles, a.n_jobs + 2), dtype=np.int32)
    lens = np.zeros(a.n_vehicles, dtype=np.int32)
    for v, r in enumerate(routes):
        seq[v, 0] = a.v_start[v]
        seq[v, 1 : len(r) + 1] = r
        seq[v, len(r) + 1] = a.v_end[v]
        lens[v] = len(r)
    return seq, lens


def _descend(a: VrpArrays, routes: list[list[int]], k: int = 40) -> tuple[list[list[int]], int, float, float]:
    """Routes after the descent, its moves, its reported change and the routes' cost before."""
    params = SearchParams()
    P = with_neighbours(build_problem(a, params), a, params)
    S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    before = D.load_routes(P, S, *_rows(a, routes))
    moves, change = D.descend(P, S, k, 50)
    after = [S.seq[v, 1 : 1 + S.rlen[v]].tolist() for v in range(a.n_vehicles)]
    assert float(S.rcost.sum()) == pytest.approx(before + change)
    return after, int(moves), float(change), before


def _variants() -> dict[str, VrpArrays]:
    base = random_tw_instance(11, 60, 8)
    n, nv = base.n_nodes, base.n_vehicles
    base = dataclasses.replace(base, v_capacity=np.full((nv, 1), 30, dtype=np.int32))
    rng = np.random.default_rng(3)
    compat = np.ones((nv, n), dtype=bool)
    compat[0, rng.choice(np.arange(1, n), 15, replace=False)] = False
    wins = tuple(((int(s), int(e)),) for s, e in zip(base.tw_start, base.tw_end))
    wins = wins[:5] + (((0, 40), (300, 700)),) + wins[6:9] + (((100, 150), (400, 800)),) + wins[10:]
    asym = (base.durations + np.triu(np.ones_like(base.durations)) * 4).astype(np.int32)
    return {
        "plain": base,
        # vehicles that cost differently, a compatibility mask, asymmetric times
        "mixed": dataclasses.replace(
            base, durations=asym, profile_durations=asym[None], compat=compat, v_fixed_cost=np.linspace(0, 70, nv),
            v_cost_per_s=np.linspace(0.0, 0.5, nv), v_cost_per_m=np.linspace(1.0, 1.6, nv),
        ),
        "multi_window": dataclasses.replace(base, windows=wins),
        "max_duration": dataclasses.replace(base, v_max_duration=np.full(nv, 420, dtype=np.int32)),
        "two_dims": dataclasses.replace(
            base, demand=np.concatenate([base.demand, rng.integers(0, 4, (n, 1)).astype(np.int32)], axis=1),
            v_capacity=np.concatenate([base.v_capacity, np.full((nv, 1), 9, dtype=np.int32)], axis=1),
        ),
    }


@pytest.mark.parametrize("name", ["plain", "mixed", "multi_window", "max_duration", "two_dims"])
def test_the_descent_keeps_every_rule_and_costs_what_it_says(name: str) -> None:
    a = _variants()[name]
    if name == "two_dims":
        a.demand[: a.n_depots] = 0
    # a poor start: the construction and one iteration
    start = improve.search(a, time_limit=0, seed=1, max_iterations=1, params=SearchParams(descent_neighbours=0))
    before_cost = check_solution(a, start.routes)
    after, moves, change, before = _descend(a, start.routes)
    after_cost = check_solution(a, after)  # an independent evaluator: windows, capacity, compatibility, duration
    assert sorted(j for r in after for j in r) == sorted(j for r in start.routes for j in r)
    assert moves > 0 and change < 0
    assert after_cost - before_cost == pytest.approx(change, rel=1e-9, abs=1e-6)
    # a local optimum: a second descent finds nothing
    _, again, _, _ = _descend(a, after)
    assert again == 0


def test_the_descent_untangles_two_crossing_routes() -> None:
    """Two routes that cross (each serves one near and one far job on opposite sides): an
    exchange of tails or a swap gives the optimum, which single re-insertions reach only
    through a worse plan."""
    xy = np.array([[0, 0], [10, 10], [40, 10], [10, -10], [40, -10]], dtype=float)
    a = make_arrays(xy, 1, 2, capacity=np.full((2, 1), 2))
    crossed = [[1, 4], [3, 2]]
    after, moves, change, before = _descend(a, crossed)
    assert moves >= 1 and change < 0
    assert check_solution(a, after) == pytest.approx(brute_force(a))


def test_the_descent_reverses_a_crossed_stretch_of_one_route() -> None:
    ang = np.linspace(0, 2 * np.pi, 7)[:-1]
    xy = np.vstack([[0.0, 0.0], np.stack([50 + 30 * np.cos(ang), 30 * np.sin(ang)], axis=1)])
    a = make_arrays(xy, 1, 1)
    tangled = [[1, 2, 5, 4, 3, 6]]  # 2-5 and 3-6 cross
    after, moves, _, _ = _descend(a, tangled)
    assert moves >= 1
    assert check_solution(a, after) == pytest.approx(brute_force(a))


def test_a_search_ends_no_worse_with_its_descent() -> None:
    a = random_tw_instance(4, 80, 10)
    off = improve.search(a, time_limit=0, seed=2, max_iterations=3000, params=SearchParams(descent_neighbours=0))
    on = improve.search(a, time_limit=0, seed=2, max_iterations=3000)
    assert check_solution(a, on.routes) == pytest.approx(on.cost)
    assert on.cost <= off.cost + 1e-9


def test_descending_the_current_solution_keeps_the_search_consistent(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the descent applied during the search (``descent_from`` 0), the best routes are
    feasible and cost what the search reports.  The annealing runs cold, so that the current
    solution is the best at the end of chunks and the descent runs on it (checked)."""
    a = _variants()["mixed"]
    during: list[int] = []
    real = improve._Run.descend_current

    def counted(self: improve._Run, deadline: float) -> None:
        before = self.cur_seq.copy()
        real(self, deadline)
        during.append(int((self.cur_seq != before).any()))

    monkeypatch.setattr(improve._Run, "descend_current", counted)
    # without the descent after every recreate, which would leave this one nothing to do
    cold = SearchParams(descent_from=0.0, t_start=1e-6, t_end=1e-7, ls_neighbours=0)
    res = improve.search(a, time_limit=0, seed=5, max_iterations=4000, params=cold)
    assert sum(during) > 0  # the descent changed the current solution during the search
    assert check_solution(a, res.routes) == pytest.approx(res.cost)


def test_pairs_and_fixed_steps_are_left_alone() -> None:
    a = random_tw_instance(4, 10, 2)
    P = build_problem(a)
    assert D.applies(P)
    assert not D.applies(P._replace(pdp=True)) and not D.applies(P._replace(fix_on=True))


def _cost(a: VrpArrays, v: int, r: list[int]) -> float:
    """A route's cost by the independent evaluator (inf if it breaks a rule); an empty route costs nothing."""
    if not r:
        return 0.0
    return a.route_cost(v, r) if route_ok(a, v, r) else np.inf


def _alike(a: VrpArrays, v: int, w: int) -> bool:
    svc = a.v_cost_per_service_s
    return bool(
        a.v_cost_per_m[v] == a.v_cost_per_m[w] and a.v_cost_per_s[v] == a.v_cost_per_s[w]
        and (svc is None or svc[v] == svc[w]) and a.v_end[v] == a.v_end[w] and a.v_profile[v] == a.v_profile[w]
    )


def _improving_moves(a: VrpArrays, routes: list[list[int]]) -> list[str]:
    """Every move of the descent's kinds, enumerated without its pricing shortcut, that
    lowers the cost of a feasible plan (it tries each job against all others here)."""
    found = []
    old = [_cost(a, v, r) for v, r in enumerate(routes)]
    for v, r in enumerate(routes):
        for w, q in enumerate(routes):
            if not r or not q:
                continue
            base = old[v] + (old[w] if w != v else 0.0)
            if v == w:
                for i in range(len(r)):
                    rest = r[:i] + r[i + 1 :]
                    for k in range(len(rest) + 1):
                        if k != i and _cost(a, v, rest[:k] + [r[i]] + rest[k:]) < base - 1e-6:
                            found.append(f"relocate within {v}: {r[i]} to {k}")
                for lo in range(len(r)):
                    for hi in range(lo + 1, len(r)):
                        if _cost(a, v, r[:lo] + r[lo : hi + 1][::-1] + r[hi + 1 :]) < base - 1e-6:
                            found.append(f"reverse {v}: {lo}..{hi}")
                continue
            for i, u in enumerate(r):
                rest = r[:i] + r[i + 1 :]
                for k in range(len(q) + 1):  # after the start or after any job of w
                    if _cost(a, v, rest) + _cost(a, w, q[:k] + [u] + q[k:]) < base - 1e-6:
                        found.append(f"relocate {u} from {v} to {w} at {k}")
                if i + 1 < len(r):
                    rest2 = r[:i] + r[i + 2 :]
                    for k in range(1, len(q) + 1):
                        if _cost(a, v, rest2) + _cost(a, w, q[:k] + r[i : i + 2] + q[k:]) < base - 1e-6:
                            found.append(f"relocate {r[i:i + 2]} from {v} to {w} at {k}")
                for j, x in enumerate(q):
                    if v < w and _cost(a, v, r[:i] + [x] + r[i + 1 :]) + _cost(a, w, q[:j] + [u] + q[j + 1 :]) < base - 1e-6:
                        found.append(f"swap {u} and {x}")
                    if _alike(a, v, w) and _cost(a, v, r[: i + 1] + q[j:]) + _cost(a, w, q[:j] + r[i + 1 :]) < base - 1e-6:
                        found.append(f"2-opt* {u} then {x}")
    return found


@pytest.mark.parametrize("name", ["plain", "mixed", "max_duration"])
def test_no_move_of_the_descents_kinds_is_left_when_every_job_is_a_neighbour(name: str) -> None:
    """The descent's pricing shortcut prunes no improving move: with every job a neighbour of
    every other, nothing that an exhaustive enumeration finds is left after it."""
    a = _variants()[name]
    start = improve.search(a, time_limit=0, seed=1, max_iterations=1, params=SearchParams(descent_neighbours=0))
    after, moves, _, _ = _descend(a, start.routes, k=a.n_nodes)
    assert moves > 0
    assert _improving_moves(a, after) == []


def test_a_route_emptied_by_the_descent_drops_its_fixed_cost() -> None:
    """Two vans each serving one job on opposite sides of the depot: one van serving both
    drives as far and saves a fixed cost, which only the emptied route's full cost shows."""
    xy = np.array([[0, 0], [10, 0], [-10, 0]], dtype=float)
    a = make_arrays(xy, 1, 2, fixed=[100.0, 100.0])
    after, moves, change, before = _descend(a, [[1], [2]])
    assert moves == 1 and change == pytest.approx(-100.0)
    assert sorted(len(r) for r in after) == [0, 2]


def test_the_descents_gain_is_reported_as_progress() -> None:
    """A caller following ``on_progress`` (the API's live plan) sees the final, descended cost."""
    a = random_tw_instance(4, 80, 10)
    seen: list[float] = []
    res = improve.search(a, time_limit=0, seed=2, max_iterations=3000, on_progress=lambda _t, c: seen.append(c))
    off = improve.search(a, time_limit=0, seed=2, max_iterations=3000, params=SearchParams(descent_neighbours=0))
    assert res.cost < off.cost  # the descent moved something here
    assert seen[-1] == pytest.approx(res.cost) and res.trajectory[-1][1] == pytest.approx(res.cost)


def test_descending_a_few_jobs_moves_only_their_routes_and_marks_them() -> None:
    """``kernels.descend_jobs`` (the descent inside the search) over a few jobs: every route it
    changes is marked touched, a route it does not change is not, the costs it reports add up."""
    a = _variants()["mixed"]
    start = improve.search(a, time_limit=0, seed=1, max_iterations=1, params=SearchParams(descent_neighbours=0))
    params = SearchParams()
    P = with_neighbours(build_problem(a, params), a, params)
    S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
    before = D.load_routes(P, S, *_rows(a, start.routes))
    seq0 = S.seq.copy()
    rl0 = S.rlen.copy()
    jobs = np.array([j for r in start.routes for j in r][::7], dtype=np.int32)
    touched = np.zeros(a.n_vehicles, dtype=np.int8)
    C = S.seq.shape[1]
    moves, change = K.descend_jobs(
        P, S, jobs, jobs.shape[0], 40, 3, touched, np.empty(C + 1, np.int32), np.empty(C + 1, np.int32),
        np.empty(C + 1, np.int64), np.empty(C + 1, np.int64), -1,
    )
    assert moves > 0 and change < 0
    changed = [v for v in range(a.n_vehicles) if rl0[v] != S.rlen[v] or (seq0[v, : rl0[v] + 2] != S.seq[v, : rl0[v] + 2]).any()]
    assert changed and set(changed) <= set(np.flatnonzero(touched).tolist())
    after = [S.seq[v, 1 : 1 + S.rlen[v]].tolist() for v in range(a.n_vehicles)]
    assert check_solution(a, after) == pytest.approx(before + change)
    assert float(S.rcost.sum()) == pytest.approx(before + change)


@pytest.mark.parametrize("name", ["plain", "mixed", "multi_window", "max_duration", "two_dims"])
def test_the_search_with_a_descent_after_every_recreate_keeps_every_rule(name: str) -> None:
    """``[search] ls_neighbours``: every complete recreate is descended before the annealing
    judges it; the routes stay feasible, cost what the search says, and the same seed gives the
    same routes.  The descent does change the search (other routes than without it)."""
    a = _variants()[name]
    if name == "two_dims":
        a.demand[: a.n_depots] = 0
    p = SearchParams(ls_neighbours=20, ls_passes=2, descent_neighbours=0)
    res = improve.search(a, time_limit=0, seed=3, max_iterations=1500, params=p)
    assert check_solution(a, res.routes) == pytest.approx(res.cost)
    again = improve.search(a, time_limit=0, seed=3, max_iterations=1500, params=p)
    assert again.routes == res.routes
    off = improve.search(a, time_limit=0, seed=3, max_iterations=1500, params=SearchParams(descent_neighbours=0))
    assert off.routes != res.routes


def test_the_descent_inside_the_search_adds_no_job_to_the_shortest_route() -> None:
    """``keep``: the route the ruin-and-recreate may be emptying (the shortest) gains no job
    from the descent, which still improves the others; without ``keep`` the same descent
    fills that route (so the guard is what holds it)."""
    a = _variants()["plain"]
    start = improve.search(a, time_limit=0, seed=1, max_iterations=1, params=SearchParams(descent_neighbours=0))
    params = SearchParams()
    P = with_neighbours(build_problem(a, params), a, params)
    grown = {}
    for keep in (True, False):
        S = K.new_state(a.n_nodes, a.n_vehicles, a.n_dims, a.n_jobs, pairs=False)
        before = D.load_routes(P, S, *_rows(a, start.routes))
        v = int(K._shortest_route(S.rlen))
        assert v >= 0 and S.rlen[v] == min(len(r) for r in start.routes if r)
        L0 = int(S.rlen[v])
        C = S.seq.shape[1]
        touched = np.zeros(a.n_vehicles, dtype=np.int8)
        moves, change = K.descend_jobs(
            P, S, P.jobs, P.jobs.shape[0], 40, 50, touched, np.empty(C + 1, np.int32), np.empty(C + 1, np.int32),
            np.empty(C + 1, np.int64), np.empty(C + 1, np.int64), v if keep else -1,
        )
        assert moves > 0 and change < 0
        after = [S.seq[u, 1 : 1 + S.rlen[u]].tolist() for u in range(a.n_vehicles)]
        assert check_solution(a, after) == pytest.approx(before + change)
        grown[keep] = int(S.rlen[v]) - L0
    assert grown[True] <= 0 < grown[False]


@pytest.mark.parametrize("run_iterations, mixed, ls_near", [(1.0, False, [0, 0]), (1.0, True, [0, 10]), (1e9, True, [10]), (1e9, False, [10])])
def test_the_descent_after_every_recreate_runs_only_when_the_time_holds_one_run(
    monkeypatch: pytest.MonkeyPatch, run_iterations: float, mixed: bool, ls_near: list[int],
) -> None:
    """``ls_scarce``: under a clock with time for two runs both run without the descent after
    every recreate (as the search did before it), or with ``ls_mixed`` the second has it;
    with time for one, that run has it."""
    a = random_tw_instance(4, 60, 20)
    a = dataclasses.replace(a, penalty=np.where(np.arange(a.n_nodes) < a.n_depots, 0, 10**12).astype(np.int64))
    seen: list[list[tuple[int, int]]] = []
    real = improve._restarts

    def spy(first: improve._Run, *args: object, **kw: object) -> list[improve._Run]:
        out = real(first, *args, **kw)
        seen.append([(r.ls_near, r.iterations) for r in out])
        return out

    monkeypatch.setattr(improve, "_restarts", spy)
    p = SearchParams(runs=2, run_iterations=run_iterations, cooling_iterations=1e6, ls_neighbours=10, ls_mixed=mixed)
    res = improve.search(a, time_limit=1.0, seed=1, params=p)
    assert check_solution(a, res.routes) == pytest.approx(res.cost)
    assert len(seen) == 1 and [near for near, _ in seen[0]] == ls_near
    assert all(its > 0 for _, its in seen[0])
