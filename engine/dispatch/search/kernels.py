"""Numba kernels of the ruin-and-recreate search (SISR) behind ``engine.dispatch.search.improve``.

Why this module is long: the numba kernels share one state struct (``KState``
and its per-route caches), whose invariants every move must keep.

The search is Slack Induction by String Removals (Christiaens & Vanden Berghe,
Transportation Science 2020): remove a few strings of customers that sit close
to each other in space from different routes, re-insert them one by one at the
cheapest feasible position with "blinks" (positions skipped at random), and
accept the result by simulated annealing.

Data lives in two namedtuples of flat arrays (``KProblem`` is read-only,
``KState`` a mutable solution with per-route caches) so that every kernel is
``@njit(cache=True, nogil=True)``: two searches can run in threads.

Reference counting was most of the search's time: numba increfs and decrefs
(two atomic operations each) every array of a tuple passed to a function on
entry and exit, and every ``P.x`` read inside a loop with branches (its
pruning works within one basic block only).  With ~50 arrays in the two
tuples that was three quarters of an iteration on Solomon R2.  So the hot
kernels read the arrays they need out of the tuples once, before their loops,
and the ones called per iteration or per route (``_eval_row``, ``_ruin``,
``_recreate``, ``_repair``, the break helpers) are compiled without the
runtime's reference counting (``_nrt=False``): they allocate nothing (the
sort of ``_order_jobs`` keeps the runtime and frees its arrays before it
returns), and every array they touch is owned by the caller for the whole call.  A search does
10-16x the iterations per second it did (Solomon R208: 30,000 iterations in
0.3 s instead of 4.5 s), with the same routes at the same iteration count.
The small helpers stay inlined (``inline="always"``).

Route row layout: ``seq[v, 0]`` is the vehicle's start node, ``seq[v, 1..L]``
its jobs and ``seq[v, L + 1]`` its end node, ``L = rlen[v]``.  Per position the
state keeps ``es`` (earliest start of service, exact with multi-window nodes)
and ``ls`` (latest start of service that keeps the rest of the route feasible,
from the widest window), which give an O(1) time-window test per insertion
position.  Routes whose feasibility is not captured by that test (a maximum
duration, breaks, nodes with several windows) get an exact O(L) re-evaluation
of the candidate (with breaks, ``_eval_breaks``: O(L * breaks)).

Times are int64 inside the kernels; costs float64.  Randomness is a private
xorshift64* stream held in a one-element array, so a search is reproducible
from its seed and iteration count, independent of which thread runs it.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

#: With the left-out cache on, a left-out job tries a non-empty route only if one of
#: its this many nearest jobs is on it (a granular neighbourhood, Toth & Vigo 2003).
GRANULAR = 20

#: "Infeasible" time inside the kernels (int64, far above any real time).
TINF = np.int64(1) << np.int64(60)

KProblem = namedtuple(
    "KProblem",
    [
        "pdur",  # int32 [P, n, n] travel time per profile
        "dist",  # int32 [n, n]
        "service",  # int64 [n]
        "tws",  # int64 [n] earliest start (first window)
        "twe",  # int64 [n] latest start (last window)
        "win_ptr",  # int64 [n + 1] CSR into win_s / win_e
        "win_s",  # int64 [W]
        "win_e",  # int64 [W]
        "multi",  # bool [n] node has more than one window
        "demand",  # int64 [n, D]
        "vstart",  # int32 [V]
        "vend",  # int32 [V]
        "cap",  # int64 [V, D]
        "vtws",  # int64 [V]
        "vtwe",  # int64 [V]
        "maxdur",  # int64 [V] (TINF: none)
        "fixed",  # float64 [V]
        "cm",  # float64 [V] cost per distance unit
        "cs",  # float64 [V] cost per time unit driven
        "css",  # float64 [V] cost per time unit of service
        "prof",  # int32 [V]
        "vclass",  # int32 [V] vehicles with equal class are interchangeable
        "exact_v",  # bool [V] route needs the exact O(L) check (max duration, breaks)
        "bptr",  # int64 [V + 1] CSR into bws / bwe / bdur: each vehicle's breaks, by window start
        "bws",  # int64 [B] earliest start of the break
        "bwe",  # int64 [B] latest start of the break
        "bdur",  # int64 [B] its duration
        "compat",  # bool [V, n]
        "penalty",  # float64 [n] cost of leaving a job out while a carrier has room (its cheapest price)
        "pen_full",  # float64 [n] cost of leaving a job out once the carriers are full (or none takes it)
        "hand_ok",  # bool [n] some carrier may take the job
        "room",  # int64 jobs the carriers take in all (pooled over carriers)
        "jobs",  # int32 [J] job nodes
        "adj",  # int32 [n, K] nearest job nodes of each job node
        "key_demand",  # float64 [n] sort keys for the recreate orders
        "key_far",  # float64 [n]
        "key_tw",  # float64 [n]
        "partner",  # int32 [n] the other node of a pickup-and-delivery pair (-1: none)
        "is_pick",  # bool [n] the node is a pair's pickup
        "pdp",  # bool: loads rise and fall along routes (pairs, or jobs loaded at the start; see ``KState.cum``)
        "preload",  # int64 [n, D] what a job puts on the vehicle at the route's start (VROOM's delivery jobs)
        "maxdist",  # int64 [V] longest route in distance units (TINF: none)
        "maxtrav",  # int64 [V] most driving time on a route, service and waiting not counted (TINF: none)
        "lim",  # bool: some vehicle has a distance or driving-time limit (``KState.rdist`` / ``rtrav`` kept)
        "fixv",  # int32 [n] the vehicle a fixed step's job is bound to (-1: free)
        "frank",  # int32 [n] its place among that vehicle's fixed steps
        "fix_on",  # bool: some job is a fixed step
    ],
)

KState = namedtuple(
    "KState",
    [
        "seq",  # int32 [V, C]
        "rlen",  # int32 [V]
        "es",  # int64 [V, C]
        "ls",  # int64 [V, C]
        "load",  # int64 [V, D]
        "rcost",  # float64 [V]
        "rmulti",  # int32 [V] number of multi-window nodes on the route
        "node_route",  # int32 [n] (-1: not on a route)
        "node_pos",  # int32 [n]
        "unas",  # int32 [n] unassigned jobs (first nunas[0])
        "nunas",  # int32 [1]
        "pen",  # float64 [1] penalty sum of the unassigned jobs
        "nhand",  # int32 [1] unassigned jobs priced as handed to a carrier (at most ``room``)
        "bt",  # int64 [B_max + 1] scratch of the break schedule (earliest time per breaks taken)
        "rver",  # int64 [V] route version: a fresh stamp whenever the route's row changes (keys the left-out cache)
        "vclock",  # int64 [1] last stamp handed out (never reused, so a rejected move can restore a row's old one)
        "cum",  # int64 [V, C, D] load on leaving each position (start: 0); pairs only (else [V, 1, D], unused)
        "smax",  # int64 [V, C, D] the most of ``cum`` from each position to the route's end; pairs only
        "pmax",  # int64 [V, C, D] the most of ``cum`` from the start to each position; pairs only
        "rdist",  # int64 [V] distance of each route (start to end; an empty route: the start-end arc); limits only
        "rtrav",  # int64 [V] driving time of each route, likewise
    ],
)


def new_state(n: int, n_veh: int, n_dims: int, n_jobs: int, max_breaks: int = 0, *, pairs: bool) -> KState:
    """An empty solution (every route empty, nothing unassigned yet).

    ``pairs`` must be ``KProblem.pdp``: loads per position are kept (and written by
    ``_update_route``, which does not check their size) only then.
    """
    cap = n_jobs + 2
    return KState(
        seq=np.zeros((n_veh, cap), dtype=np.int32),
        rlen=np.zeros(n_veh, dtype=np.int32),
        es=np.zeros((n_veh, cap), dtype=np.int64),
        ls=np.zeros((n_veh, cap), dtype=np.int64),
        load=np.zeros((n_veh, n_dims), dtype=np.int64),
        rcost=np.zeros(n_veh, dtype=np.float64),
        rmulti=np.zeros(n_veh, dtype=np.int32),
        node_route=np.full(n, -1, dtype=np.int32),
        node_pos=np.zeros(n, dtype=np.int32),
        unas=np.zeros(n, dtype=np.int32),
        nunas=np.zeros(1, dtype=np.int32),
        pen=np.zeros(1, dtype=np.float64),
        nhand=np.zeros(1, dtype=np.int32),
        bt=np.zeros(max_breaks + 1, dtype=np.int64),
        rver=np.zeros(n_veh, dtype=np.int64),
        vclock=np.zeros(1, dtype=np.int64),
        cum=np.zeros((n_veh, cap if pairs else 1, n_dims), dtype=np.int64),
        smax=np.zeros((n_veh, cap if pairs else 1, n_dims), dtype=np.int64),
        pmax=np.zeros((n_veh, cap if pairs else 1, n_dims), dtype=np.int64),
        rdist=np.zeros(n_veh, dtype=np.int64),
        rtrav=np.zeros(n_veh, dtype=np.int64),
    )


# --------------------------------------------------------------------------- rng


@njit(cache=True, nogil=True, inline="always")
def _rand(rng: np.ndarray) -> float:
    """Uniform [0, 1) from a xorshift64* stream kept in ``rng[0]``."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True, inline="always")
def _randint(rng: np.ndarray, n: int) -> int:
    """Uniform integer in ``0 .. n-1``."""
    r = int(_rand(rng) * n)
    return r if r < n else n - 1


@njit(cache=True, nogil=True, inline="always")
def _blink_gap(rng: np.ndarray, blink: float) -> int:
    """Positions tried before the next one skipped, when each is skipped with chance ``blink``.

    One draw per skip instead of one per position: the scan of every position is the
    recreate's inner loop, and a random number there cost more than the position's
    own arithmetic.  The skips fall exactly as independent ``blink`` draws would.
    """
    if blink <= 0.0:
        return 1 << 62
    if blink >= 1.0:
        return 0
    g = np.log(1.0 - _rand(rng)) / np.log(1.0 - blink)
    return int(g) if g < 1e18 else 1 << 62


# ---------------------------------------------------------------- route evaluation


@njit(cache=True, nogil=True, inline="always")
def _start_at(
    multi: np.ndarray, tws: np.ndarray, twe: np.ndarray, win_ptr: np.ndarray, win_s: np.ndarray, win_e: np.ndarray,
    b: int, arr: int,
) -> int:
    """Earliest service start at ``b`` when arriving at ``arr`` (TINF: every window missed).

    Takes the window arrays rather than ``KProblem``: inlined into a loop, every
    ``P.x`` read there would be reference-counted (see ``_eval_row``).
    """
    if not multi[b]:
        if arr > twe[b]:
            return TINF
        return arr if arr > tws[b] else tws[b]
    for w in range(win_ptr[b], win_ptr[b + 1]):
        if arr <= win_e[w]:
            return arr if arr > win_s[w] else win_s[w]
    return TINF


