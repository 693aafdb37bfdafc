"""Contraction hierarchies in numba: preprocessing and bucket many-to-many queries.

Preprocessing contracts nodes one by one in the order of a lazily updated
priority (edge difference + contracted neighbours + level), adding a shortcut
``u -> x`` for ``u -> v -> x`` only when a bounded witness search (settled-node
limit) finds no path at least as good that avoids ``v``.  Weights are pairs
ordered lexicographically (see :mod:`engine.matrix.dijkstra`): the hierarchy answers
the fastest path *and* carries the secondary weight (metres) along it.

The result is stored as two upward graphs in CSR, numbered by rank so that
searches walk memory in roughly increasing order:

* ``fw``: edges ``v -> x`` with ``rank[v] < rank[x]`` (forward searches);
* ``bw``: edges ``u -> v`` with ``rank[u] > rank[v]``, stored at ``v`` with head
  ``u`` (backward searches from targets).

Each edge keeps the rank of its middle node (-1 for an original road) so a
path can be unpacked.  Queries are the bucket algorithm (Knopp et al. 2007, as
in OSRM and RoutingKit): one backward upward search per target fills per-node
buckets, then one forward upward search per source scans the buckets of the
nodes it settles.  Both use stall-on-demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from engine.matrix.dijkstra import edge_tail, heap_pop, heap_push, heap_sift_down, lex_less

# --------------------------------------------------------------------------- #
# growable per-node adjacency lists in a shared pool
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _grow_i(a, size):  # pragma: no cover - numba
    b = np.empty(size, a.dtype)
    b[: a.size] = a
    return b


@njit(cache=True)
def _keep_edges(v, start, count, pn, pw1, pw2, pm, lo, hi, w1, w2, mid, n):  # pragma: no cover - numba
    """Record ``v``'s remaining edges (to higher-ranked nodes) in the output lists; returns them (maybe regrown) and the new length."""
    if n + count > lo.size:
        size = 2 * lo.size + count
        lo = _grow_i(lo, size)
        hi = _grow_i(hi, size)
        w1 = _grow_i(w1, size)
        w2 = _grow_i(w2, size)
        mid = _grow_i(mid, size)
    for k in range(start, start + count):
        lo[n] = v
        hi[n] = pn[k]
        w1[n] = pw1[k]
        w2[n] = pw2[k]
        mid[n] = pm[k]
        n += 1
    return lo, hi, w1, w2, mid, n


@njit(cache=True)
def _append(st, ln, cp, pn, pw1, pw2, pm, end, a, b, x1, x2, mid):  # pragma: no cover - numba
    """Append ``(b, x1, x2, mid)`` to node ``a``'s list; returns the (maybe regrown) pool."""
    if ln[a] == cp[a]:
        newcap = max(4, 2 * cp[a])
        if end + newcap > pn.size:
            size = max(2 * pn.size, end + newcap)
            pn = _grow_i(pn, size)
            pw1 = _grow_i(pw1, size)
            pw2 = _grow_i(pw2, size)
            pm = _grow_i(pm, size)
        s = st[a]
        for k in range(ln[a]):
            pn[end + k] = pn[s + k]
            pw1[end + k] = pw1[s + k]
            pw2[end + k] = pw2[s + k]
            pm[end + k] = pm[s + k]
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
        last = st[a] + ln[a] - 1
        pn[k] = pn[last]
        pw1[k] = pw1[last]
        pw2[k] = pw2[last]
        pm[k] = pm[last]
        ln[a] -= 1


# --------------------------------------------------------------------------- #
# witness search and node priority
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _witness(s, skip, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, ntargets, max1, max2, limit):  # pragma: no cover
    """Dijkstra from ``s`` avoiding ``skip``; stops at ``limit`` settled nodes,
    past ``(max1, max2)`` or once all ``ntargets`` marked nodes are settled.
    Returns the number of touched nodes (caller resets them)."""
    nt = 0
    d1[s] = 0.0
    d2[s] = 0.0
    touched[nt] = s
    nt += 1
    size = heap_push(heap, pos, 0, s, d1, d2)
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
        for k in range(ost[u], ost[u] + oln[u]):
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
    while size > 0:
        size -= 1
        pos[heap[size]] = -1
    return nt


@njit(cache=True, inline="always")
def _mark_targets(u, v, a1, a2, ost, oln, opn, opw1, opw2, tmark):  # pragma: no cover
    """Mark the out-neighbours ``x != u`` of ``v`` as witness targets.

    Returns the largest ``u -> v -> x`` cost (the witness search's bound) and
    how many distinct targets were marked.
    """
    m1 = -1.0
    m2 = -1.0
    nt = 0
    for ko in range(ost[v], ost[v] + oln[v]):
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
            nt += 1
    return m1, m2, nt


