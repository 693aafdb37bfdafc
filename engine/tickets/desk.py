"""What agents and the API do to tickets: open, note, assign, change status, resolve.

Each function loads the ticket from the :class:`~engine.tickets.repo.TicketRepo`,
appends to its history, saves it, and returns the ticket with the change it
made, so the caller can notify the customer in the same unit of work.
"""

from __future__ import annotations

import uuid

from engine.domain.ticket import (
    OPEN_STATUSES, ChangeKind, ContactChannel, Priority, Ticket, TicketCategory, TicketChange, TicketStatus,
)
from engine.errors import ConflictError, InputError, NotFoundError
from engine.tickets.repo import TicketRepo

__all__ = ["open_ticket", "add_note", "assign", "set_status", "resolve", "set_priority", "queue_for", "load"]

#: Actors that are the engine, not a person: their notes are not a first response.
SYSTEM_ACTORS = frozenset({"system", "monitor", "sla", "customer"})

#: Which status moves are allowed (closed is final; resolved may be re-opened).
_MOVES: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(TicketStatus) - {TicketStatus.NEW},
    TicketStatus.OPEN: frozenset(TicketStatus) - {TicketStatus.NEW, TicketStatus.OPEN},
    TicketStatus.WAITING_CUSTOMER: frozenset(TicketStatus) - {TicketStatus.NEW, TicketStatus.WAITING_CUSTOMER},
    TicketStatus.WAITING_CARRIER: frozenset(TicketStatus) - {TicketStatus.NEW, TicketStatus.WAITING_CARRIER},
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}


def queue_for(category: TicketCategory, region: str | None) -> str:
    """The queue a ticket lands in: its category, per region when known (``delay/north``)."""
    return f"{category}/{region}" if region else str(category)


def load(repo: TicketRepo, ticket_id: str) -> Ticket:
    t = repo.get_ticket(ticket_id)
    if t is None:
        raise NotFoundError(f"no ticket with id {ticket_id!r}")
    return t


def open_ticket(
    repo: TicketRepo, *, category: TicketCategory, now: float, order_id: str | None = None,
    customer_id: str | None = None, channel: ContactChannel = ContactChannel.SYSTEM,
    priority: Priority = Priority.NORMAL, subject: str = "", text: str = "", region: str | None = None,
    source: str = "", actor: str = "system", ticket_id: str | None = None, save: bool = True,
) -> Ticket:
    """Open a ticket (status ``new``) in the queue of its category and region.

    The customer and region default to the order's (``repo.order_customer``).
    ``save=False`` leaves the saving to the caller (who adds to the history first).
    """
    if order_id is not None and (customer_id is None or region is None):
        c, r = repo.order_customer(order_id)
        customer_id = customer_id or c
        region = region or r
    t = Ticket(
        ticket_id=ticket_id or uuid.uuid4().hex[:16], category=TicketCategory(category),
        queue=queue_for(TicketCategory(category), region), priority=Priority(priority), status=TicketStatus.NEW,
        created_at=now, channel=ContactChannel(channel), order_id=order_id, customer_id=customer_id, region=region,
        subject=subject or f"{category} {order_id or ''}".strip(), updated_at=now, source=source,
    )
    t.log(TicketChange(now, ChangeKind.CREATED, actor=actor, value=str(TicketStatus.NEW), text=text))
    if save:
        repo.save_ticket(t)
    return t


def _first_response(t: Ticket, actor: str, now: float) -> None:
    if t.first_response_at is None and actor not in SYSTEM_ACTORS:
        t.first_response_at = now
        t.log(TicketChange(now, ChangeKind.RESPONSE, actor=actor))


def add_note(
    repo: TicketRepo, ticket_id: str, text: str, *, now: float, actor: str, public: bool = True, value: str | None = None,
) -> tuple[Ticket, TicketChange]:
    """A note; a public note by an agent is an answer to the customer (stops the first-response clock)."""
    if not text.strip():
        raise InputError("a note needs text", item="note", field="text")
    t = load(repo, ticket_id)
    if t.status == TicketStatus.CLOSED:
        raise ConflictError(f"ticket {ticket_id} is closed")
    if public:
        _first_response(t, actor, now)
    ch = t.log(TicketChange(now, ChangeKind.NOTE, actor=actor, value=value, text=text))
    if t.status == TicketStatus.NEW and actor not in SYSTEM_ACTORS:
        t.status = TicketStatus.OPEN
        t.log(TicketChange(now, ChangeKind.STATUS, actor=actor, value=str(TicketStatus.OPEN)))
    repo.save_ticket(t)
    return t, ch


def assign(repo: TicketRepo, ticket_id: str, agent: str, *, now: float, actor: str) -> tuple[Ticket, TicketChange]:
    if not agent.strip():
        raise InputError("assign needs an agent", item="assign", field="agent")
    t = load(repo, ticket_id)
    if not t.is_open:
        raise ConflictError(f"ticket {ticket_id} is {t.status}; re-open it before assigning")
    t.agent = agent
    ch = t.log(TicketChange(now, ChangeKind.ASSIGN, actor=actor, value=agent))
    if t.status == TicketStatus.NEW:
        t.status = TicketStatus.OPEN
        t.log(TicketChange(now, ChangeKind.STATUS, actor=actor, value=str(TicketStatus.OPEN)))
    repo.save_ticket(t)
    return t, ch


def set_status(
    repo: TicketRepo, ticket_id: str, status: TicketStatus | str, *, now: float, actor: str, text: str = "",
) -> tuple[Ticket, TicketChange]:
    """Move the ticket; ``resolved`` stamps the resolution time, re-opening clears it."""
    try:
        new = TicketStatus(status)
    except ValueError as exc:
        raise InputError(f"unknown status {status!r}", item="status", field="status") from exc
    t = load(repo, ticket_id)
    if new not in _MOVES[t.status]:
        raise ConflictError(f"ticket {ticket_id} cannot go from {t.status} to {new}")
    if new in (TicketStatus.RESOLVED, TicketStatus.WAITING_CUSTOMER):
        _first_response(t, actor, now)  # an agent asking the customer, or solving it, has answered
    if new == TicketStatus.RESOLVED:
        t.resolved_at = now
    elif new in OPEN_STATUSES:
        t.resolved_at = None
    t.status = new
    ch = t.log(TicketChange(now, ChangeKind.STATUS, actor=actor, value=str(new), text=text))
    repo.save_ticket(t)
    return t, ch


def resolve(repo: TicketRepo, ticket_id: str, *, now: float, actor: str, text: str = "") -> tuple[Ticket, TicketChange]:
    return set_status(repo, ticket_id, TicketStatus.RESOLVED, now=now, actor=actor, text=text)


def set_priority(
    repo: TicketRepo, ticket_id: str, priority: Priority | str, *, now: float, actor: str, text: str = "",
) -> tuple[Ticket, TicketChange]:
    try:
        p = Priority(priority)
    except ValueError as exc:
        raise InputError(f"unknown priority {priority!r}", item="priority", field="priority") from exc
    t = load(repo, ticket_id)
    t.priority = p
    ch = t.log(TicketChange(now, ChangeKind.PRIORITY, actor=actor, value=str(p), text=text))
    repo.save_ticket(t)
    return t, ch