@njit(cache=True, nogil=True, inline="always")
def _latest_start(later: int, leg: int, svc: int, twe_a: int, first: bool) -> int:
    """Latest service start at a stop whose next stop starts by ``later``, ``leg`` away after ``svc``
    of service; capped by the stop's window except at the route's start (the departure)."""
    x = later - leg - svc
    return x if x < twe_a or first else twe_a


@njit(cache=True, nogil=True, inline="always")
def _latest_and_cost(P: KProblem, v: int, seq: np.ndarray, L: int, ls: np.ndarray) -> float:
    """Latest service starts of route ``seq[0 .. L+1]`` into ``ls`` (breaks ignored: an upper bound) and its cost."""
    dist, pdur, service, twe = P.dist, P.pdur, P.service, P.twe
    p = P.prof[v]
    dsum = 0
    tsum = 0
    ssum = 0
    end = seq[L + 1]
    vtwe = P.vtwe[v]
    ls[L + 1] = vtwe if vtwe < twe[end] else twe[end]
    for k in range(L, -1, -1):
        a = seq[k]
        b = seq[k + 1]
        dsum += dist[a, b]
        tsum += pdur[p, a, b]
        ssum += service[a]
        ls[k] = _latest_start(ls[k + 1], pdur[p, a, b], service[a], twe[a], k == 0)
    # The cost model of engine.dispatch.cost: driving and service, never waiting.
    return P.fixed[v] + P.cm[v] * dsum + P.cs[v] * tsum + P.css[v] * ssum


@njit(cache=True, nogil=True, inline="always")
def _arrive(
    multi: np.ndarray, tws: np.ndarray, twe: np.ndarray, win_ptr: np.ndarray, win_s: np.ndarray, win_e: np.ndarray,
    lim_end: int, b: int, arr: int, is_end: bool,
) -> int:
    """Service start at ``b`` when arriving at ``arr``; at the route's end, ``arr`` if by ``lim_end`` (TINF: too late)."""
    if is_end:
        return arr if arr <= lim_end else TINF
    return _start_at(multi, tws, twe, win_ptr, win_s, win_e, b, arr)


@njit(cache=True, nogil=True, _nrt=False)
def _breaks_after(bws: np.ndarray, bwe: np.ndarray, bdur: np.ndarray, r0: int, r1: int, t: int) -> int:
    """When breaks ``r0..r1-1`` end if taken one after the other from ``t`` (TINF: a window is missed)."""
    for r in range(r0, r1):
        if t >= TINF:
            return TINF
        s = t if t > bws[r] else bws[r]
        if s > bwe[r]:
            return TINF
        t = s + bdur[r]
    return t


@njit(cache=True, nogil=True, _nrt=False)
def _eval_breaks(P: KProblem, v: int, seq: np.ndarray, L: int, es: np.ndarray, T: np.ndarray) -> tuple:
    """The forward part of ``_eval_row`` for a vehicle with breaks and a non-empty route.

    A break (its start within ``[bws, bwe]``, ``bdur`` long) is taken before the
    departure, in the gap between two stops (after the service at one, while
    driving or waiting, before the next; at most one break per gap) or after the
    return; a vehicle's breaks come in the order of their windows.  ``T[j]`` is
    the earliest service start at the current position with ``j`` breaks taken:
    for a fixed count an earlier time is never worse, so these times decide
    feasibility exactly (under the one-break-per-gap rule).  ``es`` gets the
    smallest of them, a lower bound for the O(1) insertion test.

    Returns ``(first_bad, end)``: ``end`` is the earliest return with every break
    taken (TINF: none); ``engine.dispatch.schedule`` rebuilds the same schedule.
    """
    multi, tws, twe, win_ptr, win_s, win_e = P.multi, P.tws, P.twe, P.win_ptr, P.win_s, P.win_e
    bws, bwe, bdur, pdur, service = P.bws, P.bwe, P.bdur, P.pdur, P.service
    b0 = P.bptr[v]
    b1 = P.bptr[v + 1]
    B = b1 - b0
    p = P.prof[v]
    start = seq[0]
    t0 = P.vtws[v] if P.vtws[v] > tws[start] else tws[start]
    end_node = seq[L + 1]
    lim_end = P.vtwe[v] if P.vtwe[v] < twe[end_node] else twe[end_node]
    T[0] = t0
    for j in range(B):  # breaks before the departure
        T[j + 1] = TINF
        if T[j] < TINF:
            s = T[j] if T[j] > bws[b0 + j] else bws[b0 + j]
            if s <= bwe[b0 + j]:
                T[j + 1] = s + bdur[b0 + j]
    es[0] = t0
    bad = -1
    for k in range(1, L + 2):
        a = seq[k - 1]
        b = seq[k]
        tr = pdur[p, a, b]
        sa = service[a]
        last = k == L + 1
        lo = TINF
        for j in range(B, -1, -1):  # downwards: T[j - 1] is still the previous position's
            best = TINF
            if T[j] < TINF:
                best = _arrive(multi, tws, twe, win_ptr, win_s, win_e, lim_end, b, T[j] + sa + tr, last)
            if j > 0 and T[j - 1] < TINF:
                bj = b0 + j - 1
                dep = T[j - 1] + sa
                s = dep if dep > bws[bj] else bws[bj]
                if s <= bwe[bj]:
                    arr = dep + tr
                    if arr < bws[bj]:
                        arr = bws[bj]
                    st = _arrive(multi, tws, twe, win_ptr, win_s, win_e, lim_end, b, arr + bdur[bj], last)
                    if st < best:
                        best = st
            T[j] = best
            if best < lo:
                lo = best
        if lo >= TINF:
            if bad < 0:
                bad = k
            # go on without the window so that ``es`` stays a lower bound
            arr = es[k - 1] + sa + tr
            lo = arr if arr > tws[b] else tws[b]
            T[0] = lo
            for j in range(1, B + 1):
                T[j] = TINF
        es[k] = lo
    end = TINF
    for j in range(B + 1):
        if T[j] < end and _breaks_after(bws, bwe, bdur, b0 + j, b1, T[j]) < TINF:
            end = T[j]
    if end >= TINF and bad < 0:
        bad = L + 1
    if bad < 0 and P.maxdur[v] < TINF and end - t0 > P.maxdur[v]:
        # measured from the earliest departure: conservative, never too long
        bad = L + 1
    return bad, end


@njit(cache=True, nogil=True, _nrt=False)
def _eval_row(P: KProblem, v: int, seq: np.ndarray, L: int, es: np.ndarray, ls: np.ndarray, bt: np.ndarray) -> tuple:
    """Schedule of route ``seq[0 .. L+1]`` of vehicle ``v`` into ``es`` / ``ls``.

    Returns ``(first_bad, cost)``: ``first_bad`` is -1 when every window, the
    vehicle's return time, its breaks and its maximum duration hold, else the
    position of the first job whose window is missed (``L + 1`` when only the
    end of the route is at fault).  Capacity is the caller's business.  ``bt``
    is scratch for the break schedule (``_eval_breaks``).

    The arrays are taken out of ``P`` before the loops: numba prunes the reference
    counting of a tuple field read only within one basic block, and a ``P.x`` read
    in a branchy loop cost two atomic operations per read (three quarters of the
    search's time on Solomon R2 before they were hoisted).
    """
    if L > 0 and P.bptr[v + 1] > P.bptr[v]:
        bad, _ = _eval_breaks(P, v, seq, L, es, bt)
        return bad, _latest_and_cost(P, v, seq, L, ls)
    tws, twe = P.tws, P.twe
    if L == 0:
        # only what an insertion into the empty route reads: departure and latest return
        s0 = seq[0]
        e0 = seq[1]
        es[0] = P.vtws[v] if P.vtws[v] > tws[s0] else tws[s0]
        es[1] = es[0]
        ls[1] = P.vtwe[v] if P.vtwe[v] < twe[e0] else twe[e0]
        ls[0] = ls[1]
        return -1, 0.0
    multi, win_ptr, win_s, win_e, pdur, service = P.multi, P.win_ptr, P.win_s, P.win_e, P.pdur, P.service
    p = P.prof[v]
    start = seq[0]
    t0 = P.vtws[v] if P.vtws[v] > tws[start] else tws[start]
    end_node = seq[L + 1]
    lim_end = P.vtwe[v] if P.vtwe[v] < twe[end_node] else twe[end_node]
    es[0] = t0
    bad = -1
    for k in range(1, L + 2):
        a = seq[k - 1]
        b = seq[k]
        arr = es[k - 1] + service[a] + pdur[p, a, b]
        if k == L + 1:
            es[k] = arr
            if arr > lim_end and bad < 0:
                bad = L + 1
        else:
            st = _start_at(multi, tws, twe, win_ptr, win_s, win_e, b, arr)
            if st >= TINF:
                if bad < 0:
                    bad = k
                st = arr
            es[k] = st
    cost = _latest_and_cost(P, v, seq, L, ls)
    maxdur = P.maxdur[v]
    if maxdur < TINF:
        # Savelsbergh: delay the departure by the most that neither moves the
        # return nor breaks a window, i.e. min(total waiting, cumwait + slack).
        cum = 0
        delay = TINF
        for k in range(1, L + 2):
            a = seq[k - 1]
            arr = es[k - 1] + service[a] + pdur[p, a, seq[k]]
            cum += es[k] - arr
            s = cum + ls[k] - es[k]
            if s < delay:
                delay = s
        if cum < delay:
            delay = cum
        if delay < 0:
            delay = 0
        duration = es[L + 1] - (es[0] + delay)
        if duration > maxdur and bad < 0:
            bad = L + 1
    return bad, cost


