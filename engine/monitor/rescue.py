"""Rescue proposals: move an at-risk order to a neighbouring van, judged by the same forecast.

For an order warned on van A, every van B whose remaining stops pass within
``neighbour_km`` of the order is tried: B takes the parcel over from A where
A is (a "meet" stop; from the depot when A has not left) and delivers it at
the cheapest place in its remaining sequence.  A van still at its depot with
half an hour or more before its shift makes a round trip first (meet,
deliver, back by its planned departure).  An order is moved once at most, a
van takes over at most ``max_takeovers`` orders and none while its own are
at risk.  The what-if is re-forecast
with B's pace and the incidents on B's legs; a move is proposed only when it
brings the order to ``clear_above`` and leaves each of B's own orders at its
odds (or at ``clear_above``), to within 0.02: a rescue must not move the risk.  Served stops are never touched: only the
remaining tails change.

Inserted legs are straight-line distance x 1.3 at the van's planned average
speed: a what-if, not a road route.  Re-sequencing the whole fleet is
``engine.dispatch.replan``'s job (it keeps loaded goods on their van, so it
cannot express a hand-over between vans, which is what a rescue is).

On a peak day a warning weighs every van of the wave, so the distances are
numpy arrays over the fleet and only a van's few cheapest insertions are
rebuilt stop by stop; the proposals are the same as measuring one point at a
time, to the last bit (``tests/monitor/test_rescue_parity.py``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from engine.domain.monitor import Proposal, WatchState
from engine.geo import haversine_m
from engine.monitor.forecast import forecast_vehicles
from engine.monitor.tracks import StopRef, VehicleTrack

__all__ = ["apply_move", "propose"]

_DETOUR = 1.3
_MEET_S = 300.0
_MAX_CANDIDATES = 12
_PER_VAN = 4
#: metres: far above the few-ulp gap between numpy's array and one-point haversine, far below any real difference
_TOL_M = 1e-3


def _leg(a: tuple[float, float], b: tuple[float, float], speed: float) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1])) * _DETOUR / max(speed, 1.0)


def _here(v: VehicleTrack) -> tuple[float, float]:
    if v.pos_lat is not None and v.pos_lon is not None:
        return v.pos_lat, v.pos_lon
    if v.next_idx > 0:
        s = v.stops[v.next_idx - 1]
        return s.lat, s.lon
    return v.start_lat, v.start_lon


def _insert(b: VehicleTrack, k: int, meet: tuple[float, float] | None, stop: StopRef) -> tuple[list[StopRef], float]:
    """B's stops with (meet,) stop inserted before index ``k``; and the extra metres."""
    prev = (b.stops[k - 1].lat, b.stops[k - 1].lon) if k > 0 else _here(b) if k == b.next_idx else (b.start_lat, b.start_lon)
    if k == b.next_idx:
        prev = _here(b)
    nxt = b.stops[k] if k < len(b.stops) else None
    new: list[StopRef] = []
    pts = [prev]
    if meet is not None:
        new.append(StopRef(None, meet[0], meet[1], stop.planned, _leg(prev, meet, b.speed_mps), _MEET_S, -math.inf, "meet"))
        pts.append(meet)
    new.append(dataclasses.replace(stop, leg_s=_leg(pts[-1], (stop.lat, stop.lon), b.speed_mps), win_start=-math.inf))
    pts.append((stop.lat, stop.lon))
    extra = sum(float(haversine_m(p[0], p[1], q[0], q[1])) for p, q in zip(pts, pts[1:]))
    stops = list(b.stops[:k]) + new
    if nxt is not None:
        old = float(haversine_m(prev[0], prev[1], nxt.lat, nxt.lon))
        back = float(haversine_m(stop.lat, stop.lon, nxt.lat, nxt.lon))
        extra += back - old
        stops.append(dataclasses.replace(nxt, leg_s=nxt.leg_s + max(back - old, 0.0) * _DETOUR / max(b.speed_mps, 1.0)))
        stops += list(b.stops[k + 1:])
    return stops, extra * _DETOUR


