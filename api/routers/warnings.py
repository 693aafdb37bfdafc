"""Live monitor output: warnings with filters and paging, a Server-Sent Events stream, and rescue acceptance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import get_store
from api.routers.events import get_monitor
from api.schemas.monitor import WarningOut, WarningPage
from engine.errors import NotFoundError
from engine.monitor.records import parse_instant
from engine.monitor.service import MonitorService
from engine.store.repository import Store

router = APIRouter(prefix="/v1/warnings", tags=["monitor"])

Severity = Literal["info", "minor", "major", "critical"]
Kind = Literal["delay", "recovered", "broken", "unknown"]


@router.get("", response_model=WarningPage)
def list_warnings(
    store: Store = Depends(get_store),
    since: str | None = Query(None, description="Only notices raised at or after this time (ISO 8601 or epoch seconds)."),
    severity: list[Severity] | None = Query(None, description="One or more severities."),
    order: str | None = Query(None, max_length=128, description="One order's notices."),
    kind: Kind | None = Query(None),
    plan_key: str | None = Query(None, max_length=64),
    cursor: int = Query(0, ge=0, le=2**62, description="next_cursor of the previous page."),
    limit: int = Query(100, ge=1, le=1000),
) -> WarningPage:
    """Stored notices in the order they were raised, filtered and paged."""
    t = parse_instant(since, item="query", field="since") if since is not None else None
    rows = store.monitor_warnings(plan_key=plan_key, since=t, severity=list(severity) if severity else None,
                                  order_id=order, kind=kind, after=cursor, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return WarningPage(items=[WarningOut(**r) for r in rows], next_cursor=rows[-1]["row_no"] if more and rows else None)


@router.get("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}, "description": "One `warning` event per notice; `id:` is its row_no."}})
async def stream(
    request: Request,
    store: Store = Depends(get_store),
    severity: list[Severity] | None = Query(None),
    after: int = Query(0, ge=0, le=2**62, description="Start after this row_no (or send Last-Event-ID)."),
    max_s: float = Query(300.0, gt=0, le=3600, description="Close the stream after this many seconds (clients reconnect with Last-Event-ID)."),
    poll_s: float = Query(0.5, ge=0.05, le=10),
    last_event_id: str | None = Header(None),
    accept: str | None = Header(None),
) -> StreamingResponse:
    """Server-Sent Events: every new notice as it is stored, for dashboards.

    The connection stays open (up to ``max_s``) for clients that send
    ``Accept: text/event-stream``, as ``EventSource`` does; any other client
    gets the notices stored so far as events and the stream ends.
    """
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() and len(last_event_id) < 19 else after
    sev = list(severity) if severity else None
    live = "text/event-stream" in (accept or "")

    async def gen() -> AsyncIterator[bytes]:
        cur = start
        loop = asyncio.get_running_loop()
        end = loop.time() + max_s
        yield b": promise-engine warnings\n\n"
        while loop.time() < end:
            if await request.is_disconnected():
                return
            rows = await run_in_threadpool(store.monitor_warnings, severity=sev, after=cur, limit=500)
            for r in rows:
                cur = r["row_no"]
                body = WarningOut(**r).model_dump_json()
                yield f"id: {cur}\nevent: warning\ndata: {body}\n\n".encode()
            if not rows:
                if not live:
                    return
                await asyncio.sleep(poll_s)

    return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/{warning_id}", response_model=WarningOut, responses={404: {"description": "No such warning"}})
def get_warning(warning_id: str, store: Store = Depends(get_store)) -> WarningOut:
    w = store.monitor_warning(warning_id)
    if w is None:
        raise NotFoundError(f"no warning {warning_id!r}")
    return WarningOut(**w)


@router.post("/{warning_id}/accept", response_model=list[WarningOut], responses={404: {"description": "No such warning or no open proposal"}})
def accept(warning_id: str, svc: MonitorService = Depends(get_monitor)) -> list[WarningOut]:
    """Apply the rescue proposed with this warning to the watched plan; returns the notices of the new forecast."""
    return [WarningOut(**d) for d in svc.accept(warning_id)]

