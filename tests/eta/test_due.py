"""Reading each cell of the due table at its own level (``allocate_levels``) and counting held-out rows met (``held_out_met``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.eta.due import LAMBDAS, allocate_levels, held_out_met, monotone_in_order_time
from engine.eta.model import LEVELS

L = LEVELS.shape[0]
LO = int(np.searchsorted(LEVELS, 0.95 - 1e-12))


def _table(seed: int) -> np.ndarray:
    """A random ``(7, 24, 3, L)`` due table: non-decreasing in level and in order time, like a fitted one."""
    rng = np.random.default_rng(seed)
    steps = rng.exponential(1800.0, (7, 24, 3, L)) * (rng.random((7, 24, 3, L)) < 0.5)
    base = 86400.0 + rng.integers(0, 3, (7, 24, 3, 1)) * 86400.0
    return monotone_in_order_time(base + np.cumsum(steps, axis=-1))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.0, 1e3, 1e5, 1e6, 1e7, 1e9]))
def test_no_cell_is_read_below_the_floor_nor_above_the_top(seed: int, lam: float) -> None:
    due = _table(seed)
    a = allocate_levels(due, lam, LO)
    assert a.shape == due.shape[:3]
    assert (a >= due[..., LO] - 1e-6).all() and (a <= due[..., -1] + 1e-6).all()
    # Ordering later never gives an earlier promise (the week wraps: Sunday night before Monday).
    week = (a + (np.arange(7) * 86400.0)[:, None, None]).reshape(7 * 24, 3)
    assert (np.diff(week, axis=0) >= -1e-6).all()


def test_the_ends_of_the_price_range_are_one_level_for_every_cell() -> None:
    due = _table(1)
    np.testing.assert_allclose(allocate_levels(due, 0.0, LO), due[..., LO])
    np.testing.assert_allclose(allocate_levels(due, 1e12, LO), due[..., -1])


def test_a_wave_cell_takes_the_top_level_and_a_long_tail_keeps_the_floor() -> None:
    due = np.zeros((7, 24, 3, L))
    # Monday 10:00, band 0: delivered in one wave (every level at the same time); band 1: an hour more per level.
    due[...] = 2 * 86400.0
    due[0, 10, 1] = 2 * 86400.0 + np.arange(L) * 3600.0
    a = allocate_levels(due, 1e5, LO)  # a level point is worth 1,000 s here: the tail's 36,000 s per point is too dear
    assert a[0, 10, 0] == 2 * 86400.0
    assert a[0, 10, 1] == due[0, 10, 1, LO]


def _brute(due: np.ndarray, wd, hr, db, y, table: np.ndarray) -> int:
    p = np.ceil(table[wd, hr, db] / 300.0) * 300.0
    return int((y <= p).sum())


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_held_out_counts_agree_with_counting_row_by_row(seed: int) -> None:
    rng = np.random.default_rng(seed)
    due = _table(seed)
    n = 3000
    wd, hr, db = rng.integers(0, 7, n), rng.integers(0, 24, n), rng.integers(0, 3, n)
    y = due[wd, hr, db, rng.integers(0, L, n)] + rng.normal(0.0, 900.0, n)
    lams = LAMBDAS[::15]
    one, alloc = held_out_met(due, wd, hr, db, y, lambdas=lams)
    assert one.shape == (L,) and alloc.shape == (L, lams.shape[0])
    for li in (0, LO, L - 1):
        assert one[li] == _brute(due, wd, hr, db, y, due[..., li])
        for g, lam in enumerate(lams):
            assert alloc[li, g] == _brute(due, wd, hr, db, y, allocate_levels(due, float(lam), li))


def test_a_cell_without_a_value_meets_none_of_its_rows() -> None:
    due = _table(3)
    due[2, 9] = np.nan
    wd, hr, db, y = np.array([2, 2, 3]), np.array([9, 9, 9]), np.array([0, 1, 0]), np.array([0.0, 0.0, 0.0])
    one, alloc = held_out_met(due, wd, hr, db, y, lambdas=LAMBDAS[:2])
    assert (one == 1).all() and (alloc == 1).all()
    a = allocate_levels(due, 1e5, LO)
    assert np.isnan(a[2, 9]).all() and np.isfinite(a[2, 10:]).all() and np.isfinite(a[3:]).all()


def test_endless_promises_meet_every_row_and_none() -> None:
    due = _table(4)
    due[1, 8] = np.inf  # promised whenever: every row of the cell is met
    due[1, 9] = -np.inf  # promised before anything: none is
    wd, hr, db = np.array([1, 1, 1, 1]), np.array([8, 8, 9, 9]), np.array([0, 2, 0, 1])
    y = np.array([5e5, 1e6, 0.0, 10.0])
    one, _ = held_out_met(due, wd, hr, db, y, lambdas=LAMBDAS[:1])
    assert (one == 2).all()


def _next_day_history(days: int, seed: int, slip_21h_days: float = 0.0, bad_monday: int | None = None):
    """A next-day service: orders 08:00-23:59 every day; delivered the next day 10:00-18:00, the day after from 22:00.

    ``slip_21h_days``: share of days on which a third of the 21:00 orders slip a day (a real cut-off effect);
    ``bad_monday``: on that day number (a Monday), two of the 23:00 orders arrive a further day late (one bad day).
    """
    rng = np.random.default_rng(seed)
    wd, hr, day, y = [], [], [], []
    for d in range(days):
        slip = rng.random() < slip_21h_days
        for h in range(8, 24):
            n = 7  # 63 rows per weekday hour over nine weeks: the 95.5% order statistic is the second largest
            late = np.zeros(n, dtype=int) + (h >= 22)
            if h == 21 and slip:
                late[: n // 3] += 1
            if bad_monday == d and h == 23:
                late[:2] += 1
            wd += [d % 7] * n
            hr += [h] * n
            day += [d] * n
            y += list((1 + late) * 86400.0 + rng.uniform(10, 18, n) * 3600.0)
    a = lambda v: np.asarray(v)  # noqa: E731
    return a(wd), a(hr), np.zeros(len(wd), dtype=np.int64), a(day), a(y)


LV = int(np.searchsorted(LEVELS, 0.955 - 1e-12))


def test_one_bad_night_does_not_move_the_next_day_a_day_later() -> None:
    from engine.eta.due import fit_due_table  # noqa: PLC0415

    # Sixty days (nine Mondays): two parcels of one Monday 23:00 arrive a day late.  Before, that hour split off
    # as a slipping cut-off hour of its own, read D+3, and the running maximum carried D+3 into all of Tuesday.
    clean = fit_due_table(*_next_day_history(63, 1))
    bad = fit_due_table(*_next_day_history(63, 1, bad_monday=7))
    assert clean[1, 10, 0, LV] < 2 * 86400.0  # Tuesday 10:00: next day
    assert bad[1, 10, 0, LV] < 2 * 86400.0
    assert bad[0, 23, 0, LV] < 3 * 86400.0  # Monday 23:00: the day after next, not the one after that


def test_a_cut_off_hour_that_slips_on_many_days_is_still_its_own() -> None:
    from engine.eta.due import fit_due_table  # noqa: PLC0415

    # A third of the 21:00 orders slip a day on 40% of days: 21:00 keeps its later promise, 20:00 does not get it.
    t = fit_due_table(*_next_day_history(63, 2, slip_21h_days=0.4))
    assert t[2, 21, 0, LV] >= 2 * 86400.0
    assert t[2, 20, 0, LV] < 2 * 86400.0


def test_a_short_history_keeps_the_morning_on_its_own_day() -> None:
    from engine.eta.due import fit_due_table  # noqa: PLC0415

    # Nine weeks, three lockers parcels an hour: orders before 13:00 are collected the next day, later ones the day
    # after.  No hour has the 40 rows a cell needs on its own; the morning's period has 135, and reads them,
    # instead of taking the afternoon's promise (the day after next) as a never-sold hour would.
    rng = np.random.default_rng(3)
    wd, hr, day, y = [], [], [], []
    for d in range(63):
        for h in range(8, 24):
            wd += [d % 7] * 3
            hr += [h] * 3
            day += [d] * 3
            y += list((1 + (h >= 13)) * 86400.0 + rng.uniform(9, 18, 3) * 3600.0)
    a = lambda v: np.asarray(v)  # noqa: E731
    t = fit_due_table(a(wd), a(hr), np.zeros(len(wd), dtype=np.int64), a(day), a(y))
    assert (t[:, 8:13, 0, LV] < 2 * 86400.0).all()
    assert (t[:, 13:, 0, LV] >= 2 * 86400.0).all()


def test_a_parcel_across_town_never_borrows_the_tail_of_one_across_the_country() -> None:
    from engine.eta.due import fit_due_table  # noqa: PLC0415

    # A national carrier: nine in ten parcels stay in the metro (bands 0 and 1: the next day by 18:00), one in ten
    # goes 1,000 km (band 2: eight days).  The metro's promise is the metro's, by band, also in the night hours
    # that hold too few rows of their own band (before, the period's pool over every band won over the band's, and
    # every metro parcel was promised the long haul's tail).
    rng = np.random.default_rng(4)
    wd, hr, db, day, y = [], [], [], [], []
    for d in range(63):
        for h in range(24):
            n = 12 if 8 <= h < 23 else 2
            band = np.where(rng.random(n) < 0.1, 2, rng.integers(0, 2, n))
            wd += [d % 7] * n
            hr += [h] * n
            db += band.tolist()
            day += [d] * n
            y += list(np.where(band == 2, 8, 1) * 86400.0 + rng.uniform(10, 18, n) * 3600.0)
    a = lambda v: np.asarray(v)  # noqa: E731
    t = fit_due_table(a(wd), a(hr), a(db), a(day), a(y))
    assert (t[:, :, :2, LV] < 2 * 86400.0).all()
    assert (t[:, 8:23, 2, LV] >= 8 * 86400.0).all()
