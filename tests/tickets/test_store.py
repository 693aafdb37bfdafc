"""Tickets and the outbox in the database (SQLite; PostgreSQL when PROMISE_TEST_PG_URL is set)."""

from __future__ import annotations

import pytest

from engine import notify, tickets
from engine.domain.monitor import DelayWarning, NoticeKind, Severity
from engine.domain.notification import ChannelKind, Customer, OutboxStatus
from engine.domain.ticket import ChangeKind, TicketCategory, TicketStatus
from engine.notify import Outcome
from engine.domain.notification import Attempt
from engine.store.aftersales import StoreOutbox, unit


def _setup(store) -> None:
    with unit(store) as u:
        u.put_customer(Customer("c1", name="Ann", channels=(ChannelKind.WEBHOOK, ChannelKind.EMAIL),
                                addresses={"webhook": "http://127.0.0.1:1/hook", "email": "ann@example.com"},
                                quiet_start=0, quiet_end=0))
        u.link_order("o1", "c1", "north")


W = DelayWarning("w1", "p", 1, NoticeKind.DELAY, "o1", 1000.0, 5000.0, 0.4, 5200.0, 6000.0, Severity.MAJOR, 4000.0,
                 "van-3 broke down")


def test_ticket_round_trip_with_history_filters_and_paging(store) -> None:
    _setup(store)
    with unit(store) as u:
        t = tickets.on_warning(u, W)
        tickets.add_note(u, t.ticket_id, "called the driver", now=1100.0, actor="agent-7")
        tickets.assign(u, t.ticket_id, "agent-7", now=1200.0, actor="lead")
        for i in range(4):
            tickets.open_ticket(u, category=TicketCategory.FEEDBACK, now=2000.0 + i, customer_id="c1", channel="social")
    with unit(store) as u:
        back = u.get_ticket(t.ticket_id)
        assert back.status == TicketStatus.OPEN and back.agent == "agent-7" and back.first_response_at == 1100.0
        assert [c.kind for c in back.history] == [ChangeKind.CREATED, ChangeKind.NOTE, ChangeKind.RESPONSE, ChangeKind.NOTE,
                                                  ChangeKind.STATUS, ChangeKind.ASSIGN]
        assert [c.seq for c in back.history] == list(range(1, 7))
        q = tickets.TicketQuery(customer_id="c1")
        assert u.count_tickets(q) == 5
        page = u.list_tickets(q, offset=1, limit=2)
        assert [x.created_at for x in page] == [2002.0, 2001.0]
        assert u.count_tickets(tickets.TicketQuery(category=TicketCategory.DELAY, queue="delay/north")) == 1
        assert u.find_open_ticket("o1", [TicketCategory.DELAY]).ticket_id == t.ticket_id


def test_the_outbox_row_commits_with_its_cause_or_not_at_all(store) -> None:
    _setup(store)
    with pytest.raises(RuntimeError):
        with unit(store) as u:
            tickets.on_warning(u, W)
            assert len(notify.on_warning(u, W)) == 2
            raise RuntimeError("the warning's own write failed")
    with unit(store) as u:
        assert u.count_tickets(tickets.TicketQuery()) == 0 and u.outbox_counts() == {}
    with unit(store) as u:
        tickets.on_warning(u, W)
        notify.on_warning(u, W)
    with unit(store) as u:
        assert u.count_tickets(tickets.TicketQuery()) == 1 and u.outbox_counts() == {"pending": 2}
        assert notify.on_warning(u, W) == []  # the same cause: nothing new


def test_claims_are_exclusive_stale_leases_are_taken_again_and_late_finishes_ignored(store) -> None:
    _setup(store)
    with unit(store) as u:
        notify.on_warning(u, W)
    ob = StoreOutbox(store)
    a = ob.claim(1000.0, limit=1, lease_s=10, worker_id="A")
    b = ob.claim(1000.0, limit=5, lease_s=10, worker_id="B")
    assert len(a) == 1 and len(b) == 1 and a[0].notification_id != b[0].notification_id
    assert ob.claim(1005.0, limit=5, lease_s=10, worker_id="C") == []  # both held
    c = ob.claim(1011.0, limit=5, lease_s=10, worker_id="C")  # A and B died: their leases ran out
    assert sorted(n.notification_id for n in c) == sorted([a[0].notification_id, b[0].notification_id])
    assert all(n.attempts == 2 and n.status == OutboxStatus.SENDING for n in c)
    ok = lambda n, w: Outcome(Attempt(n.notification_id, n.attempts, 1012.0, True, 0.01, status_code=200), OutboxStatus.SENT)  # noqa: E731
    ob.finish("A", [ok(a[0], "A")])  # A woke up late: its attempt is recorded, the row is C's
    ob.finish("C", [ok(n, "C") for n in c])
    with unit(store) as u:
        rows = u.notifications_for(customer_id="c1")
        assert {n.status for n in rows} == {OutboxStatus.SENT} and all(n.sent_at == pytest.approx(1012.01) for n in rows)
        assert len(u.attempts_for(a[0].notification_id)) == 2


def test_the_monitor_hooks_write_in_the_callers_transaction(store) -> None:
    from engine.store.aftersales import after_delivered, after_warnings

    _setup(store)
    with store._session.begin() as s:  # noqa: SLF001 -- as the monitor's own transaction would
        after_warnings(s, [W])
    with unit(store) as u:
        (t,) = u.list_tickets(tickets.TicketQuery(order_id="o1"))
        assert t.status == TicketStatus.NEW and u.outbox_counts() == {"pending": 2}
    with store._session.begin() as s:  # noqa: SLF001
        after_delivered(s, "o1", 7000.0)
    with unit(store) as u:
        assert u.get_ticket(t.ticket_id).status == TicketStatus.RESOLVED
        assert u.outbox_counts() == {"pending": 4}
