"""Independent feasibility check of a ``Plan`` against its ``Problem``.

Used by the tests and the big-day benchmark so that "feasible" is checked
from the plan's own numbers, not taken from the solver's word.
"""

from __future__ import annotations

from collections import Counter

from engine.domain.problem import Problem
from engine.domain.plan import Plan


def check_plan(problem: Problem, plan: Plan, *, tolerance_s: int = 0) -> list[str]:
    """Every violated rule, as readable strings (empty list: the plan is feasible).

    Checks: each order appears exactly once (route, hand-off or unassigned);
    route loads fit the vehicle type in every dimension; deliveries start in one
    of the order's windows (unless windows are soft); vehicles carry the
    skills their orders need and work inside their shift and max duration;
    carriers get no more orders than their capacity and only ones allowed.
    """
    errors: list[str] = []
    orders = {o.order_id: o for o in problem.orders}
    vtypes = {v.type_id: v for v in problem.vehicle_types}
    seen: Counter[str] = Counter()
    for r in plan.routes:
        seen.update(r.order_ids)
    seen.update(h.order_id for h in plan.handoffs)
    seen.update(u.order_id for u in plan.unassigned)
    for oid in orders:
        if seen[oid] != 1:
            errors.append(f"order {oid!r} appears {seen[oid]} times in the plan")
    for oid in seen:
        if oid not in orders:
            errors.append(f"plan mentions unknown order {oid!r}")

    soft = problem.lateness_cost_per_min is not None
    for r in plan.routes:
        vt = vtypes.get(r.vehicle_type)
        if vt is None:
            errors.append(f"route {r.vehicle_id}: unknown vehicle type {r.vehicle_type!r}")
            continue
        ids = r.order_ids
        for dim, cap in vt.capacity.items():
            load = sum(float(orders[o].size.get(dim, 0.0)) for o in ids if o in orders)
            if load > cap + 1e-6:
                errors.append(f"route {r.vehicle_id}: {dim} load {load:g} over capacity {cap:g}")
        start, end = r.stops[0], r.stops[-1]
        if start.departure < vt.shift.start - tolerance_s or end.arrival > vt.shift.end + tolerance_s:
            errors.append(f"route {r.vehicle_id}: works {start.departure}-{end.arrival}, outside shift {vt.shift.start}-{vt.shift.end}")
        if vt.max_duration is not None and end.arrival - start.departure > vt.max_duration + tolerance_s:
            errors.append(f"route {r.vehicle_id}: duration {end.arrival - start.departure} s over max {vt.max_duration} s")
        _check_breaks(r, vt, errors, tolerance_s)
        prev = None
        for s in r.stops:
            if prev is not None and s.kind != "break" and s.arrival < prev - tolerance_s:
                errors.append(f"route {r.vehicle_id}: stop {s.order_id or s.kind} starts at {s.arrival} before the previous stop ends at {prev}")
            if s.kind != "break":
                prev = s.departure
            if s.kind != "delivery" or s.order_id not in orders:
                continue
            o = orders[s.order_id]
            if not o.skills <= vt.skills:
                errors.append(f"route {r.vehicle_id}: order {o.order_id!r} needs skills {sorted(o.skills - vt.skills)}")
            if o.depot is not None and o.depot != vt.start_depot:
                errors.append(f"route {r.vehicle_id}: order {o.order_id!r} is at depot {o.depot}, vehicle at {vt.start_depot}")
            if not soft:
                wins = o.effective_windows(problem.horizon)
                if not any(w.start - tolerance_s <= s.arrival <= w.end + tolerance_s for w in wins):
                    errors.append(
                        f"route {r.vehicle_id}: order {o.order_id!r} served at {s.arrival}, outside its windows "
                        + ", ".join(f"{w.start}-{w.end}" for w in wins)
                    )
    per_carrier = Counter(h.carrier_id for h in plan.handoffs)
    caps = {c.carrier_id: c for c in problem.carriers}
    for cid, k in per_carrier.items():
        if cid not in caps:
            errors.append(f"hand-off to unknown carrier {cid!r}")
        elif k > caps[cid].capacity:
            errors.append(f"carrier {cid!r} gets {k} orders, capacity {caps[cid].capacity}")
    for h in plan.handoffs:
        o = orders.get(h.order_id)
        if o is not None and not o.allow_carrier:
            errors.append(f"order {o.order_id!r} may not go to a carrier but is handed to {h.carrier_id!r}")
        if o is not None and h.carrier_id in caps and not o.skills <= caps[h.carrier_id].skills:
            errors.append(f"order {o.order_id!r} handed to {h.carrier_id!r}, which lacks skills {sorted(o.skills)}")
    return errors


def _check_breaks(r, vt, errors: list[str], tolerance_s: int) -> None:  # noqa: ANN001 - Route, VehicleType
    """Each break stop starts in a window of its vehicle type's breaks and lasts that break's
    duration, and no service overlaps it; a route working through the whole of a break's
    window (from before it opens to after it closes) must have taken that break."""
    taken = [s for s in r.stops if s.kind == "break"]
    services = [(s.arrival, s.departure) for s in r.stops if s.kind == "delivery"]
    for b in taken:
        if not any(w.window.start - tolerance_s <= b.arrival <= w.window.end + tolerance_s and b.departure - b.arrival == w.duration for w in vt.breaks):
            errors.append(f"route {r.vehicle_id}: break at {b.arrival}-{b.departure} matches none of its breaks")
        for a, d in services:
            if a < b.departure and b.arrival < d:
                errors.append(f"route {r.vehicle_id}: a delivery ({a}-{d}) overlaps the break at {b.arrival}")
    start, end = r.stops[0].departure, r.stops[-1].arrival
    for w in vt.breaks:
        if start < w.window.start and end > w.window.end + w.duration:
            if not any(w.window.start - tolerance_s <= b.arrival <= w.window.end + tolerance_s for b in taken):
                errors.append(f"route {r.vehicle_id}: works {start}-{end} through the break window {w.window.start}-{w.window.end} without a break")
