"""Shared state for the routers, as FastAPI dependencies (override them in tests)."""

from __future__ import annotations

from functools import lru_cache

from engine.store.repository import Store


@lru_cache(maxsize=1)
def get_store() -> Store:
    return Store()
