"""Templates: every event on every channel in English and Simplified Chinese, dates by Babel, SMS in one message."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.domain.notification import ChannelKind, NoticeEvent
from engine.notify import render, sms_segments

T = datetime(2026, 11, 28, 14, 5, tzinfo=timezone.utc).timestamp()
PAYLOAD = dict(order_id="ORD-2026-00012345", promised_by=T, revised_p50=T + 1560, revised_p95=T + 3600, at=T, eta=T,
               reason="van-3 broke down at 14:05 on the ring road; a replacement van is on its way to take over",
               ticket_id="9f3a1c2b7d4e5f60", status="waiting_customer", name="Li Wei", text="Please send a photo.")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("event", list(NoticeEvent))
@pytest.mark.parametrize("channel", [ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.PUSH, ChannelKind.WEBHOOK])
def test_every_template_renders_and_sms_fits_one_message(language, event, channel) -> None:
    m = render(event, channel, PAYLOAD, language=language, tz="Asia/Shanghai")
    assert m.body.strip()
    ident = "9f3a1c2b7d4e5f60" if event == NoticeEvent.TICKET_UPDATE else "ORD-2026-00012345"
    if channel in (ChannelKind.EMAIL, ChannelKind.SMS):
        assert ident in m.subject + m.body
    if channel == ChannelKind.SMS:
        assert sms_segments(m.body) == 1, m.body
    if channel == ChannelKind.EMAIL:
        assert m.subject and "\n" not in m.subject


def test_dates_are_local_and_localised() -> None:
    en = render(NoticeEvent.DELAY, ChannelKind.EMAIL, PAYLOAD, language="en", tz="Asia/Shanghai")
    zh = render(NoticeEvent.DELAY, ChannelKind.EMAIL, PAYLOAD, language="zh-CN", tz="Asia/Shanghai")
    assert "10:31 PM" in en.body and "11:05 PM" in en.body and "Sat, Nov 28" in en.body  # 14:05 UTC is 22:05 in Shanghai
    assert "22:31" in zh.body and "23:05" in zh.body and "11月28日周六" in zh.body and "延误" in zh.subject
    assert "van-3 broke down" in en.body  # the reason, whole, in an e-mail
    fi = render(NoticeEvent.DELIVERED, ChannelKind.SMS, PAYLOAD, language="fi", tz="Europe/Helsinki")
    assert fi.body.startswith("Order") and "4:05 PM" in fi.body  # unknown language: English


def test_sms_segments() -> None:
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("订" * 70) == 1 and sms_segments("订" * 71) == 2
    assert sms_segments("[" * 80) == 1 and sms_segments("[" * 81) == 2
