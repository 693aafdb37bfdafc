"""Building a contraction hierarchy in numba: node ordering, witness search, shortcuts.

Nodes are contracted one by one in the order of a lazily updated priority
(edge difference + contracted neighbours + level).  Contracting ``v`` adds a
shortcut ``u -> x`` for ``u -> v -> x`` only when a bounded witness search
(settled-node limit) finds no path at least as good that avoids ``v``.
Weights are pairs ordered lexicographically (see :mod:`engine.matrix.dijkstra`),
so the hierarchy answers the fastest path *and* carries the secondary weight
(metres) along it.

``build`` returns the :class:`engine.matrix.hierarchy.Hierarchy` that the query
kernels search; this module only writes it (as OSRM's contractor does).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.matrix.dijkstra import (
    heap_clear,
    heap_pop,
    heap_push,
    heap_sift_down,
    lex_less,
    search_reset,
    search_start,
    workspace,
)
from engine.matrix.hierarchy import Hierarchy

__all__ = ["build"]

# --------------------------------------------------------------------------- #
# growable per-node adjacency lists in a shared pool
# --------------------------------------------------------------------------- #
# A pool holds every node's list in one set of arrays: node ``a`` owns slots
# ``st[a] : st[a] + cp[a]`` of which the first ``ln[a]`` are used; a slot is an
# edge ``a -> pn[k]`` with weights ``pw1[k], pw2[k]`` and middle node ``pm[k]``
# (-1 for an original road).  A full list moves to the end of the pool.


@njit(cache=True)
def _grow(a, size):  # pragma: no cover - numba
    b = np.empty(size, a.dtype)
    b[: a.size] = a
    return b


@njit(cache=True)
def _pool(n, frm, to, w1, w2):  # pragma: no cover - numba
    """The pool of edges ``frm[e] -> to[e]``, with two spare slots per node."""
    st = np.zeros(n, np.int64)
    ln = np.zeros(n, np.int64)
    cp = np.zeros(n, np.int64)
    for e in range(frm.size):
        cp[frm[e]] += 1
    end = 0
    for v in range(n):
        cp[v] += 2  # room for a few shortcuts before the first move
        st[v] = end
        end += cp[v]
    size = max(2 * end, 16)
    pn = np.empty(size, np.int64)
    pw1 = np.empty(size, np.float64)
    pw2 = np.empty(size, np.float64)
    pm = np.empty(size, np.int64)
    for e in range(frm.size):
        a = frm[e]
        k = st[a] + ln[a]
        pn[k] = to[e]
        pw1[k] = w1[e]
        pw2[k] = w2[e]
        pm[k] = -1
        ln[a] += 1
    return st, ln, cp, pn, pw1, pw2, pm, end


@njit(cache=True, inline="always")
def _move(pn, pw1, pw2, pm, dst, src):  # pragma: no cover - numba
    pn[dst] = pn[src]
    pw1[dst] = pw1[src]
    pw2[dst] = pw2[src]
    pm[dst] = pm[src]


@njit(cache=True)
def _append(st, ln, cp, pn, pw1, pw2, pm, end, a, b, x1, x2, mid):  # pragma: no cover - numba
    """Append ``(b, x1, x2, mid)`` to node ``a``'s list; returns the (maybe regrown) pool."""
    if ln[a] == cp[a]:
        newcap = max(4, 2 * cp[a])
        if end + newcap > pn.size:
            size = max(2 * pn.size, end + newcap)
            pn = _grow(pn, size)
            pw1 = _grow(pw1, size)
            pw2 = _grow(pw2, size)
            pm = _grow(pm, size)
        s = st[a]
        for k in range(ln[a]):
            _move(pn, pw1, pw2, pm, end + k, s + k)
        st[a] = end
        cp[a] = newcap
        end += newcap
    k = st[a] + ln[a]
    pn[k] = b
    pw1[k] = x1
    pw2[k] = x2
    pm[k] = mid
    ln[a] += 1
    return pn, pw1, pw2, pm, end


@njit(cache=True, inline="always")
def _find(st, ln, pn, a, b):  # pragma: no cover - numba
    for k in range(st[a], st[a] + ln[a]):
        if pn[k] == b:
            return k
    return -1


@njit(cache=True)
def _remove(st, ln, pn, pw1, pw2, pm, a, b):  # pragma: no cover - numba
    k = _find(st, ln, pn, a, b)
    if k >= 0:
        _move(pn, pw1, pw2, pm, k, st[a] + ln[a] - 1)
        ln[a] -= 1


