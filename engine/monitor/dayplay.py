"""A synthetic delivery day to replay through the monitor: plan, promises, events and truth.

``simulate_day(orders=1000, vehicles=40, seed=S)`` builds, in a few seconds:

* a plan: two depots, vans split by sweep angle and sequenced nearest-neighbour
  (a plausible plan, not a solver's: the monitor watches any plan), and ~10%
  of the orders handed to a carrier;
* promises at checkout's level: each own-fleet stop's p95 arrival from the
  route Monte Carlo with checkout's noise, rounded up to 15 minutes; carrier
  parcels by 21:00;
* the truth, from a harsher world than the plan: a pace per van and per day,
  noisy legs and stops, a van that breaks down (repair 75-120 min, reported 5
  minutes later with a 90-minute estimate), snow over the northern districts
  in the afternoon (announced at 12:30 as speeds -35%, in truth -45%), an
  unreported jam in the south (15:00-16:30, speeds -50%), a missed sort at the
  carrier's hub for a third of its parcels, and a van whose GPS drops out;
* the event stream: positions every 30 s (jittered by ~15 m, a few delivered
  late so the stream is out of order), stop arrived/completed, carrier scans
  and incidents.

Everything comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from engine.domain.monitor import (
    Incident,
    IncidentKind,
    Scope,
    TrackingEvent,
    TrackKind,
)
from engine.domain.plan import Handoff, Plan, Route, Stop, StopKind
from engine.domain.problem import TimeWindow
from engine.eta.route import EtaNoise, route_eta_arrays
from engine.geo import haversine_m

__all__ = ["CENTER", "DayPlay", "simulate_day"]

CENTER = (60.19, 24.94)
_SPEED = 6.5  # m/s planned (parking and access included)
_DETOUR = 1.3
_SERVICE = 420.0
_PING = 30.0


@dataclass(slots=True)
class DayPlay:
    plan: Plan
    promises: dict[str, float]
    events: list[TrackingEvent]
    #: order id -> true delivery time (epoch s; None: not delivered that day)
    delivered: dict[str, float | None]
    #: per van: true departure time from each of its stops (order id -> epoch s) and its true leg factor
    van_truth: dict[str, dict] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def _pt(rng: np.random.Generator, n: int, center: tuple[float, float], radius_km: float) -> np.ndarray:
    r = radius_km * np.sqrt(rng.random(n))
    a = rng.random(n) * 2 * math.pi
    lat = center[0] + (r * np.cos(a)) / 111.0
    lon = center[1] + (r * np.sin(a)) / (111.0 * math.cos(math.radians(center[0])))
    return np.stack([lat, lon], axis=1)


def _leg(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1])) * _DETOUR


def simulate_day(orders: int = 1000, vehicles: int = 40, seed: int = 0, *, day: str = "2026-11-11") -> DayPlay:
    """A day to replay (see the module docstring)."""
    rng = np.random.default_rng(seed)
    day_start = datetime.fromisoformat(day).replace(hour=0, minute=0, tzinfo=UTC)
    d0 = day_start.timestamp()
    depots = {"north": (CENTER[0] + 0.05, CENTER[1] - 0.02), "south": (CENTER[0] - 0.05, CENTER[1] + 0.02)}
    pts = _pt(rng, orders, CENTER, 11.0)
    ids = [f"o{i}" for i in range(orders)]
    carrier_mask = rng.random(orders) < 0.10
    own = [i for i in range(orders) if not carrier_mask[i]]
    # Sweep: orders to the nearer depot, then by angle into that depot's vans.
    dep_of = {i: ("north" if pts[i, 0] >= CENTER[0] else "south") for i in own}
    vans: dict[str, list[int]] = {}
    vans_per = {"north": vehicles // 2, "south": vehicles - vehicles // 2}
    for dep, (dlat, dlon) in depots.items():
        mine = [i for i in own if dep_of[i] == dep]
        ang = np.array([math.atan2(pts[i, 0] - dlat, pts[i, 1] - dlon) for i in mine])
        order = [mine[j] for j in np.argsort(ang)]
        k = max(vans_per[dep], 1)
        for v, chunk in enumerate(np.array_split(np.array(order, dtype=int), k)):
            vans[f"{dep}-{v + 1}"] = [int(c) for c in chunk]
    routes: list[Route] = []
    van_depot: dict[str, str] = {}
    for vid, members in vans.items():
        dep = vid.split("-")[0]
        van_depot[vid] = dep
        here = depots[dep]
        left = list(members)
        seq: list[int] = []
        while left:
            j = min(left, key=lambda i: (pts[i, 0] - here[0]) ** 2 + ((pts[i, 1] - here[1]) * 0.5) ** 2)
            seq.append(j)
            left.remove(j)
            here = (pts[j, 0], pts[j, 1])
        # Two waves: the morning vans at 09:00, the afternoon vans at 13:00.
        wave = 9 if int(vid.split("-")[1]) % 2 else 13
        dep_t = wave * 3600 + int(rng.integers(0, 20)) * 60
        stops = [Stop(None, StopKind.START, None, depots[dep][0], depots[dep][1], dep_t, dep_t, {}, 0.0, 0.0)]
        t = float(dep_t)
        prev = depots[dep]
        for j in seq:
            p = (float(pts[j, 0]), float(pts[j, 1]))
            dist = _leg(prev, p)
            leg = dist / _SPEED
            t += leg
            stops.append(Stop(ids[j], StopKind.DELIVERY, None, p[0], p[1], int(t), int(t + _SERVICE), {"parcels": 1}, dist, leg))
            t += _SERVICE
            prev = p
        dist = _leg(prev, depots[dep])
        t += dist / _SPEED
        stops.append(Stop(None, StopKind.END, None, depots[dep][0], depots[dep][1], int(t), int(t), {}, dist, dist / _SPEED))
        routes.append(Route(vid, "van", dep, stops, sum(s.leg_distance_m for s in stops), t - dep_t, 0.0))
    # Promises: checkout's p95 of the planned route, rounded up to 15 minutes.
    promises: dict[str, float] = {}
    R = len(routes)
    S = max(len(r.stops) - 1 for r in routes)
    leg = np.zeros((R, S))
    svc = np.zeros((R, S))
    ns = np.zeros(R, dtype=np.int64)
    st = np.zeros(R)
    for i, r in enumerate(routes):
        st[i] = r.stops[0].departure
        ns[i] = len(r.stops) - 1
        for j, s in enumerate(r.stops[1:]):
            leg[i, j] = s.leg_time_s
            svc[i, j] = s.departure - s.arrival
    eta = route_eta_arrays(leg, svc, np.full((R, S), -np.inf), np.full((R, S), np.inf), ns, st, samples=2000, seed=seed, noise=EtaNoise())
    for i, r in enumerate(routes):
        for j, s in enumerate(r.stops[1:]):
            if s.order_id is not None:
                pb = math.ceil((float(eta.p95[i, j]) + 600.0) / 900.0) * 900.0
                promises[s.order_id] = d0 + pb
                s.window = TimeWindow(0, int(pb))
    handoffs = []
    for i in range(orders):
        if carrier_mask[i]:
            dep = "north" if pts[i, 0] >= CENTER[0] else "south"
            handoffs.append(Handoff(ids[i], "postnord", dep, 6.0, 0.95))
            promises[ids[i]] = d0 + 21 * 3600.0
    plan = Plan("monitor-day", routes, handoffs, [], 0.0, sum(r.distance_m for r in routes), sum(r.duration_s for r in routes), 0.0, day_start=day_start)

    # -- truth and events ---------------------------------------------------------
    events: list[tuple[float, float, TrackingEvent]] = []  # (stream time, event time, event)
    n = [0]

    def emit(ev_kind: TrackKind, at: float, stream_at: float | None = None, **kw: object) -> None:
        n[0] += 1
        events.append((at if stream_at is None else stream_at, at, TrackingEvent(f"e{n[0]}", ev_kind, at, **kw)))  # type: ignore[arg-type]

    day_f = float(np.exp(rng.normal(0.0, 0.05)))
    vids = sorted(vans)
    span = {r.vehicle_id: (d0 + r.stops[0].departure, d0 + r.stops[-1].arrival) for r in routes}
    broken = vids[int(rng.integers(len(vids)))]
    brk_at = span[broken][0] + float(rng.uniform(0.25, 0.5)) * (span[broken][1] - span[broken][0])
    brk_for = float(rng.uniform(75, 120)) * 60
    mute = vids[int(rng.integers(len(vids)))]
    mute_at = span[mute][0] + 0.4 * (span[mute][1] - span[mute][0])
    mute_for = 40 * 60.0
    snow_c = (CENTER[0] + 0.06, CENTER[1])
    snow = Incident("snow", IncidentKind.WEATHER, Scope(center=snow_c, radius_m=7000.0), d0 + 14 * 3600, d0 + 17 * 3600,
                    speed_factor=0.65, text="snow in the northern districts, speeds -35%")
    emit(TrackKind.INCIDENT, d0 + 12.5 * 3600, incident=snow)  # a forecast, announced before it falls
    emit(TrackKind.INCIDENT, brk_at + 300, incident=Incident(
        f"breakdown-{broken}", IncidentKind.VEHICLE_BREAKDOWN, Scope(vehicle_id=broken), brk_at, brk_at + 3 * 3600, extra_s=90 * 60.0,
        text=f"{broken} broke down at {datetime.fromtimestamp(brk_at, UTC):%H:%M}"))

    def buffered(vid: str, t: float) -> float | None:
        # The muted van's phone keeps its stop scans and sends them when it reconnects.
        return mute_at + mute_for if vid == mute and mute_at <= t < mute_at + mute_for else None

    # An unreported jam in the south in the afternoon: the monitor only sees it in the vans' pace.
    jam_c = (CENTER[0] - 0.04, CENTER[1] + float(rng.uniform(-0.05, 0.05)))
    jam = (d0 + 15 * 3600, d0 + 16.5 * 3600)

    def snow_f(lat: float, lon: float, t: float) -> float:
        f = 1.0
        if snow.active(t) and float(haversine_m(snow_c[0], snow_c[1], lat, lon)) <= 7000.0:
            f /= 0.55  # heavier than the forecast said (-45%, announced -35%)
        if jam[0] <= t <= jam[1] and float(haversine_m(jam_c[0], jam_c[1], lat, lon)) <= 3000.0:
            f /= 0.5
        return f

    delivered: dict[str, float | None] = {}
    van_truth: dict[str, dict] = {}
    for r in routes:
        vid = r.vehicle_id
        pace = float(np.exp(rng.normal(0.0, 0.08))) * day_f
        t = d0 + r.stops[0].departure
        prev = (r.stops[0].lat, r.stops[0].lon)
        dep_times: dict[str, float] = {}
        track: list[tuple[float, float, float]] = [(t, prev[0], prev[1])]
        held = False
        for s in r.stops[1:]:
            hour = int(((t - d0) // 3600) % 24)
            sg = 0.12 + EtaNoise().congestion[hour]
            f = pace * float(np.exp(rng.normal(-0.5 * sg * sg, sg))) * snow_f(s.lat, s.lon, t)
            leg_t = s.leg_time_s * f
            if vid == broken and not held and t + leg_t >= brk_at:
                # Stuck somewhere along this leg.
                part = max(brk_at - t, 0.0) / max(leg_t, 1.0)
                blat, blon = prev[0] + (s.lat - prev[0]) * part, prev[1] + (s.lon - prev[1]) * part
                track.append((brk_at, blat, blon))
                track.append((brk_at + brk_for, blat, blon))
                leg_t += brk_for
                held = True
            t += leg_t
            track.append((t, s.lat, s.lon))
            if s.kind == StopKind.DELIVERY:
                emit(TrackKind.STOP_ARRIVED, t, buffered(vid, t), vehicle_id=vid, order_id=s.order_id)
                delivered[s.order_id] = t  # type: ignore[index]
                t += (s.departure - s.arrival) * float(np.exp(rng.normal(-0.045, 0.3)))
                emit(TrackKind.STOP_COMPLETED, t, buffered(vid, t), vehicle_id=vid, order_id=s.order_id)
                dep_times[s.order_id] = t  # type: ignore[index]
                track.append((t, s.lat, s.lon))
            prev = (s.lat, s.lon)
        van_truth[vid] = {"dep": dep_times, "factor": pace, "start": d0 + r.stops[0].departure}
        # Positions every 30 s along the true track (linear between its points).
        tt = np.array([p[0] for p in track])
        la = np.array([p[1] for p in track])
        lo = np.array([p[2] for p in track])
        for ping in np.arange(tt[0], tt[-1], _PING):
            if vid == mute and mute_at <= ping < mute_at + mute_for:
                continue
            lat = float(np.interp(ping, tt, la)) + float(rng.normal(0, 0.00013))
            lon = float(np.interp(ping, tt, lo)) + float(rng.normal(0, 0.00026))
            late = 90.0 if rng.random() < 0.01 else 0.0
            emit(TrackKind.POSITION, float(ping), float(ping) + late, vehicle_id=vid, lat=lat, lon=lon)
    # Carrier parcels: scans through the hub; a third miss the sort and go out tomorrow.
    for h in handoffs:
        t = d0 + 10 * 3600 + float(rng.integers(0, 30)) * 60
        emit(TrackKind.CARRIER_SCAN, t, order_id=h.order_id, carrier_id="postnord", status="picked_up", reason=h.depot)
        t += float(rng.uniform(60, 100)) * 60
        emit(TrackKind.CARRIER_SCAN, t, order_id=h.order_id, carrier_id="postnord", status="at_hub", reason="Vantaa hub")
        t += float(rng.uniform(40, 80)) * 60
        if rng.random() < 0.33:
            emit(TrackKind.CARRIER_SCAN, t, order_id=h.order_id, carrier_id="postnord", status="missed_sort", reason="Vantaa hub")
            delivered[h.order_id] = d0 + 34 * 3600 + float(rng.uniform(0, 3)) * 3600
        else:
            emit(TrackKind.CARRIER_SCAN, t, order_id=h.order_id, carrier_id="postnord", status="sorted", reason="Vantaa hub")
            t += float(rng.uniform(90, 200)) * 60
            emit(TrackKind.CARRIER_SCAN, t, order_id=h.order_id, carrier_id="postnord", status="out_for_delivery", reason="Helsinki")
            t += float(rng.uniform(30, 150)) * 60
            emit(TrackKind.CARRIER_SCAN, t, order_id=h.order_id, carrier_id="postnord", status="delivered", reason="Helsinki")
            delivered[h.order_id] = t
    events.sort(key=lambda e: (e[0], e[2].event_id))
    meta = {"seed": seed, "orders": orders, "vehicles": len(routes), "broken": broken, "breakdown_at": brk_at,
            "breakdown_s": brk_for, "gps_outage": mute, "day_factor": day_f, "events": len(events)}
    return DayPlay(plan, promises, [e[2] for e in events], delivered, van_truth, meta)
