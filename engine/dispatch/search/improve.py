"""Improve (or build) routes for a ``VrpArrays`` with a numba ruin-and-recreate search.

Why this module is long: one run's driver (``_Run``), the race of two starts, the
restarts and ``search`` itself share a run's state and the clock; apart, they would pass
both around.

``search`` runs SISR (string removals + blink insertion + simulated annealing,
see ``engine.dispatch.search.kernels``) until a time limit or an iteration
budget; under a time limit it then recombines the routes its runs have seen
(``engine.dispatch.search.recombine``).  It works standalone (it builds its own first solution by cheapest
insertion) or from routes another solver found, e.g. an OR-Tools first
solution, and its result can warm-start OR-Tools.

Supported: heterogeneous vehicles (own start/end node, shift window, capacity
in several dimensions, maximum duration, fixed cost if used, cost per metre,
per second driven and per second of service (``engine.dispatch.cost``), speed
profiles, a vehicle/job compatibility mask, several windows per job, optional
jobs with a penalty, carriers pooled into one capacity (left out when that is
cheaper or no route can take them) and breaks (``engine.dispatch.schedule``
states the rules; exact, but every insertion into a route with breaks
re-schedules it) and pickup-and-delivery pairs (same route, pickup first, both
or neither; loads checked along the route), distance and driving-time limits
per route, and fixed steps (jobs bound to a vehicle in a given order, others
between them).  Not modelled: pairs beside carriers that could take orders or
beside fixed steps (``supports`` tells the caller), and soft windows (searched as
hard, which only errs on the safe side).

The construction checks the clock between chunks of ~20 ms and leaves the jobs
it had no time for out (``SearchResult.unplaced``); the neighbour lists (n^2
work) are built after it, so a big day that only has time for a construction
does not pay for them.

Determinism: with ``max_iterations`` given and one thread, the result depends
only on the seed and the inputs (the time limit can still cut the run short).
Without it the temperature schedule follows the clock, over at most
``cooling_limit`` iterations (``SearchParams.cooling_iterations`` x jobs^2, and
x jobs^3 / ``cooling_jobs`` above that many jobs): a search that completes that
schedule before its time limit has converged and returns early.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.dispatch.params import SearchParams
from engine.dispatch.search import descent as D
from engine.dispatch.search import kernels as K
from engine.dispatch.search.problem import build_problem, leave_out_prices, supports, with_neighbours, with_prices
from engine.dispatch.search.recombine import RoutePool, recombine, vehicle_classes
from engine.errors import InputError


@dataclass
class SearchResult:
    """Best solution of a search run."""

    #: Per vehicle, the job nodes in visiting order (depots left out).
    routes: list[list[int]]
    #: Objective in array units: route costs plus penalties of unassigned jobs.
    cost: float
    #: Job nodes left out.
    unassigned: list[int]
    iterations: int
    seconds: float
    #: (seconds, best cost) whenever the best improved (sampled per chunk).
    trajectory: list[tuple[float, float]] = field(default_factory=list)
    #: The search stopped before its budget: under a time limit its cooling schedule
    #: (``SearchParams.cooling_iterations``) was complete, under an iteration budget no new
    #: best came for ``SearchParams.stall_iterations`` per job.
    converged: bool = False
    #: Job nodes left out because the construction ran out of time before trying them.
    unplaced: list[int] = field(default_factory=list)
    #: The problem was over-full and the search kept its left-out cache (see ``over_full``).
    over_full: bool = False


def _initial_arrays(arrays: VrpArrays, initial_routes: Sequence[Sequence[int]] | None) -> tuple[np.ndarray, np.ndarray]:
    nv, nd, n = arrays.n_vehicles, arrays.n_depots, arrays.n_nodes
    seq = np.zeros((nv, max(1, arrays.n_jobs)), dtype=np.int32)
    lens = np.zeros(nv, dtype=np.int32)
    if initial_routes is None:
        return seq, lens
    if len(initial_routes) > nv:
        raise InputError(f"improve.search: {len(initial_routes)} initial routes for {nv} vehicles", item="improve.search", field="initial_routes")
    seen: set[int] = set()
    for v, route in enumerate(initial_routes):
        for node in route:
            node = int(node)
            if not nd <= node < n:
                raise InputError(
                    f"improve.search: initial route of vehicle {v} visits node {node}, not a job node ({nd}..{n - 1})",
                    item="improve.search", field="initial_routes",
                )
            if node in seen:
                raise InputError(f"improve.search: job node {node} appears twice in the initial routes", item="improve.search", field="initial_routes")
            seen.add(node)
        lens[v] = len(route)
        seq[v, : len(route)] = np.asarray(route, dtype=np.int32)
    return seq, lens


def _servable_start(P: K.KProblem, init: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Starting routes without the jobs their vehicle may not serve, nor the fixed steps that
    sit on another vehicle or out of their order (the construction puts them back where they
    belong, or leaves them out)."""
    seq, lens = init[0].copy(), init[1].copy()
    for v in range(len(lens)):
        kept: list[int] = []
        last = -1
        for node in seq[v, : lens[v]].tolist():
            if not P.compat[v, node]:
                continue
            if P.fixv[node] >= 0:
                if P.fixv[node] != v or P.frank[node] <= last:
                    continue
                last = int(P.frank[node])
            kept.append(node)
        lens[v] = len(kept)
        seq[v, : len(kept)] = kept
    return seq, lens


