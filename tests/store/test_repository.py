import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from engine.domain.plan import JobStatus
from engine.errors import NotFoundError
from engine.store.repository import RawJSON, Store


@pytest.fixture()
def store() -> Store:
    """In-memory SQLite, or PostgreSQL (emptied) when PROMISE_TEST_PG_URL is set (CI runs both)."""
    pg = os.environ.get("PROMISE_TEST_PG_URL")
    if not pg:
        return Store("sqlite://")
    s = Store(pg)
    with s.engine.begin() as conn:
        conn.execute(text("TRUNCATE plans, promises, events RESTART IDENTITY"))
    return s


def test_plan_lifecycle(store: Store) -> None:
    pid = store.create_plan({"orders": [{"order_id": "a"}]})
    assert store.get_plan(pid).status is JobStatus.QUEUED
    store.update_plan(pid, "done", result={"cost": 12.5, "at": datetime(2026, 1, 1, tzinfo=timezone.utc)})
    got = store.get_plan(pid)
    assert got.status == "done" and got.problem == {"orders": [{"order_id": "a"}]}
    assert got.result == {"cost": 12.5, "at": "2026-01-01T00:00:00+00:00"}
    assert store.get_plan("nope") is None
    with pytest.raises(NotFoundError):
        store.update_plan("nope", "done")


def test_documents_given_as_json_text_are_stored_as_documents(store: Store) -> None:
    pid = store.create_plan(RawJSON('{"orders": [{"id": "a", "lat": 60.17}]}'), {"time_limit": 3})
    before = store.get_plan(pid)
    assert before.problem == {"orders": [{"id": "a", "lat": 60.17}]} and before.params == {"time_limit": 3}
    store.update_plan(pid, JobStatus.RUNNING)
    running = store.get_plan(pid)
    assert running.attempts == 1 and running.heartbeat_at is not None
    store.update_plan(pid, JobStatus.DONE, result=RawJSON('{"routes": [], "cost": 1.5}'))
    got = store.get_plan(pid)
    assert got.status is JobStatus.DONE and got.result == {"routes": [], "cost": 1.5} and got.error is None
    assert got.problem == before.problem and got.updated_at >= before.updated_at
    # The text is stored as it is: a plain string stays a JSON string, not a document.
    other = store.create_plan({"name": '{"not": "parsed"}'})
    assert store.get_plan(other).problem == {"name": '{"not": "parsed"}'}


def test_promises_and_events(store: Store) -> None:
    at = datetime(2026, 11, 11, 10, tzinfo=timezone.utc)
    pid = store.save_promise("o1", "own", "same_day", at, 0.95, {"order_id": "o1", "service": "same_day"})
    assert store.promises_for("o1") == [{"order_id": "o1", "service": "same_day", "promise_id": pid}]
    assert store.promises_for("o2") == []
    store.add_event("delay_warning", at, order_id="o1", payload={"revised_p95": "12:00"})
    store.add_event("promise_made", at.replace(hour=9), order_id="o1")
    kinds = [e["kind"] for e in store.events_for("o1")]
    assert kinds == ["promise_made", "delay_warning"]


def test_migrations_match_the_tables(tmp_path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.store.tables import Base

    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_database_from_before_migrations_is_adopted(tmp_path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    eng = sa.create_engine(url)
    with eng.begin() as c:  # the first releases' plans table, created without Alembic
        c.execute(sa.text("CREATE TABLE plans (plan_id VARCHAR(36) PRIMARY KEY, status VARCHAR(16), problem JSON, "
                          "result JSON, error TEXT, created_at DATETIME, updated_at DATETIME)"))
        c.execute(sa.text("INSERT INTO plans VALUES ('p1', 'done', '{}', '{\"cost\": 1}', NULL, '2026-01-01', '2026-01-01')"))
    store = Store(url)
    job = store.get_plan("p1")
    assert job is not None and job.status == "done" and job.result == {"cost": 1} and job.attempts == 0


def test_recover_requeues_or_fails_interrupted_solves(store: Store) -> None:
    a = store.create_plan({}, {"time_limit": 1})
    b = store.create_plan({}, {"time_limit": 1})
    c = store.create_plan({}, {"time_limit": 1})
    store.update_plan(a, JobStatus.RUNNING)  # died once
    store.update_plan(b, JobStatus.RUNNING)
    store.update_plan(b, JobStatus.QUEUED)
    store.update_plan(b, JobStatus.RUNNING)  # died twice
    queued = store.recover(max_attempts=2)
    assert [j.plan_id for j in queued] == [a, c]
    assert store.get_plan(b).status is JobStatus.FAILED and "restarted" in store.get_plan(b).error
    assert store.get_plan(a).params == {"time_limit": 1}


def test_prune_keeps_running_and_recent_plans(store: Store) -> None:
    ids = [store.create_plan({}) for _ in range(5)]
    for i in ids[:4]:
        store.update_plan(i, JobStatus.DONE, result={})
    assert store.prune(keep_days=30, max_plans=3) == 2
    left = {i for i in ids if store.get_plan(i) is not None}
    assert ids[4] in left and len(left) == 3


def test_a_broken_or_deleted_database_is_unavailable_not_a_crash(tmp_path) -> None:
    from engine.errors import UnavailableError

    path = tmp_path / "broken.db"
    store = Store(f"sqlite:///{path}")
    store.ping()
    path.write_bytes(b"this is not a database" * 100)  # corrupted under the server
    with pytest.raises(UnavailableError, match="database unavailable"):
        store.create_plan({})
    with pytest.raises(UnavailableError):
        store.ping()
    path.unlink()  # deleted under the server: writes would go to a file nobody reads
    with pytest.raises(UnavailableError, match="gone"):
        store.ping()
