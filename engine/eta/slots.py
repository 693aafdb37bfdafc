"""Booked slots in a history: when they start, how long they last, how far ahead they are booked, whether they were kept.

A history may say, per slot order, the window the customer booked
(``slot_start``, optionally ``slot_end``; :data:`engine.eta.history.SLOT_COLUMNS`).
A fit reads from those rows the slots checkout should offer (their times of
day, length and booking cut-offs) and the share kept, the slot's probability.
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from engine.eta._time import local_seconds

__all__ = ["SLOT_MIN_BOOKED", "booked_slot_end", "booked_slots", "slot_booking_leads", "slot_kept"]

#: Booked slots (rows with ``slot_start``) a history needs before the share it kept is the slot's probability.
SLOT_MIN_BOOKED = 50


#: A time of day at least this share of booked slots start at is one of the slots the fleet offers.
SLOT_TIME_SHARE = 0.02
#: A slot's booking cut-off is this quantile of the time its bookings were made before it started (a few
#: bookings an agent squeezed in late are not the cut-off checkout offers).
SLOT_LEAD_QUANTILE = 0.01


def slot_booking_leads(frame: pd.DataFrame, tz: ZoneInfo, times: tuple[float, ...]) -> tuple[float, ...]:
    """Per slot time of day (hours, as :func:`booked_slots` gives them): how long before its start it could still be booked (hours).

    ``SLOT_LEAD_QUANTILE`` of ``slot_start - created`` in local wall-clock time (as quotes apply it: "22:00
    the evening before" across a clock change too) over the bookings of that time, rounded down to the
    quarter hour, never negative.
    """
    ss = frame["slot_start"].to_numpy(dtype=np.float64)
    ok = np.isfinite(ss)
    loc = local_seconds(ss[ok], tz)
    tod = _minute_of_day(loc)
    lead = loc - local_seconds(frame["created"].to_numpy(dtype=np.float64)[ok], tz)
    out = []
    for t in times:
        m = np.abs(tod - t * 3600.0) < 30.0
        q = float(np.quantile(lead[m], SLOT_LEAD_QUANTILE)) if m.any() else 0.0
        out.append(max(0.0, math.floor(q / 900.0) * 0.25))
    return tuple(out)


def booked_slots(frame: pd.DataFrame, tz: ZoneInfo) -> tuple[float, tuple[float, ...]]:
    """``(length s, start times of day in hours)`` of the slots a history's customers booked.

    The length is the median of ``slot_end - slot_start`` where a row gives both; else the smallest gap between
    the distinct times of day slots start at (07:00, 16:00, 18:00, 20:00: two hours), between 30 minutes and
    4 hours; one hour when a single time is seen.  The start times are those at least ``SLOT_TIME_SHARE`` of the
    booked slots start at (a stray time a customer service agent typed is not a slot the fleet offers).
    """
    ss = frame["slot_start"].to_numpy(dtype=np.float64)
    se = frame["slot_end"].to_numpy(dtype=np.float64) if "slot_end" in frame else np.full(ss.shape, np.nan)
    ok = np.isfinite(ss)
    tod = _minute_of_day(local_seconds(ss[ok], tz)) if ok.any() else np.zeros(0)
    starts, n = np.unique(tod, return_counts=True)
    # The slots the fleet offers, before any gap is read off them: one stray 16:30 would make 30-minute slots.
    common = starts[n >= SLOT_TIME_SHARE * max(int(ok.sum()), 1)]
    both = ok & np.isfinite(se)
    if both.any():
        length = float(np.clip(np.median(se[both] - ss[both]), 900.0, 12 * 3600.0))
    else:
        gaps = np.diff(common)
        gaps = gaps[gaps >= 1800.0]
        length = float(np.clip(gaps.min(), 1800.0, 4 * 3600.0)) if gaps.size else 3600.0
    return length, tuple(round(float(t) / 3600.0, 4) for t in common)


def booked_slot_end(frame: pd.DataFrame, tz: ZoneInfo, length: float | None = None) -> np.ndarray:
    """End (epoch s) of each row's booked slot: ``slot_end``, else ``slot_start`` plus the slots' length
    (``length``, else read by :func:`booked_slots`)."""
    ss = frame["slot_start"].to_numpy(dtype=np.float64)
    se = frame["slot_end"].to_numpy(dtype=np.float64) if "slot_end" in frame else np.full(ss.shape, np.nan)
    return np.where(np.isfinite(se), se, ss + (booked_slots(frame, tz)[0] if length is None else length))


def slot_kept(frame: pd.DataFrame, tz: ZoneInfo, length: float | None = None) -> np.ndarray:
    """Whether each booked slot was kept: delivered inside its window (early is not kept: nobody is home yet)."""
    d = frame["delivered"].to_numpy(dtype=np.float64)
    return (d >= frame["slot_start"].to_numpy(dtype=np.float64)) & (d <= booked_slot_end(frame, tz, length))


def _minute_of_day(local: np.ndarray) -> np.ndarray:
    """Local seconds as the minute of the day they fall in (seconds after midnight, whole minutes)."""
    return np.round(local % 86400.0 / 60.0) * 60.0