#: (extra metres, van, insert index, its new stops, where it takes the parcel over, new departure)
_Cand = tuple[float, str, int, list[StopRef], tuple[float, float] | None, float | None]


def propose(mon: Monitor, order_id: str) -> Proposal | None:
    """The best move of ``order_id`` to another van, or None when none clears the order."""
    w = mon.orders[order_id]
    a = mon.vehicles.get(w.vehicle_id or "")
    if a is None:
        return None
    i = a.index_of(order_id)
    if i is None or i < a.next_idx or (a.at_stop and i == a.next_idx) or w.moved:
        return None
    stop = a.stops[i]
    departed = a.next_idx > 0 or (a.pos_t is not None and a.pos_t > a.departure)
    meet = _here(a) if departed else None
    cands = _candidates(mon, a, stop, meet)
    if not cands:
        return None
    cands.sort(key=lambda c: c[0])
    cands = cands[:_MAX_CANDIDATES]
    trial = [dataclasses.replace(mon.vehicles[vid], stops=stops, departure=dep if dep is not None else mon.vehicles[vid].departure)
             for _, vid, _, stops, _, dep in cands]
    fcs = forecast_vehicles(trial, list(mon.incidents.values()), mon.params, day0=mon.day0, hour0=mon.hour0,
                            seed=mon.seed, index=mon._index, promises=mon._promise, not_before=mon.now)
    best_prop: Proposal | None = None
    for (extra, vid, k, _, b_meet, dep), fc in zip(cands, fcs):
        p_after = fc.orders.get(order_id, (0.0, 0.0, 0.0))[0]
        if p_after < mon.params.clear_above or p_after <= w.p_on_time + 0.1:
            continue
        hurt = False
        for oid, (p, _p50, _p95) in fc.orders.items():
            if oid == order_id:
                continue
            other = mon.orders.get(oid)
            # The van's own orders keep their odds (to within sampling noise), or the rescue only moves the risk.
            if other is not None and other.state not in (WatchState.DELIVERED, WatchState.FAILED, WatchState.BROKEN) \
                    and p < min(other.p_on_time, mon.params.clear_above) - 0.02:
                hurt = True
                break
        if hurt:
            continue
        prop = Proposal(order_id, a.vehicle_id, vid, k, round(w.p_on_time, 3), round(p_after, 3), round(extra / 1000.0, 2),
                        None if b_meet is None else b_meet[0], None if b_meet is None else b_meet[1], depart_at=dep)
        if best_prop is None or (prop.p_after, -prop.extra_km) > (best_prop.p_after, -best_prop.extra_km):
            best_prop = prop
    return best_prop


