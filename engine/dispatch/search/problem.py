"""The flat problem the numba kernels read (``kernels.KProblem``), built from ``VrpArrays``.

``build_problem`` flattens the arrays (windows as CSR, breaks as CSR, vehicle
classes, the leave-out prices with the carriers pooled), ``with_neighbours``
adds the nearest-neighbour lists the removals use (the n^2 part, so the search
builds them only once its constructions are done), ``supports`` says whether
the kernels model every hard constraint of a problem.
"""

from __future__ import annotations

import numpy as np

from engine.dispatch import cost as _cost
from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.dispatch.params import SearchParams
from engine.dispatch.search import kernels as K
from engine.errors import InputError


def supports(arrays: VrpArrays) -> bool:
    """Whether ``search`` models every hard constraint of ``arrays`` (pickup-and-delivery pairs
    are not beside carriers that could take orders or beside fixed steps, nor pairs whose
    delivery does not unload exactly what the pickup loaded, or that load at the start)."""
    if not len(arrays.pairs):
        return True
    if arrays.n_carriers or any(arrays.v_fixed):
        return False
    pu, de = np.asarray(arrays.pairs, dtype=np.int64).reshape(-1, 2).T
    demand = np.asarray(arrays.demand, dtype=np.int64)
    if not np.array_equal(demand[pu], -demand[de]):
        return False
    return arrays.preload is None or not np.any(np.asarray(arrays.preload)[np.concatenate([pu, de])])


