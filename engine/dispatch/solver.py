"""Multi-carrier dispatch on OR-Tools: model, search, and the Plan it returns.

Pipeline of ``solve``:

1. price carriers for every order (``carriers.quotes``): the cheapest eligible
   quote (+ risk weight * (1 - on-time probability) + a priority bonus) is the
   order's disjunction penalty; orders no carrier takes get a huge penalty;
2. flatten to ``VrpArrays`` with a road-network or haversine matrix;
3. pre-check (``precheck.run``): orders no vehicle can serve skip the solver and go
   to a carrier, or are reported unassigned with the reason;
4. OR-Tools: a first solution from each of a few strategies (best kept; on big
   problems the numba search builds the start instead, OR-Tools constructions
   being too slow there), then
   the numba search (``engine.dispatch.improve``, when present), then guided
   local search warm-started from the best routes for the remaining time;
5. orders the solver left out are handed to carriers within each carrier's
   daily capacity; the rest are unassigned with a reason.

Determinism: OR-Tools runs single-threaded, so a run with ``solution_limit``
(and no binding time limit) gives the same plan on every machine; a pure time
limit gives the same plan on the same machine under the same load only.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from engine.dispatch import carriers as _carriers
from engine.dispatch import precheck as _precheck
from engine.dispatch.arrays import DIM_SCALE, INT_INF, MUST_SERVE_PENALTY, Site, VrpArrays, from_problem
from engine.domain.problem import ModelError, Problem, TimeWindow
from engine.domain.plan import Handoff, Plan, Route, Stop, Unassigned, UnassignedReason

#: Cost units added to an order's drop penalty per priority level.
PRIORITY_STEP = 25.0
#: First-solution strategies tried, best kept.
DEFAULT_STRATEGIES: tuple[str, ...] = ("PARALLEL_CHEAPEST_INSERTION", "SAVINGS", "LOCAL_CHEAPEST_INSERTION")
#: Above this many jobs, ``strategies="auto"`` skips OR-Tools' constructions when the numba search applies.
AUTO_CONSTRUCTION_MAX_JOBS = 250
#: Share of the time limit the numba search gets when it models the problem exactly.
SEARCH_SHARE = 0.9

ProgressFn = Callable[[float, float], None]


def check_limits(time_limit: float, solution_limit: int | None = None, no_improvement: float | None = None) -> None:
    """Raise ``ValueError`` naming the search limit that is not usable (NaN, infinite, <= 0)."""
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not math.isfinite(time_limit) or time_limit <= 0:
        raise ValueError(f"time_limit must be a finite number of seconds > 0, got {time_limit!r}")
    if solution_limit is not None and (isinstance(solution_limit, bool) or not isinstance(solution_limit, int) or solution_limit <= 0):
        raise ValueError(f"solution_limit must be a whole number > 0, got {solution_limit!r}")
    if no_improvement is not None and (not isinstance(no_improvement, (int, float)) or not math.isfinite(no_improvement) or no_improvement <= 0):
        raise ValueError(f"no_improvement must be a finite number of seconds > 0, got {no_improvement!r}")


# --------------------------------------------------------------------------- OR-Tools model


class _Tracker:
    """Best cost seen and when, shared by every phase of one solve (for trajectory and stops)."""

    def __init__(self, t0: float, cost_scale: float, progress: ProgressFn | None, no_improvement: float | None) -> None:
        self.t0 = t0
        self.cost_scale = cost_scale
        self.progress = progress
        self.no_improvement = no_improvement
        self.best = math.inf
        self.last_improvement = t0
        self.trajectory: list[tuple[float, float]] = []
        self.solutions = 0

    def offer(self, cost: float) -> bool:
        """Record a solution's cost; True when it improves the best."""
        self.solutions += 1
        now = time.perf_counter()
        if cost < self.best - 1e-9:
            self.best = cost
            self.last_improvement = now
            t, c = now - self.t0, cost / self.cost_scale
            self.trajectory.append((round(t, 3), round(c, 3)))
            if self.progress is not None:
                self.progress(t, c)
            return True
        return False

    def stalled(self) -> bool:
        return self.no_improvement is not None and time.perf_counter() - self.last_improvement > self.no_improvement