@njit(cache=True, nogil=True, inline="always")
def _update_route(P: KProblem, S: KState, v: int) -> int:
    """Refresh the caches of route ``v`` after its ``seq`` row changed; returns first bad position (-1: ok)."""
    L = S.rlen[v]
    S.vclock[0] += 1
    S.rver[v] = S.vclock[0]
    bad, cost = _eval_row(P, v, S.seq[v], L, S.es[v], S.ls[v], S.bt)
    S.rcost[v] = cost
    demand, multi, cap = P.demand, P.multi, P.cap
    seq, load, node_route, node_pos = S.seq, S.load, S.node_route, S.node_pos
    nd = demand.shape[1]
    for d in range(nd):
        load[v, d] = 0
    m = 0
    for k in range(1, L + 1):
        c = seq[v, k]
        node_route[c] = v
        node_pos[c] = k
        for d in range(nd):
            load[v, d] += demand[c, d]
        if multi[c]:
            m += 1
    S.rmulti[v] = m
    if P.lim:
        dist, pdur = P.dist, P.pdur
        p = P.prof[v]
        dsum = 0
        tsum = 0
        for k in range(L + 1):
            dsum += dist[seq[v, k], seq[v, k + 1]]
            tsum += pdur[p, seq[v, k], seq[v, k + 1]]
        S.rdist[v] = dsum
        S.rtrav[v] = tsum
        if L > 0 and (dsum > P.maxdist[v] or tsum > P.maxtrav[v]) and bad < 0:
            bad = L  # too long: drop from the end until it fits
    if P.pdp:
        # With pairs a load rises and falls along the route: every position must fit,
        # and the first that does not is the one to eject (with its partner).
        cum, smax, pmax, preload = S.cum, S.smax, S.pmax, P.preload
        for d in range(nd):
            cum[v, 0, d] = 0
        for k in range(1, L + 1):
            c = seq[v, k]
            for d in range(nd):
                cum[v, 0, d] += preload[c, d]
        start_over = False
        for d in range(nd):
            pmax[v, 0, d] = cum[v, 0, d]
            if cum[v, 0, d] > cap[v, d] and L > 0:
                start_over = True
                # Too much loaded at the start: drop the last job that loads there (a pickup
                # ejected instead would not lighten the start).
                k = L
                while k > 1 and preload[seq[v, k], d] <= 0:
                    k -= 1
                if bad < 0 or k < bad:
                    bad = k
        for k in range(1, L + 1):
            c = seq[v, k]
            for d in range(nd):
                cum[v, k, d] = cum[v, k - 1, d] + demand[c, d]
                x = cum[v, k, d]
                pmax[v, k, d] = x if x > pmax[v, k - 1, d] else pmax[v, k - 1, d]
                # While the start is over, every position is: the start's job is the one to eject.
                if x > cap[v, d] and not start_over and (bad < 0 or k < bad):
                    bad = k
        for d in range(nd):
            smax[v, L, d] = cum[v, L, d]
        for k in range(L - 1, -1, -1):
            for d in range(nd):
                x = cum[v, k, d]
                y = smax[v, k + 1, d]
                smax[v, k, d] = x if x > y else y
        return bad
    if bad < 0:
        for d in range(nd):
            if load[v, d] > cap[v, d]:
                return L  # drop from the end until it fits
    return bad


@njit(cache=True, nogil=True, inline="always")
def _remove_positions(S: KState, v: int, drop: np.ndarray) -> None:
    """Compact route ``v`` keeping the positions with ``drop[k] == 0`` (``drop`` indexed by position)."""
    L = S.rlen[v]
    seq, node_route = S.seq, S.node_route
    w = 1
    for k in range(1, L + 1):
        c = seq[v, k]
        if drop[k]:
            node_route[c] = -1
        else:
            seq[v, w] = c
            w += 1
    seq[v, w] = seq[v, L + 1]
    S.rlen[v] = w - 1


@njit(cache=True, nogil=True, _nrt=False)
def _repair(P: KProblem, S: KState, v: int, out: np.ndarray, nout: int) -> int:
    """Make route ``v`` feasible by ejecting jobs (appended to ``out``); returns new ``nout``.

    Needed when travel times break the triangle inequality (removing a job can
    make a later one late) and for initial routes from outside.
    """
    seq = S.seq
    while True:
        bad = _update_route(P, S, v)
        if bad < 0:
            return nout
        L = S.rlen[v]
        k = bad if bad <= L else L
        c = seq[v, k]
        S.node_route[c] = -1
        for j in range(k, L + 1):
            seq[v, j] = seq[v, j + 1]
        S.rlen[v] = L - 1
        out[nout] = c
        nout += 1
        q = P.partner[c]
        if q >= 0 and S.node_route[q] == v:
            # node_pos is from before the removal: positions after k moved up by one
            k2 = S.node_pos[q]
            if k2 > k:
                k2 -= 1
            S.node_route[q] = -1
            for j in range(k2, L):
                seq[v, j] = seq[v, j + 1]
            S.rlen[v] = L - 2
            out[nout] = q
            nout += 1


@njit(cache=True, nogil=True)
def _split_pairs(P: KProblem, S: KState, v: int, out: np.ndarray, nout: int) -> int:
    """Drop from route ``v`` (loaded from outside) every paired node whose partner is not on it
    after it (pickup) or before it (delivery); returns the new ``nout``."""
    L = S.rlen[v]
    seq, partner, is_pick = S.seq, P.partner, P.is_pick
    drop = np.zeros(L + 2, dtype=np.int8)
    for k in range(1, L + 1):
        S.node_pos[seq[v, k]] = k
        S.node_route[seq[v, k]] = v
    for k in range(1, L + 1):
        c = seq[v, k]
        q = partner[c]
        if q < 0:
            continue
        ok = S.node_route[q] == v and (S.node_pos[q] > k if is_pick[c] else S.node_pos[q] < k)
        if not ok:
            drop[k] = 1
    for k in range(1, L + 1):
        if drop[k]:
            out[nout] = seq[v, k]
            nout += 1
    _remove_positions(S, v, drop)
    return nout


# ---------------------------------------------------------------------- insertion


@njit(cache=True, nogil=True, inline="always")
def _arc_cost(P: KProblem, v: int, p: int, a: int, b: int) -> float:
    return P.cm[v] * P.dist[a, b] + P.cs[v] * P.pdur[p, a, b]


@njit(cache=True, nogil=True, inline="always")
def _exact_delta(P: KProblem, S: KState, v: int, k: int, c: int, tseq: np.ndarray, tes: np.ndarray, tls: np.ndarray) -> float:
    """Exact cost change of inserting ``c`` after position ``k`` of route ``v`` (inf if infeasible)."""
    L = S.rlen[v]
    seq = S.seq
    for j in range(k + 1):
        tseq[j] = seq[v, j]
    tseq[k + 1] = c
    for j in range(k + 1, L + 2):
        tseq[j + 1] = seq[v, j]
    bad, cost = _eval_row(P, v, tseq, L + 1, tes, tls, S.bt)
    if bad >= 0:
        return np.inf
    return cost - S.rcost[v]


@njit(cache=True, nogil=True, inline="always")
def _leave_out_cost(P: KProblem, S: KState, c: int) -> float:
    """What leaving ``c`` out costs now: a carrier's price while one has room, else the full penalty."""
    if P.hand_ok[c] and S.nhand[0] < P.room:
        return P.penalty[c]
    return P.pen_full[c]


@njit(cache=True, nogil=True, inline="always")
def _leave_out(P: KProblem, S: KState, c: int) -> None:
    S.unas[S.nunas[0]] = c
    S.nunas[0] += 1
    if P.hand_ok[c] and S.nhand[0] < P.room:
        S.pen[0] += P.penalty[c]
        S.nhand[0] += 1
    else:
        S.pen[0] += P.pen_full[c]


@njit(cache=True, nogil=True, inline="always")
def _best_insertion(
    P: KProblem, S: KState, c: int, blink: float, rng: np.ndarray, stamp: int, seen: np.ndarray,
    tseq: np.ndarray, tes: np.ndarray, tls: np.ndarray, jver: np.ndarray, jthr: np.ndarray, rich: bool,
) -> tuple:
    """Cheapest feasible (vehicle, position) for job ``c``; vehicle -1 if leaving it out is cheaper.

    ``rich``: loads along the route, route limits and fixed steps are checked.  Callers pass
    it as a literal, so the plain scan compiles without those checks: inside its loop they
    cost every search 13-35% of its iterations per second, whether it used them or not.

    ``jver`` / ``jthr`` (the left-out cache, empty: off): when ``c`` was last left out,
    ``jver[c, v]`` held route ``v``'s version and ``jthr[c]`` the leave-out cost then; a
    route still at that version had no position cheaper than that (blinks aside), so
    while leaving ``c`` out costs no more than then, the route is not scanned again.
    """
    best = _leave_out_cost(P, S, c)
    bv = -1
    bk = -1
    nv = S.rlen.shape[0]
    cached = jver.shape[0] > 0
    reuse = cached and best <= jthr[c]
    was_out = cached and jthr[c] > -np.inf
    # Arrays taken out of the tuples once: read inside the branchy loops below, every
    # ``P.x`` would be reference-counted per read (numba prunes those only within one block).
    adj, compat, vclass, demand, cap, prof = P.adj, P.compat, P.vclass, P.demand, P.cap, P.prof
    exact_v, multi, fixed, cm, cs, css = P.exact_v, P.multi, P.fixed, P.cm, P.cs, P.css
    dist, pdur, service = P.dist, P.pdur, P.service
    rlen, rver, node_route, load, rmulti = S.rlen, S.rver, S.node_route, S.load, S.rmulti
    seq, es, ls = S.seq, S.es, S.ls
    pdp = rich and P.pdp
    checks = rich and (P.pdp or P.lim)
    fixv, frank = P.fixv, P.frank
    cfix = rich and P.fix_on and fixv[c] >= 0
    rank_c = frank[c]
    g = GRANULAR if GRANULAR < adj.shape[1] else adj.shape[1]
    nd = demand.shape[1]
    gap = _blink_gap(rng, blink)
    twe_c = P.twe[c]
    tws_c = P.tws[c]
    sc = service[c]
    for v in range(nv):
        if not compat[v, c]:
            continue
        L = rlen[v]
        if reuse and jver[c, v] == rver[v]:
            continue
        if was_out and L > 0:
            # a job left out before tries a changed route only if one of its nearest jobs is on it
            near = False
            for i in range(g):
                x = adj[c, i]
                if x < 0:
                    break
                if node_route[x] == v:
                    near = True
                    break
            if not near:
                continue
        if L == 0:
            # interchangeable empty vehicles: trying one of each class is enough
            if seen[vclass[v]] == stamp:
                continue
            seen[vclass[v]] = stamp
        fits = True
        if not pdp:
            for d in range(nd):
                if load[v, d] + demand[c, d] > cap[v, d]:
                    fits = False
                    break
        if not fits:
            continue
        p = prof[v]
        exact = exact_v[v] or multi[c] or rmulti[v] > 0
        fix = fixed[v] if L == 0 else 0.0
        cmv = cm[v]
        csv = cs[v]
        svc = css[v] * sc
        lo = 0
        hi = L + 1
        if cfix:
            lo, hi = _step_bounds(seq, fixv, frank, v, L, rank_c)
        for k in range(L + 1):
            if cfix and (k < lo or k >= hi):
                continue
            if gap == 0:
                gap = _blink_gap(rng, blink)
                continue
            gap -= 1
            a = seq[v, k]
            b = seq[v, k + 1]
            delta = fix + svc + cmv * (dist[a, c] + dist[c, b] - dist[a, b])
            if csv != 0.0:
                delta += csv * (pdur[p, a, c] + pdur[p, c, b] - pdur[p, a, b])
            if delta >= best:
                continue
            arr = es[v, k] + service[a] + pdur[p, a, c]
            if arr > twe_c:
                continue
            st = arr if arr > tws_c else tws_c
            if st + sc + pdur[p, c, b] > ls[v, k + 1]:
                continue
            if checks and not _loads_and_limits_ok(P, S, v, k, c):
                continue
            if exact:
                delta = _exact_delta(P, S, v, k, c, tseq, tes, tls)
                if delta >= best:
                    continue
            best = delta
            bv = v
            bk = k
    if cached:
        if bv < 0:
            for v in range(nv):
                jver[c, v] = S.rver[v]
            jthr[c] = best
        else:
            jthr[c] = -np.inf
    return bv, bk


