"""Which public holidays a region keeps: a calendar spec read into dates, and learnt from a history.

A country's national calendar is rarely the one its parcels keep.  São
Paulo stops on 9 July and on Corpus Christi, which Brazil's public calendar
lacks; Sydney on the King's Birthday and Labour Day of New South Wales.
A calendar spec names what the ``holidays`` package should read:

``CC``
    the country's public holidays (``BR``);
``CC-SUBDIV``
    with a subdivision's, as ``holidays`` spells it (``BR-SP``, ``AU-NSW``, ``US-CA``);
``...+Name+Name``
    and holidays of the calendar's other categories, by their English
    names (``BR-SP+Corpus Christi``: optional in Brazil, kept in São Paulo).

:func:`learn_calendar` picks the spec a history keeps: the subdivision
whose own holidays it stopped on, every one of them, and the other
categories' holidays it stopped on too.  Day numbers are local days since
1970-01-01 (a Thursday: ``(d + 3) % 7`` is the weekday, Monday 0).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Iterable

import numpy as np

from engine.errors import InputError

__all__ = ["CalendarSpec", "parse_calendar", "country_calendar", "holiday_name", "learn_calendar", "STOP_SHARE"]

_EPOCH = date(1970, 1, 1)

#: China's substituted rest days ("Day off (substituted from ...)") and Japan's or Korea's substitute holidays
#: name no holiday of their own: they belong to the break they extend.
_GENERIC = ("day off", "substitute")

#: A day is kept as a holiday when it delivered under this share of an ordinary day's parcels of its weekday.
STOP_SHARE = 0.5
#: ... and an ordinary day of its weekday delivers at least this many (a quiet Sunday tells nothing).
MIN_PARCELS = 30.0
#: A subdivision is kept on at least this many of its own holidays, all stopped: among fifty states, one
#: whose single holiday in the history fell on a stormy day would otherwise be kept by chance.
MIN_SUBDIV_DAYS = 2


def holiday_name(name: str) -> str:
    """The holiday a calendar entry belongs to: "Tomb-Sweeping Day (observed)" is "Tomb-Sweeping Day"; "" for a
    substituted day off, which names none of its own."""
    n = name.lower()
    return "" if any(n.startswith(g) for g in _GENERIC) else name.split("(", 1)[0].strip()


class CalendarSpec(tuple):
    """``(country, subdivision or "", extra holiday names)``, parsed from ``CC[-SUBDIV][+Name...]``."""

    __slots__ = ()

    def __new__(cls, country: str, subdiv: str = "", extra: tuple[str, ...] = ()) -> "CalendarSpec":
        return super().__new__(cls, (country, subdiv, tuple(extra)))

    @property
    def country(self) -> str:
        return self[0]

    @property
    def subdiv(self) -> str:
        return self[1]

    @property
    def extra(self) -> tuple[str, ...]:
        return self[2]

    def __str__(self) -> str:
        head = f"{self.country}-{self.subdiv}" if self.subdiv else self.country
        return "+".join((head, *self.extra))


@lru_cache(maxsize=64)
def parse_calendar(spec: str, field: str = "holidays") -> CalendarSpec:
    """The :class:`CalendarSpec` of ``spec``; an ``InputError`` naming ``field`` when ``holidays`` knows no such calendar."""
    import holidays  # noqa: PLC0415 - only calendars need it

    head, *extra = [p.strip() for p in str(spec).split("+")]
    country, _, subdiv = head.partition("-")
    country, subdiv = country.strip().upper(), subdiv.strip()
    if country not in holidays.list_supported_countries():
        raise InputError(f"{field} = {spec!r}: {country!r} is not a country code the holidays package knows (e.g. CN, FI, US)", field=field)
    if subdiv:
        known = {s.upper(): s for s in holidays.country_holidays(country).subdivisions}
        if subdiv.upper() not in known:
            raise InputError(f"{field} = {spec!r}: {country} has no subdivision {subdiv!r} (one of {', '.join(sorted(known)[:12])}"
                             + (", ..." if len(known) > 12 else "") + ")", field=field)
        subdiv = known[subdiv.upper()]
    if any(not e for e in extra):
        raise InputError(f"{field} = {spec!r}: an empty holiday name after '+'", field=field)
    return CalendarSpec(country, subdiv, tuple(extra))


@lru_cache(maxsize=128)
def _calendar(spec: str, years: tuple[int, ...], language: str | None) -> Any:
    import holidays  # noqa: PLC0415

    s = parse_calendar(spec)
    cal = holidays.country_holidays(s.country, subdiv=s.subdiv or None, years=list(years), language=language, expand=False)
    if s.extra:
        want = set(s.extra)
        for d, name in sorted(_other_categories(s.country, s.subdiv, years).items()):
            if {holiday_name(n) for n in name.split("; ")} & want:
                cal[d] = name
    return cal


def _other_categories(country: str, subdiv: str, years: Iterable[int]) -> Any:
    """The holidays of ``country``'s categories other than its public one, named in English."""
    import holidays  # noqa: PLC0415

    cls = holidays.country_holidays(country)
    cats = tuple(c for c in getattr(cls, "supported_categories", ()) if c != holidays.PUBLIC)
    if not cats:
        return {}
    return holidays.country_holidays(country, subdiv=subdiv or None, years=list(years), categories=cats, language="en_US")