@njit(cache=True)
def _count_shortcuts(v, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, limit):  # pragma: no cover
    """How many shortcuts contracting ``v`` would add now."""
    count = 0
    for ki in range(ist[v], ist[v] + iln[v]):
        u = ipn[ki]
        a1 = ipw1[ki]
        a2 = ipw2[ki]
        m1, m2, nt = _mark_targets(u, v, a1, a2, ost, oln, opn, opw1, opw2, tmark)
        if nt == 0:
            continue
        k = _witness(u, v, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, nt, m1, m2, limit)
        for ko in range(ost[v], ost[v] + oln[v]):
            x = opn[ko]
            if x == u:
                continue
            tmark[x] = False
            if lex_less(a1 + opw1[ko], a2 + opw2[ko], d1[x], d2[x]):
                count += 1
        for q in range(k):
            d1[touched[q]] = np.inf
            d2[touched[q]] = np.inf
    return count


@njit(cache=True)
def _priority(v, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, limit, c_ed, c_cn, c_lv):  # pragma: no cover
    sc = _count_shortcuts(v, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, limit)
    ed = sc - iln[v] - oln[v]
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
    m = tail.size
    # adjacency pools
    ost = np.zeros(n, np.int64)
    oln = np.zeros(n, np.int64)
    ocp = np.zeros(n, np.int64)
    ist = np.zeros(n, np.int64)
    iln = np.zeros(n, np.int64)
    icp = np.zeros(n, np.int64)
    for e in range(m):
        ocp[tail[e]] += 1
        icp[head[e]] += 1
    oend = 0
    iend = 0
    for v in range(n):
        ocp[v] += 2  # room for a few shortcuts before the first move
        icp[v] += 2
        ost[v] = oend
        oend += ocp[v]
        ist[v] = iend
        iend += icp[v]
    psize = max(2 * oend, 16)
    opn = np.empty(psize, np.int64)
    opw1 = np.empty(psize, np.float64)
    opw2 = np.empty(psize, np.float64)
    opm = np.empty(psize, np.int64)
    psize = max(2 * iend, 16)
    ipn = np.empty(psize, np.int64)
    ipw1 = np.empty(psize, np.float64)
    ipw2 = np.empty(psize, np.float64)
    ipm = np.empty(psize, np.int64)
    for e in range(m):
        a = tail[e]
        b = head[e]
        k = ost[a] + oln[a]
        opn[k] = b
        opw1[k] = w1[e]
        opw2[k] = w2[e]
        opm[k] = -1
        oln[a] += 1
        k = ist[b] + iln[b]
        ipn[k] = a
        ipw1[k] = w1[e]
        ipw2[k] = w2[e]
        ipm[k] = -1
        iln[b] += 1

    d1 = np.full(n, np.inf)
    d2 = np.full(n, np.inf)
    heap = np.empty(n, np.int64)
    pos = np.full(n, -1, np.int64)
    touched = np.empty(n, np.int64)
    tmark = np.zeros(n, np.bool_)
    nmark = np.zeros(n, np.bool_)
    level = np.zeros(n, np.int64)
    deleted = np.zeros(n, np.int64)
    pri = np.empty(n, np.float64)
    tie = np.arange(n).astype(np.float64)
    for v in range(n):
        pri[v] = _priority(v, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2,
                           d1, d2, heap, pos, touched, tmark, sim_limit, c_ed, c_cn, c_lv)
    qheap = np.empty(n, np.int64)
    qpos = np.full(n, -1, np.int64)
    qsize = 0
    for v in range(n):
        qsize = heap_push(qheap, qpos, qsize, v, pri, tie)

    cap = 2 * m + 16
    f_lo = np.empty(cap, np.int64)
    f_hi = np.empty(cap, np.int64)
    f_w1 = np.empty(cap, np.float64)
    f_w2 = np.empty(cap, np.float64)
    f_mid = np.empty(cap, np.int64)
    nf = 0
    b_lo = np.empty(cap, np.int64)
    b_hi = np.empty(cap, np.int64)
    b_w1 = np.empty(cap, np.float64)
    b_w2 = np.empty(cap, np.float64)
    b_mid = np.empty(cap, np.int64)
    nb = 0
    rank = np.empty(n, np.int64)
    r = 0
    while qsize > 0:
        v, qsize = heap_pop(qheap, qpos, qsize, pri, tie)
        p = _priority(v, level, deleted, ist, iln, ipn, ipw1, ipw2, ost, oln, opn, opw1, opw2,
                      d1, d2, heap, pos, touched, tmark, sim_limit, c_ed, c_cn, c_lv)
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

        # Shortcuts u -> x for every u -> v -> x without a witness.
        for ki in range(ist[v], ist[v] + iln[v]):
            u = ipn[ki]
            a1 = ipw1[ki]
            a2 = ipw2[ki]
            m1, m2, nt = _mark_targets(u, v, a1, a2, ost, oln, opn, opw1, opw2, tmark)
            if nt == 0:
                continue
            kt = _witness(u, v, ost, oln, opn, opw1, opw2, d1, d2, heap, pos, touched, tmark, nt, m1, m2, limit)
            for ko in range(ost[v], ost[v] + oln[v]):
                x = opn[ko]
                if x == u:
                    continue
                tmark[x] = False
                c1 = a1 + opw1[ko]
                c2 = a2 + opw2[ko]
                if not lex_less(c1, c2, d1[x], d2[x]):
                    continue
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
            for q in range(kt):
                d1[touched[q]] = np.inf
                d2[touched[q]] = np.inf

        # Detach v and refresh its neighbours' priorities.
        for k in range(ost[v], ost[v] + oln[v]):
            x = opn[k]
            _remove(ist, iln, ipn, ipw1, ipw2, ipm, x, v)
        for k in range(ist[v], ist[v] + iln[v]):
            u = ipn[k]
            _remove(ost, oln, opn, opw1, opw2, opm, u, v)
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
                                   d1, d2, heap, pos, touched, tmark, sim_limit, c_ed, c_cn, c_lv)
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
# queries
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _upward(gi, gh, gw1, gw2, si, sh, sw1, sw2, s, d1, d2, heap, pos, touched, settled):  # pragma: no cover
    """Upward search from ``s`` in graph ``g`` with stall-on-demand through the
    opposite graph ``s*``.  Returns ``(n_touched, n_settled)``; ``settled``
    lists the non-stalled settled nodes (their distances are in d1/d2)."""
    nt = 0
    ns = 0
    d1[s] = 0.0
    d2[s] = 0.0
    touched[nt] = s
    nt += 1
    size = heap_push(heap, pos, 0, s, d1, d2)
    while size > 0:
        u, size = heap_pop(heap, pos, size, d1, d2)
        du1 = d1[u]
        du2 = d2[u]
        stalled = False
        for e in range(si[u], si[u + 1]):
            x = sh[e]
            if d1[x] != np.inf and lex_less(d1[x] + sw1[e], d2[x] + sw2[e], du1, du2):
                stalled = True
                break
        if stalled:
            continue
        settled[ns] = u
        ns += 1
        for e in range(gi[u], gi[u + 1]):
            x = gh[e]
            c1 = du1 + gw1[e]
            c2 = du2 + gw2[e]
            if lex_less(c1, c2, d1[x], d2[x]):
                if d1[x] == np.inf:
                    touched[nt] = x
                    nt += 1
                d1[x] = c1
                d2[x] = c2
                size = heap_push(heap, pos, size, x, d1, d2)
    return nt, ns


