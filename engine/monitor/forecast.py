"""Arrival distributions of what is left: vehicles (route Monte Carlo) and carrier parcels (transit model).

A vehicle's remaining stops are driven from its latest known position and
time (or from the stop it stands at), each planned leg scaled by the pace the
van has shown so far and by the incidents that touch it, through
:func:`engine.eta.route.route_eta_arrays` (congestion by hour, leg and service
noise).  Many vehicles go through one kernel call.

A carrier parcel's remaining transit depends on its last scan: a log-normal
time from that scan to delivery, with a median per status
(:data:`CARRIER_TRANSIT`); a missed sort adds the next sort run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from engine.domain.monitor import Incident, IncidentKind
from engine.eta.route import route_eta_arrays
from engine.geo import haversine_m
from engine.monitor.incidents import leg_factor
from engine.monitor.params import MonitorParams
from engine.monitor.tracks import StopRef, VehicleTrack

__all__ = ["CARRIER_TRANSIT", "VehicleForecast", "carrier_forecast", "forecast_vehicles", "vehicle_start"]

#: Scan status -> (median seconds from the scan to delivery, log-sd).
CARRIER_TRANSIT: dict[str | None, tuple[float, float]] = {
    None: (6.0 * 3600, 0.35),
    "picked_up": (5.0 * 3600, 0.30),
    "at_hub": (3.5 * 3600, 0.30),
    "sorted": (2.5 * 3600, 0.30),
    "missed_sort": (8.0 * 3600, 0.30),
    "out_for_delivery": (1.5 * 3600, 0.35),
    "exception": (24.0 * 3600, 0.50),
}


@dataclass(slots=True)
class VehicleForecast:
    vehicle_id: str
    #: seconds the van is behind its plan at its next stop (negative: ahead)
    behind_s: float
    pace: float
    #: incidents that slow what is left of the route
    incidents: list[Incident]
    #: per remaining delivery stop: order id -> (P(on time), p50, p95)
    orders: dict[str, tuple[float, float, float]]


def vehicle_start(v: VehicleTrack, incidents: list[Incident]) -> tuple[float, float, list[Incident]]:
    """(time the remaining route starts, the first remaining leg's share left, holding incidents)."""
    t0 = v.departure
    frac = 1.0
    holding: list[Incident] = []
    if v.at_stop and v.arrived_at is not None:
        t0 = max(t0, v.arrived_at)
        frac = 0.0
    else:
        if v.last_done_t is not None:
            t0 = max(t0, v.last_done_t)
        if v.pos_t is not None and v.pos_lat is not None and (v.last_done_t is None or v.pos_t >= v.last_done_t):
            if v.next_idx < len(v.stops) and (v.next_idx > 0 or v.pos_t >= v.departure):
                nxt = v.stops[v.next_idx]
                prev = v.stops[v.next_idx - 1] if v.next_idx > 0 else None
                plat, plon = (prev.lat, prev.lon) if prev is not None else (v.start_lat, v.start_lon)
                whole = float(haversine_m(plat, plon, nxt.lat, nxt.lon))
                left = float(haversine_m(v.pos_lat, v.pos_lon, nxt.lat, nxt.lon))
                frac = min(1.5, left / whole) if whole > 50 else (0.0 if left < 50 else 1.0)
            t0 = max(t0, v.pos_t)
    for inc in incidents:
        # A van (or its depot, before it leaves) held by a breakdown or a sorting error.
        mine = inc.scope.vehicle_id == v.vehicle_id or (inc.scope.depot == v.depot and v.next_idx == 0 and not v.at_stop)
        if not (mine and inc.extra_s > 0):
            continue
        if inc.start <= t0 < inc.start + inc.extra_s:
            t0 = inc.start + inc.extra_s  # held now: moves again once the repair is done
            holding.append(inc)
        elif t0 < inc.start <= t0 + 12 * 3600:
            t0 += inc.extra_s  # held later on (or since its last report): the route loses that time
            holding.append(inc)
    return t0, frac, holding


def forecast_vehicles(tracks: list[VehicleTrack], incidents: list[Incident], params: MonitorParams, *,
                      day0: float, hour0: float, seed: int, index: dict[str, int],
                      promises: dict[str, float], not_before: float | None = None) -> list[VehicleForecast]:
    """Forecast every remaining delivery of ``tracks`` in one Monte Carlo call.

    ``index`` gives each vehicle a fixed stream (common random numbers across
    recomputes, so P(on time) does not jitter from sampling alone).
    ``not_before`` starts every remaining route no earlier than that (a what-if
    that can only begin now).
    """
    out: list[VehicleForecast] = []
    rows: list[tuple[VehicleTrack, list[StopRef], np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, float, list[Incident]]] = []
    for v in tracks:
        rem = v.remaining()
        if not rem:
            out.append(VehicleForecast(v.vehicle_id, 0.0, 1.0, [], {}))
            continue
        t0, frac, holding = vehicle_start(v, incidents)
        if not_before is not None:
            t0 = max(t0, not_before)
        pace = min(max(v.pace(params.pace_prior_s), 0.7), 2.5)
        leg = np.empty(len(rem))
        svc = np.empty(len(rem))
        ws = np.empty(len(rem))
        pr = np.empty(len(rem))
        hits: dict[str, Incident] = {h.incident_id: h for h in holding}
        t = t0
        for j, s in enumerate(rem):
            base = s.leg_s * (frac if j == 0 else 1.0)
            f, hit = leg_factor(incidents, s.lat, s.lon, t + base * pace, vehicle_id=v.vehicle_id, depot=v.depot)
            for h in hit:
                hits[h.incident_id] = h
            leg[j] = base * pace * f
            svc[j] = s.service_s
            ws[j] = s.win_start - day0 if math.isfinite(s.win_start) else -np.inf
            pr[j] = np.inf
            t = max(t + leg[j], s.win_start) + s.service_s
        behind = t0 + leg[0] - rem[0].planned
        rows.append((v, rem, leg, svc, ws, pr, t0, behind, pace, list(hits.values())))
    if not rows:
        return out
    # One kernel call per fixed stream would cost a call each; instead one call
    # whose seed depends only on the vehicles in it keeps results reproducible.
    S = max(len(r[1]) for r in rows)
    R = len(rows)
    leg = np.zeros((R, S))
    svc = np.zeros((R, S))
    ws = np.full((R, S), -np.inf)
    pr = np.full((R, S), np.inf)
    ns = np.zeros(R, dtype=np.int64)
    st = np.zeros(R)
    promised = np.full((R, S), np.inf)
    for i, (v, rem, l, sv, w, _, t0, *_rest) in enumerate(rows):
        n = len(rem)
        leg[i, :n] = l
        svc[i, :n] = sv
        ws[i, :n] = w
        ns[i] = n
        st[i] = t0 - day0
    for i, (v, rem, *_r) in enumerate(rows):
        for j, s in enumerate(rem):
            if s.order_id is not None and s.kind == "delivery":
                promised[i, j] = promises.get(s.order_id, math.inf) - day0
    key = sum(index.get(r[0].vehicle_id, 0) * 7919 for r in rows)
    # One thread: a batch's kernel is a millisecond, and thread start-up on a busy
    # machine costs more (numba's thread count is per calling thread).
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        eta = route_eta_arrays(leg, svc, ws, np.where(np.isfinite(promised), promised, np.inf), ns, st,
                               samples=params.samples, seed=seed * 1_000_003 + key, noise=params.noise, hour0_s=hour0)
    finally:
        numba.set_num_threads(threads)
    for i, (v, rem, _l, _s, _w, _p, _t0, behind, pace, hits) in enumerate(rows):
        res: dict[str, tuple[float, float, float]] = {}
        for j, s in enumerate(rem):
            if s.order_id is not None and s.kind == "delivery":
                res[s.order_id] = (float(eta.p_on_time[i, j]), day0 + float(eta.p50[i, j]), day0 + float(eta.p95[i, j]))
        out.append(VehicleForecast(v.vehicle_id, float(behind), pace, hits, res))
    return out


def carrier_forecast(status: str | None, scan_t: float | None, promised_by: float, now: float,
                     incidents: list[Incident], carrier_id: str | None, carrier_p: float) -> tuple[float, float, float, list[Incident]]:
    """(P(on time), p50, p95, incidents that apply) of a carrier parcel from its last scan."""
    hits = [i for i in incidents if i.active(now, promised_by) and i.scope.carrier_id is not None and i.scope.carrier_id == carrier_id
            and i.kind in (IncidentKind.CARRIER_DELAY, IncidentKind.SORTING_ERROR, IncidentKind.OTHER, IncidentKind.WEATHER, IncidentKind.TRAFFIC)]
    extra = sum(i.extra_s for i in hits)
    if status is None and scan_t is None and not hits:
        # No scan yet: the carrier's own promise holds.
        return carrier_p, promised_by - 3600.0, promised_by, []
    med, sd = CARRIER_TRANSIT.get(status, CARRIER_TRANSIT[None])
    t = max(scan_t if scan_t is not None else now, 0.0)
    slow = 1.0
    for i in hits:
        slow /= max(i.speed_factor, 0.05)
    med = med * slow
    base = t + extra
    left = promised_by - base
    if left <= 0:
        p = 0.0
    else:
        p = 0.5 * (1.0 + math.erf((math.log(left) - math.log(med)) / (sd * math.sqrt(2.0))))
    p50 = base + med
    p95 = base + med * math.exp(1.645 * sd)
    return p, p50, p95, hits
