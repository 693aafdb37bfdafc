"""The texts a customer reads: why an option is unavailable, how long is left to order, durations."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from engine.domain.promise import BatchQuote
from engine.domain.promise import UnavailableReason as R
from engine.eta._city import ServiceSpec
from engine.eta._time import from_epoch, local_seconds, local_seconds_one
from engine.eta.area import area_text
from engine.eta.model import EtaModel
from engine.promise.rules import delivering_weekdays, service_closed_days

__all__ = ["fmt_duration", "cutoff_text", "late_text", "reason_text", "reason_texts"]

#: A promise closer than this reads as a weekday and time; further, with its date.
_NEAR_S = 6 * 86400.0
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def fmt_duration(seconds: float) -> str:
    """``2 h 5 min``, ``3 h``, ``40 min`` (whole minutes, never negative)."""
    m = max(int(seconds // 60), 0)
    h, m = divmod(m, 60)
    if h and m:
        return f"{h} h {m} min"
    return f"{h} h" if h else f"{m} min"


def cutoff_text(spec: ServiceSpec, cutoff: float, created: float, promised_day: str) -> str:
    """``order within 2 h 5 min for Same-day delivery by 2026-11-11``."""
    return f"order within {fmt_duration(cutoff - created)} for {spec.label or spec.key} by {promised_day}"


def _arrival(promised: float, created: float, model: EtaModel) -> str:
    d = from_epoch(promised, model.tz)
    return f"{d:%a %H:%M}" if promised - created < _NEAR_S else f"{d:%a %d %b %H:%M}"


def late_text(model: EtaModel, b: BatchQuote, i: int, k: int, created: float) -> str:
    """Why available option ``k`` of row ``i`` is not nominal: ``next-day cut-off 18:00 passed: arrives by Sat 18:00``."""
    spec = model.spec(b.keys[k])
    word = "same-day" if spec.kind == "same_day" else "next-day"
    cut = b.cutoff_passed[i, k] if b.cutoff_passed is not None else math.nan
    arrives = _arrival(float(b.promised[i, k]), created, model)
    holiday = _new_holiday(model, spec, created, float(b.promised[i, k]))
    if holiday:
        return f"no {word} delivery over {holiday}, a public holiday it stops on: arrives by {arrives}"
    if math.isfinite(cut):
        return f"{word} cut-off {from_epoch(float(cut), model.tz):%H:%M} passed: arrives by {arrives}"
    return f"no {word} delivery for orders placed on {_day_text(model, spec, created)}: arrives by {arrives}"


def _new_holiday(model: EtaModel, spec: ServiceSpec, created: float, promised: float) -> str:
    """``Thanksgiving Day (Thu 27 Nov)``: the first holiday that closes the service (``City.new_holidays``) from the
    order's day to its promise's on which it would deliver, for a service the history shows idle on its
    holidays, or on some (``City.holiday_stops``: the ones whose promises ``rules.holiday_days`` moves); "" when none."""
    if spec.key not in model.keys:
        return ""
    ti = model.keys.index(spec.key)
    closed = service_closed_days(model, ti)
    if not closed:
        return ""
    works = delivering_weekdays(model, ti)
    d0, d1 = (math.floor(local_seconds_one(t, model.tz) / 86400.0) for t in (created, promised))
    days = sorted(d for d in closed.intersection(range(d0, d1 + 1)) if works[(d + 3) % 7])
    if not days:
        return ""
    for day in (date(1970, 1, 1) + timedelta(days=d) for d in days):
        for name in _holiday_names(model.city.holidays, day.year).get(day, ()):
            return f"{name} ({day:%a %d %b})"
    return f"a public holiday ({date(1970, 1, 1) + timedelta(days=days[0]):%a %d %b})"


@lru_cache(maxsize=64)
def _holiday_names(country: str, year: int) -> dict[date, tuple[str, ...]]:
    """Per date of ``year``, the names of ``country``'s holidays on it, substituted days off left out (cached:
    the calendar takes milliseconds to build and checkout names a holiday per cart)."""
    if not country:
        return {}
    from engine.eta.observance import country_calendar, holiday_name  # noqa: PLC0415

    cal = country_calendar(country, [year], language="en_US")
    out = {}
    for d in cal:
        names = tuple(holiday_name(n) for n in cal.get_list(d) if holiday_name(n))
        if names:
            out[d] = names
    return out


def _day_text(model: EtaModel, spec: ServiceSpec, created: float) -> str:
    """``a Sunday``, or ``a public holiday (Thursday)`` on a holiday of the service's calendar."""
    day = _WEEKDAYS[from_epoch(created, model.tz).weekday()]
    if spec.holidays and _holiday(model, spec, np.array([created]))[0]:
        return f"a public holiday ({day})"
    return f"a {day}"


