"""The world as it happens: true travel, service and carrier times, and the disruptions that strike.

The ETA model and the plan see planned leg times; the truth multiplies each
leg by ``truth.bias`` x the vehicle's pace of the day (lognormal,
``pace_sd``) x a per-leg noise (lognormal, ``leg_sd``), divides it by the
speed factor of any weather over the stop at the time, and adds a repair
when the vehicle breaks down on that route.  Service times get their own
noise.  Carrier parcels are delivered at a time drawn from the promise
model's own quantile tables (``lead`` for a parcel the customer sent with
the carrier, ``transit`` from the pick-up for a dispatch hand-off), times
``carrier_bias``, plus a day for a carrier's bad day, a missed sort, a
parcel over the carrier's daily capacity or a pick-up lost to an outage.

All draws happen up front in :func:`draw`, per order and per vehicle slot
(``MAX_VEHICLES`` per type), never per planned leg: two fleet sizes of one
scenario see the same noise on the same order and the same pace on the
same vehicle (common random numbers), whatever the plans look like.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.domain.plan import Route, StopKind
from engine.eta._time import weekday_hour
from engine.eta.model import EtaModel
from engine.geo import haversine_m
from engine.sim.scenario import Scenario, Weather, clock_s

__all__ = ["DAY", "FLEET_DAYS", "MAX_VEHICLES", "Draws", "Drive", "carrier_key", "carrier_time", "draw", "drive", "weather_factor"]

#: Vehicle slots drawn per type (the schema's limit on a type's count).
MAX_VEHICLES = 5000
#: Fleet days simulated: the day itself and the three after it (its next-day orders, late slots, and next-day
#: promises past a peak day's cut-off, which the Double 11 tables put three days out).
FLEET_DAYS = 4
DAY = 86400.0


@dataclass(slots=True)
class Draws:
    """Every random number of the day's truth, drawn before anything is planned."""

    leg: np.ndarray  # (n,) factor on the leg into each order
    service: np.ndarray  # (n,) factor on each order's service time
    carrier_u: np.ndarray  # (n,) quantile level of a carrier parcel's time
    sort_error: np.ndarray  # (n,) bool
    pace: dict[str, np.ndarray]  # type -> (FLEET_DAYS, MAX_VEHICLES): each vehicle's pace of each day
    #: type -> (MAX_VEHICLES, FLEET_DAYS * n_waves, 4): breaks down?, where on the route, repair length, return-leg noise
    vehicle: dict[str, np.ndarray]
    weather: list[Weather]  # the weather that happens in this replication
    outages: list[tuple[str, int, int]]  # (carrier, start_s, end_s) that happen
    #: (carrier, fleet day) with a bad day: its parcels picked up that day come a day later
    bad_day: set[tuple[str, int]] = field(default_factory=set)


def draw(s: Scenario, n: int, travel: np.random.Generator, disruptions: np.random.Generator) -> Draws:
    """The truth's random numbers (fixed draw counts, so streams stay aligned across fleet sizes)."""
    t = s.truth
    leg = np.exp(t.leg_sd * travel.standard_normal(n) - 0.5 * t.leg_sd**2)
    service = np.exp(t.service_sd * travel.standard_normal(n) - 0.5 * t.service_sd**2)
    carrier_u = travel.random(n)
    pace: dict[str, np.ndarray] = {}
    for name in sorted(s.fleet):
        pace[name] = np.exp(t.pace_sd * travel.standard_normal((FLEET_DAYS, MAX_VEHICLES)))
    dz = s.disruptions
    weather = [wx for wx, u in zip(dz.weather, disruptions.random(len(dz.weather))) if u < wx.probability]
    outages = [(o.carrier, clock_s(o.start), clock_s(o.end)) for o, u in zip(dz.outages, disruptions.random(len(dz.outages)))
               if u < o.probability]
    bad_u = disruptions.random((len(s.carriers), FLEET_DAYS))
    bad = {(c, day) for j, c in enumerate(sorted(s.carriers)) for day in range(FLEET_DAYS)
           if bad_u[j, day] < s.carriers[c].disruption_probability}
    sort_error = disruptions.random(n) < dz.sorting_error_rate
    nw = FLEET_DAYS * len(s.waves.times)
    vehicle: dict[str, np.ndarray] = {}
    for name in sorted(s.fleet):
        v = disruptions.random((MAX_VEHICLES, nw, 4))
        v[..., 3] = np.exp(t.leg_sd * travel.standard_normal((MAX_VEHICLES, nw)) - 0.5 * t.leg_sd**2)
        vehicle[name] = v
    return Draws(leg, service, carrier_u, sort_error, pace, vehicle, weather, outages, bad)


