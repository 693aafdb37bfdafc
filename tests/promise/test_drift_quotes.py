"""quote / quote_arrays with the live drift correction: None changes nothing; a shift or a lower level moves only its service's promise."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from engine.eta.drift import DriftParams, DriftState
from engine.eta.model import default_model
from engine.promise import Item, quote, quote_arrays, widen_caps

TZ = ZoneInfo("Europe/Helsinki")
H = 3600.0


def _orders(n: int = 400, seed: int = 3):
    rng = np.random.default_rng(seed)
    lat = 60.17 + rng.normal(0, 0.05, n)
    lon = 24.94 + rng.normal(0, 0.1, n)
    t0 = datetime(2026, 11, 9, tzinfo=TZ).timestamp()
    return lat, lon, t0 + rng.uniform(0, 7 * 86400, n), rng.uniform(0.1, 20, n)


def _late_state(key: str, now: float, late_h: float = 5.0) -> DriftState:
    """A state whose window says ``key``'s parcels arrive ``late_h`` after their promise, 200 of 200."""
    st = DriftState(DriftParams(min_count=100))
    start = now - (late_h + 6.0) * H
    st.advance(start)
    ids = list(range(200))
    promised = [start + i * 60.0 for i in ids]
    st.open(key, ids, promised)
    st.advance(now)
    st.close(key, ids, [p + late_h * H for p in promised])
    return st


def test_none_and_an_empty_state_are_bit_identical_to_today() -> None:
    m = default_model()
    lat, lon, cr, w = _orders()
    plain = quote_arrays(m, lat, lon, cr, w)
    for drift in (None, DriftState()):
        b = quote_arrays(m, lat, lon, cr, w, drift=drift)
        for name in ("available", "reason", "promised", "window_start", "p50", "probability", "cost", "cutoff", "km", "cutoff_passed", "nominal"):
            np.testing.assert_array_equal(getattr(b, name), getattr(plain, name), err_msg=name)
    when = datetime(2026, 11, 11, 10, 40, tzinfo=TZ)
    assert quote((60.17, 24.94), when, [Item(2.0)], drift=None) == quote((60.17, 24.94), when, [Item(2.0)])


def test_a_late_service_is_widened_alone_in_both_forms() -> None:
    m = default_model()
    key = next(s.key for s in m.city.services if s.kind == "standard")
    lat, lon, cr, w = _orders()
    st = _late_state(key, float(cr.min()))
    assert st.shift(key) == 6 * H  # the smallest grid step covering 5 h late
    plain = quote_arrays(m, lat, lon, cr, w)
    b = quote_arrays(m, lat, lon, cr, w, drift=st)
    k = plain.keys.index(key)
    ok = plain.available[:, k]
    assert ok.any()
    moved = b.promised[ok, k] - plain.promised[ok, k]
    # Later by the shift, or less where the snap-back out of idle hours pulls it back (never earlier than before).
    assert (moved > 0).all() and (moved <= 6 * H).all() and np.median(moved) >= 3 * H
    assert np.allclose(b.probability[ok, k], st.coverage_at_shift(key))
    others = [i for i in range(len(plain.keys)) if i != k]
    np.testing.assert_array_equal(b.promised[:, others], plain.promised[:, others])
    # The checkout form agrees with the batch form, cart by cart.
    for i in np.flatnonzero(ok)[:25]:
        when = datetime.fromtimestamp(float(cr[i]), TZ)
        q = quote((float(lat[i]), float(lon[i])), when, [float(w[i])], drift=st)
        o = q.option(*key.split(":"))
        assert o.available and math.isclose(o.promised_by.timestamp(), b.promised[i, k])


def _early_state(key: str, now: float) -> DriftState:
    """A state whose window says ``key``'s parcels all arrive 12 h early, where its lowest level promised 10 h early."""
    st = DriftState(DriftParams(min_count=100))
    start = now - 30 * H
    st.advance(start)
    ids = list(range(200))
    promised = np.array([start + 20 * H + i * 60.0 for i in ids])
    st.open(key, ids, promised.tolist(), rungs=np.repeat((promised - 10 * H)[:, None], len(st.params.narrow_levels), axis=1))
    st.advance(now)
    st.close(key, ids, (promised - 12 * H).tolist())
    return st


