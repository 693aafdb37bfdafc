"""Request and response bodies of tickets, KPIs and customer history.

Times go out as ISO 8601 UTC; they come in as ISO 8601 (UTC if no zone) or epoch seconds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Optional, Union
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field

from engine.domain.notification import Customer, Notification
from engine.domain.ticket import Ticket

__all__ = [
    "TicketIn", "NoteIn", "AssignIn", "StatusIn", "ResolveIn", "ChangeOut", "TicketOut", "TicketPage",
    "QueueKpisOut", "KpisOut", "CustomerIn", "CustomerOut", "OrderLinkIn", "NotificationOut", "HistoryOut", "iso",
    "Instant", "InstantText", "epoch",
]

Category = Literal["delay", "damage", "lost_parcel", "quality", "returns", "feedback"]
Status = Literal["new", "open", "waiting_customer", "waiting_carrier", "resolved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
Channel = Literal["phone", "email", "chat", "app", "social", "system"]
NoticeChannel = Literal["webhook", "email", "sms", "push"]
Actor = Field("agent", min_length=1, max_length=64, description="Who does it (an agent id).")
#: ISO 8601 (UTC if no zone) or epoch seconds.
Instant = Union[datetime, Annotated[float, Field(ge=0, le=4_102_444_800)]]  # epoch up to 2100
#: IANA zone names this server knows (the schema says exactly which).
TimeZone = Literal[tuple(sorted(available_timezones()))]  # type: ignore[valid-type]


#: A query-string instant: ISO 8601 (UTC if no zone) or epoch seconds; parsed by :func:`epoch`.
InstantText = Annotated[str, Field(
    pattern=r"^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:\d{2})?|\d{1,10}(\.\d{1,6})?)$",
    description="ISO 8601 (UTC if no zone) or epoch seconds.", examples=["2026-11-28T00:00:00Z", "1796000000"],
)]


def epoch(t: "datetime | float | str | None", *, field: str = "since") -> Optional[float]:
    """An instant as epoch seconds (a datetime without a zone is UTC); a bad one is an InputError naming ``field``."""
    from engine.errors import InputError  # noqa: PLC0415

    if t is None:
        return None
    if isinstance(t, str):
        try:
            t = float(t) if t.replace(".", "", 1).isdigit() else datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"{field} is not a date-time: {t!r}", item="query", field=field) from exc
    if isinstance(t, datetime):
        return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()
    if not 0 <= t <= 4_102_444_800:
        raise InputError(f"{field} must be epoch seconds between 1970 and 2100", item="query", field=field)
    return float(t)


def iso(t: float | None) -> Optional[datetime]:
    return None if t is None else datetime.fromtimestamp(t, timezone.utc)


class _In(BaseModel):
    # Strict: 0 is not false and "8" is not 8, as the schema says.
    model_config = ConfigDict(extra="forbid", strict=True)


class TicketIn(_In):
    category: Category
    channel: Channel = Field("phone", description="Where the customer reached us.")
    order_id: Optional[str] = Field(None, min_length=1, max_length=128)
    customer_id: Optional[str] = Field(None, min_length=1, max_length=128, description="Default: the order's customer.")
    priority: PriorityName = "normal"
    subject: str = Field("", max_length=300)
    text: str = Field("", max_length=10_000, description="The customer's words, or the agent's summary.")
    region: Optional[str] = Field(None, max_length=64, description="Queue region (default: the order's).")
    actor: str = Actor


class NoteIn(_In):
    text: str = Field(..., min_length=1, max_length=10_000)
    public: bool = Field(True, description="Said to the customer (the first one stops the first-response clock).")
    actor: str = Actor


class AssignIn(_In):
    agent: str = Field(..., min_length=1, max_length=64)
    actor: str = Actor


class StatusIn(_In):
    status: Status
    text: str = Field("", max_length=10_000)
    actor: str = Actor


class ResolveIn(_In):
    text: str = Field("", max_length=10_000)
    actor: str = Actor


class ChangeOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str
    value: Optional[str]
    text: str


class ClockOut(BaseModel):
    elapsed_s: float
    allowed_s: float
    met: Optional[bool]
    paused: bool
    breached: bool
    due_at: Optional[datetime]


class TicketOut(BaseModel):
    ticket_id: str
    category: Category
    queue: str
    priority: PriorityName
    status: Status
    channel: Channel
    order_id: Optional[str]
    customer_id: Optional[str]
    region: Optional[str]
    agent: Optional[str]
    subject: str
    source: str
    created_at: datetime
    updated_at: datetime
    first_response_at: Optional[datetime]
    resolved_at: Optional[datetime]
    sla: dict[str, ClockOut] = Field(default_factory=dict, description="first_response and resolution clocks now.")
    history: list[ChangeOut] = Field(default_factory=list)

    @classmethod
    def of(cls, t: Ticket, clocks: tuple[Any, ...] = (), *, history: bool = True) -> "TicketOut":
        return cls(
            ticket_id=t.ticket_id, category=str(t.category), queue=t.queue, priority=str(t.priority), status=str(t.status),
            channel=str(t.channel), order_id=t.order_id, customer_id=t.customer_id, region=t.region, agent=t.agent,
            subject=t.subject, source=t.source, created_at=iso(t.created_at), updated_at=iso(t.updated_at),
            first_response_at=iso(t.first_response_at), resolved_at=iso(t.resolved_at),
            sla={c.clock: ClockOut(elapsed_s=c.elapsed_s, allowed_s=c.allowed_s, met=c.met, paused=c.paused,
                                   breached=c.breached, due_at=iso(c.due_at)) for c in clocks},
            history=[ChangeOut(seq=c.seq, at=iso(c.at), kind=str(c.kind), actor=c.actor, value=c.value, text=c.text)
                     for c in t.history] if history else [],
        )


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int
    offset: int
    limit: int


class QueueKpisOut(BaseModel):
    opened: int
    resolved: int
    backlog: int
    judged: int
    met: int
    sla_attainment: Optional[float]


class KpisOut(BaseModel):
    since: datetime
    until: datetime
    opened: int
    resolved: int
    resolved_24h_share: Optional[float] = Field(None, description="Target >= 0.9.")
    resolved_24h_judged: int
    feedback_48h_share: Optional[float]
    feedback_48h_judged: int
    median_first_response_s: Optional[float]
    by_queue: dict[str, QueueKpisOut]


class CustomerIn(_In):
    name: str = Field("", max_length=200)
    language: Literal["en", "zh_CN"] = "en"
    timezone: TimeZone = Field("UTC", description="IANA zone for quiet hours and the times in messages.")
    channels: list[NoticeChannel] = Field(default_factory=lambda: ["email"], max_length=4)
    addresses: dict[NoticeChannel, str] = Field(default_factory=dict, description="Where each channel goes.")
    quiet_start: int = Field(22, ge=0, le=23, description="Local hour quiet hours begin (equal to quiet_end: none).")
    quiet_end: int = Field(8, ge=0, le=23)
    rate_per_hour: int = Field(6, ge=1, le=1000)
    opted_out: bool = False


class CustomerOut(CustomerIn):
    customer_id: str

    @classmethod
    def of(cls, c: Customer) -> "CustomerOut":
        return cls(customer_id=c.customer_id, name=c.name, language=c.language, timezone=c.timezone,
                   channels=[str(x) for x in c.channels], addresses=dict(c.addresses), quiet_start=c.quiet_start,
                   quiet_end=c.quiet_end, rate_per_hour=c.rate_per_hour, opted_out=c.opted_out)


class OrderLinkIn(_In):
    order_id: str = Field(..., min_length=1, max_length=128)
    region: Optional[str] = Field(None, max_length=64)


class NotificationOut(BaseModel):
    notification_id: Optional[int]
    event: str
    channel: str
    status: str
    order_id: Optional[str]
    ticket_id: Optional[str]
    created_at: datetime
    not_before: datetime
    sent_at: Optional[datetime]
    attempts: int
    last_error: Optional[str]

    @classmethod
    def of(cls, n: Notification) -> "NotificationOut":
        return cls(notification_id=n.notification_id, event=str(n.event), channel=str(n.channel), status=str(n.status),
                   order_id=n.order_id, ticket_id=n.ticket_id, created_at=iso(n.created_at), not_before=iso(n.not_before),
                   sent_at=iso(n.sent_at), attempts=n.attempts, last_error=n.last_error)


class HistoryOut(BaseModel):
    customer: Optional[CustomerOut]
    tickets: list[TicketOut]
    notifications: list[NotificationOut]
    promises: list[dict[str, Any]]
