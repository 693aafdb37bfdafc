"""Live monitor input: start watching a plan, and tracking events in (one or a batch).

``POST /v1/monitor/start`` watches a plan (a finished ``plan_id`` or a plan
document with its promises); ``POST /v1/events`` takes one event or
``{"events": [...]}``.  A batch answers 200 with a result per event
(accepted / duplicate / rejected with the field named), so one bad event
loses nothing else; a single bad event is a 422 naming the field.
Every write goes through :class:`engine.monitor.service.MonitorService`, so
the state lives in the store and any worker may take any request.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from api.deps import get_clock, get_store
from api.incidents import invalidate
from api.schemas.monitor import (
    EventResultOut,
    IngestResponse,
    MonitorStartIn,
    MonitorStartOut,
    WarningOut,
    events_request_schema,
)
from engine.clock import Clock
from engine.errors import InputError, NotFoundError
from engine.monitor.records import event_from_doc, parse_instant
from engine.monitor.service import MonitorService, params_from_doc
from engine.store.repository import Store

router = APIRouter(tags=["monitor"])

_SERVICES: dict[int, MonitorService] = {}
_MAX_BATCH = 5000


def get_monitor(store: Store = Depends(get_store)) -> MonitorService:
    """One monitor service per store (it caches the last monitor it wrote)."""
    svc = _SERVICES.get(id(store))
    if svc is None or svc.store is not store:
        from engine.io.problem_json import plan_from_dict

        svc = _SERVICES[id(store)] = MonitorService(store, plan_from_dict)
    return svc


@router.post("/v1/monitor/start", response_model=MonitorStartOut, responses={404: {"description": "No such plan"}, 409: {"description": "Plan not finished"}})
def start(body: MonitorStartIn, svc: MonitorService = Depends(get_monitor), store: Store = Depends(get_store)) -> MonitorStartOut:
    """Watch a day's plan; it becomes the active plan that events go to.  Returns the first forecast's warnings."""
    promises = {o: parse_instant(v if not hasattr(v, "timestamp") else v.timestamp(), item="promises", field=o)
                for o, v in body.promises.items()}
    if (body.plan_id is None) == (body.plan is None):
        raise InputError("give either plan_id or plan", item="start", field="plan_id")
    key = body.plan_key
    if body.plan_id is not None:
        job = store.get_plan(body.plan_id)
        if job is None:
            raise NotFoundError(f"no plan with id {body.plan_id!r}")
        if job.result is None:
            from engine.errors import ConflictError

            raise ConflictError(f"plan {body.plan_id!r} is {job.status}, not done")
        plan_doc = job.result
        promises = {**_promises_of(job.problem, plan_doc), **promises}
        key = key or body.plan_id
    else:
        plan_doc = body.plan  # type: ignore[assignment]
    params = params_from_doc(body.params.model_dump())
    key, docs = svc.start(plan_doc, promises or None, params, seed=body.seed, plan_key=key)
    routes = plan_doc.get("routes", [])
    n_orders = sum(1 for r in routes for s in r.get("stops", []) if s.get("kind") == "delivery") + len(plan_doc.get("handoffs", []))
    return MonitorStartOut(plan_key=key, orders=n_orders, vehicles=len(routes), warnings=[WarningOut(**d) for d in docs])


def _promises_of(problem: dict[str, Any], plan_doc: dict[str, Any]) -> dict[str, float]:
    """Promised-by (epoch s) of the orders of a stored problem that carry one."""
    from datetime import datetime

    ds = plan_doc.get("day_start") or problem.get("day_start")
    if not ds:
        return {}
    d0 = datetime.fromisoformat(str(ds).replace("Z", "+00:00")).timestamp()
    out: dict[str, float] = {}
    for o in problem.get("orders", []):
        pb = o.get("promised_by")
        if isinstance(pb, (int, float)):
            out[str(o.get("id") or o.get("order_id"))] = d0 + float(pb)
    return out


@router.post(
    "/v1/events",
    response_model=IngestResponse,
    responses={404: {"description": "No watched plan"}, 413: {"description": "Body too large"}, 422: {"description": "A single event is invalid (the field is named)"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": events_request_schema()}}}},
)
async def ingest(request: Request, svc: MonitorService = Depends(get_monitor), clock: Clock = Depends(get_clock)) -> IngestResponse:
    """One tracking event, or ``{"events": [...]}``: each applied by its own time, a repeated id is a no-op.

    The warnings the events cause are computed and stored before the answer.
    """
    raw = await request.body()
    return await run_in_threadpool(_ingest, raw, svc, clock.now())


def _ingest(raw: bytes, svc: MonitorService, now: float) -> IngestResponse:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RequestValidationError([{"loc": ("body",), "msg": f"not valid JSON: {str(exc)[:200]}", "type": "json_invalid"}]) from None
    single = not (isinstance(doc, dict) and "events" in doc)
    items = [doc] if single else doc["events"]
    if not single:
        extra = set(doc) - {"events"}
        if extra or not isinstance(items, list):
            raise InputError("a batch is {\"events\": [...]}", item="body", field="events" if not extra else sorted(extra)[0])
        if len(items) > _MAX_BATCH:
            raise InputError(f"{len(items)} events; at most {_MAX_BATCH} per batch", item="body", field="events")
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                # Not an event at all: the batch is malformed (a bad event is reported in results instead).
                raise RequestValidationError([{"loc": ("body", "events", i), "msg": "an event must be a JSON object", "type": "dict_type"}])
    parsed: list[Any] = []
    errors: dict[int, InputError] = {}
    for i, it in enumerate(items):
        try:
            parsed.append(event_from_doc(it))
        except InputError as exc:
            errors[i] = exc
            parsed.append(None)
    if single and errors:
        raise errors[0]
    good = [e for e in parsed if e is not None]
    results, docs = svc.ingest(good, now=now) if good else ([], [])
    if any(getattr(e, "incident", None) is not None for e in good):
        invalidate()  # checkout sees a storm this process was just told of, not a few seconds later
    by_id = iter(results)
    out: list[EventResultOut] = []
    for i, it in enumerate(items):
        if i in errors:
            exc = errors[i]
            rid = it.get("id") if isinstance(it, dict) and isinstance(it.get("id"), str) else f"#{i}"
            out.append(EventResultOut(id=rid, status="rejected", errors=[{"loc": ["body", "events", i, *([exc.field] if exc.field else [])], "msg": exc.message, "type": "value_error"}]))
            continue
        r = next(by_id)
        errs = [] if r.status != "rejected" else [{"loc": ["body", *([] if single else ["events", i]), *([r.field] if r.field else [])], "msg": r.message, "type": "value_error"}]
        out.append(EventResultOut(id=r.event_id, status=r.status, errors=errs))
    if single and out and out[0].status == "rejected":
        r = results[0]
        raise InputError(r.message or "invalid event", item=r.event_id, field=r.field)
    return IngestResponse(
        accepted=sum(1 for r in out if r.status == "accepted"),
        duplicates=sum(1 for r in out if r.status == "duplicate"),
        rejected=sum(1 for r in out if r.status == "rejected"),
        results=out,
        warnings=[WarningOut(**d) for d in docs],
    )


@router.get("/v1/monitor/orders/{order_id}", responses={404: {"description": "No watched plan, or no such order on it"}})
def order_state(order_id: str, svc: MonitorService = Depends(get_monitor)) -> dict[str, Any]:
    """Where one order of the watched plan stands: state, severity, P(on time)."""
    return svc.order_state(order_id)