@njit(cache=True, nogil=True, inline="always")
def _needs_rich(P: KProblem, c: int) -> bool:
    """Whether inserting job ``c`` needs ``_best_insertion``'s rich checks (loads along routes, limits, fixed steps)."""
    return P.pdp or P.lim or (P.fix_on and P.fixv[c] >= 0)


@njit(cache=True, nogil=True, _nrt=False)
def _step_bounds(seq: np.ndarray, fixv: np.ndarray, frank: np.ndarray, v: int, L: int, rank: int) -> tuple:
    """Positions ``lo .. hi - 1`` of route ``v`` after which a fixed step of rank ``rank`` may go:
    after the vehicle's earlier steps, before its later ones."""
    lo = 0
    hi = L + 1
    for k in range(1, L + 1):
        x = seq[v, k]
        if fixv[x] == v:
            if frank[x] < rank:
                lo = k
            elif hi == L + 1:
                hi = k
    return lo, hi


@njit(cache=True, nogil=True, _nrt=False)
def _loads_and_limits_ok(P: KProblem, S: KState, v: int, k: int, c: int) -> bool:
    """Whether job ``c`` after position ``k`` of route ``v`` keeps every stop's load (``KProblem.pdp``)
    and the route's distance and driving time (``KProblem.lim``) within bounds."""
    seq = S.seq
    L = S.rlen[v]
    if P.pdp:
        # loaded at the start, it rides up to its stop; what it picks up rides on after
        demand, preload, cap, cum, smax, pmax = P.demand, P.preload, P.cap, S.cum, S.smax, S.pmax
        for d in range(demand.shape[1]):
            pl = preload[c, d]
            after = pl + demand[c, d]
            if pmax[v, k, d] + pl > cap[v, d] or cum[v, k, d] + after > cap[v, d]:
                return False
            if k < L and smax[v, k + 1, d] + after > cap[v, d]:
                return False
    if P.lim:
        a = seq[v, k]
        b = seq[v, k + 1]
        dist, pdur = P.dist, P.pdur
        p = P.prof[v]
        if S.rdist[v] + dist[a, c] + dist[c, b] - dist[a, b] > P.maxdist[v]:
            return False
        if S.rtrav[v] + pdur[p, a, c] + pdur[p, c, b] - pdur[p, a, b] > P.maxtrav[v]:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def _best_pair_insertion(
    P: KProblem, S: KState, pu: int, blink: float, rng: np.ndarray, stamp: int, seen: np.ndarray,
    tseq: np.ndarray, tes: np.ndarray, tls: np.ndarray, mx: np.ndarray,
) -> tuple:
    """Cheapest feasible (vehicle, i, j) for the pair of pickup ``pu``: the pickup after position
    ``i``, its delivery after position ``j >= i`` of the route as it is (``j == i``: right after
    the pickup); vehicle -1 if leaving both out is cheaper.

    For each pickup position the schedule pushed by the pickup is carried forward one
    position at a time, so each delivery position costs O(1) (windows through ``es`` and
    ``ls`` as for one job, loads through ``KState.cum``); the scan of a pickup position stops
    at the first position the push makes late or the pair's load does not fit.  ``mx``:
    scratch of the number of capacity dimensions.
    """
    de = P.partner[pu]
    best = _leave_out_cost(P, S, pu) + _leave_out_cost(P, S, de)
    bv = -1
    bi = -1
    bj = -1
    nv = S.rlen.shape[0]
    compat, vclass, demand, cap, prof = P.compat, P.vclass, P.demand, P.cap, P.prof
    exact_v, multi, fixed, cm, cs, css = P.exact_v, P.multi, P.fixed, P.cm, P.cs, P.css
    dist, pdur, service = P.dist, P.pdur, P.service
    tws, twe, win_ptr, win_s, win_e = P.tws, P.twe, P.win_ptr, P.win_s, P.win_e
    rlen, rmulti = S.rlen, S.rmulti
    seq, es, ls, cum = S.seq, S.es, S.ls, S.cum
    lim, rdist, rtrav, maxdist, maxtrav = P.lim, S.rdist, S.rtrav, P.maxdist, P.maxtrav
    nd = demand.shape[1]
    sp = service[pu]
    sd = service[de]
    for v in range(nv):
        if not (compat[v, pu] and compat[v, de]):
            continue
        L = rlen[v]
        if L == 0:
            if seen[vclass[v]] == stamp:
                continue
            seen[vclass[v]] = stamp
        p = prof[v]
        exact = exact_v[v] or multi[pu] or multi[de] or rmulti[v] > 0
        fix = fixed[v] if L == 0 else 0.0
        cmv = cm[v]
        csv = cs[v]
        svc = css[v] * (sp + sd)
        for i in range(L + 1):
            if blink > 0.0 and _rand(rng) < blink:
                continue
            a = seq[v, i]
            b = seq[v, i + 1]
            dp = fix + svc + cmv * (dist[a, pu] + dist[pu, b] - dist[a, b])
            if csv != 0.0:
                dp += csv * (pdur[p, a, pu] + pdur[p, pu, b] - pdur[p, a, b])
            if dp >= best:
                continue
            arr = es[v, i] + service[a] + pdur[p, a, pu]
            if arr > twe[pu]:
                continue
            stp = arr if arr > tws[pu] else tws[pu]
            fits = True
            for d in range(nd):
                mx[d] = cum[v, i, d] + demand[pu, d]
                if mx[d] > cap[v, d]:
                    fits = False
            if not fits:
                continue
            # the delivery right after the pickup
            arr_d = stp + sp + pdur[p, pu, de]
            if arr_d <= twe[de]:
                std = arr_d if arr_d > tws[de] else tws[de]
                if std + sd + pdur[p, de, b] <= ls[v, i + 1] and not (lim and (
                    rdist[v] + dist[a, pu] + dist[pu, de] + dist[de, b] - dist[a, b] > maxdist[v]
                    or rtrav[v] + pdur[p, a, pu] + pdur[p, pu, de] + pdur[p, de, b] - pdur[p, a, b] > maxtrav[v]
                )):
                    delta = fix + svc + cmv * (dist[a, pu] + dist[pu, de] + dist[de, b] - dist[a, b])
                    if csv != 0.0:
                        delta += csv * (pdur[p, a, pu] + pdur[p, pu, de] + pdur[p, de, b] - pdur[p, a, b])
                    if delta < best and exact:
                        delta = _exact_pair_delta(P, S, v, i, i, pu, de, tseq, tes, tls)
                    if delta < best:
                        best = delta
                        bv = v
                        bi = i
                        bj = i
            # the delivery further on: carry the pushed schedule forward
            if i == L:
                continue
            arr = stp + sp + pdur[p, pu, b]
            t = _start_at(multi, tws, twe, win_ptr, win_s, win_e, b, arr)
            if t >= TINF or t > ls[v, i + 1]:
                continue
            for j in range(i + 1, L + 1):
                x = seq[v, j]
                y = seq[v, j + 1]
                fits = True
                for d in range(nd):
                    w = cum[v, j, d] + demand[pu, d]
                    if w > mx[d]:
                        mx[d] = w
                    if mx[d] > cap[v, d]:
                        fits = False
                if not fits:
                    break
                if not (blink > 0.0 and _rand(rng) < blink):
                    dd = cmv * (dist[x, de] + dist[de, y] - dist[x, y])
                    if csv != 0.0:
                        dd += csv * (pdur[p, x, de] + pdur[p, de, y] - pdur[p, x, y])
                    if dp + dd < best:
                        arr_d = t + service[x] + pdur[p, x, de]
                        if arr_d <= twe[de]:
                            std = arr_d if arr_d > tws[de] else tws[de]
                            if std + sd + pdur[p, de, y] <= ls[v, j + 1] and not (lim and (
                                rdist[v] + dist[a, pu] + dist[pu, b] - dist[a, b] + dist[x, de] + dist[de, y] - dist[x, y] > maxdist[v]
                                or rtrav[v] + pdur[p, a, pu] + pdur[p, pu, b] - pdur[p, a, b]
                                + pdur[p, x, de] + pdur[p, de, y] - pdur[p, x, y] > maxtrav[v]
                            )):
                                delta = dp + dd
                                if exact:
                                    delta = _exact_pair_delta(P, S, v, i, j, pu, de, tseq, tes, tls)
                                if delta < best:
                                    best = delta
                                    bv = v
                                    bi = i
                                    bj = j
                if j == L:
                    break
                arr = t + service[x] + pdur[p, x, y]
                t = _start_at(multi, tws, twe, win_ptr, win_s, win_e, y, arr)
                if t >= TINF or t > ls[v, j + 1]:
                    break
    return bv, bi, bj


@njit(cache=True, nogil=True, inline="always")
def _exact_pair_delta(
    P: KProblem, S: KState, v: int, i: int, j: int, pu: int, de: int, tseq: np.ndarray, tes: np.ndarray, tls: np.ndarray,
) -> float:
    """Exact cost change of the pair insertion ``(i, j)`` of ``_best_pair_insertion`` (inf if infeasible)."""
    L = S.rlen[v]
    seq = S.seq
    w = 0
    for k in range(L + 2):
        tseq[w] = seq[v, k]
        w += 1
        if k == i:
            tseq[w] = pu
            w += 1
        if k == j:
            tseq[w] = de
            w += 1
    bad, cost = _eval_row(P, v, tseq, L + 2, tes, tls, S.bt)
    if bad >= 0:
        return np.inf
    return cost - S.rcost[v]


