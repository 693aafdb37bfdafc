"""SQLAlchemy tables: plans (solve jobs), promises and events.

Plans and promises are stored as JSON documents next to the columns that
queries filter on (status, order id, promised-by time), so later tables
(warnings, tickets, the notification outbox) are added beside these without
migrating them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "PlanRow", "PromiseRow", "EventRow"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class PlanRow(Base):
    __tablename__ = "plans"

    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)
    #: How to solve it (time limit, seed, solution limit): what a restart needs to re-run it.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: Solve attempts started; a plan that keeps dying with the server ends ``failed``.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Written by the server while a solve runs; a stale one means the server died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PromiseRow(Base):
    __tablename__ = "promises"

    promise_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    carrier: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(64))
    promised_by: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    probability: Mapped[float] = mapped_column(Float)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class EventRow(Base):
    __tablename__ = "events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    order_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# -- live monitor (issue 12) ------------------------------------------------------
from sqlalchemy import Boolean, UniqueConstraint  # noqa: E402


class MonitorPlanRow(Base):
    """A watched plan: its documents, the monitor's moving state and a version bumped by every write."""

    __tablename__ = "monitor_plans"

    plan_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    promises: Mapped[dict[str, Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class MonitorEventRow(Base):
    """A tracking event as received; its id (within its watched plan) makes a repeat a no-op."""

    __tablename__ = "monitor_events"

    plan_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float, index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class MonitorWarningRow(Base):
    """A monitor notice (delay, recovered, broken, unknown); ``row_no`` orders them for paging and the stream."""

    __tablename__ = "monitor_warnings"
    __table_args__ = (UniqueConstraint("warning_id", name="uq_monitor_warnings_warning_id"),)

    row_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_id: Mapped[str] = mapped_column(String(36))
    plan_key: Mapped[str] = mapped_column(String(64), index=True)
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
__all__ += ["MonitorPlanRow", "MonitorEventRow", "MonitorWarningRow"]


# -- tickets and the notification outbox (issue 13) ------------------------------
# Times are epoch seconds (Float), the unit of engine.clock.Clock, so SimClock days store exactly.


class CustomerRow(Base):
    """A customer's contact points and notification preferences."""

    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    addresses: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    quiet_start: Mapped[int] = mapped_column(Integer, default=22)
    quiet_end: Mapped[int] = mapped_column(Integer, default=8)
    rate_per_hour: Mapped[int] = mapped_column(Integer, default=6)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)


class OrderCustomerRow(Base):
    """Whose an order is, and its region (for the ticket queue)."""

    __tablename__ = "order_customers"

    order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)


class TicketRow(Base):
    __tablename__ = "tickets"

    ticket_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    queue: Mapped[str] = mapped_column(String(100), index=True)
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)
    first_response_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    resolved_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class TicketChangeRow(Base):
    """One line of a ticket's history (append-only)."""

    __tablename__ = "ticket_changes"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_changes_seq"),)

    change_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")


class OutboxRow(Base):
    """One notification on one channel; ``key`` (cause/channel) is unique and is the webhook-id's source."""

    __tablename__ = "outbox"

    notification_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    cause: Mapped[str] = mapped_column(String(300), index=True)
    event: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    order_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    not_before: Mapped[float] = mapped_column(Float, index=True)
    created_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxAttemptRow(Base):
    """One delivery attempt of an outbox row and its outcome."""

    __tablename__ = "outbox_attempts"

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


__all__ += ["CustomerRow", "OrderCustomerRow", "TicketRow", "TicketChangeRow", "OutboxRow", "OutboxAttemptRow"]


class ApiKeyRow(Base):
    """An API key: its public id, the peppered hash of its secret part, and its role."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
