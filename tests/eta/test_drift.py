"""engine.eta.drift: the live correction widens when recent coverage falls, stays neutral when steady, is bounded and causal."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from engine.errors import InputError
from engine.eta.drift import DriftParams, DriftState

H, DAY = 3600.0, 86400.0


def _replay(lead_h, days: int = 30, per_day: int = 200, late_share: float = 0.04, params: DriftParams | None = None,
            step_h: float = 6.0, seed: int = 0, stop: float | None = None):
    """Orders promised 24 h after creation; delivered ``lead_h(created)`` later (``late_share`` of them 5 h past the promise).

    Feeds the state as a live system would (open at creation, advance, close on delivery);
    returns the state and the (time, shift, coverage) it showed at every step.
    """
    rng = np.random.default_rng(seed)
    n = days * per_day
    cr = np.sort(rng.uniform(0, days * DAY, n))
    promised = cr + 24 * H
    lead = np.array([lead_h(c) for c in cr]) * H
    delivered = np.where(rng.random(n) < late_share, promised + 5 * H, cr + lead)
    st = DriftState(params or DriftParams(min_count=50))
    seen, prev, t = [], -math.inf, 0.0
    end = stop if stop is not None else (days + 4) * DAY
    while t <= end:
        o = np.flatnonzero((cr > prev) & (cr <= t))
        st.open("c:s", o.tolist(), promised[o].tolist())
        st.advance(t)
        d = np.flatnonzero((delivered > prev) & (delivered <= t))
        st.close("c:s", d.tolist(), delivered[d].tolist())
        seen.append((t, st.shift("c:s"), st.coverage("c:s")))
        prev, t = t, t + step_h * H
    return st, seen, (cr, promised, delivered)


def test_neutral_on_a_steady_history() -> None:
    # ~96% met (4% late), between the trigger and the ceiling: it never widens, and a reading that
    # noise lifts over the ceiling (recent days weigh more, so a window is a few hundred parcels) moves
    # it rarely.
    p = DriftParams(min_count=50)
    shifts = []
    for seed in (0, 1, 2):
        st, seen, _ = _replay(lambda c: 20.0, seed=seed, params=p)
        steady = [(s, c) for t, s, c in seen if 3 * DAY <= t <= 30 * DAY]
        assert steady and all(c > p.trigger for _, c in steady), seed
        shifts += [s for s, _ in steady]
    assert max(shifts) == 0.0
    assert np.mean(np.asarray(shifts) == 0.0) >= 0.95


def test_widens_when_recent_coverage_falls_and_recovers() -> None:
    # From day 15 every parcel takes 8 h longer: the 24 h promise is missed by ~4 h.
    st, seen, (cr, promised, delivered) = _replay(lambda c: 20.0 + (8.0 if c > 15 * DAY else 0.0))
    before = [s for t, s, _ in seen if t < 15 * DAY]
    after = [s for t, s, _ in seen if 20 * DAY < t < 30 * DAY]
    assert all(s == 0.0 for s in before)
    assert after and all(s >= 4 * H for s in after)
    # The shift chosen is the smallest grid step that brings recent coverage back to the goal.
    assert max(after) <= 6 * H
    assert st.coverage_at_shift("c:s") >= st.params.goal


def test_backlog_counts_parcels_still_in_transit() -> None:
    # From day 10 nothing is delivered at all: only the undelivered parcels past their promise can tell.
    st, seen, _ = _replay(lambda c: 20.0 if c < 10 * DAY else 1e6, stop=13 * DAY)
    assert seen[-1][1] > 0.0
    assert seen[-1][2] < 0.7  # 2 of the window's 7 days are parcels still out past their promise


def test_bounded_by_the_grid() -> None:
    p = DriftParams(min_count=50, shifts_h=(0, 2, 4))
    st, seen, _ = _replay(lambda c: 20.0 if c < 10 * DAY else 60.0, params=p, stop=20 * DAY)
    assert max(s for _, s, _ in seen) == 4 * H


def test_ignores_future_data() -> None:
    st = DriftState(DriftParams(min_count=1))
    st.advance(10 * DAY)
    with pytest.raises(InputError, match="advance first"):
        st.close("c:s", [1], [11 * DAY])
    # An order opened now and promised tomorrow tells nothing yet, whatever happens later.
    st.open("c:s", [1], [11 * DAY])
    assert math.isnan(st.coverage("c:s")) and st.shift("c:s") == 0.0


def test_a_late_delivery_replaces_the_miss_counted_while_in_transit() -> None:
    p = DriftParams(min_count=1, trigger=0.5, goal=0.6, shifts_h=(0, 2), narrow_levels=())
    st = DriftState(p)
    st.open("c:s", [1], [DAY])
    st.advance(DAY + 3 * H)  # past due at 0 and at 2 h: missed at both, still out
    assert st.coverage("c:s") == 0.0
    st.close("c:s", [1], [DAY + H])  # reported late: it was delivered 1 h after the promise
    b = sum(st._buckets["c:s"].values())
    assert b.tolist() == [[0, 1], [1, 1]]  # missed at 0, met at +2 h; nothing counted twice


def test_params_are_validated_and_state_pickles() -> None:
    with pytest.raises(InputError):
        DriftParams(shifts_h=(2, 4))
    with pytest.raises(InputError):
        DriftParams(trigger=0.97, goal=0.95)
    st, _, _ = _replay(lambda c: 20.0, days=5, per_day=50)
    again = pickle.loads(pickle.dumps(st))
    assert again.shifts() == st.shifts() and again.now == st.now


def test_narrows_carefully_only_when_asked() -> None:
    # Parcels arrive 8 h before a 24 h promise and never late: 100% covered.
    early = lambda c: 16.0  # noqa: E731
    st, seen, _ = _replay(early, late_share=0.0, params=DriftParams(min_count=50, ceiling=None))
    assert all(s == 0.0 for _, s, _ in seen)  # without a ceiling never narrower
    p = DriftParams(min_count=50, ceiling=0.99, narrow_goal=0.975, shifts_h=(-12, -6, -4, -2, 0, 2), narrow_levels=())
    st, seen, _ = _replay(early, late_share=0.0, params=p)
    shifts = [s for t, s, _ in seen if t > 5 * DAY]
    # -6 h still covers every parcel; -12 h would miss them all: the bound is the most negative shift that keeps narrow_goal.
    assert shifts and all(s == -6 * H for s in shifts)
    assert math.isnan(st.level("c:s"))  # narrowing by shifts reads no other level


def test_narrows_by_the_lowest_level_whose_promises_still_hold() -> None:
    # Parcels arrive 16 h after the order, promised at 24 h; the p80 promise (10 h) would miss them all, the
    # p90 one (18 h) meets them all: over-covered, the service is read at p90, not moved in time.
    n = 2000
    cr = np.linspace(0, 10 * DAY, n)
    promised, delivered = cr + 24 * H, cr + 16 * H
    rungs = np.column_stack([cr + 10 * H, cr + 18 * H])
    p = DriftParams(min_count=50, narrow_levels=(0.8, 0.9))
    st = DriftState(p)
    _feed(st, "c:s", cr, promised, delivered, [""] * n, 11 * DAY, rungs=rungs)
    assert st.level("c:s") == 0.9 and st.level("c:s", "") == 0.9
    assert st.shift("c:s") == 0.0 and st.shifts() == {"c:s": 0.0} and st.levels() == {"c:s": 0.9}
    assert st.coverage_at_shift("c:s") == 1.0 and st.coverage("c:s") == 1.0
    # Without its orders' lower promises a service is never narrowed: nothing was measured there.
    blind = DriftState(p)
    _feed(blind, "c:s", cr, promised, delivered, [""] * n, 11 * DAY)
    assert math.isnan(blind.level("c:s")) and blind.shift("c:s") == 0.0 and blind.coverage("c:s") == 1.0
    # A lower level's promise given later than the promise is read as the promise itself.
    st2 = DriftState(p)
    st2.open("c:s", [1], [100 * H], rungs=[[90 * H, 130 * H]])
    o = st2._open["c:s"]
    assert o.rows[o.index[1]].tolist() == [90 * H, 100 * H, 100 * H, math.inf]  # the last: no cap
    with pytest.raises(InputError, match="rungs"):
        st2.open("c:s", [2, 3], [100 * H, 101 * H], rungs=[[90 * H, 95 * H]])
    with pytest.raises(InputError, match="rungs"):
        st2.open("c:s", [2, 3], [100 * H, 101 * H], rungs=[[90 * H, 95 * H], [90 * H]])
    with pytest.raises(InputError, match="promised"):
        st2.open("c:s", [2, 3], [100 * H])
    assert st2.open_count("c:s") == 1  # nothing of a refused batch is kept


def test_levels_and_negative_shifts_do_not_mix() -> None:
    with pytest.raises(InputError, match="narrow_levels"):
        DriftParams(shifts_h=(-6, 0, 6))
    with pytest.raises(InputError, match="narrow_levels"):
        DriftParams(narrow_levels=(0.9, 0.8))
    assert DriftParams(shifts_h=(-6, 0, 6), narrow_levels=()).shifts_h[0] == -6


def _feed(st: DriftState, key: str, cr: np.ndarray, promised: np.ndarray, delivered: np.ndarray, seasons: list[str], until: float,
          rungs: np.ndarray | None = None) -> None:
    """Open every order at its creation (with its lower-level promises ``rungs``), close it at its delivery, in 6 h steps up to ``until``."""
    prev, t = -math.inf, 0.0
    while t <= until:
        o = np.flatnonzero((cr > prev) & (cr <= t))
        st.open(key, o.tolist(), promised[o].tolist(), seasons=[seasons[i] for i in o], rungs=None if rungs is None else rungs[o])
        st.advance(t)
        d = np.flatnonzero((delivered > prev) & (delivered <= t))
        st.close(key, d.tolist(), delivered[d].tolist())
        prev, t = t, t + 6 * H


def test_a_narrowing_measured_on_a_season_table_does_not_reach_ordinary_orders() -> None:
    # A generous season table: its parcels all arrive a day before their promise; ordinary orders come after it.
    n = 2000
    cr = np.linspace(0, 10 * DAY, n)
    promised = cr + 72 * H
    delivered = promised - 30 * H
    rungs = np.repeat((promised - 20 * H)[:, None], len(DriftParams().narrow_levels), axis=1)
    st = DriftState(DriftParams(min_count=50))
    _feed(st, "c:s", cr, promised, delivered, ["peak"] * n, 14 * DAY, rungs=rungs)
    assert st.level("c:s", "peak") < 0.95  # the season's own orders are narrowed
    assert math.isnan(st.level("c:s", "")) and st.shift("c:s", "") == 0.0  # an ordinary order is not
    # One window for the service (calendar_aware=False): the narrowing reaches every order.
    flat = DriftState(DriftParams(min_count=50, calendar_aware=False))
    _feed(flat, "c:s", cr, promised, delivered, ["peak"] * n, 14 * DAY, rungs=rungs)
    assert flat.level("c:s", "") < 0.95


def test_a_backlog_seen_in_a_season_widens_the_ordinary_orders_after_it() -> None:
    # The season's parcels run 30 h late: the backlog outlasts its table, so ordinary orders are widened too.
    n = 2000
    cr = np.linspace(0, 10 * DAY, n)
    promised = cr + 24 * H
    delivered = promised + 30 * H
    st = DriftState(DriftParams(min_count=50))
    _feed(st, "c:s", cr, promised, delivered, ["peak"] * n, 12 * DAY)
    assert st.shift("c:s", "") >= 30 * H and st.shift("c:s", "peak") >= 30 * H
    got = st.shift("c:s", np.array(["", "peak", "holiday"]))
    assert isinstance(got, np.ndarray) and (got >= 30 * H).all()
    # Orders live under their season's sub-key; the service's counts and lookups still find them.
    assert st.open_count("c:s") == int((delivered > st.now).sum()) > 0
    assert st.holds("c:s", n - 1) and not st.holds("c:s", 5)


def test_ordinary_orders_are_not_narrowed_while_a_season_promise_is_ahead() -> None:
    # Ordinary orders over-covered (narrowing measured on them) while a few holiday orders are still promised ahead.
    n = 2000
    cr = np.linspace(0, 10 * DAY, n)
    promised = cr + 48 * H
    delivered = promised - 30 * H
    labels = [""] * n
    st = DriftState(DriftParams(min_count=50))
    rungs = np.repeat((promised - 20 * H)[:, None], len(st.params.narrow_levels), axis=1)
    _feed(st, "c:s", cr, promised, delivered, labels, 11 * DAY, rungs=rungs)
    assert st.level("c:s", "") < 0.95
    st.open("c:s", ["h1"], [st.now + 3 * DAY], seasons=["holiday"])
    assert math.isnan(st.level("c:s", "")) and st.shift("c:s", "") == 0.0
    st.advance(st.now + 3 * DAY + 1)
    assert st.level("c:s", "") < 0.95 and st.shift("c:s", "") == 0.0


def test_the_median_channel_widens_a_long_promise_sooner_and_enough() -> None:
    # A 9-day promise whose median is 5 days: orders from day 20 take 11 days (the promise is missed by 2).
    n = 6000
    cr = np.linspace(0, 40 * DAY, n)
    promised, p50 = cr + 9 * DAY, cr + 5 * DAY
    delivered = cr + np.where(cr > 20 * DAY, 11 * DAY, 4.5 * DAY)
    with_median, without = DriftState(DriftParams(min_count=50)), DriftState(DriftParams(min_count=50))
    prev, t, first, enough = -math.inf, 0.0, {}, {}
    while t <= 40 * DAY:
        o = np.flatnonzero((cr > prev) & (cr <= t))
        with_median.open("c:s", o.tolist(), promised[o].tolist(), median=p50[o].tolist())
        without.open("c:s", o.tolist(), promised[o].tolist())
        for name, st in (("median", with_median), ("plain", without)):
            st.advance(t)
            d = np.flatnonzero((delivered > prev) & (delivered <= t))
            st.close("c:s", d.tolist(), delivered[d].tolist())
            if st.shift("c:s", "") > 0:
                first.setdefault(name, t)
            if st.shift("c:s", "") >= 2 * DAY:
                enough.setdefault(name, t)
        prev, t = t, t + 6 * H
    assert first["median"] <= first["plain"]
    assert enough["median"] < enough.get("plain", math.inf)
    assert with_median.open_count("c:s") == without.open_count("c:s")
    with pytest.raises(InputError):
        DriftParams(median_trigger=0.6, median_goal=0.5)


def test_recent_days_weigh_more_so_a_cleared_backlog_stops_widening_sooner() -> None:
    # Days 8-13 every parcel is 6 h late; then the carrier is back to normal.
    def lead(c: float) -> float:
        return 30.0 if 8 * DAY < c < 13 * DAY else 20.0

    def back_to_zero(params: DriftParams) -> float:
        _, seen, _ = _replay(lead, params=params)
        assert any(s > 0 for t, s, _ in seen if t < 16 * DAY)  # it did widen
        return min(t for t, s, _ in seen if t > 14 * DAY and s == 0.0)

    flat = back_to_zero(DriftParams(min_count=50, half_life_days=None))
    recent = back_to_zero(DriftParams(min_count=50, half_life_days=2.0))
    assert recent < flat - DAY


def test_half_life_must_be_positive() -> None:
    with pytest.raises(InputError, match="half_life_days"):
        DriftParams(half_life_days=0.0)
