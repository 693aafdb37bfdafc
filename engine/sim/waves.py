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
* Orders the dispatcher leaves unassigned wait for the next wave.
* The fleet days are the simulated day and the three after it
  (``truth.FLEET_DAYS``), each with the same waves and the whole fleet back
  at its depots; what a day's last wave leaves moves to the next day's
  first, and what the last day leaves is unplanned (never delivered).
* Hand-offs go to the carrier (delivery timed in :mod:`engine.sim.day`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit, SolveParams, solve
from engine.domain.plan import Plan, Unassigned, UnassignedReason
from engine.domain.problem import (
    Carrier,
    Depot,
    Order,
    Problem,
    TimeWindow,
    VehicleType,
)
from engine.sim.scenario import Scenario, clock_s
from engine.sim.truth import DAY, FLEET_DAYS, Draws, Drive, drive
from engine.sim.world import World

__all__ = ["DAY", "FLEET_DAYS", "Wave", "WaveOutcome", "run_waves"]

#: A vehicle needs at least this much shift left to be sent out.
MIN_SHIFT_LEFT_S = 1800


@dataclass(slots=True)
class Wave:
    """One wave: its plan (times in seconds from its own day's midnight) and what happened to each route."""

    day: int
    index: int
    at: int
    plan: Plan
    #: plan vehicle id -> (type, slot of the physical vehicle)
    vehicles: dict[str, tuple[str, int]]
    #: plan vehicle id -> the route as driven (times from the wave's day's midnight)
    drives: dict[str, Drive]
    solve_s: float
    matrix_s: float
    orders: int

    @property
    def base(self) -> float:
        """Seconds from the simulated day's midnight to this wave's day's midnight."""
        return self.day * DAY

    @property
    def key(self) -> str:
        return f"d{self.day}w{self.index}"


@dataclass(slots=True)
class WaveOutcome:
    waves: list[Wave] = field(default_factory=list)
    #: order index -> (carrier, hand-off time from the simulated day's midnight)
    handoffs: dict[int, tuple[str, float]] = field(default_factory=dict)
    #: order indices never planned
    unplanned: list[int] = field(default_factory=list)
    #: order index -> true delivery time (own fleet)
    delivered: dict[int, float] = field(default_factory=dict)
    #: order index -> the wave and plan vehicle id that delivered it
    route_of: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: per (day, type, slot): (out, back) of each route driven
    busy: dict[tuple[int, str, int], list[tuple[float, float]]] = field(default_factory=dict)
    drive_s: float = 0.0


def run_waves(
    s: Scenario, w: World, d: Draws, own: np.ndarray, day_of: np.ndarray, placed_s: np.ndarray, lat: np.ndarray,
    lon: np.ndarray, node: np.ndarray, kg: np.ndarray, parcels: np.ndarray, promised_s: np.ndarray, window_s: np.ndarray,
    carrier_room: dict[tuple[str, int], int], seed_rng: np.random.Generator, order_ids: list[str],
) -> WaveOutcome:
    """Plan and drive the own-fleet orders ``own`` (indices into the arrays) over the fleet days ``0..FLEET_DAYS-1``.

    ``day_of`` is each order's service day; arrays hold seconds from the
    simulated day's midnight.  Orders left after a day's last wave move to
    the next day's first; after the last day they are unplanned.
    """
    load = int(round(s.waves.load_minutes * 60))
    service = int(round(s.demand.service_minutes * 60))
    horizon = max([int(DAY)] + [clock_s(v.shift[1]) for v in s.fleet.values()])
    depots = [Depot(dep.id, dep.lat, dep.lon, TimeWindow(clock_s(dep.opens), max(clock_s(dep.closes), clock_s(dep.opens))),
                    node=int(w.depot_node[i])) for i, dep in enumerate(s.depots)]
    order_ix = {order_ids[i]: int(i) for i in own}
    params = SolveParams(improve_iterations=s.solver.iterations, gls_max_jobs=s.solver.polish_max_orders)
    stop = FirstOf(MaxRuntime(s.solver.time_cap_s), SolutionLimit(s.solver.solutions))
    out = WaveOutcome()
    carried: list[int] = []  # left over from the previous day: the rest of today, first thing
    late_ok: set[int] = set()  # orders given the rest of the day
    nw = len(s.waves.times)
    for day in range(FLEET_DAYS):
        base = day * DAY
        times = [clock_s(t) for t in s.waves.times]
        free_at = {name: np.zeros(v.count) for name, v in s.fleet.items()}
        pending = carried + [int(i) for i in own if day_of[i] == day]
        late_ok.update(carried)
        for wi, t in enumerate(times):
            last = wi == nw - 1
            t_next = times[wi + 1] if not last else None
            leave = t + load
            batch: list[int] = []
            hold: list[int] = []
            for i in pending:
                if placed_s[i] - base > t:
                    hold.append(i)
                    continue
                due = promised_s[i] - base
                if due < leave + 600:
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
            wave = _plan_wave(s, w, d, day, wi, t, leave, batch, free_at, depots, horizon, base, service, late_ok, carrier_room,
                              lat, lon, node, kg, parcels, promised_s, window_s, order_ids, params, stop, seed)
            t1 = time.perf_counter()
            for r in wave.plan.routes:
                if not r.order_ids:
                    continue
                vtype, slot = wave.vehicles[r.vehicle_id]
                dr = drive(s, d, r, vtype, slot, day * nw + wi, order_ix)
                wave.drives[r.vehicle_id] = dr
                free_at[vtype][slot] = dr.end
                out.busy.setdefault((day, vtype, slot), []).append((base + float(r.stops[0].departure), base + dr.end))
                for oid, at in dr.delivered.items():
                    out.delivered[order_ix[oid]] = base + at
                    out.route_of[order_ix[oid]] = (wave.key, r.vehicle_id)
            out.drive_s += time.perf_counter() - t1
            for h in wave.plan.handoffs:
                i = order_ix[h.order_id]
                out.handoffs[i] = (h.carrier_id, base + leave)
                carrier_room[(h.carrier_id, day)] = carrier_room.get((h.carrier_id, day), 0) - 1
            left = [order_ix[u.order_id] for u in wave.plan.unassigned]
            late_ok.update(left)
            pending = hold + left
            out.waves.append(wave)
        carried = pending
    out.unplanned = sorted(carried)
    return out


def _slots(s: Scenario, free_at: dict[str, np.ndarray], leave: int) -> dict[str, list[int]]:
    """Per vehicle type, the physical vehicles (slots) back at their depot by ``leave`` with shift left."""
    out: dict[str, list[int]] = {}
    for name, v in s.fleet.items():
        start, end = max(clock_s(v.shift[0]), leave), clock_s(v.shift[1])
        if end - start >= MIN_SHIFT_LEFT_S:
            out[name] = [k for k in range(v.count) if free_at[name][k] <= leave]
    return out


def _plan_wave(
    s: Scenario, w: World, d: Draws, day: int, wi: int, t: int, leave: int, batch: list[int], free_at: dict[str, np.ndarray],
    depots: list[Depot], horizon: int, base: float, service: int, late_ok: set[int], carrier_room: dict[tuple[str, int], int],
    lat: np.ndarray, lon: np.ndarray, node: np.ndarray, kg: np.ndarray, parcels: np.ndarray, promised_s: np.ndarray,
    window_s: np.ndarray, order_ids: list[str], params: SolveParams, stop: FirstOf, seed: int,
) -> Wave:
    """Solve one wave's problem (times from the wave's day's midnight)."""
    slots = _slots(s, free_at, leave)
    vtypes: list[VehicleType] = []
    for name, v in s.fleet.items():
        avail = slots.get(name, [])
        if not avail:
            continue
        vtypes.append(VehicleType(name, len(avail), s.vehicle_depot(name), capacity={k: float(x) for k, x in v.capacity.items()},
                                  shift=TimeWindow(max(clock_s(v.shift[0]), leave), clock_s(v.shift[1])),
                                  cost_per_hour=v.cost.per_hour, cost_per_km=v.cost.per_km, fixed_cost=v.cost.fixed,
                                  speed_factor=v.speed_factor,
                                  max_duration=None if v.route_hours is None else int(round(v.route_hours * 3600))))
    carriers = []
    for c, spec in sorted(s.carriers.items()):
        room = carrier_room.get((c, day), 0)
        cut = clock_s(spec.cutoff)
        if any(oc == c and a <= base + cut <= b for oc, a, b in d.outages):
            room = 0  # the outage takes its pick-up: dispatch knows the carrier is down
        if room > 0:
            carriers.append(Carrier(c, base_cost=spec.price.base, cost_per_kg=spec.price.per_kg, max_km=spec.max_km,
                                    cutoff=cut, capacity=room, on_time_probability=spec.on_time_probability))
    orders = []
    for i in batch:
        lo = float(window_s[i]) - base if np.isfinite(window_s[i]) else 0.0
        hi = horizon if i in late_ok else int(promised_s[i] - base)
        lo = max(0.0, min(lo, hi))
        orders.append(Order(order_ids[i], float(lat[i]), float(lon[i]), size={"parcels": float(parcels[i]), "kg": float(kg[i])},
                            windows=[TimeWindow(int(lo), int(hi))], service_time=service, node=int(node[i])))
    if not vtypes:
        # No vehicle free: a problem needs a vehicle type; one with no vehicles leaves the wave to the carriers.
        first = next(iter(s.fleet))
        vtypes.append(VehicleType(first, 0, s.vehicle_depot(first), shift=TimeWindow(min(leave, horizon - 1), horizon)))
    day_start = w.day_start + timedelta(days=day)
    prob = Problem(depots, vtypes, orders, carriers, day_start=day_start, horizon=horizon,
                   risk_weight=s.solver.risk_weight, name=f"{s.name}-day{day}-wave{wi}")
    t0 = time.perf_counter()
    if sum(v.count for v in vtypes) == 0 and not carriers:
        plan = Plan(prob.name, [], [], [Unassigned(o.order_id, UnassignedReason.NOT_PLANNED, "no vehicle free and no carrier room")
                                       for o in orders], 0.0, 0.0, 0.0, 0.0, day_start=day_start)
    else:
        plan = solve(prob, network=w.network, params=params, stop=stop, seed=seed, now=leave)
    solve_s = time.perf_counter() - t0
    vehicles = {f"{name}-{k + 1}": (name, slot) for name, avail in slots.items() for k, slot in enumerate(avail)}
    return Wave(day, wi, t, plan, vehicles, {}, solve_s, float(plan.stats.get("matrix_seconds", 0.0)), len(batch))
