"""Dispatch in waves: at each wave the orders known so far are planned with the real dispatcher.

At wave time ``t`` the own-fleet orders of the day placed by ``t`` and not
yet planned form a :class:`~engine.domain.problem.Problem` with the vehicles
back at their depot by ``t + load`` (the truth says when each returned) and
the carriers' room left that day; :func:`engine.dispatch.solve` plans it on
the scenario's road network (its travel-time matrix from
:mod:`engine.matrix`), stopped by an iteration and solution count, never by
the clock.  Each planned route is then driven in the truth
(:func:`engine.sim.truth.drive`), which frees its vehicle for a later wave.

* Windows: a same-day or next-day order must arrive by its promise, a slot
  within its hour.  An order whose promise can no longer be met (it was
  placed too late for it, or no vehicle could take it in an earlier wave)
  gets the rest of the day instead: late beats never.
* ``waves.policy = "due"`` holds back an order whose promise leaves room for
  the next wave (promise after the next wave + load + ``due_margin``); with
  ``"all"`` every known order goes now.  The last wave takes everything.
* Orders the dispatcher leaves unassigned wait for the next wave; after the
  last one they are unplanned (never delivered within the day).
* Hand-offs go to the carrier (delivery timed in :mod:`engine.sim.day`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit, SolveParams, solve
from engine.domain.plan import Plan
from engine.domain.problem import Carrier, Depot, Order, Problem, TimeWindow, VehicleType
from engine.sim.scenario import Scenario, clock_s
from engine.sim.truth import Draws, Drive, drive
from engine.sim.world import World

__all__ = ["Wave", "WaveOutcome", "run_waves"]

#: A vehicle needs at least this much shift left to be sent out.
MIN_SHIFT_LEFT_S = 1800


@dataclass(slots=True)
class Wave:
    """One wave: its plan and what happened to each route."""

    index: int
    at: int
    plan: Plan
    #: plan vehicle id -> (type, slot of the physical vehicle)
    vehicles: dict[str, tuple[str, int]]
    drives: dict[str, Drive]
    solve_s: float
    matrix_s: float
    orders: int


@dataclass(slots=True)
class WaveOutcome:
    waves: list[Wave] = field(default_factory=list)
    #: order index -> (carrier, hand-off wave time)
    handoffs: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: order indices never planned
    unplanned: list[int] = field(default_factory=list)
    #: order index -> true delivery time (own fleet)
    delivered: dict[int, float] = field(default_factory=dict)
    #: order index -> (wave, plan vehicle id)
    route_of: dict[int, tuple[int, str]] = field(default_factory=dict)
    #: per physical vehicle (type, slot): driving seconds and routes
    busy: dict[tuple[str, int], list[tuple[float, float]]] = field(default_factory=dict)
    drive_s: float = 0.0


def run_waves(
    s: Scenario, w: World, d: Draws, own: np.ndarray, placed_s: np.ndarray, lat: np.ndarray, lon: np.ndarray,
    node: np.ndarray, kg: np.ndarray, parcels: np.ndarray, promised_s: np.ndarray, window_s: np.ndarray,
    carrier_room: dict[str, int], seed_rng: np.random.Generator, order_ids: list[str],
) -> WaveOutcome:
    """Plan and drive the day's own-fleet orders (indices ``own`` into the day's arrays)."""
    times = [clock_s(t) for t in s.waves.times]
    load = int(round(s.waves.load_minutes * 60))
    service = int(round(s.demand.service_minutes * 60))
    horizon = max([86400] + [clock_s(v.shift[1]) for v in s.fleet.values()])
    depot_of = {dep.id: i for i, dep in enumerate(s.depots)}
    depots = [Depot(dep.id, dep.lat, dep.lon, TimeWindow(clock_s(dep.opens), max(clock_s(dep.closes), clock_s(dep.opens))),
                    node=int(w.depot_node[i])) for i, dep in enumerate(s.depots)]
    free_at = {name: np.zeros(v.count) for name, v in s.fleet.items()}
    pending = [int(i) for i in own]
    late_ok: set[int] = set()  # orders given the rest of the day
    order_ix = {order_ids[i]: i for i in own}
    params = SolveParams(improve_iterations=s.solver.iterations)
    stop = FirstOf(MaxRuntime(s.solver.time_cap_s), SolutionLimit(s.solver.solutions))
    out = WaveOutcome()
    for wi, t in enumerate(times):
        last = wi == len(times) - 1
        t_next = times[wi + 1] if not last else None
        leave = t + load
        batch: list[int] = []
        hold: list[int] = []
        for i in pending:
            if placed_s[i] > t:
                hold.append(i)
                continue
            due = promised_s[i]
            if due < leave + 600 and i not in late_ok:
                late_ok.add(i)  # too late for its promise already: the rest of the day
            if (s.waves.policy == "due" and not last and i not in late_ok
                    and t_next is not None and due > t_next + load + s.waves.due_margin_minutes * 60):
                hold.append(i)
                continue
            batch.append(i)
        seed = int(seed_rng.integers(0, 2**31 - 1))  # one draw per wave, used or not
        if not batch:
            pending = hold
            continue
        vtypes: list[VehicleType] = []
        slots: dict[str, list[int]] = {}
        for name, v in s.fleet.items():
            start, end = max(clock_s(v.shift[0]), leave), clock_s(v.shift[1])
            avail = [k for k in range(v.count) if free_at[name][k] <= leave] if end - start >= MIN_SHIFT_LEFT_S else []
            if not avail:
                continue
            slots[name] = avail
            cap = {k: float(x) for k, x in v.capacity.items()}
            vtypes.append(VehicleType(name, len(avail), s.vehicle_depot(name), capacity=cap, shift=TimeWindow(start, end),
                                      cost_per_hour=v.cost.per_hour, cost_per_km=v.cost.per_km, fixed_cost=v.cost.fixed,
                                      speed_factor=v.speed_factor))
        carriers = []
        for c, spec in sorted(s.carriers.items()):
            room = carrier_room.get(c, 0)
            if any(oc == c and a <= clock_s(spec.cutoff) <= b for oc, a, b in d.outages):
                room = 0  # the outage takes its pick-up: dispatch knows the carrier is down
            if room > 0:
                carriers.append(Carrier(c, base_cost=spec.price.base, cost_per_kg=spec.price.per_kg, max_km=spec.max_km,
                                        cutoff=clock_s(spec.cutoff), capacity=room, on_time_probability=spec.on_time_probability))
        orders = []
        for i in batch:
            lo = float(window_s[i]) if np.isfinite(window_s[i]) else 0.0
            hi = horizon if i in late_ok else int(promised_s[i])
            lo = min(lo, hi)
            orders.append(Order(order_ids[i], float(lat[i]), float(lon[i]), size={"parcels": float(parcels[i]), "kg": float(kg[i])},
                                windows=[TimeWindow(int(lo), int(hi))], service_time=service, node=int(node[i])))
        if not vtypes and not carriers:
            pending = hold + batch
            continue
        if not vtypes:
            # No vehicle free: a problem needs a vehicle type; one with no vehicles leaves it to the carriers.
            first = next(iter(s.fleet))
            vtypes.append(VehicleType(first, 0, s.vehicle_depot(first), shift=TimeWindow(leave, horizon)))
        prob = Problem(depots, vtypes, orders, carriers, day_start=w.day_start, horizon=horizon,
                       risk_weight=s.solver.risk_weight, name=f"{s.name}-wave{wi}")
        t0 = time.perf_counter()
        plan = solve(prob, network=w.network, params=params, stop=stop, seed=seed, now=leave)
        solve_s = time.perf_counter() - t0
        wave = Wave(wi, t, plan, {}, {}, solve_s, float(plan.stats.get("matrix_seconds", 0.0)), len(batch))
        t1 = time.perf_counter()
        for r in plan.routes:
            if not r.order_ids:
                continue
            k = int(r.vehicle_id.rsplit("-", 1)[1]) - 1
            slot = slots[r.vehicle_type][k]
            dr = drive(s, d, r, r.vehicle_type, slot, wi, order_ix)
            wave.vehicles[r.vehicle_id] = (r.vehicle_type, slot)
            wave.drives[r.vehicle_id] = dr
            free_at[r.vehicle_type][slot] = dr.end
            out.busy.setdefault((r.vehicle_type, slot), []).append((float(r.stops[0].departure), dr.end))
            for oid, at in dr.delivered.items():
                out.delivered[order_ix[oid]] = at
                out.route_of[order_ix[oid]] = (wi, r.vehicle_id)
        out.drive_s += time.perf_counter() - t1
        for h in plan.handoffs:
            i = order_ix[h.order_id]
            out.handoffs[i] = (h.carrier_id, leave)
            carrier_room[h.carrier_id] = carrier_room.get(h.carrier_id, 0) - 1
        left = [order_ix[u.order_id] for u in plan.unassigned]
        late_ok.update(left)
        pending = hold + left
        out.waves.append(wave)
    out.unplanned = sorted(pending)
    return out