@njit(cache=True, nogil=True, inline="always")
def _insert_pair(P: KProblem, S: KState, v: int, i: int, j: int, pu: int, de: int) -> None:
    """Insert the pair as ``_best_pair_insertion`` found it: the delivery first (after position
    ``j``), then the pickup after ``i <= j``, which leaves the delivery after it."""
    L = S.rlen[v]
    seq = S.seq
    for k in range(L + 1, j, -1):
        seq[v, k + 1] = seq[v, k]
    seq[v, j + 1] = de
    for k in range(L + 2, i, -1):
        seq[v, k + 1] = seq[v, k]
    seq[v, i + 1] = pu
    S.rlen[v] = L + 2
    _update_route(P, S, v)


@njit(cache=True, nogil=True, _nrt=False)
def _update_inserted(P: KProblem, S: KState, v: int, k: int) -> bool:
    """``_update_route`` after one job went in after position ``k`` of a route that had
    jobs, touching only what the insertion changed; False (nothing written but the
    shift) when the route must be scheduled whole.

    Earliest starts change from the new job on, latest starts up to it, and both only
    until they meet their old values: on long routes with waiting this is a few
    positions, where the whole schedule is three passes over the route (a third of a
    Gehring-Homberger R2 iteration).  Callers leave routes with breaks, a maximum
    duration, distance or driving limits, or loads along the route to ``_update_route``.
    """
    seq, es, ls = S.seq[v], S.es[v], S.ls[v]
    L = S.rlen[v]  # after the insertion
    c = seq[k + 1]
    tws, twe, service, multi = P.tws, P.twe, P.service, P.multi
    win_ptr, win_s, win_e, pdur = P.win_ptr, P.win_s, P.win_e, P.pdur
    p = P.prof[v]
    # the old schedule of the positions after the new job moves one place on
    for j in range(L, k, -1):
        es[j + 1] = es[j]
        ls[j + 1] = ls[j]
    for j in range(k + 1, L + 2):
        a = seq[j - 1]
        b = seq[j]
        arr = es[j - 1] + service[a] + pdur[p, a, b]
        if j == L + 1:
            st = arr
        else:
            st = _start_at(multi, tws, twe, win_ptr, win_s, win_e, b, arr)
            if st >= TINF:
                return False
        if j > k + 1 and st == es[j]:
            break
        es[j] = st
    for j in range(k + 1, -1, -1):
        a = seq[j]
        x = _latest_start(ls[j + 1], pdur[p, a, seq[j + 1]], service[a], twe[a], j == 0)
        if j <= k and x == ls[j]:
            break
        ls[j] = x
    a = seq[k]
    b = seq[k + 2]
    S.rcost[v] += _arc_cost(P, v, p, a, c) + _arc_cost(P, v, p, c, b) - _arc_cost(P, v, p, a, b) + P.css[v] * service[c]
    demand, load, node_route, node_pos = P.demand, S.load, S.node_route, S.node_pos
    for d in range(demand.shape[1]):
        load[v, d] += demand[c, d]
    if multi[c]:
        S.rmulti[v] += 1
    node_route[c] = v
    for j in range(k + 1, L + 1):
        node_pos[seq[j]] = j
    S.vclock[0] += 1
    S.rver[v] = S.vclock[0]
    return True


@njit(cache=True, nogil=True, inline="always")
def _insert(P: KProblem, S: KState, v: int, k: int, c: int) -> None:
    L = S.rlen[v]
    seq = S.seq
    for j in range(L + 1, k, -1):
        seq[v, j + 1] = seq[v, j]
    seq[v, k + 1] = c
    S.rlen[v] = L + 1
    if L == 0 or P.exact_v[v] or P.lim or P.pdp or not _update_inserted(P, S, v, k):
        _update_route(P, S, v)


@njit(cache=True, nogil=True, _nrt=False)
def _recreate(
    P: KProblem, S: KState, rem: np.ndarray, nrem: int, rng: np.ndarray, blink: float,
    touched: np.ndarray, stamp_box: np.ndarray, seen: np.ndarray, keys: np.ndarray,
    tseq: np.ndarray, tes: np.ndarray, tls: np.ndarray, order_kind: int, jver: np.ndarray, jthr: np.ndarray,
    mx: np.ndarray, limit: float,
) -> bool:
    """Insert the jobs ``rem[:nrem]`` in the order ``order_kind``; the ones left out become unassigned.

    ``order_kind``: 0 random, 1 demand (largest first), 2 far from the depot
    first, 3 close first, 4 tightest time window first.

    Returns True, with the jobs after the current one neither placed nor left out, as
    soon as the plan so far costs ``limit`` or more: the annealing would refuse the move
    anyway, since every job still to come can only add (an insertion adds its detour,
    a job left out its price).  Late in a search most moves are refused, and they are
    refused without paying for the rest of their recreate.  Only a matrix that breaks
    the triangle inequality gives insertions that cost less than nothing, and there
    a move that would just have passed may be refused.
    """
    _order_jobs(P, rem, nrem, rng, keys, order_kind)
    S.nunas[0] = 0
    S.pen[0] = 0.0
    S.nhand[0] = 0
    partner, is_pick = P.partner, P.is_pick
    for i in range(nrem):
        if limit < np.inf and _total(S) >= limit:
            return True
        c = rem[i]
        stamp_box[0] += 1
        if partner[c] >= 0:
            if not is_pick[c]:
                continue  # a delivery goes in with its pickup
            v, a, b = _best_pair_insertion(P, S, c, blink, rng, stamp_box[0], seen, tseq, tes, tls, mx)
            if v < 0:
                _leave_out(P, S, c)
                _leave_out(P, S, partner[c])
            else:
                _insert_pair(P, S, v, a, b, c, partner[c])
                touched[v] = 1
            continue
        if _needs_rich(P, c):
            v, k = _best_insertion(P, S, c, blink, rng, stamp_box[0], seen, tseq, tes, tls, jver, jthr, True)
        else:
            v, k = _best_insertion(P, S, c, blink, rng, stamp_box[0], seen, tseq, tes, tls, jver, jthr, False)
        if v < 0:
            _leave_out(P, S, c)
        else:
            _insert(P, S, v, k, c)
            touched[v] = 1
    return False


@njit(cache=True, nogil=True)
def _order_jobs(P: KProblem, rem: np.ndarray, nrem: int, rng: np.ndarray, keys: np.ndarray, order_kind: int) -> None:
    """Put ``rem[:nrem]`` in the recreate order ``order_kind`` (see ``_recreate``)."""
    if order_kind == 0:
        for i in range(nrem - 1, 0, -1):
            j = _randint(rng, i + 1)
            t = rem[i]
            rem[i] = rem[j]
            rem[j] = t
    else:
        key_demand, key_far, key_tw = P.key_demand, P.key_far, P.key_tw
        for i in range(nrem):
            c = rem[i]
            if order_kind == 1:
                keys[i] = -key_demand[c]
            elif order_kind == 2:
                keys[i] = -key_far[c]
            elif order_kind == 3:
                keys[i] = key_far[c]
            else:
                keys[i] = key_tw[c]
            keys[i] += 1e-9 * _rand(rng)  # random tie-break
        idx = np.argsort(keys[:nrem])
        tmp = rem[:nrem].copy()
        for i in range(nrem):
            rem[i] = tmp[idx[i]]


# --------------------------------------------------------------------------- ruin


@njit(cache=True, nogil=True, inline="always")
def _string_start(rng: np.ndarray, pos: int, span: int, L: int) -> int:
    """Random first position of ``span`` consecutive positions in ``1..L`` that cover ``pos``."""
    lo = pos - span + 1
    if lo < 1:
        lo = 1
    hi = pos
    if hi > L - span + 1:
        hi = L - span + 1
    return lo + _randint(rng, hi - lo + 1)


@njit(cache=True, nogil=True, inline="always")
def _mean_route_len(rlen: np.ndarray) -> float:
    """Average number of jobs on the routes in use (0.0 when none is)."""
    used = 0
    tot = 0
    for v in range(rlen.shape[0]):
        if rlen[v] > 0:
            used += 1
            tot += rlen[v]
    return tot / used if used > 0 else 0.0


@njit(cache=True, nogil=True, _nrt=False)
def _ruin(
    P: KProblem, S: KState, rng: np.ndarray, avg_removed: float, max_string: int, split_rate: float,
    split_depth: float, rem: np.ndarray, touched: np.ndarray, drop: np.ndarray,
) -> int:
    """SISR string removal; removed jobs (plus the unassigned ones) go to ``rem``; returns their count."""
    rlen, seq, node_route, node_pos, unas = S.rlen, S.seq, S.node_route, S.node_pos, S.unas
    jobs, adj = P.jobs, P.adj
    nrem = 0
    for i in range(S.nunas[0]):
        rem[nrem] = unas[i]
        nrem += 1
    avg_len = _mean_route_len(rlen)
    if avg_len == 0.0:
        return nrem
    ls_max = max_string if max_string < avg_len else avg_len
    ks_max = 4.0 * avg_removed / (1.0 + ls_max) - 1.0
    ks = int(1.0 + _rand(rng) * ks_max)
    if ks < 1:
        ks = 1
    # a random routed job as the seed
    J = jobs.shape[0]
    seed_c = -1
    for _ in range(8 * J):
        c = jobs[_randint(rng, J)]
        if node_route[c] >= 0:
            seed_c = c
            break
    if seed_c < 0:
        return nrem
    ruined = 0
    K = adj.shape[1]
    for i in range(-1, K):
        if ruined >= ks:
            break
        c = seed_c if i < 0 else adj[seed_c, i]
        if c < 0:
            break
        v = node_route[c]
        if v < 0 or touched[v]:
            continue
        L = rlen[v]
        lmax = ls_max if ls_max < L else L
        lt = int(1.0 + _rand(rng) * lmax)
        if lt > L:
            lt = L
        pos = node_pos[c]
        for k in range(L + 2):
            drop[k] = 0
        if lt == L or _rand(rng) < split_rate:
            # a string of lt consecutive jobs containing c
            s = _string_start(rng, pos, lt, L)
            for k in range(s, s + lt):
                drop[k] = 1
        else:
            # split string: lt + m jobs around c, m consecutive ones in it kept
            m = 1
            while lt + m < L and _rand(rng) >= split_depth:
                m += 1
            span = lt + m
            s = _string_start(rng, pos, span, L)
            keep = s + _randint(rng, lt + 1)
            for k in range(s, s + span):
                if k < keep or k >= keep + m:
                    drop[k] = 1
        if P.pdp:
            # a pair leaves its route whole (its partner is on the same route)
            for k in range(1, L + 1):
                if drop[k] == 1:
                    q = P.partner[seq[v, k]]
                    if q >= 0 and drop[node_pos[q]] == 0:
                        drop[node_pos[q]] = 2
        for k in range(1, L + 1):
            if drop[k]:
                rem[nrem] = seq[v, k]
                nrem += 1
        _remove_positions(S, v, drop)
        touched[v] = 1
        ruined += 1
        nrem = _repair(P, S, v, rem, nrem)
    return nrem


