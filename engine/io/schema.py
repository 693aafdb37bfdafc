"""The problem document, defined once: pydantic models that both the file reader and the API use.

``promise plan day.json`` (through :func:`engine.io.problem_json.problem_from_dict`)
and ``POST /v1/plans`` (as the request body) validate the same
:class:`ProblemDoc`, so a field, a default or a limit is written in one place
and the OpenAPI spec documents exactly what the reader accepts.

Validation is strict on purpose: numbers must be JSON numbers (no ``"60.17"``,
no ``true``), finite and inside the limits below; whole-number fields take
``3`` or ``3.0`` but not ``3.5``; strings must be printable text (no lone
UTF-16 surrogates or control characters, which break storage and logs);
unknown fields are errors, so a typo never falls back to a default silently.
Cross-references (an order's depot, a vehicle's start depot) are checked when
the document becomes a :class:`~engine.domain.problem.Problem`.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from engine.domain.problem import Break, Carrier, Depot, Order, Problem, TimeWindow, VehicleType
from engine.errors import ProblemError

__all__ = [
    "MAX_SECONDS",
    "MAX_AMOUNT",
    "MAX_COST",
    "MAX_ORDERS",
    "MAX_VEHICLES",
    "MAX_PRIORITY",
    "MAX_TEXT",
    "parse_time",
    "clean_text",
    "ProblemDoc",
    "DepotDoc",
    "VehicleTypeDoc",
    "BreakDoc",
    "CarrierDoc",
    "OrderDoc",
]

# --------------------------------------------------------------------------- limits

#: Largest time (seconds from ``day_start``, either sign) a document may give: a year.
#: Beyond it the solvers' 32-bit times would overflow, and no delivery day is that long.
MAX_SECONDS = 366 * 24 * 3600
#: Largest order size or vehicle capacity per dimension (sizes are kept in hundredths
#: in 32-bit integers); omit a dimension from ``capacity`` for "unlimited".
MAX_AMOUNT = 1e7
#: Largest money amount (a cost per hour/km, a fixed cost, a carrier price).
MAX_COST = 1e7
#: Most orders and vehicles in one problem: beyond this a solve would not fit memory or time.
MAX_ORDERS = 20_000
MAX_VEHICLES = 5_000
#: Order priorities, as in VROOM.
MAX_PRIORITY = 100
#: Longest id or name.
MAX_TEXT = 200
#: Most entries in a list-valued field (skills, windows, breaks, services) or a size map.
MAX_LIST = 100


# --------------------------------------------------------------------------- scalar types


def parse_time(value: Any) -> int:
    """Seconds from an int/float or an ``"HH:MM[:SS]"`` string; ``ValueError`` says why not."""
    if isinstance(value, bool):
        raise ValueError(f"expected seconds or 'HH:MM', got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"not a finite time: {value!r}")
        if abs(value) > MAX_SECONDS:
            raise ValueError(f"time {value!r} is more than a year ({MAX_SECONDS} s) from day_start")
        return int(round(value))
    if isinstance(value, str):
        parts = value.strip().split(":")
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            nums = []
        if len(nums) in (2, 3) and all(x >= 0 for x in nums) and all(x < 60 for x in nums[1:]):
            h, mi = nums[0], nums[1]
            s = nums[2] if len(nums) == 3 else 0
            if h * 3600 > MAX_SECONDS:
                raise ValueError(f"time {value!r} is more than a year from day_start")
            return h * 3600 + mi * 60 + s
    raise ValueError(f"expected seconds or 'HH:MM', got {_short(value)}")


def clean_text(value: str) -> str:
    """Refuse text that storage, logs or terminals would choke on.

    A lone UTF-16 surrogate (``"\\ud800"``) cannot be encoded as UTF-8, so it
    would fail later in the database or the response; control characters
    corrupt logs and terminals.
    """
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise ValueError("contains a lone UTF-16 surrogate (not valid Unicode text)")
        if cat == "Cc" and ch not in "\t":
            raise ValueError(f"contains the control character U+{ord(ch):04X}")
    return value


def _short(value: Any) -> str:
    """A value for an error message, cut short so huge inputs are never echoed back."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {_short(value)}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def _whole(value: Any) -> int:
    x = _number(value)
    if not x.is_integer():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(x)


def _window(value: Any) -> tuple[int, int]:
    if isinstance(value, dict):
        if set(value) - {"start", "end"}:
            raise ValueError("a window is [start, end] or {\"start\": ..., \"end\": ...}")
        value = [value.get("start"), value.get("end")]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"expected [start, end], got {_short(value)}")
    s, e = parse_time(value[0]), parse_time(value[1])
    if e < s:
        raise ValueError(f"end {e} before start {s}")
    return (s, e)


def _amounts(what: str) -> Any:
    """Validator for the shape of a size/capacity map; each value is then checked as a ``Number``
    (so errors name ``size.kg``)."""

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ValueError(f'expected an object like {{"parcels": 1, "kg": 2.5}}, got {_short(value)}')
        if len(value) > MAX_LIST:
            raise ValueError(f"at most {MAX_LIST} dimensions")
        for k, v in value.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ValueError(f"negative {what} {k}={v:g}")
        return value

    return check


