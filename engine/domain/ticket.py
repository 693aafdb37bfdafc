"""After-sales tickets: categories, queues, priorities, statuses and the history of each ticket.

Times are seconds since the Unix epoch (UTC), the unit of :class:`engine.clock.Clock`.
The enums are ``str`` enums that compare equal to their JSON strings.  A
ticket's history is append-only: every status change, note, assignment,
priority change and SLA event is one :class:`TicketChange`, and the SLA clocks
(pauses while waiting on the customer) are computed from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "TicketCategory", "TicketStatus", "Priority", "ContactChannel", "ChangeKind",
    "TicketChange", "Ticket", "OPEN_STATUSES", "PAUSED_STATUSES",
]


class _StrEnum(str, Enum):
    def __str__(self) -> str:
        return self.value


class TicketCategory(_StrEnum):
    DELAY = "delay"
    DAMAGE = "damage"
    LOST_PARCEL = "lost_parcel"
    QUALITY = "quality"
    RETURNS = "returns"
    #: feedback and complaints: "handled" within 48 h instead of "resolved" within 24 h
    FEEDBACK = "feedback"


class TicketStatus(_StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_CARRIER = "waiting_carrier"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Statuses in which a ticket is still someone's work (the backlog).
OPEN_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING_CUSTOMER, TicketStatus.WAITING_CARRIER})
#: Statuses that stop the resolution clock: the ball is in the customer's court.
PAUSED_STATUSES = frozenset({TicketStatus.WAITING_CUSTOMER})


class Priority(_StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def raised(self) -> "Priority":
        """One step up (urgent stays urgent)."""
        order = list(Priority)
        return order[min(len(order) - 1, order.index(self) + 1)]


_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class ContactChannel(_StrEnum):
    """Where a ticket or a customer's message came in: one history per customer across all of them."""

    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    APP = "app"
    SOCIAL = "social"
    #: opened by the engine itself (a monitor warning, a silent carrier parcel)
    SYSTEM = "system"


class ChangeKind(_StrEnum):
    CREATED = "created"
    STATUS = "status"
    NOTE = "note"
    ASSIGN = "assign"
    PRIORITY = "priority"
    #: the first answer of an agent to the customer (stops the first-response clock)
    RESPONSE = "response"
    SLA_NEAR_BREACH = "sla_near_breach"
    SLA_BREACH = "sla_breach"


@dataclass(frozen=True, slots=True)
class TicketChange:
    """One line of a ticket's history."""

    at: float
    kind: ChangeKind
    #: who did it: an agent id, ``"monitor"``, ``"sla"``, ``"customer"``
    actor: str = "system"
    #: the new value (a status, a priority, an agent id, an SLA clock name) or None
    value: str | None = None
    text: str = ""
    #: position in the ticket's history (filled in by the store)
    seq: int = 0


@dataclass(slots=True)
class Ticket:
    """One customer problem.  ``history`` holds every change, oldest first."""

    ticket_id: str
    category: TicketCategory
    queue: str
    priority: Priority
    status: TicketStatus
    created_at: float
    channel: ContactChannel = ContactChannel.SYSTEM
    order_id: str | None = None
    customer_id: str | None = None
    region: str | None = None
    agent: str | None = None
    subject: str = ""
    first_response_at: float | None = None
    resolved_at: float | None = None
    updated_at: float = 0.0
    #: where it came from: a warning id, ``lost_parcel:<order>``, ``api``
    source: str = ""
    history: list[TicketChange] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def log(self, change: TicketChange) -> TicketChange:
        """Append ``change`` to the history (numbered) and move ``updated_at``."""
        numbered = TicketChange(change.at, change.kind, change.actor, change.value, change.text, seq=len(self.history) + 1)
        self.history.append(numbered)
        self.updated_at = max(self.updated_at, change.at)
        return numbered