class OrToolsModel:
    """An OR-Tools routing model of a ``VrpArrays`` problem (every job optional at its penalty).

    Hard windows use ``SetRange`` on the widest span plus ``RemoveInterval`` on
    the gaps; soft windows add ``SetCumulVarSoftUpperBound`` at the last end;
    breaks use ``SetBreakIntervalsOfVehicle``.
    """

    def __init__(self, a: VrpArrays) -> None:
        self.a = a
        n, m = a.n_nodes, a.n_vehicles
        if m == 0:
            raise ValueError("the OR-Tools model needs at least one vehicle")
        self.manager = pywrapcp.RoutingIndexManager(n, m, [int(x) for x in a.v_start], [int(x) for x in a.v_end])
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        mgr = self.manager
        self._keep: list[object] = []  # callbacks and intervals must outlive the solve

        # Arc costs and travel times, one matrix per (cost, speed-profile) class.
        cost_cb: dict[tuple[float, float, int], int] = {}
        time_cb: dict[int, int] = {}
        service = a.service.astype(np.int64)
        time_transits: list[int] = []
        for v in range(m):
            p = int(a.v_profile[v])
            key = (float(a.v_cost_per_m[v]), float(a.v_cost_per_s[v]), p)
            if key not in cost_cb:
                c = np.rint(a.arc_costs(v)).astype(np.int64)
                cost_cb[key] = routing.RegisterTransitMatrix(c.tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], v)
            if p not in time_cb:
                t = a.profile_durations[p].astype(np.int64) + service[:, None]
                time_cb[p] = routing.RegisterTransitMatrix(t.tolist())
            time_transits.append(time_cb[p])
            if a.v_fixed_cost[v] > 0:
                routing.SetFixedCostOfVehicle(int(round(a.v_fixed_cost[v])), v)

        horizon = int(max(int(a.v_tw_end.max()), int(a.tw_end.max()), 0))
        cap = horizon + int(a.durations.max(initial=0)) + int(a.service.max(initial=0)) + 1
        cap = min(cap, INT_INF)
        routing.AddDimensionWithVehicleTransits(time_transits, cap, cap, False, "time")
        self.time = time_dim = routing.GetDimensionOrDie("time")

        for k in range(a.n_dims):
            col = a.demand[:, k]
            if not col.any():
                continue
            cb = routing.RegisterUnaryTransitVector([int(x) for x in col])
            caps = [int(min(int(x), INT_INF)) for x in a.v_capacity[:, k]]
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"dim{k}")

        soft = a.lateness_cost_per_s > 0
        soft_coef = max(1, int(round(a.lateness_cost_per_s))) if soft else 0
        starts_ends = set(int(x) for x in a.v_start) | set(int(x) for x in a.v_end)
        for node in range(a.n_depots):
            if node not in starts_ends:
                # A depot no vehicle uses is not a stop: free to leave out, never worth visiting.
                routing.AddDisjunction([mgr.NodeToIndex(node)], 0)
        all_vehicles = np.arange(m)
        for node in range(a.n_depots, n):
            idx = mgr.NodeToIndex(node)
            wins = [(ws, we) for ws, we in a.windows[node] if we >= ws]
            cum = time_dim.CumulVar(idx)
            if not wins:
                routing.solver().Add(routing.ActiveVar(idx) == 0)
            else:
                lo, hi = wins[0][0], wins[-1][1]
                cum.SetRange(int(lo), int(cap if soft else hi))
                for (_, e1), (s2, _) in zip(wins, wins[1:]):
                    if s2 > e1 + 1:
                        cum.RemoveInterval(int(e1 + 1), int(s2 - 1))
                if soft:
                    time_dim.SetCumulVarSoftUpperBound(idx, int(hi), soft_coef)
            allowed = all_vehicles[a.compat[:, node]]
            if allowed.size == 0:
                routing.solver().Add(routing.ActiveVar(idx) == 0)
            elif allowed.size < m:
                # SetAllowedVehiclesForIndex's SWIG binding rejects Python lists in OR-Tools 9.15;
                # restricting the vehicle variable's domain is the equivalent (-1 = unperformed).
                routing.VehicleVar(idx).SetValues([-1, *(int(x) for x in allowed)])
            routing.AddDisjunction([idx], int(min(a.penalty[node], 2**62)))

        solver = routing.solver()
        node_visit = [0] * routing.Size()
        for idx in range(routing.Size()):
            node_visit[idx] = int(a.service[mgr.IndexToNode(idx)])
        self.breaks: list[list[object]] = []
        for v in range(m):
            s, e = routing.Start(v), routing.End(v)
            time_dim.CumulVar(s).SetRange(int(a.v_tw_start[v]), int(a.v_tw_end[v]))
            time_dim.CumulVar(e).SetRange(int(a.v_tw_start[v]), int(a.v_tw_end[v]))
            if int(a.v_max_duration[v]) < INT_INF:
                time_dim.SetSpanUpperBoundForVehicle(int(a.v_max_duration[v]), v)
            ivs = []
            for b, (ws, we, dur) in enumerate(a.v_breaks[v]):
                if we < ws or dur <= 0:
                    continue
                iv = solver.FixedDurationIntervalVar(int(ws), int(we), int(dur), False, f"break-{v}-{b}")
                ivs.append(iv)
            if ivs:
                time_dim.SetBreakIntervalsOfVehicle(ivs, v, node_visit)
                for iv in ivs:
                    routing.AddIntervalToAssignment(iv)
            self.breaks.append(ivs)
        self._keep.append(node_visit)
        # Schedules: finish each route as early as possible, then leave as late as that
        # allows (no pointless waiting at the first stop).  Finalizers run in the order added.
        for v in range(m):
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
        for v in range(m):
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))

    # ----------------------------------------------------------------- search

    def params(
        self,
        *,
        strategy: str = "PARALLEL_CHEAPEST_INSERTION",
        time_limit: float | None = None,
        solution_limit: int | None = None,
        metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    ) -> pywrapcp.RoutingSearchParameters:
        p = pywrapcp.DefaultRoutingSearchParameters()
        try:
            p.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
            p.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
        except AttributeError as exc:
            raise ValueError(f"unknown OR-Tools strategy/metaheuristic: {exc}") from None
        if time_limit is not None:
            p.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        if solution_limit is not None:
            p.solution_limit = int(solution_limit)
        p.log_search = False
        return p

    def watch(self, tracker: _Tracker) -> None:
        """Report every solution to ``tracker``; stop the search once it stalls."""
        routing = self.routing

        def _cb() -> None:
            tracker.offer(float(routing.CostVar().Value()))
            if tracker.stalled():
                routing.solver().FinishCurrentSearch()

        self._keep.append(_cb)
        routing.AddAtSolutionCallback(_cb)

    def first_solution(self, strategy: str, time_limit: float) -> pywrapcp.Assignment | None:
        """Construction only (stops at the first solution)."""
        p = self.params(strategy=strategy, time_limit=time_limit, solution_limit=1, metaheuristic="GREEDY_DESCENT")
        return self.routing.SolveWithParameters(p)

    def from_routes(self, routes: Sequence[Sequence[int]]) -> pywrapcp.Assignment | None:
        """An assignment for ``routes`` (job nodes per vehicle), or None if OR-Tools finds it infeasible."""
        # ReadAssignmentFromRoutes wants routing indices, which differ from nodes whenever
        # an end depot is not also a start.
        to_index = self.manager.NodeToIndex
        as_lists = [[int(to_index(int(x))) for x in r] for r in routes]
        while len(as_lists) < self.a.n_vehicles:
            as_lists.append([])
        try:
            return self.routing.ReadAssignmentFromRoutes(as_lists, True)
        except Exception:  # pragma: no cover - OR-Tools raises on malformed routes
            return None

    def improve(
        self,
        start: pywrapcp.Assignment,
        *,
        time_limit: float | None,
        solution_limit: int | None = None,
        metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    ) -> pywrapcp.Assignment | None:
        """Local search with ``metaheuristic`` from ``start``."""
        p = self.params(time_limit=time_limit, solution_limit=solution_limit, metaheuristic=metaheuristic)
        return self.routing.SolveFromAssignmentWithParameters(start, p)

    def routes(self, sol: pywrapcp.Assignment) -> list[list[int]]:
        """Job nodes per vehicle in visiting order."""
        out: list[list[int]] = []
        r, mgr = self.routing, self.manager
        for v in range(self.a.n_vehicles):
            idx = sol.Value(r.NextVar(r.Start(v)))
            path = []
            while not r.IsEnd(idx):
                path.append(mgr.IndexToNode(idx))
                idx = sol.Value(r.NextVar(idx))
            out.append(path)
        return out

    def times(self, sol: pywrapcp.Assignment, v: int) -> list[int]:
        """Time-dimension value (start of service) at start, each stop and end of vehicle ``v``."""
        r = self.routing
        idx = r.Start(v)
        out = []
        while True:
            out.append(int(sol.Value(self.time.CumulVar(idx))))
            if r.IsEnd(idx):
                break
            idx = sol.Value(r.NextVar(idx))
        return out

    def break_times(self, sol: pywrapcp.Assignment, v: int) -> list[tuple[int, int]]:
        """(start, duration) of each performed break of vehicle ``v``."""
        out = []
        for iv in self.breaks[v]:
            if sol.PerformedValue(iv):
                out.append((int(sol.StartValue(iv)), int(sol.DurationValue(iv))))
        return out