@njit(cache=True, parallel=True)
def _backward_spaces(fi, fh, fw1, fw2, bi, bh, bw1, bw2, targets, nchunks, off, out_node, out_d1, out_d2):  # pragma: no cover
    """Backward search spaces of all targets.  With ``off`` empty only the
    sizes are returned; otherwise entries are written at ``off[j]``."""
    n = fi.size - 1
    nt = targets.size
    sizes = np.zeros(nt, np.int64)
    write = off.size > 0
    for c in prange(nchunks):
        d1 = np.full(n, np.inf)
        d2 = np.full(n, np.inf)
        pos = np.full(n, -1, np.int64)
        heap = np.empty(n, np.int64)
        touched = np.empty(n, np.int64)
        settled = np.empty(n, np.int64)
        for j in range(c, nt, nchunks):
            k, m = _upward(bi, bh, bw1, bw2, fi, fh, fw1, fw2, targets[j], d1, d2, heap, pos, touched, settled)
            sizes[j] = m
            if write:
                o = off[j]
                for q in range(m):
                    v = settled[q]
                    out_node[o + q] = v
                    out_d1[o + q] = d1[v]
                    out_d2[o + q] = d2[v]
            for q in range(k):
                d1[touched[q]] = np.inf
                d2[touched[q]] = np.inf
    return sizes