class _Run:
    """One SISR trajectory: its own state, random stream and best solution."""

    def __init__(
        self, P: K.KProblem, arrays: VrpArrays, init: tuple[np.ndarray, np.ndarray], seed: int, params: SearchParams,
        order_kind: int, deadline: float = math.inf,
    ) -> None:
        self.P = P
        self.params = params
        self.W = K.new_state(
            arrays.n_nodes, arrays.n_vehicles, arrays.n_dims, arrays.n_jobs, int(np.diff(P.bptr).max(initial=0)), pairs=bool(P.pdp),
        )
        # splitmix64 of the seed so that nearby seeds give unrelated streams
        z = (int(seed) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        self.rng = np.array([(z ^ (z >> 31)) or 1], dtype=np.uint64)
        #: Job nodes the construction had no time to place (left out; empty unless the deadline hit).
        self.unplaced: list[int] = []
        t_build = time.perf_counter()
        cost = self._construct(arrays, init, order_kind, deadline)
        #: Seconds the construction took (the search skips a second start when time is short).
        self.build_seconds = time.perf_counter() - t_build
        self.cur_seq = self.W.seq.copy()
        self.cur_len = self.W.rlen.copy()
        self.best_seq = self.W.seq.copy()
        self.best_len = self.W.rlen.copy()
        self.cur_cost = np.array([cost])
        self.best_cost = np.array([cost])
        self.best_cost_seen = cost
        routed = int(self.W.rlen.sum())
        per_job = float(self.W.rcost.sum()) / max(1, routed)
        if per_job <= 0.0:
            per_job = 1.0
        self.t_start = params.t_start * per_job
        self.t_end = params.t_end * per_job
        self.weights = np.asarray(params.order_weights, dtype=np.float64)
        # the left-out cache of the kernels (``use_left_out_cache``); empty: off
        self.jver = np.empty((0, 0), dtype=np.int64)
        self.jthr = np.empty(0, dtype=np.float64)
        self.iterations = 0
        #: Where the plans near this run's best leave their routes (``search`` sets it; None: no recombination).
        self.pool: RoutePool | None = None
        #: Nearest jobs of the descent after every recreate (``SearchParams.ls_neighbours``;
        #: ``_restarts`` turns it off when the time holds more than one run).
        self.ls_near = params.ls_neighbours
        self.descended_at = math.nan
        self.last_best_it = 0
        self.converged = False
        # Under an iteration budget: no new best for this many iterations and the search
        # has converged (a 2-job day gets there in milliseconds).
        self.stall_limit = max(5_000, params.stall_iterations * arrays.n_jobs)
        # Under a clock: the cooling schedule spans at most this many iterations, and a
        # search that completes it has converged.
        self.cooling_limit = cooling_limit(arrays.n_jobs, params)

    def _construct(self, arrays: VrpArrays, init: tuple[np.ndarray, np.ndarray], order_kind: int, deadline: float) -> float:
        """Cheapest insertion of every job not on ``init``, in chunks with the deadline checked between them.

        Jobs still waiting at the deadline are left out (``unplaced``): a late plan that
        leaves orders to carriers beats a plan after the time limit.  Without a deadline
        (the deterministic stop) every job is tried.
        """
        P, W = self.P, self.W
        n, C = arrays.n_nodes, W.seq.shape[1]
        rem = np.empty(n + 1, dtype=np.int32)
        keys = np.empty(n + 1, dtype=np.float64)
        nrem = int(K.init_begin(P, W, init[0], init[1], self.rng, order_kind, rem, keys))
        stamp = np.zeros(1, dtype=np.int64)
        seen = np.zeros(arrays.n_vehicles + 1, dtype=np.int64)
        tseq, tes, tls = np.empty(C + 1, dtype=np.int32), np.empty(C + 1, dtype=np.int64), np.empty(C + 1, dtype=np.int64)
        i, step = 0, nrem if deadline == math.inf else 32
        while i < nrem:
            now = time.perf_counter()
            if now >= deadline:
                K.leave_out_rest(P, W, rem, i, nrem)
                # a pair is tried (or left untried) with its pickup, wherever its delivery stood in ``rem``
                rest = [int(x) for x in rem[i:nrem] if P.partner[x] < 0 or P.is_pick[x]]
                rest += [int(P.partner[x]) for x in rest if P.partner[x] >= 0]
                self.unplaced = sorted(rest)
                break
            j = min(nrem, i + step)
            K.init_insert(P, W, rem, i, j, self.rng, stamp, seen, tseq, tes, tls)
            dt = time.perf_counter() - now
            # chunks of ~20 ms: the deadline is never overrun by more than that
            step = int(min(max(8, (j - i) * 0.02 / max(dt, 1e-6)), 4 * (j - i) + 8))
            i = j
        return float(K.total(W))

    def chunk(self, n_iter: int, it_total: int) -> None:
        p = self.params
        K.run_chunk(
            self.P, self.W, self.cur_seq, self.cur_len, self.cur_cost, self.best_seq, self.best_len, self.best_cost,
            self.rng, self.iterations, n_iter, max(1, it_total), self.t_start, self.t_end,
            p.avg_removed, p.max_string, p.split_rate, p.split_depth, p.blink, self.weights, self.jver, self.jthr, p.open_rate,
            p.open_min_jobs, self.ls_near, p.ls_passes, p.ls_from, p.ls_keep,
        )
        self.iterations += n_iter

    def drive(self, deadline: float, max_iterations: int | None, t0: float, trajectory: list[tuple[float, float]] | None,
              on_progress: Callable[[float, float], None] | None, until: float | None = None, descend: bool = True) -> None:
        """Run chunks until the deadline or the iteration budget (or ``until``, an earlier pause).

        ``descend``: the descent may run on the current solution (``SearchParams.descent_from``);
        not in a race of two starts under an iteration budget, whose ``max_iterations`` is the race's.
        """
        # Start with one iteration: on a big over-full day one iteration re-inserts thousands
        # of left-out jobs (~20 ms), and 200 of them overran a 5 s limit by 4 s.
        step = 1
        per_it = 0.0
        last_best = math.inf
        d0 = time.perf_counter()  # the rate excludes set-up, so the schedule spans the search itself
        i0 = self.iterations  # a run resumed after a race: the rate counts this call only
        while True:
            now = time.perf_counter()
            left = deadline - now
            if left <= 0 or (until is not None and now >= until) or self.converged:
                break
            if max_iterations is not None:
                total = max_iterations
                if self.iterations >= total:
                    break
                n_it = min(step, total - self.iterations)
            else:
                if self.iterations >= self.cooling_limit:
                    self.converged = True
                    break
                elapsed = max(now - d0, 1e-6)
                rate = (self.iterations - i0) / elapsed if self.iterations > i0 else 0.0
                total = int(self.iterations + rate * left) if rate else 10**9
                total = min(total, self.cooling_limit)
                # no chunk longer than what is left of the time (at the last chunk's pace)
                n_it = max(1, min(step, int(left / per_it))) if per_it > 0 else step
                n_it = min(n_it, self.cooling_limit - self.iterations)
            c0 = time.perf_counter()
            self.chunk(n_it, total)
            dt = time.perf_counter() - c0
            if descend and self.params.descent_from < 1.0 and self.iterations >= self.params.descent_from * total:
                self.descend_current(deadline)
            per_it = dt / n_it
            if self.pool is not None:
                # At a chunk's end the working state is the current plan, route costs included.
                self.pool.offer(self.cur_seq, self.cur_len, self.W.rcost, float(self.cur_cost[0]), float(self.best_cost[0]))
            if max_iterations is not None:
                # Chunk sizes that do not depend on the clock: the convergence test below
                # runs between chunks, and the deterministic stop must not see the machine.
                step = min(4 * step, 1000)
            elif dt > 0:
                # chunks of ~0.1 s: fine-grained enough for the deadline, coarse enough to be free;
                # growing at most 4x a chunk, so one slow iteration cannot be followed by a long chunk
                step = int(min(max(1, step * 0.1 / dt), 4 * step, 200_000))
            b = float(self.best_cost[0])
            if b < float(self.best_cost_seen):
                self.best_cost_seen = b
                self.last_best_it = self.iterations
            elif max_iterations is not None and self.iterations - self.last_best_it >= self.stall_limit:
                self.converged = True
            if b < last_best:
                last_best = b
                t = time.perf_counter() - t0
                if trajectory is not None:
                    trajectory.append((round(t, 3), b))
                if on_progress is not None:
                    on_progress(t, b)

    def use_left_out_cache(self) -> None:
        """Skip re-scanning, for a left-out job, the routes unchanged since it was last left out.

        On an over-full day every iteration re-inserts hundreds of left-out jobs into
        every route (36 s instead of 6 s for 2,000 iterations of 2,336 orders); almost all
        of them were refused by the same routes an iteration before.  With the cache a
        left-out job scans only the routes changed since (a rejected move gives a route
        back its old version), and of those only the ones holding one of its
        ``kernels.GRANULAR`` nearest jobs.  On the 2,336-order wave: 2,000 iterations
        in ~9 s instead of ~33 s, with a lower objective (more orders on the vans).
        The cache changes the random stream (the blinks of the skipped positions are
        not drawn), so it is used on over-full problems only and a fitting problem's
        search is bit-for-bit as without it.
        """
        n, nv = self.W.node_route.shape[0], self.W.rlen.shape[0]
        self.jver = np.full((n, nv), -1, dtype=np.int64)
        self.jthr = np.full(n, -np.inf, dtype=np.float64)

    def _descend_working(self, deadline: float) -> int:
        """The descent on the working state, pass by pass until none moves or the deadline
        passes (one pass always); returns its moves."""
        p = self.params
        moves = 0
        for _ in range(p.descent_passes):
            m, _ = D.descend(self.P, self.W, p.descent_neighbours, 1)
            moves += int(m)
            if not m or time.perf_counter() >= deadline:
                break
        return moves

    def _working_into(self, seq: np.ndarray, lens: np.ndarray) -> None:
        for v in range(lens.shape[0]):
            L = int(self.W.rlen[v])
            seq[v, : L + 2] = self.W.seq[v, : L + 2]
            lens[v] = L

    def descend_current(self, deadline: float) -> None:
        """Run the descent on the current solution when it is the best (and has changed since)."""
        p = self.params
        cur = float(self.cur_cost[0])
        if p.descent_neighbours == 0 or cur > float(self.best_cost[0]) + 1e-9 or cur == self.descended_at or not D.applies(self.P):
            return
        if self._descend_working(deadline):
            self._working_into(self.cur_seq, self.cur_len)
            self.cur_cost[0] = float(K.total(self.W))
            if float(self.cur_cost[0]) < float(self.best_cost[0]):
                self.best_cost[0] = self.cur_cost[0]
                self.best_seq[:] = self.cur_seq
                self.best_len[:] = self.cur_len
        self.descended_at = float(self.cur_cost[0])

    def polish(self, deadline: float) -> int:
        """Finish the best routes with the descent (``engine.dispatch.search.descent``); returns its moves.

        One pass always (milliseconds at 400 jobs), more while the deadline allows.  Leaves
        the working state apart from the current solution: call it once the run is over.
        """
        if self.params.descent_neighbours == 0 or not D.applies(self.P):
            return 0
        before = D.load_routes(self.P, self.W, self.best_seq, self.best_len)
        moves = self._descend_working(deadline)
        if moves:
            self._working_into(self.best_seq, self.best_len)
            self.best_cost[0] = float(self.best_cost[0]) + float(self.W.rcost.sum()) - before
        return moves

    def result(self) -> tuple[list[list[int]], float]:
        routes = [self.best_seq[v, 1 : 1 + self.best_len[v]].tolist() for v in range(self.best_len.shape[0])]
        return routes, float(self.best_cost[0])


def _restarts(
    first: _Run, P: K.KProblem, arrays: VrpArrays, init: tuple[np.ndarray, np.ndarray], seed: int, params: SearchParams,
    most: int, deadline: float, t0: float, trajectory: list[tuple[float, float]],
    on_progress: Callable[[float, float], None] | None, cut_construction: bool,
) -> list[_Run]:
    """Independent runs one after the other, as many as the time holds (at most ``most``).

    The first run's pace over ``SearchParams.pace_share`` of the time (after as much
    again to warm up) says how many iterations the whole budget holds; each run needs
    ``run_iterations`` x jobs^2 of them.  Each run then cools over its share of the
    time, and the caller keeps the best.  When
    time is plentiful for the size of the problem, where a run ends depends more on its
    seed than on its length: on Gehring-Homberger 200 at 60 s, a third more iterations
    left the mean where it was while the best of two seeds was 0.08 points better.
    """
    begin = time.perf_counter()
    budget = max(0.0, deadline - begin)
    window = params.pace_share * budget
    # The pace is read without the descent after every recreate: that descent is for
    # when the time holds one run only (``SearchParams.ls_scarce``).
    if params.ls_scarce:
        first.ls_near = 0
    first.drive(deadline, None, t0, trajectory, on_progress, until=begin + window)
    # The first chunk carries the kernels' dispatch (tens of ms): the pace is read after it.
    i1, s1 = first.iterations, time.perf_counter()
    first.drive(deadline, None, t0, trajectory, on_progress, until=s1 + window)
    rate = (first.iterations - i1) / max(time.perf_counter() - s1, 1e-6)
    fits = int(rate * budget / (params.run_iterations * max(1, arrays.n_jobs) ** 2))
    k = max(1, min(most, fits))
    if params.ls_scarce:
        first.ls_near = params.ls_neighbours if k == 1 else 0
    runs = []
    for i in range(k):
        until = begin + budget * (i + 1) / k
        if i == 0:
            run = first
        else:
            kind = _ORDER_INIT[i % len(_ORDER_INIT)]
            run = _Run(P, arrays, init, seed + i, params, kind, until if cut_construction else math.inf)
            run.ls_near = first.ls_near
            run.pool = first.pool
            if params.ls_scarce and params.ls_mixed and i % 2 == 1:
                run.ls_near = params.ls_neighbours
        run.drive(until, None, t0, trajectory, on_progress)
        runs.append(run)
    return runs


def _recombined(runs: list[_Run], best: _Run, deadline: float) -> bool:
    """Recombine the pooled routes (every run's best plan added) into ``best``; True when it got cheaper."""
    pool = best.pool
    if pool is None or best.unplaced:
        return False
    before = math.nan
    for r in runs:
        # A run's best plan was current only inside a chunk: its routes go in with their costs.
        routes_cost = D.load_routes(r.P, r.W, r.best_seq, r.best_len)
        if r is best:
            before = routes_cost
        c = float(r.best_cost[0])
        pool.offer(r.best_seq, r.best_len, r.W.rcost, c, c)
    found = recombine(pool, best.best_seq, best.best_len, deadline)
    if found is None:
        return False
    seq, lens, _ = found
    after = D.load_routes(best.P, best.W, seq, lens)
    if after >= before - 1e-9 * max(1.0, abs(before)):
        return False
    best.best_seq[:] = seq
    best.best_len[:] = lens
    best.best_cost[0] = float(best.best_cost[0]) - before + after
    return True


def cooling_limit(n_jobs: int, params: SearchParams) -> int:
    """Iterations the cooling schedule spans at most under a clock (a search that completes it has converged).

    ``cooling_iterations`` times the jobs squared up to ``SearchParams.cooling_jobs``
    jobs, times the jobs cubed (over ``cooling_jobs``) above: at 200 jobs the
    quadratic schedule (4 million iterations) was done in 30-50 s of a 60 s limit
    on Gehring-Homberger C1, R1 and RC1, and the rest of the time went unused.
    """
    n = float(n_jobs)
    return max(5_000, int(params.cooling_iterations * n**2 * max(1.0, n / params.cooling_jobs)))


_ORDER_INIT = (2, 4, 0, 1)  # construction orders for the runs: far first, tight windows, random, demand

#: Share of the jobs a start with every job mandatory still leaves out for a problem to count as over-full.
OVER_FULL_SHARE = 0.05


def over_full(arrays: VrpArrays, mandatory_left_out: int | None) -> bool:
    """Whether the fleet clearly cannot take every job.

    True when the jobs' demand exceeds the whole fleet's capacity in some dimension,
    or when a construction with every job mandatory (``mandatory_left_out``; None:
    none was built) still left out over ``OVER_FULL_SHARE`` of the jobs.  Depends on
    the problem only (never on the clock once the construction is complete).
    """
    if arrays.n_jobs:
        # A pair's load leaves with its delivery, so pairs never fill a fleet by their sum; every
        # other job's delivery rides from the start and its pickup to the end, and a signed sum
        # would let one cancel the other.
        jobs = np.ones(arrays.n_nodes, dtype=bool)
        jobs[: arrays.n_depots] = False
        jobs[np.asarray(arrays.pairs, dtype=np.int64).ravel()] = False
        demand = np.asarray(arrays.demand, dtype=np.int64)[jobs]
        pre = np.zeros_like(demand) if arrays.preload is None else np.asarray(arrays.preload, dtype=np.int64)[jobs]
        fleet = np.asarray(arrays.v_capacity, dtype=np.int64).sum(axis=0)
        if bool(np.any((demand + pre).sum(axis=0) > fleet) or np.any(pre.sum(axis=0) > fleet)):
            return True
    return mandatory_left_out is not None and mandatory_left_out > OVER_FULL_SHARE * arrays.n_jobs


def search(
    arrays: VrpArrays,
    initial_routes: Sequence[Sequence[int]] | None = None,
    time_limit: float = 10.0,
    seed: int = 0,
    *,
    max_iterations: int | None = None,
    threads: int = 1,
    params: SearchParams | None = None,
    on_progress: Callable[[float, float], None] | None = None,
    cut_construction: bool = True,
) -> SearchResult:
    """Best routes found by SISR within ``time_limit`` seconds (or ``max_iterations``).

    Parameters
    ----------
    arrays
        The problem.
    initial_routes
        Optional starting routes, one list of job nodes per vehicle (fewer
        lists than vehicles is fine).  Infeasible ones are repaired by
        ejecting jobs; jobs not on them are inserted by cheapest insertion.
    time_limit
        Wall-clock seconds, including set-up (0 with ``max_iterations``: no limit).
    seed
        Seed of the random stream.
    max_iterations
        Iteration budget; makes the run reproducible (see module docstring).
    threads
        Independent runs in parallel threads (seeds ``seed, seed+1, ...``);
        the best is returned.
    params
        Search tuning (default ``SearchParams()``).
    on_progress
        Called with ``(seconds, best cost)`` whenever the best improves (one thread only).
    cut_construction
        Stop the construction at the time limit (the jobs not yet tried are left
        out, ``SearchResult.unplaced``).  False: it always completes, late if it
        must (a caller with another solver behind it and a problem whose
        construction takes milliseconds prefers a complete start).

    Returns
    -------
    SearchResult
        Per vehicle the job nodes in order (empty list: vehicle unused), the
        objective (route costs plus penalties of the jobs left out), the jobs
        left out, iterations, seconds and the trajectory.
    """
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or math.isnan(time_limit) or (time_limit <= 0 and max_iterations is None):
        raise InputError(f"improve.search: time_limit must be > 0, got {time_limit}", item="improve.search", field="time_limit")
    if threads < 1:
        raise InputError(f"improve.search: threads must be >= 1, got {threads}", item="improve.search", field="threads")
    params = params or SearchParams()
    t0 = time.perf_counter()
    deadline = t0 + (time_limit if time_limit > 0 else math.inf)
    P = build_problem(arrays, params)
    init = _initial_arrays(arrays, initial_routes)
    if P.fix_on and initial_routes is None:
        # the steps start on their vehicles, in order, as VROOM's solving mode starts from them
        init = _initial_arrays(arrays, [list(f) for f in arrays.v_fixed])
    init = _servable_start(P, init)
    forced = None
    if initial_routes is None and bool(np.any(leave_out_prices(arrays) < params.construction_penalty)):
        # Built with the real drop penalties, the start never opens a route when a carrier
        # costs less than a route's fixed cost for one order, and the search cannot climb
        # out of "hand everything off".  A second start is built with every order mandatory
        # and the two race for ``race_share`` of the budget.  Neither start's own cost says which
        # search ends better: on the 1,000-order day the forced one starts cheaper (fewer,
        # fuller routes) yet ends 4% worse.
        forced_arrays = dataclasses.replace(
            arrays,
            penalty=np.maximum(arrays.penalty, params.construction_penalty),
            carrier_price=np.maximum(arrays.carrier_price, params.construction_penalty),
        )
        forced = (forced_arrays, with_prices(P, forced_arrays))
    pairs: list[tuple[_Run, _Run | None]] = []
    mandatory_left_out: int | None = None
    for i in range(threads):
        kind = _ORDER_INIT[i % len(_ORDER_INIT)]
        build_by = deadline if cut_construction else math.inf
        run = _Run(P, arrays, init, seed + i, params, kind, build_by)
        other = None
        # The second start costs two more constructions: under a clock it is built only
        # when they take a small part of what is left (5,000 orders on a 5 s limit: not).
        if forced is not None and 2 * run.build_seconds < 0.25 * (deadline - time.perf_counter()):
            start = _Run(forced[1], forced[0], init, seed + i, params, kind, build_by)
            if i == 0 and not start.unplaced:
                mandatory_left_out = int(start.W.nunas[0])
            routes, _ = start.result()
            other = _Run(P, arrays, _initial_arrays(arrays, routes), seed + i, params, kind, build_by)
        elif i == 0 and forced is None and not run.unplaced:
            mandatory_left_out = int(run.W.nunas[0])  # every job mandatory already
        pairs.append((run, other))
    is_over_full = over_full(arrays, mandatory_left_out)
    if is_over_full:
        for run, other in pairs:
            run.use_left_out_cache()
            if other is not None:
                other.use_left_out_cache()
    if time.perf_counter() < deadline:
        P = with_neighbours(P, arrays, params)
        for run, other in pairs:
            run.P = P
            if other is not None:
                other.P = P
    trajectory: list[tuple[float, float]] = []

    def work(pair: tuple[_Run, _Run | None], traj: list[tuple[float, float]] | None,
             progress: Callable[[float, float], None] | None) -> _Run:
        run, other = pair
        if other is not None:
            # Progress is reported during the race too (a big day shows its first plan at
            # once); the trajectory is made monotone below.
            if max_iterations is not None:
                race = max(1, int(params.race_share * max_iterations))
                run.drive(deadline, race, t0, traj, progress, descend=False)
                other.drive(deadline, race, t0, traj, progress, descend=False)
            else:
                # Each gets half the race; the schedule still spans the whole budget.
                now = time.perf_counter()
                race_s = params.race_share * max(0.0, deadline - now)
                run.drive(deadline, None, t0, traj, progress, until=now + 0.5 * race_s)
                other.drive(deadline, None, t0, traj, progress, until=now + race_s)
            if float(other.best_cost[0]) < float(run.best_cost[0]):
                run = other
        run.drive(deadline, max_iterations, t0, traj, progress)
        return run

    restarts = params.runs if forced is None and not is_over_full and max_iterations is None else 1
    pooled = (threads == 1 and max_iterations is None and not is_over_full and arrays.n_carriers == 0 and not P.fix_on
              and 0 < arrays.n_jobs <= params.pool_max_jobs and params.pool_share > 0 and math.isfinite(deadline))
    end, pool_seconds = deadline, 0.0
    if pooled:
        pool = RoutePool(vehicle_classes(arrays), params.pool_gap)
        for run in pairs[0]:
            if run is not None:
                run.pool = pool
        # The runs leave the recombination its share of the time, and no more: a search that
        # converged early still answers early.
        pool_seconds = params.pool_share * max(0.0, deadline - time.perf_counter())
        deadline -= pool_seconds
    if threads == 1 and restarts > 1:
        runs = _restarts(pairs[0][0], P, arrays, init, seed, params, restarts, deadline, t0, trajectory, on_progress, cut_construction)
    elif threads == 1:
        runs = [work(pairs[0], trajectory, on_progress)]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futs = [pool.submit(work, pair, None, None) for pair in pairs]
            runs = [f.result() for f in futs]
    # Best so far over time: the two racing starts each reported their own improvements.
    monotone: list[tuple[float, float]] = []
    for point in trajectory:
        if not monotone or point[1] < monotone[-1][1]:
            monotone.append(point)
    trajectory = monotone
    best = min(runs, key=lambda r: float(r.best_cost[0]))
    deadline = end
    if pooled and _recombined(runs, best, min(end, time.perf_counter() + pool_seconds)):
        t, b = round(time.perf_counter() - t0, 3), float(best.best_cost[0])
        trajectory.append((t, b))
        if on_progress is not None:
            on_progress(t, b)
    if best.polish(deadline):
        # the descent's gain is an improvement like any other: reported as the search's were
        t, b = round(time.perf_counter() - t0, 3), float(best.best_cost[0])
        trajectory.append((t, b))
        if on_progress is not None and threads == 1:
            on_progress(t, b)
    routes, cost = best.result()
    if threads > 1:
        trajectory.append((round(time.perf_counter() - t0, 3), cost))
    routed = {c for r in routes for c in r}
    unassigned = [j for j in range(arrays.n_depots, arrays.n_nodes) if j not in routed]
    return SearchResult(
        routes=routes, cost=cost, unassigned=unassigned, iterations=sum(r.iterations for r in runs),
        seconds=time.perf_counter() - t0, trajectory=trajectory, converged=all(r.converged for r in runs),
        unplaced=sorted({j for r in runs for j in r.unplaced} - routed),
        over_full=is_over_full,
    )


def warm() -> None:
    """Compile (or load from numba's cache) every kernel specialisation on a tiny problem, and import the
    recombination's solvers.

    Exercises the plain, maximum-duration, break and multi-window paths so that the
    first real call does not pay the compile time (~20 s cold).
    """
    n, nv = 6, 2
    xy = np.array([[0, 0], [10, 0], [0, 10], [-10, 0], [0, -10], [5, 5]], dtype=float)
    d = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int32)
    wins = (((0, 1000),), ((0, 1000),), ((0, 5), (100, 900)), ((0, 1000),), ((0, 1000),), ((0, 1000),))
    a = VrpArrays(
        n_depots=1, durations=d, distances=d.copy(), service=np.zeros(n, dtype=np.int32),
        tw_start=np.zeros(n, dtype=np.int32), tw_end=np.full(n, 1000, dtype=np.int32),
        demand=np.ones((n, 1), dtype=np.int32), v_start=np.zeros(nv, dtype=np.int32), v_end=np.zeros(nv, dtype=np.int32),
        v_capacity=np.full((nv, 1), 10, dtype=np.int32), v_tw_start=np.zeros(nv, dtype=np.int32),
        v_tw_end=np.full(nv, 1000, dtype=np.int32), v_max_duration=np.array([INT_INF, 500], dtype=np.int32),
        v_fixed_cost=np.zeros(nv), v_cost_per_m=np.ones(nv), v_cost_per_s=np.array([0.0, 0.1]),
        compat=np.ones((nv, n), dtype=bool), penalty=np.full(n, 10**6, dtype=np.int64), windows=wins,
        v_breaks=((), ((300, 600, 50),)),
    )
    search(a, [[1, 2]], time_limit=0, seed=0, max_iterations=50)
    search(a, None, time_limit=1e-9, seed=0)  # a construction the deadline cuts short (leave_out_rest)
    # The recombination's solvers: CP-SAT's first import takes ~1 s, which a short time limit cannot spare.
    from ortools.linear_solver import pywraplp  # noqa: F401, PLC0415
    from ortools.sat.python import cp_model  # noqa: F401, PLC0415


__all__ = ["SearchParams", "SearchResult", "build_problem", "search", "supports", "warm"]
