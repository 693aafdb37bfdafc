"""A delivery day as dispatch reads it: depots, vehicle types, carriers and orders.

Plain, typed dataclasses: the engine computes on numpy arrays, these hold what a
dispatcher, checkout or a planner talks about.  Times are seconds since the
start of the planning day (``Problem.day_start``, a timezone-aware datetime) so
that the solvers work on integers; helpers convert to wall-clock datetimes.

``Order.order_id`` is the key everything else uses: plan stops
(``engine.domain.plan``), promises (``engine.domain.promise``), tracking events
and warnings (``engine.domain.monitor``), tickets and notifications.
"""

from __future__ import annotations

from engine.errors import ModelError, ProblemError  # noqa: F401 - re-exported for callers

from dataclasses import dataclass, field
from datetime import datetime

#: Capacity dimensions every problem knows; vehicle types and orders give a
#: value per dimension (missing ones count as 0 for orders, unlimited for none).
DIMENSIONS: tuple[str, ...] = ("parcels", "kg", "litres")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A window ``[start, end]`` in seconds since ``Problem.day_start``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ModelError("time window", "end", f"end {self.end} before start {self.start}")


@dataclass(slots=True)
class Depot:
    depot_id: str
    lat: float
    lon: float
    opening: TimeWindow = TimeWindow(0, 24 * 3600)
    #: Network node, filled in by snapping; ``None`` until then.
    node: int | None = None


@dataclass(slots=True)
class Break:
    """A break of ``duration`` seconds that must start inside ``window``."""

    window: TimeWindow
    duration: int


@dataclass(slots=True)
class VehicleType:
    type_id: str
    count: int
    start_depot: str
    end_depot: str | None = None  # None: returns to start_depot
    capacity: dict[str, float] = field(default_factory=lambda: {"parcels": 100})
    shift: TimeWindow = TimeWindow(8 * 3600, 20 * 3600)
    max_duration: int | None = None
    breaks: list[Break] = field(default_factory=list)
    cost_per_hour: float = 25.0
    cost_per_km: float = 0.4
    fixed_cost: float = 50.0
    skills: frozenset[str] = frozenset()
    #: Travel-time multiplier (a van on the same roads as a car is ~1.0,
    #: a cargo bike in a city core might be 1.3).
    speed_factor: float = 1.0


@dataclass(slots=True)
class Carrier:
    """A third-party carrier that takes orders at a price.

    ``zones`` maps a zone name to a price surcharge; a zone is a set of
    postcode-like strings or a radius in km around the depot (``max_km``).
    """

    carrier_id: str
    base_cost: float = 5.0
    cost_per_kg: float = 0.5
    max_km: float = 100.0
    zone_surcharge_per_km: float = 0.0
    cutoff: int = 17 * 3600  # daily pick-up cut-off, seconds since day_start
    capacity: int = 10**9  # orders per day
    on_time_probability: float = 0.93
    services: tuple[str, ...] = ("standard",)
    pickup_depot: str | None = None  # None: any depot
    skills: frozenset[str] = frozenset()


@dataclass(slots=True)
class Order:
    order_id: str
    lat: float
    lon: float
    size: dict[str, float] = field(default_factory=lambda: {"parcels": 1})
    #: One or more delivery windows; empty means "any time in the shift".
    windows: list[TimeWindow] = field(default_factory=list)
    #: A promised-by time (seconds since day_start); becomes a window ending there.
    promised_by: int | None = None
    service_time: int = 120
    priority: int = 0  # higher is more important
    skills: frozenset[str] = frozenset()
    allow_carrier: bool = True
    depot: str | None = None  # where the goods are; None: any depot
    node: int | None = None

    def effective_windows(self, horizon: int) -> list[TimeWindow]:
        """The windows the solver must respect (promised_by folded in)."""
        wins = list(self.windows) or [TimeWindow(0, horizon)]
        if self.promised_by is not None:
            wins = [TimeWindow(w.start, min(w.end, self.promised_by)) for w in wins if w.start <= self.promised_by]
        return wins



@dataclass(slots=True)
class Problem:
    depots: list[Depot]
    vehicle_types: list[VehicleType]
    orders: list[Order]
    carriers: list[Carrier] = field(default_factory=list)
    day_start: datetime | None = None
    horizon: int = 24 * 3600
    #: Cost per minute of lateness when windows are soft; None keeps them hard.
    lateness_cost_per_min: float | None = None
    #: Weight on the risk of a late delivery (1 - on-time probability) in cost units.
    risk_weight: float = 0.0
    name: str = "problem"
    #: Road network the problem lives on (an ``engine.network.load`` source,
    #: ``synthetic:N@seed`` for a seeded synthetic one); None: haversine matrices.
    network: str | None = None

    def depot(self, depot_id: str) -> Depot:
        for d in self.depots:
            if d.depot_id == depot_id:
                return d
        raise ModelError(f"depot {depot_id!r}", "depot_id", "unknown depot")

    def validate(self) -> None:
        """Raise ``ModelError`` naming the first bad item."""
        if not self.depots:
            raise ModelError("problem", "depots", "at least one depot is needed")
        ids = {d.depot_id for d in self.depots}
        if sum(vt.count for vt in self.vehicle_types) <= 0 and not self.carriers:
            raise ModelError("problem", "vehicle_types", "zero vehicles and no carrier: nothing can deliver")
        if len(ids) != len(self.depots):
            raise ModelError("problem", "depots", "duplicate depot id")
        # Duplicate ids would make two vehicles (or carriers) indistinguishable in the plan.
        vt_seen: set[str] = set()
        for vt in self.vehicle_types:
            item = f"vehicle type {vt.type_id!r}"
            if vt.type_id in vt_seen:
                raise ModelError(item, "id", "duplicate vehicle type id")
            vt_seen.add(vt.type_id)
            if vt.count < 0:
                raise ModelError(item, "count", "must be >= 0")
            for dep in (vt.start_depot, vt.end_depot):
                if dep is not None and dep not in ids:
                    raise ModelError(item, "start_depot" if dep == vt.start_depot else "end_depot", f"unknown depot {dep!r}")
            if any(v < 0 for v in vt.capacity.values()):
                raise ModelError(item, "capacity", "negative capacity")
            if vt.shift.start >= self.horizon:
                # Orders without windows must be served before the horizon: such a
                # vehicle could never serve them, and is almost surely a unit mistake.
                raise ModelError(item, "shift", f"starts at {vt.shift.start} s, at or after the planning horizon ({self.horizon} s)")
        carrier_seen: set[str] = set()
        for c in self.carriers:
            if c.carrier_id in carrier_seen:
                raise ModelError(f"carrier {c.carrier_id!r}", "id", "duplicate carrier id")
            carrier_seen.add(c.carrier_id)
        seen: set[str] = set()
        for o in self.orders:
            item = f"order {o.order_id!r}"
            if o.order_id in seen:
                raise ModelError(item, "order_id", "duplicate id")
            seen.add(o.order_id)
            if not (-90 <= o.lat <= 90 and -180 <= o.lon <= 180):
                raise ModelError(item, "lat/lon", "not a valid coordinate")
            if any(v < 0 for v in o.size.values()):
                raise ModelError(item, "size", "negative size")
            if o.service_time < 0:
                raise ModelError(item, "service_time", "must be >= 0")
            if o.depot is not None and o.depot not in ids:
                raise ModelError(item, "depot", f"unknown depot {o.depot!r}")
            late = [w for w in o.windows if w.start > self.horizon]
            if late:
                raise ModelError(item, "windows", f"window starts at {late[0].start} s, after the planning horizon ({self.horizon} s)")
