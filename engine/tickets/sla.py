"""SLA clocks: policies per category and priority, working calendars, pauses, near-breach and breach.

Two clocks run on every ticket: **first response** (from creation to the
first answer of an agent) and **resolution** (from creation to resolved; for
feedback the "handled" target).  Time counts in the policy's calendar:
:class:`CalendarHours` (every second, the default) or :class:`BusinessHours`
(opening hours in a time zone, minus weekends and public holidays from the
``holidays`` package).  The resolution clock stops while the ticket waits on
the customer; the pauses are read from the status history, never stored
apart, so a corrected history gives corrected clocks.

Nothing here reads the time: ``now`` comes from the caller's
:class:`engine.clock.Clock`, so a simulated day drives the clocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from engine.config import Settings, desk_window
from engine.domain.ticket import (
    PAUSED_STATUSES, ChangeKind, Priority, Ticket, TicketCategory, TicketChange, TicketStatus,
)
from engine.errors import InputError

__all__ = [
    "Calendar", "CalendarHours", "BusinessHours", "SlaPolicy", "SlaPolicies", "ClockState",
    "paused_intervals", "clock_states", "sweep", "SlaEvent",
]

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


class Calendar(Protocol):
    """Which seconds count."""

    def elapsed(self, t0: float, t1: float) -> float:
        """Counted seconds in ``[t0, t1)`` (0 when ``t1 <= t0``)."""
        ...

    def add(self, t0: float, seconds: float) -> float:
        """The instant when ``seconds`` counted seconds have passed since ``t0``."""
        ...


class CalendarHours:
    """Every second counts (24/7)."""

    def elapsed(self, t0: float, t1: float) -> float:
        return max(0.0, t1 - t0)

    def add(self, t0: float, seconds: float) -> float:
        return t0 + max(0.0, seconds)

    def __repr__(self) -> str:
        return "CalendarHours()"


class BusinessHours:
    """Opening hours ``[open_hour, close_hour)`` on ``weekdays`` in ``tz``, public holidays off.

    Parameters
    ----------
    tz
        IANA time zone of the support desk (``"Asia/Shanghai"``).
    open_hour, close_hour
        Local opening hours.
    weekdays
        Working days, Monday = 0.  None: the days outside ``country``'s weekend (Sunday to
        Thursday in Egypt and Saudi Arabia), Monday to Friday without a country.
    country, subdiv
        Public holidays from the ``holidays`` package (``"CN"``, ``"FI"``...); None: none.
        Weekend days the country declares workdays (China's make-up days around Spring
        Festival and Golden Week) are working days.
    extra_days_off
        Further closed dates (a company day off).
    """

    def __init__(
        self, tz: str = "UTC", open_hour: float = 9.0, close_hour: float = 18.0,
        weekdays: Sequence[int] | None = None, country: str | None = None, subdiv: str | None = None,
        extra_days_off: Iterable[date] = (),
    ) -> None:
        if not 0 <= open_hour < close_hour <= 24:
            raise InputError("need 0 <= open_hour < close_hour <= 24", item="calendar", field="open_hour")
        try:
            self.tz = ZoneInfo(tz)
        except Exception as exc:  # noqa: BLE001 -- ZoneInfo raises several kinds for a bad name
            raise InputError(f"unknown time zone {tz!r}", item="calendar", field="tz") from exc
        self.open_hour, self.close_hour = float(open_hour), float(close_hour)
        self._holidays = None
        if country:
            import holidays  # noqa: PLC0415 -- an optional calendar; its tables load on first use

            try:
                self._holidays = holidays.country_holidays(country, subdiv=subdiv)
            except NotImplementedError as exc:
                raise InputError(f"no public holidays known for {country!r}", item="calendar", field="country") from exc
        if weekdays is None:
            weekend = getattr(self._holidays, "weekend", None) or {5, 6}
            weekdays = [d for d in range(7) if d not in weekend]
        self.weekdays = frozenset(int(d) for d in weekdays)
        if not self.weekdays:
            raise InputError("a business calendar needs at least one working day", item="calendar", field="weekdays")
        self._off = frozenset(extra_days_off)

    def is_working_day(self, d: date) -> bool:
        if d in self._off:
            return False
        h = self._holidays
        if h is None:
            return d.weekday() in self.weekdays
        if d in h:
            return False
        # Reading ``d in h`` first loads d's year, and with it that year's make-up workdays.
        return d.weekday() in self.weekdays or d in getattr(h, "weekend_workdays", ())

    def _window(self, d: date) -> tuple[float, float]:
        base = datetime(d.year, d.month, d.day, tzinfo=self.tz)
        return (base + timedelta(hours=self.open_hour)).timestamp(), (base + timedelta(hours=self.close_hour)).timestamp()

    def elapsed(self, t0: float, t1: float) -> float:
        if t1 <= t0:
            return 0.0
        d = datetime.fromtimestamp(t0, self.tz).date()
        last = datetime.fromtimestamp(t1, self.tz).date()
        total = 0.0
        # Bounded: one iteration per calendar day in the interval.
        while d <= last:
            if self.is_working_day(d):
                a, b = self._window(d)
                total += max(0.0, min(b, t1) - max(a, t0))
            d += timedelta(days=1)
        return total

    def add(self, t0: float, seconds: float) -> float:
        left = max(0.0, seconds)
        d = datetime.fromtimestamp(t0, self.tz).date()
        for _ in range(3660):  # ten years of days: a target that far is a configuration error
            if self.is_working_day(d):
                a, b = self._window(d)
                a = max(a, t0)
                if b > a:
                    if b - a >= left:
                        return a + left
                    left -= b - a
            d += timedelta(days=1)
        raise InputError("SLA target does not fit in ten years of business hours", item="calendar", field="weekdays")

    def __repr__(self) -> str:
        return f"BusinessHours({self.tz.key!r}, {self.open_hour:g}-{self.close_hour:g})"


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets of one (category, priority): seconds in ``calendar``; events at ``near_breach`` of the time."""

    first_response_s: float = 30 * 60.0
    resolution_s: float = 24 * 3600.0
    near_breach: float = 0.8
    calendar: Calendar = field(default_factory=CalendarHours)

    def __post_init__(self) -> None:
        if self.first_response_s <= 0 or self.resolution_s <= 0:
            raise InputError("SLA targets must be > 0 seconds", item="sla", field="resolution_s")
        if not 0.0 < self.near_breach < 1.0:
            raise InputError("near_breach must be in (0, 1)", item="sla", field="near_breach")


