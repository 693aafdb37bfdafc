"""Tickets, customers and the notification outbox in the database.

:class:`StoreUnit` implements :class:`engine.tickets.TicketRepo` and
:class:`engine.notify.NotifyRepo` on one SQLAlchemy session: whatever the
ticket and notification logic writes through it commits together, with the
cause (``unit(store)`` opens one; ``StoreUnit(session)`` joins a transaction
that is already open, such as the monitor's warning write).
:class:`StoreOutbox` implements :class:`engine.notify.Outbox` for the worker:
claims are one UPDATE, so two workers never hold the same row.

Kept apart from ``repository.py`` so that module stays under the layout's size limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Float, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from engine.domain.notification import Attempt, ChannelKind, Customer, Notification, NoticeEvent, OutboxStatus
from engine.domain.ticket import (
    ChangeKind, ContactChannel, Priority, Ticket, TicketCategory, TicketChange, TicketStatus, OPEN_STATUSES,
)
from engine.notify.repo import Outcome
from engine.store.repository import Store, _db_faults, _jsonable
from engine.store.tables import (
    CustomerRow, OrderCustomerRow, OutboxAttemptRow, OutboxRow, TicketChangeRow, TicketRow,
)
from engine.tickets.repo import TicketQuery

__all__ = ["StoreUnit", "StoreOutbox", "unit", "after_warnings", "after_delivered"]


@contextlib.contextmanager
def unit(store: Store) -> Iterator["StoreUnit"]:
    """One unit of work: everything written through it commits on exit (or nothing, on an error)."""
    with _db_faults(), store._session.begin() as s:  # noqa: SLF001 -- the store's own session factory
        yield StoreUnit(s)


def after_warnings(session: Session, warnings: Iterable[Any]) -> None:
    """Tickets and customer notifications for monitor notices, in the session that stores them.

    The one place to wire the monitor to tickets and notifications: call it
    inside the transaction that inserts the warning rows (the monitor's
    ``monitor_transaction``), with the :class:`~engine.domain.monitor.DelayWarning`
    records, so a warning, its ticket and its outbox rows commit together.
    """
    from engine import notify, tickets  # noqa: PLC0415 -- the store stays importable without them

    u = StoreUnit(session)
    for w in warnings:
        t = tickets.on_warning(u, w)
        notify.on_warning(u, w, ticket_id=t.ticket_id if t is not None else None)


def after_delivered(session: Session, order_id: str, at: float) -> None:
    """An order was delivered: resolve its delay / lost-parcel tickets and tell the customer (same transaction)."""
    from engine import notify, tickets  # noqa: PLC0415

    u = StoreUnit(session)
    tickets.on_delivered(u, order_id, at)
    notify.on_order_event(u, order_id, "delivered", at)


def _insert_new(session: Session, table: Any, key: str) -> Any:
    """INSERT that does nothing when ``key`` is taken (SQLite and PostgreSQL both say ON CONFLICT DO NOTHING)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=[key])


def _ticket(row: TicketRow, changes: list[TicketChangeRow]) -> Ticket:
    t = Ticket(
        ticket_id=row.ticket_id, category=TicketCategory(row.category), queue=row.queue,
        priority=Priority(row.priority), status=TicketStatus(row.status), created_at=row.created_at,
        channel=ContactChannel(row.channel), order_id=row.order_id, customer_id=row.customer_id, region=row.region,
        agent=row.agent, subject=row.subject, first_response_at=row.first_response_at, resolved_at=row.resolved_at,
        updated_at=row.updated_at, source=row.source,
    )
    t.history = [TicketChange(c.at, ChangeKind(c.kind), c.actor, c.value, c.text, c.seq) for c in changes]
    return t