@njit(cache=True, nogil=True, _nrt=False)
def _open_route(P: KProblem, S: KState, rng: np.ndarray, touched: np.ndarray, rem: np.ndarray, nrem: int) -> int:
    """Split a ruined route in two: its tail moves to an empty vehicle of the same class.

    The recreate inserts one job at a time, and an empty route costs a whole trip from
    the depot to the job that opens it, so a greedy recreate almost never opens one: the
    search drifts to fewer, longer routes and stays there (Gehring-Homberger R2: one van
    fewer than PyVRP, and longer).  A split opens a route with part of a route's jobs on
    it, cut where the detour through the depot adds least (between two petals); the
    recreate that follows fills both and the annealing judges the whole move.  Jobs the
    two routes cannot keep (a limit, a broken triangle) join ``rem``.  Returns the new
    ``nrem``.
    """
    rlen, seq, vclass = S.rlen, S.seq, P.vclass
    nv = rlen.shape[0]
    v = -1
    seen = 0
    for w in range(nv):
        if touched[w] and rlen[w] >= 2:
            seen += 1
            if _randint(rng, seen) == 0:
                v = w
    if v < 0:
        return nrem
    u = -1
    for w in range(nv):
        if rlen[w] == 0 and vclass[w] == vclass[v]:
            u = w
            break
    if u < 0:
        return nrem
    L = rlen[v]
    # cut where the detour through the depot adds least (v keeps 1..k, u gets k+1..L)
    p = P.prof[v]
    s0 = seq[u, 0]
    e0 = seq[v, L + 1]
    k = 1
    bestd = np.inf
    for j in range(1, L):
        a = seq[v, j]
        b = seq[v, j + 1]
        d = _arc_cost(P, v, p, a, e0) + _arc_cost(P, v, p, s0, b) - _arc_cost(P, v, p, a, b)
        if d < bestd:
            bestd = d
            k = j
    m = L - k
    end_u = seq[u, 1]
    for j in range(m):
        seq[u, 1 + j] = seq[v, k + 1 + j]
    seq[u, m + 1] = end_u
    rlen[u] = m
    seq[v, k + 1] = seq[v, L + 1]
    rlen[v] = k
    touched[u] = 1
    nrem = _repair(P, S, v, rem, nrem)
    return _repair(P, S, u, rem, nrem)


# ---------------------------------------------------------------------- main loop


@njit(cache=True, nogil=True, inline="always")
def _total(S: KState) -> float:
    return S.rcost.sum() + S.pen[0]


@njit(cache=True, nogil=True, inline="always")
def _copy_rows(src_seq: np.ndarray, src_len: np.ndarray, dst_seq: np.ndarray, dst_len: np.ndarray, v: int) -> None:
    L = src_len[v]
    for k in range(L + 2):
        dst_seq[v, k] = src_seq[v, k]
    dst_len[v] = L


@njit(cache=True, nogil=True)
def init_begin(
    P: KProblem, S: KState, init_seq: np.ndarray, init_len: np.ndarray, rng: np.ndarray, order_kind: int,
    rem: np.ndarray, keys: np.ndarray,
) -> int:
    """Load routes (possibly empty) and repair them; the jobs left to insert go to ``rem`` in
    construction order.  Returns their count; ``init_insert`` places them, a chunk at a time."""
    nv = S.rlen.shape[0]
    nrem = 0
    S.node_route[:] = -1
    for v in range(nv):
        L = init_len[v]
        S.seq[v, 0] = P.vstart[v]
        for k in range(L):
            S.seq[v, k + 1] = init_seq[v, k]
        S.seq[v, L + 1] = P.vend[v]
        S.rlen[v] = L
        if P.pdp:
            nrem = _split_pairs(P, S, v, rem, nrem)
        nrem = _repair(P, S, v, rem, nrem)
    for j in range(P.jobs.shape[0]):
        c = P.jobs[j]
        if S.node_route[c] < 0:
            already = False
            for i in range(nrem):
                if rem[i] == c:
                    already = True
                    break
            if not already:
                rem[nrem] = c
                nrem += 1
    _order_jobs(P, rem, nrem, rng, keys, order_kind)
    S.nunas[0] = 0
    S.pen[0] = 0.0
    S.nhand[0] = 0
    return nrem


@njit(cache=True, nogil=True)
def init_insert(
    P: KProblem, S: KState, rem: np.ndarray, i0: int, i1: int, rng: np.ndarray, stamp: np.ndarray, seen: np.ndarray,
    tseq: np.ndarray, tes: np.ndarray, tls: np.ndarray,
) -> None:
    """Cheapest insertion of ``rem[i0:i1]`` (no blinks); a job no route takes more cheaply is left out."""
    no_ver = np.empty((0, 0), dtype=np.int64)
    no_thr = np.empty(0, dtype=np.float64)
    partner, is_pick = P.partner, P.is_pick
    mx = np.empty(P.demand.shape[1], dtype=np.int64)
    for i in range(i0, i1):
        c = rem[i]
        stamp[0] += 1
        if partner[c] >= 0:
            if not is_pick[c]:
                continue  # a delivery goes in with its pickup
            v, a, b = _best_pair_insertion(P, S, c, 0.0, rng, stamp[0], seen, tseq, tes, tls, mx)
            if v < 0:
                _leave_out(P, S, c)
                _leave_out(P, S, partner[c])
            else:
                _insert_pair(P, S, v, a, b, c, partner[c])
            continue
        if _needs_rich(P, c):
            v, k = _best_insertion(P, S, c, 0.0, rng, stamp[0], seen, tseq, tes, tls, no_ver, no_thr, True)
        else:
            v, k = _best_insertion(P, S, c, 0.0, rng, stamp[0], seen, tseq, tes, tls, no_ver, no_thr, False)
        if v < 0:
            _leave_out(P, S, c)
        else:
            _insert(P, S, v, k, c)


@njit(cache=True, nogil=True)
def leave_out_rest(P: KProblem, S: KState, rem: np.ndarray, i0: int, i1: int) -> None:
    """Leave ``rem[i0:i1]`` out (the construction ran out of time)."""
    partner, is_pick = P.partner, P.is_pick
    for i in range(i0, i1):
        c = rem[i]
        if partner[c] >= 0:
            # pairs go out as they go in: with the pickup, wherever the delivery stood in ``rem``
            if is_pick[c]:
                _leave_out(P, S, c)
                _leave_out(P, S, partner[c])
            continue
        _leave_out(P, S, c)


@njit(cache=True, nogil=True)
def init_solution(
    P: KProblem, S: KState, init_seq: np.ndarray, init_len: np.ndarray, rng: np.ndarray, order_kind: int,
) -> float:
    """``init_begin`` then ``init_insert`` of every job, with no deadline; returns the cost."""
    n = P.dist.shape[0]
    C = S.seq.shape[1]
    rem = np.empty(n + 1, dtype=np.int32)
    keys = np.empty(n + 1, dtype=np.float64)
    nrem = init_begin(P, S, init_seq, init_len, rng, order_kind, rem, keys)
    stamp = np.zeros(1, dtype=np.int64)
    seen = np.zeros(S.rlen.shape[0] + 1, dtype=np.int64)
    tseq = np.empty(C + 1, dtype=np.int32)
    tes = np.empty(C + 1, dtype=np.int64)
    tls = np.empty(C + 1, dtype=np.int64)
    init_insert(P, S, rem, 0, nrem, rng, stamp, seen, tseq, tes, tls)
    return _total(S)


@njit(cache=True, nogil=True)
def total(S: KState) -> float:
    """Objective of the state: route costs plus the prices of the jobs left out."""
    return _total(S)


# ---- the descent's moves (``engine.dispatch.search.descent``), here so that ``run_chunk`` can call them

@njit(cache=True, nogil=True, inline="always")
def _arc(cm: float, cs: float, dist: np.ndarray, pdur: np.ndarray, p: int, a: int, b: int) -> float:
    return cm * dist[a, b] + cs * pdur[p, a, b]


@njit(cache=True, nogil=True, _nrt=False)
def _row_cost(P: KProblem, S: KState, v: int, row: np.ndarray, L: int, tes: np.ndarray, tls: np.ndarray) -> float:
    """Cost of ``row[0 .. L+1]`` on vehicle ``v`` (inf when a window, the capacity, the
    vehicle's compatibility or a route limit fails)."""
    bad, cost = _eval_row(P, v, row, L, tes, tls, S.bt)
    if bad >= 0:
        return np.inf
    demand, cap, compat = P.demand, P.cap, P.compat
    nd = demand.shape[1]
    for d in range(nd):
        tot = 0
        for k in range(1, L + 1):
            tot += demand[row[k], d]
        if tot > cap[v, d]:
            return np.inf
    for k in range(1, L + 1):
        if not compat[v, row[k]]:
            return np.inf
    if P.lim and L > 0:
        dist, pdur = P.dist, P.pdur
        p = P.prof[v]
        dsum = 0
        tsum = 0
        for k in range(L + 1):
            dsum += dist[row[k], row[k + 1]]
            tsum += pdur[p, row[k], row[k + 1]]
        if dsum > P.maxdist[v] or tsum > P.maxtrav[v]:
            return np.inf
    return cost


@njit(cache=True, nogil=True, _nrt=False)
def _commit(P: KProblem, S: KState, v: int, row: np.ndarray, L: int) -> None:
    seq = S.seq
    for k in range(L + 2):
        seq[v, k] = row[k]
    S.rlen[v] = L
    _update_route(P, S, v)


@njit(cache=True, nogil=True, inline="always")
def _apply(
    P: KProblem, S: KState, a: int, ra: np.ndarray, na: int, b: int, rb: np.ndarray, nb: int, old: float, eps: float,
    tes: np.ndarray, tls: np.ndarray, touched: np.ndarray,
) -> float:
    """Make route ``a`` the row ``ra`` (and route ``b`` the row ``rb``; ``b`` -1: one route) if
    that costs less than ``old``, what the routes cost now, and mark them ``touched``.
    Returns the change (0: not made)."""
    ca = _row_cost(P, S, a, ra, na, tes, tls)
    if ca == np.inf:
        return 0.0
    cb = 0.0 if b < 0 else _row_cost(P, S, b, rb, nb, tes, tls)
    if ca + cb >= old - eps:
        return 0.0
    _commit(P, S, a, ra, na)
    touched[a] = 1
    if b >= 0:
        _commit(P, S, b, rb, nb)
        touched[b] = 1
    return ca + cb - old