@njit(cache=True)
def _fill_buckets(n, nt, off, ent_node, ent_d1, ent_d2):  # pragma: no cover - numba
    """Regroup target-major search spaces into node-major buckets (counting sort)."""
    total = ent_node.size
    bptr = np.zeros(n + 1, np.int64)
    for e in range(total):
        bptr[ent_node[e] + 1] += 1
    for v in range(n):
        bptr[v + 1] += bptr[v]
    fill = bptr[:-1].copy()
    bt = np.empty(total, np.int32)
    bd1 = np.empty(total, np.float64)
    bd2 = np.empty(total, np.float64)
    for j in range(nt):
        for e in range(off[j], off[j + 1]):
            v = ent_node[e]
            k = fill[v]
            fill[v] += 1
            bt[k] = j
            bd1[k] = ent_d1[e]
            bd2[k] = ent_d2[e]
    return bptr, bt, bd1, bd2


@njit(cache=True, parallel=True)
def _forward_scan(fi, fh, fw1, fw2, bi, bh, bw1, bw2, sources, nt, nchunks, bptr, bt, bd1, bd2):  # pragma: no cover
    n = fi.size - 1
    ns = sources.size
    out1 = np.full((ns, nt), np.inf)
    out2 = np.full((ns, nt), np.inf)
    for c in prange(nchunks):
        d1 = np.full(n, np.inf)
        d2 = np.full(n, np.inf)
        pos = np.full(n, -1, np.int64)
        heap = np.empty(n, np.int64)
        touched = np.empty(n, np.int64)
        settled = np.empty(n, np.int64)
        for i in range(c, ns, nchunks):
            k, m = _upward(fi, fh, fw1, fw2, bi, bh, bw1, bw2, sources[i], d1, d2, heap, pos, touched, settled)
            r1 = out1[i]
            r2 = out2[i]
            for q in range(m):
                v = settled[q]
                dv1 = d1[v]
                dv2 = d2[v]
                for b in range(bptr[v], bptr[v + 1]):
                    j = bt[b]
                    c1 = dv1 + bd1[b]
                    c2 = dv2 + bd2[b]
                    if lex_less(c1, c2, r1[j], r2[j]):
                        r1[j] = c1
                        r2[j] = c2
            for q in range(k):
                d1[touched[q]] = np.inf
                d2[touched[q]] = np.inf
    return out1, out2


@njit(cache=True)
def _meet(fi, fh, fw1, fw2, fm, bi, bh, bw1, bw2, bm, s, t):  # pragma: no cover - numba
    """Point-to-point CH query with parents, unpacked to the rank path."""
    n = fi.size - 1
    # forward
    fd1 = np.full(n, np.inf)
    fd2 = np.full(n, np.inf)
    fpar = np.full(n, -1, np.int64)  # edge index into fw used to reach the node
    bd1 = np.full(n, np.inf)
    bd2 = np.full(n, np.inf)
    bpar = np.full(n, -1, np.int64)
    pos = np.full(n, -1, np.int64)
    heap = np.empty(n, np.int64)
    for side in range(2):
        if side == 0:
            gi, gh, gw1, gw2, d1, d2, par, src = fi, fh, fw1, fw2, fd1, fd2, fpar, s
        else:
            gi, gh, gw1, gw2, d1, d2, par, src = bi, bh, bw1, bw2, bd1, bd2, bpar, t
        d1[src] = 0.0
        d2[src] = 0.0
        size = heap_push(heap, pos, 0, src, d1, d2)
        while size > 0:
            u, size = heap_pop(heap, pos, size, d1, d2)
            for e in range(gi[u], gi[u + 1]):
                x = gh[e]
                c1 = d1[u] + gw1[e]
                c2 = d2[u] + gw2[e]
                if lex_less(c1, c2, d1[x], d2[x]):
                    d1[x] = c1
                    d2[x] = c2
                    par[x] = e
                    size = heap_push(heap, pos, size, x, d1, d2)
    best1 = np.inf
    best2 = np.inf
    top = -1
    for v in range(n):
        if fd1[v] != np.inf and bd1[v] != np.inf:
            c1 = fd1[v] + bd1[v]
            c2 = fd2[v] + bd2[v]
            if lex_less(c1, c2, best1, best2):
                best1 = c1
                best2 = c2
                top = v
    if top < 0:
        return np.empty(0, np.int64), np.inf, np.inf
    # Collect the up-path s..top (reversed walk) and the down-path top..t.
    up = []
    v = top
    while v != s:
        e = fpar[v]
        lo = edge_tail(fi, e, n)
        up.append((lo, v, fm[e]))
        v = lo
    down = []
    v = top
    while v != t:
        e = bpar[v]
        lo = edge_tail(bi, e, n)
        down.append((v, lo, bm[e]))
        v = lo
    segs = [(s, s, -1)]
    segs.pop()
    for k in range(len(up) - 1, -1, -1):
        segs.append(up[k])
    for k in range(len(down)):
        segs.append(down[k])
    path = [s]
    # Unpack each shortcut with an explicit stack (tail, head, mid).
    for seg in segs:
        stack = [seg]
        while len(stack) > 0:
            a, b, mid = stack.pop()
            if mid < 0:
                path.append(b)
                continue
            # a -> mid is stored at mid in bw (head a); mid -> b in fw at mid.
            m1 = -1
            for e in range(bi[mid], bi[mid + 1]):
                if bh[e] == a:
                    m1 = bm[e]
                    break
            m2 = -1
            for e in range(fi[mid], fi[mid + 1]):
                if fh[e] == b:
                    m2 = fm[e]
                    break
            stack.append((mid, b, m2))
            stack.append((a, mid, m1))
    out = np.empty(len(path), np.int64)
    for k in range(len(path)):
        out[k] = path[k]
    return out, best1, best2


