"""What notifications need of persistence: the outbox, written with its cause and drained by the worker.

:class:`NotifyRepo` is the writing side, one unit of work shared with the
cause (a warning row, a ticket change), so the notification exists exactly
when its cause does.  :class:`Outbox` is the worker's side: claim due rows
(marking them ``sending`` with a lease, before any network call) and record
outcomes.  ``engine.store`` implements both over SQLAlchemy;
:class:`MemoryNotifyRepo` in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from engine.domain.notification import Attempt, Notification, OutboxStatus
from engine.tickets.repo import MemoryTicketRepo, TicketRepo

__all__ = ["NotifyRepo", "Outbox", "Outcome", "MemoryNotifyRepo"]


@runtime_checkable
class NotifyRepo(TicketRepo, Protocol):
    def add_notification(self, n: Notification) -> bool:
        """Insert ``n`` unless its key exists (then nothing changes); whether it was inserted."""
        ...

    def recent_causes(self, customer_id: str, since: float) -> list[float]:
        """When each distinct cause for this customer is (or was) due, for causes due after ``since``."""
        ...

    def notifications_for(self, *, customer_id: str | None = None, order_id: str | None = None,
                          limit: int = 200) -> list[Notification]:
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one delivery attempt ended in: the attempt, the row's new status, and when to try again."""

    attempt: Attempt
    status: OutboxStatus
    not_before: float | None = None
    error: str | None = None


@runtime_checkable
class Outbox(Protocol):
    def claim(self, now: float, *, limit: int, lease_s: float, worker_id: str) -> list[Notification]:
        """Mark up to ``limit`` due rows ``sending`` for ``worker_id`` until ``now + lease_s`` and return them.

        Due: ``pending`` with ``not_before <= now``, or ``sending`` whose lease
        ran out (its worker died mid-call: the receiver may have it already,
        and deduplicates by the notification's key).  Each claim counts one attempt.
        """
        ...

    def finish(self, worker_id: str, outcomes: list[Outcome]) -> None:
        """Record the attempts and move the rows (only those this worker still holds)."""
        ...


class MemoryNotifyRepo(MemoryTicketRepo):
    """:class:`NotifyRepo` and :class:`Outbox` in memory (simulations, tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.outbox: dict[int, Notification] = {}
        self.keys: dict[str, int] = {}
        self.attempts: list[Attempt] = []
        self._lease: dict[int, tuple[str, float]] = {}

    def add_notification(self, n: Notification) -> bool:
        if n.key in self.keys:
            return False
        nid = len(self.outbox) + 1
        self.outbox[nid] = replace(n, notification_id=nid)
        self.keys[n.key] = nid
        return True

    def recent_causes(self, customer_id: str, since: float) -> list[float]:
        firsts: dict[str, float] = {}
        for n in self.outbox.values():
            if n.customer_id == customer_id and n.status != OutboxStatus.SKIPPED and n.not_before >= since:
                cause = n.key.rsplit("/", 1)[0]
                firsts[cause] = min(firsts.get(cause, n.not_before), n.not_before)
        return sorted(firsts.values())

    def notifications_for(self, *, customer_id: str | None = None, order_id: str | None = None,
                          limit: int = 200) -> list[Notification]:
        rows = [n for n in self.outbox.values()
                if (customer_id is None or n.customer_id == customer_id) and (order_id is None or n.order_id == order_id)]
        return sorted(rows, key=lambda n: (-n.created_at, -(n.notification_id or 0)))[:limit]

    def claim(self, now: float, *, limit: int, lease_s: float, worker_id: str) -> list[Notification]:
        out = []
        for nid, n in sorted(self.outbox.items(), key=lambda kv: (kv[1].not_before, kv[0])):
            if len(out) >= limit:
                break
            stale = n.status == OutboxStatus.SENDING and self._lease.get(nid, ("", 0.0))[1] < now
            if (n.status == OutboxStatus.PENDING and n.not_before <= now) or stale:
                n.status = OutboxStatus.SENDING
                n.attempts += 1
                self._lease[nid] = (worker_id, now + lease_s)
                out.append(replace(n))
        return out

    def finish(self, worker_id: str, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            nid = o.attempt.notification_id
            self.attempts.append(o.attempt)
            if self._lease.get(nid, ("",))[0] != worker_id:
                continue
            n = self.outbox[nid]
            n.status = o.status
            n.last_error = o.error
            if o.not_before is not None:
                n.not_before = o.not_before
            if o.status == OutboxStatus.SENT:
                n.sent_at = o.attempt.started_at + o.attempt.duration_s
            self._lease.pop(nid, None)
