"""A local-search descent over granular neighbourhoods, run on the search's best routes.

The ruin-and-recreate search (``engine.dispatch.search.kernels``) removes strings and
re-inserts their jobs one by one, so it never swaps two jobs between routes in one
move, nor exchanges the tails of two routes, nor reverses a stretch of one; under a
clock that binds (Gehring-Homberger 400 at 60 s: about 7,000 iterations per job) its
last solution is not a local optimum of those moves.  A descent over them, first
improvement, each job against its nearest jobs (Toth & Vigo's granular neighbourhoods),
finishes it in milliseconds.

Moves, for a job ``u`` and each of its ``k`` nearest jobs ``x``:

- relocate ``u`` after ``x`` or before it (two routes, or within one);
- relocate ``u`` with its successor after ``x`` (two routes);
- swap ``u`` and ``x`` (two routes);
- exchange tails so that ``u`` is followed by ``x`` (2-opt*, two routes whose vehicles
  cost alike and end at the same place);
- reverse the stretch between ``u`` and ``x`` so that one follows the other (2-opt, one
  route), and, once per job, the stretch from the route's start to ``u`` or from ``u`` to
  its end.

A move is priced first from the arcs it changes, at each vehicle's rates (exact: the
cost model charges driving and service, never waiting), and only a move that this says
is cheaper is scheduled in full (``kernels._eval_row``: windows, several windows, breaks, maximum duration) and
checked for capacity, the vehicle's compatibility and route limits.  Problems with
pickup-and-delivery pairs, loads that fall along routes or fixed steps are left alone
(``applies``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.dispatch.search.kernels import KProblem, KState, _eval_row, _update_route


def applies(P: KProblem) -> bool:
    """Whether the descent models the problem (no pairs or falling loads, no fixed steps)."""
    return not bool(P.pdp) and not bool(P.fix_on)


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
    tes: np.ndarray, tls: np.ndarray,
) -> float:
    """Make route ``a`` the row ``ra`` (and route ``b`` the row ``rb``; ``b`` -1: one route) if
    that costs less than ``old``, what the routes cost now.  Returns the change (0: not made)."""
    ca = _row_cost(P, S, a, ra, na, tes, tls)
    if ca == np.inf:
        return 0.0
    cb = 0.0 if b < 0 else _row_cost(P, S, b, rb, nb, tes, tls)
    if ca + cb >= old - eps:
        return 0.0
    _commit(P, S, a, ra, na)
    if b >= 0:
        _commit(P, S, b, rb, nb)
    return ca + cb - old


@njit(cache=True, nogil=True, inline="always")
def _try_reverse(P: KProblem, S: KState, a: int, lo: int, hi: int, ra: np.ndarray, eps: float, tes: np.ndarray, tls: np.ndarray) -> float:
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
    return _apply(P, S, a, ra, La, -1, ra, 0, S.rcost[a], eps, tes, tls)


@njit(cache=True, nogil=True)
def descend(P: KProblem, S: KState, k_near: int, max_passes: int) -> tuple:
    """Improve the routes of ``S`` in place until no move helps (or ``max_passes`` passes).

    ``S`` must hold consistent route caches (as after ``_update_route``); jobs left out
    stay out.  Returns ``(moves, change)``: the moves made and the change of the route
    costs (<= 0).
    """
    nv = S.rlen.shape[0]
    C = S.seq.shape[1]
    ra = np.empty(C + 1, dtype=np.int32)
    rb = np.empty(C + 1, dtype=np.int32)
    tes = np.empty(C + 1, dtype=np.int64)
    tls = np.empty(C + 1, dtype=np.int64)
    adj, jobs = P.adj, P.jobs
    dist, pdur, prof, cm, cs, css, vend, service = P.dist, P.pdur, P.prof, P.cm, P.cs, P.css, P.vend, P.service
    seq, rlen, node_route, node_pos, rcost = S.seq, S.rlen, S.node_route, S.node_pos, S.rcost
    kn = k_near if k_near < adj.shape[1] else adj.shape[1]
    moves = 0
    change = 0.0
    for _ in range(max_passes):
        before = moves
        for ui in range(jobs.shape[0]):
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
                        if done:
                            break
                        left = x if r == 0 else px
                        right = sx if r == 0 else x
                        k = j if r == 0 else j - 1
                        est = _arc(cmb, csb, dist, pdur, pb, left, u) + _arc(cmb, csb, dist, pdur, pb, u, right) - _arc(cmb, csb, dist, pdur, pb, left, right) - rem_u
                        if est >= -eps:
                            continue
                        w = 0
                        for q in range(La + 2):
                            if q != i:
                                ra[w] = seq[a, q]
                                w += 1
                        for q in range(k + 1):
                            rb[q] = seq[b, q]
                        rb[k + 1] = u
                        for q in range(k + 1, Lb + 2):
                            rb[q + 1] = seq[b, q]
                        d = _apply(P, S, a, ra, La - 1, b, rb, Lb + 1, old, eps, tes, tls)
                        if d < 0.0:
                            change += d
                            moves += 1
                            done = True
                    if done:
                        continue
                    # relocate u and its successor after x
                    if i < La:
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
                            w = 0
                            for q in range(La + 2):
                                if q != i and q != i + 1:
                                    ra[w] = seq[a, q]
                                    w += 1
                            for q in range(j + 1):
                                rb[q] = seq[b, q]
                            rb[j + 1] = u
                            rb[j + 2] = su
                            for q in range(j + 1, Lb + 2):
                                rb[q + 2] = seq[b, q]
                            d = _apply(P, S, a, ra, La - 2, b, rb, Lb + 2, old, eps, tes, tls)
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
                        d = _apply(P, S, a, ra, La, b, rb, Lb, old, eps, tes, tls)
                        if d < 0.0:
                            change += d
                            moves += 1
                            continue
                    # 2-opt*: a keeps its jobs up to u, then b's from x; b keeps its jobs before x, then
                    # a's after u.  Tails change vehicle, so only between vehicles that cost alike.
                    na = i + (Lb - j + 1)
                    nb = (j - 1) + (La - i)
                    if not alike:
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
                        d = _apply(P, S, a, ra, na, b, rb, nb, old, eps, tes, tls)
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
                        d = _apply(P, S, a, ra, La, -1, rb, 0, old, eps, tes, tls)
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
                        d = _try_reverse(P, S, a, lo, hi, ra, eps, tes, tls)
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
                d = _try_reverse(P, S, a, lo, hi, ra, eps, tes, tls)
                if d < 0.0:
                    change += d
                    moves += 1
                    break
        if moves == before:
            break
    return moves, change


@njit(cache=True, nogil=True)
def load_routes(P: KProblem, S: KState, seq: np.ndarray, rlen: np.ndarray) -> float:
    """Put the routes ``seq`` / ``rlen`` (rows as ``KState.seq``) into ``S`` with fresh caches;
    returns the sum of their costs.  What ``S`` holds of left-out jobs is not touched."""
    nv = S.rlen.shape[0]
    for v in range(nv):
        for k in range(1, S.rlen[v] + 1):
            S.node_route[S.seq[v, k]] = -1
    tot = 0.0
    for v in range(nv):
        L = rlen[v]
        for k in range(L + 2):
            S.seq[v, k] = seq[v, k]
        S.rlen[v] = L
        _update_route(P, S, v)
        tot += S.rcost[v]
    return tot