def weather_factor(weather: list[Weather], lat: float, lon: float, t: float) -> float:
    """How many times longer a leg into ``(lat, lon)`` starting at ``t`` (seconds from midnight) takes."""
    f = 1.0
    for wx in weather:
        if clock_s(wx.start) <= t < clock_s(wx.end) and float(haversine_m(wx.lat, wx.lon, lat, lon)) <= wx.radius_km * 1000.0:
            f /= wx.speed_factor
    return f


@dataclass(slots=True)
class Drive:
    """One route as driven: per stop of the plan, the true arrival and departure (seconds from midnight)."""

    arrival: list[float]
    departure: list[float]
    #: order id -> true delivery time (arrival at the door, after waiting for its window)
    delivered: dict[str, float]
    #: (time, lat, lon) points of the true track, for positions
    track: list[tuple[float, float, float]]
    breakdown_at: float | None = None
    repair_s: float = 0.0
    end: float = 0.0


def drive(s: Scenario, d: Draws, route: Route, vtype: str, slot: int, wave: int, order_ix: dict[str, int]) -> Drive:
    """Drive ``route`` in the truth.

    ``slot`` is the physical vehicle's index within its type, ``wave`` the
    wave's index over the fleet days (``day * len(waves) + index``).  Times
    are seconds from the wave's day's midnight, as the plan's; weather
    windows are on the simulated day only.
    """
    bias = s.truth.bias
    day = wave // len(s.waves.times)
    pace = float(d.pace[vtype][day, slot])
    happens, where, repair_u, back = d.vehicle[vtype][slot, wave]
    stops = route.stops
    n_legs = len(stops) - 1
    brk_leg = int(where * n_legs) + 1 if happens < s.disruptions.breakdown_rate and n_legs > 0 else -1
    lo, hi = s.disruptions.repair_minutes
    repair = (lo + (hi - lo) * float(repair_u)) * 60.0
    t = float(stops[0].departure)
    arr, dep = [t], [t]
    track = [(t, stops[0].lat, stops[0].lon)]
    delivered: dict[str, float] = {}
    out = Drive(arr, dep, delivered, track)
    for j in range(1, len(stops)):
        st = stops[j]
        oi = order_ix.get(st.order_id) if st.order_id is not None else None
        noise = float(d.leg[oi]) if oi is not None else float(back)
        leg = float(st.leg_time_s) * bias * pace * noise * weather_factor(d.weather, st.lat, st.lon, t + day * DAY)
        if j == brk_leg:
            part = 0.5 * leg
            prev = track[-1]
            blat, blon = prev[1] + (st.lat - prev[1]) * 0.5, prev[2] + (st.lon - prev[2]) * 0.5
            track.append((t + part, blat, blon))
            out.breakdown_at = t + part
            out.repair_s = repair
            track.append((t + part + repair, blat, blon))
            leg += repair
        t += leg
        arr.append(t)
        track.append((t, st.lat, st.lon))
        if st.kind == StopKind.DELIVERY and st.order_id is not None:
            if st.window is not None:
                t = max(t, float(st.window.start))  # early for a booked slot: wait at the door
            delivered[st.order_id] = t
            t += float(st.departure - st.arrival) * (float(d.service[oi]) if oi is not None else 1.0)
            track.append((t, st.lat, st.lon))
        elif st.kind == StopKind.BREAK:
            t = max(t, float(st.arrival)) + float(st.departure - st.arrival)
        dep.append(t)
    out.end = t
    return out


def carrier_time(model: EtaModel, key: str | None, table: str, start_epoch: np.ndarray, km: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Seconds from ``start_epoch`` to delivery: the ``u`` quantile of the model's ``table`` for ``key``.

    Cells without data (and a carrier the model has no table for) take a day.
    """
    n = start_epoch.shape[0]
    if n == 0:
        return np.zeros(0)
    ti = model.table_index(key, start_epoch) if key is not None else None
    if ti is None:
        return np.full(n, 86400.0)
    wd, hr, _ = weekday_hour(start_epoch, model.tz)
    rows = model.lookup(table, ti, wd, hr, model.dband(km)).astype(np.float64)
    lv = model.levels
    uu = np.clip(u, lv[0], lv[-1])
    hi = np.clip(np.searchsorted(lv, uu, side="left"), 1, lv.shape[0] - 1)
    frac = (uu - lv[hi - 1]) / (lv[hi] - lv[hi - 1])
    r = np.arange(n)
    out = rows[r, hi - 1] + frac * (rows[r, hi] - rows[r, hi - 1])
    return np.where(np.isfinite(out) & (out > 0), out, 86400.0)


def carrier_key(model: EtaModel, carrier: str) -> str | None:
    """The model's table a carrier's hand-offs are timed by: its ``standard`` service, else its first."""
    std = f"{carrier}:standard"
    if std in model.keys:
        return std
    return next((k for k in model.base_keys if k.split(":")[0] == carrier), None)
