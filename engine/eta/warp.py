"""Public holidays taken out of a history's times, for the carrier/services that stop on them.

A carrier/service the history shows idle on every public holiday
(:func:`holiday_idle`) delivers a parcel that waited through
``k`` holidays ``k`` of its delivering days later than on an ordinary
week.  Its holiday rows are few and each holiday falls on another weekday
and at another distance from the order, so a holiday table learnt from
them mixes a Monday break with a Friday one and promises both the longer.
Warping moves each such parcel back by the holidays it waited through;
its ordinary tables then learn from every row, and at quote time
``engine.promise.rules.holiday_days`` moves each promise on past the
holidays between its order and its day: this module is that walk's inverse.

Day numbers are local days since 1970-01-01 (a Thursday: ``(d + 3) % 7`` is
the weekday, Monday 0), as everywhere in ``engine.eta``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from engine.eta._city import OWN_FLEET, City
from engine.eta._time import local_seconds, local_to_epoch, weekday_hour
from engine.eta.calendar import holiday_day_numbers
from engine.eta.observance import country_calendar, holiday_name

__all__ = ["fleet_closed_days", "holiday_idle", "holiday_stops", "warp_days", "warp_holidays", "IDLE_SHARE", "IDLE_MIN_PARCELS"]


def fleet_closed_days(frame: pd.DataFrame, city: City, tz: ZoneInfo) -> tuple[int, ...]:
    """Public holidays (history years and three after) on which the own fleet is idle in the history, else ``()``.

    Idle: on the holidays the history covers it delivered under a fifth of an ordinary day's parcels.
    """
    if not city.holidays:
        return city.closed_days
    own = frame[frame["carrier"] == OWN_FLEET]
    if len(own) == 0:
        return city.closed_days
    _, _, dday = weekday_hour(own["delivered"].to_numpy(), tz)
    y0 = datetime.fromtimestamp(float(frame["created"].min()), tz).year
    y1 = datetime.fromtimestamp(float(frame["created"].max()), tz).year
    hol = holiday_day_numbers(city.holidays, range(y0, y1 + 4))
    span = np.arange(dday.min(), dday.max() + 1)
    per_day = np.bincount(dday - span[0], minlength=span.shape[0])
    on = np.isin(span, hol)
    if on.sum() < 2 or (~on).sum() < 7:
        return city.closed_days
    idle = per_day[on].mean() < 0.2 * per_day[~on].mean()
    return tuple(int(x) for x in hol) if idle else ()


#: A carrier/service is idle on public holidays when it delivered under this share of an ordinary day's parcels on them.
IDLE_SHARE = 0.5
#: ... and an ordinary day's parcels on those holidays' weekdays add up to at least this many.
IDLE_MIN_PARCELS = 20.0


def holiday_idle(frame: pd.DataFrame, city: City, tz: ZoneInfo, cday: np.ndarray) -> tuple[str, ...]:
    """The carrier/services idle on every public holiday the history covers, at least two (sorted keys).

    Each is compared on its own delivering weekdays: its parcels on each
    holiday against an ordinary day of the same weekday.  A service with
    fewer than two holidays on those weekdays in the history is not listed
    (too little was seen to say it keeps the whole calendar).  ``cday``: each row's local creation day.
    """
    if not city.holidays or len(frame) == 0:
        return ()
    full = _full_days(frame, tz, cday)
    if full is None:
        return ()
    lo, hi, dday, base = full
    y0, y1 = (datetime(1970, 1, 1) + pd.Timedelta(days=lo)).year, (datetime(1970, 1, 1) + pd.Timedelta(days=hi)).year
    hol = holiday_day_numbers(city.holidays, range(y0, y1 + 1))
    wd = (np.arange(lo, hi + 1) + 3) % 7
    is_hol = np.isin(np.arange(lo, hi + 1), hol)
    out = []
    for k in sorted(set(base.tolist())):
        per_day, works, usual, by_wd = _by_weekday(dday[base == k], lo, hi, hol)
        on = is_hol & works
        expect = by_wd[wd[on]]
        # Idle on every one of at least two holidays (a carrier that keeps some holidays and works others keeps
        # only its own: UPS stops on Memorial Day, not on Juneteenth), with IDLE_MIN_PARCELS expected on them
        # (a service of a parcel a day misses one by chance).
        if (on.sum() >= 2 and usual.sum() >= 7 and np.isfinite(expect).all() and expect.sum() >= IDLE_MIN_PARCELS
                and np.all(per_day[on] < IDLE_SHARE * expect)):
            out.append(k)
    return tuple(out)


def holiday_stops(frame: pd.DataFrame, city: City, tz: ZoneInfo, cday: np.ndarray, skip: tuple[str, ...],
                  years_after: int = 3) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Carrier/services (not in ``skip``) idle on some public holidays, by name: ``(key, their local day numbers)``.

    An own fleet that drives on most holidays at reduced capacity and stops
    on Chuseok is not idle on every holiday (:func:`holiday_idle`), yet no
    promise may land on Chuseok.  A holiday name is kept for a service when,
    on every date of it the history holds on the service's delivering
    weekdays, it delivered under :data:`IDLE_SHARE` of an ordinary day of
    that weekday, and those dates expected :data:`IDLE_MIN_PARCELS` in all.
    The days returned are that name's dates over the history's years and
    ``years_after`` more.
    """
    if not city.holidays or len(frame) == 0:
        return ()
    full = _full_days(frame, tz, cday)
    if full is None:
        return ()
    lo, hi, dday, base = full
    y0 = (datetime(1970, 1, 1) + pd.Timedelta(days=lo)).year
    y1 = (datetime(1970, 1, 1) + pd.Timedelta(days=hi)).year
    names_of: dict[int, set[str]] = {}
    for d, names in country_calendar(city.holidays, range(y0, y1 + 1 + years_after)).items():
        names_of[(d - datetime(1970, 1, 1).date()).days] = {n for n in (holiday_name(x) for x in str(names).split(";")) if n}
    hol = np.array(sorted(k for k, v in names_of.items() if v and lo <= k <= hi), dtype=np.int64)
    if hol.size == 0:
        return ()
    out = []
    for k in sorted(set(base.tolist()) - set(skip)):
        per_day, works, usual, by_wd = _by_weekday(dday[base == k], lo, hi, hol)
        if usual.sum() < 7:
            continue
        stopped: dict[str, bool] = {}
        expected: dict[str, float] = {}
        for h in hol.tolist():
            e = by_wd[(h + 3) % 7]
            if not works[h - lo] or not np.isfinite(e):
                continue
            for n in names_of[h]:
                stopped[n] = stopped.get(n, True) and per_day[h - lo] < IDLE_SHARE * e
                expected[n] = expected.get(n, 0.0) + e
        kept = {n for n, v in stopped.items() if v and expected[n] >= IDLE_MIN_PARCELS}
        if kept:
            out.append((k, tuple(sorted(x for x, v in names_of.items() if v & kept))))
    return tuple(out)


