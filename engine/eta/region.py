"""Infer the region a history serves: time zone, service area and offer catalogue.

``promise fit --history FILE.csv`` needs nothing else: the time zone is the
IANA zone whose UTC offsets explain every timestamp's written offset (the
depot's zone when several do, or when every time is written in UTC), the
service area is a circle around the depot (the most frequent origin) whose
radius is a high quantile of the history's distances plus a margin, widened to
reach every place rows pile up in (a city shipped to every week), so only
stray rows far outside it are "outside the map", peak seasons are the history's
slow periods anchored to the public holiday they surround
(:func:`engine.eta.calendar.learn_seasons`), and every carrier/service seen
becomes an offer with a kind guessed from its name and its delivery days,
default prices and the weight/distance range it was seen delivering.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pandas as pd

from engine.errors import HistoryError
from engine.eta._city import KINDS, City, ServiceSpec, infer_kind
from engine.eta.bands import row_km
from engine.eta.calendar import country_of_tz, currency_of_tz
from engine.eta._time import zone_key
from engine.eta.history import History
from engine.geo import haversine_km

__all__ = ["default_prices", "infer_tz", "infer_area", "infer_services", "infer_region", "drop_outside", "zone_near"]

#: Zones picked first when several explain the same offsets (the most populous of each offset).
PREFERRED_ZONES = (
    "Asia/Shanghai", "Europe/Helsinki", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Europe/Istanbul",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
    "America/Mexico_City", "Asia/Tokyo", "Asia/Seoul", "Asia/Kolkata", "Asia/Jakarta", "Asia/Bangkok",
    "Asia/Ho_Chi_Minh", "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka", "Asia/Manila", "Asia/Singapore",
    "Australia/Sydney", "Australia/Perth", "Africa/Lagos", "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi",
    "Pacific/Auckland", "UTC",
)
#: Service-area radius: this quantile of depot distances, times ``AREA_FACTOR`` plus ``AREA_MARGIN_KM``.
AREA_QUANTILE, AREA_FACTOR, AREA_MARGIN_KM = 0.99, 1.5, 10.0
#: A destination beyond that radius still belongs to the area when its grid cell (``AREA_CELL_DEG`` on a side,
#: about 11 km) and the eight around it hold at least ``AREA_CELL_ROWS`` rows: a city the platform ships to every week is a
#: destination, not a typo (typos and stray geocodes do not pile up in one place; swapped coordinates do, and are
#: told apart by their swap landing inside the area).
AREA_CELL_DEG, AREA_CELL_ROWS = 0.1, 20
#: Default prices until a catalogue gives them (base, per kg, per km), by kind, in euros.
DEFAULT_PRICES = {
    "same_day": (6.5, 0.05, 0.10), "next_day": (4.9, 0.05, 0.05), "slot": (7.9, 0.05, 0.10),
    "standard": (5.9, 0.20, 0.0), "locker": (3.9, 0.10, 0.0), "pickup_point": (3.9, 0.10, 0.0),
}
#: What a home delivery that costs 1 EUR in Helsinki costs in each currency, roughly (parcel price levels, not
#: exchange rates: a Jakarta courier charges about 15,000 IDR where Posti charges 6 EUR).  Only for the defaults
#: above, so that checkout never shows "5.90 IDR"; a catalogue gives the real prices.  A currency not listed keeps
#: the euro numbers, and the fit says so.
PRICE_LEVEL = {
    "EUR": 1.0, "USD": 1.1, "GBP": 0.9, "CHF": 1.0, "CAD": 1.5, "AUD": 1.6, "NZD": 1.7, "SEK": 8.0, "NOK": 8.0,
    "DKK": 7.5, "PLN": 3.0, "CZK": 25.0, "HUF": 300.0, "RON": 3.0, "TRY": 25.0, "RUB": 60.0, "ILS": 3.5,
    "CNY": 2.0, "HKD": 8.0, "TWD": 25.0, "JPY": 150.0, "KRW": 800.0, "SGD": 1.3, "MYR": 2.5, "THB": 8.0,
    "VND": 5000.0, "IDR": 3000.0, "PHP": 15.0, "INR": 10.0, "PKR": 80.0, "BDT": 40.0, "AED": 4.0, "SAR": 4.0,
    "EGP": 15.0, "NGN": 500.0, "KES": 80.0, "ZAR": 12.0, "MXN": 15.0, "BRL": 3.0, "ARS": 800.0, "CLP": 700.0,
    "COP": 3000.0, "PEN": 3.0,
}


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    pref = [z for z in PREFERRED_ZONES]
    rest = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return tuple(pref + [z for z in rest if z not in pref])


def zone_near(lat: float, lon: float) -> str | None:
    """The IANA zone whose boundary holds ``(lat, lon)`` (tzfpy's offline polygons; None at sea or unknown).

    For histories that write every time in UTC: their offsets say nothing of the
    shop's zone, its depot does.
    """
    from tzfpy import get_tz  # noqa: PLC0415 - a few MB of polygons, loaded only for such histories

    name = get_tz(float(lon), float(lat))
    if not name or name.startswith("Etc/"):  # open sea: a nautical offset, no country, holidays or money
        return None
    try:
        return ZoneInfo(name).key
    except Exception:  # noqa: BLE001 - a zone newer than this Python's tzdata
        return None


def _offset_at(zone: ZoneInfo, epoch: float) -> float:
    off = datetime.fromtimestamp(epoch, zone).utcoffset()
    return off.total_seconds() if off is not None else 0.0


def infer_tz(frame: pd.DataFrame, tz: str | None = None) -> tuple[str, list[str]]:
    """The IANA zone that explains every written UTC offset, and all zones that do.

    Parameters
    ----------
    frame
        ``History.frame`` (epoch columns and their ``*_off`` offsets).
    tz
        A zone the caller names (``--tz``): checked against the offsets, not guessed.

    Times written in UTC (``Z``, ``+00:00``, Unix time) are instants that say
    nothing of the local zone: they are checked only when every time is so
    written (then UTC-like zones explain them, and any zone the caller names).

    Raises
    ------
    HistoryError
        When no single zone explains the offsets (mixed offsets): names rows.
    """
    ep = np.concatenate([frame[c].to_numpy() for c in ("created", "handed", "delivered")])
    off = np.concatenate([frame[c + "_off"].to_numpy() for c in ("created", "handed", "delivered")])
    rows = np.tile(np.arange(len(frame)), 3)
    ok = np.isfinite(off)
    ep, off, rows = ep[ok], off[ok], rows[ok]
    if ep.shape[0] == 0:
        raise HistoryError("no usable rows to infer the time zone from")
    named = zone_key(tz) if tz is not None else None
    local = off != 0.0
    if local.any():
        ep, off, rows = ep[local], off[local], rows[local]
    elif named is not None:
        return named, [named]
    # One check per distinct (UTC hour, offset): offsets only change on the hour.
    pairs = np.unique(np.column_stack([np.floor(ep / 3600.0), off]), axis=0)
    cands = [named] if named is not None else list(_zones())
    good: list[str] = []
    for name in cands:
        z = ZoneInfo(name)
        if all(_offset_at(z, h * 3600.0 + 1800.0) == o for h, o in pairs.tolist()):
            good.append(name)
    if good:
        return good[0], good
    # Explain: the offsets the best-fitting zone disagrees with, by row.
    best, best_bad = None, None
    for name in cands:
        z = ZoneInfo(name)
        bad = [(h, o) for h, o in pairs.tolist() if _offset_at(z, h * 3600.0 + 1800.0) != o]
        if best_bad is None or len(bad) < len(best_bad):
            best, best_bad = name, bad
    assert best is not None and best_bad is not None
    bad_set = {(h, o) for h, o in best_bad}
    hours = np.floor(ep / 3600.0)
    hit = np.array([(h, o) in bad_set for h, o in zip(hours.tolist(), off.tolist())])
    ids = frame["order_id"].to_numpy()[np.unique(rows[hit])]
    shown = ", ".join(f"{i}" for i in ids[:5].tolist())
    offs = sorted({_fmt_off(o) for o in off.tolist()})
    what = f"time zone {tz}" if tz is not None else f"any single IANA time zone (closest: {best})"
    raise HistoryError(
        f"the history's UTC offsets ({', '.join(offs)}) are not explained by {what}: "
        f"{ids.shape[0]} row(s) disagree, e.g. order_id {shown}; give --tz ZONE or fix those rows"
    )


def _fmt_off(o: float) -> str:
    sign = "-" if o < 0 else "+"
    a = int(abs(o))
    return f"{sign}{a // 3600:02d}:{(a % 3600) // 60:02d}"


def infer_area(frame: pd.DataFrame) -> tuple[tuple[float, float], float]:
    """Depot (the most frequent origin) and service-area radius (km) of a history."""
    olat, olon = frame["origin_lat"].to_numpy(), frame["origin_lon"].to_numpy()
    if olat.shape[0] == 0:
        raise HistoryError("no usable rows to infer the service area from")
    key = Counter(zip(np.round(olat, 3).tolist(), np.round(olon, 3).tolist()))
    (la, lo), _ = key.most_common(1)[0]
    near = (np.abs(olat - la) < 1e-3) & (np.abs(olon - lo) < 1e-3)
    depot = (float(np.median(olat[near])), float(np.median(olon[near])))
    lat = np.concatenate([frame["dest_lat"].to_numpy(), olat])
    lon = np.concatenate([frame["dest_lon"].to_numpy(), olon])
    d = haversine_km(depot[0], depot[1], lat, lon)
    radius = float(np.quantile(d, AREA_QUANTILE)) * AREA_FACTOR + AREA_MARGIN_KM
    far = d > radius
    if far.any():
        # A latitude and longitude written the wrong way round keep the city's shape and pile up too: a point
        # whose swap lands inside the circle is that, not a destination.
        far &= haversine_km(depot[0], depot[1], lon, lat) > radius
        ci, cj = np.floor(lat[far] / AREA_CELL_DEG).astype(np.int64), np.floor(lon[far] / AREA_CELL_DEG).astype(np.int64)
        count = Counter(zip(ci.tolist(), cj.tolist()))
        # A cell with its eight neighbours, so a city on a cell's edge is not split in four.
        block = {c: sum(count.get((c[0] + a, c[1] + b), 0) for a in (-1, 0, 1) for b in (-1, 0, 1)) for c in count}
        kept = np.array([block[c] >= AREA_CELL_ROWS for c in zip(ci.tolist(), cj.tolist())], dtype=bool)
        if kept.any():
            radius = float(d[far][kept].max()) + AREA_MARGIN_KM
    return depot, radius


def bbox_around(centre: tuple[float, float], radius_km: float) -> tuple[float, float, float, float]:
    """``(min_lat, min_lon, max_lat, max_lon)`` of the circle (clipped to valid coordinates)."""
    dlat = radius_km / 111.32
    dlon = radius_km / (111.32 * max(math.cos(math.radians(centre[0])), 0.05))
    return (max(centre[0] - dlat, -90.0), max(centre[1] - dlon, -180.0), min(centre[0] + dlat, 90.0), min(centre[1] + dlon, 180.0))


def _kind_from_data(service: str, created: np.ndarray, delivered: np.ndarray, tz: ZoneInfo) -> str:
    """The kind a service's name says, unless its deliveries contradict it (an "express" that takes two days is standard)."""
    from engine.eta._time import local_seconds  # noqa: PLC0415

    days = np.floor(local_seconds(delivered, tz) / 86400.0) - np.floor(local_seconds(created, tz) / 86400.0)
    same, next_ = float(np.mean(days == 0)), float(np.mean(days <= 1))
    data = "same_day" if same >= 0.5 else "next_day" if next_ >= 0.8 else "standard"
    name = infer_kind(service)
    if name in ("locker", "slot") or "standard" in service.lower():
        return name  # how it is delivered, not how fast: the name knows better
    if name == "same_day" and same < 0.5:
        return data
    if name == "next_day" and next_ < 0.5:
        return data
    return name if name != "standard" else data


def _round_price(x: float, currency: str) -> float:
    """``x`` to two significant figures, and to the currency's minor unit (no 17,700.00 IDR, no 0.1 JPY)."""
    if x <= 0:
        return 0.0
    from babel.numbers import get_currency_precision  # noqa: PLC0415

    digits = 1 - int(math.floor(math.log10(x)))
    try:
        minor = get_currency_precision(currency) if currency else 2
    except Exception:  # noqa: BLE001 - babel raises for codes it lacks
        minor = 2
    # Currencies whose minor unit nobody pays in (IDR, KRW, VND at 0.01) round to whole units anyway.
    return float(round(x, min(digits, minor if x < 100 else 0)))


def default_prices(kind: str, currency: str = "EUR") -> tuple[float, float, float]:
    """``(base, per_kg, per_km)`` of a service of ``kind`` until a catalogue prices it, in ``currency``.

    The euro defaults (:data:`DEFAULT_PRICES`) scaled by the currency's parcel
    price level (:data:`PRICE_LEVEL`; the euro numbers for a currency not
    listed) and rounded as a price list would be.
    """
    level = PRICE_LEVEL.get(currency.upper(), 1.0) if currency else 1.0
    return tuple(_round_price(v * level, currency) for v in DEFAULT_PRICES.get(kind, DEFAULT_PRICES["standard"]))  # type: ignore[return-value]


def prices_note(currency: str) -> str:
    """What the fit reports about default prices in ``currency``."""
    if not currency or currency.upper() not in PRICE_LEVEL:
        return (f"defaults (no catalogue) in euro numbers: no price level known for {currency or 'an unknown currency'}; "
                "give --catalogue with your prices")
    if currency.upper() == "EUR":
        return "defaults (no catalogue): give --catalogue with your prices"
    return f"defaults (no catalogue) at a rough {currency} parcel price level (x{PRICE_LEVEL[currency.upper()]:g} the euro ones); give --catalogue with your prices"


def infer_services(frame: pd.DataFrame, tz: str, depot: tuple[float, float], currency: str | None = None) -> tuple[ServiceSpec, ...]:
    """One offer per carrier/service seen, with a kind, default prices and the range seen delivering.

    Prices are :func:`default_prices` in ``currency`` (None: the money of ``tz``'s country).
    """
    cur = currency_of_tz(tz) if currency is None else currency
    z = ZoneInfo(tz)
    key = (frame["carrier"] + ":" + frame["service"]).to_numpy()
    km = row_km(frame)
    out = []
    for k in sorted(set(key.tolist())):
        m = key == k
        c, s = k.split(":", 1)
        kind = _kind_from_data(s, frame["created"].to_numpy()[m], frame["delivered"].to_numpy()[m], z)
        assert kind in KINDS or kind == "pickup_point"
        base, per_kg, per_km = default_prices(kind, cur)
        max_km = math.ceil(float(np.quantile(km[m], 0.999)) * 1.1 + 1.0)
        max_kg = math.ceil(float(np.max(frame["weight_kg"].to_numpy()[m])))
        out.append(ServiceSpec(c, s, kind, base, per_kg, per_km, max_km=float(max_km), max_kg=float(max(max_kg, 1)), label=f"{c} {s}"))
    return tuple(out)


def drop_outside(history: History, centre: tuple[float, float], radius_km: float) -> History:
    """The history without rows whose origin or destination is beyond ``radius_km`` (counted as "point outside the map")."""
    f = history.frame
    far = (haversine_km(centre[0], centre[1], f["dest_lat"].to_numpy(), f["dest_lon"].to_numpy()) > radius_km) | (
        haversine_km(centre[0], centre[1], f["origin_lat"].to_numpy(), f["origin_lon"].to_numpy()) > radius_km
    )
    if not far.any():
        return history
    skipped = Counter(history.skipped)
    skipped["point outside the map"] += int(far.sum())
    return replace(history, frame=f[~far].reset_index(drop=True), skipped=skipped)


def _learnt_seasons(frame: pd.DataFrame, tz: str, country: str) -> tuple[tuple, list[dict]]:
    """Seasons learnt from the history's slow periods (:func:`engine.eta.calendar.learn_seasons`), for the history's years and three after."""
    from engine.eta._time import weekday_hour  # noqa: PLC0415
    from engine.eta.calendar import learn_seasons  # noqa: PLC0415

    if len(frame) == 0:
        return (), []
    z = ZoneInfo(tz)
    _, _, day = weekday_hour(frame["created"].to_numpy(), z)
    y0 = datetime.fromtimestamp(float(frame["created"].min()), z).year
    y1 = datetime.fromtimestamp(float(frame["created"].max()), z).year
    key = (frame["carrier"] + ":" + frame["service"]).to_numpy()
    lead = (frame["delivered"] - frame["created"]).to_numpy()
    return learn_seasons(key, day.astype(np.int64), lead, country, range(y0, y1 + 4))


def _learnt_calendar(frame: pd.DataFrame, tz: str, country: str) -> tuple[str, dict[str, object]]:
    """The calendar spec the history keeps (:func:`engine.eta.observance.learn_calendar`) and what was weighed."""
    from engine.eta._time import weekday_hour  # noqa: PLC0415
    from engine.eta.observance import learn_calendar  # noqa: PLC0415

    if not country or len(frame) == 0:
        return country, {"calendar": country or None}
    z = ZoneInfo(tz)
    _, _, dday = weekday_hour(frame["delivered"].to_numpy(), z)
    _, _, cday = weekday_hour(frame["created"].to_numpy(), z)
    return learn_calendar(country, dday, int(cday.min()), int(cday.max()))


def infer_region(history: History, tz: str | None = None, name: str = "inferred") -> tuple[City, History, dict[str, object]]:
    """The :class:`City` a history serves, the history restricted to it, and what was inferred (for ``meta``).

    Raises
    ------
    HistoryError
        No usable rows, or offsets no single zone explains.
    """
    if len(history.frame) == 0:
        why = history.summary()["skipped_by_reason"]
        hint = "; give --tz ZONE to read times without an offset as local times" if "time without UTC offset" in str(why) else ""
        raise HistoryError(f"no usable rows in the history: {why}{hint}")
    depot, radius = infer_area(history.frame)
    zone, cands = infer_tz(history.frame, tz)
    written = np.concatenate([history.frame[c + "_off"].to_numpy() for c in ("created", "handed", "delivered")])
    written = written[np.isfinite(written)]
    utc_only = written.size > 0 and not np.any(np.round(written) != 0)
    tz_from = "--tz" if tz else "timestamp offsets"
    here = zone_near(*depot) if tz is None else None
    # Times written in UTC say nothing of the shop's zone, its depot does; and +08:00 is Taipei's, Manila's
    # or Kuala Lumpur's as much as Shanghai's, each with its own holidays: among the zones the offsets allow,
    # the depot's.
    if here is not None and (utc_only or (len(cands) > 1 and here in cands and here != zone)):
        zone, cands = here, [here, *[c for c in cands if c != here]]
        tz_from = "depot location (every timestamp in UTC)" if utc_only else "timestamp offsets and the depot's location"
    h = drop_outside(history, depot, radius)
    currency = currency_of_tz(zone)
    services = infer_services(h.frame, zone, depot, currency)
    country, kept = _learnt_calendar(h.frame, zone, country_of_tz(zone))
    seasons, learnt = _learnt_seasons(h.frame, zone, country)
    city = City(name=name, tz=zone, bbox=bbox_around(depot, radius), depot=depot, services=services, seasons=seasons, holidays=country,
                area_radius_km=radius, area_centres=(depot,), currency=currency)
    warn = None
    if utc_only and tz is None:
        warn = (f"every timestamp is in UTC (+00:00/Z/Unix time): local weekdays, hours and holidays are read in {zone}, "
                + ("the zone of the depot's location" if tz_from.startswith("depot") else "as no zone holds the depot")
                + "; give --tz for another")
    info: dict[str, object] = {
        "tz_warning": warn,
        "region": name, "tz": zone, "tz_candidates": cands[:10], "tz_from": tz_from,
        "area": {"centre": list(depot), "radius_km": round(radius, 3)},
        "services": {s.key: s.kind for s in services}, "holidays": country or None, "holidays_learnt": kept, "currency": city.currency or None,
        "prices": prices_note(currency),
        "seasons_learnt": learnt,
        "inferred_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return city, h, info
