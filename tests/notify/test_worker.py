"""The worker against real receivers on 127.0.0.1: signed webhooks, SMTP, Apprise and an HTTP SMS provider.

Retries run on a SimClock: the backoff is real (tenacity's exponential with
jitter) but no test waits for it.
"""

from __future__ import annotations

import socket

import pytest

from engine import notify, tickets
from engine.clock import SimClock
from engine.domain.monitor import DelayWarning, NoticeKind, Severity
from engine.domain.notification import ChannelKind, Customer, OutboxStatus
from engine.domain.ticket import TicketCategory, TicketStatus
from engine.notify import ChannelConfig, RetryPolicy, Worker, build_channels, webhook_id
from engine.store.aftersales import StoreOutbox, unit
from tests.notify.receiver import SECRET, Receiver

T0 = 1_764_338_400.0  # 2026-11-28 14:00 UTC


def _customer(store, channels, addresses, **kw) -> None:
    with unit(store) as u:
        u.put_customer(Customer("c1", name="Ann", channels=channels, addresses=addresses, quiet_start=0, quiet_end=0, **kw))
        u.link_order("o1", "c1", "north")


def _warn(wid="w1", kind=NoticeKind.DELAY, sev=Severity.MAJOR, at=T0) -> DelayWarning:
    return DelayWarning(wid, "p", 1, kind, "o1", at, at + 3600, 0.35, at + 4000, at + 5400, sev, 3600.0, "snow, speeds -40%")


def test_webhooks_are_signed_and_carry_the_same_id_on_every_attempt(store) -> None:
    clock = SimClock(T0)
    with Receiver() as rx:
        _customer(store, (ChannelKind.WEBHOOK,), {"webhook": rx.url})
        with unit(store) as u:
            t = tickets.on_warning(u, _warn())
            notify.on_warning(u, _warn(), ticket_id=t.ticket_id)
        rx.fail_times = 2
        w = Worker(StoreOutbox(store), build_channels(ChannelConfig(webhook_secret=SECRET)), clock,
                   retry=RetryPolicy(max_attempts=5, initial_s=2, jitter_s=1), concurrency=2)
        assert w.run_once() == 1 and w.failed == 1
        assert w.run_once() == 0  # backing off
        for _ in range(20):
            clock.advance(5)
            w.run_once()
        w.close()
        assert len(rx.calls) == 1 and rx.bad_signatures == 0
        mid, body = rx.calls[0]
        assert mid == webhook_id("warning:w1/webhook") and body["type"] == "order.delay"
        assert body["data"]["reason"] == "snow, speeds -40%" and body["data"]["revised_p95"] == T0 + 5400
        assert body["data"]["ticket_id"] == t.ticket_id and "snow" in body["data"]["text"]
    with unit(store) as u:
        (n,) = u.notifications_for(order_id="o1")
        assert n.status == OutboxStatus.SENT and n.attempts == 3
        att = u.attempts_for(n.notification_id)
        assert [a.ok for a in att] == [False, False, True] and [a.status_code for a in att] == [503, 503, 200]
        assert att[1].started_at - att[0].started_at >= 2.0  # backoff grew with the attempt


def test_a_message_that_keeps_failing_is_dead_lettered_with_the_reason(store) -> None:
    clock = SimClock(T0)
    with Receiver() as rx:
        _customer(store, (ChannelKind.WEBHOOK,), {"webhook": rx.url})
        with unit(store) as u:
            notify.on_warning(u, _warn())
            notify.on_order_event(u, "o1", "confirmed", T0)
        rx.fail_times, rx.fail_with = 10**6, 500
        w = Worker(StoreOutbox(store), build_channels(ChannelConfig(webhook_secret=SECRET)), clock,
                   retry=RetryPolicy(max_attempts=3, initial_s=1, max_s=10, jitter_s=0.5))
        for _ in range(40):
            clock.advance(15)
            w.run_once()
        w.close()
    with unit(store) as u:
        rows = u.notifications_for(customer_id="c1")
        assert {n.status for n in rows} == {OutboxStatus.DEAD}
        assert all(n.attempts == 3 and "gave up after 3 attempts: HTTP 500" in n.last_error for n in rows)


