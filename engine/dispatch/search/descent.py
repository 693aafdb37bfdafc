"""A local-search descent over granular neighbourhoods, run on the search's best routes.

The ruin-and-recreate search (``engine.dispatch.search.kernels``) removes strings and
re-inserts their jobs one by one, so it never swaps two jobs between routes in one
move, nor exchanges the tails of two routes, nor reverses a stretch of one; under a
clock that binds (Gehring-Homberger 400 at 60 s: about 7,000 iterations per job) its
last solution is not a local optimum of those moves.  A descent over them, first
improvement, each job against its nearest jobs (Toth & Vigo's granular neighbourhoods),
finishes it in milliseconds.  The moves themselves are ``kernels.descend_jobs`` (over any
list of jobs, so that the search can also run them inside ``kernels.run_chunk``,
``SearchParams.ls_neighbours``); this module runs them over every job.

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

from engine.dispatch.search.kernels import KProblem, KState, _update_route, descend_jobs


def applies(P: KProblem) -> bool:
    """Whether the descent models the problem (no pairs or falling loads, no fixed steps)."""
    return not bool(P.pdp) and not bool(P.fix_on)


@njit(cache=True, nogil=True)
def descend(P: KProblem, S: KState, k_near: int, max_passes: int) -> tuple:
    """Improve the routes of ``S`` in place until no move helps (or ``max_passes`` passes).

    ``S`` must hold consistent route caches (as after ``_update_route``); jobs left out
    stay out.  Returns ``(moves, change)``: the moves made and the change of the route
    costs (<= 0).
    """
    C = S.seq.shape[1]
    touched = np.zeros(S.rlen.shape[0], dtype=np.int8)
    ra, rb = np.empty(C + 1, dtype=np.int32), np.empty(C + 1, dtype=np.int32)
    tes, tls = np.empty(C + 1, dtype=np.int64), np.empty(C + 1, dtype=np.int64)
    return descend_jobs(P, S, P.jobs, P.jobs.shape[0], k_near, max_passes, touched, ra, rb, tes, tls, -1)


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
