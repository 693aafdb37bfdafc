"""The dispatch pipeline: ``solve`` (a ``Problem`` to a ``Plan``) and ``solve_arrays`` (its search).

``solve``:

1. price carriers for every order (``carriers.quotes``): the cheapest eligible
   quote (+ risk weight * (1 - on-time probability) + a priority bonus) is the
   order's disjunction penalty; orders no carrier takes get a huge penalty
   (costs: ``engine.dispatch.cost``);
2. flatten to ``VrpArrays`` with a road-network or haversine matrix
   (``convert.from_problem``);
3. pre-check (``precheck.run``): orders no vehicle can serve skip the solver and go
   to a carrier, or are reported unassigned with the reason;
4. ``solve_arrays``: a first solution (the numba search's own when it models
   every constraint, else the best of a few OR-Tools strategies), the numba
   search (``engine.dispatch.search.improve``, when numba is installed), then
   OR-Tools' guided local search warm-started from the best routes.  Big days
   (above ``SolveParams.gls_max_jobs`` orders, or when building OR-Tools' model
   would take over a quarter of the time left) get the numba search alone, on
   the arrays as they are (breaks included), timed by ``engine.dispatch.schedule``;
5. when a carrier's daily capacity could bind, the carriers are in the model
   (``carriers.with_carriers``: an order goes to a carrier only while it has
   room, and is left out only when no vehicle and no carrier can take it);
   otherwise an order's penalty is its cheapest carrier's price.  Orders on no
   route and no carrier are unassigned with a reason.

What to tune is a ``SolveParams``, when to stop a criterion of
``engine.dispatch.stop``.  Determinism: OR-Tools runs single-threaded, so a
run stopped by a ``SolutionLimit`` (with a time limit that does not bind) gives
the same plan on every machine; a pure time limit gives the same plan on the
same machine under the same load only.  numba is imported on the first solve,
not with this module.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from engine.dispatch import carriers as _carriers
from engine.dispatch import cost as _cost
from engine.dispatch import precheck as _precheck
from engine.dispatch import schedule as _schedule
from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.dispatch.convert import MUST_SERVE_PENALTY, Site, from_problem
from engine.dispatch.model import (
    OrToolsModel,
    ProgressFn,
    SearchResult,
    Tracker,
    build_routes,
)
from engine.dispatch.params import DEFAULT_STRATEGIES, SolveParams
from engine.dispatch.stop import MaxRuntime, StoppingCriterion
from engine.domain.plan import Plan, Unassigned, UnassignedReason
from engine.domain.problem import Problem
from engine.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from engine.network import RoadNetwork


@dataclass(frozen=True)
class FleetState:
    """Where the fleet stands during the day: the re-planning inputs of ``solve`` (see ``engine.dispatch.replan``)."""

    #: Extra start nodes after the depots (vehicle positions).
    sites: Sequence[Site] = ()
    #: Vehicle id -> (index into ``sites``, earliest start); index -1 keeps the vehicle at its depot.
    vehicle_starts: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    #: Vehicle id -> order ids of its current route, to warm-start from.
    initial_routes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Order id -> the vehicle(s) allowed to carry it.
    restrict: Mapping[str, str | Collection[str]] = field(default_factory=dict)
    #: Vehicles reported in the plan even with no orders (a vehicle out must still drive home).
    keep_vehicles: Collection[str] = frozenset()


def _limits(stop: StoppingCriterion) -> tuple[float, int | None, float | None]:
    """(time limit, solution limit, no-improvement seconds) of ``stop``; it must carry a time limit."""
    if not isinstance(stop, StoppingCriterion):
        raise InputError(f"stop must be a stopping criterion (MaxRuntime, FirstOf, ...), got {stop!r}", item="stop")
    if stop.time_limit is None:
        raise InputError(
            "the stop needs a MaxRuntime (the phases share out its time), e.g. FirstOf(MaxRuntime(30), SolutionLimit(200))",
            item="stop", field="time_limit",
        )
    return stop.time_limit, stop.solution_limit, stop.no_improvement


def _load_improve() -> ModuleType | None:
    try:
        from engine.dispatch.search import improve
    except ImportError:  # numba missing: OR-Tools alone
        return None
    return improve


_KERNELS_READY = False


def ready_kernels(params: SolveParams) -> None:
    """Load (or compile) the numba search's kernels once per process, before a time limit starts.

    Loading them from numba's cache takes ~0.5 s, compiling them ~20 s: a first
    solve in a fresh process with a short limit spent it there and planned
    nothing.  A server's solver processes have them already (they are warmed
    before it listens), so there this costs a few milliseconds once.
    """
    global _KERNELS_READY
    if _KERNELS_READY or not params.use_improve:
        return
    improve = _load_improve()
    if improve is not None:
        improve.warm()
    _KERNELS_READY = True


def solve_arrays(
    a: VrpArrays,
    *,
    params: SolveParams = SolveParams(),
    stop: StoppingCriterion = MaxRuntime(30.0),
    seed: int = 0,
    progress: ProgressFn | None = None,
    initial_routes: Sequence[Sequence[int]] | None = None,
    t0: float | None = None,
) -> SearchResult:
    """Solve a ``VrpArrays`` problem: construction -> numba search -> OR-Tools GLS.

    When the numba search models every constraint (no breaks), it builds the
    start and gets ``params.search_share`` of the time, and GLS polishes with
    the rest; otherwise OR-Tools' constructions come first and the search works
    on a break-free copy whose routes OR-Tools accepts or refuses.

    The time limit bounds the whole call (seconds since ``t0``, default now).
    A solution limit bounds the number of GLS solutions (the deterministic
    stop; the numba search then runs ``params.improve_iterations`` iterations
    instead of a share of the time).  ``initial_routes`` (job nodes per
    vehicle) replaces the construction phase when OR-Tools accepts them.
    """
    time_limit, solution_limit, no_improvement = _limits(stop)
    if t0 is None:
        ready_kernels(params)
    t0 = time.perf_counter() if t0 is None else t0
    # The matrix may have eaten the budget (a cold cache): the search still gets a tenth
    # of the limit, since a late plan beats no plan.
    deadline = max(t0 + time_limit, time.perf_counter() + 0.1 * time_limit)
    deterministic = solution_limit is not None
    tracker = Tracker(t0, a.cost_scale, progress, no_improvement)
    improve = _load_improve() if params.use_improve else None
    if improve is not None and improve.supports(a) and _search_alone(a, params, deterministic, deadline - time.perf_counter()):
        return _search_only(a, improve, params, deterministic, seed, tracker, initial_routes, deadline, t0)
    model = OrToolsModel(a)
    model.watch(tracker)
    phases: list[tuple[str, float, float]] = []

    def left() -> float:
        return max(0.05, deadline - time.perf_counter())

    best, best_cost = None, math.inf

    def keep(name: str, sol: object | None) -> None:
        nonlocal best, best_cost
        if sol is None:
            return
        c = float(sol.ObjectiveValue())  # type: ignore[attr-defined]
        tracker.offer(c)
        phases.append((name, time.perf_counter() - t0, c))
        if c < best_cost:
            best, best_cost = sol, c

    search_a, exact = a, True
    if improve is not None and (not improve.supports(a) or any(len(b) for b in a.v_breaks)):
        # The kernels model breaks exactly but slowly (every insertion re-schedules the route:
        # 5x fewer iterations on the Helsinki day), so with OR-Tools at hand the search works
        # on a copy whose shifts are shortened by the break time, and OR-Tools (which has the
        # breaks) accepts or refuses its routes.
        search_a, exact = _without_breaks(a), False
        if not improve.supports(search_a):
            improve = None
    auto = params.strategies == "auto"
    converged = False  # the numba search stopped on its own: guided local search is skipped
    # Big problems the search models exactly keep its routes unpolished (see SolveParams.gls_max_jobs).
    polish = not (improve is not None and exact and a.n_jobs > params.gls_max_jobs)

    def run_improve(start_routes: list[list[int]] | None, budget: float, name: str) -> None:
        """numba ruin-and-recreate, then OR-Tools checks the routes against every side constraint."""
        assert improve is not None
        # An iteration budget in deterministic mode (same routes on every machine), else time.
        limit, iterations = (0.0, params.improve_iterations) if deterministic else (budget, None)
        # Its progress feeds the trajectory, so a big day shows costs while it runs; the
        # costs of a break-free copy are not the real objective, so they stay out.
        on_progress = (lambda _t, c: tracker.offer(float(c))) if exact else None
        nonlocal converged
        try:
            # The construction always completes here (milliseconds at these sizes; a late
            # start beats none when numba compiled in the middle of the time limit).
            found = improve.search(
                search_a, start_routes, limit, seed, max_iterations=iterations, params=params.search, on_progress=on_progress,
                cut_construction=False,
            )
        except (ValueError, NotImplementedError):
            return
        routes = found.routes
        cand = model.from_routes(routes)
        converged = cand is not None and found.converged and exact
        if cand is not None and polish:
            cand = model.improve(cand, time_limit=min(left(), 2.0), solution_limit=1, metaheuristic="GREEDY_DESCENT") or cand
        keep(name, cand)

    if initial_routes is not None:
        warm = model.from_routes(initial_routes)
        if warm is not None:
            keep("warm start", model.improve(warm, time_limit=min(left(), 1.0), solution_limit=1, metaheuristic="GREEDY_DESCENT") or warm)
    searched = False  # the search already built a start, and OR-Tools refused its routes
    if best is None and improve is not None and exact and auto:
        # The search models every constraint here, and on Solomon it beats OR-Tools'
        # constructions plus GLS at the same budget (0.68% against 0.84% gap at 10 s), so it
        # builds the start and keeps most of the time; OR-Tools re-checks its routes and
        # polishes with the rest (or, should it refuse them, constructs below).
        run_improve(None, (params.search_share if polish else 0.97) * left(), "improve.search")
        searched = best is None
    if best is None:
        if auto:
            # OR-Tools' constructions need minutes on ~1,000 orders; the numba search builds
            # a good start in seconds, so big problems start from it when it models them.
            big = a.n_jobs > params.auto_construction_max_jobs
            strats: Sequence[str] = () if (big and improve is not None and not searched) else DEFAULT_STRATEGIES
            if big and (improve is None or searched):
                strats = ("LOCAL_CHEAPEST_INSERTION",)
        else:
            strats = params.strategies
        for i, strat in enumerate(strats):
            # The first strategy may use half of what is left, the others share the rest.
            share = left() * 0.5 if i == 0 else left() * 0.5 / max(1, len(strats) - i)
            keep(strat, model.first_solution(strat, share))
            if time.perf_counter() > deadline - 0.5 * time_limit:
                break
        if best is None and improve is not None and not searched:
            run_improve(None, 0.4 * left(), "improve.search (construction)")
    if best is None:
        return SearchResult([[] for _ in range(a.n_vehicles)], math.inf, tracker.trajectory, phases, model, None)

    if improve is not None and not any(p[0].startswith("improve") for p in phases) and (deterministic or left() > 0.3 * time_limit):
        run_improve(model.routes(best), 0.4 * left(), "improve.search")

    if polish and not converged and not tracker.stalled() and (deadline - time.perf_counter() > 0.05 or solution_limit is not None):
        if no_improvement is None and not deterministic and params.gls_stall > 0:
            # GLS never converges on its own (a 6-order day with a break ran to its limit): a patience from here.
            tracker.no_improvement, tracker.last_improvement = max(0.5, params.gls_stall * float(a.n_jobs) ** 2), time.perf_counter()
        gls = model.improve(best, time_limit=left() if solution_limit is None else max(left(), 0.05), solution_limit=solution_limit)
        if gls is not None and float(gls.ObjectiveValue()) <= best_cost:
            best, best_cost = gls, float(gls.ObjectiveValue())
        phases.append(("guided local search", time.perf_counter() - t0, best_cost))
    return SearchResult(model.routes(best), best_cost, tracker.trajectory, phases, model, best, model.handoffs(best))


#: Seconds per matrix entry handed to OR-Tools (list conversion and registration), measured
#: on 5,000-order days (7 matrices of 25e6 entries: ~17 s) and rounded up.
ORTOOLS_SECONDS_PER_ENTRY = 1e-7


def ortools_build_seconds(a: VrpArrays) -> float:
    """What building the OR-Tools model of ``a`` will take: every matrix it registers is n^2 entries."""
    classes = {(float(a.v_cost_per_m[v]), float(a.v_cost_per_s[v]), int(a.v_profile[v])) for v in range(a.n_vehicles)}
    profiles = {int(p) for p in a.v_profile}
    matrices = len(classes) + len(profiles) + (a.n_carriers + 1 if a.n_carriers else 0)
    return ORTOOLS_SECONDS_PER_ENTRY * matrices * float(a.n_nodes) ** 2


def _search_alone(a: VrpArrays, params: SolveParams, deterministic: bool, seconds_left: float) -> bool:
    """Whether the numba search's routes are the plan, with no OR-Tools model at all.

    Above ``params.gls_max_jobs`` orders OR-Tools cannot work within a time limit (its
    model of 5,000 orders takes ~20 s to build, its local search overruns), and under a
    clock the same holds whenever building the model alone would take more than a
    quarter of the time left (2,000 orders on a 2 s limit).  The deterministic stop
    decides by size alone, so that it never depends on the machine.
    """
    if a.n_jobs == 0 or a.n_vehicles == 0:
        return False
    if a.n_jobs > params.gls_max_jobs:
        return True
    return not deterministic and ortools_build_seconds(a) > 0.25 * seconds_left


def _search_only(
    a: VrpArrays, improve: ModuleType, params: SolveParams, deterministic: bool, seed: int, tracker: Tracker,
    initial_routes: Sequence[Sequence[int]] | None, deadline: float, t0: float,
) -> SearchResult:
    """The numba search alone, on the arrays as they are (breaks included), until the deadline.

    Every route is re-scheduled by ``engine.dispatch.schedule`` before it is kept; a route
    it cannot schedule (which the search should never give) loses orders from its end
    until it can, and those orders go to the carriers or are reported unassigned.
    """
    # What follows the search (schedules, the plan itself) takes ~30 us per order: kept out of its time.
    limit = max(1e-3, deadline - time.perf_counter() - 3e-5 * a.n_jobs)
    limit, iterations = (0.0, params.improve_iterations) if deterministic else (limit, None)
    found = improve.search(
        a, initial_routes, limit, seed, max_iterations=iterations, params=params.search,
        on_progress=lambda _t, c: tracker.offer(float(c)),
    )
    routes: list[list[int]] = []
    schedules: dict[int, _schedule.Schedule] = {}
    trimmed = False
    for v, r in enumerate(found.routes):
        r = list(r)
        sched = _schedule.route(a, v, r) if r else None
        while r and sched is None:
            r.pop()
            trimmed = True
            sched = _schedule.route(a, v, r) if r else None
        if sched is not None:
            schedules[v] = sched
        routes.append(r)
    cost = found.cost
    if trimmed:
        served = {x for r in routes for x in r}
        cost = _cost.plan_cost(a, routes, _cost.hand_off(a, [j for j in range(a.n_depots, a.n_nodes) if j not in served]))
    tracker.offer(cost)
    phases = [("improve.search (alone)", time.perf_counter() - t0, cost)]
    return SearchResult(routes, cost, tracker.trajectory, phases, None, None, {}, list(found.unplaced), schedules,
                        over_full=found.over_full)


def _without_breaks(a: VrpArrays) -> VrpArrays:
    """``a`` with breaks dropped and each vehicle's shift and max duration cut by its break time."""
    total = np.array([sum(d for _, _, d in b) for b in a.v_breaks], dtype=np.int64)
    maxd = a.v_max_duration.astype(np.int64)
    maxd = np.where(maxd < INT_INF, np.maximum(0, maxd - total), maxd)
    return dataclasses.replace(
        a,
        v_breaks=tuple(() for _ in range(a.n_vehicles)),
        v_tw_end=np.maximum(a.v_tw_start, a.v_tw_end.astype(np.int64) - total).astype(np.int32),
        v_max_duration=maxd.astype(np.int32),
    )


