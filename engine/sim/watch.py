"""The live monitor on the simulated day: tracking events from the truth, warnings out.

One :class:`engine.monitor.Monitor` per dispatch wave watches that wave's
plan (its routes and its carrier hand-offs) and the promises made at
checkout; one more watches the parcels customers sent with a carrier.  The
events are what a fleet would report, generated from the truth as
:func:`engine.monitor.dayplay.simulate_day` does for its day: positions every
``monitor.ping_minutes`` along the true track, stop arrived/completed,
a breakdown reported 5 minutes after it happens (with the mean repair as its
estimate), weather announced at its ``announced`` time (with the announced
speed factor, which may be milder than the truth), a carrier outage when it
starts, and carrier scans (picked up, a missed sort, delivered).  They are
ingested in ``monitor.batch_minutes`` batches in time order, as a live feed
would arrive; rescues are proposed (counted) but not applied, so the truth
the KPIs measure is the plan's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.domain.monitor import (
    DelayWarning,
    Incident,
    IncidentKind,
    NoticeKind,
    Scope,
    TrackingEvent,
    TrackKind,
)
from engine.domain.plan import Handoff, Plan, StopKind
from engine.monitor import Monitor, MonitorParams
from engine.sim.scenario import Scenario, clock_s
from engine.sim.truth import Draws
from engine.sim.waves import WaveOutcome
from engine.sim.world import World

__all__ = ["Watched", "run"]

#: A breakdown is reported this long after it happens.
_REPORT_S = 300.0


@dataclass(slots=True)
class Watched:
    """What the monitors said about the day's orders."""

    #: per order: seconds from the simulated day's midnight of its first ``delay`` notice (nan: none)
    first_warning: np.ndarray
    notices: list[DelayWarning] = field(default_factory=list)
    events: int = 0
    proposals: int = 0
    #: "<wave key>/<vehicle id>" -> when the route left (seconds from the simulated day's midnight)
    out_at: dict[str, float] = field(default_factory=dict)


def _incidents(s: Scenario, d: Draws, day0: float) -> list[tuple[float, Incident]]:
    """(announce time, incident) of the weather that happens and is announced, and the outages."""
    out: list[tuple[float, Incident]] = []
    for j, wx in enumerate(d.weather):
        if wx.announced is None:
            continue
        f = wx.announced_speed_factor if wx.announced_speed_factor is not None else wx.speed_factor
        inc = Incident(f"weather-{j}-{wx.name}", IncidentKind.WEATHER, Scope(center=(wx.lat, wx.lon), radius_m=wx.radius_km * 1000.0),
                       day0 + clock_s(wx.start), day0 + clock_s(wx.end), speed_factor=f, text=f"{wx.name}: speeds x{f:.2f}")
        out.append((day0 + clock_s(wx.announced), inc))
    for j, (c, a, b) in enumerate(d.outages):
        inc = Incident(f"outage-{j}-{c}", IncidentKind.CARRIER_DELAY, Scope(carrier_id=c), day0 + a, day0 + b,
                       extra_s=float(b - a), text=f"{c} is down")
        out.append((day0 + a, inc))
    return out


def _ingest(mon: Monitor, events: list[TrackingEvent], batch_s: float, end: float) -> int:
    events.sort(key=lambda e: (e.at, e.event_id))
    mon.start()
    i, n = 0, len(events)
    while i < n:
        edge = events[i].at + batch_s
        j = i
        while j < n and events[j].at < edge:
            j += 1
        mon.ingest(events[i:j], checked=True)
        i = j
    mon.tick(end)
    return n