@njit(cache=True, nogil=True, inline="always")
def _try_reverse(
    P: KProblem, S: KState, a: int, lo: int, hi: int, ra: np.ndarray, eps: float, tes: np.ndarray, tls: np.ndarray, touched: np.ndarray,
) -> float:
    """Reverse positions ``lo .. hi`` of route ``a`` if that is cheaper; returns the change (0: not made)."""
    seq, dist, pdur = S.seq, P.dist, P.pdur
    pa = P.prof[a]
    cma, csa = P.cm[a], P.cs[a]
    first = seq[a, lo - 1]
    after = seq[a, hi + 1]
    est = (_arc(cma, csa, dist, pdur, pa, first, seq[a, hi]) + _arc(cma, csa, dist, pdur, pa, seq[a, lo], after)
           - _arc(cma, csa, dist, pdur, pa, first, seq[a, lo]) - _arc(cma, csa, dist, pdur, pa, seq[a, hi], after))
    for q in range(lo, hi):
        est += _arc(cma, csa, dist, pdur, pa, seq[a, q + 1], seq[a, q]) - _arc(cma, csa, dist, pdur, pa, seq[a, q], seq[a, q + 1])
    if est >= -eps:
        return 0.0
    La = S.rlen[a]
    for q in range(La + 2):
        ra[q] = seq[a, q]
    for q in range(lo, hi + 1):
        ra[q] = seq[a, lo + hi - q]
    return _apply(P, S, a, ra, La, -1, ra, 0, S.rcost[a], eps, tes, tls, touched)


@njit(cache=True, nogil=True, inline="always")
def _move_run(
    seq: np.ndarray, a: int, i: int, m: int, La: int, b: int, k: int, Lb: int, ra: np.ndarray, rb: np.ndarray,
) -> None:
    """``ra``: route ``a``'s row without its ``m`` jobs from position ``i``; ``rb``: route ``b``'s
    row with those jobs, in order, after its position ``k`` (two routes)."""
    w = 0
    for q in range(La + 2):
        if q < i or q >= i + m:
            ra[w] = seq[a, q]
            w += 1
    for q in range(k + 1):
        rb[q] = seq[b, q]
    for t in range(m):
        rb[k + 1 + t] = seq[a, i + t]
    for q in range(k + 1, Lb + 2):
        rb[q + m] = seq[b, q]


@njit(cache=True, nogil=True, _nrt=False)
def descend_jobs(
    P: KProblem, S: KState, jobs: np.ndarray, njobs: int, k_near: int, max_passes: int, touched: np.ndarray,
    ra: np.ndarray, rb: np.ndarray, tes: np.ndarray, tls: np.ndarray, keep: int,
) -> tuple:
    """The descent of ``engine.dispatch.search.descent`` over the jobs ``jobs[:njobs]`` only.

    ``keep`` >= 0: no move adds a job to that route (relocations into it, a 2-opt* that
    lengthens it); -1: none.  Inside the search that is the shortest route: the
    ruin-and-recreate empties a route by moving its jobs out a few at a time, each at a
    small loss, and a descent that took them straight back would undo it.

    Improves the routes of ``S`` in place until no move of those jobs helps (or
    ``max_passes`` passes) and sets ``touched[v] = 1`` for every route it changes.  ``S``
    must hold consistent route caches (as after ``_update_route``); jobs left out stay
    out.  ``ra``/``rb``/``tes``/``tls``: scratch rows of the state's row length + 1.
    Returns ``(moves, change)``: the moves made and the change of the route costs (<= 0).
    """
    adj = P.adj
    dist, pdur, prof, cm, cs, css, vend, service = P.dist, P.pdur, P.prof, P.cm, P.cs, P.css, P.vend, P.service
    seq, rlen, node_route, node_pos, rcost = S.seq, S.rlen, S.node_route, S.node_pos, S.rcost
    kn = k_near if k_near < adj.shape[1] else adj.shape[1]
    moves = 0
    change = 0.0
    for _ in range(max_passes):
        before = moves
        for ui in range(njobs):
            u = jobs[ui]
            for t in range(kn):
                a = node_route[u]
                if a < 0:
                    break
                x = adj[u, t]
                if x < 0:
                    break
                b = node_route[x]
                if b < 0:
                    continue
                i = node_pos[u]
                j = node_pos[x]
                La = rlen[a]
                Lb = rlen[b]
                pa = prof[a]
                pb = prof[b]
                # Vehicles that cost alike and end alike can exchange tails.
                alike = pa == pb and cm[a] == cm[b] and cs[a] == cs[b] and css[a] == css[b] and vend[a] == vend[b]
                eps = 1e-9 * (1.0 + rcost[a] + rcost[b])
                old = rcost[a] + rcost[b] if a != b else rcost[a]
                pu = seq[a, i - 1]
                su = seq[a, i + 1]
                px = seq[b, j - 1]
                sx = seq[b, j + 1]
                cma, csa, cmb, csb = cm[a], cs[a], cm[b], cs[b]
                done = False
                if a != b:
                    # Relocations and swaps are priced exactly by their arcs (each at its
                    # vehicle's rates), the service they move and a fixed cost saved.
                    if La == 1:  # the route empties: it costs nothing, its fixed cost included
                        rem_u = rcost[a] - css[b] * service[u]
                    else:
                        rem_u = (_arc(cma, csa, dist, pdur, pa, pu, u) + _arc(cma, csa, dist, pdur, pa, u, su)
                                 - _arc(cma, csa, dist, pdur, pa, pu, su) + (css[a] - css[b]) * service[u])
                    # relocate u after x (r = 0) or before x (r = 1)
                    for r in range(2):
                        if done or b == keep:
                            break
                        left = x if r == 0 else px
                        right = sx if r == 0 else x
                        k = j if r == 0 else j - 1
                        est = _arc(cmb, csb, dist, pdur, pb, left, u) + _arc(cmb, csb, dist, pdur, pb, u, right) - _arc(cmb, csb, dist, pdur, pb, left, right) - rem_u
                        if est >= -eps:
                            continue
                        _move_run(seq, a, i, 1, La, b, k, Lb, ra, rb)
                        d = _apply(P, S, a, ra, La - 1, b, rb, Lb + 1, old, eps, tes, tls, touched)
                        if d < 0.0:
                            change += d
                            moves += 1
                            done = True
                    if done:
                        continue
                    # relocate u and its successor after x
                    if i < La and b != keep:
                        s2 = seq[a, i + 2]
                        est = (_arc(cmb, csb, dist, pdur, pb, x, u) + _arc(cmb, csb, dist, pdur, pb, u, su) + _arc(cmb, csb, dist, pdur, pb, su, sx)
                               - _arc(cmb, csb, dist, pdur, pb, x, sx) + css[b] * (service[u] + service[su]))
                        if La == 2:
                            est -= rcost[a]
                        else:
                            est += (_arc(cma, csa, dist, pdur, pa, pu, s2) - _arc(cma, csa, dist, pdur, pa, pu, u)
                                    - _arc(cma, csa, dist, pdur, pa, u, su) - _arc(cma, csa, dist, pdur, pa, su, s2)
                                    - css[a] * (service[u] + service[su]))
                        if est < -eps:
                            _move_run(seq, a, i, 2, La, b, j, Lb, ra, rb)
                            d = _apply(P, S, a, ra, La - 2, b, rb, Lb + 2, old, eps, tes, tls, touched)
                            if d < 0.0:
                                change += d
                                moves += 1
                                continue
                    # swap u and x
                    est = (_arc(cma, csa, dist, pdur, pa, pu, x) + _arc(cma, csa, dist, pdur, pa, x, su)
                           - _arc(cma, csa, dist, pdur, pa, pu, u) - _arc(cma, csa, dist, pdur, pa, u, su)
                           + _arc(cmb, csb, dist, pdur, pb, px, u) + _arc(cmb, csb, dist, pdur, pb, u, sx)
                           - _arc(cmb, csb, dist, pdur, pb, px, x) - _arc(cmb, csb, dist, pdur, pb, x, sx)
                           + (css[a] - css[b]) * (service[x] - service[u]))
                    if est < -eps:
                        for q in range(La + 2):
                            ra[q] = seq[a, q]
                        ra[i] = x
                        for q in range(Lb + 2):
                            rb[q] = seq[b, q]
                        rb[j] = u
                        d = _apply(P, S, a, ra, La, b, rb, Lb, old, eps, tes, tls, touched)
                        if d < 0.0:
                            change += d
                            moves += 1
                            continue
                    # 2-opt*: a keeps its jobs up to u, then b's from x; b keeps its jobs before x, then
                    # a's after u.  Tails change vehicle, so only between vehicles that cost alike.
                    na = i + (Lb - j + 1)
                    nb = (j - 1) + (La - i)
                    if not alike or (a == keep and na > La) or (b == keep and nb > Lb):
                        est = np.inf
                    elif nb == 0:
                        est = -np.inf  # b empties (its whole cost goes): scheduled in full
                    else:
                        est = (_arc(cma, csa, dist, pdur, pa, u, x) + _arc(cma, csa, dist, pdur, pa, px, su)
                               - _arc(cma, csa, dist, pdur, pa, u, su) - _arc(cma, csa, dist, pdur, pa, px, x))
                    if est < -eps:
                        for q in range(i + 1):
                            ra[q] = seq[a, q]
                        for q in range(j, Lb + 1):
                            ra[i + 1 + q - j] = seq[b, q]
                        ra[na + 1] = seq[a, La + 1]
                        for q in range(j):
                            rb[q] = seq[b, q]
                        for q in range(i + 1, La + 1):
                            rb[j + q - i - 1] = seq[a, q]
                        rb[nb + 1] = seq[b, Lb + 1]
                        d = _apply(P, S, a, ra, na, b, rb, nb, old, eps, tes, tls, touched)
                        if d < 0.0:
                            change += d
                            moves += 1
                            continue
                else:
                    # relocate u after x (r = 0) or before it (r = 1: after x's predecessor, maybe the start)
                    for r in range(2):
                        if done:
                            break
                        k = j if r == 0 else j - 1
                        if k == i or k == i - 1:
                            continue
                        left = seq[a, k]
                        right = seq[a, k + 1]
                        est = (_arc(cma, csa, dist, pdur, pa, left, u) + _arc(cma, csa, dist, pdur, pa, u, right) - _arc(cma, csa, dist, pdur, pa, left, right)
                               - _arc(cma, csa, dist, pdur, pa, pu, u) - _arc(cma, csa, dist, pdur, pa, u, su) + _arc(cma, csa, dist, pdur, pa, pu, su))
                        if est >= -eps:
                            continue
                        w = 0
                        for q in range(La + 2):
                            if q == i:
                                continue
                            ra[w] = seq[a, q]
                            w += 1
                            if q == k:
                                ra[w] = u
                                w += 1
                        d = _apply(P, S, a, ra, La, -1, rb, 0, old, eps, tes, tls, touched)
                        if d < 0.0:
                            change += d
                            moves += 1
                            done = True
                    if done:
                        continue
                    # 2-opt: reverse the stretch between u and x so that one follows the other
                    # (u then x when u comes first, x then u otherwise)
                    lo = i + 1 if i < j else j + 1
                    hi = j if i < j else i
                    if lo < hi:
                        d = _try_reverse(P, S, a, lo, hi, ra, eps, tes, tls, touched)
                        if d < 0.0:
                            change += d
                            moves += 1
                            continue
            # 2-opt from u's route's start or to its end: u follows the start, or precedes the end
            a = node_route[u]
            if a < 0:
                continue
            i = node_pos[u]
            La = rlen[a]
            eps = 1e-9 * (1.0 + rcost[a])
            for r in range(2):
                lo = 1 if r == 0 else i
                hi = i if r == 0 else La
                if lo >= hi:
                    continue
                d = _try_reverse(P, S, a, lo, hi, ra, eps, tes, tls, touched)
                if d < 0.0:
                    change += d
                    moves += 1
                    break
        if moves == before:
            break
    return moves, change


