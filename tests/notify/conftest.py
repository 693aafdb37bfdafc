"""The ticket tests' store fixture (SQLite, or PostgreSQL when PROMISE_TEST_PG_URL is set)."""

from tests.tickets.conftest import store  # noqa: F401 -- a pytest fixture, used by name
