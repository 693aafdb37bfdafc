"""Booked slots read from a history: times, length, booking cut-offs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from engine.eta.slots import booked_slots, slot_booking_leads


def test_booked_two_hour_slots_give_their_length_and_start_times() -> None:
    tz = ZoneInfo("Australia/Sydney")
    days = pd.date_range("2026-03-30", periods=30, freq="D")  # local dates across the April clock change
    starts = [(d + pd.Timedelta(hours=h)).tz_localize(tz) for d in days for h in (7, 16, 18, 20) for _ in range(3)]
    starts.append((days[0] + pd.Timedelta(hours=11, minutes=17)).tz_localize(tz))  # one stray time typed by hand
    f = pd.DataFrame({"slot_start": [t.timestamp() for t in starts]})
    length, times = booked_slots(f, tz)
    assert length == 7200.0 and times == (7.0, 16.0, 18.0, 20.0)
    # Booked 9-30 h before a 07:00 slot and 4-30 h before the others: those are the cut-offs offered.
    rng = np.random.default_rng(1)
    tod = np.round(pd.Series(starts).map(lambda t: t.hour + t.minute / 60.0).to_numpy(), 2)
    extra = np.where(np.arange(len(f)) % 10 == 0, 0.0, rng.uniform(0, 26, len(f)))  # a tenth booked at the last moment
    f["created"] = f["slot_start"] - np.where(tod == 7.0, 9.0, 4.0) * 3600.0 - extra * 3600.0
    assert slot_booking_leads(f, tz, times) == (9.0, 4.0, 4.0, 4.0)
    # One stray booking 30 minutes off a real slot time does not make 30-minute slots.
    stray = pd.concat([f[["slot_start"]], pd.DataFrame({"slot_start": [(days[3] + pd.Timedelta(hours=16, minutes=30)).tz_localize(tz).timestamp()]})])
    assert booked_slots(stray, tz) == (7200.0, (7.0, 16.0, 18.0, 20.0))
    # slot_end given: its length, whatever the gaps between starts.
    f["slot_end"] = f["slot_start"] + 5400.0
    assert booked_slots(f, tz)[0] == 5400.0