# --------------------------------------------------------------------------- Problem -> Plan


def order_penalties(problem: Problem, order_quotes: dict[str, list[_carriers.Quote]], priority_step: float) -> np.ndarray:
    """Drop penalty (currency units) per order: cheapest carrier price incl. risk, plus ``priority_step`` per priority."""
    out = np.empty(len(problem.orders))
    for i, o in enumerate(problem.orders):
        qs = order_quotes.get(o.order_id, [])
        if qs:
            out[i] = qs[0].effective_cost(problem.risk_weight) + priority_step * max(0, o.priority)
        else:
            out[i] = MUST_SERVE_PENALTY * (1 + max(0, o.priority))
    return out


def _restricted(a: VrpArrays, restrict: Mapping[str, str | Collection[str]]) -> VrpArrays:
    """``a`` with each order in ``restrict`` allowed only on the vehicle(s) named (where it was allowed at all)."""
    compat = a.compat.copy()
    vix = {vid: i for i, vid in enumerate(a.vehicle_ids)}
    jix = {oid: a.n_depots + j for j, oid in enumerate(a.job_ids)}
    for oid, vids in restrict.items():
        if oid in jix:
            col = np.zeros(a.n_vehicles, dtype=bool)
            for vid in [vids] if isinstance(vids, str) else vids:
                if vid in vix:
                    col[vix[vid]] = compat[vix[vid], jix[oid]]
            compat[:, jix[oid]] = col
    return dataclasses.replace(a, compat=compat)


