"""The FastAPI application: mounts the routers, maps engine errors to 422.

Run with ``promise serve`` or ``uvicorn api.app:app``.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from engine import __version__
from engine.model import ModelError

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

    return app


app = create_app()
