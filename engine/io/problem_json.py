"""Problem and plan JSON: the file format of ``promise plan`` and of ``POST /v1/plans``.

A problem document::

    {
      "name": "helsinki-day",
      "network": "helsinki",                          # optional: road network source
      "day_start": "2026-11-23T00:00:00+02:00",      # optional
      "horizon": 86400,                               # seconds, optional
      "lateness_cost_per_min": null,                  # null: hard windows
      "risk_weight": 0.0,
      "depots": [{"id": "D1", "lat": 60.17, "lon": 24.94, "opening": ["06:00", "22:00"]}],
      "vehicle_types": [{"id": "van", "count": 10, "start_depot": "D1", "end_depot": null,
                         "capacity": {"parcels": 120, "kg": 800}, "shift": ["08:00", "17:00"],
                         "max_duration": null, "breaks": [{"window": ["11:00", "13:00"], "duration": 1800}],
                         "cost_per_hour": 25, "cost_per_km": 0.4, "fixed_cost": 50,
                         "skills": ["cold"], "speed_factor": 1.0}],
      "carriers": [{"id": "parcelco", "base_cost": 6.5, "cost_per_kg": 0.3, "max_km": 80,
                    "zone_surcharge_per_km": 0.05, "cutoff": "16:00", "capacity": 200,
                    "on_time_probability": 0.93, "pickup_depot": null, "skills": []}],
      "orders": [{"id": "o1", "lat": 60.2, "lon": 24.9, "size": {"parcels": 1, "kg": 3.5},
                  "windows": [["09:00", "12:00"], ["14:00", "16:00"]], "promised_by": null,
                  "service_time": 120, "priority": 0, "skills": [], "allow_carrier": true,
                  "depot": null}]
    }

Times are seconds since ``day_start`` or ``"HH:MM"`` / ``"HH:MM:SS"``
strings.  Every mistake raises ``ModelError`` naming the item and field
(``order 'o7': windows: end 3600 before start 7200``); unknown fields are
errors too, so a typo does not silently fall back to a default.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.domain.problem import Break, Carrier, Depot, ModelError, Order, Problem, TimeWindow, VehicleType
from engine.domain.plan import Handoff, Plan, Route, Stop, Unassigned, UnassignedReason

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

# --------------------------------------------------------------------------- field readers


def parse_time(value: Any, item: str, field_name: str) -> int:
    """Seconds from an int/float or an ``"HH:MM[:SS]"`` string."""
    if isinstance(value, bool):
        raise ModelError(item, field_name, f"expected seconds or 'HH:MM', got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ModelError(item, field_name, f"not a finite time: {value!r}")
        if abs(value) > MAX_SECONDS:
            raise ModelError(item, field_name, f"time {value!r} is more than a year ({MAX_SECONDS} s) from day_start")
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
                raise ModelError(item, field_name, f"time {value!r} is more than a year from day_start")
            return h * 3600 + mi * 60 + s
        raise ModelError(item, field_name, f"expected seconds or 'HH:MM', got {value!r}")
    raise ModelError(item, field_name, f"expected seconds or 'HH:MM', got {value!r}")


def _window(value: Any, item: str, field_name: str) -> TimeWindow:
    if isinstance(value, dict):
        value = [value.get("start"), value.get("end")]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ModelError(item, field_name, f"expected [start, end], got {value!r}")
    s, e = parse_time(value[0], item, field_name), parse_time(value[1], item, field_name)
    if e < s:
        raise ModelError(item, field_name, f"end {e} before start {s}")
    return TimeWindow(s, e)


def _num(
    value: Any, item: str, field_name: str, *, minimum: float | None = None, maximum: float | None = None, integer: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(item, field_name, f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ModelError(item, field_name, f"expected a finite number, got {value!r}")
    if integer and int(value) != value:
        raise ModelError(item, field_name, f"expected a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ModelError(item, field_name, f"must be >= {_fmt(minimum)}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ModelError(item, field_name, f"must be <= {_fmt(maximum)}, got {value!r}")
    return int(value) if integer else float(value)


def _fmt(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _amounts(value: Any, item: str, field_name: str, what: str) -> dict[str, float]:
    """Sizes or capacities: ``{"parcels": 1, "kg": 2.5}``, each finite and in 0..MAX_AMOUNT."""
    if not isinstance(value, dict):
        raise ModelError(item, field_name, f"expected an object like {{\"parcels\": 1, \"kg\": 2.5}}, got {value!r}")
    out = {}
    for k, v in value.items():
        x = _num(v, item, f"{field_name}.{k}", maximum=MAX_AMOUNT)
        if x < 0:
            raise ModelError(item, field_name, f"negative {what} {k}={x:g}")
        out[str(k)] = x
    return out


def _skills(value: Any, item: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
        raise ModelError(item, "skills", f"expected a list of strings, got {value!r}")
    return frozenset(value)


def _obj(value: Any, item: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ModelError(item, "-", f"expected an object, got {type(value).__name__}")
    if item.split(" #")[0] != item and isinstance(value.get("id"), (str, int)) and not isinstance(value.get("id"), bool):
        # Name the item by its id when it has one: "order 'o7'" beats "order #6".
        item = f"{item.split(' #')[0]} {str(value['id'])!r}"
    unknown = set(value) - allowed
    if unknown:
        raise ModelError(item, sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")
    missing = required - set(value)
    if missing:
        raise ModelError(item, sorted(missing)[0], "missing")
    return value


def _id(d: dict[str, Any], kind: str, index: int) -> str:
    v = d.get("id")
    if not isinstance(v, (str, int)) or isinstance(v, bool) or str(v) == "":
        raise ModelError(f"{kind} #{index}", "id", f"expected a non-empty string, got {v!r}")
    return str(v)


# --------------------------------------------------------------------------- problem


_DEPOT = {"id", "lat", "lon", "opening"}
_VT = {
    "id", "count", "start_depot", "end_depot", "capacity", "shift", "max_duration", "breaks",
    "cost_per_hour", "cost_per_km", "fixed_cost", "skills", "speed_factor",
}
_CARRIER = {
    "id", "base_cost", "cost_per_kg", "max_km", "zone_surcharge_per_km", "cutoff", "capacity",
    "on_time_probability", "services", "pickup_depot", "skills",
}
_ORDER = {
    "id", "lat", "lon", "size", "windows", "promised_by", "service_time", "priority", "skills",
    "allow_carrier", "depot",
}
_TOP = {"network", "name", "day_start", "horizon", "lateness_cost_per_min", "risk_weight", "depots", "vehicle_types", "carriers", "orders"}


def _coord(d: dict[str, Any], item: str) -> tuple[float, float]:
    lat = _num(d.get("lat"), item, "lat")
    lon = _num(d.get("lon"), item, "lon")
    if not -90 <= lat <= 90:
        raise ModelError(item, "lat", f"latitude {lat} outside -90..90")
    if not -180 <= lon <= 180:
        raise ModelError(item, "lon", f"longitude {lon} outside -180..180")
    return lat, lon


def problem_from_dict(doc: Any) -> Problem:
    """Build and validate a ``Problem`` from a parsed problem document."""
    doc = _obj(doc, "problem", _TOP, {"depots", "vehicle_types", "orders"})
    for key in ("depots", "vehicle_types", "orders", "carriers"):
        if key in doc and not isinstance(doc[key], list):
            raise ModelError("problem", key, f"expected a list, got {type(doc[key]).__name__}")

    if not doc["depots"]:
        raise ModelError("problem", "depots", "at least one depot is needed")
    if len(doc["orders"]) > MAX_ORDERS:
        raise ModelError(
            "problem", "orders", f"{len(doc['orders']):,} orders; at most {MAX_ORDERS:,} per problem (split the day by depot or region)"
        )
    depots: list[Depot] = []
    for i, d in enumerate(doc["depots"]):
        item = f"depot #{i}"
        d = _obj(d, item, _DEPOT, {"id", "lat", "lon"})
        did = _id(d, "depot", i)
        item = f"depot {did!r}"
        lat, lon = _coord(d, item)
        opening = _window(d["opening"], item, "opening") if d.get("opening") is not None else TimeWindow(0, 24 * 3600)
        depots.append(Depot(did, lat, lon, opening))
    depot_ids = {d.depot_id for d in depots}

    vts: list[VehicleType] = []
    for i, d in enumerate(doc["vehicle_types"]):
        d = _obj(d, f"vehicle type #{i}", _VT, {"id", "count", "start_depot"})
        vid = _id(d, "vehicle type", i)
        item = f"vehicle type {vid!r}"
        for key in ("start_depot", "end_depot"):
            dep = d.get(key)
            if dep is not None and str(dep) not in depot_ids:
                raise ModelError(item, key, f"unknown depot {dep!r} (known: {', '.join(sorted(depot_ids))})")
        capacity = _amounts(d.get("capacity", {"parcels": 100}), item, "capacity", "capacity")
        breaks = []
        for j, b in enumerate(d.get("breaks") or []):
            b = _obj(b, f"{item} break #{j}", {"window", "duration"}, {"window", "duration"})
            breaks.append(
                Break(
                    _window(b["window"], item, f"breaks[{j}].window"),
                    int(_num(b["duration"], item, f"breaks[{j}].duration", minimum=0, maximum=MAX_SECONDS)),
                )
            )
        max_dur = d.get("max_duration")
        vts.append(
            VehicleType(
                type_id=vid,
                count=int(_num(d["count"], item, "count", minimum=0, maximum=MAX_VEHICLES, integer=True)),
                start_depot=str(d["start_depot"]),
                end_depot=None if d.get("end_depot") is None else str(d["end_depot"]),
                capacity=capacity,
                shift=_window(d["shift"], item, "shift") if d.get("shift") is not None else TimeWindow(8 * 3600, 20 * 3600),
                max_duration=None if max_dur is None else parse_time(max_dur, item, "max_duration"),
                breaks=breaks,
                cost_per_hour=_num(d.get("cost_per_hour", 25.0), item, "cost_per_hour", minimum=0, maximum=MAX_COST),
                cost_per_km=_num(d.get("cost_per_km", 0.4), item, "cost_per_km", minimum=0, maximum=MAX_COST),
                fixed_cost=_num(d.get("fixed_cost", 50.0), item, "fixed_cost", minimum=0, maximum=MAX_COST),
                skills=_skills(d.get("skills"), item),
                speed_factor=_num(d.get("speed_factor", 1.0), item, "speed_factor", minimum=0.01, maximum=100),
            )
        )

    carriers: list[Carrier] = []
    for i, d in enumerate(doc.get("carriers") or []):
        d = _obj(d, f"carrier #{i}", _CARRIER, {"id"})
        cid = _id(d, "carrier", i)
        item = f"carrier {cid!r}"
        pd = d.get("pickup_depot")
        if pd is not None and str(pd) not in depot_ids:
            raise ModelError(item, "pickup_depot", f"unknown depot {pd!r}")
        p = _num(d.get("on_time_probability", 0.93), item, "on_time_probability", minimum=0)
        if p > 1:
            raise ModelError(item, "on_time_probability", f"must be in 0..1, got {p}")
        services = d.get("services", ["standard"])
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
            raise ModelError(item, "services", f"expected a list of strings, got {services!r}")
        carriers.append(
            Carrier(
                carrier_id=cid,
                base_cost=_num(d.get("base_cost", 5.0), item, "base_cost", minimum=0, maximum=MAX_COST),
                cost_per_kg=_num(d.get("cost_per_kg", 0.5), item, "cost_per_kg", minimum=0, maximum=MAX_COST),
                max_km=_num(d.get("max_km", 100.0), item, "max_km", minimum=0, maximum=50_000),
                zone_surcharge_per_km=_num(d.get("zone_surcharge_per_km", 0.0), item, "zone_surcharge_per_km", minimum=0, maximum=MAX_COST),
                cutoff=parse_time(d.get("cutoff", 17 * 3600), item, "cutoff"),
                capacity=int(_num(d.get("capacity", 10**9), item, "capacity", minimum=0, maximum=10**9, integer=True)),
                on_time_probability=p,
                services=tuple(services),
                pickup_depot=None if pd is None else str(pd),
                skills=_skills(d.get("skills"), item),
            )
        )

    horizon = parse_time(doc.get("horizon", 24 * 3600), "problem", "horizon")
    if horizon <= 0:
        raise ModelError("problem", "horizon", "must be > 0")
    orders: list[Order] = []
    for i, d in enumerate(doc["orders"]):
        d = _obj(d, f"order #{i}", _ORDER, {"id", "lat", "lon"})
        oid = _id(d, "order", i)
        item = f"order {oid!r}"
        lat, lon = _coord(d, item)
        dep = d.get("depot")
        if dep is not None and str(dep) not in depot_ids:
            raise ModelError(item, "depot", f"unknown depot {dep!r} (known: {', '.join(sorted(depot_ids))})")
        wins_raw = d.get("windows") or []
        if not isinstance(wins_raw, list):
            raise ModelError(item, "windows", f"expected a list of [start, end], got {wins_raw!r}")
        wins = [_window(w, item, "windows") for w in wins_raw]
        pb = d.get("promised_by")
        allow = d.get("allow_carrier", True)
        if not isinstance(allow, bool):
            raise ModelError(item, "allow_carrier", f"expected true/false, got {allow!r}")
        orders.append(
            Order(
                order_id=oid,
                lat=lat,
                lon=lon,
                size=_amounts(d.get("size", {"parcels": 1}), item, "size", "size"),
                windows=wins,
                promised_by=None if pb is None else parse_time(pb, item, "promised_by"),
                service_time=int(_num(d.get("service_time", 120), item, "service_time", minimum=0, maximum=MAX_SECONDS)),
                priority=int(_num(d.get("priority", 0), item, "priority", minimum=0, maximum=MAX_PRIORITY, integer=True)),
                skills=_skills(d.get("skills"), item),
                allow_carrier=allow,
                depot=None if dep is None else str(dep),
            )
        )

    day_start = None
    if doc.get("day_start") is not None:
        try:
            day_start = datetime.fromisoformat(str(doc["day_start"]))
        except ValueError:
            raise ModelError("problem", "day_start", f"not an ISO datetime: {doc['day_start']!r}") from None
    lc = doc.get("lateness_cost_per_min")
    problem = Problem(
        depots=depots,
        vehicle_types=vts,
        orders=orders,
        carriers=carriers,
        day_start=day_start,
        horizon=horizon,
        lateness_cost_per_min=None if lc is None else _num(lc, "problem", "lateness_cost_per_min", minimum=0, maximum=MAX_COST),
        risk_weight=_num(doc.get("risk_weight", 0.0), "problem", "risk_weight", minimum=0, maximum=MAX_COST),
        name=str(doc.get("name", "problem")),
        network=None if doc.get("network") is None else str(doc["network"]),
    )
    if sum(vt.count for vt in vts) > MAX_VEHICLES:
        raise ModelError("problem", "vehicle_types", f"{sum(vt.count for vt in vts):,} vehicles; at most {MAX_VEHICLES:,} per problem")
    problem.validate()  # duplicate ids, zero vehicles: the rules every Problem obeys
    return problem


def problem_to_dict(p: Problem) -> dict[str, Any]:
    """The inverse of ``problem_from_dict`` (times as seconds)."""
    return {
        "name": p.name,
        "network": p.network,
        "day_start": p.day_start.isoformat() if p.day_start else None,
        "horizon": p.horizon,
        "lateness_cost_per_min": p.lateness_cost_per_min,
        "risk_weight": p.risk_weight,
        "depots": [
            {"id": d.depot_id, "lat": d.lat, "lon": d.lon, "opening": [d.opening.start, d.opening.end]} for d in p.depots
        ],
        "vehicle_types": [
            {
                "id": v.type_id,
                "count": v.count,
                "start_depot": v.start_depot,
                "end_depot": v.end_depot,
                "capacity": dict(v.capacity),
                "shift": [v.shift.start, v.shift.end],
                "max_duration": v.max_duration,
                "breaks": [{"window": [b.window.start, b.window.end], "duration": b.duration} for b in v.breaks],
                "cost_per_hour": v.cost_per_hour,
                "cost_per_km": v.cost_per_km,
                "fixed_cost": v.fixed_cost,
                "skills": sorted(v.skills),
                "speed_factor": v.speed_factor,
            }
            for v in p.vehicle_types
        ],
        "carriers": [
            {
                "id": c.carrier_id,
                "base_cost": c.base_cost,
                "cost_per_kg": c.cost_per_kg,
                "max_km": c.max_km,
                "zone_surcharge_per_km": c.zone_surcharge_per_km,
                "cutoff": c.cutoff,
                "capacity": c.capacity,
                "on_time_probability": c.on_time_probability,
                "services": list(c.services),
                "pickup_depot": c.pickup_depot,
                "skills": sorted(c.skills),
            }
            for c in p.carriers
        ],
        "orders": [
            {
                "id": o.order_id,
                "lat": o.lat,
                "lon": o.lon,
                "size": dict(o.size),
                "windows": [[w.start, w.end] for w in o.windows],
                "promised_by": o.promised_by,
                "service_time": o.service_time,
                "priority": o.priority,
                "skills": sorted(o.skills),
                "allow_carrier": o.allow_carrier,
                "depot": o.depot,
            }
            for o in p.orders
        ],
    }


def read_json(path: str | Path, what: str = "problem file") -> Any:
    """Parse a JSON file; a missing, unreadable, empty or malformed file is a ``ValueError`` naming it."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {path} is a directory, not a JSON file")
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{what} {path} is not a text (UTF-8 JSON) file") from None
    if not text.strip():
        raise ValueError(f"{what} {path} is empty")
    try:
        # Python's parser takes NaN/Infinity, JSON does not: a NaN would slip past "x < 0" checks.
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except _ConstantError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc} is not a JSON number)") from None


