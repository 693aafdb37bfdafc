"""Writing the outbox: one notification per cause and channel, in the cause's own unit of work.

A cause is one change of state: a monitor warning record (its id), an order
event (order + kind), a ticket change (ticket + history position).  Its key
plus the channel is the row's unique key, so replaying a cause writes
nothing; the key also becomes the ``webhook-id`` of every attempt.
Preferences decide the rest: the customer's channels and language, quiet
hours and rate limit (``not_before``), opt-out and missing addresses (a
``skipped`` row that says why).
"""

from __future__ import annotations

from engine.domain.monitor import DelayWarning, NoticeKind, Severity
from engine.domain.notification import ChannelKind, Notification, NoticeEvent, OutboxStatus
from engine.domain.ticket import ChangeKind, ContactChannel, Ticket, TicketChange, TicketStatus
from engine.errors import InputError
from engine.notify.prefs import HOUR, send_time
from engine.notify.repo import NotifyRepo

__all__ = ["enqueue", "on_warning", "on_order_event", "on_ticket_change"]

_ORDER_EVENTS = (NoticeEvent.CONFIRMED, NoticeEvent.OUT_FOR_DELIVERY, NoticeEvent.DELIVERED)
_WARNING_EVENT = {NoticeKind.DELAY: NoticeEvent.DELAY, NoticeKind.RECOVERED: NoticeEvent.RECOVERED,
                  NoticeKind.BROKEN: NoticeEvent.BROKEN}
#: Ticket statuses the customer hears about (the rest is the desk's own business).
_TOLD = frozenset({TicketStatus.WAITING_CUSTOMER, TicketStatus.RESOLVED})


def enqueue(
    repo: NotifyRepo, *, cause: str, event: NoticeEvent, now: float, payload: dict, order_id: str | None = None,
    customer_id: str | None = None, ticket_id: str | None = None, critical: bool = False,
) -> list[Notification]:
    """Write one outbox row per preferred channel of the customer; the rows written (none if known)."""
    if customer_id is None and order_id is not None:
        customer_id = repo.order_customer(order_id)[0]
    if customer_id is None:
        return []  # nobody to tell (an order without a customer on file)
    c = repo.get_customer(customer_id)
    if c is None:
        return []
    due = send_time(c, now, critical=critical, scheduled=repo.recent_causes(customer_id, now - HOUR))
    body = {**payload, "name": c.name, "tz": c.timezone}
    written = []
    for ch in c.channels:
        address = c.addresses.get(str(ch), "")
        reason = "customer opted out" if c.opted_out else (None if address else f"no {ch} address on file")
        n = Notification(
            key=f"{cause}/{ch}", event=NoticeEvent(event), channel=ChannelKind(ch), address=address,
            language=c.language, created_at=now, not_before=due, payload=body, order_id=order_id,
            customer_id=customer_id, ticket_id=ticket_id, critical=critical,
            status=OutboxStatus.SKIPPED if reason else OutboxStatus.PENDING, last_error=reason,
        )
        if repo.add_notification(n):
            written.append(n)
    return written


def on_warning(repo: NotifyRepo, warning: DelayWarning, *, min_severity: Severity = Severity.MINOR,
               ticket_id: str | None = None) -> list[Notification]:
    """Tell the customer about a delay (reason, revised window), a recovery or a broken promise."""
    kind = NoticeKind(warning.kind)
    event = _WARNING_EVENT.get(kind)
    if event is None:
        return []  # "unknown": we do not know more than the customer, so we say nothing yet
    sev = Severity(warning.severity)
    if kind == NoticeKind.DELAY and sev.rank < min_severity.rank:
        return []
    payload = {
        "order_id": warning.order_id, "promised_by": warning.promised_by, "revised_p50": warning.revised_p50,
        "revised_p95": warning.revised_p95, "p_on_time": round(float(warning.p_on_time), 3),
        "reason": warning.reason, "severity": str(sev), "at": warning.at, "ticket_id": ticket_id,
        "warning_id": warning.warning_id,
    }
    return enqueue(
        repo, cause=f"warning:{warning.warning_id}", event=event, now=warning.at, payload=payload,
        order_id=warning.order_id, critical=kind == NoticeKind.BROKEN or sev == Severity.CRITICAL,
    )


def on_order_event(repo: NotifyRepo, order_id: str, event: NoticeEvent | str, at: float, *,
                   payload: dict | None = None) -> list[Notification]:
    """Order confirmed / out for delivery / delivered: one notification per order and event."""
    if str(event) not in {str(e) for e in _ORDER_EVENTS}:
        raise InputError(f"{event!r} is not an order event (confirmed, out_for_delivery, delivered)",
                         item="order_event", field="event")
    ev = NoticeEvent(event)
    return enqueue(repo, cause=f"order:{order_id}:{ev}", event=ev, now=at,
                   payload={"order_id": order_id, "at": at, **(payload or {})}, order_id=order_id)


def on_ticket_change(repo: NotifyRepo, ticket: Ticket, change: TicketChange) -> list[Notification]:
    """Acknowledge a ticket the customer opened, and tell them when it waits on them or is resolved."""
    told = (change.kind == ChangeKind.CREATED and ticket.channel != ContactChannel.SYSTEM) or (
        change.kind == ChangeKind.STATUS and change.value is not None and TicketStatus(change.value) in _TOLD
        and change.actor != "monitor"  # delivered already told them, via the order event
    )
    if not told or ticket.customer_id is None:
        return []
    return enqueue(
        repo, cause=f"ticket:{ticket.ticket_id}:{change.seq}", event=NoticeEvent.TICKET_UPDATE, now=change.at,
        payload={"ticket_id": ticket.ticket_id, "order_id": ticket.order_id, "status": change.value or str(ticket.status),
                 "text": change.text, "at": change.at},
        order_id=ticket.order_id, customer_id=ticket.customer_id, ticket_id=ticket.ticket_id,
    )
