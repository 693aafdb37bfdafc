"""Shared state for the routers, as FastAPI dependencies (override them in tests).

One ``Settings`` (the app's, set by ``create_app``), one ``Store``, the served
ETA model and the ``Clock``: routers ask for them with ``Depends`` instead of
reaching for globals, so a test swaps any of them with
``app.dependency_overrides``.

They are ``async`` on purpose: a plain ``def`` dependency costs a hop to the
thread pool on every request, which on the checkout path is more than the
quote itself.  None of them blocks (the store is opened once, in the lifespan).
"""

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fastapi import Request

from engine.clock import Clock, WallClock
from engine.config import Settings
from engine.store.repository import Store
from engine.tickets.sla import SlaPolicies

if TYPE_CHECKING:  # pragma: no cover
    from api.jobs import SolveService

__all__ = ["get_settings", "get_store", "store_of", "get_model", "get_clock", "get_solve_service", "store_for", "get_sla"]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


@lru_cache(maxsize=4)
def store_for(url: str) -> Store:
    """The store of a database URL, opened (and migrated) once per process."""
    return Store(url)


async def get_store(request: Request) -> Store:
    return store_of(request.app)


def store_of(app: Any) -> Store:
    """The app's store: an override's (tests), else the one its lifespan opened, else the settings' URL's."""
    override = app.dependency_overrides.get(get_store)
    if override is not None:
        return override()
    store = getattr(app.state, "store", None)
    return store if store is not None else store_for(app.state.settings.db_url)


async def get_model() -> Any:
    from engine.promise import current_model  # the model loads on first use, not at import

    return current_model()


async def get_sla(request: Request) -> SlaPolicies:
    """The desk's SLA policies, from the app's settings (``PROMISE_SLA_*``, ``PROMISE_DESK_*``)."""
    return SlaPolicies.from_settings(request.app.state.settings)


_CLOCK = WallClock()


async def get_clock() -> Clock:
    return _CLOCK


async def get_solve_service(request: Request) -> "SolveService":
    """The app's solve queue and worker pool (created in the lifespan, see ``api.main``)."""
    return request.app.state.solves
