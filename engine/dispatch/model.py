"""OR-Tools side of the solve: the routing model of a ``VrpArrays`` and the ``Route``s it gives back.

``OrToolsModel`` makes every job optional at its drop penalty and models
windows (several per job, hard or soft), capacities in every dimension,
breaks, shifts and maximum durations, and carriers as extra vehicles (each
job on one costs its price, at most the carrier's capacity of them; the cost
model is ``engine.dispatch.cost``); ``Tracker`` follows the best cost over
every phase of one solve; ``build_routes`` turns a solution into routes with
times, loads and legs.

Why this module is long: ``build_routes`` reads the model's own indexing
(carriers as extra vehicles, break intervals, the time dimension), so it lives
beside the model; it also times routes that come from the numba search alone
(``engine.dispatch.schedule``), which is what took the module past 520 lines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from engine.dispatch import cost as _cost
from engine.dispatch import schedule as _schedule
from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.dispatch.convert import DIM_SCALE
from engine.domain.plan import Route, Stop
from engine.domain.problem import TimeWindow

#: Called with ``(seconds since the start, best cost)`` on every improvement.
ProgressFn = Callable[[float, float], None]


class Tracker:
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
        # Carriers are vehicles m .. m + n_carriers - 1, parked at vehicle 0's start; they
        # neither drive nor take time (see the time dimension below).
        nc = a.n_carriers
        home = int(a.v_start[0])
        self.manager = pywrapcp.RoutingIndexManager(
            n, m + nc, [int(x) for x in a.v_start] + [home] * nc, [int(x) for x in a.v_end] + [home] * nc
        )
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
        for k in range(nc):
            price = np.where(np.isfinite(a.carrier_price[k]), a.carrier_price[k], 0.0)
            price[: a.n_depots] = 0.0
            c = np.broadcast_to(np.rint(price).astype(np.int64)[None, :], (n, n))
            cb = routing.RegisterTransitMatrix(c.tolist())
            routing.SetArcCostEvaluatorOfVehicle(cb, m + k)
        if nc:
            # A carrier's "travel" goes back by the whole horizon on every arc and the slack
            # (up to twice the horizon) brings it anywhere: its jobs may come in any order
            # and every window still holds.
            back = routing.RegisterTransitMatrix(np.full((n, n), -cap, dtype=np.int64).tolist())
            time_transits += [back] * nc
        routing.AddDimensionWithVehicleTransits(time_transits, 2 * cap if nc else cap, cap, False, "time")
        self.time = time_dim = routing.GetDimensionOrDie("time")

        for k in range(a.n_dims):
            col = a.demand[:, k]
            if a.preload is not None and a.preload[:, k].any():
                self._load_with_preload(k, nc)
                continue
            if not col.any():
                continue
            # Counts up along the route: what was delivered so far, or (shipments, whose
            # delivery is negative) what is on board.
            cb = routing.RegisterUnaryTransitVector([int(x) for x in col])
            caps = [int(min(int(x), INT_INF)) for x in a.v_capacity[:, k]] + [INT_INF] * nc
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"dim{k}")
        if nc:
            ones = np.ones(n, dtype=np.int64)
            ones[: a.n_depots] = 0
            cb = routing.RegisterUnaryTransitVector([int(x) for x in ones])
            caps = [INT_INF] * m + [int(min(int(x), INT_INF)) for x in a.carrier_capacity]
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "carrier_jobs")

        soft = a.lateness_cost_per_s > 0
        soft_coef = max(1, int(round(a.lateness_cost_per_s))) if soft else 0
        starts_ends = set(int(x) for x in a.v_start) | set(int(x) for x in a.v_end)
        for node in range(a.n_depots):
            if node not in starts_ends:
                # A depot no vehicle uses is not a stop: free to leave out, never worth visiting.
                routing.AddDisjunction([mgr.NodeToIndex(node)], 0)
        all_vehicles = np.arange(m + nc)
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
            allowed = all_vehicles[np.concatenate([a.compat[:, node], np.isfinite(a.carrier_price[:, node])])]
            if allowed.size == 0:
                routing.solver().Add(routing.ActiveVar(idx) == 0)
            elif allowed.size < m + nc:
                # SetAllowedVehiclesForIndex's SWIG binding rejects Python lists in OR-Tools 9.15;
                # restricting the vehicle variable's domain is the equivalent (-1 = unperformed).
                routing.VehicleVar(idx).SetValues([-1, *(int(x) for x in allowed)])
            routing.AddDisjunction([idx], int(min(a.penalty[node], 2**62)))

        solver = routing.solver()
        for pu, de in a.pairs:
            # Same vehicle, pickup first, both or neither.
            ip, idl = mgr.NodeToIndex(int(pu)), mgr.NodeToIndex(int(de))
            routing.AddPickupAndDelivery(ip, idl)
            solver.Add(routing.ActiveVar(ip) == routing.ActiveVar(idl))
            solver.Add(routing.VehicleVar(ip) == routing.VehicleVar(idl))
            solver.Add(time_dim.CumulVar(ip) <= time_dim.CumulVar(idl))
        if a.v_max_distance is not None and np.any(a.v_max_distance < INT_INF):
            dcb = routing.RegisterTransitMatrix(a.distances.astype(np.int64).tolist())
            caps = [int(min(int(x), INT_INF)) for x in a.v_max_distance] + [INT_INF] * nc
            routing.AddDimensionWithVehicleCapacity(dcb, 0, caps, True, "distance")
        if a.v_max_travel is not None and np.any(a.v_max_travel < INT_INF):
            # Driving only (VROOM's max_travel_time): service and waiting are not in these transits.
            travel_cb: dict[int, int] = {}
            for v in range(m):
                p = int(a.v_profile[v])
                if p not in travel_cb:
                    travel_cb[p] = routing.RegisterTransitMatrix(a.profile_durations[p].astype(np.int64).tolist())
            zero = routing.RegisterTransitMatrix(np.zeros((n, n), dtype=np.int64).tolist()) if nc else None
            transits = [travel_cb[int(a.v_profile[v])] for v in range(m)] + [zero] * nc
            caps = [int(min(int(x), INT_INF)) for x in a.v_max_travel] + [INT_INF] * nc
            routing.AddDimensionWithVehicleTransitAndCapacity(transits, 0, caps, True, "travel")
        for v, fixed in enumerate(a.v_fixed):
            # Fixed steps: on this vehicle, in this order (others may come between).
            for j in fixed:
                routing.VehicleVar(mgr.NodeToIndex(int(j))).SetValue(v)
            for j1, j2 in zip(fixed, fixed[1:]):
                solver.Add(time_dim.CumulVar(mgr.NodeToIndex(int(j1))) + int(a.service[int(j1)]) <= time_dim.CumulVar(mgr.NodeToIndex(int(j2))))
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
        for k in range(nc):
            time_dim.CumulVar(routing.Start(m + k)).SetRange(0, cap)
            time_dim.CumulVar(routing.End(m + k)).SetRange(0, cap)
        self._keep.append(node_visit)
        # Schedules: finish each route as early as possible, then leave as late as that
        # allows (no pointless waiting at the first stop).  Finalizers run in the order added.
        for v in range(m):
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
        for v in range(m):
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))

    def _load_with_preload(self, k: int, nc: int) -> None:
        """Dimension ``k`` when delivery jobs load at the start and shipments come and go.

        ``load{k}`` is the load itself (start free, each node adds its signed change,
        within 0..capacity everywhere); ``pre{k}`` counts the route's preload up, and the
        load at the start must hold all of it.
        """
        a, routing = self.a, self.routing
        caps = [int(min(int(x), INT_INF)) for x in a.v_capacity[:, k]] + [INT_INF] * nc
        change = routing.RegisterUnaryTransitVector([int(x) for x in a.demand[:, k]])
        routing.AddDimensionWithVehicleCapacity(change, 0, caps, False, f"load{k}")
        pre = routing.RegisterUnaryTransitVector([int(x) for x in a.preload[:, k]])
        routing.AddDimensionWithVehicleCapacity(pre, 0, [INT_INF] * len(caps), True, f"pre{k}")
        load, total = routing.GetDimensionOrDie(f"load{k}"), routing.GetDimensionOrDie(f"pre{k}")
        for v in range(a.n_vehicles):
            routing.solver().Add(load.CumulVar(routing.Start(v)) >= total.CumulVar(routing.End(v)))

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

    def watch(self, tracker: Tracker) -> None:
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

    def from_routes(
        self, routes: Sequence[Sequence[int]], handoffs: Mapping[int, int] | None = None
    ) -> pywrapcp.Assignment | None:
        """An assignment for ``routes`` (job nodes per vehicle), or None if OR-Tools finds it infeasible.

        ``handoffs`` (job node -> carrier index) fills the carriers; by default
        the jobs off the routes go to carriers by ``engine.dispatch.cost.hand_off``.
        """
        a = self.a
        if handoffs is None:
            on = {int(x) for r in routes for x in r}
            handoffs = _cost.hand_off(a, [j for j in range(a.n_depots, a.n_nodes) if j not in on])
        # ReadAssignmentFromRoutes wants routing indices, which differ from nodes whenever
        # an end depot is not also a start.
        to_index = self.manager.NodeToIndex
        as_lists = [[int(to_index(int(x))) for x in r] for r in routes]
        while len(as_lists) < a.n_vehicles:
            as_lists.append([])
        for k in range(a.n_carriers):
            as_lists.append([int(to_index(j)) for j, kk in sorted(handoffs.items()) if kk == k])
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

    def handoffs(self, sol: pywrapcp.Assignment) -> dict[int, int]:
        """Job node -> carrier index of every job on a carrier."""
        out: dict[int, int] = {}
        r, mgr, m = self.routing, self.manager, self.a.n_vehicles
        for k in range(self.a.n_carriers):
            idx = sol.Value(r.NextVar(r.Start(m + k)))
            while not r.IsEnd(idx):
                out[int(mgr.IndexToNode(idx))] = k
                idx = sol.Value(r.NextVar(idx))
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



@dataclass
class SearchResult:
    """Best solution of a solve over arrays, with the OR-Tools model and assignment it lives in."""

    routes: list[list[int]]
    cost: float  # array cost units (OR-Tools objective)
    trajectory: list[tuple[float, float]] = field(default_factory=list)
    phases: list[tuple[str, float, float]] = field(default_factory=list)  # (phase, seconds, cost)
    model: OrToolsModel | None = None
    assignment: object | None = None
    #: Job node -> carrier index of the jobs handed off in the model (``VrpArrays.carrier_ids``).
    handoffs: dict[int, int] = field(default_factory=dict)
    #: Job nodes left out because the time limit came before the search tried them.
    unplaced: list[int] = field(default_factory=list)
    #: Vehicle -> its route's schedule, when the routes are the search's alone (``search_only``).
    schedules: dict[int, _schedule.Schedule] = field(default_factory=dict)
    #: The numba search found the problem over-full and used its left-out cache (``improve.over_full``).
    over_full: bool = False

    @property
    def search_only(self) -> bool:
        """The routes come from the numba search alone (no OR-Tools model): times from ``engine.dispatch.schedule``."""
        return self.model is None



def build_routes(a: VrpArrays, res: SearchResult, keep: Collection[str] = ()) -> list[Route]:
    """Turn a solution into ``Route``s with times, loads and legs.

    Times come from the OR-Tools assignment, or, when the routes are the numba
    search's alone (``res.search_only``), from ``engine.dispatch.schedule``
    (whose routes must be feasible: the pipeline checks them first).
    Coordinates come from ``a.meta["lat"/"lon"]`` (NaN when a problem has only a matrix).
    """
    model, sol = res.model, res.assignment
    if model is not None and sol is None:
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
        placed: list[tuple[int, int, int]] = []  # (gap, start, duration) of breaks on the route
        if not path_jobs:
            times = []
        elif model is None:
            sched = res.schedules.get(v) or _schedule.route(a, v, path_jobs)
            if sched is None:
                raise ValueError(f"vehicle {v}: the search's route cannot be scheduled")  # the pipeline checks first
            times = sched.times
            placed = [b for b in sched.breaks if b[0] < len(path)]
        else:
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
        for gap, bs, bd in reversed(placed):
            # Into its gap: after stop gap - 1 (a break before the departure comes after the start).
            ref = stops[max(0, gap - 1)]
            stops.insert(max(1, gap), Stop(None, "break", None, ref.lat, ref.lon, int(bs), int(bs + bd), dict(ref.load), 0.0, 0.0))
        for bs, bd in (model.break_times(sol, v) if model is not None else []):
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




__all__ = ["OrToolsModel", "ProgressFn", "SearchResult", "Tracker", "build_routes"]