def _full_days(frame: pd.DataFrame, tz: ZoneInfo, cday: np.ndarray) -> tuple[int, int, np.ndarray, np.ndarray] | None:
    """``(lo, hi, delivery day, carrier:service)`` of the rows delivered on local days ``lo..hi``: those whose
    deliveries the history holds in full, not the first few (parcels ordered before it) nor the last week
    (parcels still on their way when it ends).  None when that leaves under two weeks."""
    _, _, dday = weekday_hour(frame["delivered"].to_numpy(), tz)
    lo, hi = int(cday.min()) + 3, int(cday.max()) - 7
    if hi - lo < 14:
        return None
    keep = (dday >= lo) & (dday <= hi)
    return lo, hi, dday[keep], (frame["carrier"] + ":" + frame["service"]).to_numpy()[keep]


def _by_weekday(d: np.ndarray, lo: int, hi: int, hol: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One service's deliveries per day of ``lo..hi`` (its delivery days ``d``), against an ordinary day of each weekday.

    Returns ``(per_day, works, usual, by_wd)``: parcels per day; the days on
    a weekday it delivers on; those of them a week clear of any of ``hol``
    (the days around a holiday carry its backlog); and per weekday (Monday 0)
    the mean of its usual days (NaN for none), so a Sunday holiday is weighed against Sundays.
    """
    span = np.arange(lo, hi + 1)
    wd = (span + 3) % 7
    near = np.isin(span, (hol[:, None] + np.arange(-7, 8)[None, :]).ravel())
    per_day = np.bincount(d - lo, minlength=hi - lo + 1).astype(np.float64)
    works = np.isin(wd, np.unique((d + 3) % 7))
    usual = works & ~near
    by_wd = np.array([per_day[usual & (wd == w)].mean() if (usual & (wd == w)).any() else np.nan for w in range(7)])
    return per_day, works, usual, by_wd


def warp_days(order_day: np.ndarray, day: np.ndarray, works: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """Days to move each ``day`` back so that the holidays between ``order_day`` and it are taken out.

    Parameters
    ----------
    order_day, day : numpy.ndarray
        Local day numbers of each order and of its delivery (or hand-over), ``day >= order_day``.
    works : numpy.ndarray
        Seven booleans: the weekdays (Monday 0) the service delivers on.
    holidays : numpy.ndarray
        Local day numbers of the public holidays it stops on.

    Returns
    -------
    numpy.ndarray
        Whole days (int64, >= 0).  With ``k`` holidays on delivering weekdays
        in ``[order_day, day]``, ``day`` moves back to its ``k``-th earlier
        delivering weekday: walking forward from there over ``k`` delivering
        non-holidays (``rules.holiday_days``) lands on ``day`` again.
    """
    order_day = np.asarray(order_day, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    out = np.zeros(day.shape, dtype=np.int64)
    if day.size == 0 or not np.any(works):
        return out
    works = np.asarray(works, dtype=bool)
    lo = int(min(order_day.min(), day.min())) - 7
    hi = int(day.max())
    span = np.arange(lo, hi + 1)
    wk = works[(span + 3) % 7]
    n_hol = np.cumsum(wk & np.isin(span, holidays))  # holidays on delivering weekdays up to each day
    n_wk = np.cumsum(wk)                             # delivering weekdays up to each day
    c, d = order_day - lo, day - lo
    k = n_hol[d] - np.where(c > 0, n_hol[np.maximum(c - 1, 0)], 0)
    moved = k > 0
    if not moved.any():
        return out
    # The delivering weekday with each running count; a count reached before lo (never, with the week's margin) clips.
    by_count = np.zeros(int(n_wk[-1]) + 1, dtype=np.int64)
    by_count[n_wk[wk]] = span[wk]
    target = by_count[np.clip(n_wk[d[moved]] - k[moved], 0, len(by_count) - 1)]
    out[moved] = day[moved] - target
    return out


def warp_holidays(frame: pd.DataFrame, idle: tuple[str, ...], holidays: np.ndarray, tz: ZoneInfo) -> pd.DataFrame:
    """``frame`` with the ``holidays`` taken out of the delivery and hand-over times of the ``idle`` carrier/services.

    Parameters
    ----------
    frame : pandas.DataFrame
        The validated history (epoch seconds in ``created``, ``delivered``, ``handed``).
    idle : tuple of str
        ``carrier:service`` keys seen idle on public holidays.
    holidays : numpy.ndarray
        Local day numbers of the public holidays.
    tz : zoneinfo.ZoneInfo
        The region's time zone.

    Returns
    -------
    pandas.DataFrame
        A copy; each moved time keeps its local hour and moves by whole days
        (:func:`warp_days`), never to before its order.  Rows of other services are unchanged.
    """
    out = frame.copy()
    if not idle or len(frame) == 0:
        return out
    key = (frame["carrier"] + ":" + frame["service"]).to_numpy()
    _, _, order_day = weekday_hour(frame["created"].to_numpy(), tz)
    created = frame["created"].to_numpy()
    cols = {col: out[col].to_numpy(dtype=np.float64).copy() for col in ("delivered", "handed") if col in out}
    for k in idle:
        m = key == k
        if not m.any():
            continue
        dwd, _, _ = weekday_hour(frame["delivered"].to_numpy()[m], tz)
        works = np.zeros(7, dtype=bool)
        works[np.unique(dwd)] = True
        for col, vals in cols.items():
            t = vals[m]
            ok = np.isfinite(t)
            if not ok.any():
                continue
            _, _, day = weekday_hour(t[ok], tz)
            back = warp_days(order_day[m][ok], np.maximum(day, order_day[m][ok]), works, holidays)
            # In local time, so a move across a clock change keeps the local hour.
            moved = local_to_epoch(local_seconds(t[ok], tz) - 86400.0 * back, tz)
            t[ok] = np.where(back > 0, np.maximum(moved, created[m][ok] + 60.0), t[ok])
            vals[m] = t
    for col, vals in cols.items():
        out[col] = vals
    return out