@njit(cache=True)
def _edge_list(cap):  # pragma: no cover - numba
    """Empty output edge list ``(lo, hi, w1, w2, mid)`` with room for ``cap`` edges."""
    return (np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.float64),
            np.empty(cap, np.float64), np.empty(cap, np.int64))


@njit(cache=True)
def _keep_edges(v, start, count, pn, pw1, pw2, pm, lo, hi, w1, w2, mid, n):  # pragma: no cover - numba
    """Record ``v``'s remaining edges (to higher-ranked nodes) in the output lists; returns them (maybe regrown) and the new length."""
    if n + count > lo.size:
        size = 2 * lo.size + count
        lo = _grow(lo, size)
        hi = _grow(hi, size)
        w1 = _grow(w1, size)
        w2 = _grow(w2, size)
        mid = _grow(mid, size)
    for k in range(start, start + count):
        lo[n] = v
        hi[n] = pn[k]
        w1[n] = pw1[k]
        w2[n] = pw2[k]
        mid[n] = pm[k]
        n += 1
    return lo, hi, w1, w2, mid, n


# --------------------------------------------------------------------------- #
# witness search and node priority
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _witness(s, skip, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, ntargets, max1, max2, limit):  # pragma: no cover
    """Dijkstra from ``s`` avoiding ``skip``; stops at ``limit`` settled nodes,
    past ``(max1, max2)`` or once all ``ntargets`` marked nodes are settled.
    Returns the number of touched nodes (caller resets them)."""
    size, nt = search_start(s, d1, d2, heap, pos, touched)
    settled = 0
    left = ntargets
    while size > 0:
        u, size = heap_pop(heap, pos, size, d1, d2)
        if lex_less(max1, max2, d1[u], d2[u]):
            break
        if tmark[u]:
            left -= 1
            if left == 0:
                break
        settled += 1
        if settled > limit:
            break
        du1 = d1[u]
        du2 = d2[u]
        for k in range(ost[u], ost[u] + oln[u]):  # relaxation written out: see engine.matrix.dijkstra
            x = opn[k]
            if x == skip:
                continue
            c1 = du1 + opw1[k]
            c2 = du2 + opw2[k]
            if lex_less(c1, c2, d1[x], d2[x]):
                if d1[x] == np.inf:
                    touched[nt] = x
                    nt += 1
                d1[x] = c1
                d2[x] = c2
                size = heap_push(heap, pos, size, x, d1, d2)
    heap_clear(heap, pos, size)
    return nt


@njit(cache=True)
def _unwitnessed(u, v, a1, a2, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, limit, need):  # pragma: no cover
    """Which paths ``u -> v -> x`` (``u -> v`` costing ``(a1, a2)``) need a shortcut.

    Sets ``need[k]`` for the ``k``-th out-edge of ``v`` (relative to
    ``ost[v]``) when the witness search from ``u`` finds nothing at least as
    good that avoids ``v``; returns how many.  Leaves ``d1``/``d2`` and the
    target marks clean.
    """
    # Mark the out-neighbours x != u of v as witness targets; the search need
    # not go past the dearest u -> v -> x.
    m1 = -1.0
    m2 = -1.0
    ntargets = 0
    for ko in range(ost[v], ost[v] + oln[v]):
        need[ko - ost[v]] = False
        x = opn[ko]
        if x == u:
            continue
        c1 = a1 + opw1[ko]
        c2 = a2 + opw2[ko]
        if lex_less(m1, m2, c1, c2):
            m1 = c1
            m2 = c2
        if not tmark[x]:
            tmark[x] = True
            ntargets += 1
    if ntargets == 0:
        return 0
    k = _witness(u, v, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, ntargets, m1, m2, limit)
    count = 0
    for ko in range(ost[v], ost[v] + oln[v]):
        x = opn[ko]
        if x == u:
            continue
        tmark[x] = False
        if lex_less(a1 + opw1[ko], a2 + opw2[ko], d1[x], d2[x]):
            need[ko - ost[v]] = True
            count += 1
    search_reset(d1, d2, touched, k)
    return count


@njit(cache=True)
def _priority(v, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, need, limit, c_ed, c_cn, c_lv):  # pragma: no cover
    """Contraction priority of ``v`` now: lower goes first."""
    shortcuts = 0
    for ki in range(ist[v], ist[v] + iln[v]):
        shortcuts += _unwitnessed(ipn[ki], v, ipw1[ki], ipw2[ki], ost, oln, opn, opw1, opw2,
                                  d1, d2, heap, pos, touched, tmark, limit, need)
    ed = shortcuts - iln[v] - oln[v]
    return c_ed * ed + c_cn * deleted[v] + c_lv * level[v]


