"""What the ticket logic needs of persistence: :class:`TicketRepo`, implemented by the store.

The ticket and notification logic never imports the store (the layers
contract forbids it); it is handed an object with these methods, one unit of
work whose changes commit together.  ``engine.store`` implements it over
SQLAlchemy (``Store.unit()``); :class:`MemoryRepo` implements it in memory for
the simulator and the fast tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from engine.domain.notification import Customer
from engine.domain.ticket import Ticket, TicketCategory, TicketStatus

__all__ = ["TicketRepo", "TicketQuery", "MemoryTicketRepo"]


class TicketQuery:
    """Filters of a ticket listing (None: any)."""

    __slots__ = ("status", "queue", "category", "order_id", "customer_id", "agent", "since", "until")

    def __init__(
        self, *, status: Sequence[TicketStatus] | None = None, queue: str | None = None,
        category: TicketCategory | None = None, order_id: str | None = None, customer_id: str | None = None,
        agent: str | None = None, since: float | None = None, until: float | None = None,
    ) -> None:
        self.status = tuple(status) if status else None
        self.queue = queue
        self.category = category
        self.order_id = order_id
        self.customer_id = customer_id
        self.agent = agent
        #: created at or after / before
        self.since = since
        self.until = until

    def matches(self, t: Ticket) -> bool:
        return (
            (self.status is None or t.status in self.status)
            and (self.queue is None or t.queue == self.queue)
            and (self.category is None or t.category == self.category)
            and (self.order_id is None or t.order_id == self.order_id)
            and (self.customer_id is None or t.customer_id == self.customer_id)
            and (self.agent is None or t.agent == self.agent)
            and (self.since is None or t.created_at >= self.since)
            and (self.until is None or t.created_at < self.until)
        )


@runtime_checkable
class TicketRepo(Protocol):
    """One unit of work over tickets, orders' customers and customers."""

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        """The ticket with its full history, or None."""
        ...

    def find_open_ticket(self, order_id: str, categories: Iterable[TicketCategory]) -> Ticket | None:
        """The oldest open ticket of this order in one of ``categories``."""
        ...

    def save_ticket(self, ticket: Ticket) -> None:
        """Insert or update ``ticket``; history entries not stored yet are appended."""
        ...

    def list_tickets(self, query: TicketQuery, *, offset: int = 0, limit: int = 50) -> list[Ticket]:
        """Tickets matching ``query``, newest first."""
        ...

    def count_tickets(self, query: TicketQuery) -> int:
        ...

    def order_customer(self, order_id: str) -> tuple[str | None, str | None]:
        """(customer id, region) of an order, (None, None) when unknown."""
        ...

    def get_customer(self, customer_id: str) -> Customer | None:
        ...


class MemoryTicketRepo:
    """:class:`TicketRepo` in memory (simulations, tests); no transactions."""

    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}
        self.orders: dict[str, tuple[str | None, str | None]] = {}
        self.customers: dict[str, Customer] = {}

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        return self.tickets.get(ticket_id)

    def find_open_ticket(self, order_id: str, categories: Iterable[TicketCategory]) -> Ticket | None:
        cats = set(categories)
        found = [t for t in self.tickets.values() if t.order_id == order_id and t.category in cats and t.is_open]
        return min(found, key=lambda t: t.created_at) if found else None

    def save_ticket(self, ticket: Ticket) -> None:
        self.tickets[ticket.ticket_id] = ticket

    def list_tickets(self, query: TicketQuery, *, offset: int = 0, limit: int = 50) -> list[Ticket]:
        rows = sorted((t for t in self.tickets.values() if query.matches(t)), key=lambda t: (-t.created_at, t.ticket_id))
        return rows[offset: offset + limit]

    def count_tickets(self, query: TicketQuery) -> int:
        return sum(1 for t in self.tickets.values() if query.matches(t))

    def order_customer(self, order_id: str) -> tuple[str | None, str | None]:
        return self.orders.get(order_id, (None, None))

    def get_customer(self, customer_id: str) -> Customer | None:
        return self.customers.get(customer_id)
