"""Tickets opened by the monitor before the customer complains, and lost parcels."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.domain.monitor import DelayWarning, NoticeKind, Severity
from engine.domain.ticket import ChangeKind, Priority, TicketCategory, TicketStatus
from engine.tickets import MemoryTicketRepo, check_lost_parcels, on_delivered, on_warning


def warning(wid: str, kind=NoticeKind.DELAY, severity=Severity.MAJOR, order="o1", at=1000.0) -> DelayWarning:
    return DelayWarning(
        warning_id=wid, plan_key="p", seq=1, kind=kind, order_id=order, at=at, promised_by=5000.0, p_on_time=0.42,
        revised_p50=5400.0, revised_p95=6600.0, severity=severity, lead_s=4000.0, reason="van-3 broke down at 14:05",
    )


@pytest.fixture
def repo() -> MemoryTicketRepo:
    r = MemoryTicketRepo()
    r.orders["o1"] = ("c1", "north")
    return r


def test_a_warning_opens_one_delay_ticket_per_order_and_a_replay_changes_nothing(repo) -> None:
    t = on_warning(repo, warning("w1"))
    assert t is not None and t.category == TicketCategory.DELAY and t.queue == "delay/north"
    assert t.customer_id == "c1" and t.priority == Priority.HIGH and t.status == TicketStatus.NEW
    assert "van-3 broke down" in t.history[0].text and "P(on time) 0.42" in t.history[0].text
    n = len(t.history)
    assert on_warning(repo, warning("w1")) is t and len(t.history) == n  # replayed: no-op
    t2 = on_warning(repo, warning("w2", severity=Severity.CRITICAL, at=1500.0))
    assert t2 is t and len(repo.tickets) == 1
    assert t.priority == Priority.URGENT and [c.kind for c in t.history[n:]] == [ChangeKind.NOTE, ChangeKind.PRIORITY]


def test_below_the_severity_nothing_opens(repo) -> None:
    assert on_warning(repo, warning("w1", severity=Severity.INFO)) is None
    assert on_warning(repo, warning("w2", severity=Severity.MINOR), min_severity=Severity.MAJOR) is None
    assert not repo.tickets


def test_recovered_notes_broken_raises_delivered_resolves(repo) -> None:
    assert on_warning(repo, warning("w0", kind=NoticeKind.RECOVERED)) is None  # nothing to note on
    t = on_warning(repo, warning("w1", severity=Severity.MINOR))
    assert t.priority == Priority.NORMAL
    on_warning(repo, warning("w2", kind=NoticeKind.RECOVERED, at=2000.0))
    assert t.history[-1].kind == ChangeKind.NOTE and t.history[-1].text.startswith("recovered")
    assert t.is_open
    on_warning(repo, warning("w3", kind=NoticeKind.BROKEN, at=5100.0))
    assert t.priority == Priority.HIGH
    done = on_delivered(repo, "o1", 6000.0)
    assert done == [t] and t.status == TicketStatus.RESOLVED and t.resolved_at == 6000.0
    assert on_delivered(repo, "o1", 6001.0) == []


def test_a_broken_promise_without_a_ticket_opens_one_at_high_priority(repo) -> None:
    t = on_warning(repo, warning("w9", kind=NoticeKind.BROKEN, severity=Severity.MINOR))
    assert t is not None and t.priority == Priority.HIGH


@dataclass
class Scan:
    order_id: str
    carrier_id: str
    last_scan_at: float
    status: str | None


def test_a_silent_carrier_parcel_opens_one_lost_parcel_ticket(repo) -> None:
    scans = [Scan("o1", "postnord", 0.0, "at_hub"), Scan("o2", "postnord", 40 * 3600.0, "sorted"),
             Scan("o3", "dhl", 0.0, "delivered")]
    opened = check_lost_parcels(repo, scans, 49 * 3600.0, silent_after_s=48 * 3600.0)
    assert [t.order_id for t in opened] == ["o1"] and opened[0].category == TicketCategory.LOST_PARCEL
    assert "postnord" in opened[0].subject
    assert check_lost_parcels(repo, scans, 50 * 3600.0) == []  # still open: not twice
    assert on_delivered(repo, "o1", 51 * 3600.0)[0].status == TicketStatus.RESOLVED


def test_a_silent_van_opens_a_ticket_only_when_it_is_major(repo) -> None:
    assert on_warning(repo, warning("u1", kind=NoticeKind.UNKNOWN, severity=Severity.MINOR)) is None
    t = on_warning(repo, warning("u2", kind=NoticeKind.UNKNOWN, severity=Severity.MAJOR))
    assert t is not None and t.category == TicketCategory.DELAY