def test_an_early_service_is_read_at_a_lower_level_alone_in_both_forms() -> None:
    m = default_model()
    key = next(s.key for s in m.city.services if s.kind == "standard")
    lat, lon, cr, w = _orders()
    st = _early_state(key, float(cr.min()))
    low = st.params.narrow_levels[0]
    assert st.level(key) == low and st.shift(key) == 0.0 and st.coverage_at_shift(key) == 1.0
    plain = quote_arrays(m, lat, lon, cr, w)
    at_low = quote_arrays(m, lat, lon, cr, w, target=low)
    b = quote_arrays(m, lat, lon, cr, w, drift=st)
    k = plain.keys.index(key)
    ok = plain.available[:, k]
    assert ok.any()
    # The lower level's promise (never later than the plain one), with the probability the window measured.
    np.testing.assert_array_equal(b.promised[ok, k], np.minimum(at_low.promised[ok, k], plain.promised[ok, k]))
    assert (b.promised[ok, k] < plain.promised[ok, k]).mean() > 0.5
    assert np.allclose(b.probability[ok, k], 1.0)
    others = [i for i in range(len(plain.keys)) if i != k]
    np.testing.assert_array_equal(b.promised[:, others], plain.promised[:, others])
    # What the state measured is what the quote gives: rung_promises is the quote at that level.
    from engine.promise import rung_promises  # noqa: PLC0415

    r = rung_promises(m, lat, lon, cr, w, None, None, key, st.params.narrow_levels)
    np.testing.assert_array_equal(r[ok, 0], at_low.promised[ok, k])
    for i in np.flatnonzero(ok)[:25]:
        when = datetime.fromtimestamp(float(cr[i]), TZ)
        o = quote((float(lat[i]), float(lon[i])), when, [float(w[i])], drift=st).option(*key.split(":"))
        assert o.available and math.isclose(o.promised_by.timestamp(), b.promised[i, k])


def test_a_level_narrowing_reaches_only_quotes_it_was_measured_for() -> None:
    # The levels were measured on the 0.95 promises: a 0.99 quote keeps its own promise and probability, and a
    # 0.6 quote, already earlier than the p80 promise, is neither moved nor given the window's coverage.
    m = default_model()
    key = next(s.key for s in m.city.services if s.kind == "standard")
    lat, lon, cr, w = _orders()
    st = _early_state(key, float(cr.min()))
    k = [s.key for s in m.city.services].index(key)
    for target in (0.99, 0.6):
        plain = quote_arrays(m, lat, lon, cr, w, target=target)
        b = quote_arrays(m, lat, lon, cr, w, target=target, drift=st)
        ok = plain.available[:, k]
        np.testing.assert_array_equal(b.promised[ok, k], plain.promised[ok, k], err_msg=str(target))
        np.testing.assert_array_equal(b.probability[ok, k], plain.probability[ok, k], err_msg=str(target))


def test_next_day_moved_past_its_day_is_no_longer_nominal() -> None:
    when = datetime(2026, 11, 11, 10, 0, tzinfo=TZ)
    before = quote((60.17, 24.94), when, [Item(1.0)]).option("own", "next_day")
    st = _late_state("own:next_day", when.timestamp(), late_h=40.0)
    after = quote((60.17, 24.94), when, [Item(1.0)], drift=st).option("own", "next_day")
    assert before.available and before.nominal
    assert after.promised_by - before.promised_by >= timedelta(hours=24)
    assert not after.nominal


def test_the_api_quotes_a_region_with_the_correction_kept_for_it() -> None:
    from engine.promise.registry import drift_for, set_drift  # noqa: PLC0415
    from engine.store.repository import Store  # noqa: PLC0415
    from tests.api.server import client_for  # noqa: PLC0415

    client = client_for(Store("sqlite://"), "checkout")
    body = {"destination": {"lat": 60.17, "lon": 24.94}, "order_time": "2026-11-11T10:40:00+02:00", "items": [{"weight_kg": 2}]}
    key = next(s.key for s in default_model().city.services if s.kind == "standard")
    carrier, service = key.split(":")

    def promised() -> str:
        r = client.post("/v1/quotes", json=body)
        assert r.status_code == 200, r.text
        return next(o["promised_by"] for o in r.json()["options"] if o["carrier"] == carrier and o["service"] == service)

    region = default_model().city.name
    assert drift_for(region) is None
    plain = promised()
    set_drift(region, _late_state(key, datetime(2026, 11, 11, 10, 40, tzinfo=TZ).timestamp()))
    try:
        assert promised() > plain
    finally:
        set_drift(region, None)
    assert promised() == plain


