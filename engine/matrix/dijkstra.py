"""Numba Dijkstra kernels on plain CSR arrays: the baseline and the verifier.

Every kernel orders paths *lexicographically* by a pair of weights
``(w1, w2)``: the primary weight decides, the secondary breaks ties.  With
``w1`` = travel time and ``w2`` = length this yields the fastest path and, among
equally fast ones, the shortest -- so "metres along the fastest path" is well
defined and the contraction-hierarchy kernels in :mod:`engine.matrix.hierarchy` can be
checked against these ones exactly.

The heap is an indexed binary heap (``heap`` holds nodes, ``pos[node]`` their
slot or -1) keyed by the caller's distance arrays, so decrease-key is in place
and no stale entries pile up.  The heap and the per-search helpers
(``workspace``, ``search_start``, ``search_reset``, ``heap_clear``) are shared
with the contraction (:mod:`engine.matrix.contract`) and query
(:mod:`engine.matrix.hierarchy`) kernels.  The per-edge relaxation loop is
written out in each search on purpose: as a helper it costs 25-45% (numba
counts references to every array passed at every call).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def lex_less(a1: float, a2: float, b1: float, b2: float) -> bool:
    """``(a1, a2) < (b1, b2)`` lexicographically."""
    return a1 < b1 or (a1 == b1 and a2 < b2)


@njit(cache=True, inline="always")
def heap_push(heap, pos, size, node, k1, k2):  # pragma: no cover - numba
    """Insert ``node`` or move it up after its key decreased; return the new size."""
    i = pos[node]
    if i < 0:
        i = size
        size += 1
    while i > 0:
        p = (i - 1) >> 1
        pn = heap[p]
        if lex_less(k1[node], k2[node], k1[pn], k2[pn]):
            heap[i] = pn
            pos[pn] = i
            i = p
        else:
            break
    heap[i] = node
    pos[node] = i
    return size


@njit(cache=True, inline="always")
def heap_sift_down(heap, pos, size, i, k1, k2):  # pragma: no cover - numba
    """Restore the heap below slot ``i`` (after a key there increased)."""
    node = heap[i]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        cn = heap[c]
        if c + 1 < size:
            dn = heap[c + 1]
            if lex_less(k1[dn], k2[dn], k1[cn], k2[cn]):
                c += 1
                cn = dn
        if lex_less(k1[cn], k2[cn], k1[node], k2[node]):
            heap[i] = cn
            pos[cn] = i
            i = c
        else:
            break
    heap[i] = node
    pos[node] = i


@njit(cache=True, inline="always")
def heap_pop(heap, pos, size, k1, k2):  # pragma: no cover - numba
    """Remove the minimum; return ``(node, new_size)``.  ``pos[node]`` becomes -1."""
    top = heap[0]
    pos[top] = -1
    size -= 1
    if size > 0:
        heap[0] = heap[size]
        pos[heap[0]] = 0
        heap_sift_down(heap, pos, size, 0, k1, k2)
    return top, size


@njit(cache=True, inline="always")
def edge_tail(indptr, e, n):  # pragma: no cover - numba
    """The node whose CSR range ``indptr[u]:indptr[u + 1]`` holds edge ``e`` (binary search)."""
    lo = 0
    hi = n
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if indptr[mid] <= e:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def heap_clear(heap, pos, size):  # pragma: no cover - numba
    """Empty the heap (``pos`` back to -1) so the arrays serve the next search."""
    while size > 0:
        size -= 1
        pos[heap[size]] = -1


@njit(cache=True)
def workspace(n):  # pragma: no cover - numba
    """Fresh per-worker search arrays over ``n`` nodes: ``(d1, d2, pos, heap, touched)``."""
    return np.full(n, np.inf), np.full(n, np.inf), np.full(n, -1, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)


@njit(cache=True, inline="always")
def search_start(s, d1, d2, heap, pos, touched):  # pragma: no cover - numba
    """Start a search at ``s`` (distance 0, touched, on the heap); returns ``(heap size, n_touched)``.

    The search appends every node it reaches for the first time to
    ``touched`` so that ``search_reset`` can clear just those.
    """
    d1[s] = 0.0
    d2[s] = 0.0
    touched[0] = s
    return heap_push(heap, pos, 0, s, d1, d2), 1


@njit(cache=True, inline="always")
def search_reset(d1, d2, touched, nt):  # pragma: no cover - numba
    """Set the distances of the ``nt`` touched nodes back to infinity."""
    for q in range(nt):
        d1[touched[q]] = np.inf
        d2[touched[q]] = np.inf


@njit(cache=True)
def _search(indptr, indices, w1, w2, s, d1, d2, heap, pos, touched, is_target, n_targets, pred):  # pragma: no cover
    """One Dijkstra from ``s``; stops once ``n_targets`` marked nodes are settled.

    Returns the number of touched nodes (their distances must be reset by the
    caller).  ``pred`` (edge index into the CSR arrays) is filled when it has
    length > 0.
    """
    record = pred.size > 0
    if record:
        pred[s] = -1
    size, nt = search_start(s, d1, d2, heap, pos, touched)
    left = n_targets
    while size > 0:
        u, size = heap_pop(heap, pos, size, d1, d2)
        if is_target[u]:
            left -= 1
            if left == 0:
                break
        du1 = d1[u]
        du2 = d2[u]
        # Written out, not a helper: numba counts references to every array
        # passed to a call, which costs ~30% in this per-edge loop.
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            c1 = du1 + w1[e]
            c2 = du2 + w2[e]
            if lex_less(c1, c2, d1[v], d2[v]):
                if d1[v] == np.inf:
                    touched[nt] = v
                    nt += 1
                d1[v] = c1
                d2[v] = c2
                if record:
                    pred[v] = e
                size = heap_push(heap, pos, size, v, d1, d2)
    heap_clear(heap, pos, size)
    return nt


@njit(cache=True, parallel=True)
def many_to_many(indptr, indices, w1, w2, sources, targets, nchunks):  # pragma: no cover - numba
    """Lexicographic shortest ``(w1, w2)`` for every source/target pair.

    Parallel over sources; each worker owns its distance/heap arrays and resets
    only what it touched; ``nchunks`` work units (a few per thread) balance
    the load.  Returns two ``(len(sources), len(targets))`` arrays,
    ``inf`` where unreachable.
    """
    n = indptr.size - 1
    ns = sources.size
    nt = targets.size
    out1 = np.full((ns, nt), np.inf)
    out2 = np.full((ns, nt), np.inf)
    is_target = np.zeros(n, np.bool_)
    distinct = 0
    for j in range(nt):
        if not is_target[targets[j]]:
            is_target[targets[j]] = True
            distinct += 1
    # ``nchunks`` comes from the caller: reading the thread count in here
    # would stop numba from caching the kernel.
    nchunks = max(1, min(ns, nchunks))
    for c in prange(nchunks):
        d1, d2, pos, heap, touched = workspace(n)
        nopred = np.empty(0, np.int64)
        for i in range(c, ns, nchunks):
            k = _search(indptr, indices, w1, w2, sources[i], d1, d2, heap, pos, touched, is_target, distinct, nopred)
            for j in range(nt):
                out1[i, j] = d1[targets[j]]
                out2[i, j] = d2[targets[j]]
            search_reset(d1, d2, touched, k)
    return out1, out2


@njit(cache=True)
def shortest_path(indptr, indices, w1, w2, s, t):  # pragma: no cover - numba
    """Path from ``s`` to ``t``: ``(nodes, edge_ids, d1, d2)``; empty arrays and inf if unreachable."""
    n = indptr.size - 1
    d1, d2, pos, heap, touched = workspace(n)
    pred = np.full(n, -1, np.int64)
    is_target = np.zeros(n, np.bool_)
    is_target[t] = True
    _search(indptr, indices, w1, w2, s, d1, d2, heap, pos, touched, is_target, 1, pred)
    if d1[t] == np.inf:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.inf, np.inf
    # Walk predecessors back; the tail of edge e is found by its CSR row.
    length = 1
    v = t
    while v != s:
        v = edge_tail(indptr, pred[v], n)
        length += 1
    nodes = np.empty(length, np.int64)
    edges = np.empty(length - 1, np.int64)
    v = t
    k = length - 1
    nodes[k] = t
    while v != s:
        e = pred[v]
        edges[k - 1] = e
        v = edge_tail(indptr, e, n)
        k -= 1
        nodes[k] = v
    return nodes, edges, d1[t], d2[t]
