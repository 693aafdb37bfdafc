"""A fresh store per test: SQLite in a temp dir, or PostgreSQL when PROMISE_TEST_PG_URL is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.store.repository import Store

#: Tables of tickets and the outbox, emptied before each PostgreSQL test (SQLite gets a new file).
TABLES = ("outbox_attempts", "outbox", "ticket_changes", "tickets", "order_customers", "customers")


def make_store(tmp_path: Path) -> Store:
    pg = os.environ.get("PROMISE_TEST_PG_URL")
    if not pg:
        return Store(f"sqlite:///{tmp_path / 'tickets.db'}")
    store = Store(pg)
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY"))
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = make_store(tmp_path)
    yield s
    s.engine.dispose()
