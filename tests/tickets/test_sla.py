"""SLA clocks on the project's Clock: targets, pauses from the status history, business hours, events once."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine.clock import SimClock
from engine.domain.ticket import ChangeKind, Priority, TicketCategory, TicketStatus
from engine.errors import InputError
from engine.tickets import (
    BusinessHours, CalendarHours, MemoryTicketRepo, SlaPolicies, SlaPolicy, add_note, clock_states, open_ticket,
    paused_intervals, set_status, sweep,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc).timestamp()  # a Monday


def _ticket(repo, clock, category=TicketCategory.DAMAGE, priority=Priority.NORMAL):
    return open_ticket(repo, category=category, now=clock.now(), order_id="o1", priority=priority, channel="email")


def test_defaults_are_30_min_first_response_and_24_h_resolution_48_h_feedback() -> None:
    pol = SlaPolicies()
    assert pol.for_ticket(TicketCategory.DELAY, Priority.HIGH).first_response_s == 1800
    assert pol.for_ticket(TicketCategory.DELAY, Priority.HIGH).resolution_s == 24 * 3600
    assert pol.for_ticket(TicketCategory.FEEDBACK, Priority.LOW).resolution_s == 48 * 3600
    urgent = SlaPolicy(first_response_s=600, resolution_s=4 * 3600)
    pol.rules[(TicketCategory.DELAY, Priority.URGENT)] = urgent
    assert pol.for_ticket(TicketCategory.DELAY, Priority.URGENT) is urgent
    assert pol.for_ticket(TicketCategory.DELAY, Priority.HIGH) is pol.default


def test_near_breach_at_80_percent_then_breach_each_once_driven_by_simclock() -> None:
    clock, repo, pol = SimClock(T0), MemoryTicketRepo(), SlaPolicies()
    t = _ticket(repo, clock)
    clock.advance(23 * 60)  # 77% of 30 min
    assert sweep(repo.tickets.values(), pol, clock.now()) == []
    clock.advance(2 * 60)  # 83%
    ev = sweep(repo.tickets.values(), pol, clock.now())
    assert [(e.clock, e.kind) for _, e in ev] == [("first_response", ChangeKind.SLA_NEAR_BREACH)]
    assert sweep(repo.tickets.values(), pol, clock.now()) == []  # once
    clock.advance(6 * 60)
    ev = sweep(repo.tickets.values(), pol, clock.now())
    assert [(e.clock, e.kind) for _, e in ev] == [("first_response", ChangeKind.SLA_BREACH)]
    add_note(repo, t.ticket_id, "we are looking into it", now=clock.now(), actor="agent-1")
    clock.advance(20 * 3600)  # resolution at 20.5 h of 24: near breach
    ev = sweep(repo.tickets.values(), pol, clock.now())
    assert [(e.clock, e.kind) for _, e in ev] == [("resolution", ChangeKind.SLA_NEAR_BREACH)]
    fr, res = clock_states(t, pol.default, clock.now())
    assert fr.met is False and fr.elapsed_s == pytest.approx(31 * 60)
    assert res.met is None and not res.breached and res.due_at == pytest.approx(T0 + 24 * 3600)


def test_waiting_on_customer_pauses_the_resolution_clock_from_the_history() -> None:
    clock, repo, pol = SimClock(T0), MemoryTicketRepo(), SlaPolicy()
    t = _ticket(repo, clock)
    clock.advance(3600)
    set_status(repo, t.ticket_id, TicketStatus.WAITING_CUSTOMER, now=clock.now(), actor="agent-1")
    clock.advance(30 * 3600)  # the customer takes 30 h to answer
    _, res = clock_states(t, pol, clock.now())
    assert res.paused and res.elapsed_s == pytest.approx(3600) and res.due_at is None
    assert sweep([t], SlaPolicies(default=pol), clock.now()) == []  # answered, and no resolution breach while paused
    set_status(repo, t.ticket_id, TicketStatus.OPEN, now=clock.now(), actor="customer")
    clock.advance(2 * 3600)
    set_status(repo, t.ticket_id, TicketStatus.RESOLVED, now=clock.now(), actor="agent-1")
    _, res = clock_states(t, pol, clock.now() + 99999)
    assert res.elapsed_s == pytest.approx(3 * 3600) and res.met is True
    assert paused_intervals(t.history, clock.now()) == [(T0 + 3600, T0 + 31 * 3600)]


def test_business_hours_skip_nights_weekends_and_public_holidays() -> None:
    cal = BusinessHours("Asia/Shanghai", 9, 18, country="CN")
    sh = lambda y, m, d, h: datetime(y, m, d, h, tzinfo=cal.tz).timestamp()  # noqa: E731
    assert cal.elapsed(sh(2026, 12, 4, 17), sh(2026, 12, 7, 10)) == pytest.approx(2 * 3600)  # Fri 17:00 -> Mon 10:00
    assert cal.add(sh(2026, 12, 4, 17), 2 * 3600) == pytest.approx(sh(2026, 12, 7, 10))
    assert not cal.is_working_day(date(2026, 10, 1))  # National Day
    assert cal.elapsed(sh(2026, 10, 1, 9), sh(2026, 10, 1, 18)) == 0.0
    assert CalendarHours().elapsed(10.0, 70.0) == 60.0
    pol = SlaPolicy(first_response_s=3600, calendar=cal)
    repo = MemoryTicketRepo()
    t = open_ticket(repo, category=TicketCategory.QUALITY, now=sh(2026, 12, 4, 17) + 1800, channel="chat")
    fr, _ = clock_states(t, pol, sh(2026, 12, 7, 9) + 60)  # Fri 17:30 -> Mon 09:01: 31 business minutes
    assert fr.elapsed_s == pytest.approx(31 * 60) and fr.due_at == pytest.approx(sh(2026, 12, 7, 9) + 1800)


def test_bad_calendars_and_policies_are_input_errors() -> None:
    with pytest.raises(InputError):
        BusinessHours("Mars/Olympus")
    with pytest.raises(InputError):
        BusinessHours("UTC", 18, 9)
    with pytest.raises(InputError):
        SlaPolicy(near_breach=1.5)


def test_business_hours_follow_the_countrys_week_and_make_up_workdays() -> None:
    cn = BusinessHours("Asia/Shanghai", 9, 18, country="CN")
    assert cn.is_working_day(date(2026, 2, 14))  # a Saturday China works to make up for Spring Festival
    assert not cn.is_working_day(date(2026, 2, 21)) and not cn.is_working_day(date(2026, 2, 17))
    eg = BusinessHours("Africa/Cairo", 9, 17, country="EG")  # Friday and Saturday off, Sunday a workday
    assert eg.is_working_day(date(2026, 12, 6)) and not eg.is_working_day(date(2026, 12, 4))
    assert not eg.is_working_day(date(2026, 12, 5))
    assert BusinessHours("UTC").weekdays == frozenset(range(5))
    assert BusinessHours("Asia/Shanghai", country="CN", weekdays=range(7)).is_working_day(date(2026, 12, 5))  # a Saturday, asked for


def test_policies_from_settings_read_the_desk_and_targets() -> None:
    from pydantic import ValidationError

    from engine.config import Settings

    every = SlaPolicies.from_settings(Settings(sla_resolution_h=12, sla_first_response_min=15))
    pol = every.for_ticket(TicketCategory.QUALITY, Priority.NORMAL)
    assert isinstance(pol.calendar, CalendarHours)
    assert (pol.first_response_s, pol.resolution_s) == (900, 12 * 3600)
    assert every.for_ticket(TicketCategory.FEEDBACK, Priority.NORMAL).resolution_s == 48 * 3600
    desk = SlaPolicies.from_settings(Settings(desk_tz="Asia/Shanghai", desk_hours="08:30-20:00", desk_country="cn"))
    cal = desk.for_ticket(TicketCategory.QUALITY, Priority.HIGH).calendar
    assert isinstance(cal, BusinessHours) and (cal.open_hour, cal.close_hour) == (8.5, 20.0)
    assert not cal.is_working_day(date(2026, 10, 1)) and cal.is_working_day(date(2026, 2, 14))  # make-up Saturday
    for bad in ({"desk_tz": "Mars/Olympus"}, {"desk_hours": "18:00-09:00"}, {"desk_hours": "9-18"},
                {"desk_hours": "09:00-18:75"}, {"desk_country": "XX"}, {"sla_resolution_h": 0},
                {"sla_resolution_h": 10**6}):
        with pytest.raises(ValidationError) as e:
            Settings(**bad)
        assert next(iter(bad)) in str(e.value)
    with pytest.raises(ValidationError, match="PROMISE_DESK_TZ"):
        Settings(desk_country="CN")  # a country without the desk's zone would be ignored
