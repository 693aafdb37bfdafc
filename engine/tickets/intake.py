"""Tickets opened by the engine before the customer complains: monitor warnings and silent parcels.

The monitor (or whoever wires it, in one unit of work with the warning's own
row) calls :func:`on_warning` for each warning record, :func:`on_delivered`
when an order is delivered, and :func:`check_lost_parcels` now and then with
the carrier parcels' last scans.  Every call is idempotent: a warning already
noted on its ticket (its id is in the history) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Protocol

from engine.domain.monitor import DelayWarning, NoticeKind, Severity
from engine.domain.ticket import ChangeKind, Priority, Ticket, TicketCategory, TicketChange, TicketStatus
from engine.tickets.desk import open_ticket
from engine.tickets.repo import TicketRepo

__all__ = ["on_warning", "on_delivered", "check_lost_parcels", "ParcelScan", "severity_priority"]

#: Severity of a warning -> priority of the ticket it opens.
_PRIORITY = {
    Severity.INFO: Priority.LOW, Severity.MINOR: Priority.NORMAL,
    Severity.MAJOR: Priority.HIGH, Severity.CRITICAL: Priority.URGENT,
}
_DELAY_CATS = (TicketCategory.DELAY,)


def severity_priority(severity: Severity | str) -> Priority:
    return _PRIORITY[Severity(severity)]


def _hm(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M UTC")


def _seen(t: Ticket, warning_id: str) -> bool:
    return any(c.value == warning_id for c in t.history)


def _raise_to(t: Ticket, p: Priority, now: float, why: str) -> None:
    if p.rank > t.priority.rank:
        t.priority = p
        t.log(TicketChange(now, ChangeKind.PRIORITY, actor="monitor", value=str(p), text=why))


def on_warning(repo: TicketRepo, warning: DelayWarning, *, min_severity: Severity = Severity.MINOR) -> Ticket | None:
    """Open or update the order's delay ticket from one monitor notice; the ticket touched, or None.

    - ``delay`` at or above ``min_severity`` (``unknown``: at least major): opens one delay
      ticket per order (or notes the new reason and window on the open one,
      raising its priority to the warning's);
    - ``recovered``: a note on the open ticket (it stays open for an agent to close);
    - ``broken``: the priority goes one step up (a ticket is opened if none is).
    """
    kind = NoticeKind(warning.kind)
    sev = Severity(warning.severity)
    now = warning.at
    t = repo.find_open_ticket(warning.order_id, _DELAY_CATS)
    if t is not None and _seen(t, warning.warning_id):
        return t
    window = f"revised {_hm(warning.revised_p50)}-{_hm(warning.revised_p95)}, promised {_hm(warning.promised_by)}"
    text = f"{kind}: {warning.reason} ({window}, P(on time) {warning.p_on_time:.2f})"
    if kind in (NoticeKind.DELAY, NoticeKind.UNKNOWN):
        # "unknown" (a silent van) is not yet a delay: it takes a major one to open a ticket.
        floor = min_severity if kind == NoticeKind.DELAY else max(min_severity, Severity.MAJOR, key=lambda s: s.rank)
        if sev.rank < floor.rank:
            return t
        if t is None:
            return _open(repo, warning, severity_priority(sev), text)
        t.log(TicketChange(now, ChangeKind.NOTE, actor="monitor", value=warning.warning_id, text=text))
        _raise_to(t, severity_priority(sev), now, f"warning severity {sev}")
    elif kind == NoticeKind.RECOVERED:
        if t is None:
            return None
        t.log(TicketChange(now, ChangeKind.NOTE, actor="monitor", value=warning.warning_id, text=text))
    elif kind == NoticeKind.BROKEN:
        if t is None:
            return _open(repo, warning, max(severity_priority(sev), Priority.HIGH, key=lambda p: p.rank), text)
        t.log(TicketChange(now, ChangeKind.NOTE, actor="monitor", value=warning.warning_id, text=text))
        _raise_to(t, t.priority.raised(), now, "promise broken")
    repo.save_ticket(t)
    return t


def _open(repo: TicketRepo, w: DelayWarning, priority: Priority, text: str) -> Ticket:
    t = open_ticket(
        repo, category=TicketCategory.DELAY, now=w.at, order_id=w.order_id, priority=priority,
        subject=f"delay: order {w.order_id}", text=text, source=f"warning:{w.warning_id}", actor="monitor", save=False,
    )
    # The id in the history makes a replayed warning a no-op.
    t.log(TicketChange(w.at, ChangeKind.NOTE, actor="monitor", value=w.warning_id, text=w.reason))
    repo.save_ticket(t)
    return t


def on_delivered(repo: TicketRepo, order_id: str, at: float) -> list[Ticket]:
    """Resolve the order's open delay and lost-parcel tickets: it arrived."""
    done: list[Ticket] = []
    for cat in (TicketCategory.DELAY, TicketCategory.LOST_PARCEL):
        t = repo.find_open_ticket(order_id, (cat,))
        if t is None:
            continue
        t.status = TicketStatus.RESOLVED
        t.resolved_at = at
        t.log(TicketChange(at, ChangeKind.STATUS, actor="monitor", value=str(TicketStatus.RESOLVED),
                           text=f"order {order_id} delivered at {_hm(at)}"))
        repo.save_ticket(t)
        done.append(t)
    return done


class ParcelScan(Protocol):
    """A carrier parcel's latest scan (the monitor's carrier track, or a store row)."""

    order_id: str
    carrier_id: str
    last_scan_at: float
    status: str | None


def check_lost_parcels(repo: TicketRepo, parcels: Iterable[ParcelScan], now: float, *, silent_after_s: float = 48 * 3600.0) -> list[Ticket]:
    """Open a lost-parcel ticket for each undelivered parcel with no scan for ``silent_after_s``."""
    opened: list[Ticket] = []
    for p in parcels:
        if p.status == "delivered" or now - p.last_scan_at < silent_after_s:
            continue
        if repo.find_open_ticket(p.order_id, (TicketCategory.LOST_PARCEL,)) is not None:
            continue
        hours = (now - p.last_scan_at) / 3600.0
        opened.append(open_ticket(
            repo, category=TicketCategory.LOST_PARCEL, now=now, order_id=p.order_id, priority=Priority.HIGH,
            subject=f"no scan for {hours:.0f} h: order {p.order_id} ({p.carrier_id})",
            text=f"last scan {p.status or '?'} at {_hm(p.last_scan_at)}; ask {p.carrier_id} to trace it",
            source=f"lost_parcel:{p.order_id}", actor="monitor",
        ))
    return opened