@njit(cache=True, nogil=True)
def _shortest_route(rlen: np.ndarray) -> int:
    """The used route with the fewest jobs (the first such), or -1 when fewer than two are used."""
    best = -1
    used = 0
    for v in range(rlen.shape[0]):
        if rlen[v] > 0:
            used += 1
            if best < 0 or rlen[v] < rlen[best]:
                best = v
    return best if used >= 2 else -1


@njit(cache=True, nogil=True)
def run_chunk(
    P: KProblem, W: KState, cur_seq: np.ndarray, cur_len: np.ndarray, cur_cost: np.ndarray,
    best_seq: np.ndarray, best_len: np.ndarray, best_cost: np.ndarray, rng: np.ndarray,
    it0: int, n_iter: int, it_total: int, t_start: float, t_end: float,
    avg_removed: float, max_string: int, split_rate: float, split_depth: float, blink: float,
    order_weights: np.ndarray, jver: np.ndarray, jthr: np.ndarray, open_rate: float, open_min_jobs: float,
    ls_near: int, ls_passes: int, ls_from: float, ls_keep: bool,
) -> int:
    """Run ``n_iter`` SISR iterations on the working state ``W`` (which equals ``cur`` on entry).

    The temperature falls geometrically from ``t_start`` to ``t_end`` over
    ``it_total`` iterations; this chunk covers ``it0 .. it0 + n_iter``.
    ``cur_cost[0]`` / ``best_cost[0]`` are updated in place.  Returns the
    number of accepted moves.  ``jver`` / ``jthr``: the left-out cache of
    ``_best_insertion`` (empty arrays: off; the search is then as without it).
    ``open_rate`` applies while the routes in use carry ``open_min_jobs`` jobs or more
    on average; below that no random number is drawn for it.  ``ls_near`` > 0: every
    complete recreate is followed by the descent (``descend_jobs``) over the jobs it
    re-inserted, each against its ``ls_near`` nearest jobs, at most ``ls_passes`` passes,
    before the annealing judges it, from the share ``ls_from`` of the schedule on (not with
    pairs or fixed steps); ``ls_keep``: that descent adds no job to the shortest route.
    """
    nv = W.rlen.shape[0]
    n = P.dist.shape[0]
    C = W.seq.shape[1]
    rem = np.empty(n + 1, dtype=np.int32)
    touched = np.zeros(nv, dtype=np.int8)
    drop = np.zeros(C + 1, dtype=np.int8)
    seen = np.zeros(nv + 1, dtype=np.int64)
    stamp = np.zeros(1, dtype=np.int64)
    keys = np.empty(n + 1, dtype=np.float64)
    tseq = np.empty(C + 1, dtype=np.int32)
    tes = np.empty(C + 1, dtype=np.int64)
    tls = np.empty(C + 1, dtype=np.int64)
    mx = np.empty(P.demand.shape[1], dtype=np.int64)
    lra = np.empty(C + 1, dtype=np.int32)
    lrb = np.empty(C + 1, dtype=np.int32)
    cur_unas = W.unas.copy()
    cur_nunas = W.nunas[0]
    cur_pen = W.pen[0]
    cur_nhand = W.nhand[0]
    cur_ver = W.rver.copy()
    # The current solution's route caches: a rejected move copies them back instead of
    # re-scheduling every touched route (most moves are rejected once the search cools).
    cur_es = W.es.copy()
    cur_ls = W.ls.copy()
    cur_load = W.load.copy()
    cur_rcost = W.rcost.copy()
    cur_rmulti = W.rmulti.copy()
    wsum = order_weights.sum()
    # pairs would be torn apart and fixed steps moved off their vehicle by a split
    can_open = not P.pdp and not P.fix_on
    # the descent leaves pairs and fixed steps alone (``descent.applies``), for the same reasons
    use_ls = ls_near > 0 and can_open
    accepted = 0
    ratio = t_end / t_start if t_start > 0.0 else 1.0
    # the state's arrays once, out of the tuple (see ``_eval_row`` on reference counting)
    wseq, wlen, wver, wunas, wroute = W.seq, W.rlen, W.rver, W.unas, W.node_route
    wes, wls, wload, wrcost, wrmulti, wpos = W.es, W.ls, W.load, W.rcost, W.rmulti, W.node_pos
    nd = wload.shape[1]
    pdp = P.pdp
    wcum, wsmax, wpmax = W.cum, W.smax, W.pmax
    cur_cum = W.cum.copy()
    cur_smax = W.smax.copy()
    cur_pmax = W.pmax.copy()
    wrdist, wrtrav = W.rdist, W.rtrav
    cur_rdist = W.rdist.copy()
    cur_rtrav = W.rtrav.copy()
    for it in range(n_iter):
        frac = (it0 + it) / it_total if it_total > 0 else 1.0
        if frac > 1.0:
            frac = 1.0
        temp = t_start * ratio**frac
        for v in range(nv):
            touched[v] = 0
        nrem = _ruin(P, W, rng, avg_removed, max_string, split_rate, split_depth, rem, touched, drop)
        if open_rate > 0.0 and can_open:
            mean_len = _mean_route_len(wlen)  # the routes after the ruin
            if mean_len > 0.0 and mean_len >= open_min_jobs and _rand(rng) < open_rate:
                nrem = _open_route(P, W, rng, touched, rem, nrem)
        r = _rand(rng) * wsum
        kind = 0
        while kind < order_weights.shape[0] - 1 and r >= order_weights[kind]:
            r -= order_weights[kind]
            kind += 1
        # The threshold is drawn before the recreate, which stops once the plan passes it.
        thresh = cur_cost[0]
        if temp > 0.0:
            thresh -= temp * np.log(1.0 - _rand(rng))
        refused = _recreate(P, W, rem, nrem, rng, blink, touched, stamp, seen, keys, tseq, tes, tls, kind, jver, jthr, mx, thresh)
        if use_ls and not refused and frac >= ls_from:
            keep = _shortest_route(wlen) if ls_keep else -1
            descend_jobs(P, W, rem, nrem, ls_near, ls_passes, touched, lra, lrb, tes, tls, keep)
        new_cost = _total(W)
        if not refused and new_cost < thresh:
            accepted += 1
            for v in range(nv):
                if touched[v]:
                    _copy_rows(wseq, wlen, cur_seq, cur_len, v)
                    cur_ver[v] = wver[v]
                    for k in range(wlen[v] + 2):
                        cur_es[v, k] = wes[v, k]
                        cur_ls[v, k] = wls[v, k]
                    for d in range(nd):
                        cur_load[v, d] = wload[v, d]
                    if pdp:
                        for k in range(wlen[v] + 1):
                            for d in range(nd):
                                cur_cum[v, k, d] = wcum[v, k, d]
                                cur_smax[v, k, d] = wsmax[v, k, d]
                                cur_pmax[v, k, d] = wpmax[v, k, d]
                    cur_rcost[v] = wrcost[v]
                    cur_rmulti[v] = wrmulti[v]
                    cur_rdist[v] = wrdist[v]
                    cur_rtrav[v] = wrtrav[v]
            cur_cost[0] = new_cost
            cur_nunas = W.nunas[0]
            for i in range(cur_nunas):
                cur_unas[i] = wunas[i]
            cur_pen = W.pen[0]
            cur_nhand = W.nhand[0]
            if new_cost < best_cost[0] - 1e-9:
                best_cost[0] = new_cost
                for v in range(nv):
                    _copy_rows(wseq, wlen, best_seq, best_len, v)
        else:
            for v in range(nv):
                if touched[v]:
                    for k in range(1, wlen[v] + 1):
                        wroute[wseq[v, k]] = -1
            for v in range(nv):
                if touched[v]:
                    _copy_rows(cur_seq, cur_len, wseq, wlen, v)
                    L = cur_len[v]
                    for k in range(L + 2):
                        wes[v, k] = cur_es[v, k]
                        wls[v, k] = cur_ls[v, k]
                    for k in range(1, L + 1):
                        c = wseq[v, k]
                        wroute[c] = v
                        wpos[c] = k
                    for d in range(nd):
                        wload[v, d] = cur_load[v, d]
                    if pdp:
                        for k in range(L + 1):
                            for d in range(nd):
                                wcum[v, k, d] = cur_cum[v, k, d]
                                wsmax[v, k, d] = cur_smax[v, k, d]
                                wpmax[v, k, d] = cur_pmax[v, k, d]
                    wrcost[v] = cur_rcost[v]
                    wrmulti[v] = cur_rmulti[v]
                    wrdist[v] = cur_rdist[v]
                    wrtrav[v] = cur_rtrav[v]
                    wver[v] = cur_ver[v]  # the row it had: what the cache saw of it still holds
            W.nunas[0] = cur_nunas
            for i in range(cur_nunas):
                wunas[i] = cur_unas[i]
            W.pen[0] = cur_pen
            W.nhand[0] = cur_nhand
    return accepted
