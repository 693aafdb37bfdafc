"""Holidays taken out of a history's times (``engine.eta.warp``) are put back by the quote's walk."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.eta.warp import warp_days
from engine.promise import rules


def _model(works: tuple[bool, ...], holidays: tuple[int, ...]) -> SimpleNamespace:
    """The fields ``rules.holiday_days`` reads, for one carrier/service idle on ``holidays``."""
    delivers = np.zeros((1, 7, 24), dtype=bool)
    delivers[0, np.nonzero(works)[0], 12] = True
    city = SimpleNamespace(holiday_idle=("own:next_day",), new_holidays=holidays, seen_break_days=0, holiday_stops=())
    return SimpleNamespace(keys=["own:next_day"], delivers=delivers, city=city, _levels_cache={})


@settings(max_examples=300, deadline=None)
@given(
    works=st.lists(st.booleans(), min_size=7, max_size=7).filter(any),
    holidays=st.sets(st.integers(20_000, 20_040), max_size=12),
    order_day=st.integers(20_000, 20_030),
    wait=st.integers(0, 20),
)
def test_the_quote_walk_puts_back_what_the_warp_took_out(works: list[bool], holidays: set[int], order_day: int,
                                                        wait: int) -> None:
    # A parcel is delivered on a day the service delivers and that is no holiday.
    day = order_day + wait
    while not works[(day + 3) % 7] or day in holidays:
        day += 1
    hol = np.array(sorted(holidays), dtype=np.int64)
    back = int(warp_days(np.array([order_day]), np.array([day]), np.array(works), hol)[0])
    warped = day - back
    assert warped >= order_day
    assert back == 0 or any(order_day <= h <= day and works[(h + 3) % 7] for h in holidays)
    assert warped + rules.holiday_days(_model(tuple(works), tuple(sorted(holidays))), 0, order_day, warped) == day


def test_a_monday_holiday_moves_a_tuesday_delivery_to_monday_and_a_later_one_by_a_day() -> None:
    monday = 20_003  # 1970-01-01 + 20003 days is a Monday
    assert (monday + 3) % 7 == 0
    works = np.array([True] * 5 + [False, False])
    fri = monday - 3
    back = warp_days(np.array([fri, fri, fri, monday + 1]), np.array([monday + 1, monday + 3, fri, monday + 2]), works,
                     np.array([monday]))
    # Ordered Friday, delivered Tuesday after the holiday: an ordinary Monday delivery; Thursday: a Wednesday one.
    # Delivered the day it was ordered, or ordered after the holiday: nothing to take out.
    assert back.tolist() == [1, 1, 0, 0]


def _stopping(works: tuple[bool, ...], stops: tuple[int, ...], table: str = "own:next_day") -> SimpleNamespace:
    """The fields ``rules.holiday_days`` reads, for one carrier/service that stops on some holidays only."""
    m = _model(works, ())
    m.keys = [table]
    m.city = SimpleNamespace(holiday_idle=(), new_holidays=(), seen_break_days=0, holiday_stops=(("own:next_day", stops),))
    return m


def test_a_service_stopping_on_some_holidays_is_never_promised_on_them() -> None:
    """An own fleet that drives Monday to Saturday and stops on a three-day break (Thursday to Saturday): a
    Wednesday order promised for Friday moves off the break to Monday, from any of its tables (they learnt what
    its breaks cost as delivered, with those days pooled in); a promise past the break stays."""
    wed = 20_005  # a Wednesday
    assert (wed + 3) % 7 == 2
    works = (True,) * 6 + (False,)
    brk = (wed + 1, wed + 2, wed + 3)
    for table in ("own:next_day", "own:next_day@holiday"):
        assert wed + 2 + rules.holiday_days(_stopping(works, brk, table), 0, wed, wed + 2) == wed + 5
    assert rules.holiday_days(_stopping(works, brk), 0, wed, wed + 6) == 0
    # A promise before the break, or an order after it, does not move; nor for another holiday.
    assert rules.holiday_days(_stopping(works, brk), 0, wed - 2, wed) == 0
    assert rules.holiday_days(_stopping(works, brk), 0, wed + 5, wed + 6) == 0
    assert rules.holiday_days(_stopping(works, (wed + 30,)), 0, wed, wed + 2) == 0
