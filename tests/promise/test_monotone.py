"""Promises are monotone in order time and options do not flicker (issue 4 follow-up).

A customer who orders later must never get an earlier promise for the same
option, and a same-day/next-day option must not come and go from hour to
hour because one sparse cell's tail is noisy.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.eta.due import _from_next_supported, _split_tails, monotone_in_order_time
from engine.eta.model import default_model
from engine.domain.promise import UnavailableReason
from engine.promise import quote, quote_arrays

TZ = ZoneInfo("Europe/Helsinki")
CENTRE = (60.17, 24.94)


def _week(start: datetime, step_min: int = 20) -> np.ndarray:
    return start.timestamp() + np.arange(0, 7 * 24 * 60, step_min) * 60.0


# An ordinary November week, the peak-season week of the reported defect, and a week spanning the DST change.
WEEKS = [datetime(2026, 11, 2, tzinfo=TZ), datetime(2026, 11, 23, tzinfo=TZ), datetime(2027, 3, 22, tzinfo=TZ)]


@pytest.mark.parametrize("start", WEEKS, ids=lambda d: d.date().isoformat())
def test_promise_never_earlier_for_a_later_order(start: datetime) -> None:
    m = default_model()
    t = _week(start)
    n = t.shape[0]
    keys = [s.key for s in m.city.services if s.kind != "slot"]
    for dest in (CENTRE, (60.29, 25.04), (60.45, 24.70)):
        b = quote_arrays(m, np.full(n, dest[0]), np.full(n, dest[1]), t, np.full(n, 2.0), keys=keys)
        for k, key in enumerate(keys):
            ok = b.available[:, k]
            pr = b.promised[ok, k]
            assert (np.diff(pr) >= 0).all(), f"{key} at {dest}: a later order got an earlier promise"
            assert (np.diff(b.p50[ok, k]) >= -1e-6).all(), f"{key} at {dest}: p50 went back in time"


@pytest.mark.parametrize("start", WEEKS, ids=lambda d: d.date().isoformat())
def test_same_and_next_day_do_not_flicker(start: datetime) -> None:
    m = default_model()
    t = _week(start, step_min=10)
    n = t.shape[0]
    keys = ["own:same_day", "own:next_day"]
    b = quote_arrays(m, np.full(n, CENTRE[0]), np.full(n, CENTRE[1]), t, np.full(n, 2.0), keys=keys)
    day = np.array([datetime.fromtimestamp(x, TZ).date().toordinal() for x in t])
    for k, key in enumerate(keys):
        for d in np.unique(day):
            av = b.available[day == d, k]
            # Within a day: available until the cut-off, then not (never back on).
            assert not (np.diff(av.astype(int)) > 0).any(), f"{key} flickers on {d}: {av.astype(int)}"
            off = ~av
            assert np.isin(b.reason[day == d, k][off], [UnavailableReason.SAME_DAY_CUTOFF, UnavailableReason.NEXT_DAY_CUTOFF]).all()


def test_reported_example_is_monotone_and_names_the_cut_off() -> None:
    # The lead's report: Tue 2026-11-24 (peak season), next-day came and went between 08:00 and 13:00.
    seen: dict[str, list] = {"same_day": [], "next_day": []}
    for h in range(0, 24):
        q = quote(CENTRE, datetime(2026, 11, 24, h, tzinfo=TZ), [2.0])
        for s in seen:
            o = q.option("own", s)
            seen[s].append(o)
    # Next-day past its cut-off is still offered, for a later day, and says so (nominal false).
    assert all(o.available for o in seen["next_day"])
    for s, opts in seen.items():
        av = [o.available and o.nominal for o in opts]
        first_off = av.index(False) if False in av else len(av)
        assert not any(av[first_off:]), f"{s} comes back after its cut-off: {av}"
        proms = [o.promised_by for o in opts if o.available]
        assert proms == sorted(proms)
        for o in opts[first_off:]:
            # The reason says which cut-off passed (e.g. "next-day cut-off 19:00 passed"), or that there is none that day.
            assert ("cut-off" in o.reason and "passed" in o.reason) or o.reason.startswith("no "), o.reason
            if o.available:
                assert ": arrives by " in o.reason and o.reason.endswith(f"{o.promised_by:%a %H:%M}"), o.reason
    nd = seen["next_day"]
    off = next(o for o in nd if not o.nominal)
    cut = off.reason.split("cut-off ")[1].split(" ")[0]
    last_ok = max(i for i, o in enumerate(nd) if o.nominal)
    assert cut == f"{last_ok + 1:02d}:00", (cut, last_ok)


def test_monotone_in_order_time_wraps_the_week() -> None:
    rng = np.random.default_rng(0)
    due = rng.uniform(0, 3 * 86400, (7, 24, 3, 5))
    out = monotone_in_order_time(due)
    assert (out >= due - 1e-6).all()
    a = (out + (np.arange(7) * 86400.0)[:, None, None, None]).reshape(168, 3, 5)
    assert (np.diff(a, axis=0) >= 0).all()
    # Sunday night carries into Monday morning of the next week.
    assert (a[0] + 7 * 86400.0 >= a[-1]).all()
    # Already monotone tables are left alone.
    flat = np.broadcast_to((np.arange(24) * 3600.0 + 86400.0)[None, :, None, None], due.shape).copy()
    np.testing.assert_array_equal(monotone_in_order_time(flat), flat)


def test_empty_hours_take_the_next_hour_with_orders() -> None:
    due = np.full((7, 24, 1, 1), 20 * 3600.0)
    supported = np.zeros((7, 24), dtype=bool)
    supported[:, 6:14] = True
    out = _from_next_supported(due, supported)[:, :, 0, 0]
    # 15:00 has no orders of its own: it gets tomorrow 06:00's promise (tomorrow 20:00), not today's.
    assert out[1, 15] == 24 * 3600.0 + 20 * 3600.0
    assert out[1, 3] == 20 * 3600.0


def test_split_tails_only_at_the_end_of_a_period() -> None:
    run = np.repeat((np.arange(7) * 24)[:, None], 24, axis=1)
    tail = np.ones((7, 24))
    tail[0, 7] = 2.0  # one noisy hour in the middle of Monday
    tail[1, 20:] = 2.0  # Tuesday's last hours slip a day
    out = _split_tails(run, tail)
    assert (out[0] == 0).all()
    assert (out[1, :20] == 24).all() and (out[1, 20:] == 24 + 20).all()
