"""Re-planning during the day: re-optimise what is left, keep what happened.

Given the plan in force, the time now, where vehicles are and which orders are
already delivered, ``replan`` solves the rest of the day:

* delivered orders are fixed: they stay at the head of their route, with the
  times of the plan (or of the events, when the caller updated them);
* orders handed to a carrier stay handed over (the carrier has them), and
  count against that carrier's capacity;
* a vehicle that is out (it has delivered something, or a position was given)
  starts from its position at its time, and keeps the orders on board: they may
  be re-sequenced on it but not moved to another vehicle, since the goods are in
  that van; it takes no new orders;
* vehicles still at the depot start at ``max(now, shift start)`` and take the
  remaining orders (those not yet loaded, unassigned ones, new ones);
* the search is warm-started from the current routes (OR-Tools
  ``ReadAssignmentFromRoutes`` + ``SolveFromAssignmentWithParameters``), so a
  short time limit keeps the plan stable and only improves it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.dispatch.convert import Site
from engine.dispatch.model import ProgressFn
from engine.dispatch.params import SolveParams
from engine.dispatch.pipeline import FleetState, solve
from engine.dispatch.stop import MaxRuntime, StoppingCriterion
from engine.domain.plan import Handoff, Plan, Route, Stop
from engine.domain.problem import Problem
from engine.errors import InputError, ProblemError

if TYPE_CHECKING:  # pragma: no cover
    from engine.network import RoadNetwork


@dataclass(frozen=True, slots=True)
class VehiclePosition:
    """Where a vehicle is at ``time`` (seconds since day start): a network node and/or lat/lon."""

    vehicle_id: str
    time: int
    lat: float | None = None
    lon: float | None = None
    node: int | None = None


def replan(
    problem: Problem,
    plan: Plan,
    *,
    now: int,
    served: set[str] | frozenset[str] = frozenset(),
    positions: dict[str, VehiclePosition] | list[VehiclePosition] | None = None,
    network: RoadNetwork | None = None,
    params: SolveParams = SolveParams(),
    stop: StoppingCriterion = MaxRuntime(10.0),
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> Plan:
    """Re-optimise the remaining stops of ``plan`` at time ``now`` (see the module docstring).

    ``problem`` may contain orders that are not in ``plan`` (arrived since):
    they are planned too.  ``network``, ``params``, ``stop``, ``seed`` and
    ``progress`` are passed to ``solve`` as they are.  Raises
    ``ProblemError`` for a served or positioned vehicle/order the plan does
    not know.
    """
    if isinstance(positions, list):
        positions = {p.vehicle_id: p for p in positions}
    positions = dict(positions or {})
    orders = {o.order_id: o for o in problem.orders}
    route_of = {r.vehicle_id: r for r in plan.routes}
    for oid in served:
        if oid not in orders:
            raise ProblemError(f"order {oid!r}", "served", "not an order of the problem")
        if plan.route_of(oid) is None:
            raise ProblemError(f"order {oid!r}", "served", "not on any route of the plan, so it cannot have been delivered")
    all_vids = {f"{vt.type_id}-{k + 1}" for vt in problem.vehicle_types for k in range(vt.count)}
    for vid in positions:
        if vid not in all_vids:
            raise ProblemError(f"vehicle {vid!r}", "position", "no such vehicle in the problem")
    if now < 0:
        raise InputError(f"now must be >= 0 seconds since day start, got {now}", item="replan", field="now")

    handed = {h.order_id: h for h in plan.handoffs if h.order_id in orders}
    remaining = [o for o in problem.orders if o.order_id not in served and o.order_id not in handed]

    # Who is out, where, and what they carry.
    sites: list[Site] = []
    starts: dict[str, tuple[int, int]] = {}
    restrict: dict[str, str | set[str]] = {}
    prefixes: dict[str, list[Stop]] = {}
    out_vehicles: set[str] = set()

    def start_at(vid: str, pos: VehiclePosition) -> None:
        """Make ``pos`` the vehicle's start site (lat/lon, else its node's on ``network``)."""
        lat, lon = pos.lat, pos.lon
        if (lat is None or lon is None) and pos.node is not None and network is not None:
            lat, lon = float(network.lat[pos.node]), float(network.lon[pos.node])
        if lat is None or lon is None:
            raise ProblemError(f"vehicle {vid!r}", "position", "needs lat/lon (or a node and a network)")
        starts[vid] = (len(sites), max(int(pos.time), now))
        sites.append(Site(f"position:{vid}", float(lat), float(lon), pos.node))

    for vid, r in route_of.items():
        done = [s for s in r.stops if s.kind == "delivery" and s.order_id in served]
        departed = bool(done) or vid in positions or (r.stops and r.stops[0].departure < now)
        if not departed:
            continue
        out_vehicles.add(vid)
        # Fixed head of the route: the start and every stop up to the last delivered one.
        last = max((i for i, s in enumerate(r.stops) if s.kind == "delivery" and s.order_id in served), default=0)
        prefixes[vid] = [s for s in r.stops[: last + 1]]
        for s in r.stops[last + 1 :]:
            if s.kind == "delivery" and s.order_id in orders and s.order_id not in served:
                restrict[s.order_id] = vid
        pos = positions.get(vid)
        if pos is None:
            ref = prefixes[vid][-1]
            pos = VehiclePosition(vid, max(now, ref.departure), ref.lat, ref.lon, ref.node)
        start_at(vid, pos)
    # Vehicles out but not in the old plan's routes (a position was given): also out.
    for vid, pos in positions.items():
        if vid in out_vehicles:
            continue
        out_vehicles.add(vid)
        start_at(vid, pos)
        prefixes[vid] = []

    at_depot = sorted(all_vids - out_vehicles)
    for o in remaining:
        if o.order_id not in restrict:
            restrict[o.order_id] = set(at_depot)
    for vid in at_depot:
        # Not yet out: leaves no earlier than now.
        starts.setdefault(vid, (-1, now))

    # Carriers keep what they already have.
    used = {}
    for h in handed.values():
        used[h.carrier_id] = used.get(h.carrier_id, 0) + 1
    carriers = [dataclasses.replace(c, capacity=max(0, c.capacity - used.get(c.carrier_id, 0))) for c in problem.carriers]
    sub = dataclasses.replace(problem, orders=remaining, carriers=carriers)

    initial = {r.vehicle_id: [o for o in r.order_ids if o not in served and o not in handed] for r in plan.routes}
    fleet = FleetState(
        sites=tuple(sites),
        vehicle_starts=starts,  # site -1: stays at its depot, leaves no earlier than now
        initial_routes=initial,
        restrict=restrict,
        keep_vehicles=frozenset(out_vehicles),
    )
    new = solve(sub, network=network, params=params, stop=stop, seed=seed, progress=progress, now=now, fleet=fleet)
    return _merge(plan, new, prefixes, handed, served)


def _merge(old: Plan, new: Plan, prefixes: dict[str, list[Stop]], handed: dict[str, Handoff], served: set[str] | frozenset[str]) -> Plan:
    """New routes with the fixed, already-driven heads put back in front.

    Route and plan costs count what is still to be driven (the heads are sunk cost).
    """
    routes: list[Route] = []
    for r in new.routes:
        head = prefixes.get(r.vehicle_id)
        if head:
            tail = r.stops[1:]  # the new start is the vehicle's position: the head ends there
            stops = head + tail
            done_d = sum(s.leg_distance_m for s in head)
            routes.append(
                dataclasses.replace(
                    r,
                    stops=stops,
                    distance_m=r.distance_m + done_d,
                    duration_s=float(stops[-1].arrival - stops[0].departure),
                )
            )
        else:
            routes.append(r)
    # A vehicle whose route is entirely served and that the new solve did not report.
    reported = {r.vehicle_id for r in routes}
    for r in old.routes:
        if r.vehicle_id not in reported and prefixes.get(r.vehicle_id):
            routes.append(dataclasses.replace(r, stops=list(prefixes[r.vehicle_id])))
    handoffs = sorted([*handed.values(), *new.handoffs], key=lambda h: h.order_id)
    cost = sum(r.cost for r in routes) + sum(h.cost for h in handoffs)
    return dataclasses.replace(
        new,
        routes=routes,
        handoffs=handoffs,
        cost=round(cost, 4),
        distance_m=float(sum(r.distance_m for r in routes)),
        duration_s=float(sum(r.duration_s for r in routes)),
        stats={**new.stats, "replanned_served": len(served), "fixed_handoffs": len(handed)},
    )


__all__ = ["VehiclePosition", "replan"]