class _ConstantError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def read_problem(path: str | Path) -> Problem:
    """Read a problem JSON file (clear errors for a missing file or bad JSON)."""
    return problem_from_dict(read_json(path))


def write_problem(problem: Problem, path: str | Path) -> None:
    Path(path).write_text(json.dumps(problem_to_dict(problem), indent=1))


# --------------------------------------------------------------------------- plan


def _stop_dict(s: Stop) -> dict[str, Any]:
    return {
        "order_id": s.order_id,
        "kind": s.kind,
        "node": s.node,
        # A matrix-only (VROOM) stop has no coordinates: null, since NaN is not JSON.
        "lat": s.lat if math.isfinite(s.lat) else None,
        "lon": s.lon if math.isfinite(s.lon) else None,
        "arrival": s.arrival,
        "departure": s.departure,
        "load": s.load,
        "leg_distance_m": s.leg_distance_m,
        "leg_time_s": s.leg_time_s,
        "window": None if s.window is None else [s.window.start, s.window.end],
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A JSON-ready dict of a ``Plan`` (times in seconds since ``day_start``)."""
    return {
        "problem_name": plan.problem_name,
        "status": plan.status,
        "day_start": plan.day_start.isoformat() if plan.day_start else None,
        "cost": plan.cost,
        "distance_m": plan.distance_m,
        "duration_s": plan.duration_s,
        "solve_seconds": plan.solve_seconds,
        "vehicles_used": plan.vehicles_used,
        "routes": [
            {
                "vehicle_id": r.vehicle_id,
                "vehicle_type": r.vehicle_type,
                "depot": r.depot,
                "distance_m": r.distance_m,
                "duration_s": r.duration_s,
                "cost": r.cost,
                "stops": [_stop_dict(s) for s in r.stops],
            }
            for r in plan.routes
        ],
        "handoffs": [
            {
                "order_id": h.order_id,
                "carrier_id": h.carrier_id,
                "depot": h.depot,
                "cost": h.cost,
                "on_time_probability": h.on_time_probability,
            }
            for h in plan.handoffs
        ],
        "unassigned": [{"order_id": u.order_id, "reason": u.reason.name, "message": u.reason.value, "detail": u.detail} for u in plan.unassigned],
        "trajectory": [list(t) for t in plan.trajectory],
        "stats": _jsonable(plan.stats),
    }


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item):
        return x.item()
    return x


def plan_from_dict(d: dict[str, Any]) -> Plan:
    """Rebuild a ``Plan`` from ``plan_to_dict`` output (for re-planning from a stored plan)."""
    try:
        routes = [
            Route(
                vehicle_id=r["vehicle_id"],
                vehicle_type=r["vehicle_type"],
                depot=r["depot"],
                stops=[
                    Stop(
                        order_id=s["order_id"],
                        kind=s["kind"],
                        node=s["node"],
                        lat=math.nan if s["lat"] is None else s["lat"],
                        lon=math.nan if s["lon"] is None else s["lon"],
                        arrival=s["arrival"],
                        departure=s["departure"],
                        load=dict(s["load"]),
                        leg_distance_m=s["leg_distance_m"],
                        leg_time_s=s["leg_time_s"],
                        window=None if s.get("window") is None else TimeWindow(*s["window"]),
                    )
                    for s in r["stops"]
                ],
                distance_m=r["distance_m"],
                duration_s=r["duration_s"],
                cost=r["cost"],
            )
            for r in d["routes"]
        ]
        return Plan(
            problem_name=d["problem_name"],
            routes=routes,
            handoffs=[Handoff(**h) for h in d["handoffs"]],
            unassigned=[Unassigned(u["order_id"], UnassignedReason[u["reason"]], u.get("detail", "")) for u in d["unassigned"]],
            cost=d["cost"],
            distance_m=d["distance_m"],
            duration_s=d["duration_s"],
            solve_seconds=d["solve_seconds"],
            day_start=datetime.fromisoformat(d["day_start"]) if d.get("day_start") else None,
            trajectory=[tuple(t) for t in d.get("trajectory", [])],
            status=d.get("status", "ok"),
            stats=d.get("stats", {}),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a plan document: missing or bad field {exc}") from None


def write_plan(plan: Plan, path: str | Path) -> None:
    Path(path).write_text(json.dumps(plan_to_dict(plan), indent=1))


__all__ = [
    "parse_time",
    "problem_from_dict",
    "problem_to_dict",
    "read_json",
    "read_problem",
    "write_problem",
    "plan_to_dict",
    "plan_from_dict",
    "write_plan",
]

