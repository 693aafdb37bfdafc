"""Shared state for the routers, as FastAPI dependencies (override them in tests).

One ``Settings`` (read from the environment once), one ``Store``, the served
ETA model and the ``Clock``: routers ask for them with ``Depends`` instead of
reaching for globals, so a test swaps any of them with
``app.dependency_overrides``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from fastapi import Depends, Request

from engine.clock import Clock, WallClock
from engine.config import Settings, get_settings as _settings
from engine.store.repository import Store

if TYPE_CHECKING:  # pragma: no cover
    from engine.eta.model import EtaModel

__all__ = ["get_settings", "get_store", "get_model", "get_clock", "get_solve_service"]


def get_settings() -> Settings:
    return _settings()


@lru_cache(maxsize=4)
def _store_for(url: str) -> Store:
    return Store(url)


def get_store(settings: Settings = Depends(get_settings)) -> Store:
    return _store_for(settings.db_url)


def get_model() -> "EtaModel":
    from engine.promise import current_model  # the model loads on first use, not at import

    return current_model()


_CLOCK = WallClock()


def get_clock() -> Clock:
    return _CLOCK


def get_solve_service(request: Request) -> "SolveService":
    """The app's solve queue and worker pool (created in the lifespan, see ``api.main``)."""
    return request.app.state.solves


if TYPE_CHECKING:  # pragma: no cover
    from api.jobs import SolveService
