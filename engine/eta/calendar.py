"""Public holidays and make-up workdays as day labels, so the fit can give them their own tables.

A history's calendar is more than its weekdays: orders placed on (or just
before) a public holiday wait for the carriers to work again, and China
moves workdays onto weekends around Spring Festival and Golden Week.  These
are labelled like seasons (``holiday``, ``workday``): :func:`engine.eta.fit.fit`
keeps a separate table for a label only when the history holds enough rows
of it, else its rows pool into the carrier/service's main table, as before.
The calendar comes from the ``holidays`` package for a country code: the
catalogue's, or the one the time zone belongs to (tzdata's ``zone.tab``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from engine.eta._city import Seasons

__all__ = ["country_of_tz", "calendar_seasons", "HOLIDAY", "WORKDAY", "LEAD_DAYS"]

HOLIDAY, WORKDAY = "holiday", "workday"
#: Orders placed this many days before a holiday already meet it on their way (3: a
#: standard parcel takes up to three days; with 1 the days before a week-long
#: closure stayed in the all-year table and their tail pushed every promise later).
LEAD_DAYS = 3
_EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=None)
def _zone_tab() -> dict[str, str]:
    from importlib import resources  # noqa: PLC0415

    try:
        text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        try:
            with open("/usr/share/zoneinfo/zone.tab") as fh:
                text = fh.read()
        except OSError:
            return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                out[parts[2]] = parts[0]
    return out


def country_of_tz(tz: str) -> str:
    """ISO country code an IANA zone belongs to ("" when none or unknown to ``holidays``)."""
    cc = _zone_tab().get(tz, "")
    if not cc:
        return ""
    import holidays  # noqa: PLC0415

    return cc if cc in holidays.list_supported_countries() else ""


def calendar_seasons(country: str, years: range) -> Seasons:
    """``(("holiday", ranges), ("workday", ranges))`` of dated day ranges for ``country`` over ``years``.

    ``holiday``: public holidays (on any weekday) and the ``LEAD_DAYS``
    before each run of them; ``workday``: weekend days declared workdays
    (China's make-up days).  Empty for an unknown or empty country.
    """
    if not country:
        return ()
    import holidays  # noqa: PLC0415

    cal = holidays.country_holidays(country, years=list(years))
    days = set()
    for d in cal:
        for k in range(LEAD_DAYS + 1):
            days.add((d - timedelta(days=k) - _EPOCH).days)
    work = {(d - _EPOCH).days for d in getattr(cal, "weekend_workdays", set()) if d.year in years}
    days -= work
    out: list[tuple[str, tuple[tuple[int, ...], ...]]] = []
    for name, s in ((HOLIDAY, days), (WORKDAY, work)):
        if s:
            out.append((name, _runs(sorted(s))))
    return tuple(out)


def _runs(days: list[int]) -> tuple[tuple[int, int], ...]:
    runs = []
    a = b = days[0]
    for d in days[1:]:
        if d == b + 1:
            b = d
        else:
            runs.append((a, b))
            a = b = d
    runs.append((a, b))
    return tuple(runs)
