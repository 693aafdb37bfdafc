"""Public holidays and make-up workdays as day labels, so the fit can give them their own tables.

A history's calendar is more than its weekdays: orders placed on (or just
before) a public holiday wait for the carriers to work again, and China
moves workdays onto weekends around Spring Festival and Golden Week.  These
are labelled like seasons (``holiday``, ``workday``): :func:`engine.eta.fit.fit`
keeps a separate table for a label only when the history holds enough rows
of it, else its rows pool into the carrier/service's main table, as before.
The calendar comes from the ``holidays`` package for a calendar spec
(:mod:`engine.eta.observance`: a country, a subdivision, holidays of other
categories): the catalogue's, or the one the time zone belongs to (tzdata's
``zone.tab``) with what the history shows its parcels keep.
Without a catalogue, peak seasons are learnt from the history itself
(:func:`learn_seasons`): slow periods, anchored to the holiday they surround.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Sequence

import numpy as np

from engine.eta._city import Seasons
from engine.eta.observance import country_calendar, holiday_name

__all__ = ["country_of_tz", "calendar_seasons", "holiday_breaks", "holiday_name", "holiday_day_numbers", "new_holidays", "seen_break_days", "learn_seasons", "OpenDays", "HOLIDAY", "WORKDAY",
           "LEAD_DAYS"]

HOLIDAY, WORKDAY = "holiday", "workday"
#: Names of seasons learnt from a history's slow periods start with this (``slow-diwali``).
LEARNT_PREFIX = "slow-"
#: Orders placed this many days before a holiday already meet it on their way (3: a
#: standard parcel takes up to three days; with 1 the days before a week-long
#: closure stayed in the all-year table and their tail pushed every promise later).
LEAD_DAYS = 3
_EPOCH = date(1970, 1, 1)


def _tz_file(name: str) -> bytes | None:
    """A file of the IANA time-zone database (a zone's TZif file, ``zone.tab``), from the
    ``tzdata`` package or else the system's zoneinfo; None when absent."""
    from importlib import resources  # noqa: PLC0415
    import zoneinfo  # noqa: PLC0415

    if not name or name.startswith("/") or ".." in name:
        return None
    try:
        return resources.files("tzdata").joinpath("zoneinfo", *name.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    for base in zoneinfo.TZPATH:
        try:
            with open(f"{base}/{name}", "rb") as fh:
                return fh.read()
        except OSError:
            continue
    return None


@lru_cache(maxsize=None)
def _zone_tab() -> dict[str, str]:
    raw = _tz_file("zone.tab")
    if raw is None:
        return {}
    text = raw.decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                out[parts[2]] = parts[0]
    return out


@lru_cache(maxsize=None)
def _zone_by_bytes() -> dict[bytes, str]:
    out: dict[bytes, str] = {}
    for zone in _zone_tab():
        b = _tz_file(zone)
        if b is not None:
            out.setdefault(b, zone)
    return out


@lru_cache(maxsize=256)
def _country_code(tz: str) -> str:
    """Country code of ``tz`` in ``zone.tab``; a link name (``Asia/Calcutta``, ``US/Eastern``,
    ``PRC``: still common in configuration files) through the zone it links to."""
    tab = _zone_tab()
    if tz in tab:
        return tab[tz]
    b = _tz_file(tz)
    # a link's file is its target's, byte for byte
    return tab.get(_zone_by_bytes().get(b, ""), "") if b is not None else ""


def country_of_tz(tz: str) -> str:
    """ISO country code an IANA zone belongs to ("" when none or unknown to ``holidays``)."""
    cc = _country_code(tz)
    if not cc:
        return ""
    import holidays  # noqa: PLC0415

    return cc if cc in holidays.list_supported_countries() else ""


def currency_of_tz(tz: str) -> str:
    """ISO 4217 code of the money used where an IANA zone is ("" when unknown)."""
    cc = _country_code(tz)
    if not cc:
        return ""
    from babel.numbers import get_territory_currencies  # noqa: PLC0415

    try:
        cur = get_territory_currencies(cc, tender=True)
    except Exception:  # noqa: BLE001 - babel raises for territories it lacks
        return ""
    return cur[0] if cur else ""


def calendar_seasons(country: str, years: range) -> Seasons:
    """``(("holiday", ranges), ("workday", ranges))`` of dated day ranges for ``country`` over ``years``.

    ``holiday``: public holidays (on any weekday) and the ``LEAD_DAYS``
    before each run of them; ``workday``: weekend days declared workdays
    (China's make-up days).  Empty for an unknown or empty country.
    """
    if not country:
        return ()
    cal = country_calendar(country, years)
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


def holiday_day_numbers(country: str, years: range) -> np.ndarray:
    """Sorted local day numbers (days since 1970-01-01) of ``country``'s public holidays over ``years``; empty for none."""
    if not country:
        return np.empty(0, dtype=np.int64)
    return np.array(sorted((d - _EPOCH).days for d in country_calendar(country, years)), dtype=np.int64)


def holiday_breaks(country: str, years: range) -> list[tuple[tuple[int, ...], frozenset[str]]]:
    """The public-holiday breaks of ``country`` over ``years``: ``(local day numbers, holiday names)`` each.

    A break is a run of holidays with nothing but a weekend between them
    (China's Spring Festival week with its substituted days off, the 4th of
    July with its observed Friday), weekend days included, the weekend being
    the country's own (Friday-Saturday in Israel and Saudi Arabia, Friday
    alone in Iran; ``holidays`` knows each); its names are its
    holidays' (observed and substituted days belong to the holiday they
    stand for).  Empty for an unknown or empty country.
    """
    if not country:
        return []
    cal = country_calendar(country, years, language="en_US")
    weekend = frozenset(getattr(cal, "weekend", (5, 6)))
    dated = sorted(((d - _EPOCH).days, {holiday_name(n) for n in cal.get_list(d)} - {""}) for d in cal)
    breaks: list[tuple[list[int], set[str]]] = []
    for day, names in dated:
        # Day number 0 (1970-01-01) was a Thursday: (x + 3) % 7 is the weekday, Monday 0.
        if breaks and all((x + 3) % 7 in weekend for x in range(breaks[-1][0][-1] + 1, day)):
            prev = breaks[-1][0]
            prev.extend(range(prev[-1] + 1, day + 1))
            breaks[-1][1].update(names)
        else:
            breaks.append(([day], set(names)))
    return [(tuple(d), frozenset(n)) for d, n in breaks]


def new_holidays(country: str, first_day: int, last_day: int, years_after: int = 3) -> tuple[int, ...]:
    """Local day numbers of the breaks (``holiday_breaks``) a history of days ``first_day..last_day`` never saw.

    A break is seen when each of its holidays had a break inside the
    history's days, whatever the year: a history from February to April
    has seen Tomb-Sweeping Day, not National Day; one that saw Mid-Autumn
    alone has not seen the week when National Day falls next to it.
    Breaks of the history's years and ``years_after`` more are returned.
    """
    if not country:
        return ()
    y0 = (_EPOCH + timedelta(days=int(first_day))).year
    y1 = (_EPOCH + timedelta(days=int(last_day))).year
    breaks = holiday_breaks(country, range(y0, y1 + years_after + 1))
    seen: set[str] = set()
    for days, names in breaks:
        if days[-1] >= first_day and days[0] <= last_day:
            seen |= names
    return tuple(d for days, names in breaks if names and not names <= seen for d in days if not first_day <= d <= last_day)


def seen_break_days(country: str, first_day: int, last_day: int) -> int:
    """Days of the longest public-holiday break (``holiday_breaks``) wholly inside a history of days ``first_day..last_day``.

    A holiday table learnt from that history holds breaks up to this long;
    a longer one it never saw owes the difference (``rules.holiday_days``).
    """
    if not country:
        return 0
    y0 = (_EPOCH + timedelta(days=int(first_day))).year
    y1 = (_EPOCH + timedelta(days=int(last_day))).year
    inside = [len(days) for days, names in holiday_breaks(country, range(y0, y1 + 1)) if names and first_day <= days[0] and days[-1] <= last_day]
    return max(inside, default=0)


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
            cal = country_calendar(self.country, range(y0, y1 + 1))
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


#: A creation day is slow when this share of its rows (7-day window) took longer than their service's p90 (2.5x the usual 10%).
SLOW_SHARE = 0.25
#: A slow period needs this many days in a row and this many rows to become a season.
SLOW_MIN_DAYS, SLOW_MIN_ROWS = 7, 300
#: A slow run the history's first or last day cuts short needs only this many days, when the holiday or
#: shopping festival it is anchored to lies inside it: its length is not seen, its cause is.  A 60-day
#: history ending two days after Double 11 (Chengdu, benchmarks/RESULTS.md) held its backlog's first four
#: days, and without a season of their own they lengthened every ordinary promise of the month after.  (The
#: week's window is cut at the edges too, so a two-day spell there can look four days long: without its
#: cause inside it, it is not a season.)
SLOW_MIN_EDGE_DAYS = 4
#: How far (days) from a slow period a public holiday may be to anchor it.
ANCHOR_DAYS = 45
#: How far (days) from a slow period a shopping festival's day may be to anchor it.  A
#: festival this close wins over a public holiday outside the period: Double 11's backlog
#: (Nov 8-14) sat 33 days after Mid-Autumn, whose lunar date would have moved it to late
#: October the next year.  Of the anchors inside a period, the one nearest its middle wins
#: (a month of festive sale and Diwali backlog that also holds Nov 11 stays Diwali's).
SALE_DAYS_NEAR = 3
#: Other public holidays inside a slow period and this close (days) to its anchor are part of its cause: unless
#: one of them comes with the anchor every year (a holiday of several days), the season recurs only in years
#: where they fall inside it again.  São Paulo's 2025 Easter backlog held Good
#: Friday and Tiradentes three days apart; in 2026 they are 18 days apart and Easter week was ordinary, yet a
#: season anchored on Good Friday alone promised it at twice the usual lead (benchmarks/RESULTS.md).  Jakarta's
#: Isra' Mi'raj and Lunar New Year did the same.
CO_ANCHOR_DAYS = 7


def _sale_days(years: list[int]) -> dict[str, list[int]]:
    """Local day numbers of the shopping festivals that slow deliveries wherever they are run:
    fixed-date ones (618, Double 11, Double 12) and Black Friday (the day after the fourth
    Thursday of November).  Only used to anchor a slow period the history shows, never to
    assume one."""
    out: dict[str, list[int]] = {"618": [], "Double 11": [], "Double 12": [], "Black Friday": []}
    for y in years:
        out["618"].append((date(y, 6, 18) - _EPOCH).days)
        out["Double 11"].append((date(y, 11, 11) - _EPOCH).days)
        out["Double 12"].append((date(y, 12, 12) - _EPOCH).days)
        first = date(y, 11, 1)
        thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
        out["Black Friday"].append((thursday + timedelta(days=1) - _EPOCH).days)
    return out


def _holiday_names(country: str, years: list[int]) -> dict[str, list[int]]:
    """First local day number of each named public holiday per year (name without "(estimated)"/"(observed)")."""
    out: dict[str, list[int]] = {}
    for d, names in sorted(country_calendar(country, years).items()):
        for n in str(names).split(";"):
            n = n.replace("(estimated)", "").replace("(observed)", "").strip()
            if not n or n.lower().startswith("day off"):
                continue
            days = out.setdefault(n, [])
            k = (d - _EPOCH).days
            if not days or k - days[-1] > 60:  # a multi-day holiday counts from its first day
                days.append(k)
    return out


def learn_seasons(
    key: np.ndarray, created_day: np.ndarray, lead: np.ndarray, country: str, years: range,
) -> tuple[Seasons, list[dict]]:
    """Slow periods of a history as seasons, anchored to the public holiday they surround so they move with it.

    A creation day is slow when, over the week around it, at least
    :data:`SLOW_SHARE` of the orders took longer than their carrier/service's
    90th percentile; :data:`SLOW_MIN_DAYS` slow days in a row with
    :data:`SLOW_MIN_ROWS` orders make a period (a festive sale and its
    backlog, Spring Festival); :data:`SLOW_MIN_EDGE_DAYS` for a run the
    history's first or last day cuts short, with its anchor inside it.  Anchored to the public holiday of ``country``
    or shopping festival (Double 11, 618, Double 12, Black Friday) inside the
    period that it is centred on; else to a festival within
    :data:`SALE_DAYS_NEAR` days; else to the nearest holiday within
    :data:`ANCHOR_DAYS` (Diwali moves by weeks from year to year; the season
    moves with it); else to its calendar dates (every year).  Returns the seasons (dated day ranges for ``years``) and what was
    learnt, for the model's ``meta``.
    """
    if created_day.shape[0] == 0:
        return (), []
    ex = np.zeros(lead.shape, dtype=bool)
    for k in np.unique(key):
        m = key == k
        ex[m] = lead[m] > np.quantile(lead[m], 0.9)
    d0 = int(created_day.min())
    n = int(created_day.max()) - d0 + 1
    tot = np.bincount(created_day - d0, minlength=n).astype(np.float64)
    hit = np.bincount(created_day - d0, weights=ex.astype(np.float64), minlength=n)
    w = np.ones(7)
    share = np.convolve(hit, w, "same") / np.maximum(np.convolve(tot, w, "same"), 1.0)
    slow = (share >= SLOW_SHARE) & (tot > 0)
    runs: list[tuple[int, int, bool]] = []  # (first day, last day, cut short by an edge)
    i = 0
    while i < n:
        if slow[i]:
            j = i
            while j + 1 < n and slow[j + 1]:
                j += 1
            short = (i == 0 or j == n - 1) and j - i + 1 < SLOW_MIN_DAYS
            if j - i + 1 >= (SLOW_MIN_EDGE_DAYS if short else SLOW_MIN_DAYS) and tot[i : j + 1].sum() >= SLOW_MIN_ROWS:
                runs.append((d0 + i, d0 + j, short))
            i = j + 1
        else:
            i += 1
    if not runs:
        return (), []
    yrs = list(years)
    anchor_years = sorted(set(yrs) | {yrs[0] - 1})
    names = _holiday_names(country, anchor_years) if country else {}
    # A neighbour of the last year's anchor may fall in the year after (New Year's Day after Christmas).
    around = _holiday_names(country, [*anchor_years, anchor_years[-1] + 1]) if country else {}
    sales = _sale_days(anchor_years)
    seasons: list[tuple[str, tuple[tuple[int, ...], ...]]] = []
    info: list[dict] = []
    for a, b, short in runs:
        # Anchors inside the period first, the one it is centred on (Diwali inside a month-long
        # festive period that also holds Nov 11); then a festival just outside; then a holiday.
        best: tuple[tuple[int, float], str, list[int], int] | None = None
        for pool, near, rank in ((sales, SALE_DAYS_NEAR, 1), (names, ANCHOR_DAYS, 2)):
            for name, days in pool.items():
                for h in days:
                    gap = min(abs(h - a), abs(h - b))
                    if a <= h <= b:
                        order = (0, abs(2 * h - a - b) / (b - a + 1))
                    elif gap <= near:
                        order = (rank, float(gap))
                    else:
                        continue
                    if best is None or order < best[0]:
                        best = (order, name, days, h)
        if short and (best is None or best[0][0] != 0):
            continue  # an edge run too short to stand on its own, with no holiday or festival inside it
        fa, fb = _EPOCH + timedelta(days=a), _EPOCH + timedelta(days=b)
        if best is not None:
            _, name, days, h = best
            co = sorted({n2 for n2, ds in names.items() if n2 != name and any(a <= d <= b and abs(d - h) <= CO_ANCHOR_DAYS for d in ds)})

            def inside(x: int, n2: str) -> bool:
                return any(x + a - h <= d <= x + b - h for d in around.get(n2, ()))

            # A neighbour inside every year is the anchor's own block (Eid's second day, New Year's Eve before
            # Spring Festival, New Year after Christmas): a holiday of several days explains a slow week by
            # itself, whatever else drifts past it (Nyepi beside Lebaran).  A single day does so only with the
            # neighbours it had: those years alone (the history's own year always qualifies).
            block = any(all(inside(x, n2) for x in days) for n2 in co)
            co = [] if block else co
            ranges = tuple((x + a - h, x + b - h) for x in days if all(inside(x, n2) for n2 in co))
            label = LEARNT_PREFIX + "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
            if any(label == s[0] for s in seasons):  # a second period by the same anchor
                label += f"_{fa:%m%d}"
            info.append({"season": label, "from": fa.isoformat(), "to": fb.isoformat(), "anchor": name, "offset_days": [a - h, b - h]}
                        | ({"with": co, "recurs": [(_EPOCH + timedelta(days=r[0])).isoformat() for r in ranges]} if co else {}))
        else:
            ranges = ((fa.month, fa.day, fb.month, fb.day),)
            label = f"{LEARNT_PREFIX}{fa:%m%d}"
            info.append({"season": label, "from": fa.isoformat(), "to": fb.isoformat(), "anchor": None})
        seasons.append((label, ranges))
    return tuple(seasons), info