def test_own_same_day_is_narrowed_but_offered_to_the_same_orders() -> None:
    # An early own fleet reads its lower level as any service does; whether same-day is offered at all is still
    # decided at the target (the level's cut-off, later in the day, was never measured on the orders it would add).
    # Shanghai's shipped model: on Mondays its p80 same-day cut-off is an hour later than its p95 one.
    m = default_model("shanghai")
    tz = ZoneInfo(m.city.tz)
    key = "own:same_day"
    rng = np.random.default_rng(5)
    n = 600
    lat, lon = 31.23 + rng.normal(0, 0.04, n), 121.47 + rng.normal(0, 0.05, n)
    monday = datetime(2026, 11, 16, tzinfo=tz).timestamp()
    cr = monday + np.where(rng.random(n) < 0.5, rng.uniform(11 * H, 14 * H, n), rng.uniform(0, 7 * 86400, n))
    w = rng.uniform(0.1, 20, n)
    st = _early_state(key, float(cr.min()))
    low = st.params.narrow_levels[0]
    assert st.level(key) == low
    plain = quote_arrays(m, lat, lon, cr, w)
    at_low = quote_arrays(m, lat, lon, cr, w, target=low)
    b = quote_arrays(m, lat, lon, cr, w, drift=st)
    k = plain.keys.index(key)
    assert (at_low.available[:, k] & ~plain.available[:, k]).any()  # the lower level would offer more: not taken
    np.testing.assert_array_equal(b.available[:, k], plain.available[:, k])
    np.testing.assert_array_equal(b.reason[:, k], plain.reason[:, k])
    ok = plain.available[:, k]
    assert ok.sum() > 50
    np.testing.assert_array_equal(b.promised[ok, k], np.minimum(at_low.promised[ok, k], plain.promised[ok, k]))
    assert (b.promised[ok, k] < plain.promised[ok, k]).any()
    for i in np.flatnonzero(ok)[:25]:
        when = datetime.fromtimestamp(float(cr[i]), tz)
        o = quote((float(lat[i]), float(lon[i])), when, [float(w[i])], model=m, drift=st).option("own", "same_day")
        assert o.available and math.isclose(o.promised_by.timestamp(), b.promised[i, k])


def test_own_same_day_is_widened_only_within_its_day() -> None:
    # Vans an hour late: "by 22:20" instead of "by 20:20", still today and still offered.  Three hours late: the
    # step (4 h) would reach tomorrow, so the promise stops at the day's last delivering hour; withdrawing it is
    # the target's and today's plan's call, not the trailing window's.
    when = datetime(2026, 11, 11, 10, 0, tzinfo=TZ)
    plain = quote((60.17, 24.94), when, [Item(1.0)]).option("own", "same_day")
    assert plain.available and plain.promised_by.date() == when.date()
    st = _late_state("own:same_day", when.timestamp(), late_h=1.0)
    wide = quote((60.17, 24.94), when, [Item(1.0)], drift=st).option("own", "same_day")
    assert wide.available and wide.promised_by.date() == when.date()
    assert (wide.promised_by - plain.promised_by).total_seconds() == st.shift("own:same_day") == 2 * H
    st = _late_state("own:same_day", when.timestamp(), late_h=15.0)
    assert (plain.promised_by + timedelta(seconds=st.shift("own:same_day"))).date() > when.date()
    late = quote((60.17, 24.94), when, [Item(1.0)], drift=st).option("own", "same_day")
    # Measured up to the day's end, promised there: not snapped back to the last hour the history delivered in.
    assert late.available and late.promised_by == datetime(2026, 11, 11, 23, 59, 59, tzinfo=TZ)


def test_widen_caps_end_the_promised_local_day_across_a_dst_change() -> None:
    m = default_model()
    before = datetime(2026, 3, 29, 2, 30, tzinfo=TZ).timestamp()  # EET; clocks go to EEST at 03:00
    after = datetime(2026, 10, 25, 1, 30, tzinfo=TZ).timestamp()  # EEST; back to EET at 04:00
    caps = widen_caps(m, "own:same_day", np.array([before, after, math.nan]))
    assert datetime.fromtimestamp(caps[0], TZ) == datetime(2026, 3, 29, 23, 59, 59, tzinfo=TZ)
    assert datetime.fromtimestamp(caps[1], TZ) == datetime(2026, 10, 25, 23, 59, 59, tzinfo=TZ)
    assert caps[2] == math.inf
    other = next(s.key for s in m.city.services if s.kind == "standard")
    assert np.isinf(widen_caps(m, other, np.array([before]))).all()


def test_same_day_late_past_its_day_is_not_widened() -> None:
    # Measured as quotes apply it (capped at the day's end), a service late past its day reaches the goal at no
    # step: it keeps its promise rather than moving every order to the day's end for nothing.
    now = datetime(2026, 11, 11, 10, 0, tzinfo=TZ).timestamp()
    for cap, shift in ((None, 4 * H), (1.0, 0.0)):
        st = DriftState(DriftParams(min_count=100))
        start = now - 9 * H
        st.advance(start)
        ids = list(range(200))
        promised = [start + i * 60.0 for i in ids]
        st.open("own:same_day", ids, promised, cap=None if cap is None else [p + cap * H for p in promised])
        st.advance(now)
        st.close("own:same_day", ids, [p + 3 * H for p in promised])
        assert st.shift("own:same_day") == shift
