"""After-sales tickets: desk operations, SLA clocks, tickets opened by the monitor, and KPIs.

Persistence goes through :class:`TicketRepo` (the store implements it); time
comes from the caller (``now``, from an :class:`engine.clock.Clock`).
"""

from __future__ import annotations

from engine.tickets.desk import add_note, assign, open_ticket, queue_for, resolve, set_priority, set_status
from engine.tickets.intake import ParcelScan, check_lost_parcels, on_delivered, on_warning
from engine.tickets.metrics import QueueKpis, TicketKpis, kpis
from engine.tickets.repo import MemoryTicketRepo, TicketQuery, TicketRepo
from engine.tickets.sla import (
    BusinessHours, Calendar, CalendarHours, ClockState, SlaEvent, SlaPolicies, SlaPolicy, clock_states,
    paused_intervals, sweep,
)

__all__ = [
    "open_ticket", "add_note", "assign", "set_status", "resolve", "set_priority", "queue_for",
    "on_warning", "on_delivered", "check_lost_parcels", "ParcelScan",
    "kpis", "TicketKpis", "QueueKpis",
    "TicketRepo", "TicketQuery", "MemoryTicketRepo",
    "Calendar", "CalendarHours", "BusinessHours", "SlaPolicy", "SlaPolicies", "ClockState", "SlaEvent",
    "clock_states", "paused_intervals", "sweep",
]