#: Feedback and complaints are "handled" within 48 hours.
FEEDBACK_POLICY = SlaPolicy(resolution_s=48 * 3600.0)


@dataclass(slots=True)
class SlaPolicies:
    """Policy lookup: (category, priority), then (category, None), then ``default``."""

    default: SlaPolicy = field(default_factory=SlaPolicy)
    rules: dict[tuple[TicketCategory, Priority | None], SlaPolicy] = field(
        default_factory=lambda: {(TicketCategory.FEEDBACK, None): FEEDBACK_POLICY}
    )

    def for_ticket(self, category: TicketCategory, priority: Priority) -> SlaPolicy:
        return self.rules.get((category, priority)) or self.rules.get((category, None)) or self.default

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaPolicies:
        """The desk's policies as the operator set them (``PROMISE_SLA_*``, ``PROMISE_DESK_*``).

        With ``desk_tz`` set, every clock counts the desk's business hours
        (``desk_hours``, minus ``desk_country``'s weekend and public holidays);
        otherwise every hour counts.
        """
        cal = _desk_calendar(settings.desk_tz, settings.desk_hours, settings.desk_country)
        first = settings.sla_first_response_min * 60.0
        default = SlaPolicy(first_response_s=first, resolution_s=settings.sla_resolution_h * 3600.0, calendar=cal)
        feedback = SlaPolicy(first_response_s=first, resolution_s=settings.sla_feedback_h * 3600.0, calendar=cal)
        return cls(default=default, rules={(TicketCategory.FEEDBACK, None): feedback})


@lru_cache(maxsize=8)
def _desk_calendar(tz: str | None, hours: str, country: str | None) -> Calendar:
    # Cached: every ticket read goes through the desk's calendar, and its holiday table is built once per process.
    if tz is None:
        return CalendarHours()
    lo, hi = desk_window(hours)
    return BusinessHours(tz, lo, hi, country=country)