def _candidates(mon: Monitor, a: VehicleTrack, stop: StopRef, meet: tuple[float, float] | None) -> list[_Cand]:
    """Every van that may take ``stop`` over from ``a``: its cheapest few insertions, in fleet order.

    The distances are numpy arrays over the whole fleet (one haversine call for
    the "passes near the order" test, one per nearby van for its insertion
    costs); only the few insertions that can rank among a van's cheapest are
    rebuilt stop by stop with :func:`_insert`, which gives their exact cost.
    """
    lim = mon.params.neighbour_km * 1000.0
    # Cheap attribute tests first; a van passes the distance test through its position and remaining stops.
    vans: list[tuple[VehicleTrack, bool, int]] = []
    lat: list[float] = []
    lon: list[float] = []
    starts: list[int] = []
    for b in mon.vehicles.values():
        if b.vehicle_id == a.vehicle_id or b.next_idx >= len(b.stops) or b.taken >= mon.params.max_takeovers:
            continue
        idle = b.next_idx == 0 and not b.at_stop and (b.pos_t is None or b.pos_t <= b.departure) and b.departure > mon.now + 1800
        if not idle and b.silent:
            continue
        first = b.next_idx + (1 if b.at_stop else 0)
        starts.append(len(lat))
        if idle:
            lat.append(b.start_lat)
            lon.append(b.start_lon)
        else:
            here = _here(b)
            lat.append(here[0])
            lon.append(here[1])
            tail = b.stops[first:]
            lat += [s.lat for s in tail]
            lon += [s.lon for s in tail]
        vans.append((b, idle, first))
    if not vans:
        return []
    d = haversine_m(np.asarray(lat), np.asarray(lon), stop.lat, stop.lon)
    # Nothing is near beyond 4 x neighbour_km (an idle van's or a van with only its way home left).
    nearest = np.fmin.reduceat(d, starts)  # fmin: a van whose position is unknown (nan) may still pass by its stops
    bounds = starts[1:] + [len(lat)]
    busy = {inc.scope.vehicle_id for inc in mon.incidents.values() if inc.extra_s > 0 and inc.active(mon.now)}
    cands: list[_Cand] = []
    for j in np.flatnonzero(nearest <= 4 * lim + _TOL_M):
        b, idle, first = vans[j]
        pts = slice(starts[j], bounds[j])
        if b.vehicle_id in busy:
            continue
        # Within neighbour_km, or 4 x that for a van with only its way home left (free to help) or still at its depot.
        if not _any_within(d[pts], lat[pts], lon[pts], stop, lim) and not (
                (idle or all(s.order_id is None for s in b.stops[first:])) and _any_within(d[pts], lat[pts], lon[pts], stop, 4 * lim)):
            continue
        # A van with orders of its own at risk has no time to spare.
        if any(mon.orders[s.order_id].state == WatchState.AT_RISK for s in b.remaining() if s.order_id in mon.orders):
            continue
        if idle:
            # A van still at its depot with time before its shift: a round trip there and back first.
            stops, extra = _pretrip(b, meet, stop)
            cands.append((extra, b.vehicle_id, 0, stops, meet, mon.now))
            continue
        b_meet = meet if meet is not None else ((a.start_lat, a.start_lon) if b.next_idx > 0 or b.depot != a.depot else None)
        # The cheapest few places on this van (the cheapest may push its own orders late).
        tries = sorted((_insert(b, k, b_meet, stop)[::-1] + (k,) for k in _cheapest(b, first, b_meet, stop)), key=lambda x: x[0])
        cands += [(extra, b.vehicle_id, k, stops, b_meet, None) for extra, stops, k in tries[:_PER_VAN]]
    return cands


def _any_within(d: np.ndarray, lat: list[float], lon: list[float], stop: StopRef, limit: float) -> bool:
    """Whether any point is within ``limit`` metres of ``stop``, exactly as the one-point haversine says.

    ``d`` is the array haversine of the points; numpy's vector loops round
    differently from its scalar path by an ulp now and then, so a point within
    ``_TOL_M`` of the limit is measured again alone (the decision stays the
    one-point one to the last bit).
    """
    if bool((d <= limit - _TOL_M).any()):
        return True
    return any(float(haversine_m(lat[i], lon[i], stop.lat, stop.lon)) <= limit for i in np.flatnonzero(np.abs(d - limit) <= _TOL_M))


