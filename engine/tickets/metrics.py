"""Ticket KPIs over a time range: the service targets and the state of each queue.

- **resolved within 24 h**: of the non-feedback tickets opened in the range
  whose 24 hours have passed by ``now`` (or that are resolved), the share
  resolved within 24 wall-clock hours of opening -- the customer's view, no
  pauses (target >= 90%);
- **feedback handled within 48 h**: the same for feedback tickets and 48 h;
- **median first response** (seconds) of the tickets answered;
- per queue: SLA attainment (both clocks met under the ticket's policy, with
  its calendar and pauses, among tickets whose clocks have stopped or
  breached) and the backlog (open at ``now``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from engine.domain.ticket import Ticket, TicketCategory
from engine.tickets.sla import SlaPolicies, clock_states

__all__ = ["TicketKpis", "QueueKpis", "kpis"]

DAY = 24 * 3600.0


@dataclass(slots=True)
class QueueKpis:
    opened: int = 0
    resolved: int = 0
    backlog: int = 0
    #: tickets whose SLA can be judged (clocks stopped, or breached)
    judged: int = 0
    met: int = 0

    @property
    def sla_attainment(self) -> float | None:
        return self.met / self.judged if self.judged else None


@dataclass(slots=True)
class TicketKpis:
    since: float
    until: float
    opened: int
    resolved: int
    resolved_24h_share: float | None
    resolved_24h_judged: int
    feedback_48h_share: float | None
    feedback_48h_judged: int
    median_first_response_s: float | None
    by_queue: dict[str, QueueKpis] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for q, k in self.by_queue.items():
            d["by_queue"][q]["sla_attainment"] = k.sla_attainment
        return d


def _within(tickets: list[Ticket], limit_s: float, now: float) -> tuple[float | None, int]:
    judged = ok = 0
    for t in tickets:
        if t.resolved_at is not None:
            judged += 1
            ok += (t.resolved_at - t.created_at) <= limit_s
        elif now - t.created_at > limit_s:
            judged += 1
    return (ok / judged if judged else None), judged


def kpis(tickets: Iterable[Ticket], *, since: float, until: float, now: float | None = None,
         policies: SlaPolicies | None = None) -> TicketKpis:
    """KPIs of the tickets opened in ``[since, until)``, as seen at ``now`` (default ``until``)."""
    now = until if now is None else now
    policies = policies or SlaPolicies()
    rows = [t for t in tickets if since <= t.created_at < until]
    feedback = [t for t in rows if t.category == TicketCategory.FEEDBACK]
    others = [t for t in rows if t.category != TicketCategory.FEEDBACK]
    share24, n24 = _within(others, DAY, now)
    share48, n48 = _within(feedback, 2 * DAY, now)
    responses = [t.first_response_at - t.created_at for t in rows if t.first_response_at is not None]
    queues: dict[str, QueueKpis] = {}
    for t in rows:
        q = queues.setdefault(t.queue, QueueKpis())
        q.opened += 1
        resolved_by_now = t.resolved_at is not None and t.resolved_at <= now
        q.resolved += resolved_by_now
        q.backlog += not resolved_by_now and t.is_open
        first, res = clock_states(t, policies.for_ticket(t.category, t.priority), now)
        if (first.met is not None or first.breached) and (res.met is not None or res.breached):
            q.judged += 1
            q.met += bool(first.met) and bool(res.met)
    return TicketKpis(
        since=since, until=until, opened=len(rows), resolved=sum(q.resolved for q in queues.values()),
        resolved_24h_share=share24, resolved_24h_judged=n24, feedback_48h_share=share48, feedback_48h_judged=n48,
        median_first_response_s=statistics.median(responses) if responses else None,
        by_queue=dict(sorted(queues.items())),
    )