@dataclass(frozen=True, slots=True)
class ClockState:
    """Where one SLA clock of a ticket stands at ``now``."""

    clock: str
    elapsed_s: float
    allowed_s: float
    #: the clock stopped (responded / resolved): whether it was within the target
    met: bool | None
    paused: bool
    #: when it breaches if nothing happens (None: stopped or paused)
    due_at: float | None

    @property
    def fraction(self) -> float:
        return self.elapsed_s / self.allowed_s

    @property
    def breached(self) -> bool:
        return self.elapsed_s > self.allowed_s


def paused_intervals(history: Sequence[TicketChange], until: float) -> list[tuple[float, float]]:
    """The ``[start, end)`` intervals spent in a paused status, read from the status changes."""
    out: list[tuple[float, float]] = []
    start: float | None = None
    for ch in sorted((c for c in history if c.kind in (ChangeKind.STATUS, ChangeKind.CREATED)), key=lambda c: (c.at, c.seq)):
        paused = ch.value is not None and TicketStatus(ch.value) in PAUSED_STATUSES
        if paused and start is None:
            start = ch.at
        elif not paused and start is not None:
            out.append((start, min(ch.at, until)))
            start = None
    if start is not None and start < until:
        out.append((start, until))
    return [(a, b) for a, b in out if b > a]


def clock_states(ticket: Ticket, policy: SlaPolicy, now: float) -> tuple[ClockState, ClockState]:
    """(first response, resolution) clocks of ``ticket`` at ``now``."""
    cal = policy.calendar
    fr_end = ticket.first_response_at if ticket.first_response_at is not None else now
    fr_el = cal.elapsed(ticket.created_at, fr_end)
    fr_stopped = ticket.first_response_at is not None
    first = ClockState(
        FIRST_RESPONSE, fr_el, policy.first_response_s,
        met=(fr_el <= policy.first_response_s) if fr_stopped else None, paused=False,
        due_at=None if fr_stopped else cal.add(ticket.created_at, policy.first_response_s),
    )
    end = ticket.resolved_at if ticket.resolved_at is not None else now
    pauses = paused_intervals(ticket.history, end)
    held = sum(cal.elapsed(a, b) for a, b in pauses)
    res_el = max(0.0, cal.elapsed(ticket.created_at, end) - held)
    stopped = ticket.resolved_at is not None
    paused_now = not stopped and ticket.status in PAUSED_STATUSES
    due = None if (stopped or paused_now) else cal.add(now, max(0.0, policy.resolution_s - res_el))
    resolution = ClockState(
        RESOLUTION, res_el, policy.resolution_s, met=(res_el <= policy.resolution_s) if stopped else None,
        paused=paused_now, due_at=due,
    )
    return first, resolution


@dataclass(frozen=True, slots=True)
class SlaEvent:
    """A near-breach or breach of one clock of one ticket (logged once in its history)."""

    ticket_id: str
    queue: str
    clock: str
    kind: ChangeKind
    at: float
    fraction: float


def _fired(ticket: Ticket) -> set[tuple[str, str]]:
    return {(str(c.kind), c.value or "") for c in ticket.history if c.kind in (ChangeKind.SLA_NEAR_BREACH, ChangeKind.SLA_BREACH)}


def sweep(tickets: Iterable[Ticket], policies: SlaPolicies, now: float) -> list[tuple[Ticket, SlaEvent]]:
    """Log near-breach and breach events that became due by ``now`` on open tickets.

    Each (clock, event) fires once per ticket: the history is the memory, so
    two sweepers or a restart do not repeat one.  The caller saves the tickets
    returned (and may notify).
    """
    out: list[tuple[Ticket, SlaEvent]] = []
    for t in tickets:
        if not t.is_open:
            continue
        pol = policies.for_ticket(t.category, t.priority)
        fired = _fired(t)
        for st in clock_states(t, pol, now):
            if st.met is not None:
                continue
            for kind, limit in ((ChangeKind.SLA_NEAR_BREACH, pol.near_breach), (ChangeKind.SLA_BREACH, 1.0)):
                if st.fraction >= limit and (str(kind), st.clock) not in fired:
                    word = "breached" if kind == ChangeKind.SLA_BREACH else f"at {st.fraction:.0%} of"
                    t.log(TicketChange(now, kind, actor="sla", value=st.clock,
                                       text=f"{st.clock.replace('_', ' ')} {word} its {st.allowed_s / 3600:g} h target"))
                    fired.add((str(kind), st.clock))
                    out.append((t, SlaEvent(t.ticket_id, t.queue, st.clock, kind, now, st.fraction)))
    return out