# --------------------------------------------------------------------------- search over arrays


@dataclass
class SearchResult:
    routes: list[list[int]]
    cost: float  # array cost units (OR-Tools objective)
    trajectory: list[tuple[float, float]] = field(default_factory=list)
    phases: list[tuple[str, float, float]] = field(default_factory=list)  # (phase, seconds, cost)
    model: OrToolsModel | None = None
    assignment: object | None = None


def _load_improve() -> object | None:
    try:
        from engine.dispatch.search import improve  # written by the search helper
    except ImportError:
        return None
    return improve if hasattr(improve, "search") else None


def solve_arrays(
    a: VrpArrays,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    no_improvement: float | None = None,
    solution_limit: int | None = None,
    progress: ProgressFn | None = None,
    strategies: Sequence[str] | str = "auto",
    use_improve: bool = True,
    initial_routes: Sequence[Sequence[int]] | None = None,
    t0: float | None = None,
    improve_iterations: int = 2000,
) -> SearchResult:
    """Solve a ``VrpArrays`` problem: construction -> numba search -> OR-Tools GLS.

    When the numba search models every constraint (no breaks), it builds the
    start and gets ``SEARCH_SHARE`` of the time, and GLS polishes with the rest;
    otherwise OR-Tools' constructions come first and the search works on a
    break-free copy whose routes OR-Tools accepts or refuses.

    ``time_limit`` bounds the whole call (seconds since ``t0``, default now).
    ``solution_limit`` bounds the number of GLS solutions (the deterministic
    stop; the numba search then runs ``improve_iterations`` iterations instead of
    a share of the time).  ``initial_routes`` (job nodes per vehicle) replaces the
    construction phase when OR-Tools accepts them (warm start).
    """
    check_limits(time_limit, solution_limit, no_improvement)
    t0 = time.perf_counter() if t0 is None else t0
    # The matrix may have eaten the budget (a cold cache): the search still gets a tenth
    # of the limit, since a late plan beats no plan.
    deadline = max(t0 + time_limit, time.perf_counter() + 0.1 * time_limit)
    tracker = _Tracker(t0, a.cost_scale, progress, no_improvement)
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

    improve = _load_improve() if use_improve else None
    search_a, exact = a, True
    if improve is not None and hasattr(improve, "supports") and not improve.supports(a):  # type: ignore[attr-defined]
        # The kernel does not model breaks: let it search a copy whose shifts are shortened
        # by the break time, and let OR-Tools (which has the breaks) accept or refuse the routes.
        search_a, exact = _without_breaks(a), False
        if not improve.supports(search_a):  # type: ignore[attr-defined]
            improve = None
    deterministic = solution_limit is not None

    def run_improve(start_routes: list[list[int]] | None, budget: float, name: str) -> None:
        """numba ruin-and-recreate, then OR-Tools checks the routes against every side constraint."""
        # An iteration budget in deterministic mode (same routes on every machine), else time.
        kw = {"time_limit": 0.0, "max_iterations": improve_iterations} if deterministic else {"time_limit": budget}
        try:
            detailed = getattr(improve, "search_detailed", None)
            if detailed is not None and exact:
                # Its progress feeds the trajectory, so a big day shows costs while it runs.
                routes = detailed(search_a, start_routes, seed=seed, on_progress=lambda _t, c: tracker.offer(float(c)), **kw).routes
            else:
                routes, _ = improve.search(search_a, start_routes, seed=seed, **kw)  # type: ignore[union-attr]
        except (ValueError, NotImplementedError):
            return
        cand = model.from_routes(routes)
        if cand is not None:
            cand = model.improve(cand, time_limit=min(left(), 2.0), solution_limit=1, metaheuristic="GREEDY_DESCENT") or cand
        keep(name, cand)

    if initial_routes is not None:
        warm = model.from_routes(initial_routes)
        if warm is not None:
            keep("warm start", model.improve(warm, time_limit=min(left(), 1.0), solution_limit=1, metaheuristic="GREEDY_DESCENT") or warm)
    searched = False  # the search already built a start, and OR-Tools refused its routes
    if best is None and improve is not None and exact and (strategies == "auto" or strategies is None):
        # The search models every constraint here, and on Solomon it beats OR-Tools'
        # constructions plus GLS at the same budget (0.68% against 0.84% gap at 10 s), so it
        # builds the start and keeps most of the time; OR-Tools re-checks its routes and
        # polishes with the rest (or, should it refuse them, constructs below).
        run_improve(None, SEARCH_SHARE * left(), "improve.search")
        searched = best is None
    if best is None:
        if strategies == "auto" or strategies is None:
            # OR-Tools' constructions need minutes on ~1,000 orders; the numba search builds
            # a good start in seconds, so big problems start from it when it models them.
            big = a.n_jobs > AUTO_CONSTRUCTION_MAX_JOBS
            strats: Sequence[str] = () if (big and improve is not None and not searched) else DEFAULT_STRATEGIES
            if big and (improve is None or searched):
                strats = ("LOCAL_CHEAPEST_INSERTION",)
        else:
            strats = strategies
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

    if not tracker.stalled() and (deadline - time.perf_counter() > 0.05 or solution_limit is not None):
        gls = model.improve(best, time_limit=left() if solution_limit is None else max(left(), 0.05), solution_limit=solution_limit)
        if gls is not None and float(gls.ObjectiveValue()) <= best_cost:
            best, best_cost = gls, float(gls.ObjectiveValue())
        phases.append(("guided local search", time.perf_counter() - t0, best_cost))
    return SearchResult(model.routes(best), best_cost, tracker.trajectory, phases, model, best)


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