def build_problem(arrays: VrpArrays, params: SearchParams | None = None) -> K.KProblem:
    """Flatten ``arrays`` into the kernels' ``KProblem``."""
    params = params or SearchParams()
    if not supports(arrays):
        raise InputError(
            "improve.search: pairs beside carriers or fixed steps are not modelled by the numba search",
            item="arrays", field="pairs",
        )
    n = arrays.n_nodes
    nd = arrays.n_depots
    nv = arrays.n_vehicles
    tinf = int(K.TINF)

    def big(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        return np.where(x >= INT_INF, tinf, x)

    tws = np.asarray(arrays.tw_start, dtype=np.int64).copy()
    twe = big(arrays.tw_end).copy()
    ptr = np.zeros(n + 1, dtype=np.int64)
    ws: list[int] = []
    we: list[int] = []
    multi = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        wins = sorted(arrays.windows[i]) if i < len(arrays.windows) else [(int(tws[i]), int(twe[i]))]
        if i >= nd and len(wins) > 1:
            multi[i] = True
            tws[i] = wins[0][0]
            twe[i] = min(max(w[1] for w in wins), tinf)
        for a, b in wins:
            ws.append(int(a))
            we.append(min(int(b), tinf) if b < INT_INF else tinf)
        ptr[i + 1] = len(ws)
    if np.any(twe < tws):
        bad = int(np.argmax(twe < tws))
        raise InputError(f"improve.search: node {bad} has a window ending before it starts", item=f"node {bad}", field="windows")

    dist = np.ascontiguousarray(arrays.distances, dtype=np.int32)
    pdur = np.ascontiguousarray(arrays.profile_durations, dtype=np.int32)
    if np.any(dist < 0) or np.any(pdur < 0):
        raise InputError("improve.search: negative distance or travel time in the matrices", item="arrays", field="distances")
    demand = np.asarray(arrays.demand, dtype=np.int64)
    cap = np.asarray(arrays.v_capacity, dtype=np.int64)
    maxdur = big(arrays.v_max_duration)
    fixed = np.asarray(arrays.v_fixed_cost, dtype=np.float64)
    cm = np.asarray(arrays.v_cost_per_m, dtype=np.float64)
    cs = np.asarray(arrays.v_cost_per_s, dtype=np.float64)
    css = np.asarray(_cost.service_rates(arrays), dtype=np.float64)
    prof = np.asarray(arrays.v_profile, dtype=np.int32)
    vstart = np.asarray(arrays.v_start, dtype=np.int32)
    vend = np.asarray(arrays.v_end, dtype=np.int32)
    vtws = np.asarray(arrays.v_tw_start, dtype=np.int64)
    vtwe = big(arrays.v_tw_end)
    compat = np.array(arrays.compat, dtype=np.bool_, order="C")  # a copy: fixed steps narrow it
    fixv = np.full(n, -1, dtype=np.int32)
    frank = np.zeros(n, dtype=np.int32)
    for v, steps in enumerate(arrays.v_fixed):
        for r, j in enumerate(steps):
            fixv[j], frank[j] = v, r
            keep = compat[v, j]  # a step its vehicle may not serve stays unservable
            compat[:, j] = False
            compat[v, j] = keep
    for name, arr in (("v_start", vstart), ("v_end", vend)):
        if np.any((arr < 0) | (arr >= nd)):
            raise InputError(f"improve.search: {name} must name depot nodes 0..{nd - 1}", item="arrays", field=name)

    # Breaks, per vehicle in the order of their windows (CSR); one that cannot happen
    # (window ending before it starts, no duration) is no constraint, as in the OR-Tools model.
    bptr = np.zeros(nv + 1, dtype=np.int64)
    brk: list[tuple[int, int, int]] = []
    for v in range(nv):
        brk += sorted((int(ws), int(we), int(d)) for ws, we, d in arrays.v_breaks[v] if we >= ws and d > 0)
        bptr[v + 1] = len(brk)
    barr = np.asarray(brk, dtype=np.int64).reshape(-1, 3)

    maxdist = np.full(nv, tinf, dtype=np.int64) if arrays.v_max_distance is None else big(arrays.v_max_distance)
    maxtrav = np.full(nv, tinf, dtype=np.int64) if arrays.v_max_travel is None else big(arrays.v_max_travel)
    # Interchangeable vehicles: only one empty vehicle per class is tried per insertion.
    classes: dict[tuple, int] = {}
    vclass = np.zeros(nv, dtype=np.int32)
    for v in range(nv):
        key = (
            int(vstart[v]), int(vend[v]), tuple(cap[v].tolist()), int(vtws[v]), int(vtwe[v]), int(maxdur[v]),
            float(fixed[v]), float(cm[v]), float(cs[v]), float(css[v]), int(prof[v]), compat[v].tobytes(),
            barr[bptr[v] : bptr[v + 1]].tobytes(), int(maxdist[v]), int(maxtrav[v]),
        )
        vclass[v] = classes.setdefault(key, len(classes))

    jobs = np.arange(nd, n, dtype=np.int32)
    pen, pen_full, hand_ok, room = _leave_out_model(arrays)
    # The neighbour lists (n^2 work) only matter to the search's removals, not to a
    # construction: ``with_neighbours`` fills them in once the starts are built.
    adj = np.full((n, 1), -1, dtype=np.int32)
    capmax = cap.max(axis=0) if nv else np.ones(demand.shape[1], dtype=np.int64)
    capsafe = np.where(capmax > 0, capmax, 1).astype(np.float64)
    # The size of a job whatever its sign: a pair's delivery or a delivery loaded at the start weighs as much as a pickup.
    key_demand = (np.abs(demand) / capsafe).sum(axis=1)
    wm, ws_ = _arc_weights(dist, pdur, cm, cs)
    home = int(vstart.min()) if nv else 0
    key_far = wm * dist[home].astype(np.float64) + ws_ * pdur[0][home].astype(np.float64) if nv else np.zeros(n)
    key_tw = (twe - tws).astype(np.float64)

    partner = np.full(n, -1, dtype=np.int32)
    is_pick = np.zeros(n, dtype=np.bool_)
    for pu, de in np.asarray(arrays.pairs, dtype=np.int64).reshape(-1, 2):
        if not (nd <= pu < n and nd <= de < n) or pu == de or partner[pu] >= 0 or partner[de] >= 0:
            raise InputError(f"improve.search: pair ({pu}, {de}) must join two job nodes that are in no other pair",
                             item=f"pair ({pu}, {de})", field="pairs")
        partner[pu], partner[de] = de, pu
        is_pick[pu] = True

    return K.KProblem(
        pdur=pdur, dist=dist, service=np.asarray(arrays.service, dtype=np.int64), tws=tws, twe=twe,
        win_ptr=ptr, win_s=np.asarray(ws, dtype=np.int64), win_e=np.asarray(we, dtype=np.int64), multi=multi,
        demand=np.ascontiguousarray(demand), vstart=vstart, vend=vend, cap=np.ascontiguousarray(cap),
        vtws=vtws, vtwe=vtwe, maxdur=maxdur, fixed=fixed, cm=cm, cs=cs, css=css, prof=prof, vclass=vclass,
        exact_v=(maxdur < tinf) | (np.diff(bptr) > 0), bptr=bptr, bws=np.ascontiguousarray(barr[:, 0]),
        bwe=np.ascontiguousarray(barr[:, 1]), bdur=np.ascontiguousarray(barr[:, 2]),
        compat=compat, penalty=pen, pen_full=pen_full, hand_ok=hand_ok, room=np.int64(room),
        jobs=jobs, adj=adj,
        key_demand=key_demand, key_far=key_far, key_tw=key_tw,
        partner=partner, is_pick=is_pick, pdp=bool(len(arrays.pairs)) or arrays.preload is not None,
        preload=np.zeros_like(demand) if arrays.preload is None else np.ascontiguousarray(arrays.preload, dtype=np.int64),
        maxdist=maxdist, maxtrav=maxtrav, lim=bool(np.any(maxdist < tinf) or np.any(maxtrav < tinf)),
        fixv=fixv, frank=frank, fix_on=bool(np.any(fixv >= 0)),
    )


def _arc_weights(dist: np.ndarray, pdur: np.ndarray, cm: np.ndarray, cs: np.ndarray) -> tuple[float, float]:
    """Weights of metres and seconds in "how close" two nodes are: what an arc costs on average.

    A VROOM problem may have durations only, and zero distances would make every job
    everyone's neighbour: when the average costs see nothing, both count one.
    """
    wm, ws = (float(cm.mean()), float(cs.mean())) if len(cm) else (1.0, 1.0)
    if not (wm * np.any(dist) or ws * np.any(pdur[0])):
        wm, ws = 1.0, 1.0
    return wm, ws


def with_neighbours(P: K.KProblem, arrays: VrpArrays, params: SearchParams | None = None) -> K.KProblem:
    """``P`` with its neighbour lists: for each job, the ``params.neighbours`` jobs nearest by arc cost
    (both ways; -1 pads when there are few jobs)."""
    params = params or SearchParams()
    nd, n = arrays.n_depots, arrays.n_nodes
    dist, pdur = P.dist, P.pdur
    jobs = P.jobs
    wm, ws_ = _arc_weights(dist, pdur, P.cm, P.cs)

    def prox(rows: slice, cols: slice) -> np.ndarray:
        return wm * dist[rows, cols].astype(np.float64) + ws_ * pdur[0][rows, cols].astype(np.float64)

    kn = max(1, min(params.neighbours, len(jobs) - 1))
    adj = np.full((n, kn), -1, dtype=np.int32)
    if len(jobs) > 1:
        # In blocks of rows: the same numbers as one n x n pass, without its n^2 temporaries
        # (jobs are the nodes nd..n-1, so blocks are slices).
        block = max(1, 2_000_000 // len(jobs))
        every = slice(nd, n)
        for r0 in range(0, len(jobs), block):
            rows = jobs[r0 : r0 + block]
            part_rows = slice(nd + r0, nd + r0 + len(rows))
            sym = prox(part_rows, every) + prox(every, part_rows).T
            sym[np.arange(len(rows)), np.arange(r0, r0 + len(rows))] = np.inf
            part = np.argpartition(sym, kn - 1, axis=1)[:, :kn] if kn < len(jobs) - 1 else np.argsort(sym, axis=1)[:, :kn]
            order = np.take_along_axis(sym, part, axis=1).argsort(axis=1, kind="stable")
            adj[rows] = jobs[np.take_along_axis(part, order, axis=1)]
    return P._replace(adj=adj)


def _leave_out_model(arrays: VrpArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """What leaving each node out costs: (price while the carriers have room, price after, carrier may take it, room).

    Carriers are pooled here: a job left out costs its cheapest carrier price while the
    carriers together have room, its full penalty after that.  The OR-Tools model that
    polishes the result has each carrier's own capacity (engine.dispatch.cost).
    """
    nd, n = arrays.n_depots, arrays.n_nodes
    pen_full = np.asarray(arrays.penalty, dtype=np.float64).copy()
    pen_full[:nd] = 0.0
    if arrays.n_carriers:
        cheapest = arrays.carrier_price.min(axis=0)
        hand_ok = np.isfinite(cheapest) & (cheapest < pen_full)
        hand_ok[:nd] = False
        pen = np.where(hand_ok, cheapest, pen_full)
        room = int(min(int(arrays.carrier_capacity.sum()), n - nd))
    else:
        pen, hand_ok, room = pen_full.copy(), np.zeros(n, dtype=np.bool_), 0
    steps = [int(j) for f in arrays.v_fixed for j in f]
    if steps:
        # A fixed step is served (OR-Tools binds it to its vehicle): left out, it costs as a
        # plan no one may use, and no carrier takes it.
        pen[steps] = np.maximum(pen[steps], FIXED_STEP_PENALTY)
        pen_full[steps] = np.maximum(pen_full[steps], FIXED_STEP_PENALTY)
        hand_ok[steps] = False
    return pen, pen_full, hand_ok, room


#: What leaving out a fixed step costs in the search (far above any plan's cost).
FIXED_STEP_PENALTY = 1e15


def with_prices(P: K.KProblem, arrays: VrpArrays) -> K.KProblem:
    """``P`` (built from arrays with the same matrices and fleet) with the leave-out prices of ``arrays``."""
    pen, pen_full, hand_ok, room = _leave_out_model(arrays)
    return P._replace(penalty=pen, pen_full=pen_full, hand_ok=hand_ok, room=np.int64(room))


def leave_out_prices(arrays: VrpArrays) -> np.ndarray:
    """Cheapest way to leave each job out: a carrier's price or the penalty."""
    pen = arrays.penalty[arrays.n_depots :].astype(np.float64)
    if arrays.n_carriers:
        pen = np.minimum(pen, arrays.carrier_price[:, arrays.n_depots :].min(axis=0))
    return pen


__all__ = ["build_problem", "leave_out_prices", "supports", "with_neighbours", "with_prices"]