def _holiday(model: EtaModel, spec: ServiceSpec, created: np.ndarray) -> np.ndarray:
    """True where the creation day is a public holiday of the service's own calendar."""
    from engine.promise.rules import open_days  # noqa: PLC0415

    cal = open_days(model, spec)
    if cal is None or not cal.country:
        return np.zeros(created.shape, dtype=bool)
    day = np.floor(local_seconds(created, model.tz) / 86400.0).astype(np.int64)
    return np.array([cal.is_holiday(int(d)) for d in day.tolist()], dtype=bool)


def reason_text(model: EtaModel, b: BatchQuote, i: int, k: int, created: float) -> str:
    """Why option ``k`` of row ``i`` is unavailable (or not nominal), with the figures that decide it (the real cut-off time)."""
    if b.available[i, k]:
        return late_text(model, b, i, k, created)
    code = R(int(b.reason[i, k]))
    spec = model.spec(b.keys[k])
    text = code.text
    if code == R.OFF_MAP and (model.city.area_polygon or model.city.area_radius_km > 0):
        return f"destination is outside the {area_text(model.city)}"
    if code == R.OUT_OF_AREA:
        return text + f" ({b.km[i]:.0f} km > {spec.max_km:.0f} km)"
    if code == R.TOO_HEAVY:
        return text + f" (max {spec.max_kg:g} kg)"
    if code == R.SLOT_PROBABILITY:
        return text + f" ({b.probability[i, k]:.3f})"
    if code == R.SLOT_FLEET_OFF and math.isfinite(float(b.window_start[i, k])):
        ws = float(b.window_start[i, k])
        day = math.floor(local_seconds_one(ws, model.tz) / 86400.0)
        holiday = " (a public holiday)" if day in model.city.closed_days else ""
        return f"the own fleet does not drive on {from_epoch(ws, model.tz):%a %d %b}{holiday}"
    if code in (R.SAME_DAY_CUTOFF, R.NEXT_DAY_CUTOFF):
        word = "same-day" if code == R.SAME_DAY_CUTOFF else "next-day"
        holiday = _new_holiday(model, spec, created, created)
        if holiday:
            return f"no {word} delivery on {holiday}, a public holiday it stops on"
        cut = b.cutoff_passed[i, k] if b.cutoff_passed is not None else math.nan
        if math.isfinite(cut):
            return text.replace("cut-off passed", f"cut-off {from_epoch(float(cut), model.tz):%H:%M} passed")
        return f"no {word} delivery for orders placed on {_day_text(model, spec, created)} (cannot promise it at the target probability)"
    return text


def reason_texts(model: EtaModel, b: BatchQuote, created: np.ndarray, as_json: bool = False) -> np.ndarray:
    """:func:`reason_text` of every ``(N, K)`` cell (None where available), each distinct case formatted once.

    ``as_json``: the JSON text of each (``null`` where available).
    """
    out = np.full(b.available.shape, "null" if as_json else None, dtype=object)
    said = ~b.available if b.nominal is None else ~b.available | ~b.nominal
    ii, kk = np.nonzero(said)
    if ii.shape[0] == 0:
        return out
    code = b.reason[ii, kk]
    late = b.available[ii, kk]
    cut = (code == R.SAME_DAY_CUTOFF) | (code == R.NEXT_DAY_CUTOFF) | late
    passed = b.cutoff_passed[ii, kk] if b.cutoff_passed is not None else np.full(ii.shape, np.nan)
    wday = (np.floor(local_seconds(created[ii], model.tz) / 86400.0).astype(np.int64) + 3) % 7
    for kx in np.unique(kk).tolist():  # a public holiday reads differently from its weekday
        if not model.spec(b.keys[kx]).holidays:
            continue
        on = kk == kx
        wday[on] += 7 * _holiday(model, model.spec(b.keys[kx]), created[ii[on]])
    # What the text depends on, per case; everything else zeroed so equal cases collapse.
    case = np.column_stack([
        kk, code,
        np.where(code == R.OUT_OF_AREA, np.round(b.km[ii]), 0.0),
        np.where(cut, np.nan_to_num(passed, nan=-1.0), 0.0),
        np.where(cut, wday, 0),
        np.where(code == R.SLOT_PROBABILITY, np.round(b.probability[ii, kk], 3), 0.0),
        # A non-nominal option's text names its promise (to the minute; all promises are rounded to 5).
        np.where(late, np.nan_to_num(b.promised[ii, kk], nan=-1.0), 0.0),
        np.where(late, b.promised[ii, kk] - created[ii] < _NEAR_S, False),  # how _arrival writes it
    ])
    _, first, inv = np.unique(case, axis=0, return_index=True, return_inverse=True)
    texts = []
    for f in first.tolist():
        t = reason_text(model, b, int(ii[f]), int(kk[f]), float(created[ii[f]]))
        texts.append(json.dumps(t) if as_json else t)
    out[ii, kk] = np.array(texts, dtype=object)[inv.ravel()]
    return out
