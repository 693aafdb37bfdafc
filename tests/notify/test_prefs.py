"""Preferences: quiet hours in the customer's time zone (except critical), a rate limit, opt-out."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.domain.notification import ChannelKind, Customer, OutboxStatus
from engine.notify import MemoryNotifyRepo, in_quiet_hours, on_order_event, send_time

SH = ZoneInfo("Asia/Shanghai")


def at(h: int, m: int = 0, d: int = 28) -> float:
    return datetime(2026, 11, d, h, m, tzinfo=SH).timestamp()


C = Customer("c1", timezone="Asia/Shanghai", quiet_start=22, quiet_end=8, rate_per_hour=2)


def test_quiet_hours_wait_for_the_local_morning_except_critical() -> None:
    assert in_quiet_hours(C, at(23)) and in_quiet_hours(C, at(3)) and not in_quiet_hours(C, at(12))
    assert send_time(C, at(23, 30), critical=False) == at(8, 0, d=29)
    assert send_time(C, at(3), critical=False) == at(8)
    assert send_time(C, at(23, 30), critical=True) == at(23, 30)
    assert send_time(C, at(12), critical=False) == at(12)
    day = Customer("c2", timezone="Europe/Helsinki", quiet_start=9, quiet_end=17)
    assert in_quiet_hours(day, datetime(2026, 11, 28, 10, tzinfo=ZoneInfo("Europe/Helsinki")).timestamp())


def test_rate_limit_moves_messages_to_the_next_free_slot() -> None:
    assert send_time(C, at(12), critical=False, scheduled=[at(11, 30)]) == at(12)
    assert send_time(C, at(12), critical=False, scheduled=[at(11, 10), at(11, 30)]) == at(12, 10)
    assert send_time(C, at(12), critical=True, scheduled=[at(11, 10), at(11, 30)]) == at(12)


def test_preferred_channels_language_and_opt_out() -> None:
    repo = MemoryNotifyRepo()
    repo.orders["o1"] = ("c1", None)
    repo.orders["o2"] = ("c2", None)
    repo.customers["c1"] = Customer("c1", language="zh_CN", channels=(ChannelKind.SMS, ChannelKind.PUSH),
                                    addresses={"sms": "+8613800000000"}, quiet_start=0, quiet_end=0)
    repo.customers["c2"] = Customer("c2", channels=(ChannelKind.EMAIL,), addresses={"email": "b@example.com"}, opted_out=True)
    rows = on_order_event(repo, "o1", "out_for_delivery", at(12))
    assert [(n.channel, n.status, n.language) for n in rows] == [
        (ChannelKind.SMS, OutboxStatus.PENDING, "zh_CN"), (ChannelKind.PUSH, OutboxStatus.SKIPPED, "zh_CN")]
    assert rows[1].last_error == "no push address on file"
    assert on_order_event(repo, "o1", "out_for_delivery", at(12, 5)) == []  # one per order per change of state
    (skipped,) = on_order_event(repo, "o2", "confirmed", at(12))
    assert skipped.status == OutboxStatus.SKIPPED and skipped.last_error == "customer opted out"
    assert on_order_event(repo, "o-unknown", "delivered", at(12)) == []
    with pytest.raises(ValueError):
        on_order_event(repo, "o1", "delay", at(12))