def test_a_permanent_refusal_is_dead_at_once(store) -> None:
    with Receiver() as rx:
        _customer(store, (ChannelKind.WEBHOOK, ChannelKind.PUSH), {"webhook": rx.url, "push": "tok"})
        with unit(store) as u:
            notify.on_order_event(u, "o1", "delivered", T0)
        rx.fail_times, rx.fail_with = 1, 410
        w = Worker(StoreOutbox(store), build_channels(ChannelConfig(webhook_secret=SECRET)), SimClock(T0))
        w.run_once()
        w.close()
    with unit(store) as u:
        by = {n.channel: n for n in u.notifications_for(customer_id="c1")}
        assert by[ChannelKind.WEBHOOK].status == OutboxStatus.DEAD and "HTTP 410" in by[ChannelKind.WEBHOOK].last_error
        assert by[ChannelKind.PUSH].status == OutboxStatus.DEAD and "no push channel" in by[ChannelKind.PUSH].last_error


def test_email_over_smtp_to_a_local_server(store) -> None:
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    from aiosmtpd.handlers import Sink  # noqa: F401

    got = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            got.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free port (the controller's own readiness check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        _customer(store, (ChannelKind.EMAIL,), {"email": "li@example.cn"}, language="zh_CN", timezone="Asia/Shanghai")
        with unit(store) as u:
            notify.on_warning(u, _warn())
        cfg = ChannelConfig(smtp_url=f"smtp://127.0.0.1:{port}?from=service@shop.example")
        w = Worker(StoreOutbox(store), build_channels(cfg), SimClock(T0))
        w.run_once()
        w.close()
    finally:
        ctl.stop()
    assert len(got) == 1 and got[0].rcpt_tos == ["li@example.cn"]
    text = got[0].content.decode("utf-8", "replace")
    assert webhook_id("warning:w1/email") in text and "service@shop.example" in text
    with unit(store) as u:
        assert u.notifications_for(customer_id="c1")[0].status == OutboxStatus.SENT


def test_sms_through_an_http_provider_and_push_through_apprise(store) -> None:
    with Receiver() as rx:
        _customer(store, (ChannelKind.SMS, ChannelKind.PUSH), {"sms": "+358401234567", "push": "device-1"})
        with unit(store) as u:
            notify.on_order_event(u, "o1", "out_for_delivery", T0, payload={"eta": T0 + 1800})
        base = rx.url.rsplit("/", 1)[0].replace("http://", "")
        cfg = ChannelConfig(sms_url=rx.url, push_url="json://" + base + "/push?to={address}", provider_token="t0k")
        w = Worker(StoreOutbox(store), build_channels(cfg), SimClock(T0))
        w.run_once()
        w.close()
        assert len(rx.calls) == 2
        sms = next(b for _, b in rx.calls if "to" in b)
        assert sms["to"] == "+358401234567" and "out for delivery" in sms["text"] and sms["id"] == webhook_id("order:o1:out_for_delivery/sms")
        push = next(b for _, b in rx.calls if "to" not in b)
        assert "on its way" in push.get("message", "")
    with unit(store) as u:
        assert {n.status for n in u.notifications_for(customer_id="c1")} == {OutboxStatus.SENT}


def test_ticket_changes_the_customer_should_know_about(store) -> None:
    _customer(store, (ChannelKind.EMAIL,), {"email": "a@example.com"})
    with unit(store) as u:
        t = tickets.open_ticket(u, category=TicketCategory.DAMAGE, now=T0, order_id="o1", channel="phone")
        sent = notify.on_ticket_change(u, t, t.history[-1])
        assert [n.event for n in sent] == ["ticket_update"]
        t, ch = tickets.assign(u, t.ticket_id, "agent-1", now=T0 + 60, actor="lead")
        assert notify.on_ticket_change(u, t, ch) == []
        t, ch = tickets.set_status(u, t.ticket_id, TicketStatus.WAITING_CUSTOMER, now=T0 + 120, actor="agent-1", text="A photo, please")
        (n,) = notify.on_ticket_change(u, t, ch)
        assert n.payload["status"] == "waiting_customer" and n.ticket_id == t.ticket_id
