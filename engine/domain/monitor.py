"""What the live monitor reads and writes: tracking events, incidents, forecasts and warnings.

Times are seconds since the Unix epoch (UTC), the unit of :class:`engine.clock.Clock`,
so a simulated day (``SimClock``) and a live one run through the same code.
The enums are ``str`` enums that compare equal to their JSON strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "DelayWarning",
    "Forecast",
    "Incident",
    "IncidentKind",
    "NoticeKind",
    "Proposal",
    "Scope",
    "Severity",
    "TrackKind",
    "TrackingEvent",
    "WatchState",
]


class _StrEnum(str, Enum):
    def __str__(self) -> str:
        return self.value


class TrackKind(_StrEnum):
    """What a tracking event reports."""

    POSITION = "position"
    STOP_ARRIVED = "stop_arrived"
    STOP_COMPLETED = "stop_completed"
    STOP_FAILED = "stop_failed"
    CARRIER_SCAN = "carrier_scan"
    INCIDENT = "incident"


class IncidentKind(_StrEnum):
    TRAFFIC = "traffic"
    WEATHER = "weather"
    SORTING_ERROR = "sorting_error"
    VEHICLE_BREAKDOWN = "vehicle_breakdown"
    CARRIER_DELAY = "carrier_delay"
    OTHER = "other"


class Severity(_StrEnum):
    """How bad a notice is; ``rank`` orders them."""

    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


class WatchState(_StrEnum):
    """Where an order on the watched plan stands."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    #: its vehicle (or carrier parcel) has been silent too long to say
    UNKNOWN = "unknown"
    DELIVERED = "delivered"
    FAILED = "failed"
    #: the promised time passed undelivered
    BROKEN = "broken"


class NoticeKind(_StrEnum):
    """What a warning record announces: one per order per change of state."""

    DELAY = "delay"
    RECOVERED = "recovered"
    BROKEN = "broken"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Scope:
    """What an incident touches: any of a vehicle, a depot, a carrier, or a road area.

    An area is a polygon (``[(lat, lon), ...]``, at least 3 corners) or a centre
    and a radius in metres.  A scope with none of these is empty (refused).
    """

    vehicle_id: str | None = None
    depot: str | None = None
    carrier_id: str | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    center: tuple[float, float] | None = None
    radius_m: float | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.vehicle_id or self.depot or self.carrier_id or self.polygon or (self.center and self.radius_m))

    @property
    def is_area(self) -> bool:
        return bool(self.polygon) or bool(self.center and self.radius_m)


@dataclass(frozen=True, slots=True)
class Incident:
    """Something that slows deliveries: legs in scope take ``1 / speed_factor`` as long, plus ``extra_s``."""

    incident_id: str
    kind: IncidentKind
    scope: Scope
    start: float
    end: float
    #: 0.6 means speeds -40%; 1.0 leaves speed alone
    speed_factor: float = 1.0
    #: a fixed delay (a breakdown's repair, a missed sort's next run)
    extra_s: float = 0.0
    text: str = ""

    def active(self, t0: float, t1: float | None = None) -> bool:
        """Whether the incident overlaps ``[t0, t1]`` (or covers ``t0``)."""
        t1 = t0 if t1 is None else t1
        return self.start <= t1 and t0 <= self.end


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One tracking event; ``event_id`` makes a repeat a no-op.  Fields not used by a kind stay None."""

    event_id: str
    kind: TrackKind
    at: float
    vehicle_id: str | None = None
    order_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    carrier_id: str | None = None
    #: carrier scan status (picked_up, at_hub, sorted, missed_sort, out_for_delivery, delivered, exception)
    status: str | None = None
    #: why a stop failed, free text
    reason: str | None = None
    incident: Incident | None = None


@dataclass(frozen=True, slots=True)
class Forecast:
    """An order's arrival distribution as of ``at``."""

    order_id: str
    at: float
    promised_by: float
    p_on_time: float
    p50: float
    p95: float


@dataclass(frozen=True, slots=True)
class Proposal:
    """A rescue: move ``order_id`` from one vehicle to another, and what it does to the odds."""

    order_id: str
    from_vehicle: str
    to_vehicle: str
    #: position in the receiving vehicle's remaining stops
    insert_at: int
    p_before: float
    p_after: float
    extra_km: float
    #: the receiving van meets the other one here to take the parcel (None: from the depot)
    meet_lat: float | None = None
    meet_lon: float | None = None
    #: set when the receiving van leaves its depot early for the rescue (epoch s)
    depart_at: float | None = None

    @property
    def text(self) -> str:
        return (
            f"move {self.order_id} to {self.to_vehicle}: P(on time) {self.p_before:.2f} -> {self.p_after:.2f}, "
            f"+{self.extra_km:.1f} km"
        )


@dataclass(frozen=True, slots=True)
class DelayWarning:
    """One notice about one order: a delay warning, a recovery, a broken promise or an unknown state.

    ``warning_id`` is derived from the plan, the order and the notice's sequence
    number for that order, so two workers replaying the same events write the
    same ids (and the store keeps one copy).
    """

    warning_id: str
    plan_key: str
    seq: int
    kind: NoticeKind
    order_id: str
    at: float
    promised_by: float
    p_on_time: float
    #: revised window at the checkout's 95% level: likely (p50) and latest (p95) arrival
    revised_p50: float
    revised_p95: float
    severity: Severity
    #: seconds from ``at`` to the promise (negative once it has passed)
    lead_s: float
    reason: str
    vehicle_id: str | None = None
    carrier_id: str | None = None
    cause_event_ids: tuple[str, ...] = ()
    proposal: Proposal | None = None
    accepted: bool = False
    extra: dict = field(default_factory=dict)