def solve(
    problem: Problem,
    *,
    network: RoadNetwork | None = None,
    params: SolveParams = SolveParams(),
    stop: StoppingCriterion = MaxRuntime(30.0),
    seed: int = 0,
    progress: ProgressFn | None = None,
    now: int = 0,
    fleet: FleetState | None = None,
) -> Plan:
    """Plan a day: routes for the fleet, hand-offs to carriers, unassigned orders with reasons.

    Parameters
    ----------
    problem
        The day (validated here; bad input raises ``ProblemError``).
    network
        Road network for matrices and snapping; without one, haversine matrices.
    params
        The tunables (``SolveParams``; the defaults are the shipped behaviour).
    stop
        When to stop (``engine.dispatch.stop``); it needs a ``MaxRuntime``, whose
        seconds count the matrices too.  ``FirstOf(MaxRuntime(30), SolutionLimit(200))``
        gives the same plan on every machine.
    seed
        Seed for the numba search; OR-Tools itself is deterministic.
    progress
        Called with ``(seconds, best cost)`` on every improvement.
    now
        Seconds since day start; carriers past their cut-off are skipped.
    fleet
        Re-planning state (``FleetState``): vehicle positions, current routes,
        orders bound to a vehicle; ``engine.dispatch.replan`` builds it.
    """
    ready_kernels(params)
    t0 = time.perf_counter()
    fleet = fleet or FleetState()
    problem.validate()
    order_quotes = {o.order_id: _carriers.quotes(problem, o, now=now) for o in problem.orders}
    pen = order_penalties(problem, order_quotes, params.priority_step)
    a = from_problem(
        problem,
        network=network,
        matrix_source=params.matrix_source,
        penalties=pen,
        sites=list(fleet.sites),
        vehicle_starts=dict(fleet.vehicle_starts),
        max_snap_m=params.max_snap_m,
    )
    if fleet.restrict:
        a = _restricted(a, fleet.restrict)
    pre = _precheck.run(a)
    a = dataclasses.replace(a, compat=pre.compat)
    routable = pre.routable(a)
    # Orders no vehicle can serve go to carriers first: they have no other way out.
    routable_ids = {a.job_ids[j - a.n_depots] for j in routable}
    used: dict[str, int] = {}
    pre_handoffs, pre_left = _carriers.assign_handoffs(
        problem, [o for o in problem.orders if o.order_id not in routable_ids], order_quotes, used=used
    )
    # Every order routable (the usual case): no copy of the n^2 matrices.
    sub = a if len(routable) == a.n_jobs else a.subset(routable)
    sub = _carriers.with_carriers(problem, sub, order_quotes, used, params.priority_step)
    t_matrix = time.perf_counter() - t0

    routes_nodes: list[list[int]] = [[] for _ in range(a.n_vehicles)]
    result: SearchResult | None = None
    if sub.n_jobs and sub.n_vehicles:
        init = None
        if fleet.initial_routes:
            jnode = {oid: sub.n_depots + j for j, oid in enumerate(sub.job_ids)}
            init = [[jnode[o] for o in fleet.initial_routes.get(vid, []) if o in jnode] for vid in sub.vehicle_ids]
        # t0 is the start of solve: the matrix time counts against the limit.
        result = solve_arrays(sub, params=params, stop=stop, seed=seed, progress=progress, initial_routes=init, t0=t0)
        routes_nodes = result.routes

    served = {sub.job_ids[j - sub.n_depots] for r in routes_nodes for j in r}
    # The model's hand-offs first (each within its carrier's room), then whatever is left
    # (the model had no carriers, or found no solution) by regret within what is still free.
    handoffs = list(pre_handoffs)
    on_carrier: set[str] = set()
    if result is not None and result.handoffs:
        for node, k in sorted(result.handoffs.items()):
            oid, cid = sub.job_ids[node - sub.n_depots], sub.carrier_ids[k]
            q = next(q for q in order_quotes[oid] if q.carrier_id == cid)
            handoffs.append(_carriers.Handoff(oid, cid, q.depot, q.cost, q.on_time_probability))
            used[cid] = used.get(cid, 0) + 1
            on_carrier.add(oid)
    rest = [o for o in problem.orders if o.order_id in routable_ids and o.order_id not in served and o.order_id not in on_carrier]
    more, left = _carriers.assign_handoffs(problem, rest, order_quotes, used=used)
    handoffs += more
    left = pre_left + left
    unassigned: list[Unassigned] = []
    job_node = {oid: a.n_depots + j for j, oid in enumerate(a.job_ids)}
    unplaced = {sub.job_ids[j - sub.n_depots] for j in result.unplaced} if result is not None else set()
    for o, why in left:
        node = job_node[o.order_id]
        if o.order_id in unplaced:
            reason, detail = UnassignedReason.NOT_PLANNED, f"the time limit ran out before the solver tried to place it; {why}"
        elif node in pre.fleet_reasons:
            reason, detail = pre.fleet_reasons[node]
            detail = f"{detail}; {why}"
        elif not o.allow_carrier or not order_quotes[o.order_id]:
            reason, detail = UnassignedReason.NO_CARRIER, f"no vehicle could fit it into a route; {why}"
        else:
            reason, detail = UnassignedReason.NOT_PLANNED, why
        unassigned.append(Unassigned(o.order_id, reason, detail))
    unassigned.sort(key=lambda u: u.order_id)

    solved = result is not None and (result.assignment is not None or result.search_only)
    plan_routes = build_routes(sub, result, keep=fleet.keep_vehicles) if solved else []
    cost = sum(r.cost for r in plan_routes) + sum(h.cost for h in handoffs)
    status = "ok" if not unassigned else "partial"
    if result is not None and not solved:
        status = "no_solution"
    plan = Plan(
        problem_name=problem.name,
        routes=plan_routes,
        handoffs=sorted(handoffs, key=lambda h: h.order_id),
        unassigned=unassigned,
        cost=round(cost, 4),
        distance_m=float(sum(r.distance_m for r in plan_routes)),
        duration_s=float(sum(r.duration_s for r in plan_routes)),
        solve_seconds=round(time.perf_counter() - t0, 3),
        day_start=problem.day_start,
        trajectory=list(result.trajectory) if result is not None else [],
        status=status,
    )
    plan.stats = {
        "matrix_seconds": round(t_matrix, 3),
        "phases": [(name, round(t, 3), round(c / sub.cost_scale, 3)) for name, t, c in (result.phases if result else [])],
        "orders": len(problem.orders),
        "routed_candidates": int(sub.n_jobs),
        "matrix_source": a.meta["matrix_source"],
        "carriers_in_model": sub.n_carriers,
        "search_only": bool(result is not None and result.search_only),
        "unplaced_in_time": len(unplaced),
        "over_full": bool(result is not None and result.over_full),
    }
    return plan


__all__ = ["FleetState", "order_penalties", "solve", "solve_arrays"]
