"""``/v1/plans`` through FastAPI's TestClient, with an in-memory store."""

from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.deps import get_store
from engine.config import Settings
from engine.store.repository import Store
from tests.api.server import key_for
from tests.api.server import wait_for_status as _wait

LAT, LON = 60.17, 24.94

PROBLEM = {
    "name": "api-day",
    "depots": [{"id": "D1", "lat": LAT, "lon": LON, "opening": ["06:00", "22:00"]}],
    "vehicle_types": [{"id": "van", "count": 2, "start_depot": "D1", "capacity": {"parcels": 10, "kg": 200}, "shift": ["08:00", "17:00"]}],
    "carriers": [{"id": "parcelco", "base_cost": 40, "capacity": 5}],
    "orders": [
        {"id": f"o{i}", "lat": LAT + 0.002 * (i % 5), "lon": LON + 0.003 * (i // 5), "size": {"parcels": 1, "kg": 2.5},
         "windows": [["09:00", "12:00"]] if i % 2 else []}
        for i in range(12)
    ],
}


def _client(**settings: object):
    app = create_app(Settings(**settings))
    store = Store("sqlite://")
    app.dependency_overrides[get_store] = lambda: store
    headers = {"Authorization": f"Bearer {key_for(store)}"}
    return TestClient(app, headers=headers)


@pytest.fixture()
def client():
    """Solves in worker processes, as served."""
    with _client(solve_workers=1) as c:
        yield c


@pytest.fixture()
def thread_client():
    """Solves in threads of this process, so a test can patch the solver."""
    with _client(solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000) as c:
        yield c




def test_post_then_get_returns_the_plan(client) -> None:
    r = client.post("/v1/plans", params={"time_limit": 1.5}, json=PROBLEM)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["id"]
    doc = _wait(client.get, body["id"])
    assert doc["status"] == "done", doc.get("error")
    plan = doc["plan"]
    routed = [s["order_id"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "delivery"]
    assert sorted(routed) == sorted(o["id"] for o in PROBLEM["orders"])
    assert plan["cost"] > 0 and plan["trajectory"]


def test_unknown_plan_is_404(client) -> None:
    assert client.get("/v1/plans/nope").status_code == 404


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("orders", 0, "size"), {"parcels": -2}, "size"),
        (("orders", 1, "windows"), [["12:00", "09:00"]], "windows"),
        (("vehicle_types", 0, "count"), -1, "count"),
        (("orders", 0, "colour"), "red", "colour"),
        (("carriers", 0, "on_time_probability"), 1.5, "on_time_probability"),
    ],
)
def test_bad_fields_are_422_naming_the_field(client, path, value, where) -> None:
    doc = copy.deepcopy(PROBLEM)
    section, i, key = path
    doc[section][i][key] = value
    r = client.post("/v1/plans", json=doc)
    assert r.status_code == 422
    locs = [tuple(str(x) for x in d["loc"]) for d in r.json()["detail"]]
    assert any(where in loc for loc in locs), locs


def test_unknown_depot_is_422_via_model_error(client) -> None:
    doc = copy.deepcopy(PROBLEM)
    doc["vehicle_types"][0]["start_depot"] = "XX"
    r = client.post("/v1/plans", json=doc)
    assert r.status_code == 422
    (d,) = r.json()["detail"]
    assert "unknown depot 'XX'" in d["msg"] and "start_depot" in d["loc"]


def test_failed_solve_is_reported_as_failed(thread_client, monkeypatch) -> None:
    import engine.dispatch

    def boom(*a, **k):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(engine.dispatch, "solve", boom)
    r = thread_client.post("/v1/plans", json=PROBLEM)
    doc = _wait(thread_client.get, r.json()["id"])
    assert doc["status"] == "failed" and "solver exploded" in doc["error"] and doc["error"].startswith("internal error")


def test_a_broken_database_is_503_and_readyz_says_why(tmp_path) -> None:
    db = tmp_path / "api.db"
    store = Store(f"sqlite:///{db}")
    key = key_for(store)
    app = create_app(Settings(solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000))
    app.dependency_overrides[get_store] = lambda: store
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as c:
        assert c.get("/readyz").json()["database"] == "ok"
        db.write_bytes(b"not a database" * 200)  # corrupted under the running server
        r = c.post("/v1/plans", json=PROBLEM)
        assert r.status_code == 503 and "database unavailable" in r.json()["detail"] and r.headers.get("retry-after")
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "database unavailable" in ready.json()["database"]
        assert c.get("/healthz").status_code == 200  # alive, not ready
