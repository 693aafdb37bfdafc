from datetime import datetime, timezone

import pytest

from engine.domain.plan import JobStatus
from engine.errors import NotFoundError
from engine.store.repository import Store


@pytest.fixture()
def store() -> Store:
    return Store("sqlite://")


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


def test_promises_and_events(store: Store) -> None:
    at = datetime(2026, 11, 11, 10, tzinfo=timezone.utc)
    pid = store.save_promise("o1", "own", "same_day", at, 0.95, {"order_id": "o1", "service": "same_day"})
    assert store.promises_for("o1") == [{"order_id": "o1", "service": "same_day", "promise_id": pid}]
    assert store.promises_for("o2") == []
    store.add_event("delay_warning", at, order_id="o1", payload={"revised_p95": "12:00"})
    store.add_event("promise_made", at.replace(hour=9), order_id="o1")
    kinds = [e["kind"] for e in store.events_for("o1")]
    assert kinds == ["promise_made", "delay_warning"]