def country_calendar(spec: str, years: Iterable[int], language: str | None = None) -> Any:
    """The ``holidays`` calendar of ``spec`` over ``years`` (a mapping of dates to names, with the country's
    ``weekend`` and ``weekend_workdays``); shared and cached, so callers must not change it."""
    return _calendar(spec, tuple(years), language)


def _day(d: date) -> int:
    return (d - _EPOCH).days


def learn_calendar(country: str, delivered_day: np.ndarray, first_day: int, last_day: int) -> tuple[str, dict[str, Any]]:
    """The calendar spec a history keeps, and why.

    Parameters
    ----------
    country : str
        The country code the region's time zone belongs to ("" for none).
    delivered_day : numpy.ndarray
        The local day number of each delivery in the history.
    first_day, last_day : int
        The local days of its first and last orders.

    Returns
    -------
    tuple of (str, dict)
        ``country`` itself, or with the subdivision whose own public
        holidays in the history all stopped deliveries, at least
        :data:`MIN_SUBDIV_DAYS` (the one with most of them; the first
        alphabetically among equals), plus each holiday
        of the other categories that stopped them on every date the
        history holds.  A day's share is its deliveries over the median of
        its weekday's ordinary days within five weeks (at least
        :data:`MIN_PARCELS`; the country's weekend is not judged).  Only a
        history whose national holidays cut the day to at most
        :data:`STOP_SHARE` + 0.1 (median) learns anything; a day stopped
        when its share is under the midpoint between that median and 1
        (at most 0.75).  The dict says what was weighed.
    """
    why: dict[str, Any] = {"calendar": country or None}
    if not country:
        return country, why
    import holidays  # noqa: PLC0415

    # Days whose deliveries the history holds in full.
    lo, hi = int(first_day) + 3, int(last_day) - 7
    if hi - lo < 28 or len(delivered_day) == 0:
        return country, why
    span = np.arange(lo, hi + 1)
    d = np.asarray(delivered_day, dtype=np.int64)
    per_day = np.bincount(d[(d >= lo) & (d <= hi)] - lo, minlength=span.size).astype(np.float64)
    years = tuple(range((_EPOCH + timedelta(days=lo)).year, (_EPOCH + timedelta(days=hi)).year + 1))
    base = {_day(x) for x in country_calendar(country, years)}
    subdivs = sorted(holidays.country_holidays(country).subdivisions)
    sub_days = {s: {_day(x) for x in country_calendar(f"{country}-{s}", years)} for s in subdivs}
    others = _other_categories(country, "", years)
    other_days = {_day(x) for x in others}
    # Ordinary days: no holiday of any subdivision or category; the median of a weekday's within five weeks.
    unusual = base | other_days | set().union(*sub_days.values())
    ordinary = ~np.isin(span, list(unusual))
    wd = (span + 3) % 7
    # A holiday on the country's weekend says nothing of whether its parcels stop on holidays.
    weekend = frozenset(getattr(country_calendar(country, years), "weekend", (5, 6)))

    def share(day: int) -> float | None:
        """``day``'s deliveries over an ordinary day's of its weekday; None when the history cannot tell."""
        if not lo <= day <= hi or (day + 3) % 7 in weekend:
            return None
        i = day - lo
        near = ordinary & (wd == wd[i]) & (np.abs(span - day) <= 35)
        if near.sum() < 3:
            return None
        usual = float(np.median(per_day[near]))
        return float(per_day[i] / usual) if usual >= MIN_PARCELS else None

    # How far the region's own public holidays cut a day: a history whose parcels do not stop on them
    # (each carrier keeps its own few) learns nothing here; one whose lockers run through them stops at
    # half a day, not nothing, and a state holiday is judged by that.
    ref = [x for x in (share(x) for x in sorted(base)) if x is not None]
    why["national_holiday_share"] = round(float(np.median(ref)), 3) if ref else None
    if len(ref) < 2 or float(np.median(ref)) > STOP_SHARE + 0.1:
        return country, why
    cut = min((float(np.median(ref)) + 1.0) / 2.0, 0.75)

    def stopped(day: int) -> bool | None:
        x = share(day)
        return None if x is None else x < cut

    best, best_n = "", 0
    for s in subdivs:
        own = [x for x in sorted(sub_days[s] - base) if stopped(x) is not None]
        # A subdivision without some national holiday the history stopped on is not this one.
        lost = [x for x in base - sub_days[s] if stopped(x)]
        if len(own) >= MIN_SUBDIV_DAYS and not lost and all(stopped(x) for x in own) and len(own) > best_n:
            best, best_n = s, len(own)
    if best:
        why["subdivision"] = {"name": best, "holidays_stopped": best_n}
    kept_days = base | (sub_days[best] if best else set())
    others = _other_categories(country, best, years) if best else others
    by_name: dict[str, list[int]] = {}
    for x, names in others.items():
        for n in {holiday_name(n) for n in names.split("; ")} - {""}:
            by_name.setdefault(n, []).append(_day(x))
    extra = []
    for n, days in sorted(by_name.items()):
        seen = [stopped(x) for x in days if x not in kept_days]
        seen = [x for x in seen if x is not None]
        if seen and all(seen) and "+" not in n:
            extra.append(n)
    if extra:
        why["other_holidays_stopped"] = extra
    spec = str(CalendarSpec(country, best, tuple(extra)))
    why["calendar"] = spec
    return spec, why
