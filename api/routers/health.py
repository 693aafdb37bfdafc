"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: it can do its work)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.deps import get_store
from engine import __version__
from engine.errors import UnavailableError
from engine.store.repository import Store

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    # async and dependency-free: answers even when every thread and the database are busy.
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "Not ready: the reason is in 'database'"}})
def readyz(request: Request, store: Store = Depends(get_store)) -> JSONResponse:
    solves = getattr(request.app.state, "solves", None)
    body: dict[str, object] = {"version": __version__}
    if solves is not None:
        body["solves_in_flight"] = solves.in_flight()
        body["solve_capacity"] = solves.capacity
    timings = getattr(request.app.state, "timings", None)
    if timings is not None:
        body["requests"] = timings.summary()
    try:
        store.ping()
    except UnavailableError as exc:
        return JSONResponse(status_code=503, content={**body, "status": "unavailable", "database": str(exc)}, headers={"Retry-After": "5"})
    return JSONResponse(content={**body, "status": "ok", "database": "ok"})
