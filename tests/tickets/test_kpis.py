"""KPIs: share resolved within 24 h, feedback within 48 h, median first response, SLA and backlog by queue."""

from __future__ import annotations

import pytest

from engine.domain.ticket import TicketCategory, TicketStatus
from engine.tickets import MemoryTicketRepo, add_note, kpis, open_ticket, set_status

H = 3600.0


def test_kpis_over_a_range() -> None:
    repo = MemoryTicketRepo()

    def make(cat, at, respond_after=None, resolve_after=None, region=None):
        t = open_ticket(repo, category=cat, now=at, region=region, channel="phone")
        if respond_after is not None:
            add_note(repo, t.ticket_id, "on it", now=at + respond_after, actor="a1")
        if resolve_after is not None:
            set_status(repo, t.ticket_id, TicketStatus.RESOLVED, now=at + resolve_after, actor="a1")
        return t

    make(TicketCategory.DELAY, 0, 600, 2 * H, "north")        # within everything
    make(TicketCategory.DELAY, 10, 1200, 30 * H, "north")     # resolved late
    make(TicketCategory.DELAY, 20, 3600, None, "north")       # open, past 24 h: counts as not within, backlog
    make(TicketCategory.DAMAGE, 30, None, None)               # open, first response breached
    make(TicketCategory.FEEDBACK, 40, 300, 40 * H)            # feedback handled within 48 h
    make(TicketCategory.DAMAGE, 100 * H, 60, 60)              # outside the range
    k = kpis(repo.tickets.values(), since=0, until=50 * H, now=50 * H)
    assert k.opened == 5
    assert k.resolved_24h_judged == 4 and k.resolved_24h_share == pytest.approx(1 / 4)
    assert k.feedback_48h_judged == 1 and k.feedback_48h_share == 1.0
    assert k.median_first_response_s == pytest.approx(900)  # 300, 600, 1200, 3600
    north = k.by_queue["delay/north"]
    assert (north.opened, north.resolved, north.backlog) == (3, 2, 1)
    assert north.judged == 3 and north.sla_attainment == pytest.approx(1 / 3)
    assert k.by_queue["damage"].backlog == 1 and k.by_queue["damage"].sla_attainment == 0.0
    d = k.to_dict()
    assert d["by_queue"]["delay/north"]["sla_attainment"] == pytest.approx(1 / 3)


def test_young_open_tickets_are_not_judged_yet() -> None:
    repo = MemoryTicketRepo()
    open_ticket(repo, category=TicketCategory.DELAY, now=0.0)
    k = kpis(repo.tickets.values(), since=0, until=H)
    assert k.resolved_24h_share is None and k.resolved_24h_judged == 0 and k.by_queue["delay"].backlog == 1
