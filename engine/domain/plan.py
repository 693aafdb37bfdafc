"""What dispatch returns: a ``Plan`` of ``Route``s of ``Stop``s, hand-offs and unassigned orders.

The enums are ``StrEnum``s: they compare equal to their JSON strings
(``StopKind.DELIVERY == "delivery"``), and ``str()`` and JSON give those strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from engine.domain.problem import TimeWindow

__all__ = ["StopKind", "PlanStatus", "JobStatus", "SolveJob", "UnassignedReason", "Stop", "Route", "Handoff", "Unassigned", "Plan"]


class StopKind(StrEnum):
    """What a vehicle does at a stop."""

    START = "start"
    DELIVERY = "delivery"
    BREAK = "break"
    END = "end"


class PlanStatus(StrEnum):
    """How complete a solved plan is."""

    #: every order routed or handed off
    OK = "ok"
    #: some orders unassigned (each with its reason)
    PARTIAL = "partial"
    #: the solver found no solution at all
    NO_SOLUTION = "no_solution"


class JobStatus(StrEnum):
    """Where a submitted solve is in its life (the API's and the store's plan status)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class UnassignedReason(str, Enum):
    """Why an order is on no route and with no carrier; the JSON carries the name."""

    NO_SKILL = "no vehicle or carrier has the required skills"
    WINDOW_UNREACHABLE = "time window cannot be reached from any depot"
    OVER_CAPACITY = "order is larger than every vehicle's capacity"
    OFF_NETWORK = "location is too far from the road network"
    NO_CARRIER = "not allowed to go to a carrier and no vehicle could take it"
    NOT_PLANNED = "the solver found no route that could take it in the time limit"


@dataclass(slots=True)
class Stop:
    order_id: str | None  # None for depot start/end and breaks
    kind: StopKind
    node: int | None
    lat: float
    lon: float
    arrival: int
    departure: int
    load: dict[str, float]
    leg_distance_m: float  # from the previous stop
    leg_time_s: float
    window: TimeWindow | None = None


@dataclass(slots=True)
class Route:
    vehicle_id: str
    vehicle_type: str
    depot: str
    stops: list[Stop]
    distance_m: float
    duration_s: float
    cost: float

    @property
    def order_ids(self) -> list[str]:
        return [s.order_id for s in self.stops if s.kind == StopKind.DELIVERY and s.order_id is not None]


@dataclass(slots=True)
class Handoff:
    order_id: str
    carrier_id: str
    depot: str
    cost: float
    on_time_probability: float


@dataclass(slots=True)
class Unassigned:
    order_id: str
    reason: UnassignedReason
    detail: str = ""


@dataclass(slots=True)
class Plan:
    problem_name: str
    routes: list[Route]
    handoffs: list[Handoff]
    unassigned: list[Unassigned]
    cost: float
    distance_m: float
    duration_s: float
    solve_seconds: float
    day_start: datetime | None = None
    #: (seconds into the solve, best cost) pairs, for reporting search progress.
    trajectory: list[tuple[float, float]] = field(default_factory=list)
    status: PlanStatus = PlanStatus.OK
    #: Solver statistics (matrix seconds, phases with their time and cost).
    stats: dict = field(default_factory=dict)

    def wallclock(self, seconds: int | float) -> datetime | None:
        if self.day_start is None:
            return None
        return self.day_start + timedelta(seconds=float(seconds))

    def route_of(self, order_id: str) -> Route | None:
        for r in self.routes:
            if order_id in r.order_ids:
                return r
        return None

    @property
    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r.order_ids)



@dataclass(slots=True)
class SolveJob:
    """A submitted solve as stored: its problem document and, once done, the plan document."""

    plan_id: str
    status: JobStatus
    problem: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: How to solve it: time limit, seed, solution limit.
    params: dict[str, Any] = field(default_factory=dict)
    #: Solve attempts started (a restart during a solve counts one).
    attempts: int = 0
    heartbeat_at: datetime | None = None
