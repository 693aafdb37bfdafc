"""The JSON forms of tracking events and warnings (API bodies, JSONL files, stored documents).

An event document::

    {"id": "e17", "kind": "position", "at": "2026-11-11T14:05:30Z",
     "vehicle_id": "van-3", "lat": 60.17, "lon": 24.94}

``at`` is ISO 8601 (a zone is required, or UTC is assumed) or epoch seconds.
Kinds and their fields: ``position`` (vehicle_id, lat, lon); ``stop_arrived``,
``stop_completed``, ``stop_failed`` (order_id, vehicle_id optional, reason for
a failure); ``carrier_scan`` (order_id, carrier_id, status one of
picked_up / at_hub / sorted / missed_sort / out_for_delivery / delivered /
exception, reason = where); ``incident`` (incident: id, kind, scope, start,
end, speed_factor, extra_minutes, text).  A scope has any of vehicle_id, depot,
carrier_id, polygon ``[[lat, lon], ...]`` or center ``[lat, lon]`` with
radius_m.  See ``docs/monitor.md``.

Parsing raises :class:`~engine.errors.InputError` naming the field
(``item`` is the event id), so one bad event of a batch is reported alone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from engine.domain.monitor import (
    DelayWarning,
    Incident,
    IncidentKind,
    Proposal,
    Scope,
    TrackingEvent,
    TrackKind,
)
from engine.errors import InputError

__all__ = ["SCAN_STATUSES", "event_from_doc", "event_to_doc", "iso", "parse_instant", "warning_to_doc"]

SCAN_STATUSES = ("picked_up", "at_hub", "sorted", "missed_sort", "out_for_delivery", "delivered", "exception")
_KEYS = {"id", "kind", "at", "vehicle_id", "order_id", "lat", "lon", "carrier_id", "status", "reason", "incident"}
_MAX_ID = 128


def parse_instant(value: Any, *, item: str | None, field: str) -> float:
    """Epoch seconds from an ISO 8601 string or a number."""
    if isinstance(value, bool):
        raise InputError("a time must be ISO 8601 or epoch seconds", item=item, field=field)
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"not an ISO 8601 time: {value[:40]!r}", item=item, field=field) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        v = dt.timestamp()
    else:
        raise InputError("a time must be ISO 8601 or epoch seconds", item=item, field=field)
    if not math.isfinite(v) or not 0 <= v < 4.1e9:
        raise InputError("time out of range", item=item, field=field)
    return v


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


def _text(doc: dict[str, Any], key: str, item: str | None, *, required: bool = False, most: int = _MAX_ID) -> str | None:
    v = doc.get(key)
    if v is None:
        if required:
            raise InputError(f"{key} is required", item=item, field=key)
        return None
    if not isinstance(v, str) or not v or len(v) > most:
        raise InputError(f"{key} must be a non-empty string of at most {most} characters", item=item, field=key)
    return v


def _num(doc: dict[str, Any], key: str, item: str | None, lo: float, hi: float, *, prefix: str = "") -> float | None:
    v = doc.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)) or not lo <= float(v) <= hi:
        raise InputError(f"{key} must be a number within {lo:g}..{hi:g}", item=item, field=prefix + key)
    return float(v)


def _point(v: Any, item: str | None, field: str) -> tuple[float, float]:
    if (not isinstance(v, (list, tuple)) or len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v)
            or not -90 <= v[0] <= 90 or not -180 <= v[1] <= 180):
        raise InputError("a point is [lat, lon] with lat in -90..90 and lon in -180..180", item=item, field=field)
    return float(v[0]), float(v[1])


def _incident(doc: Any, item: str | None) -> Incident:
    if not isinstance(doc, dict):
        raise InputError("incident must be an object", item=item, field="incident")
    unknown = set(doc) - {"id", "kind", "scope", "start", "end", "speed_factor", "extra_minutes", "text"}
    if unknown:
        raise InputError(f"unknown field {sorted(unknown)[0]!r}", item=item, field=f"incident.{sorted(unknown)[0]}")
    try:
        kind = IncidentKind(doc.get("kind", "other"))
    except ValueError:
        raise InputError(f"kind must be one of {[k.value for k in IncidentKind]}", item=item, field="incident.kind") from None
    sd = doc.get("scope")
    if not isinstance(sd, dict):
        raise InputError("an incident needs a scope object", item=item, field="incident.scope")
    poly = sd.get("polygon")
    polygon = None
    if poly is not None:
        if not isinstance(poly, list) or len(poly) < 3 or len(poly) > 1000:
            raise InputError("polygon needs 3..1000 [lat, lon] corners", item=item, field="incident.scope.polygon")
        polygon = tuple(_point(p, item, "incident.scope.polygon") for p in poly)
    center = _point(sd["center"], item, "incident.scope.center") if sd.get("center") is not None else None
    radius = _num(sd, "radius_m", item, 1.0, 500_000.0, prefix="incident.scope.")
    if (center is None) != (radius is None):
        raise InputError("a circle needs both center and radius_m", item=item, field="incident.scope.radius_m" if radius is None else "incident.scope.center")
    scope = Scope(_text(sd, "vehicle_id", item), _text(sd, "depot", item), _text(sd, "carrier_id", item), polygon, center, radius)
    if scope.is_empty:
        raise InputError("an incident needs a scope: a vehicle, a depot, a carrier or an area", item=item, field="incident.scope")
    start = parse_instant(doc.get("start"), item=item, field="incident.start")
    end = parse_instant(doc.get("end"), item=item, field="incident.end")
    if end < start:
        raise InputError("an incident must end after it starts", item=item, field="incident.end")
    sf = _num(doc, "speed_factor", item, 0.05, 1.0, prefix="incident.")
    extra = _num(doc, "extra_minutes", item, 0.0, 7 * 24 * 60.0, prefix="incident.")
    if sf is None and extra is None:
        raise InputError("an incident needs a speed_factor (0.6 = speeds -40%) or extra_minutes", item=item, field="incident.speed_factor")
    text = doc.get("text") or ""
    if not isinstance(text, str) or len(text) > 500:
        raise InputError("text must be a string of at most 500 characters", item=item, field="incident.text")
    iid = _text(doc, "id", item) or item or "incident"
    return Incident(iid, kind, scope, start, end, 1.0 if sf is None else sf, 60.0 * (extra or 0.0), text)


def event_from_doc(doc: Any) -> TrackingEvent:
    """A :class:`TrackingEvent` from its JSON form (see the module docstring)."""
    if not isinstance(doc, dict):
        raise InputError("an event must be a JSON object", item=None, field="event")
    item = doc.get("id") if isinstance(doc.get("id"), str) else None
    eid = _text(doc, "id", item, required=True)
    unknown = set(doc) - _KEYS
    if unknown:
        raise InputError(f"unknown field {sorted(unknown)[0]!r}", item=item, field=sorted(unknown)[0])
    try:
        kind = TrackKind(doc.get("kind"))
    except ValueError:
        raise InputError(f"kind must be one of {[k.value for k in TrackKind]}", item=item, field="kind") from None
    at = parse_instant(doc.get("at"), item=item, field="at")
    status = _text(doc, "status", item, most=32)
    if kind == TrackKind.CARRIER_SCAN and status not in SCAN_STATUSES:
        raise InputError(f"status must be one of {list(SCAN_STATUSES)}", item=item, field="status")
    reason = doc.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise InputError("reason must be a string of at most 500 characters", item=item, field="reason")
    return TrackingEvent(
        eid, kind, at,  # type: ignore[arg-type]
        vehicle_id=_text(doc, "vehicle_id", item), order_id=_text(doc, "order_id", item),
        lat=_num(doc, "lat", item, -90.0, 90.0), lon=_num(doc, "lon", item, -180.0, 180.0),
        carrier_id=_text(doc, "carrier_id", item), status=status, reason=reason,
        incident=_incident(doc["incident"], item) if doc.get("incident") is not None else None,
    )


def event_to_doc(ev: TrackingEvent) -> dict[str, Any]:
    d: dict[str, Any] = {"id": ev.event_id, "kind": str(ev.kind), "at": iso(ev.at)}
    for k in ("vehicle_id", "order_id", "lat", "lon", "carrier_id", "status", "reason"):
        v = getattr(ev, k)
        if v is not None:
            d[k] = v
    if ev.incident is not None:
        i = ev.incident
        sc = i.scope
        scope = {k: v for k, v in (("vehicle_id", sc.vehicle_id), ("depot", sc.depot), ("carrier_id", sc.carrier_id),
                                   ("polygon", [list(p) for p in sc.polygon] if sc.polygon else None),
                                   ("center", list(sc.center) if sc.center else None), ("radius_m", sc.radius_m)) if v is not None}
        d["incident"] = {"id": i.incident_id, "kind": str(i.kind), "scope": scope, "start": iso(i.start), "end": iso(i.end),
                         "speed_factor": i.speed_factor, "extra_minutes": round(i.extra_s / 60.0, 3), "text": i.text}
    return d


def warning_to_doc(w: DelayWarning) -> dict[str, Any]:
    """The stored / served form of a warning (times ISO, plus ``at_s`` for ordering)."""
    p: Proposal | None = w.proposal
    return {
        "warning_id": w.warning_id, "plan_key": w.plan_key, "seq": w.seq, "kind": str(w.kind), "order_id": w.order_id,
        "at": w.at, "at_iso": iso(w.at), "promised_by": iso(w.promised_by), "p_on_time": w.p_on_time,
        "revised_p50": iso(w.revised_p50) if w.revised_p50 > 0 else None,
        "revised_p95": iso(w.revised_p95) if w.revised_p95 > 0 else None,
        "severity": str(w.severity), "lead_min": round(w.lead_s / 60.0, 1), "reason": w.reason,
        "vehicle_id": w.vehicle_id, "carrier_id": w.carrier_id, "cause_event_ids": list(w.cause_event_ids),
        "proposal": None if p is None else {
            "order_id": p.order_id, "from_vehicle": p.from_vehicle, "to_vehicle": p.to_vehicle, "insert_at": p.insert_at,
            "p_before": p.p_before, "p_after": p.p_after, "extra_km": p.extra_km, "meet_lat": p.meet_lat,
            "meet_lon": p.meet_lon, "text": p.text},
        "accepted": w.accepted,
    }
