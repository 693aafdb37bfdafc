"""Request and response bodies of the live monitor: events in, warnings out.

The event models document the formats in the OpenAPI spec; the events
themselves are parsed one by one by :func:`engine.monitor.records.event_from_doc`
so that a bad event in a batch is reported alone (its field named) while the
rest are applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EventBatch",
    "EventIn",
    "EventResultOut",
    "IncidentIn",
    "IngestResponse",
    "MonitorParamsIn",
    "MonitorStartIn",
    "MonitorStartOut",
    "ProposalOut",
    "ScopeIn",
    "WarningOut",
    "WarningPage",
    "events_request_schema",
]

Instant = Union[datetime, float]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeIn(_In):
    """What an incident touches: at least one of these."""

    vehicle_id: str | None = Field(None, description="One vehicle (a breakdown).")
    depot: str | None = Field(None, description="Every vehicle leaving this depot (a sorting error).")
    carrier_id: str | None = Field(None, description="Every parcel with this carrier (a carrier delay).")
    polygon: list[tuple[float, float]] | None = Field(None, min_length=3, description="A road area: [[lat, lon], ...] corners.")
    center: tuple[float, float] | None = Field(None, description="A road area: circle centre [lat, lon] ...")
    radius_m: float | None = Field(None, gt=0, description="... and radius in metres.")


class IncidentIn(_In):
    id: str = Field(..., description="The incident's id (a later event with the same incident id replaces it).")
    kind: Literal["traffic", "weather", "sorting_error", "vehicle_breakdown", "carrier_delay", "other"] = "other"
    scope: ScopeIn
    start: Instant = Field(..., description="ISO 8601 (UTC if no zone) or epoch seconds.")
    end: Instant
    speed_factor: float | None = Field(None, gt=0, le=1, description="Speeds in scope times this: 0.6 = -40%.")
    extra_minutes: float | None = Field(None, ge=0, description="A fixed delay: a repair, the next sort run.")
    text: str = Field("", max_length=500, description="The reason customers are told, e.g. 'snow in the northern districts, speeds -40%'.")


class EventIn(_In):
    """One tracking event.  ``id`` makes a repeat a no-op; events are applied by their own ``at``.

    Fields by ``kind``: ``position``: vehicle_id, lat, lon. ``stop_arrived`` /
    ``stop_completed`` / ``stop_failed``: order_id (vehicle_id optional; reason
    for a failure). ``carrier_scan``: order_id, carrier_id, status, reason
    (where). ``incident``: incident.
    """

    id: str = Field(..., min_length=1, max_length=128)
    kind: Literal["position", "stop_arrived", "stop_completed", "stop_failed", "carrier_scan", "incident"]
    at: Instant = Field(..., description="When it happened: ISO 8601 (UTC if no zone) or epoch seconds; at most an hour past the newest event or now.")
    vehicle_id: str | None = Field(None, max_length=128)
    order_id: str | None = Field(None, max_length=128)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    carrier_id: str | None = Field(None, max_length=128)
    status: Literal["picked_up", "at_hub", "sorted", "missed_sort", "out_for_delivery", "delivered", "exception"] | None = None
    reason: str | None = Field(None, max_length=500, description="Why a stop failed; where a carrier scan happened.")
    incident: IncidentIn | None = None


class EventBatch(_In):
    # Items are judged one by one: an item that is not a valid EventIn is reported as rejected in
    # ``results`` (the field named) while the rest are applied, so the batch itself stays valid.
    events: list[EventIn | dict[str, Any]] = Field(
        ..., max_length=5000,
        description="Up to 5,000 events (EventIn); each is judged on its own and a bad one is reported in results, not refused with the batch.",
    )


def events_request_schema() -> dict[str, Any]:
    """The request body of POST /v1/events for the OpenAPI spec: one event or a batch."""
    from pydantic import TypeAdapter

    here = "#/paths/~1v1~1events/post/requestBody/content/application~1json/schema/$defs/{model}"
    return TypeAdapter(Union[EventIn, EventBatch]).json_schema(ref_template=here)


class EventResultOut(BaseModel):
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    errors: list[dict[str, Any]] = Field(default_factory=list, description="For a rejected event: [{loc, msg, type}] naming the field.")


class ProposalOut(BaseModel):
    order_id: str
    from_vehicle: str
    to_vehicle: str
    insert_at: int
    p_before: float
    p_after: float
    extra_km: float
    meet_lat: float | None = None
    meet_lon: float | None = None
    text: str


class WarningOut(BaseModel):
    """A monitor notice about one order: ``delay``, ``recovered``, ``broken`` or ``unknown``."""

    warning_id: str
    row_no: int | None = Field(None, description="Arrival order in the store (the paging cursor and SSE id).")
    plan_key: str
    seq: int = Field(..., description="The order's notice number: one per change of state.")
    kind: Literal["delay", "recovered", "broken", "unknown"]
    order_id: str
    at_iso: str = Field(..., description="Event time the notice was raised at.")
    promised_by: str
    p_on_time: float = Field(..., description="P(delivered by the promise) at that time.")
    revised_p50: str | None = None
    revised_p95: str | None = Field(None, description="Revised latest arrival at the checkout promise's 95% level.")
    severity: Literal["info", "minor", "major", "critical"]
    lead_min: float = Field(..., description="Minutes from the notice to the promise.")
    reason: str = Field(..., description="From the events that caused it, e.g. 'van-3 broke down at 14:05'.")
    vehicle_id: str | None = None
    carrier_id: str | None = None
    cause_event_ids: list[str] = Field(default_factory=list)
    proposal: ProposalOut | None = Field(None, description="A rescue: POST /v1/warnings/{id}/accept applies it.")
    accepted: bool = False


class IngestResponse(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResultOut]
    warnings: list[WarningOut]


class WarningPage(BaseModel):
    items: list[WarningOut]
    next_cursor: int | None = Field(None, description="Pass as ?cursor= for the next page; null at the end.")


class MonitorParamsIn(_In):
    warn_below: float = Field(0.8, gt=0, le=1)
    clear_above: float = Field(0.9, gt=0, le=1)
    confirm_s: float = Field(1200.0, ge=0, description="A minor risk is warned once it has lasted this long; major and critical at once.")
    silent_after_s: float = Field(600.0, gt=0)
    future_tolerance_s: float = Field(3600.0, gt=0)
    samples: int = Field(200, ge=16, le=5000)
    pace_prior_s: float = Field(600.0, ge=0)
    rescue: bool = True
    auto_apply: bool = Field(False, description="Apply the best rescue at once instead of waiting for accept.")
    neighbour_km: float = Field(3.0, gt=0, le=50)
    max_takeovers: int = Field(3, ge=0, le=1000, description="Most orders one van takes over from others in a day.")


class MonitorStartIn(_In):
    """Watch a plan: a finished ``plan_id`` from POST /v1/plans, or a plan document with its promises."""

    plan_id: str | None = None
    plan: dict[str, Any] | None = Field(None, description="A plan document (the `result` of GET /v1/plans/{id}).")
    promises: dict[str, Instant] = Field(default_factory=dict, description="Order id -> promised by; default: each stop's window end.")
    params: MonitorParamsIn = Field(default_factory=MonitorParamsIn)
    seed: int = Field(0, ge=0)
    plan_key: str | None = Field(None, max_length=64, description="Name of the watch (default: the plan id, or a new uuid).")


class MonitorStartOut(BaseModel):
    plan_key: str
    orders: int
    vehicles: int
    warnings: list[WarningOut]