# --------------------------------------------------------------------------- #
# contraction
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _contract(n, tail, head, w1, w2, sim_limit, limit, c_ed, c_cn, c_lv):  # pragma: no cover - numba
    """Contract every node.  Input edges must be free of self-loops and
    parallel edges.  Returns ``rank`` and the upward edges
    ``(lo, hi, w1, w2, mid)`` for the forward graph (edge lo->hi) and the
    backward graph (edge hi->lo), in original node ids."""
    ost, oln, ocp, opn, opw1, opw2, opm, oend = _pool(n, tail, head, w1, w2)
    ist, iln, icp, ipn, ipw1, ipw2, ipm, iend = _pool(n, head, tail, w1, w2)
    d1, d2, pos, heap, touched = workspace(n)
    tmark = np.zeros(n, np.bool_)
    nmark = np.zeros(n, np.bool_)
    need = np.zeros(n, np.bool_)  # per out-edge of the node being looked at; degree < n
    level = np.zeros(n, np.int64)
    deleted = np.zeros(n, np.int64)
    pri = np.empty(n, np.float64)
    tie = np.arange(n).astype(np.float64)
    for v in range(n):
        pri[v] = _priority(v, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2,
                           d1, d2, heap, pos, touched, tmark, need, sim_limit, c_ed, c_cn, c_lv)
    qheap = np.empty(n, np.int64)
    qpos = np.full(n, -1, np.int64)
    qsize = 0
    for v in range(n):
        qsize = heap_push(qheap, qpos, qsize, v, pri, tie)

    cap = 2 * tail.size + 16
    f_lo, f_hi, f_w1, f_w2, f_mid = _edge_list(cap)
    b_lo, b_hi, b_w1, b_w2, b_mid = _edge_list(cap)
    nf = 0
    nb = 0
    rank = np.empty(n, np.int64)
    r = 0
    while qsize > 0:
        v, qsize = heap_pop(qheap, qpos, qsize, pri, tie)
        p = _priority(v, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2,
                      d1, d2, heap, pos, touched, tmark, need, sim_limit, c_ed, c_cn, c_lv)
        if qsize > 0 and p > pri[qheap[0]]:
            # Lazy update: its priority got worse, someone else goes first.
            pri[v] = p
            qsize = heap_push(qheap, qpos, qsize, v, pri, tie)
            continue
        rank[v] = r
        r += 1
        # The edges v still has all lead to uncontracted (higher) nodes.
        f_lo, f_hi, f_w1, f_w2, f_mid, nf = _keep_edges(
            v, ost[v], oln[v], opn, opw1, opw2, opm, f_lo, f_hi, f_w1, f_w2, f_mid, nf)
        b_lo, b_hi, b_w1, b_w2, b_mid, nb = _keep_edges(
            v, ist[v], iln[v], ipn, ipw1, ipw2, ipm, b_lo, b_hi, b_w1, b_w2, b_mid, nb)

        # Shortcuts u -> x for every u -> v -> x without a witness.  (u, x != v:
        # no self-loops, so v's own lists stay where they are while u's and x's grow.)
        for ki in range(ist[v], ist[v] + iln[v]):
            u = ipn[ki]
            a1 = ipw1[ki]
            a2 = ipw2[ki]
            if _unwitnessed(u, v, a1, a2, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, limit, need) == 0:
                continue
            for ko in range(ost[v], ost[v] + oln[v]):
                if not need[ko - ost[v]]:
                    continue
                x = opn[ko]
                c1 = a1 + opw1[ko]
                c2 = a2 + opw2[ko]
                k = _find(ost, oln, opn, u, x)
                if k >= 0:
                    # An existing u -> x edge that the search did not reach
                    # in time: improve it in place, keeping one edge per pair.
                    if lex_less(c1, c2, opw1[k], opw2[k]):
                        opw1[k] = c1
                        opw2[k] = c2
                        opm[k] = v
                        k2 = _find(ist, iln, ipn, x, u)
                        ipw1[k2] = c1
                        ipw2[k2] = c2
                        ipm[k2] = v
                else:
                    opn, opw1, opw2, opm, oend = _append(ost, oln, ocp, opn, opw1, opw2, opm, oend, u, x, c1, c2, v)
                    ipn, ipw1, ipw2, ipm, iend = _append(ist, iln, icp, ipn, ipw1, ipw2, ipm, iend, x, u, c1, c2, v)

        # Detach v and refresh its neighbours' priorities.
        for k in range(ost[v], ost[v] + oln[v]):
            _remove(ist, iln, ipn, ipw1, ipw2, ipm, opn[k], v)
        for k in range(ist[v], ist[v] + iln[v]):
            _remove(ost, oln, opn, opw1, opw2, opm, ipn[k], v)
        for side in range(2):
            if side == 0:
                s0 = ost[v]
                s1 = ost[v] + oln[v]
            else:
                s0 = ist[v]
                s1 = ist[v] + iln[v]
            for k in range(s0, s1):
                w = opn[k] if side == 0 else ipn[k]
                if nmark[w]:
                    continue
                nmark[w] = True
                deleted[w] += 1
                if level[w] < level[v] + 1:
                    level[w] = level[v] + 1
                pri[w] = _priority(w, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2,
                                   d1, d2, heap, pos, touched, tmark, need, sim_limit, c_ed, c_cn, c_lv)
                qsize = heap_push(qheap, qpos, qsize, w, pri, tie)
                heap_sift_down(qheap, qpos, qsize, qpos[w], pri, tie)
        for k in range(ost[v], ost[v] + oln[v]):
            nmark[opn[k]] = False
        for k in range(ist[v], ist[v] + iln[v]):
            nmark[ipn[k]] = False
        oln[v] = 0
        iln[v] = 0
    return (rank, f_lo[:nf].copy(), f_hi[:nf].copy(), f_w1[:nf].copy(), f_w2[:nf].copy(), f_mid[:nf].copy(),
            b_lo[:nb].copy(), b_hi[:nb].copy(), b_w1[:nb].copy(), b_w2[:nb].copy(), b_mid[:nb].copy())