def _notification(r: OutboxRow) -> Notification:
    return Notification(
        key=r.key, event=NoticeEvent(r.event), channel=ChannelKind(r.channel), address=r.address, language=r.language,
        created_at=r.created_at, not_before=r.not_before, payload=dict(r.payload or {}), order_id=r.order_id,
        customer_id=r.customer_id, ticket_id=r.ticket_id, critical=bool(r.critical), status=OutboxStatus(r.status),
        attempts=int(r.attempts or 0), last_error=r.last_error, sent_at=r.sent_at, notification_id=r.notification_id,
    )


def customer_from_row(r: CustomerRow) -> Customer:
    return Customer(
        customer_id=r.customer_id, name=r.name, language=r.language, timezone=r.timezone,
        channels=tuple(ChannelKind(c) for c in (r.channels or [])), addresses=dict(r.addresses or {}),
        quiet_start=int(r.quiet_start), quiet_end=int(r.quiet_end), rate_per_hour=int(r.rate_per_hour),
        opted_out=bool(r.opted_out),
    )


class StoreUnit:
    """Ticket and outbox persistence on one open session (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        #: ticket id -> history entries already stored (spares a MAX(seq) query per save)
        self._stored: dict[str, int] = {}

    # tickets ---------------------------------------------------------------
    def _load(self, rows: Iterable[TicketRow]) -> list[Ticket]:
        rows = list(rows)
        if not rows:
            return []
        ids = [r.ticket_id for r in rows]
        changes: dict[str, list[TicketChangeRow]] = {i: [] for i in ids}
        for i in range(0, len(ids), 500):
            for c in self.s.scalars(select(TicketChangeRow).where(TicketChangeRow.ticket_id.in_(ids[i:i + 500]))
                                    .order_by(TicketChangeRow.ticket_id, TicketChangeRow.seq)).all():
                changes[c.ticket_id].append(c)
        for i, cs in changes.items():
            self._stored[i] = max((c.seq for c in cs), default=0)
        return [_ticket(r, changes[r.ticket_id]) for r in rows]

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = self.s.get(TicketRow, ticket_id)
        return None if row is None else self._load([row])[0]

    def find_open_ticket(self, order_id: str, categories: Iterable[TicketCategory]) -> Ticket | None:
        row = self.s.scalars(
            select(TicketRow).where(TicketRow.order_id == order_id, TicketRow.category.in_([str(c) for c in categories]),
                                    TicketRow.status.in_([str(x) for x in OPEN_STATUSES]))
            .order_by(TicketRow.created_at).limit(1)
        ).first()
        return None if row is None else self._load([row])[0]

    def save_ticket(self, ticket: Ticket) -> None:
        row = self.s.get(TicketRow, ticket.ticket_id)
        if row is None:
            row = TicketRow(ticket_id=ticket.ticket_id)
            self.s.add(row)
        row.category, row.queue, row.priority = str(ticket.category), ticket.queue, str(ticket.priority)
        row.status, row.channel, row.order_id = str(ticket.status), str(ticket.channel), ticket.order_id
        row.customer_id, row.region, row.agent = ticket.customer_id, ticket.region, ticket.agent
        row.subject, row.source = ticket.subject[:300], ticket.source[:200]
        row.created_at, row.updated_at = ticket.created_at, ticket.updated_at
        row.first_response_at, row.resolved_at = ticket.first_response_at, ticket.resolved_at
        stored = self._stored.get(ticket.ticket_id)
        if stored is None:
            stored = self.s.scalar(select(func.max(TicketChangeRow.seq)).where(TicketChangeRow.ticket_id == ticket.ticket_id)) or 0
        new = [{"ticket_id": ticket.ticket_id, "seq": c.seq, "at": c.at, "kind": str(c.kind), "actor": c.actor[:64],
                "value": None if c.value is None else c.value[:200], "text": c.text} for c in ticket.history if c.seq > stored]
        self.s.flush()
        if new:
            self.s.connection().execute(TicketChangeRow.__table__.insert(), new)
        self._stored[ticket.ticket_id] = max([stored, *(c["seq"] for c in new)])

    def _where(self, q: TicketQuery) -> list[Any]:
        w: list[Any] = []
        if q.status:
            w.append(TicketRow.status.in_([str(x) for x in q.status]))
        for col, v in ((TicketRow.queue, q.queue), (TicketRow.category, q.category), (TicketRow.order_id, q.order_id),
                       (TicketRow.customer_id, q.customer_id), (TicketRow.agent, q.agent)):
            if v is not None:
                w.append(col == str(v))
        if q.since is not None:
            w.append(TicketRow.created_at >= q.since)
        if q.until is not None:
            w.append(TicketRow.created_at < q.until)
        return w

    def list_tickets(self, query: TicketQuery, *, offset: int = 0, limit: int = 50) -> list[Ticket]:
        rows = self.s.scalars(select(TicketRow).where(*self._where(query))
                              .order_by(TicketRow.created_at.desc(), TicketRow.ticket_id).offset(offset).limit(limit)).all()
        return self._load(rows)

    def count_tickets(self, query: TicketQuery) -> int:
        return int(self.s.scalar(select(func.count()).select_from(TicketRow).where(*self._where(query))) or 0)

    # customers -------------------------------------------------------------
    def order_customer(self, order_id: str) -> tuple[str | None, str | None]:
        row = self.s.get(OrderCustomerRow, order_id)
        return (None, None) if row is None else (row.customer_id, row.region)

    def get_customer(self, customer_id: str) -> Customer | None:
        row = self.s.get(CustomerRow, customer_id)
        return None if row is None else customer_from_row(row)

    def put_customer(self, c: Customer) -> None:
        row = self.s.get(CustomerRow, c.customer_id) or CustomerRow(customer_id=c.customer_id)
        row.name, row.language, row.timezone = c.name, c.language, c.timezone
        row.channels, row.addresses = [str(x) for x in c.channels], dict(c.addresses)
        row.quiet_start, row.quiet_end, row.rate_per_hour, row.opted_out = c.quiet_start, c.quiet_end, c.rate_per_hour, c.opted_out
        self.s.merge(row)
        self.s.flush()

    def link_order(self, order_id: str, customer_id: str, region: str | None = None) -> None:
        self.s.merge(OrderCustomerRow(order_id=order_id, customer_id=customer_id, region=region))
        self.s.flush()

    def orders_of(self, customer_id: str, *, limit: int = 1000) -> list[str]:
        return list(self.s.scalars(select(OrderCustomerRow.order_id).where(OrderCustomerRow.customer_id == customer_id)
                                   .order_by(OrderCustomerRow.order_id).limit(limit)).all())

    # outbox ----------------------------------------------------------------
    def add_notification(self, n: Notification) -> bool:
        values = dict(
            key=n.key, cause=n.key.rsplit("/", 1)[0], event=str(n.event), channel=str(n.channel), address=n.address,
            language=n.language, order_id=n.order_id, customer_id=n.customer_id, ticket_id=n.ticket_id,
            critical=n.critical, status=str(n.status), not_before=n.not_before, created_at=n.created_at,
            attempts=n.attempts, last_error=n.last_error, payload=_jsonable(n.payload),
        )
        # One statement, and a concurrent writer of the same cause keeps its row without failing ours.
        self.s.flush()
        stmt = _insert_new(self.s, OutboxRow.__table__, "key").values(values).returning(OutboxRow.__table__.c.notification_id)
        nid = self.s.connection().execute(stmt).scalar()
        if nid is None:
            return False
        n.notification_id = int(nid)
        return True

    def recent_causes(self, customer_id: str, since: float) -> list[float]:
        rows = self.s.execute(
            select(OutboxRow.cause, func.min(OutboxRow.not_before))
            .where(OutboxRow.customer_id == customer_id, OutboxRow.not_before >= since,
                   OutboxRow.status != str(OutboxStatus.SKIPPED))
            .group_by(OutboxRow.cause)
        ).all()
        return sorted(float(t) for _, t in rows)

    def notifications_for(self, *, customer_id: str | None = None, order_id: str | None = None,
                          limit: int = 200) -> list[Notification]:
        q = select(OutboxRow)
        if customer_id is not None:
            q = q.where(OutboxRow.customer_id == customer_id)
        if order_id is not None:
            q = q.where(OutboxRow.order_id == order_id)
        rows = self.s.scalars(q.order_by(OutboxRow.created_at.desc(), OutboxRow.notification_id.desc()).limit(limit)).all()
        return [_notification(r) for r in rows]

    def attempts_for(self, notification_id: int) -> list[Attempt]:
        rows = self.s.scalars(select(OutboxAttemptRow).where(OutboxAttemptRow.notification_id == notification_id)
                              .order_by(OutboxAttemptRow.attempt_id)).all()
        return [Attempt(r.notification_id, r.number, r.started_at, r.ok, r.duration_s, r.error, r.status_code) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        rows = self.s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        return {str(s): int(n) for s, n in rows}


class StoreOutbox:
    """The worker's side of the outbox: claim (one UPDATE) and finish (one transaction per batch)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(self, now: float, *, limit: int, lease_s: float, worker_id: str) -> list[Notification]:
        due = or_(
            and_(OutboxRow.status == str(OutboxStatus.PENDING), OutboxRow.not_before <= now),
            and_(OutboxRow.status == str(OutboxStatus.SENDING), OutboxRow.lease_until < now),
        )
        ids = select(OutboxRow.notification_id).where(due).order_by(OutboxRow.not_before, OutboxRow.notification_id).limit(limit)
        with _db_faults(), self.store._session.begin() as s:  # noqa: SLF001
            # The outer ``due`` is re-checked on the locked row (PostgreSQL), so two workers never both win one.
            res = s.execute(
                update(OutboxRow).where(OutboxRow.notification_id.in_(ids.scalar_subquery()), due)
                .values(status=str(OutboxStatus.SENDING), lease_until=now + lease_s, claimed_by=worker_id,
                        attempts=OutboxRow.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if not res.rowcount:
                return []
            rows = s.scalars(select(OutboxRow).where(OutboxRow.claimed_by == worker_id,
                                                     OutboxRow.status == str(OutboxStatus.SENDING),
                                                     OutboxRow.lease_until == now + lease_s)).all()
            return [_notification(r) for r in rows]

    def finish(self, worker_id: str, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        t = OutboxRow.__table__
        # One executemany per statement: a batch of 200 is two round trips, not 400.
        move = t.update().where(
            t.c.notification_id == bindparam("b_id"), t.c.claimed_by == bindparam("b_worker"),
            t.c.status == str(OutboxStatus.SENDING),
        ).values(status=bindparam("b_status"), last_error=bindparam("b_error"), lease_until=None,
                 not_before=func.coalesce(bindparam("b_not_before", type_=Float), t.c.not_before),
                 sent_at=func.coalesce(bindparam("b_sent_at", type_=Float), t.c.sent_at))
        with _db_faults(), self.store._session.begin() as s:  # noqa: SLF001
            conn = s.connection()
            conn.execute(OutboxAttemptRow.__table__.insert(), [{
                "notification_id": o.attempt.notification_id, "number": o.attempt.number, "worker": worker_id,
                "started_at": o.attempt.started_at, "duration_s": o.attempt.duration_s, "ok": o.attempt.ok,
                "status_code": o.attempt.status_code, "error": o.attempt.error} for o in outcomes])
            conn.execute(move, [{
                "b_id": o.attempt.notification_id, "b_worker": worker_id, "b_status": str(o.status), "b_error": o.error,
                "b_not_before": o.not_before,
                "b_sent_at": o.attempt.started_at + o.attempt.duration_s if o.status == OutboxStatus.SENT else None,
            } for o in outcomes])