def order_penalties(problem: Problem, order_quotes: dict[str, list[_carriers.Quote]]) -> np.ndarray:
    """Drop penalty (currency units) per order: cheapest carrier price incl. risk, plus priority."""
    out = np.empty(len(problem.orders))
    for i, o in enumerate(problem.orders):
        qs = order_quotes.get(o.order_id, [])
        if qs:
            out[i] = qs[0].effective_cost(problem.risk_weight) + PRIORITY_STEP * max(0, o.priority)
        else:
            out[i] = MUST_SERVE_PENALTY * (1 + max(0, o.priority))
    return out


def solve(
    problem: Problem,
    *,
    network: object | None = None,
    time_limit: float = 30.0,
    seed: int = 0,
    no_improvement: float | None = None,
    progress: ProgressFn | None = None,
    solution_limit: int | None = None,
    matrix_source: str = "auto",
    strategies: Sequence[str] | str = "auto",
    use_improve: bool = True,
    now: int = 0,
    sites: list[Site] | None = None,
    vehicle_starts: dict[str, tuple[int, int]] | None = None,
    initial_routes: dict[str, list[str]] | None = None,
    restrict: dict[str, str | Collection[str]] | None = None,
    keep_vehicles: Collection[str] = (),
    repair: bool = True,
    max_snap_m: float = 1000.0,
) -> Plan:
    """Plan a day: routes for the fleet, hand-offs to carriers, unassigned orders with reasons.

    Parameters
    ----------
    problem
        The day (validated here; bad input raises ``ModelError``).
    network
        Road network for matrices and snapping; without one, haversine matrices.
    time_limit
        Seconds for the whole solve, matrices included.
    seed
        Seed for the numba search; OR-Tools itself is deterministic.
    no_improvement
        Stop once this many seconds pass without a better solution.
    progress
        Called with ``(seconds, best cost)`` on every improvement.
    solution_limit
        Cap on guided-local-search solutions (a machine-independent stop).
    matrix_source
        ``"network"``, ``"haversine"`` or ``"auto"``.
    now
        Seconds since day start; carriers past their cut-off are skipped.
    sites, vehicle_starts, initial_routes, restrict
        Re-planning hooks (see ``engine.dispatch.replan``): extra start nodes,
        vehicle -> (site, time), vehicle -> order ids to warm-start from, and
        order -> the vehicle(s) allowed to carry it.
    repair
        When orders find every carrier full after the solve, re-solve once
        (10% of ``time_limit``, at least 1 s) with those orders made mandatory.
    keep_vehicles
        Vehicles reported in the plan even with no orders (re-planning: a
        vehicle already out must still drive home).
    """
    t0 = time.perf_counter()
    check_limits(time_limit, solution_limit, no_improvement)
    problem.validate()
    order_quotes = {o.order_id: _carriers.quotes(problem, o, now=now) for o in problem.orders}
    pen = order_penalties(problem, order_quotes)
    a = from_problem(
        problem,
        network=network,
        matrix_source=matrix_source,
        penalties=pen,
        sites=sites,
        vehicle_starts=vehicle_starts,
        max_snap_m=max_snap_m,
    )
    if restrict:
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
        a = dataclasses.replace(a, compat=compat)
    pre = _precheck.run(a)
    a = dataclasses.replace(a, compat=pre.compat)
    routable = pre.routable(a)
    sub = a.subset(routable)
    t_matrix = time.perf_counter() - t0

    routes_nodes: list[list[int]] = [[] for _ in range(a.n_vehicles)]
    result: SearchResult | None = None
    if sub.n_jobs and sub.n_vehicles:
        init = None
        if initial_routes:
            jnode = {oid: sub.n_depots + j for j, oid in enumerate(sub.job_ids)}
            init = [[jnode[o] for o in initial_routes.get(vid, []) if o in jnode] for vid in sub.vehicle_ids]
        result = solve_arrays(
            sub,
            time_limit=time_limit,  # measured from t0: the matrix time counts against it
            seed=seed,
            no_improvement=no_improvement,
            solution_limit=solution_limit,
            progress=progress,
            strategies=strategies,
            use_improve=use_improve,
            initial_routes=init,
            t0=t0,
        )
        routes_nodes = result.routes

    served = {sub.job_ids[j - sub.n_depots] for r in routes_nodes for j in r}
    # Orders the fleet cannot take at all (pre-check) or that the solver left out go to carriers.
    dropped = [o for o in problem.orders if o.order_id not in served]
    handoffs, left = _carriers.assign_handoffs(problem, dropped, order_quotes)
    sub_node = {oid: sub.n_depots + j for j, oid in enumerate(sub.job_ids)}
    overflow = [sub_node[o.order_id] for o, why in left if why == _carriers.CAPACITY_FULL and o.order_id in sub_node]
    if overflow and result is not None and result.assignment is not None and repair:
        # The drop penalties assumed a free carrier; these found every carrier full.  Make
        # them mandatory-ish and re-solve briefly from the current routes (one round).
        pen = sub.penalty.copy()
        pen[overflow] = int(MUST_SERVE_PENALTY * sub.cost_scale)
        sub = dataclasses.replace(sub, penalty=pen)
        again = solve_arrays(
            sub,
            time_limit=max(1.0, 0.1 * time_limit),
            seed=seed,
            solution_limit=solution_limit,
            strategies=(),
            use_improve=False,
            initial_routes=result.routes,
        )
        if again.assignment is not None:
            # The repair's objective has other penalties: its costs stay out of the trajectory.
            phases = [*result.phases, ("carrier-capacity repair", time.perf_counter() - t0, again.cost)]
            result = SearchResult(again.routes, again.cost, result.trajectory, phases, again.model, again.assignment)
            routes_nodes = result.routes
            served = {sub.job_ids[j - sub.n_depots] for r in routes_nodes for j in r}
            dropped = [o for o in problem.orders if o.order_id not in served]
            handoffs, left = _carriers.assign_handoffs(problem, dropped, order_quotes)
    unassigned: list[Unassigned] = []
    job_node = {oid: a.n_depots + j for j, oid in enumerate(a.job_ids)}
    for o, why in left:
        node = job_node[o.order_id]
        if node in pre.fleet_reasons:
            reason, detail = pre.fleet_reasons[node]
            detail = f"{detail}; {why}"
        elif not o.allow_carrier or not order_quotes[o.order_id]:
            reason, detail = UnassignedReason.NO_CARRIER, f"no vehicle could fit it into a route; {why}"
        else:
            reason, detail = UnassignedReason.NOT_PLANNED, why
        unassigned.append(Unassigned(o.order_id, reason, detail))
    unassigned.sort(key=lambda u: u.order_id)

    plan_routes = build_routes(sub, result, keep=keep_vehicles) if result is not None and result.assignment is not None else []
    cost = sum(r.cost for r in plan_routes) + sum(h.cost for h in handoffs)
    status = "ok" if not unassigned else "partial"
    if result is not None and result.assignment is None:
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
    }
    return plan