# --------------------------------------------------------------------------- #
# python side
# --------------------------------------------------------------------------- #


def _csr(lo: np.ndarray, hi: np.ndarray, w1: np.ndarray, w2: np.ndarray, mid: np.ndarray, n: int):
    order = np.lexsort((hi, lo))
    lo, hi, w1, w2, mid = lo[order], hi[order], w1[order], w2[order], mid[order]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(lo, minlength=n), out=indptr[1:])
    return indptr, hi.astype(np.int32), w1.astype(np.float64), w2.astype(np.float64), mid.astype(np.int32)


def build(
    indptr: np.ndarray,
    indices: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    *,
    sim_limit: int = 60,
    limit: int = 500,
    coefficients: tuple[float, float, float] = (2.0, 1.0, 1.0),
) -> Hierarchy:
    """Contract the CSR graph with lexicographic weights ``(w1, w2)``.

    Self-loops are dropped and parallel edges collapsed to the best one first;
    the weights must be finite and non-negative (checked by the caller).
    ``sim_limit`` and ``limit`` bound the witness searches (settled nodes) when
    ranking nodes and when contracting them; ``coefficients`` weigh edge
    difference, contracted neighbours and level in the priority.
    """
    n = int(indptr.size - 1)
    tail = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    head = np.asarray(indices, dtype=np.int64)
    w1 = np.asarray(w1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    keep = tail != head
    tail, head, w1, w2 = tail[keep], head[keep], w1[keep], w2[keep]
    order = np.lexsort((w2, w1, head, tail))
    tail, head, w1, w2 = tail[order], head[order], w1[order], w2[order]
    first = np.ones(tail.size, bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head, w1, w2 = tail[first], head[first], w1[first], w2[first]
    c_ed, c_cn, c_lv = (float(c) for c in coefficients)
    (rank, f_lo, f_hi, f_w1, f_w2, f_mid, b_lo, b_hi, b_w1, b_w2, b_mid) = _contract(
        n, tail, head, w1, w2, int(sim_limit), int(limit), c_ed, c_cn, c_lv)
    # Renumber by rank so searches (which only climb) touch memory in order.
    rk = rank
    fmid = np.where(f_mid >= 0, rk[np.maximum(f_mid, 0)], -1)
    bmid = np.where(b_mid >= 0, rk[np.maximum(b_mid, 0)], -1)
    fw = _csr(rk[f_lo], rk[f_hi], f_w1, f_w2, fmid, n)
    bw = _csr(rk[b_lo], rk[b_hi], b_w1, b_w2, bmid, n)
    order_ = np.empty(n, np.int64)
    order_[rk] = np.arange(n)
    return Hierarchy(n, rk.astype(np.int64), order_, *fw, *bw)
