"""quote() and check(): every option answered, cut-offs, reasons, probabilities over time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.eta.model import default_model
from engine.promise import (
    Item,
    Promise,
    PromiseState,
    QuoteError,
    QuoteOptions,
    check,
    quote,
    quote_arrays,
)

TZ = ZoneInfo("Europe/Helsinki")
CENTRE = (60.170, 24.940)
ALL_KEYS = {s.key for s in default_model().city.services}


def _q(when: datetime, dest=CENTRE, items=(Item(2.0),), **kw):
    return quote(dest, when, list(items), QuoteOptions(**kw) if kw else None)


def test_quote_returns_every_option_with_default_model() -> None:
    q = _q(datetime(2026, 11, 11, 10, 40, tzinfo=TZ))
    assert q.model == "default"
    assert {f"{o.carrier}:{o.service}" for o in q.options} == ALL_KEYS
    for o in q.options:
        if o.available:
            assert o.promised_by is not None and o.p50 is not None
            assert o.p50 <= o.promised_by
            assert o.probability is not None and o.probability >= 0.95
            assert o.cost is not None and o.cost > 0 and o.reason is None
            assert o.promised_by.utcoffset() == timedelta(hours=2)  # Helsinki winter time
        else:
            assert o.reason
    same = q.option("own", "same_day")
    assert same.available and same.promised_by.date() == q.created_at.date()
    assert same.cutoff is not None and same.cutoff > q.created_at
    assert same.cutoff_text.startswith("order within ")
    slot = q.option("own", "slot")
    assert slot.available and slot.promised_by - slot.window_start == timedelta(hours=1)


def test_same_day_unavailable_past_cutoff() -> None:
    q = _q(datetime(2026, 11, 11, 18, 30, tzinfo=TZ))
    same = q.option("own", "same_day")
    assert not same.available and "same-day cut-off" in same.reason
    assert same.promised_by is None
    assert q.option("posti", "standard").available


def test_same_day_cutoff_is_where_it_flips() -> None:
    q = _q(datetime(2026, 11, 11, 9, 0, tzinfo=TZ))
    cut = q.option("own", "same_day").cutoff
    assert cut is not None
    before = _q(cut - timedelta(minutes=2)).option("own", "same_day")
    after = _q(cut + timedelta(minutes=2)).option("own", "same_day")
    assert before.available and not after.available


def test_reasons_area_weight_capacity_map() -> None:
    far = (60.80, 25.90)  # inside the map, ~70 km out: beyond the own fleet
    q = _q(datetime(2026, 11, 11, 9, 0, tzinfo=TZ), dest=far)
    assert "delivery area" in q.option("own", "same_day").reason
    assert q.option("posti", "standard").available
    heavy = _q(datetime(2026, 11, 11, 9, 0, tzinfo=TZ), items=[Item(25.0)])
    assert "too heavy" in heavy.option("posti", "locker").reason
    assert heavy.option("posti", "standard").available
    free = _q(datetime(2026, 11, 11, 9, 0, tzinfo=TZ))
    full = _q(datetime(2026, 11, 11, 9, 0, tzinfo=TZ), capacity_left={"own": 0})
    own_ok = [o.service for o in free.options if o.carrier == "own" and o.available]
    assert own_ok
    assert all("capacity" in full.option("own", s).reason for s in own_ok)
    assert full.option("posti", "standard").available
    off = _q(datetime(2026, 11, 11, 9, 0, tzinfo=TZ), dest=(48.85, 2.35))
    assert all(not o.available and "outside the map" in o.reason for o in off.options)


def test_only_filter_and_timezone_independence() -> None:
    local = datetime(2026, 6, 3, 11, 0, tzinfo=TZ)
    utc = local.astimezone(timezone.utc)
    a = _q(local, only=("posti",))
    b = _q(utc, only=("posti",))
    assert [o.service for o in a.options] == ["standard", "locker"]
    assert [o.promised_by for o in a.options] == [o.promised_by for o in b.options]
    assert a.options[0].promised_by.utcoffset() == timedelta(hours=3)  # summer time
    with pytest.raises(QuoteError, match="no delivery option matches"):
        _q(local, only=("dhl",))


def test_bad_input_is_named() -> None:
    with pytest.raises(QuoteError, match="no UTC offset"):
        quote(CENTRE, datetime(2026, 1, 1, 10, 0), [Item(1.0)])
    with pytest.raises(QuoteError, match="not a valid coordinate"):
        quote((1e308, 0.0), datetime(2026, 1, 1, 10, 0, tzinfo=TZ), [Item(1.0)])
    with pytest.raises(QuoteError, match="items\\[0\\]"):
        quote(CENTRE, datetime(2026, 1, 1, 10, 0, tzinfo=TZ), [Item(-1.0)])
    with pytest.raises(QuoteError, match="outside the supported years"):
        quote(CENTRE, datetime(9999, 1, 1, 10, 0, tzinfo=TZ), [Item(1.0)])


def test_higher_target_never_promises_earlier() -> None:
    m = default_model()
    rng = np.random.default_rng(1)
    n = 500
    created = datetime(2026, 3, 2, tzinfo=TZ).timestamp() + rng.uniform(0, 14 * 86400, n)
    lat = 60.17 + rng.normal(0, 0.03, n)
    lon = 24.94 + rng.normal(0, 0.06, n)
    a = quote_arrays(m, lat, lon, created, np.ones(n), target=0.8)
    b = quote_arrays(m, lat, lon, created, np.ones(n), target=0.95)
    both = a.available & b.available & np.isfinite(a.promised) & np.isfinite(b.promised)
    assert both.sum() > n
    assert (b.promised[both] >= a.promised[both]).all()
    assert (b.p50[both] <= b.promised[both]).all()


def _promise(service: str, when: datetime) -> Promise:
    q = _q(when)
    return Promise.from_option(q, q.option("own" if service in ("same_day", "next_day", "slot") else "posti", service), CENTRE)


@pytest.mark.parametrize("service", ["same_day", "next_day", "standard"])
def test_check_probability_falls_without_handover(service: str) -> None:
    p = _promise(service, datetime(2026, 11, 11, 9, 30, tzinfo=TZ))
    probs = [check(p, p.created_at + timedelta(hours=h)).probability for h in (0, 1, 3, 6, 16)]
    assert probs[0] == pytest.approx(p.target, abs=0.02)
    assert all(b <= a + 1e-9 for a, b in zip(probs, probs[1:])), probs
    assert probs[-1] < probs[0] - 0.05
    r = check(p, p.created_at + timedelta(hours=16))
    assert not r.holds and "not handed over" in r.reason
    assert r.p95 >= r.p50 >= p.created_at + timedelta(hours=16)


def test_check_states() -> None:
    p = _promise("same_day", datetime(2026, 11, 11, 9, 30, tzinfo=TZ))
    early = check(p, p.created_at + timedelta(hours=2), PromiseState("handed_over", handed_over_at=p.created_at + timedelta(hours=1)))
    assert early.holds and early.status == "handed_over"
    done = check(p, p.promised_by, PromiseState("delivered", delivered_at=p.promised_by - timedelta(minutes=1)))
    assert done.probability == 1.0 and done.holds
    late = check(p, p.promised_by + timedelta(hours=1), PromiseState("delivered", delivered_at=p.promised_by + timedelta(minutes=1)))
    assert late.probability == 0.0 and not late.holds
    now = p.promised_by - timedelta(hours=2)
    ok = check(p, now, PromiseState("on_route", eta_p50=now + timedelta(minutes=40), eta_p95=now + timedelta(minutes=70)))
    bad = check(p, now, PromiseState("on_route", eta_p50=now + timedelta(minutes=130), eta_p95=now + timedelta(minutes=170)))
    assert ok.probability > 0.99 and bad.probability < 0.5 and not bad.holds
    with pytest.raises(QuoteError, match="handed_over_at is required"):
        check(p, now, PromiseState("handed_over"))


def test_single_cart_fast_path_matches_the_vectorised_one() -> None:
    from engine.promise import rules
    from engine.promise.batch import quote_options, resolve_keys

    m = default_model()
    keys = resolve_keys(m, None)
    rng = np.random.default_rng(5)
    for i in range(300):
        lat, lon = 60.17 + rng.normal(0, 0.2), 24.94 + rng.normal(0, 0.4)
        created = 1.77e9 + rng.uniform(0, 2 * 365 * 86400)  # across DST changes and peak seasons
        w = float(rng.uniform(0, 40))
        cap = {"own": 0} if i % 10 == 0 else {}
        a = quote_options(rules.SCALAR, m, rules.orders_one(m, lat, lon, created, w), keys, 0.95, cap)
        b = quote_arrays(m, np.array([lat]), np.array([lon]), np.array([created]), np.array([w]), keys=keys, capacity_left=cap)
        for f in ("available", "reason", "promised", "window_start", "p50", "probability", "cost", "cutoff", "cutoff_passed", "km"):
            np.testing.assert_allclose(getattr(a, f).astype(float), getattr(b, f).astype(float), atol=1e-6, err_msg=f"{f} at {i}")


def test_promises_fall_in_hours_the_carrier_delivers() -> None:
    m = default_model()
    rng = np.random.default_rng(9)
    n = 2000
    created = datetime(2026, 3, 2, tzinfo=TZ).timestamp() + rng.uniform(0, 21 * 86400, n)
    keys = ["matkahuolto:standard", "posti:standard"]
    b = quote_arrays(m, np.full(n, 60.2), np.full(n, 24.9), created, np.ones(n), keys=keys)
    for k, key in enumerate(keys):
        ok = b.available[:, k]
        wd = np.array([datetime.fromtimestamp(t, TZ).weekday() for t in b.promised[ok, k]])
        assert (wd < 5).all(), f"{key} promised on a weekend"  # these carriers deliver Mon-Fri only
        assert (b.promised[ok, k] >= b.p50[ok, k]).all()


def test_peak_season_promises_are_longer() -> None:
    m = default_model()
    assert "posti:standard@peak" in m.keys
    rng = np.random.default_rng(3)
    n = 400

    def lead(start: datetime) -> float:
        c = start.timestamp() + rng.uniform(0, 14 * 86400, n)
        b = quote_arrays(m, np.full(n, 60.2), np.full(n, 24.9), c, np.ones(n), keys=["posti:standard"])
        return float(np.median(b.promised[:, 0] - c))

    assert lead(datetime(2026, 11, 30, tzinfo=TZ)) > lead(datetime(2026, 10, 5, tzinfo=TZ)) + 6 * 3600


def test_quoting_many_targets_keeps_a_bounded_cache() -> None:
    # Checkout may send any target; each one's tables are cached, so a client cycling through them must not grow the server.
    m = replace(default_model())  # a copy, with its own empty cache
    for i in range(m._levels_cache.maxsize + 40):
        b = quote_arrays(m, np.array([CENTRE[0]]), np.array([CENTRE[1]]), np.array([1.8e9]), np.array([1.0]), target=0.9 + i * 1e-4)
        assert b.available.any()
    assert len(m._levels_cache) <= m._levels_cache.maxsize


def test_the_bounded_cache_keeps_what_checkout_keeps_asking_for() -> None:
    m = replace(default_model())
    one = lambda t: quote_arrays(m, np.array([CENTRE[0]]), np.array([CENTRE[1]]), np.array([1.8e9]), np.array([1.0]), target=t)  # noqa: E731
    one(0.95)
    first = m._levels_cache.get(("promise_table", 0.95))
    for i in range(m._levels_cache.maxsize):
        one(0.9 + i * 1e-4)
        one(0.95)
    assert m._levels_cache.get(("promise_table", 0.95)) is first


def test_a_slot_offered_to_the_historys_cut_off_is_checked_as_quoted() -> None:
    """A quote and a check a minute later agree on a booked slot; delivered before its window, it was not kept."""
    m = default_model()
    booked = replace(m, city=replace(m.city, slot_times=(7.0, 16.0, 18.0, 20.0), slot_len_s=7200.0, slot_lead_h=(9.0, 4.0, 4.0, 4.0)))
    for at in (datetime(2026, 3, 10, 21, 30, tzinfo=TZ), datetime(2026, 3, 10, 11, 45, tzinfo=TZ)):
        q = quote(CENTRE, at, [Item(2.0)], QuoteOptions(only=("own:slot",)), model=booked)
        slot = q.option("own", "slot")
        assert slot.promised_by - slot.window_start == timedelta(hours=2)
        p = Promise.from_option(q, slot, CENTRE)
        r = check(p, at + timedelta(minutes=1), model=booked)
        assert r.holds and r.probability == pytest.approx(slot.probability, abs=1e-3), (at, r)
        early = check(p, slot.window_start, PromiseState("delivered", delivered_at=slot.window_start - timedelta(minutes=30)), model=booked)
        assert early.probability == 0.0 and "before the booked window" in early.reason
        inside = check(p, slot.promised_by, PromiseState("delivered", delivered_at=slot.window_start + timedelta(minutes=30)), model=booked)
        assert inside.probability == 1.0
