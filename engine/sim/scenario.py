"""A peak-sale scenario: what one simulated delivery day is made of, read from TOML and validated.

``load_scenario(path, overrides)`` reads a scenario file (``tomllib``), applies
dotted overrides (``{"fleet.van.count": 40, "demand.surge": 3.0}``) and
validates the result into a :class:`Scenario` (pydantic v2 models, unknown
keys refused, strict types: ``count = "40"`` is an error, not a 40).  Every
problem is a :class:`~engine.errors.ScenarioError` whose message names the
file, the dotted key and what is wrong::

    scenarios/x.toml: fleet.van.count: must be >= 0, got -3

Why this module is long: it is the schema.  Half of it is this docstring
(every key, with its default and meaning), the rest one small model per
table and the reading code that turns pydantic's errors into those messages;
split apart, the documentation and the checks would drift.

Times of day are ``"HH:MM"`` strings in the region's local time (``"26:00"``
is 02:00 the next day); durations are minutes unless the key says otherwise.

Schema (every table but ``name``, ``network``, ``region``, ``depots`` and
``fleet`` is optional; the defaults are the values shown)::

    name = "metro-double11"      # required; with the replication it keys the random streams
    date = "2026-11-11"          # the simulated (delivery) day, local date
    target = 0.95                # the promise's on-time target (checkout quotes at it)
    replications = 20            # how many the runner runs by default
    seed = 1                     # root seed of the random streams

    [network]
    source = "synthetic:60000@3" # "helsinki", an OSM file (.osm.pbf/.osm/.osm.gz/.osm.bz2), "synthetic:<n>[@seed]"
    centre = [31.2304, 121.4737] # synthetic only: where the generated region is placed (default: its own centre)

    [region]
    model = "shanghai"           # the promise model checkout uses: "helsinki" or "shanghai" (the embedded
                                 # defaults) or the path of a fitted model directory (`promise fit --out`)
    catalogue = "catalogue-shanghai.toml"  # optional: prices and limits from a catalogue TOML (relative to
                                 # this file); every service in it must have a table in the model

    [[depots]]                   # at least one; quotes leave from the nearest depot
    id = "pudong"
    lat = 31.2304
    lon = 121.4737
    opens = "05:00"
    closes = "23:00"

    [fleet.van]                  # named vehicle types; "fleet.van.count" is what --find-fleet varies
    count = 120
    depot = "pudong"             # default: the first depot
    capacity = { parcels = 60, kg = 400 }
    shift = ["08:00", "21:00"]
    speed_factor = 1.0           # travel-time multiplier (a cargo bike in the core ~1.3)
    route_hours = 5.0            # longest route (depot to depot); back in time for a later wave (default: the shift)
    cost = { fixed = 80.0, per_hour = 60.0, per_km = 1.2 }

    [carriers.sf]                # third-party carriers; names as in the model's catalogue
    capacity = 2000              # parcels per day (customer choices and dispatch hand-offs together)
    cutoff = "18:00"             # daily pick-up at the depot; later parcels go the next day
    disruption_probability = 0.03  # chance the carrier has a bad day (every parcel one day later)
    price = { base = 12.0, per_kg = 2.0 }  # what a dispatch hand-off costs
    max_km = 100.0
    on_time_probability = 0.3    # what dispatch believes of a hand-off (risk-weighted)

    [demand]
    orders_per_day = 1667        # a normal day's orders
    surge = 3.0                  # this day's multiplier (placed orders ~ Poisson(orders_per_day * surge))
    previous_day = 1.0           # volume of each of the two days before, relative to this day's (their
                                 # next-day orders are this morning's backlog)
    following_day = 1.0          # volume of each of the three days after (they load the fleet days after)
    hourly = [24 weights]        # arrival curve over the local hours 0..23 (relative)
    midnight_spike = 0.15        # share of this day's orders in the first `spike_minutes` after midnight
    spike_minutes = 30.0
    uniform = 0.5                # share of destinations spread over the road network's nodes ...
    hotspots = [{ lat = 31.23, lon = 121.47, radius_km = 4.0, weight = 0.5 }]  # ... the rest around points
    weight_kg = { median = 1.5, sigma = 0.8, max = 30.0 }  # parcel weight, lognormal, capped
    parcels = { mean = 1.3 }     # parcels per order: 1 + Poisson(mean - 1)
    service_minutes = 3.0        # planned time at each stop

    [choice]                     # multinomial logit over the options checkout offers
    price = -0.15                # utility per currency unit of the option's price
    hours = -0.05                # utility per hour until the promised time
    constants = { "own:same_day" = 0.5 }   # per option ("carrier:service", "carrier" or a kind)

    [checkout]
    own_orders_per_day = 0       # >0: checkout tells the promise rules the own fleet's plan for a day is
                                 # full once this many orders are promised for it (its own-fleet options
                                 # become "capacity of today's plan is exhausted"); 0: never full

    [[disruptions.weather]]
    name = "storm"
    start = "17:00"
    end = "21:00"
    speed_factor = 0.5           # legs in the area take 1 / speed_factor as long
    lat = 31.30
    lon = 121.50
    radius_km = 12.0
    probability = 1.0            # chance it happens in a replication
    announced = "15:00"          # when the monitor is told (omit: never announced)
    announced_speed_factor = 0.6 # what the announcement says (default: the truth)

    [[disruptions.outages]]
    carrier = "zto"
    start = "10:00"
    end = "22:00"
    probability = 1.0

    [disruptions]
    breakdown_rate = 0.02        # chance a vehicle breaks down on one route
    repair_minutes = [60, 180]
    sorting_error_rate = 0.01    # chance a carrier parcel misses its sort (one day later)

    [waves]
    times = ["06:00", "09:00", "12:00", "15:00", "18:00"]
    load_minutes = 30            # vehicles leave this long after the wave
    policy = "all"               # "all": every known order goes; "due": only those whose promise
                                 # would be missed by waiting for the next wave
    due_margin_minutes = 120     # "due": the promise is before the next wave + load + this

    [truth]                      # the world the vehicles drive in, vs the ETA model's
    bias = 1.0                   # every leg takes this much longer than planned
    pace_sd = 0.08               # per-vehicle pace of the day (lognormal sigma)
    leg_sd = 0.15                # per-leg noise (lognormal sigma)
    service_sd = 0.3             # per-stop service time noise (lognormal sigma)
    carrier_bias = 1.0           # carrier lead times, times this

    [solver]
    iterations = 1500            # numba search iterations per wave (SolveParams.improve_iterations)
    solutions = 20               # guided-local-search solution limit (the deterministic stop)
    time_cap_s = 600.0           # a wall-clock cap that must not bind (if it does, determinism is lost)
    risk_weight = 100.0          # cost units per unit of a hand-off's risk of being late
    polish_max_orders = 2000     # waves up to this many orders get OR-Tools' guided local search after
                                 # the numba search (SolveParams.gls_max_jobs); bigger ones the search alone

    [monitor]
    ping_minutes = 5.0           # vehicle positions this often
    batch_minutes = 5.0          # events are ingested in batches this long
    samples = 64                 # Monte Carlo samples per forecast
    rescue = true                # propose rescues (counted, not applied)

    [tickets]
    call_share = 0.5             # share of unwarned late customers who call in (a delay ticket)

Overrides take the same dotted keys (``--set fleet.van.count=30``); a string
value is read as a TOML literal when it is one (``"30"`` -> 30), so the
command line needs no quoting rules of its own.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from engine.errors import ScenarioError

__all__ = [
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "clock_s",
    "load_scenario",
]

_HHMM = re.compile(r"^(\d{1,2}):([0-5]\d)$")


def clock_s(text: str) -> int:
    """Seconds after local midnight of an ``"HH:MM"`` time (hours up to 48)."""
    m = _HHMM.match(text)
    if m is None:
        raise ValueError(f"expected a time of day as \"HH:MM\", got {text!r}")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60


def _check_clock(text: str) -> str:
    s = clock_s(text)
    if s > 48 * 3600:
        raise ValueError(f"time of day must be at most 48:00, got {text!r}")
    return text


Clock = Annotated[str, AfterValidator(_check_clock)]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Pos = Annotated[float, Field(gt=0.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Network(_Model):
    source: str
    centre: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None

    @model_validator(mode="after")
    def _centre(self) -> Network:
        if self.centre is not None:
            if not self.source.lower().startswith("synthetic:"):
                raise ValueError("centre: only applies to a synthetic network")
            if not (-80 <= self.centre[0] <= 80 and -180 <= self.centre[1] <= 180):
                raise ValueError(f"centre: must be [lat, lon] within -80..80 and -180..180, got {self.centre}")
        return self


class Region(_Model):
    model: str
    catalogue: str | None = None


class DepotSpec(_Model):
    id: str
    lat: Lat
    lon: Lon
    opens: Clock = "05:00"
    closes: Clock = "23:00"


class Cost(_Model):
    fixed: NonNeg = 50.0
    per_hour: NonNeg = 25.0
    per_km: NonNeg = 0.4


class VehicleSpec(_Model):
    count: Annotated[int, Field(ge=0, le=5000)]
    depot: str | None = None
    capacity: dict[str, NonNeg] = Field(default_factory=lambda: {"parcels": 60.0})
    shift: Annotated[list[Clock], Field(min_length=2, max_length=2)] = Field(default_factory=lambda: ["08:00", "20:00"])
    speed_factor: Pos = 1.0
    route_hours: Annotated[float, Field(gt=0.0, le=48.0)] | None = None
    cost: Cost = Field(default_factory=Cost)

    @model_validator(mode="after")
    def _shift(self) -> VehicleSpec:
        if clock_s(self.shift[1]) <= clock_s(self.shift[0]):
            raise ValueError(f"shift: ends ({self.shift[1]}) before it starts ({self.shift[0]})")
        return self


class Price(_Model):
    base: NonNeg = 5.0
    per_kg: NonNeg = 0.5


class CarrierSpec(_Model):
    capacity: Annotated[int, Field(ge=0)] = 10**6
    cutoff: Clock = "18:00"
    disruption_probability: Prob = 0.0
    price: Price = Field(default_factory=Price)
    max_km: Pos = 100.0
    on_time_probability: Prob = 0.3


class Hotspot(_Model):
    lat: Lat
    lon: Lon
    radius_km: Pos
    weight: NonNeg = 1.0


class Weight(_Model):
    median: Pos = 1.5
    sigma: NonNeg = 0.8
    max: Pos = 30.0


class Parcels(_Model):
    mean: Annotated[float, Field(ge=1.0, le=50.0)] = 1.3


#: A plausible e-commerce day: quiet at night, a late-morning and an evening peak.
DEFAULT_HOURLY = [0.6, 0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.8, 1.2, 1.5, 1.6, 1.6,
                  1.5, 1.4, 1.4, 1.4, 1.4, 1.5, 1.7, 1.9, 2.0, 1.9, 1.5, 1.0]


class Demand(_Model):
    orders_per_day: Annotated[float, Field(ge=0.0, le=20000.0)]
    surge: Annotated[float, Field(ge=0.0, le=20.0)] = 1.0
    previous_day: Annotated[float, Field(ge=0.0, le=20.0)] = 1.0
    following_day: Annotated[float, Field(ge=0.0, le=20.0)] = 1.0
    hourly: Annotated[list[NonNeg], Field(min_length=24, max_length=24)] = Field(default_factory=lambda: list(DEFAULT_HOURLY))
    midnight_spike: Prob = 0.0
    spike_minutes: Annotated[float, Field(gt=0.0, le=600.0)] = 30.0
    uniform: Prob = 1.0
    hotspots: list[Hotspot] = Field(default_factory=list)
    weight_kg: Weight = Field(default_factory=Weight)
    parcels: Parcels = Field(default_factory=Parcels)
    service_minutes: Annotated[float, Field(ge=0.0, le=240.0)] = 3.0

    @model_validator(mode="after")
    def _mix(self) -> Demand:
        if sum(self.hourly) <= 0:
            raise ValueError("hourly: the arrival curve needs at least one weight > 0")
        if self.uniform < 1.0 and not any(h.weight > 0 for h in self.hotspots):
            raise ValueError("uniform: below 1 needs hotspots with weight > 0 for the rest of the demand")
        if self.orders_per_day * self.surge > 20000:
            raise ValueError(f"surge: orders_per_day * surge is {self.orders_per_day * self.surge:,.0f}, at most 20,000 orders a day")
        for key in ("previous_day", "following_day"):
            v = self.orders_per_day * self.surge * getattr(self, key)
            if v > 20000:
                raise ValueError(f"{key}: orders_per_day * surge * {key} is {v:,.0f}, at most 20,000 orders a day")
        return self


class Choice(_Model):
    price: float = -0.15
    hours: float = -0.05
    constants: dict[str, float] = Field(default_factory=dict)


class Checkout(_Model):
    own_orders_per_day: Annotated[int, Field(ge=0, le=10**6)] = 0


class Weather(_Model):
    name: str = "weather"
    start: Clock
    end: Clock
    speed_factor: Annotated[float, Field(gt=0.0, le=1.0)]
    lat: Lat
    lon: Lon
    radius_km: Pos
    probability: Prob = 1.0
    announced: Clock | None = None
    announced_speed_factor: Annotated[float, Field(gt=0.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _window(self) -> Weather:
        if clock_s(self.end) <= clock_s(self.start):
            raise ValueError(f"end: must be after start ({self.start}), got {self.end}")
        return self


class Outage(_Model):
    carrier: str
    start: Clock
    end: Clock
    probability: Prob = 1.0

    @model_validator(mode="after")
    def _window(self) -> Outage:
        if clock_s(self.end) <= clock_s(self.start):
            raise ValueError(f"end: must be after start ({self.start}), got {self.end}")
        return self


class Disruptions(_Model):
    weather: list[Weather] = Field(default_factory=list)
    outages: list[Outage] = Field(default_factory=list)
    breakdown_rate: Prob = 0.0
    repair_minutes: Annotated[list[NonNeg], Field(min_length=2, max_length=2)] = Field(default_factory=lambda: [60.0, 180.0])
    sorting_error_rate: Prob = 0.0

    @model_validator(mode="after")
    def _repair(self) -> Disruptions:
        if self.repair_minutes[1] < self.repair_minutes[0]:
            raise ValueError(f"repair_minutes: [low, high] with low <= high, got {self.repair_minutes}")
        return self


class Waves(_Model):
    times: Annotated[list[Clock], Field(min_length=1, max_length=48)] = Field(
        default_factory=lambda: ["06:00", "09:00", "12:00", "15:00", "18:00"])
    load_minutes: NonNeg = 30.0
    policy: Literal["all", "due"] = "all"
    due_margin_minutes: NonNeg = 120.0

    @model_validator(mode="after")
    def _sorted(self) -> Waves:
        s = [clock_s(t) for t in self.times]
        if any(b <= a for a, b in zip(s, s[1:])):
            raise ValueError(f"times: must be increasing, got {self.times}")
        if s[-1] >= 24 * 3600:
            raise ValueError(f"times: the last wave must start before 24:00, got {self.times[-1]}")
        return self


class Truth(_Model):
    bias: Pos = 1.0
    pace_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.08
    leg_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.15
    service_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    carrier_bias: Pos = 1.0


class Solver(_Model):
    iterations: Annotated[int, Field(ge=1, le=10**7)] = 1500
    solutions: Annotated[int, Field(ge=1, le=10**6)] = 20
    time_cap_s: Pos = 600.0
    risk_weight: NonNeg = 100.0
    polish_max_orders: Annotated[int, Field(ge=0, le=20000)] = 2000


class MonitorSpec(_Model):
    ping_minutes: Annotated[float, Field(ge=0.25, le=120.0)] = 5.0
    batch_minutes: Annotated[float, Field(ge=0.25, le=240.0)] = 5.0
    samples: Annotated[int, Field(ge=16, le=10000)] = 64
    rescue: bool = True


class TicketSpec(_Model):
    call_share: Prob = 0.5


class Scenario(_Model):
    """A validated scenario (see the module docstring for the schema); ``path`` is where it was read."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    date: str = "2026-11-11"
    target: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    replications: Annotated[int, Field(ge=1, le=100000)] = 20
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    network: Network
    region: Region
    depots: Annotated[list[DepotSpec], Field(min_length=1)]
    fleet: dict[str, VehicleSpec]
    carriers: dict[str, CarrierSpec] = Field(default_factory=dict)
    demand: Demand
    choice: Choice = Field(default_factory=Choice)
    checkout: Checkout = Field(default_factory=Checkout)
    disruptions: Disruptions = Field(default_factory=Disruptions)
    waves: Waves = Field(default_factory=Waves)
    truth: Truth = Field(default_factory=Truth)
    solver: Solver = Field(default_factory=Solver)
    monitor: MonitorSpec = Field(default_factory=MonitorSpec)
    tickets: TicketSpec = Field(default_factory=TicketSpec)
    #: the file it was read from (relative paths in it resolve against its folder); not part of the schema
    path: str | None = None

    @model_validator(mode="after")
    def _refs(self) -> Scenario:
        try:
            date.fromisoformat(self.date)
        except ValueError:
            raise ValueError(f"date: must be YYYY-MM-DD, got {self.date!r}") from None
        ids = [d.id for d in self.depots]
        if len(set(ids)) != len(ids):
            raise ValueError(f"depots: duplicate depot id in {ids}")
        if not self.fleet:
            raise ValueError("fleet: at least one vehicle type is needed")
        for name, v in self.fleet.items():
            if v.depot is not None and v.depot not in ids:
                raise ValueError(f"fleet.{name}.depot: unknown depot {v.depot!r} (known: {', '.join(ids)})")
        for o in self.disruptions.outages:
            if o.carrier not in self.carriers:
                raise ValueError(f"disruptions.outages: unknown carrier {o.carrier!r} (known: {', '.join(self.carriers) or 'none'})")
        return self

    # -- derived ---------------------------------------------------------------
    def base_dir(self) -> Path:
        """Folder relative paths in the scenario resolve against."""
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    def resolve(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else self.base_dir() / q

    def vehicle_depot(self, type_name: str) -> str:
        return self.fleet[type_name].depot or self.depots[0].id

    @property
    def fleet_size(self) -> int:
        return sum(v.count for v in self.fleet.values())


# --------------------------------------------------------------------------- reading


def _where(path: str | Path | None) -> str:
    return str(path) if path is not None else "scenario"


def _message(err: dict[str, Any]) -> str:
    """One pydantic error as "what is wrong, got X"."""
    typ, ctx, got = err.get("type", ""), err.get("ctx") or {}, err.get("input")
    shown = _shown(got)
    if typ == "missing":
        return "required key is missing"
    if typ == "extra_forbidden":
        return "unknown key"
    for key, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if typ.endswith(("greater_than_equal", "greater_than", "less_than_equal", "less_than")) and key in ctx:
            return f"must be {op} {ctx[key]}, got {shown}"
    if typ in ("too_short", "too_long"):
        return f"{err['msg'].lower()}, got {shown}"
    if typ == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    msg = err["msg"].removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:] if msg else msg
    return f"{msg}, got {shown}"