_TIME_SCHEMA = WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\d+:\d\d(:\d\d)?$"}]})
_WINDOW_SCHEMA = WithJsonSchema(
    {"type": "array", "minItems": 2, "maxItems": 2, "items": {"anyOf": [{"type": "number"}, {"type": "string"}]}}
)

#: An id or name: printable text, 1..200 characters.
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, strict=True), AfterValidator(clean_text)]
#: Seconds since ``day_start``: a number or ``"HH:MM[:SS]"``.
Seconds = Annotated[int, BeforeValidator(parse_time), _TIME_SCHEMA]
#: ``[start, end]`` in seconds or ``"HH:MM"``; end >= start.
Window = Annotated[tuple[int, int], BeforeValidator(_window), _WINDOW_SCHEMA]
#: A finite JSON number (no strings, no booleans).
Number = Annotated[float, BeforeValidator(_number), WithJsonSchema({"type": "number"})]
#: A whole JSON number (``3`` or ``3.0``).
Whole = Annotated[int, BeforeValidator(_whole), WithJsonSchema({"type": "integer"})]
_Amount = Annotated[Number, Field(ge=0, le=MAX_AMOUNT)]
#: Order sizes and vehicle capacities per dimension (``{"parcels": 1, "kg": 2.5}``).
Sizes = Annotated[dict[Text, _Amount], BeforeValidator(_amounts("size"))]
Capacities = Annotated[dict[Text, _Amount], BeforeValidator(_amounts("capacity"))]
Money = Annotated[Number, Field(ge=0, le=MAX_COST)]
Skills = Annotated[list[Text], Field(max_length=MAX_LIST)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- documents


class DepotDoc(_Doc):
    """A depot: where vehicles start and where carriers pick up."""

    id: Text
    lat: Annotated[Number, Field(ge=-90, le=90)]
    lon: Annotated[Number, Field(ge=-180, le=180)]
    opening: Optional[Window] = None


class BreakDoc(_Doc):
    """A driver break: somewhere inside ``window``, lasting ``duration`` seconds."""

    window: Window
    duration: Annotated[Whole, Field(ge=0, le=MAX_SECONDS)]

    @model_validator(mode="after")
    def _fits(self) -> "BreakDoc":
        s, e = self.window
        if self.duration > e - s + 24 * 3600:
            raise ValueError(f"a {self.duration} s break cannot fit any day")
        return self


class VehicleTypeDoc(_Doc):
    """``count`` identical vehicles."""

    id: Text
    count: Annotated[Whole, Field(ge=0, le=MAX_VEHICLES)]
    start_depot: Text
    end_depot: Optional[Text] = None
    capacity: Capacities = Field(default_factory=lambda: {"parcels": 100.0})
    shift: Optional[Window] = None
    max_duration: Optional[Annotated[Seconds, Field(ge=0)]] = None
    breaks: Annotated[list[BreakDoc], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    cost_per_hour: Money = 25.0
    cost_per_km: Money = 0.4
    fixed_cost: Money = 50.0
    skills: Skills = Field(default_factory=list)
    speed_factor: Annotated[Number, Field(ge=0.01, le=100)] = 1.0

    @model_validator(mode="after")
    def _breaks_fit_the_shift(self) -> "VehicleTypeDoc":
        s, e = self.shift if self.shift is not None else _DEFAULT_SHIFT
        for j, b in enumerate(self.breaks):
            if b.duration > e - s:
                raise ValueError(f"breaks[{j}]: a {b.duration} s break is longer than the {e - s} s shift")
            if b.window[1] < s or b.window[0] > e:
                raise ValueError(f"breaks[{j}]: window {list(b.window)} lies outside the shift [{s}, {e}]")
        return self


class CarrierDoc(_Doc):
    """A third-party carrier orders can be handed to."""

    id: Text
    base_cost: Money = 5.0
    cost_per_kg: Money = 0.5
    max_km: Annotated[Number, Field(ge=0, le=50_000)] = 100.0
    zone_surcharge_per_km: Money = 0.0
    cutoff: Seconds = 17 * 3600
    capacity: Annotated[Whole, Field(ge=0, le=10**9)] = 10**9
    on_time_probability: Annotated[Number, Field(ge=0, le=1)] = 0.93
    services: Annotated[list[Text], Field(max_length=MAX_LIST)] = Field(default_factory=lambda: ["standard"])
    pickup_depot: Optional[Text] = None
    skills: Skills = Field(default_factory=list)


class OrderDoc(_Doc):
    """One delivery."""

    id: Text
    lat: Annotated[Number, Field(ge=-90, le=90)]
    lon: Annotated[Number, Field(ge=-180, le=180)]
    size: Sizes = Field(default_factory=lambda: {"parcels": 1.0})
    windows: Annotated[list[Window], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    promised_by: Optional[Seconds] = None
    service_time: Annotated[Whole, Field(ge=0, le=MAX_SECONDS)] = 120
    priority: Annotated[Whole, Field(ge=0, le=MAX_PRIORITY)] = 0
    skills: Skills = Field(default_factory=list)
    allow_carrier: Annotated[bool, Field(strict=True)] = True
    depot: Optional[Text] = None


_DEFAULT_SHIFT = (8 * 3600, 20 * 3600)


class ProblemDoc(_Doc):
    """A delivery day: depots, fleet, carriers and orders (``promise plan`` and ``POST /v1/plans``)."""

    name: Text = "problem"
    network: Optional[Annotated[str, Field(min_length=1, max_length=4096, strict=True), AfterValidator(clean_text)]] = None
    day_start: Optional[datetime] = None
    horizon: Annotated[Seconds, Field(gt=0)] = 24 * 3600
    lateness_cost_per_min: Optional[Money] = None
    risk_weight: Money = 0.0
    depots: Annotated[list[DepotDoc], Field(min_length=1, max_length=1000)]
    vehicle_types: Annotated[list[VehicleTypeDoc], Field(max_length=1000)]
    carriers: Annotated[list[CarrierDoc], Field(max_length=1000)] = Field(default_factory=list)
    orders: Annotated[list[OrderDoc], Field(max_length=MAX_ORDERS)]

    @field_validator("day_start", mode="before")
    @classmethod
    def _iso(cls, v: Any) -> Any:
        # Only ISO strings: pydantic would otherwise read a number as Unix time.
        if v is None or isinstance(v, datetime):
            return v
        if not isinstance(v, str):
            raise ValueError(f"expected an ISO datetime string, got {_short(v)}")
        try:
            return datetime.fromisoformat(clean_text(v))
        except ValueError:
            raise ValueError(f"not an ISO datetime: {_short(v)}") from None

    @model_validator(mode="after")
    def _fleet_size(self) -> "ProblemDoc":
        n = sum(vt.count for vt in self.vehicle_types)
        if n > MAX_VEHICLES:
            raise ValueError(f"{n:,} vehicles; at most {MAX_VEHICLES:,} per problem")
        return self

    # ----------------------------------------------------------------------- to the domain

    def to_problem(self) -> Problem:
        """The domain ``Problem``; cross-references are checked here (``ProblemError`` names the item)."""
        depot_ids = [d.id for d in self.depots]
        known = set(depot_ids)

        def _depot(item: str, key: str, dep: str | None) -> None:
            if dep is not None and dep not in known:
                shown = ", ".join(sorted(known)[:20])
                raise ProblemError(item, key, f"unknown depot {dep!r} (known: {shown})")

        for vt in self.vehicle_types:
            _depot(f"vehicle type {vt.id!r}", "start_depot", vt.start_depot)
            _depot(f"vehicle type {vt.id!r}", "end_depot", vt.end_depot)
        for c in self.carriers:
            _depot(f"carrier {c.id!r}", "pickup_depot", c.pickup_depot)
        for o in self.orders:
            _depot(f"order {o.id!r}", "depot", o.depot)
        problem = Problem(
            depots=[Depot(d.id, d.lat, d.lon, TimeWindow(*d.opening) if d.opening else TimeWindow(0, 24 * 3600)) for d in self.depots],
            vehicle_types=[
                VehicleType(
                    type_id=v.id,
                    count=v.count,
                    start_depot=v.start_depot,
                    end_depot=v.end_depot,
                    capacity=dict(v.capacity),
                    shift=TimeWindow(*(v.shift or _DEFAULT_SHIFT)),
                    max_duration=v.max_duration,
                    breaks=[Break(TimeWindow(*b.window), b.duration) for b in v.breaks],
                    cost_per_hour=v.cost_per_hour,
                    cost_per_km=v.cost_per_km,
                    fixed_cost=v.fixed_cost,
                    skills=frozenset(v.skills),
                    speed_factor=v.speed_factor,
                )
                for v in self.vehicle_types
            ],
            orders=[
                Order(
                    order_id=o.id,
                    lat=o.lat,
                    lon=o.lon,
                    size=dict(o.size),
                    windows=[TimeWindow(*w) for w in o.windows],
                    promised_by=o.promised_by,
                    service_time=o.service_time,
                    priority=o.priority,
                    skills=frozenset(o.skills),
                    allow_carrier=o.allow_carrier,
                    depot=o.depot,
                )
                for o in self.orders
            ],
            carriers=[
                Carrier(
                    carrier_id=c.id,
                    base_cost=c.base_cost,
                    cost_per_kg=c.cost_per_kg,
                    max_km=c.max_km,
                    zone_surcharge_per_km=c.zone_surcharge_per_km,
                    cutoff=c.cutoff,
                    capacity=c.capacity,
                    on_time_probability=c.on_time_probability,
                    services=tuple(c.services),
                    pickup_depot=c.pickup_depot,
                    skills=frozenset(c.skills),
                )
                for c in self.carriers
            ],
            day_start=self.day_start,
            horizon=self.horizon,
            lateness_cost_per_min=self.lateness_cost_per_min,
            risk_weight=self.risk_weight,
            name=self.name,
            network=self.network,
        )
        problem.validate()  # duplicate ids, zero vehicles: the rules every Problem obeys
        return problem
