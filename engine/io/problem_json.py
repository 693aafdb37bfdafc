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
strings.  The fields, defaults and limits are defined once, in
:mod:`engine.io.schema`; this module turns a document into a ``Problem``
(every mistake a ``ProblemError`` naming the item and field, as in
``order 'o7': windows[0]: end 3600 before start 7200``) and writes problems
and plans back out.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.domain.plan import Handoff, Plan, PlanStatus, Route, Stop, StopKind, Unassigned, UnassignedReason
from engine.domain.problem import Problem, TimeWindow
from engine.errors import FormatError, ProblemError
from engine.io.schema import MAX_ORDERS, ProblemDoc

# The item names used in messages, by the top-level list they sit in.
_ITEM_KIND = {"depots": "depot", "vehicle_types": "vehicle type", "carriers": "carrier", "orders": "order"}


def problem_from_dict(doc: Any) -> Problem:
    """Build and validate a ``Problem`` from a parsed problem document.

    The document is validated against :class:`engine.io.schema.ProblemDoc`;
    the first mistake becomes a ``ProblemError`` naming the item by its id
    (``order 'o7': windows[0]: end 3600 before start 7200``).
    """
    if not isinstance(doc, dict):
        raise ProblemError("problem", "-", f"expected an object, got {type(doc).__name__}")
    orders = doc.get("orders")
    if isinstance(orders, list) and len(orders) > MAX_ORDERS:
        # Before validation, which would build (and report on) every one of them.
        raise ProblemError(
            "problem", "orders", f"{len(orders):,} orders; at most {MAX_ORDERS:,} per problem (split the day by depot or region)"
        )
    try:
        parsed = ProblemDoc.model_validate(doc)
    except ValidationError as exc:
        raise validation_error(exc, doc) from None
    return parsed.to_problem()


def validation_error(exc: ValidationError, doc: Any) -> ProblemError:
    """The first pydantic error as a ``ProblemError`` naming the item and the field."""
    err = exc.errors(include_input=False, include_url=False)[0]
    item, field = locate(tuple(err["loc"]), doc)
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field"
    return ProblemError(item, field, msg)


def locate(loc: tuple[Any, ...], doc: Any) -> tuple[str, str]:
    """``("orders", 6, "windows", 0)`` -> ``("order 'o7'", "windows[0]")`` (by id when it has one)."""
    if len(loc) >= 2 and loc[0] in _ITEM_KIND and isinstance(loc[1], int):
        kind = _ITEM_KIND[str(loc[0])]
        item = f"{kind} #{loc[1]}"
        try:
            ident = doc[loc[0]][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            ident = None
        if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident):
            item = f"{kind} {str(ident)[:80]!r}"
        rest = loc[2:]
    else:
        item, rest = "problem", loc
    if rest and isinstance(rest[-1], int):
        rest = rest[:-1]  # "windows", not "windows[0]": the message says which window
    field = ""
    for part in rest:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return item, field or "-"


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
    """Parse a JSON file; a missing, unreadable, empty or malformed file is a ``FormatError`` naming it."""
    path = Path(path)
    if path.is_dir():
        raise FormatError(f"{what} {path} is a directory, not a JSON file")
    try:
        text = path.read_text()
    except OSError as exc:
        raise FormatError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FormatError(f"{what} {path} is not a text (UTF-8 JSON) file") from None
    if not text.strip():
        raise FormatError(f"{what} {path} is empty")
    try:
        # Python's parser takes NaN/Infinity, JSON does not: a NaN would slip past "x < 0" checks.
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except _ConstantError as exc:
        raise FormatError(f"{path}: not valid JSON ({exc} is not a JSON number)") from None


class _ConstantError(Exception):
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
        "kind": str(s.kind),
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
        "status": str(plan.status),
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
                        kind=StopKind(s["kind"]),
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
            status=PlanStatus(d.get("status", "ok")),
            stats=d.get("stats", {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"not a plan document: missing or bad field {exc}") from None


def write_plan(plan: Plan, path: str | Path) -> None:
    Path(path).write_text(json.dumps(plan_to_dict(plan), indent=1))


__all__ = [
    "locate",
    "validation_error",
    "problem_from_dict",
    "problem_to_dict",
    "read_json",
    "read_problem",
    "write_problem",
    "plan_to_dict",
    "plan_from_dict",
    "write_plan",
]