def _shown(v: Any) -> str:
    if isinstance(v, (dict, list)) and len(repr(v)) > 80:
        return f"a {type(v).__name__} of {len(v)}"
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


_KEYED = re.compile(r"^([A-Za-z_][\w.\-]*): (.+)$", re.DOTALL)


def _error(where: str, exc: ValidationError) -> ScenarioError:
    """The first error as ``"<file>: <dotted key>: <what is wrong>"``."""
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    msg = _message(err)
    # A model validator names the key it checks ("shift: ends ... before it starts ..."):
    # it becomes part of the dotted key.
    m = _KEYED.match(msg) if err.get("type") == "value_error" else None
    if m is not None:
        loc = f"{loc}.{m.group(1)}" if loc else m.group(1)
        msg = m.group(2)
    text = f"{where}: {loc}: {msg}" if loc else f"{where}: {msg}"
    return ScenarioError(text, item=where, field=loc or None)


def _validate(doc: Mapping[str, Any], where: str, path: str | None) -> Scenario:
    data = dict(doc)
    data["path"] = path
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _error(where, exc) from None


def _literal(value: object) -> object:
    """A command-line string read as a TOML literal when it is one ("30" -> 30, "[1, 2]" -> [1, 2])."""
    if not isinstance(value, str):
        return value
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _set(doc: dict[str, Any], key: str, value: object, where: str) -> None:
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise ScenarioError(f"{where}: {key!r}: not a dotted key such as fleet.van.count", item=where, field=key)
    node: Any = doc
    for i, p in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not p.isdigit() or int(p) >= len(node):
                raise ScenarioError(f"{where}: {'.'.join(parts[:i + 1])}: no such list index (the list has {len(node)})",
                                    item=where, field=key)
            node = node[int(p)]
            continue
        if not isinstance(node, dict):
            raise ScenarioError(f"{where}: {'.'.join(parts[:i])}: is not a table, cannot set {key}", item=where, field=key)
        if p not in node:
            node[p] = {}
        node = node[p]
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ScenarioError(f"{where}: {key}: no such list index (the list has {len(node)})", item=where, field=key)
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"{where}: {'.'.join(parts[:-1])}: is not a table, cannot set {key}", item=where, field=key)


