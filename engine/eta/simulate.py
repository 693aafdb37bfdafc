"""A delivery-history generator for the embedded city.

The default model is fitted on this history, and the tests and benchmarks
check calibration on a second history drawn with another seed and later
dates.  It is a process model, not a table of made-up quantiles: orders
arrive by weekday and hour, the warehouse processes them during its opening
hours (slower in peak season, with rare stock exceptions), own vans leave in
waves, third-party carriers collect once a day with a cut-off and deliver on
business days, and bad-weather days slow everyone down at once.

Travel times for the own fleet come from ``engine.network``/``engine.matrix``
when that road network is available, else from great-circle distance times
a detour factor at city speeds; the choice is recorded in the output's
``attrs['travel_source']``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.eta._city import City
from engine.eta._city import city as get_city
from engine.eta._time import local_to_epoch, to_iso
from engine.geo import haversine_km

H = 3600.0
#: The depot the district centres below are laid out around.
_HELSINKI_DEPOT = (60.2520, 24.9950)
DAY = 86400.0

#: Relative order volume by local hour (web shop traffic).
_HOUR_WEIGHTS = np.array(
    [0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 2.2, 2.3, 2.4, 2.3, 2.2, 2.2, 2.3, 2.5, 2.8, 3.0, 3.0, 2.6, 1.8, 0.9]
)
_WEEKDAY_VOLUME = np.array([1.1, 1.0, 1.0, 1.0, 0.95, 0.7, 0.8])

#: Third-party carriers: collection cut-off (local hour), transit-day odds, delivery days/hours.
_CARRIERS = {
    ("posti", "standard"): dict(cutoff=17.0, days=(1, 2, 3), p=(0.83, 0.13, 0.04), deliv_wd=5, hours=(9.0, 18.0)),
    ("posti", "locker"): dict(cutoff=17.0, days=(1, 2, 3), p=(0.88, 0.10, 0.02), deliv_wd=6, hours=(7.0, 14.0)),
    ("matkahuolto", "standard"): dict(cutoff=16.0, days=(1, 2, 3), p=(0.72, 0.21, 0.07), deliv_wd=5, hours=(10.0, 17.0)),
}
_MIX = {
    ("own", "same_day"): 0.35,
    ("own", "next_day"): 0.20,
    ("posti", "standard"): 0.27,
    ("posti", "locker"): 0.22,
    ("matkahuolto", "standard"): 0.15,
}


def _peak(days: np.ndarray, start: date) -> np.ndarray:
    """True on peak-season days (Black-Friday week to Christmas)."""
    out = np.zeros(days.shape, dtype=bool)
    for i, d in enumerate(np.unique(days)):
        dt = start + timedelta(days=int(d))
        if (dt.month == 11 and dt.day >= 20) or (dt.month == 12 and dt.day <= 22):
            out[days == d] = True
    return out


#: Per simulated day: public holiday, make-up workday (None: weekdays only, as for the embedded Helsinki).
Calendar = tuple[np.ndarray, np.ndarray] | None


def _next_day_with(days: np.ndarray, start_wd: int, allowed: int, cal: Calendar = None) -> np.ndarray:
    """First day >= ``days`` whose weekday is < ``allowed`` (5: Mon-Fri, 6: Mon-Sat), and not a holiday."""
    out = days.copy()
    for _ in range(7 if cal is None else 21):
        bad = (start_wd + out) % 7 >= allowed
        if cal is not None:
            i = np.minimum(out, cal[0].shape[0] - 1)
            bad = (bad & ~cal[1][i]) | cal[0][i]
        if not bad.any():
            break
        out[bad] += 1
    return out


def _add_business_days(days: np.ndarray, k: np.ndarray, start_wd: int, allowed: int, cal: Calendar = None) -> np.ndarray:
    out = days.copy()
    k = k.copy()
    while (k > 0).any():
        m = k > 0
        out[m] = _next_day_with(out[m] + 1, start_wd, allowed, cal)
        k[m] -= 1
    return out


def _calendar(c: City, start: date, n: int) -> Calendar:
    """Holidays and make-up workdays of ``c.holidays`` for ``n`` days from ``start`` (None without a calendar)."""
    if not c.holidays:
        return None
    from engine.eta.observance import country_calendar  # noqa: PLC0415

    years = list(range(start.year, (start + timedelta(days=n)).year + 1))
    h = country_calendar(c.holidays, years)
    work = getattr(h, "weekend_workdays", set())
    days = [start + timedelta(days=i) for i in range(n)]
    return np.array([d in h for d in days]), np.array([d in work for d in days])


def _season_days(c: City, start: date, n: int) -> np.ndarray:
    """Peak days of a region with its own seasons (every named season counts as a peak)."""
    from engine.eta.model import season_labels  # noqa: PLC0415

    d0 = (start - date(1970, 1, 1)).days
    return season_labels(np.arange(d0, d0 + n), c.seasons) != ""


def _process(t: np.ndarray, work: np.ndarray, start_wd: int) -> np.ndarray:
    """Advance local times ``t`` by ``work`` seconds of warehouse opening hours."""
    t = t.copy()
    work = work.copy()
    for _ in range(60):
        m = work > 0
        if not m.any():
            break
        day = np.floor(t[m] / DAY)
        sunday = (start_wd + day.astype(np.int64)) % 7 == 6
        open_ = day * DAY + np.where(sunday, 8 * H, 6 * H)
        close = day * DAY + np.where(sunday, 20 * H, 22 * H)
        tm = np.maximum(t[m], open_)
        after = tm >= close
        avail = np.where(after, 0.0, close - tm)
        done = work[m] <= avail
        new_t = np.where(done, tm + work[m], (day + 1) * DAY)
        new_w = np.where(done, 0.0, work[m] - avail)
        t[m] = new_t
        work[m] = new_w
    return t


def road_travel_s(city: City, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, str]:
    """Depot -> destination driving time in seconds and where it came from.

    Destinations on the project's road network (``engine.network.load(city)``,
    snapped within 300 m) get the network's fastest time from the network node
    nearest the depot plus the approach from the depot to it; the rest (and
    all of them without a network) get 1.35 x great-circle km at 32 km/h.
    """
    km = haversine_km(city.depot[0], city.depot[1], lat, lon)
    fallback = km * 1.35 / 32.0 * H
    if city.name != "helsinki":
        return fallback, "haversine (no road network of this region ships with the engine)"
    try:
        from engine import matrix as _matrix  # noqa: PLC0415
        from engine import network as _network  # noqa: PLC0415

        net = _network.load(city.name)
        nodes, dist = net.snap(lat, lon, on_far="mask")
        on = (nodes >= 0) & (dist <= 300.0)
        if not on.any():
            return fallback, "haversine (no destination on the engine.network map)"
        # Entry: the network node closest to the depot; the approach to it is off-map.
        d_entry = haversine_km(city.depot[0], city.depot[1], net.lat, net.lon)
        entry = int(np.argmin(d_entry))
        approach = d_entry[entry] * 1.35 / 32.0 * H
        uniq, inv = np.unique(nodes[on], return_inverse=True)
        tt = np.asarray(_matrix.travel_times(net, np.array([entry]), uniq), dtype=np.float64)[0]
        out = fallback.copy()
        out[on] = np.where(np.isfinite(tt[inv]), approach + tt[inv], fallback[on])
        return out, f"engine.matrix for {int(on.sum())} of {lat.shape[0]} destinations, haversine for the rest"
    except Exception:  # noqa: BLE001 - the network is optional: any failure means the fallback
        return fallback, "haversine (engine.network unavailable)"


def simulate_history(
    city: str | City = "helsinki",
    start: date = date(2026, 1, 5),
    weeks: int = 12,
    orders_per_day: float = 300.0,
    seed: int = 0,
    travel: Callable[[City, np.ndarray, np.ndarray], tuple[np.ndarray, str]] | None = None,
) -> pd.DataFrame:
    """Draw a delivery history (one row per delivered order).

    Parameters
    ----------
    city
        City name or :class:`City`.
    start
        First local day of the history.
    weeks
        Length of the history.
    orders_per_day
        Mean orders on an ordinary weekday.
    seed
        Seed of the random generator; the same seed gives the same rows.
    travel
        Optional ``(city, lat, lon) -> (seconds, source)`` depot->destination
        travel time; defaults to :func:`road_travel_s`.

    Returns
    -------
    pandas.DataFrame
        The history CSV columns (timestamps as ISO-8601 strings with offset).
    """
    if weeks <= 0 or orders_per_day <= 0:
        raise InputError("weeks and orders_per_day must be positive", field="weeks" if weeks <= 0 else "orders_per_day")
    c = get_city(city) if isinstance(city, str) else city
    tz = ZoneInfo(c.tz)
    rng = np.random.default_rng(seed)
    n_days = weeks * 7
    start_wd = start.weekday()
    all_days = np.arange(n_days + 10)
    cal = _calendar(c, start, n_days + 90)
    peak_day = _season_days(c, start, all_days.shape[0]) if c.holidays else _peak(all_days, start)
    month = np.array([(start + timedelta(days=int(d))).month for d in all_days])
    bad_p = np.where(np.isin(month, (11, 12, 1, 2, 3)), 0.10, 0.05)
    bad_day = rng.random(all_days.shape[0]) < bad_p
    severity = np.where(bad_day, rng.uniform(1.3, 1.9, all_days.shape[0]), 1.0)

    # Orders: count per day, then creation times by the hourly profile.
    vol = orders_per_day * _WEEKDAY_VOLUME[(start_wd + all_days[:n_days]) % 7] * np.where(peak_day[:n_days], 1.8, 1.0)
    counts = rng.poisson(vol)
    day = np.repeat(np.arange(n_days), counts)
    n = day.shape[0]
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    created = day * DAY + hour * H + rng.uniform(0, H, n)

    # Destinations: most in the capital region, some across the wider area.
    centres = np.array([[60.170, 24.940], [60.205, 24.655], [60.293, 25.040], [60.230, 25.080], [60.250, 24.860]])
    if tuple(c.depot) != _HELSINKI_DEPOT:
        # Another region: the same layout of districts around its own depot.
        centres = centres + (np.array(c.depot) - np.array(_HELSINKI_DEPOT))
    which = rng.integers(0, centres.shape[0], n)
    lat = centres[which, 0] + rng.normal(0, 0.035, n)
    lon = centres[which, 1] + rng.normal(0, 0.07, n)
    wide = rng.random(n) < 0.15
    lat[wide] = rng.uniform(c.bbox[0] + 0.02, c.bbox[2] - 0.02, wide.sum())
    lon[wide] = rng.uniform(c.bbox[1] + 0.02, c.bbox[3] - 0.02, wide.sum())
    km = haversine_km(c.depot[0], c.depot[1], lat, lon)
    travel_s, source = (travel or road_travel_s)(c, lat, lon)

    # Which service each customer picked, among what was on offer.
    keys = list(_MIX)
    tod = created - day * DAY
    wd = (start_wd + day) % 7
    elig = np.ones((n, len(keys)), dtype=bool)
    elig[:, 0] = (tod >= 6 * H) & (tod <= 13.5 * H) & (wd < 6) & (km <= 30)
    elig[:, 1] = km <= 45
    w = elig * np.array([_MIX[k] for k in keys])
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    pick = (rng.random(n)[:, None] > cum).sum(axis=1)
    pick = np.minimum(pick, len(keys) - 1)

    # Warehouse processing during opening hours.
    work = np.exp(rng.normal(np.log(40 * 60), 0.5, n))
    work *= np.where(peak_day[day], 1.6, 1.0) * np.where(pick == 0, 0.6, 1.0)
    # Stock problems and mis-picks; own-fleet orders go through priority lanes.
    exception = rng.random(n) < np.where(pick == 0, 0.005, np.where(pick == 1, 0.01, 0.02))
    work[exception] += rng.uniform(3 * H, 20 * H, exception.sum())
    handed = _process(created, work, start_wd)
    hday = np.floor(handed / DAY).astype(np.int64)
    htod = handed - hday * DAY
    delivered = np.full(n, np.nan)

    # Own fleet: evening wave 16:00 for same-day parcels in by 15:30, day wave 09:00.
    for s_idx, kind in ((0, "same_day"), (1, "next_day")):
        m = pick == s_idx
        if kind == "same_day":
            today = (htod <= 15.5 * H) & ((start_wd + hday) % 7 < 6)
            if cal is not None:
                today &= ~cal[0][np.minimum(hday, cal[0].shape[0] - 1)]
            wave_day = np.where(today, hday, _next_day_with(hday + 1, start_wd, 6, cal))
            wave_start = np.where(today, 16 * H, 9 * H)
            span = np.where(today, 3.5 * H, 6.0 * H)
        else:
            wave_day = _next_day_with(hday + 1, start_wd, 6, cal)
            wave_start = np.full(n, 9 * H)
            span = np.full(n, 6.0 * H)
        if cal is not None:  # a holiday run can push past the drawn days
            wave_day = np.minimum(wave_day, all_days.shape[0] - 1)
        sev = severity[wave_day]
        pos = rng.beta(1.6, 1.6, n)
        leg_noise = np.exp(rng.normal(0, 0.18, n))
        arr = wave_day * DAY + wave_start + 25 * 60 + travel_s * sev * leg_noise + pos * span * sev
        failed = rng.random(n) < 0.012
        retry = _next_day_with(wave_day + 1, start_wd, 6, cal)
        arr = np.where(failed, retry * DAY + 9 * H + 25 * 60 + travel_s + pos * 6 * H, arr)
        delivered[m] = arr[m]

    # Third-party carriers: daily collection with a cut-off, business-day transit.
    for s_idx, key in enumerate(keys):
        if key not in _CARRIERS:
            continue
        m = pick == s_idx
        spec = _CARRIERS[key]
        late = htod > spec["cutoff"] * H
        dep = _next_day_with(np.where(late, hday + 1, hday), start_wd, 5, cal)
        k = rng.choice(np.array(spec["days"]), size=n, p=np.array(spec["p"]))
        k = k + (rng.random(n) < np.where(bad_day[np.minimum(dep + 1, all_days.shape[0] - 1)], 0.35, 0.0))
        if cal is not None:
            dep = np.minimum(dep, all_days.shape[0] - 1)
        k = k + (rng.random(n) < np.where(peak_day[dep], 0.25, 0.0))
        k = k + (rng.random(n) < np.where(km > 60, 0.30, 0.0))
        dd = _add_business_days(dep, k.astype(np.int64), start_wd, spec["deliv_wd"], cal)
        dd = np.minimum(dd, all_days.shape[0] - 1)
        lo, hi = spec["hours"]
        t = rng.beta(1.3, 1.8, n) * (hi - lo) * H + lo * H
        t = np.minimum(t * np.where(bad_day[dd], 1.08, 1.0), 21 * H)
        delivered[m] = (dd * DAY + t)[m]

    base_local = (start - date(1970, 1, 1)).days * DAY
    e_created = local_to_epoch(base_local + created, tz)
    e_handed = local_to_epoch(base_local + handed, tz)
    e_deliv = local_to_epoch(base_local + delivered, tz)
    weight = np.round(np.exp(rng.normal(np.log(2.0), 0.9, n)), 2).clip(0.05, 30.0)
    order = np.argsort(e_created, kind="stable")
    names = {"posti": "sf", "matkahuolto": "zto"} if c.name == "shanghai" else {}
    carriers = np.array([names.get(k[0], k[0]) for k in keys])[pick]
    services = np.array([k[1] for k in keys])[pick]
    df = pd.DataFrame(
        {
            "order_id": [f"S{seed}-{i:06d}" for i in range(n)],
            "carrier": carriers[order],
            "service": services[order],
            "origin_lat": np.full(n, c.depot[0]),
            "origin_lon": np.full(n, c.depot[1]),
            "dest_lat": np.round(lat[order], 6),
            "dest_lon": np.round(lon[order], 6),
            "created_at": to_iso(e_created[order], tz),
            "handed_over_at": to_iso(e_handed[order], tz),
            "delivered_at": to_iso(e_deliv[order], tz),
            "weight_kg": weight[order],
        }
    )
    df.attrs["travel_source"] = source
    df.attrs["seed"] = seed
    df.attrs["start"] = start.isoformat()
    df.attrs["weeks"] = weeks
    return df


def write_history(df: pd.DataFrame, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(p, index=False)
    return p


