"""The FastAPI application: mounts the routers, maps engine errors to 422.

Run with ``promise serve`` or ``uvicorn api.main:app``.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from engine import __version__
from engine.domain.problem import ModelError

_ROUTERS = ("health", "plans", "quotes", "promises")


def create_app() -> FastAPI:
    app = FastAPI(
        title="promise-engine",
        version=__version__,
        description="Dispatch plans, delivery quotes and 95%-on-time promise checks.",
    )
    for name in _ROUTERS:
        try:
            mod = importlib.import_module(f"api.routers.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"api.routers.{name}":
                raise
            continue
        app.include_router(mod.router)

    @app.exception_handler(ModelError)
    async def _model_error(_: Request, exc: ModelError) -> JSONResponse:
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": ["body", exc.item, exc.field], "msg": str(exc), "type": "value_error"}]},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default handler echoes the input back and cannot serialise a NaN
        # (Python's JSON parser accepts ``{"lat": NaN}``), which would turn a client
        # error into a 500.
        return JSONResponse(status_code=422, content={"detail": _json_safe(jsonable_encoder(exc.errors()))})

    return app


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


app = create_app()