def _cheapest(b: VehicleTrack, first: int, meet: tuple[float, float] | None, stop: StopRef) -> list[int]:
    """The insert indices of ``b`` that can be among its ``_PER_VAN`` cheapest, in index order.

    Every index's extra metres as :func:`_insert` sums them, over arrays; the
    exact ranking is :func:`_insert`'s own, so this keeps every index within
    ``2 * _TOL_M`` of the ``_PER_VAN``-th cheapest (array and one-point
    haversine differ by far less), and the caller ranks those exactly.
    """
    ks = np.arange(first, len(b.stops))
    if len(ks) <= _PER_VAN:
        return [int(k) for k in ks]
    tail = b.stops[first:]
    nxt_lat = np.fromiter((s.lat for s in tail), float, len(tail))
    nxt_lon = np.fromiter((s.lon for s in tail), float, len(tail))
    # Where the van comes from before each insert: its position for the very next stop, else the stop before.
    prev_lat = np.empty(len(tail))
    prev_lon = np.empty(len(tail))
    prev_lat[1:], prev_lon[1:] = nxt_lat[:-1], nxt_lon[:-1]
    if first == b.next_idx:
        prev_lat[0], prev_lon[0] = _here(b)
    else:
        prev_lat[0], prev_lon[0] = b.stops[first - 1].lat, b.stops[first - 1].lon
    if meet is not None:
        extra = haversine_m(prev_lat, prev_lon, meet[0], meet[1]) + haversine_m(meet[0], meet[1], stop.lat, stop.lon)
    else:
        extra = haversine_m(prev_lat, prev_lon, stop.lat, stop.lon)
    extra = (extra + (haversine_m(stop.lat, stop.lon, nxt_lat, nxt_lon) - haversine_m(prev_lat, prev_lon, nxt_lat, nxt_lon))) * _DETOUR
    cut = np.partition(extra, _PER_VAN - 1)[_PER_VAN - 1]
    return [int(k) for k in ks[extra <= cut + 2 * _TOL_M]]


def _pretrip(b: VehicleTrack, meet: tuple[float, float] | None, stop: StopRef) -> tuple[list[StopRef], float]:
    """An idle van's stops with a trip first: (meet,) deliver, back to the depot by its planned departure."""
    depot = (b.start_lat, b.start_lon)
    pts = [depot] + ([meet] if meet is not None else []) + [(stop.lat, stop.lon), depot]
    new: list[StopRef] = []
    if meet is not None:
        new.append(StopRef(None, meet[0], meet[1], stop.planned, _leg(depot, meet, b.speed_mps), _MEET_S, -math.inf, "meet"))
    new.append(dataclasses.replace(stop, leg_s=_leg(pts[-3], (stop.lat, stop.lon), b.speed_mps), win_start=-math.inf))
    # Back at the depot; its own route starts no earlier than planned (the window start makes it wait).
    new.append(StopRef(None, depot[0], depot[1], b.departure, _leg((stop.lat, stop.lon), depot, b.speed_mps), 0.0, b.departure, "depot"))
    extra = sum(float(haversine_m(p[0], p[1], q[0], q[1])) for p, q in zip(pts, pts[1:])) * _DETOUR
    return new + list(b.stops), extra


def apply_move(mon: Monitor, prop: Proposal) -> None:
    """Carry out ``prop`` on the monitor's tracks (the order leaves A's tail and joins B's)."""
    a = mon.vehicles[prop.from_vehicle]
    b = mon.vehicles[prop.to_vehicle]
    i = a.index_of(prop.order_id)
    if i is None or i < a.next_idx:
        return
    stop = a.stops.pop(i)
    if i < len(a.stops):
        prev = (a.stops[i - 1].lat, a.stops[i - 1].lon) if i > 0 else (a.start_lat, a.start_lon)
        nxt = a.stops[i]
        a.stops[i] = dataclasses.replace(nxt, leg_s=_leg(prev, (nxt.lat, nxt.lon), a.speed_mps))
    meet = (prop.meet_lat, prop.meet_lon) if prop.meet_lat is not None and prop.meet_lon is not None else None
    if prop.depart_at is not None and b.next_idx == 0 and not b.at_stop:
        b.stops, _ = _pretrip(b, meet, stop)
        b.departure = prop.depart_at
        b.last_seen = max(b.last_seen, prop.depart_at)
    else:
        k = min(max(prop.insert_at, b.next_idx + (1 if b.at_stop else 0)), len(b.stops))
        b.stops, _ = _insert(b, k, meet, stop)
    mon.orders[prop.order_id].vehicle_id = b.vehicle_id
    mon.orders[prop.order_id].moved = True
    b.taken += 1


if TYPE_CHECKING:  # pragma: no cover - the monitor imports this module lazily
    from engine.monitor.watch import Monitor
