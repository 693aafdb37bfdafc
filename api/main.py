"""The FastAPI application: includes each router explicitly and maps engine errors to HTTP.

Run with ``promise serve`` or ``uvicorn api.main:app``.

Errors: every deliberate engine error carries its HTTP status
(:mod:`engine.errors`); input errors become 422 in FastAPI's own shape
(``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``), so clients parse
one format.  Validation errors never echo the request back: the input may be
50 MB, or hold text that cannot be encoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import get_store, store_for
from api.jobs import SolveService, stop_pool
from api.limits import Guard, Timings
from api.auth import SECURITY_SCHEMES, limit_plans, require
from api.routers import health, keys, plans, promises, quotes
from api.routers import events as monitor_events, warnings as monitor_warnings
from api.routers import carriers, customers, tickets
from engine import __version__
from engine.config import Settings
from engine.domain.access import Role
from engine.io.schema import ProblemDoc
from engine.errors import BusyError, EngineError, InputError, UnavailableError

log = logging.getLogger(__name__)

#: What any route may answer besides its own codes (the guards in ``api.limits``, body parsing).
_COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not parseable (not UTF-8 JSON)"},
    401: {"description": "No API key, or an invalid or revoked one"},
    403: {"description": "The key's role may not use this route"},
    413: {"description": "The body is over this route's size limit"},
    422: {"description": "Invalid input: ``detail[].loc`` names the field"},
    503: {"description": "Overloaded or the database is unavailable: retry after ``Retry-After`` seconds"},
}

#: Longest message text a validation error may carry back.
_MAX_MSG = 300


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; ``settings`` replaces the environment's (``promise serve --db``, tests)."""
    app = FastAPI(
        title="promise-engine",
        version=__version__,
        description="Dispatch plans, delivery quotes and 95%-on-time promise checks.",
        lifespan=_lifespan,
        responses=_COMMON_RESPONSES,
    )
    # The app's settings live on its state (not in a dependency override: FastAPI re-analyses
    # an overridden dependency on every request, which the checkout path cannot afford).
    app.state.settings = settings if settings is not None else Settings()
    app.state.timings = Timings()  # server-side request times, reported by /readyz
    app.add_middleware(Guard, settings_fn=lambda: app.state.settings, timings=app.state.timings)
    app.include_router(health.router)  # open: load balancers and orchestrators probe it
    app.include_router(plans.router, dependencies=[Depends(require(Role.DISPATCHER)), Depends(limit_plans)])
    app.include_router(quotes.router, dependencies=[Depends(require(Role.CHECKOUT))])
    app.include_router(promises.router, dependencies=[Depends(require(Role.CHECKOUT))])
    app.include_router(monitor_events.router, dependencies=[Depends(require(Role.DISPATCHER))])
    app.include_router(monitor_warnings.router, dependencies=[Depends(require(Role.DISPATCHER))])
    app.include_router(carriers.router, dependencies=[Depends(require(Role.DISPATCHER))])
    app.include_router(tickets.router, dependencies=[Depends(require(Role.AGENT))])
    app.include_router(customers.router, dependencies=[Depends(require(Role.AGENT))])
    app.include_router(keys.router, dependencies=[Depends(require(Role.ADMIN))])
    _document_models(app, ProblemDoc)

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.http_status,
            content={"detail": [{"loc": ["body", *exc.loc], "msg": _safe_text(str(exc)), "type": "value_error"}]},
        )

    @app.exception_handler(EngineError)
    async def _engine_error(_: Request, exc: EngineError) -> JSONResponse:
        headers = {}
        if isinstance(exc, (UnavailableError, BusyError)) and exc.retry_after_s is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
        if exc.http_status >= 500 and not isinstance(exc, UnavailableError):
            log.error("engine error", exc_info=exc)
        return JSONResponse(status_code=exc.http_status, content={"detail": _safe_text(str(exc))}, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        for e in errors:
            if e.get("type") == "too_long" and tuple(e.get("loc", ()))[:2] == ("body", "orders"):
                # Too many orders is a size limit, like a too-large body: 413, not "invalid".
                n, most = (e.get("ctx") or {}).get("actual_length"), (e.get("ctx") or {}).get("max_length")
                return JSONResponse(
                    status_code=413,
                    content={"detail": f"{n:,} orders; at most {most:,} per plan (split the day by depot or region)"},
                )
        return JSONResponse(status_code=422, content={"detail": validation_detail(errors)})

    return app


def _document_models(app: FastAPI, *models: type[BaseModel]) -> None:
    """Add to the OpenAPI spec what routes do themselves: models they read off the event loop,
    and the API key that ``api.auth.get_key`` reads from the headers (its security schemes)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = base()
            components = spec.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for m in models:
                js = m.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(js.pop("$defs", {}))
                schemas[m.__name__] = js
            components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
            open_paths = {getattr(r, "path", None) for r in health.router.routes}  # the one router included without a key
            for path, ops in spec.get("paths", {}).items():
                if path not in open_paths:
                    for op in ops.values():
                        op["security"] = [{name: []} for name in SECURITY_SCHEMES]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


#: Longest the start-up waits for the worker processes to spawn and warm before serving anyway
#: (a cold numba cache compiles for minutes; the workers go on warming meanwhile).
_WARM_TIMEOUT_S = 45.0


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    override = app.dependency_overrides.get(get_store)
    store = override() if override is not None else store_for(settings.db_url)
    app.state.store = store
    solves = SolveService(store, settings)
    app.state.solves = solves
    solves.start()  # spawns and warms the solvers; re-queues what a crashed or stopped server left behind
    warming = solves.warming()
    try:  # load (and so validate) the served model now, not on the first checkout
        from engine.promise import current_model

        current_model()
    except Exception:  # noqa: BLE001 - a broken model dir is reported on the first quote instead
        log.exception("the served ETA model could not be loaded")
    if not settings.solve_in_threads:
        # Plan bodies are validated in a process of their own (see api.routers.plans).
        pool = plans.parse_pool()
        app.state.parse_pool = pool
        warming.append(pool.submit(plans.parser_ready))
    # Serve only once every worker process is up and warm: a burst right after start-up
    # must not pay for spawning processes and importing numba and OR-Tools on the cores
    # that answer it (uvicorn accepts connections after this start-up).
    done, pending = await asyncio.wait([asyncio.wrap_future(f) for f in warming], timeout=_WARM_TIMEOUT_S)
    for f in done:
        if f.exception() is not None:
            log.error("a worker process failed to warm up", exc_info=f.exception())
    if pending:
        log.warning("%d worker process(es) still warming after %.0f s; serving anyway", len(pending), _WARM_TIMEOUT_S)
    # Everything loaded so far lives as long as the server: keep it out of the collector's
    # sight, so a full collection during a burst walks only the requests' own objects.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # an app served in a longer-lived process (tests) leaves its objects collectable
        solves.shutdown()
        pool = getattr(app.state, "parse_pool", None)
        if pool is not None:
            stop_pool(pool)
            app.state.parse_pool = None


def validation_detail(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's error list without the echoed input, with text safe to encode."""
    out = []
    for e in list(errors)[:20]:
        out.append(
            {
                "loc": [p if isinstance(p, int) else _safe_text(str(p))[:100] for p in e.get("loc", ())][:20],
                "msg": _safe_text(str(e.get("msg", "")))[:_MAX_MSG],
                "type": str(e.get("type", "value_error")),
            }
        )
    return out


def _safe_text(text: str) -> str:
    # A lone surrogate in a message (quoting the bad input) would fail to encode as UTF-8.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


app = create_app()
