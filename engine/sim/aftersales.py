"""Tickets and notifications of the simulated day, on a simulated clock.

Every cause goes through the engine's own intake rules, in time order on a
:class:`~engine.clock.SimClock`: an order confirmed at checkout, out for
delivery (its vehicle leaves, or the carrier picks it up), delivered
(:func:`engine.notify.on_order_event`; a delivery resolves the order's open
delay ticket, :func:`engine.tickets.on_delivered`); each monitor notice
(:func:`engine.tickets.on_warning`, :func:`engine.notify.on_warning`); and
a share ``tickets.call_share`` of the customers whose order is late and who
were never warned, who call in 10-60 minutes after the promise passed
(a delay ticket, acknowledged by a notification).  No agents are simulated:
a ticket is resolved when its order is delivered, so "resolved within 24 h"
measures how quickly late orders arrive after the ticket opened.

Persistence is in memory (:class:`Repo`, the engine's memory repositories
with the two look-ups the intake rules make per cause indexed, so a
5,000-order day stays linear).  Notifications are counted as the outbox
rows written (``pending``: to be sent; ``skipped`` with the reason); no
channel is called.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from engine import notify, tickets
from engine.clock import SimClock
from engine.domain.monitor import DelayWarning
from engine.domain.notification import ChannelKind, Customer, Notification, OutboxStatus
from engine.domain.ticket import ContactChannel, Ticket, TicketCategory
from engine.notify import MemoryNotifyRepo
from engine.sim.scenario import Scenario
from engine.sim.world import World

__all__ = ["AfterSales", "Repo", "run"]


class Repo(MemoryNotifyRepo):
    """The memory repositories with per-order open tickets and per-customer causes indexed."""

    def __init__(self) -> None:
        super().__init__()
        self._by_order: dict[str, list[Ticket]] = {}
        self._causes: dict[str, dict[str, float]] = {}

    def save_ticket(self, ticket: Ticket) -> None:
        if ticket.ticket_id not in self.tickets and ticket.order_id is not None:
            self._by_order.setdefault(ticket.order_id, []).append(ticket)
        super().save_ticket(ticket)

    def find_open_ticket(self, order_id: str, categories: Iterable[TicketCategory]) -> Ticket | None:
        cats = set(categories)
        found = [t for t in self._by_order.get(order_id, ()) if t.category in cats and t.is_open]
        return min(found, key=lambda t: t.created_at) if found else None

    def add_notification(self, n: Notification) -> bool:
        ok = super().add_notification(n)
        if ok and n.customer_id is not None and n.status != OutboxStatus.SKIPPED:
            c = self._causes.setdefault(n.customer_id, {})
            cause = n.key.rsplit("/", 1)[0]
            c[cause] = min(c.get(cause, n.not_before), n.not_before)
        return ok

    def recent_causes(self, customer_id: str, since: float) -> list[float]:
        return sorted(t for t in self._causes.get(customer_id, {}).values() if t >= since)


@dataclass(slots=True)
class AfterSales:
    ticket_kpis: dict
    opened_by: Counter = field(default_factory=Counter)
    notifications: Counter = field(default_factory=Counter)
    skipped: int = 0


def run(s: Scenario, w: World, order_ids: list[str], placed: np.ndarray, promised: np.ndarray, delivered: np.ndarray,
        out_at: np.ndarray, notices: list[DelayWarning], first_warning: np.ndarray, rng: np.random.Generator) -> AfterSales:
    """Replay the causes of the orders ``order_ids`` through the ticket and notification intake.

    Arrays are per order, seconds from the simulated day's midnight
    (``out_at``: when its vehicle left or the carrier picked it up, nan:
    never; ``first_warning``: its first delay notice, nan: none); ``notices``
    are the monitors' notices about these orders.
    """
    day0 = w.day0
    repo = Repo()
    n = len(order_ids)
    for i, oid in enumerate(order_ids):
        cid = f"c-{oid}"
        repo.customers[cid] = Customer(cid, timezone=w.model.city.tz, channels=(ChannelKind.EMAIL, ChannelKind.SMS),
                                       addresses={"email": f"{cid}@example.com", "sms": f"+1555{i:07d}"})
        repo.orders[oid] = (cid, s.name)
    q: list[tuple[float, int, str, object]] = []
    seq = 0

    def at(t: float, kind: str, data: object) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(q, (float(t), seq, kind, data))

    # Fixed draw counts (n each), so the choices stream stays aligned whatever happened.
    call_u = rng.random(n)
    call_delay = rng.uniform(600.0, 3600.0, n)
    warned = np.isfinite(first_warning)
    for i, oid in enumerate(order_ids):
        at(day0 + placed[i], "confirmed", i)
        if np.isfinite(out_at[i]):
            at(day0 + out_at[i], "out", i)
        if np.isfinite(delivered[i]):
            at(day0 + delivered[i], "delivered", i)
        late = not (delivered[i] <= promised[i])
        if late and not warned[i] and call_u[i] < s.tickets.call_share:
            at(day0 + promised[i] + call_delay[i], "call", i)
    for nt in notices:
        at(nt.at, "warning", nt)
    clock = SimClock(q[0][0] if q else day0)
    opened: Counter = Counter()
    while q:
        t, _, kind, data = heapq.heappop(q)
        clock.set(max(t, clock.now()))
        now = clock.now()
        if kind == "warning":
            tk_before = repo.find_open_ticket(data.order_id, (TicketCategory.DELAY,))  # type: ignore[attr-defined]
            tk = tickets.on_warning(repo, data)  # type: ignore[arg-type]
            notify.on_warning(repo, data, ticket_id=tk.ticket_id if tk else None)  # type: ignore[arg-type]
            if tk is not None and tk_before is None:
                opened[f"monitor_{data.kind}"] += 1  # type: ignore[attr-defined]
            continue
        i = int(data)  # type: ignore[call-overload]
        oid = order_ids[i]
        if kind == "confirmed":
            notify.on_order_event(repo, oid, "confirmed", now, payload={"promised_by": day0 + float(promised[i])})
        elif kind == "out":
            notify.on_order_event(repo, oid, "out_for_delivery", now, payload={"promised_by": day0 + float(promised[i])})
        elif kind == "delivered":
            notify.on_order_event(repo, oid, "delivered", now)
            tickets.on_delivered(repo, oid, now)
        elif kind == "call":
            if repo.find_open_ticket(oid, (TicketCategory.DELAY,)) is None:
                tk = tickets.open_ticket(repo, category=TicketCategory.DELAY, now=now, order_id=oid, channel=ContactChannel.PHONE,
                                         subject=f"where is order {oid}?", text="customer called: late")
                notify.on_ticket_change(repo, tk, tk.history[-1])
                opened["customer_call"] += 1
    # Judged once every ticket has had its 24 hours: the day after the last cause.
    end = max(clock.now(), day0 + 86400.0) + 86400.0
    k = tickets.kpis(list(repo.tickets.values()), since=day0, until=end, now=end)
    counts: Counter = Counter()
    skipped = 0
    for nrow in repo.outbox.values():
        if nrow.status == OutboxStatus.SKIPPED:
            skipped += 1
        else:
            counts[str(nrow.event)] += 1
    return AfterSales(k.to_dict(), opened, counts, skipped)