def run(s: Scenario, w: World, d: Draws, wo: WaveOutcome, order_ids: list[str], promised: np.ndarray,
        watch_carrier: np.ndarray, carrier: np.ndarray, pickup: np.ndarray, delivered: np.ndarray) -> Watched:
    """Run the monitors over the fleet days; see the module docstring.

    Arrays are per order (seconds from the simulated day's midnight);
    ``watch_carrier`` marks the parcels customers sent with a carrier that a
    monitor of their own watches, ``pickup`` is when the carrier scans a
    parcel first (nan: never with a carrier).
    """
    day0 = w.day0
    ping = s.monitor.ping_minutes * 60.0
    batch = s.monitor.batch_minutes * 60.0
    # A vehicle is "silent" only after a few missed pings, whatever the ping interval.
    params = MonitorParams(samples=s.monitor.samples, rescue=s.monitor.rescue, silent_after_s=max(600.0, 2.5 * ping))
    ix = {o: i for i, o in enumerate(order_ids)}
    known = _incidents(s, d, day0)
    mean_repair = 60.0 * sum(s.disruptions.repair_minutes) / 2.0
    # Never delivered: the monitor still learns of it when the promise passes.
    end = day0 + float(np.nanmax(np.concatenate([promised, delivered[np.isfinite(delivered)], [2 * 86400.0]]))) + 3600.0
    out = Watched(np.full(len(order_ids), np.nan))
    plans: list[tuple[str, Plan, list[TrackingEvent]]] = []
    for wave in wo.waves:
        evs: list[TrackingEvent] = []
        key = wave.key
        t0 = day0 + wave.base  # the wave's plan counts from its own day's midnight
        for r in wave.plan.routes:
            dr = wave.drives.get(r.vehicle_id)
            if dr is None:
                continue
            vid = r.vehicle_id
            tt = np.array([p[0] for p in dr.track])
            la = np.array([p[1] for p in dr.track])
            lo = np.array([p[2] for p in dr.track])
            for q, t in enumerate(np.arange(tt[0], tt[-1], ping)):
                evs.append(TrackingEvent(f"{key}-{vid}-p{q}", TrackKind.POSITION, t0 + float(t), vehicle_id=vid,
                                         lat=float(np.interp(t, tt, la)), lon=float(np.interp(t, tt, lo))))
            out.out_at[f"{key}/{vid}"] = wave.base + float(tt[0])
            for j, st in enumerate(r.stops):
                if st.kind != StopKind.DELIVERY or st.order_id is None:
                    continue
                evs.append(TrackingEvent(f"{key}-{st.order_id}-a", TrackKind.STOP_ARRIVED, t0 + dr.arrival[j], vehicle_id=vid,
                                         order_id=st.order_id))
                evs.append(TrackingEvent(f"{key}-{st.order_id}-c", TrackKind.STOP_COMPLETED, t0 + dr.departure[j], vehicle_id=vid,
                                         order_id=st.order_id))
            if dr.breakdown_at is not None:
                inc = Incident(f"{key}-breakdown-{vid}", IncidentKind.VEHICLE_BREAKDOWN, Scope(vehicle_id=vid), t0 + dr.breakdown_at,
                               t0 + dr.breakdown_at + 3 * mean_repair, extra_s=mean_repair, text=f"{vid} broke down")
                evs.append(TrackingEvent(f"{key}-bd-{vid}", TrackKind.INCIDENT, t0 + dr.breakdown_at + _REPORT_S, incident=inc))
        for h in wave.plan.handoffs:
            evs += _scans(key, h.order_id, h.carrier_id, ix, pickup, delivered, d, day0)
        first = min((e.at for e in evs), default=day0)
        for at, inc in known:
            if inc.end >= first:
                evs.append(TrackingEvent(f"{key}-{inc.incident_id}", TrackKind.INCIDENT, max(at, first), incident=inc))
        plans.append((key, wave.plan, evs))
    # Parcels the customers sent with a carrier: one plan of hand-offs.
    cc = np.flatnonzero(watch_carrier)
    if cc.size:
        hs = [Handoff(order_ids[i], str(carrier[i]), s.depots[0].id, 0.0, s.target) for i in cc]
        plan = Plan("carriers", [], hs, [], 0.0, 0.0, 0.0, 0.0, day_start=w.day_start)
        evs = []
        for i in cc:
            evs += _scans("c", order_ids[i], str(carrier[i]), ix, pickup, delivered, d, day0)
        first = min((e.at for e in evs), default=day0)
        for at, inc in known:
            if inc.end >= first:
                evs.append(TrackingEvent(f"c-{inc.incident_id}", TrackKind.INCIDENT, max(at, first), incident=inc))
        plans.append(("carriers", plan, evs))
    for k, (key, plan, evs) in enumerate(plans):
        promises = {oid: day0 + float(promised[ix[oid]]) for oid in
                    [o for r in plan.routes for o in r.order_ids] + [h.order_id for h in plan.handoffs]}
        if not promises:
            continue
        mon = Monitor(plan, promises, params, seed=k, plan_key=key)
        out.events += _ingest(mon, evs, batch, end)
        out.notices += mon.notices
    for n in out.notices:
        if n.kind == NoticeKind.DELAY:
            i = ix[n.order_id]
            t = n.at - day0
            if not (out.first_warning[i] <= t):
                out.first_warning[i] = t
        if n.proposal is not None:
            out.proposals += 1
    out.notices.sort(key=lambda n: (n.at, n.warning_id))
    return out


def _scans(key: str, oid: str, carrier: str, ix: dict[str, int], pickup: np.ndarray, delivered: np.ndarray,
           d: Draws, day0: float) -> list[TrackingEvent]:
    i = ix[oid]
    if not math.isfinite(pickup[i]):
        return []
    evs = [TrackingEvent(f"{key}-{oid}-pu", TrackKind.CARRIER_SCAN, day0 + float(pickup[i]), order_id=oid, carrier_id=carrier,
                         status="picked_up")]
    if d.sort_error[i]:
        evs.append(TrackingEvent(f"{key}-{oid}-ms", TrackKind.CARRIER_SCAN, day0 + float(pickup[i]) + 7200.0, order_id=oid,
                                 carrier_id=carrier, status="missed_sort"))
    if math.isfinite(delivered[i]) and delivered[i] > pickup[i]:
        evs.append(TrackingEvent(f"{key}-{oid}-dl", TrackKind.CARRIER_SCAN, day0 + float(delivered[i]), order_id=oid,
                                 carrier_id=carrier, status="delivered"))
    return evs
