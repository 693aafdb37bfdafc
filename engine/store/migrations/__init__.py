"""Alembic migrations of the store (run by ``Store`` at start-up; ``alembic`` CLI works too)."""
