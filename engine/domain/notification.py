"""Customer notifications: what happened, to whom, on which channel, and each delivery attempt.

A :class:`Notification` is one message on one channel for one change of state
of one order (or ticket); its ``key`` is unique, so a repeated cause writes
nothing new, and the same key is the ``webhook-id`` / idempotency key of every
delivery attempt, so a receiver that deduplicates sees it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "NoticeEvent", "ChannelKind", "OutboxStatus", "Customer", "Notification", "Attempt",
]


class _StrEnum(str, Enum):
    def __str__(self) -> str:
        return self.value


class NoticeEvent(_StrEnum):
    """What a notification tells the customer (one template per event and channel)."""

    CONFIRMED = "confirmed"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELAY = "delay"
    RECOVERED = "recovered"
    BROKEN = "broken"
    TICKET_UPDATE = "ticket_update"


class ChannelKind(_StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class OutboxStatus(_StrEnum):
    #: waiting for its time (``not_before``: quiet hours, rate limit, a retry's backoff)
    PENDING = "pending"
    #: a worker took it and is calling the channel; a stale lease means that worker died
    SENDING = "sending"
    SENT = "sent"
    #: gave up after the last attempt (or a permanent refusal); ``last_error`` says why
    DEAD = "dead"
    #: nothing to send (opted out, no address for the channel) -- kept so the history says why
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer's contact points and preferences.

    ``addresses`` maps a channel to where it goes (a webhook URL, an e-mail
    address, a phone number, a push token).  ``quiet_start``/``quiet_end`` are
    local hours ``[start, end)`` in ``timezone`` (start > end wraps midnight;
    equal: no quiet hours).
    """

    customer_id: str
    name: str = ""
    language: str = "en"
    timezone: str = "UTC"
    channels: tuple[ChannelKind, ...] = (ChannelKind.EMAIL,)
    addresses: dict[str, str] = field(default_factory=dict)
    quiet_start: int = 22
    quiet_end: int = 8
    #: most messages per rolling hour (critical ones are not held back)
    rate_per_hour: int = 6
    opted_out: bool = False


@dataclass(slots=True)
class Notification:
    """One message on one channel: the outbox row."""

    key: str
    event: NoticeEvent
    channel: ChannelKind
    address: str
    language: str
    created_at: float
    not_before: float
    #: what the template reads (order, promise, revised window, reason, ticket...)
    payload: dict
    order_id: str | None = None
    customer_id: str | None = None
    ticket_id: str | None = None
    critical: bool = False
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: float | None = None
    notification_id: int | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt and its outcome."""

    notification_id: int
    number: int
    started_at: float
    ok: bool
    duration_s: float
    error: str | None = None
    #: the receiver's status code (webhook, HTTP adapters) or None
    status_code: int | None = None
