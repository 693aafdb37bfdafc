"""Each promise rule's scalar form agrees with its vectorised form, and so do the two quoting paths.

Checkout quotes one cart with ``rules.SCALAR``, batches use ``rules.VECTOR``;
both go through the same composition (``batch.quote_options``), so it is
enough that every pair of rules agrees, which is checked here pair by pair on
random inputs (across DST changes, peak seasons, all distance bands and
hours), and then end to end on a few thousand random carts.
"""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import datetime, timezone

import numpy as np
import pytest

from engine.domain.promise import Item, QuoteOptions, UnavailableReason as R
from engine.eta.model import default_model
from engine.promise import quote, quote_arrays, rules
from engine.promise.batch import quote_options, resolve_keys
from engine.promise.single import options_from_batch

N = 3000
# Two years from early 2026: two DST changes a year and two peak seasons.
T0, SPAN = 1.767e9, 2 * 365 * 86400.0


@pytest.fixture(scope="module")
def m():
    return default_model()


@pytest.fixture(scope="module")
def carts():
    rng = np.random.default_rng(2024)
    lat = 60.17 + rng.normal(0, 0.3, N)  # near, mid and far bands, some off the map
    lon = 24.94 + rng.normal(0, 0.6, N)
    created = T0 + rng.uniform(0, SPAN, N)
    created[: N // 10] = np.round(created[: N // 10] / 3600.0) * 3600.0  # exactly on the hour
    w = rng.uniform(0, 40, N)
    w[: N // 20] = 0.0
    return lat, lon, created, w


@pytest.fixture(scope="module")
def both(m, carts):
    """The vectorised orders and, per cart, the scalar ones."""
    lat, lon, created, w = carts
    vec = rules.orders(m, lat, lon, created, w)
    one = [rules.orders_one(m, float(lat[i]), float(lon[i]), float(created[i]), float(w[i])) for i in range(N)]
    return vec, one


def _close(a, b) -> bool:
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_orders_agree(m, both) -> None:
    vec, one = both
    for f in ("created", "loc", "day", "wd", "hr", "km", "db", "weight", "season", "off_map"):
        v = getattr(vec, f)
        s = [getattr(o, f) for o in one]
        if f == "season":
            assert list(v) == s
        elif f == "km":
            np.testing.assert_allclose(v, s, rtol=0, atol=1e-9)
        else:
            assert np.array_equal(np.asarray(v, dtype=float), np.asarray(s, dtype=float)), f
    assert vec.off_map.any() and not vec.off_map.all()
    assert set(vec.db.tolist()) == {0, 1, 2} and set(vec.season.tolist()) == {"", "peak"}


def test_due_local_agrees(m) -> None:
    t, t1 = rules.promise_table(m, 0.95), rules.promise_table_one(m, 0.95)
    rng = np.random.default_rng(1)
    n = 20_000
    ti = rng.integers(0, len(m.keys), n)
    db = rng.integers(0, t.qt.shape[3], n)
    hloc = rng.integers(int(T0 // 3600), int((T0 + SPAN) // 3600), n)
    v = rules.due_local(t.qt, ti, hloc, db)
    s = [rules.due_local_one(t1.qt[ti[i]][db[i]], int(hloc[i])) for i in range(n)]
    assert np.array_equal(v, np.array(s))


@pytest.mark.parametrize("target", [0.95, 0.8, 0.5])
def test_table_rules_agree(m, both, target: float) -> None:
    vec, one = both
    t, t1 = rules.promise_table(m, target), rules.promise_table_one(m, target)
    rng = np.random.default_rng(int(target * 100))
    for key in m.base_keys:
        ti = rules.table_index(m, key, vec)
        ti1 = [rules.table_index_one(m, key, o) for o in one]
        assert ti.tolist() == ti1, key
        pday, pr, p50, prob = rules.due_promise(m, t, ti, vec)
        for i, o in enumerate(one):
            d1, pr1, p501, prob1 = rules.due_promise_one(m, t1, ti1[i], o)
            assert (pday[i], pr[i], p50[i], prob[i]) == (d1, pr1, p501, prob1), (key, i)
        snapped = rules.snap_back(m, ti, pr, p50, vec.tz)
        assert all(snapped[i] == rules.snap_back_one(m, ti1[i], float(pr[i]), float(p50[i]), o.tz) for i, o in enumerate(one))
        # Deadlines: around the promised day, random, and exactly a promise of the scan (ties).
        hit = rules.due_local(t.qt, ti, np.floor(vec.loc / 3600.0) + rng.integers(1, rules.CUTOFF_SCAN_H, N), vec.db)
        for deadline in ((pday + 1) * 86400.0, (vec.day + 1) * 86400.0, vec.loc + rng.uniform(0, 3 * 86400, N), hit):
            cut = rules.cutoff(m, t, ti, vec, deadline)
            assert all(_close(cut[i], rules.cutoff_one(m, t1, ti1[i], o, float(deadline[i]))) for i, o in enumerate(one)), key
        for ahead, late in ((0, pday > vec.day), (1, pday > vec.day + 1), (0, rng.random(N) < 0.5), (1, rng.random(N) < 0.5)):
            passed = rules.passed_cutoff(m, t, ti, vec, ahead, late)
            assert all(
                _close(passed[i], rules.passed_cutoff_one(m, t1, ti1[i], o, ahead, bool(late[i]))) for i, o in enumerate(one)
            ), (key, ahead)
        start = rules.slot_start(m, ti, vec)
        assert all(start[i] == rules.slot_start_one(m, ti1[i], o) for i, o in enumerate(one)), key


def test_slots_the_history_booked_are_the_slots_offered(m, both) -> None:
    from dataclasses import replace

    from engine.eta._time import local_seconds

    vec, one = both
    booked = replace(m, city=replace(m.city, slot_times=(7.0, 16.0, 18.0, 20.5), slot_len_s=7200.0))
    ti = rules.table_index(booked, "own:next_day", vec)
    ti1 = [rules.table_index_one(booked, "own:next_day", o) for o in one]
    start = rules.slot_start(booked, ti, vec)
    assert all(start[i] == rules.slot_start_one(booked, ti1[i], o) for i, o in enumerate(one))
    # Every slot starts at a booked time of day, after the order, and it is the first one the parcel makes:
    # where the whole-hour slot it would get is followed by a booked time the same day, no later than that.
    tod = np.round(local_seconds(start, vec.tz) % 86400.0 / 60.0) / 60.0
    assert set(np.unique(tod).tolist()) == {7.0, 16.0, 18.0, 20.5} and (start > vec.created).all()
    hourly = rules.slot_start(m, ti, vec)
    h_tod = local_seconds(hourly, vec.tz) % 86400.0 / 3600.0
    nxt = np.array([min((t for t in (7.0, 16.0, 18.0, 20.5) if t >= h), default=np.nan) for h in h_tod])
    same_day = np.isfinite(nxt)
    assert same_day.sum() > 1000
    assert (start[same_day] <= hourly[same_day] + (nxt[same_day] - h_tod[same_day]) * 3600.0 + 1e-6).all()
    res = quote_arrays(booked, *[np.full(1, x) for x in (60.2, 24.9, T0 + 3 * 3600.0, 2.0)], keys=["own:slot"])
    assert np.isfinite(res.window_start[0, 0]) and res.promised[0, 0] - res.window_start[0, 0] == 7200.0


def test_slots_are_offered_to_their_booking_cut_off(m, both) -> None:
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    vec, one = both
    # 07:00 booked by 22:00 the evening before (9 h), the others 4 h ahead, as the history showed.
    booked = replace(m, city=replace(m.city, slot_times=(7.0, 16.0, 18.0, 20.0), slot_len_s=7200.0, slot_lead_h=(9.0, 4.0, 4.0, 4.0)))
    ti = rules.table_index(booked, "own:next_day", vec)
    start = rules.slot_start(booked, ti, vec)
    assert all(start[i] == rules.slot_start_one(booked, 0, o) for i, o in enumerate(one))
    tz = ZoneInfo(m.city.tz)

    def first(at: str) -> str:
        t = datetime.fromisoformat(at).timestamp()
        o = rules.orders_one(booked, 60.2, 24.9, t, 1.0)
        return datetime.fromtimestamp(rules.slot_start_one(booked, 0, o), tz).strftime("%a %H:%M")

    assert first("2026-03-10T10:00:00+02:00") == "Tue 16:00"
    assert first("2026-03-10T12:30:00+02:00") == "Tue 18:00"
    assert first("2026-03-10T22:30:00+02:00") == "Wed 16:00"  # 8.5 h before 07:00: too late for it
    assert first("2026-03-10T21:45:00+02:00") == "Wed 07:00"
    assert first("2026-03-14T21:00:00+02:00") == "Mon 07:00"  # Saturday night: the fleet does not drive on Sunday


def test_snap_back_agrees_on_random_times(m) -> None:
    assert m.delivers is not None and not m.delivers.all()  # the rule has something to do
    rng = np.random.default_rng(3)
    n = 20_000
    ti = rng.integers(0, len(m.keys), n)
    pr = T0 + rng.uniform(0, SPAN, n)
    floor_ = pr - rng.uniform(0, 3 * 86400, n)
    floor_[: n // 2] = np.floor(floor_[: n // 2] / 3600.0) * 3600.0  # on the hour: ties with the snapped time
    v = rules.snap_back(m, ti, pr, floor_, m.tz)
    assert (v != pr).any()
    assert all(v[i] == rules.snap_back_one(m, int(ti[i]), float(pr[i]), float(floor_[i]), m.tz) for i in range(n))


def test_cents_agree() -> None:
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(0, 100, 50_000), np.arange(0, 100, 0.005)])  # includes exact half cents
    assert np.array_equal(rules.cents(x), np.array([rules.cents_one(float(v)) for v in x]))


def test_reason_agrees_and_follows_the_precedence() -> None:
    rng = np.random.default_rng(5)
    codes = [c for c in R if c != R.NONE]
    for _ in range(300):
        picked = rng.choice(len(codes), size=int(rng.integers(0, len(codes) + 1)), replace=False)
        conds = [(codes[j], rng.random(40) < 0.4) for j in picked]
        v = rules.reason(conds, 40)
        for i in range(40):
            one = [(c, bool(a[i])) for c, a in conds]
            s = rules.reason_one(one)
            assert v[i] == s
            holding = [c for c, ok in one if ok]
            assert s == (min(holding, key=rules.PRECEDENCE.index) if holding else R.NONE)
    assert rules.reason([(R.TOO_HEAVY, True), (R.OFF_MAP, False)], 3).tolist() == [R.TOO_HEAVY] * 3


def test_the_rule_sets_pair_up() -> None:
    for f in fields(rules.RuleSet):
        vec, one = getattr(rules.VECTOR, f.name), getattr(rules.SCALAR, f.name)
        assert vec is not one and one.__name__ == vec.__name__ + "_one", f.name
        assert vec.__module__ == one.__module__ == rules.__name__


@pytest.mark.parametrize("target,cap,origin", [
    (0.95, {}, None),
    (0.8, {"own": 0}, None),
    (0.9, {"posti:locker": 0, "own:slot": 3}, (60.25, 25.05)),
    (0.99, {"matkahuolto": -1}, None),
])
def test_single_and_batch_paths_agree_on_random_carts(m, carts, target, cap, origin) -> None:
    lat, lon, created, w = carts
    keys = resolve_keys(m, None)
    olat = None if origin is None else np.full(N, origin[0])
    olon = None if origin is None else np.full(N, origin[1])
    b = quote_arrays(m, lat, lon, created, w, olat, olon, target=target, keys=keys, capacity_left=cap)
    assert len({int(r) for r in np.unique(b.reason)}) >= 6  # most reasons occur
    for i in range(N):
        a = quote_options(rules.SCALAR, m, rules.orders_one(m, float(lat[i]), float(lon[i]), float(created[i]), float(w[i]), origin), keys, target, cap)
        for f in ("available", "reason", "promised", "window_start", "p50", "probability", "cost", "cutoff", "cutoff_passed"):
            x, y = getattr(a, f)[0].astype(float), getattr(b, f)[i].astype(float)
            assert np.array_equal(x, y, equal_nan=True), (f, i, x, y)
        assert abs(a.km[0] - b.km[i]) < 1e-9


def test_quote_records_match_the_batch(m, carts) -> None:
    lat, lon, created, w = carts
    b = quote_arrays(m, lat[:500], lon[:500], created[:500], w[:500])
    for i in range(500):
        q = quote((lat[i], lon[i]), datetime.fromtimestamp(created[i], timezone.utc), [Item(float(w[i]))], QuoteOptions(), model=m)
        assert [o.to_json() for o in q.options] == [o.to_json() for o in options_from_batch(m, b, i, float(created[i]))]


def _with_new_holidays(m, days, idle=True):
    """``m`` with holidays its history never saw on ``days``, every carrier/service seen idle on the others (``idle``)."""
    from dataclasses import replace

    return replace(m, city=replace(m.city, new_holidays=tuple(int(d) for d in days), holiday_idle=tuple(m.base_keys) if idle else ()))


def test_holidays_the_history_never_saw_move_promises_the_same_in_both_forms(m, carts) -> None:
    """Every tenth local day a holiday the history never saw: both forms move the same promises by the same days."""
    lat, lon, created, w = carts
    days = np.floor((T0 - 86400.0) / 86400.0) + np.arange(0, SPAN / 86400.0 + 30, 10)
    mh = _with_new_holidays(m, days)
    vec = rules.orders(mh, lat, lon, created, w)
    one = [rules.orders_one(mh, float(lat[i]), float(lon[i]), float(created[i]), float(w[i])) for i in range(N)]
    t, t1 = rules.promise_table(mh, 0.95), rules.promise_table_one(mh, 0.95)
    t0 = rules.promise_table(m, 0.95)
    moved = 0
    for key in mh.base_keys:
        ti = rules.table_index(mh, key, vec)
        pday, pr, p50, prob = rules.due_promise(mh, t, ti, vec)
        pday0, pr0, _, prob0 = rules.due_promise(m, t0, ti, vec)
        assert np.all(pr >= pr0) and np.all(p50 <= pr)
        moved += int(np.sum(pr > pr0))
        for i, o in enumerate(one):
            assert (pday[i], pr[i], p50[i], prob[i]) == rules.due_promise_one(mh, t1, int(ti[i]), o), (key, i)
        # The cut-off scans read the moved promises, in both forms alike.
        for deadline in ((pday + 1) * 86400.0, (vec.day + 2) * 86400.0):
            cut = rules.cutoff(mh, t, ti, vec, deadline)
            assert all(_close(cut[i], rules.cutoff_one(mh, t1, int(ti[i]), o, float(deadline[i]))) for i, o in enumerate(one)), key
        for ahead in (0, 1):
            late = pday > vec.day + ahead
            passed = rules.passed_cutoff(mh, t, ti, vec, ahead, late)
            assert all(_close(passed[i], rules.passed_cutoff_one(mh, t1, int(ti[i]), o, ahead, bool(late[i])))
                       for i, o in enumerate(one)), (key, ahead)
    assert moved > N // 4


def test_a_next_day_promise_across_a_new_holiday_moves_to_the_next_day_the_service_delivers(m) -> None:
    """Ordered on a Tuesday, promised for Wednesday, Wednesday a holiday the history never saw: Thursday;
    Thursday one too: Friday."""
    tue = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc).timestamp()
    lat, lon = np.array([60.17]), np.array([24.94])
    t = rules.promise_table(m, 0.95)
    for key in m.base_keys:
        o = rules.orders(m, lat, lon, np.array([tue]), np.array([1.0]))
        ti = rules.table_index(m, key, o)
        if ti is None:
            continue
        pday, pr, _, _ = rules.due_promise(m, t, ti, o)
        day = int(o.day[0])
        if int(pday[0]) != day + 1 or not rules.delivering_weekdays(m, int(ti[0]))[3]:
            continue  # only the services promised for Wednesday that deliver on Thursdays
        for closed, expect in (((day + 1,), 1), ((day + 1, day + 2), 2), ((day + 5,), 0)):
            mh = _with_new_holidays(m, closed)
            works = rules.delivering_weekdays(mh, int(ti[0]))
            want = expect if expect < 2 or works[4] else 3  # no Friday deliveries: the Saturday or later
            pday2, pr2, _, _ = rules.due_promise(mh, rules.promise_table(mh, 0.95), ti, o)
            if want == 3:
                assert pday2[0] > day + 3
            else:
                assert int(pday2[0]) == day + 1 + want and pr2[0] - pr[0] in (want * 86400.0, want * 86400.0 + 3600.0, want * 86400.0 - 3600.0)
        break
    else:
        pytest.fail("no service promised a Tuesday morning order for Wednesday")
    assert rules.holiday_days(_with_new_holidays(m, (day + 1,)), int(ti[0]), day, day + 1) == 1
    # A service the history showed delivering on its holidays (or never saw one) keeps its tables' promise.
    mw = _with_new_holidays(m, (day + 1,), idle=False)
    assert rules.holiday_days(mw, int(ti[0]), day, day + 1) == 0
    assert rules.due_promise(mw, rules.promise_table(mw, 0.95), ti, o)[1][0] == pr[0]


def test_a_next_day_moved_by_a_new_holiday_says_which_holiday(m) -> None:
    """Ordered Thursday 30 April for Friday, May Day a holiday the history never saw, the fleet seen idle on
    the ones it did: next-day is still quoted, for the Saturday, not nominal, and the text names the holiday
    (not a cut-off or a weekday)."""
    from dataclasses import replace

    from engine.promise.reasons import reason_texts

    created = datetime(2026, 4, 30, 7, 0, tzinfo=timezone.utc).timestamp()  # 10:00 in Helsinki
    b0 = quote_arrays(m, np.array([60.17]), np.array([24.94]), np.array([created]), np.array([1.0]), keys=["own:next_day"])
    assert b0.available[0, 0] and b0.nominal[0, 0]
    may_day = int(np.floor((created + 3 * 3600) / 86400.0)) + 1
    mh = replace(m, city=replace(m.city, new_holidays=(may_day,), holidays="FI", holiday_idle=("own:next_day",)))
    b = quote_arrays(mh, np.array([60.17]), np.array([24.94]), np.array([created]), np.array([1.0]), keys=["own:next_day"])
    assert b.available[0, 0] and not b.nominal[0, 0]
    assert b.promised[0, 0] - b0.promised[0, 0] == 86400.0
    # "Order within": the cut-off of the moved option is the last moment whose (moved) promise is still Saturday's.
    cut = float(b.cutoff[0, 0])
    assert np.isfinite(cut)
    sat = np.floor((b.promised[0, 0] + 3 * 3600) / 86400.0)
    for t_, same in ((cut - 60.0, True), (cut + 60.0, False)):
        bt = quote_arrays(mh, np.array([60.17]), np.array([24.94]), np.array([t_]), np.array([1.0]), keys=["own:next_day"])
        assert (np.floor((bt.promised[0, 0] + 3 * 3600) / 86400.0) == sat) == same
    text = reason_texts(mh, b, np.array([created]))[0, 0]
    assert text.startswith("no next-day delivery over May Day (Fri 01 May), a public holiday it stops on: arrives by Sat"), text
    # Same-day ordered on May Day itself: withdrawn, and the reason is the holiday, not a cut-off.
    on_day = datetime(2026, 5, 1, 6, 0, tzinfo=timezone.utc).timestamp()  # 09:00 in Helsinki
    ms = replace(mh, city=replace(mh.city, holiday_idle=("own:next_day", "own:same_day")))
    b = quote_arrays(ms, np.array([60.17]), np.array([24.94]), np.array([on_day]), np.array([1.0]), keys=["own:same_day"])
    assert not b.available[0, 0]
    assert reason_texts(ms, b, np.array([on_day]))[0, 0] == "no same-day delivery on May Day (Fri 01 May), a public holiday it stops on"
    # A service the history showed working its holidays keeps its promise, and no text names the holiday.
    mw = replace(mh, city=replace(mh.city, holiday_idle=()))
    b = quote_arrays(mw, np.array([60.17]), np.array([24.94]), np.array([created]), np.array([1.0]), keys=["own:next_day"])
    assert b.nominal[0, 0] and b.promised[0, 0] == b0.promised[0, 0]
    late = created + 14 * 3600.0  # 00:00 Friday: next-day past its cut-off, promised across May Day
    b = quote_arrays(mw, np.array([60.17]), np.array([24.94]), np.array([late]), np.array([1.0]), keys=["own:next_day"])
    text = reason_texts(mw, b, np.array([late]))[0, 0]
    assert text is None or "May Day" not in text, text