def build_routes(a: VrpArrays, res: SearchResult, keep: Collection[str] = ()) -> list[Route]:
    """Turn the OR-Tools assignment into ``Route``s with times, loads and legs.

    Coordinates come from ``a.meta["lat"/"lon"]`` (NaN when a problem has only a matrix).
    """
    model, sol = res.model, res.assignment
    if model is None or sol is None:
        return []
    dims = a.meta.get("dims", tuple(f"dim{k}" for k in range(a.n_dims)))
    dscale = float(a.meta.get("dim_scale", DIM_SCALE))
    site_names = a.meta.get("site_names", tuple(f"site{k}" for k in range(a.n_depots)))
    vtype = a.meta.get("vehicle_type", a.vehicle_ids)
    nan = np.full(a.n_nodes, np.nan)
    lat, lon = a.meta.get("lat", nan), a.meta.get("lon", nan)
    net = a.meta.get("net_node", np.full(a.n_nodes, -1))
    soft = a.lateness_cost_per_s > 0
    out: list[Route] = []
    for v, path_jobs in enumerate(res.routes):
        if not path_jobs and a.vehicle_ids[v] not in keep:
            continue
        dur = a.profile_durations[a.v_profile[v]]
        path = [int(a.v_start[v]), *path_jobs, int(a.v_end[v])]
        times = model.times(sol, v)
        if not path_jobs:
            # An unused vehicle's cumuls are unconstrained: drive straight home from the earliest start.
            times = [int(a.v_tw_start[v]), int(a.v_tw_start[v]) + int(dur[path[0], path[1]])]
        load = a.demand[np.asarray(path_jobs, dtype=np.int64)].sum(axis=0).astype(np.float64)
        stops: list[Stop] = []
        dist_total = 0.0
        late_cost = 0.0
        prev_dep = times[0]
        for k, node in enumerate(path):
            leg_d = float(a.distances[path[k - 1], node]) if k else 0.0
            leg_t = float(dur[path[k - 1], node]) if k else 0.0
            dist_total += leg_d
            start_service = times[k]
            if 0 < k < len(path) - 1:
                oid = a.job_ids[node - a.n_depots]
                load = load - a.demand[node]
                win = _window_of(a.windows[node], start_service)
                if soft and start_service > a.tw_end[node]:
                    late_cost += (start_service - int(a.tw_end[node])) * a.lateness_cost_per_s
                stops.append(
                    Stop(
                        order_id=oid,
                        kind="delivery",
                        node=int(net[node]) if net[node] >= 0 else None,
                        lat=float(lat[node]),
                        lon=float(lon[node]),
                        arrival=int(start_service),
                        departure=int(start_service + a.service[node]),
                        load={d: float(load[i]) / dscale for i, d in enumerate(dims)},
                        leg_distance_m=leg_d,
                        leg_time_s=leg_t,
                        window=win,
                    )
                )
                prev_dep = start_service + int(a.service[node])
            else:
                kind = "start" if k == 0 else "end"
                stops.append(
                    Stop(
                        order_id=None,
                        kind=kind,
                        node=int(net[node]) if net[node] >= 0 else None,
                        lat=float(lat[node]),
                        lon=float(lon[node]),
                        arrival=int(start_service),
                        departure=int(start_service),
                        load={d: float(load[i]) / dscale for i, d in enumerate(dims)},
                        leg_distance_m=leg_d,
                        leg_time_s=leg_t,
                    )
                )
                prev_dep = start_service
        del prev_dep
        for bs, bd in model.break_times(sol, v):
            # Place the break between the stops it falls between (by time).
            pos = next((i for i, s in enumerate(stops) if s.arrival > bs), len(stops) - 1)
            ref = stops[max(0, pos - 1)]
            stops.insert(
                pos,
                Stop(None, "break", None, ref.lat, ref.lon, int(bs), int(bs + bd), dict(ref.load), 0.0, 0.0),
            )
        duration = float(times[-1] - times[0])
        if path_jobs:
            cost = a.route_cost(v, path_jobs)
        else:  # driving home only: no fixed cost
            cost = float(a.v_cost_per_m[v] * a.distances[path[0], path[1]] + a.v_cost_per_s[v] * dur[path[0], path[1]])
        cost = (cost + late_cost) / a.cost_scale
        out.append(
            Route(
                vehicle_id=a.vehicle_ids[v],
                vehicle_type=vtype[v],
                depot=site_names[int(a.v_start[v])],
                stops=stops,
                distance_m=dist_total,
                duration_s=duration,
                cost=round(cost, 4),
            )
        )
    return out


def _window_of(wins: tuple[tuple[int, int], ...], t: int) -> TimeWindow | None:
    """The window a service start falls in (or the last one before it, when late)."""
    chosen = None
    for ws, we in wins:
        if we < ws:
            continue
        if ws <= t <= we:
            return TimeWindow(ws, we)
        if ws <= t:
            chosen = TimeWindow(ws, we)
    return chosen or (TimeWindow(*wins[0]) if wins and wins[0][1] >= wins[0][0] else None)


__all__ = [
    "OrToolsModel",
    "SearchResult",
    "solve",
    "solve_arrays",
    "build_routes",
    "order_penalties",
    "DEFAULT_STRATEGIES",
    "ModelError",
    "Handoff",
]
