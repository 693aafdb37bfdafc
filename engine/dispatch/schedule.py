"""When each stop of a route is served and where its breaks go, without OR-Tools.

Plans whose routes come straight from the numba search (big problems, or too
little time left for OR-Tools; see ``engine.dispatch.pipeline``) get their
times here.  The rules are the search's (``engine.dispatch.search.kernels``):

* service starts as early as the windows allow (several windows per order:
  the first one still open);
* a break (its start inside its window, ``duration`` long) is taken before the
  departure, in a gap between two stops (after one service, while driving or
  waiting, before the next; at most one break per gap) or after the return;
  a vehicle's breaks come in the order of their windows;
* with a maximum duration, the route must fit it counted from the earliest
  departure (the search's conservative test);
* then the departure moves as late as it can without moving the return (no
  pointless waiting at the first stop), as OR-Tools' finalizers do.

``route`` answers ``None`` for a route these rules cannot schedule; the search
never produces one, and the pipeline drops orders from such a route rather
than report a plan that does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.dispatch.arrays import INT_INF, VrpArrays

__all__ = ["Schedule", "route"]

_INF = 1 << 62


@dataclass(frozen=True, slots=True)
class Schedule:
    """Times of one route: ``times[k]`` is the service start at node ``k`` of ``[start, *jobs, end]``
    (the departure at ``k = 0``, the return at the end)."""

    times: list[int]
    #: (gap, start, duration) per break: gap ``k`` lies between nodes ``k - 1`` and ``k``;
    #: 0 is before the departure, ``len(times)`` after the return.
    breaks: list[tuple[int, int, int]]


def _start_in(windows: tuple[tuple[int, int], ...], arrival: int) -> int:
    for ws, we in windows:
        if we >= ws and arrival <= we:
            return max(arrival, ws)
    return _INF


def route(a: VrpArrays, v: int, jobs: list[int]) -> Schedule | None:
    """The schedule of vehicle ``v`` serving job nodes ``jobs`` in order (None: infeasible; capacity not checked)."""
    dur = a.profile_durations[int(a.v_profile[v])]
    path = [int(a.v_start[v]), *(int(j) for j in jobs), int(a.v_end[v])]
    brk = sorted((int(ws), int(we), int(d)) for ws, we, d in a.v_breaks[v] if we >= ws and d > 0) if a.v_breaks else []
    nb = len(brk)
    end_node = path[-1]
    v_end = min(int(a.v_tw_end[v]), int(a.tw_end[end_node]))
    t0 = max(int(a.v_tw_start[v]), int(a.tw_start[path[0]]))

    def arrive(k: int, t: int) -> int:
        if k == len(path) - 1:
            return t if t <= v_end else _INF
        return _start_in(a.windows[path[k]], t)

    def forward(depart: int, gaps: list[int]) -> list[int] | None:
        """Service starts with breaks in the given gaps (as many as were planned there)."""
        times = [depart]
        for k in range(1, len(path)):
            p, q = path[k - 1], path[k]
            dep = times[-1] + int(a.service[p])
            t = dep + int(dur[p, q])
            for b in gaps[k]:
                ws, we, d = brk[b]
                if max(dep, ws) > we:
                    return None
                t = max(t, ws) + d
            t = arrive(k, t)
            if t >= _INF:
                return None
            times.append(t)
        return times

    # Forward pass over the number of breaks taken, with where each state came from.
    T = [[_INF] * (nb + 1) for _ in path]
    took = [[False] * (nb + 1) for _ in path]  # state j at k reached by taking break j-1 in gap k
    T[0][0] = t0
    for j in range(nb):
        if T[0][j] < _INF:
            ws, we, d = brk[j]
            s = max(T[0][j], ws)
            if s <= we:
                T[0][j + 1] = s + d
                took[0][j + 1] = True
    for k in range(1, len(path)):
        p, q = path[k - 1], path[k]
        tr, sa = int(dur[p, q]), int(a.service[p])
        for j in range(nb + 1):
            if T[k - 1][j] < _INF:
                T[k][j] = arrive(k, T[k - 1][j] + sa + tr)
            if j > 0 and T[k - 1][j - 1] < _INF:
                ws, we, d = brk[j - 1]
                dep = T[k - 1][j - 1] + sa
                if max(dep, ws) <= we:
                    st = arrive(k, max(dep + tr, ws) + d)
                    if st < T[k][j]:
                        T[k][j], took[k][j] = st, True
    last = len(path) - 1

    def after_end(j: int, t: int) -> list[tuple[int, int, int]] | None:
        out = []
        for b in range(j, nb):
            ws, we, d = brk[b]
            s = max(t, ws)
            if s > we:
                return None
            out.append((len(path), s, d))
            t = s + d
        return out

    best_j, tail = -1, None
    for j in range(nb + 1):
        if T[last][j] < _INF and (best_j < 0 or T[last][j] < T[last][best_j]):
            rest = after_end(j, T[last][j])
            if rest is not None:
                best_j, tail = j, rest
    if best_j < 0:
        return None
    end = T[last][best_j]
    if int(a.v_max_duration[v]) < INT_INF and end - t0 > int(a.v_max_duration[v]):
        return None
    # Which gap each break went into, walking back (one per gap, any number before the departure).
    gap_of = [0] * nb
    j = best_j
    for k in range(last, 0, -1):
        if j > 0 and took[k][j]:
            gap_of[j - 1] = k
            j -= 1
    gaps_at: list[list[int]] = [[] for _ in range(len(path) + 1)]
    for b in range(best_j):
        gaps_at[gap_of[b]].append(b)
    before = [b for b in range(best_j) if gap_of[b] == 0]
    # Breaks before the departure: taken from the earliest start, back to back.
    t, pre = t0, []
    for b in before:
        ws, _, d = brk[b]
        s = max(t, ws)
        pre.append((0, s, d))
        t = s + d
    earliest = forward(t, gaps_at)
    if earliest is None or earliest[-1] != end:  # pragma: no cover - the pass above found this schedule
        return None
    # Leave as late as the return allows: the latest departure with the same return.
    lo, hi = t, end
    while lo < hi:
        mid = (lo + hi + 1) // 2
        times = forward(mid, gaps_at)
        if times is not None and times[-1] <= end:
            lo = mid
        else:
            hi = mid - 1
    times = forward(lo, gaps_at) or earliest
    inside = []
    for k in range(1, len(path)):
        dep = times[k - 1] + int(a.service[path[k - 1]])
        for b in gaps_at[k]:
            ws, _, d = brk[b]
            s = max(dep, ws)
            inside.append((k, s, d))
            dep = s + d
    return Schedule(times, pre + inside + (tail or []))