# --------------------------------------------------------------------------- #
# python-side container
# --------------------------------------------------------------------------- #


@dataclass
class Hierarchy:
    """A contraction hierarchy over ``n`` nodes (arrays in rank numbering)."""

    n: int
    rank: np.ndarray  # original node -> rank
    order: np.ndarray  # rank -> original node
    fw_indptr: np.ndarray
    fw_head: np.ndarray
    fw_w1: np.ndarray
    fw_w2: np.ndarray
    fw_mid: np.ndarray
    bw_indptr: np.ndarray
    bw_head: np.ndarray
    bw_w1: np.ndarray
    bw_w2: np.ndarray
    bw_mid: np.ndarray

    FIELDS = ("rank", "order", "fw_indptr", "fw_head", "fw_w1", "fw_w2", "fw_mid",
              "bw_indptr", "bw_head", "bw_w1", "bw_w2", "bw_mid")

    @property
    def n_edges(self) -> int:
        return int(self.fw_head.size + self.bw_head.size)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.FIELDS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Hierarchy":
        missing = [k for k in cls.FIELDS if k not in arrays]
        if missing:
            raise ValueError(f"hierarchy arrays incomplete: missing {missing}")
        return cls(n=int(arrays["rank"].size), **{k: np.asarray(arrays[k]) for k in cls.FIELDS})

    def query(self, sources: np.ndarray, targets: np.ndarray, nchunks: int) -> tuple[np.ndarray, np.ndarray]:
        """Lexicographic shortest ``(w1, w2)`` from each source to each target
        (original node ids, duplicates allowed)."""
        src = self.rank[np.asarray(sources, dtype=np.int64)]
        tgt = self.rank[np.asarray(targets, dtype=np.int64)]
        nt = tgt.size
        if src.size == 0 or nt == 0:
            return np.full((src.size, nt), np.inf), np.full((src.size, nt), np.inf)
        args = (self.fw_indptr, self.fw_head, self.fw_w1, self.fw_w2,
                self.bw_indptr, self.bw_head, self.bw_w1, self.bw_w2)
        empty_i = np.empty(0, np.int64)
        empty_f = np.empty(0, np.float64)
        tch = max(1, min(nt, nchunks))
        sizes = _backward_spaces(*args, tgt, tch, empty_i, empty_i, empty_f, empty_f)
        off = np.zeros(nt + 1, np.int64)
        np.cumsum(sizes, out=off[1:])
        total = int(off[-1])
        ent_node = np.empty(total, np.int64)
        ent_d1 = np.empty(total, np.float64)
        ent_d2 = np.empty(total, np.float64)
        _backward_spaces(*args, tgt, tch, off, ent_node, ent_d1, ent_d2)
        bptr, bt, bd1, bd2 = _fill_buckets(self.n, nt, off, ent_node, ent_d1, ent_d2)
        return _forward_scan(*args, src, nt, max(1, min(src.size, nchunks)), bptr, bt, bd1, bd2)

    def path(self, source: int, target: int) -> tuple[np.ndarray, float, float]:
        """Original-node path from ``source`` to ``target`` and its ``(w1, w2)``."""
        nodes, d1, d2 = _meet(self.fw_indptr, self.fw_head, self.fw_w1, self.fw_w2, self.fw_mid,
                              self.bw_indptr, self.bw_head, self.bw_w1, self.bw_w2, self.bw_mid,
                              int(self.rank[source]), int(self.rank[target]))
        return self.order[nodes], float(d1), float(d2)


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
