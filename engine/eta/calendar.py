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
from typing import Sequence

import numpy as np

from engine.eta._city import Seasons

__all__ = ["country_of_tz", "calendar_seasons", "OpenDays", "HOLIDAY", "WORKDAY", "LEAD_DAYS"]

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


#: A cut-off of this many seconds after midnight means "none that day".
NO_CUTOFF = 86400.0


class OpenDays:
    """One service's order-taking calendar: per local day number, its cut-off and the next day it takes orders.

    An order created on an open day before that day's cut-off is taken that
    day; any other (after the cut-off, on a weekday the service does not
    work, on a public holiday of ``country``) waits for the next open day.
    China's make-up workdays (weekend days declared workdays) are open, with
    the earliest cut-off of the service's weekdays.  Days are computed a few
    years at a time, on first use.

    Parameters
    ----------
    weekdays
        Open weekdays (Mon = 0); empty: every day.
    cutoffs
        Seven cut-offs (seconds after local midnight, :data:`NO_CUTOFF` for
        none that day); empty: none.
    country
        Country code of the ``holidays`` package; "" for none.
    """

    def __init__(self, weekdays: Sequence[int], cutoffs: Sequence[float], country: str) -> None:
        self.weekdays = tuple(sorted(set(weekdays))) if weekdays else tuple(range(7))
        self.cutoffs = tuple(float(c) for c in cutoffs) if cutoffs else (NO_CUTOFF,) * 7
        self.country = country
        self.lo = self.hi = 0
        self.cut = np.empty(0)
        self.nxt = np.empty(0, dtype=np.int64)
        self.cut_list: list[float] = []
        self.nxt_list: list[int] = []
        self.holiday_list: list[bool] = []

    def _ensure(self, d0: int, d1: int) -> None:
        """Cover local days ``d0..d1`` (and a year either side)."""
        if self.lo <= d0 and d1 < self.hi - 40:
            return
        y0 = (_EPOCH + timedelta(days=int(min(d0, self.lo if self.hi else d0)))).year - 1
        y1 = (_EPOCH + timedelta(days=int(max(d1, self.hi - 1 if self.hi else d1)))).year + 1
        lo, hi = (date(y0, 1, 1) - _EPOCH).days, (date(y1 + 1, 1, 1) - _EPOCH).days
        days = np.arange(lo, hi)
        wd = (days + 3) % 7
        open_ = np.isin(wd, self.weekdays)
        cut = np.asarray(self.cutoffs)[wd]
        hol = np.zeros(days.shape, dtype=bool)
        if self.country:
            import holidays  # noqa: PLC0415

            cal = holidays.country_holidays(self.country, years=list(range(y0, y1 + 1)))
            hol = np.isin(days, [(d - _EPOCH).days for d in cal])
            work = np.isin(days, [(d - _EPOCH).days for d in getattr(cal, "weekend_workdays", set())])
            open_ &= ~hol
            if work.any():
                open_ |= work
                cut = np.where(work & ~np.isin(wd, self.weekdays), min(self.cutoffs[w] for w in self.weekdays), cut)
        cut = np.where(open_, cut, -1.0)
        # Next open day strictly after each day (the span's end when none: a closure longer than the span cannot be).
        idx = np.where(open_, days, hi)
        after = np.minimum.accumulate(idx[::-1])[::-1]
        nxt = np.append(after[1:], hi)
        self.lo, self.hi, self.cut, self.nxt = lo, hi, cut, nxt.astype(np.int64)
        self.cut_list, self.nxt_list, self.holiday_list = cut.tolist(), self.nxt.tolist(), hol.tolist()

    def cutoff_of(self, day: np.ndarray) -> np.ndarray:
        """Cut-off (s after local midnight) of each local day number; -1 where the service takes no orders."""
        day = np.asarray(day, dtype=np.int64)
        self._ensure(int(day.min()), int(day.max()))
        return self.cut[day - self.lo]

    def next_open(self, day: np.ndarray) -> np.ndarray:
        """The next local day number after each ``day`` on which the service takes orders."""
        day = np.asarray(day, dtype=np.int64)
        self._ensure(int(day.min()), int(day.max()))
        return self.nxt[day - self.lo]

    def one(self, day: int) -> tuple[float, int]:
        """Scalar ``(cutoff_of(day), next_open(day))``."""
        if not (self.lo <= day < self.hi - 40):
            self._ensure(day, day)
        i = day - self.lo
        return self.cut_list[i], self.nxt_list[i]

    def is_holiday(self, day: int) -> bool:
        """True on a public holiday of the service's country."""
        self._ensure(day, day)
        return self.holiday_list[day - self.lo]
