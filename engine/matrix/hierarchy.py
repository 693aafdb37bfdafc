"""Contraction hierarchies in numba: the stored hierarchy and its query kernels.

A hierarchy (built by :mod:`engine.matrix.contract`) is stored as two upward
graphs in CSR, numbered by rank so that searches walk memory in roughly
increasing order:

* ``fw``: edges ``v -> x`` with ``rank[v] < rank[x]`` (forward searches);
* ``bw``: edges ``u -> v`` with ``rank[u] > rank[v]``, stored at ``v`` with head
  ``u`` (backward searches from targets).

Each edge keeps the rank of its middle node (-1 for an original road) so a
path can be unpacked.  Queries are the bucket algorithm (Knopp et al. 2007, as
in OSRM and RoutingKit): one backward upward search per target fills per-node
buckets, then one forward upward search per source scans the buckets of the
nodes it settles.  Both use stall-on-demand.  Weights are lexicographic pairs
(see :mod:`engine.matrix.dijkstra`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from engine.matrix.dijkstra import (
    edge_tail,
    heap_pop,
    heap_push,
    lex_less,
    search_reset,
    search_start,
    workspace,
)

__all__ = ["Hierarchy"]

# --------------------------------------------------------------------------- #
# queries
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _upward(gi, gh, gw1, gw2, si, sh, sw1, sw2, s, d1, d2, heap, pos, touched, settled):  # pragma: no cover
    """Upward search from ``s`` in graph ``g`` with stall-on-demand through the
    opposite graph ``s*``.  Returns ``(n_touched, n_settled)``; ``settled``
    lists the non-stalled settled nodes (their distances are in d1/d2)."""
    size, nt = search_start(s, d1, d2, heap, pos, touched)
    ns = 0
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
        for e in range(gi[u], gi[u + 1]):  # relaxation written out: see engine.matrix.dijkstra
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
        d1, d2, pos, heap, touched = workspace(n)
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
            search_reset(d1, d2, touched, k)
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
        d1, d2, pos, heap, touched = workspace(n)
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
            search_reset(d1, d2, touched, k)
    return out1, out2


@njit(cache=True)
def _walk_back(indptr, par, mids, top, stop, n):  # pragma: no cover - numba
    """Search-tree edges from ``top`` back to ``stop``: ``(tail, head, mid)`` each, ``top``'s first.

    ``par[v]`` is the CSR edge that reached ``v``; its tail is the node whose
    row holds it.
    """
    out = [(top, top, -1)]
    out.pop()
    v = top
    while v != stop:
        e = par[v]
        lo = edge_tail(indptr, e, n)
        out.append((lo, v, mids[e]))
        v = lo
    return out


@njit(cache=True)
def _meet(fi, fh, fw1, fw2, fm, bi, bh, bw1, bw2, bm, s, t):  # pragma: no cover - numba
    """Point-to-point CH query with parents, unpacked to the rank path."""
    n = fi.size - 1
    fd1, fd2, pos, heap, touched = workspace(n)
    fpar = np.full(n, -1, np.int64)  # edge index into fw used to reach the node
    bd1 = np.full(n, np.inf)
    bd2 = np.full(n, np.inf)
    bpar = np.full(n, -1, np.int64)
    for side in range(2):
        if side == 0:
            gi, gh, gw1, gw2, d1, d2, par, src = fi, fh, fw1, fw2, fd1, fd2, fpar, s
        else:
            gi, gh, gw1, gw2, d1, d2, par, src = bi, bh, bw1, bw2, bd1, bd2, bpar, t
        size, _ = search_start(src, d1, d2, heap, pos, touched)
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
    # The up-path s..top (walked back from top) and the down-path top..t; a
    # backward-graph edge stored at lo with head v is the road v -> lo.
    up = _walk_back(fi, fpar, fm, top, s, n)
    down = _walk_back(bi, bpar, bm, top, t, n)
    segs = [(s, s, -1)]
    segs.pop()
    for k in range(len(up) - 1, -1, -1):
        segs.append(up[k])
    for k in range(len(down)):
        lo, v, mid = down[k]
        segs.append((v, lo, mid))
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