def _plain(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _plain(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_plain(v) for v in doc]
    return doc


def _overridden(doc: dict[str, Any], overrides: Mapping[str, object] | None, where: str) -> dict[str, Any]:
    doc = _plain(doc)
    for key, value in (overrides or {}).items():
        if not isinstance(key, str):
            raise ScenarioError(f"{where}: override keys must be dotted strings, got {key!r}", item=where)
        v = _literal(value)
        if isinstance(v, float) and not math.isfinite(v):
            raise ScenarioError(f"{where}: {key}: must be a finite number, got {value!r}", item=where, field=key)
        _set(doc, key, v, where)
    return doc


def load_scenario(path: str | Path, overrides: Mapping[str, object] | None = None) -> Scenario:
    """Read, override and validate a scenario TOML file.

    Parameters
    ----------
    path
        The scenario file.
    overrides
        Dotted keys and values applied before validation (``{"fleet.van.count": 40}``).

    Raises
    ------
    ScenarioError
        The file cannot be read, is not TOML, or a key is unknown, missing or
        out of range: the message names the file, the key and what is wrong.
    """
    p = Path(path)
    where = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the scenario file: {exc.strerror or exc}", item=where) from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{where}: not UTF-8 text", item=where) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: not valid TOML ({exc})", item=where) from None
    if "path" in doc:
        raise ScenarioError(f"{where}: path: unknown key", item=where, field="path")
    return _validate(_overridden(doc, overrides, where), where, str(p))


def apply_overrides(scenario: Scenario, overrides: Mapping[str, object]) -> Scenario:
    """``scenario`` with dotted keys set (``{"fleet.van.count": 40}``), validated again.

    Raises ``ScenarioError`` naming the scenario's file and the key, as
    :func:`load_scenario` does.
    """
    where = _where(scenario.path)
    doc = scenario.model_dump(exclude={"path"})
    if "path" in overrides:
        raise ScenarioError(f"{where}: path: unknown key", item=where, field="path")
    return _validate(_overridden(doc, overrides, where), where, scenario.path)
