"""API keys: 401 without one, 403 for the wrong role, revoked keys stop working, keys are never stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.deps import get_store
from api.main import create_app
from engine.config import Settings
from engine.store.repository import Store
from tests.api.server import key_for

LAT, LON = 60.17, 24.94
DAY = {
    "depots": [{"id": "D1", "lat": LAT, "lon": LON}],
    "vehicle_types": [{"id": "van", "count": 1, "start_depot": "D1"}],
    "orders": [{"id": "o1", "lat": LAT, "lon": LON}],
}
QUOTE = {"destination": {"lat": 60.1699, "lon": 24.9384}, "items": [{"weight_kg": 1}], "order_time": "2026-11-11T10:40:00+02:00"}


@pytest.fixture()
def app_store():
    app = create_app(Settings(solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000, plans_per_minute=3))
    store = Store("sqlite://")
    app.dependency_overrides[get_store] = lambda: store
    with TestClient(app) as c:
        yield c, store


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_no_key_is_401_and_health_and_docs_stay_open(app_store) -> None:
    c, _ = app_store
    assert c.post("/v1/plans", json=DAY).status_code == 401
    assert c.get("/v1/keys").status_code == 401
    assert c.post("/v1/plans", json=DAY, headers=_h("pe_nothing_here")).status_code == 401
    assert c.get("/healthz").status_code == 200
    assert c.get("/openapi.json").status_code == 200


def test_roles(app_store) -> None:
    c, store = app_store
    checkout, dispatcher, admin = key_for(store, "checkout"), key_for(store, "dispatcher"), key_for(store, "admin")
    assert c.post("/v1/plans", json=DAY, headers=_h(checkout)).status_code == 403
    assert c.post("/v1/plans", json=DAY, headers=_h(dispatcher)).status_code == 202
    assert c.post("/v1/plans", json=DAY, headers={"X-API-Key": admin}).status_code == 202
    assert c.get("/v1/keys", headers=_h(dispatcher)).status_code == 403
    assert c.get("/v1/keys", headers=_h(admin)).status_code == 200
    assert c.post("/v1/quotes", json=QUOTE, headers=_h(checkout)).status_code == 200
    assert c.post("/v1/quotes", json=QUOTE, headers=_h(dispatcher)).status_code == 403
    assert c.post("/v1/quotes", json=QUOTE).status_code == 401


def test_created_key_works_once_shown_and_revoked_key_stops(app_store, monkeypatch) -> None:
    import api.auth

    monkeypatch.setattr(api.auth, "_CACHE_S", 0.0)
    c, store = app_store
    admin = key_for(store, "admin")
    r = c.post("/v1/keys", json={"role": "dispatcher", "name": "van app"}, headers=_h(admin))
    assert r.status_code == 201
    new = r.json()
    assert new["key"].startswith("pe_") and new["role"] == "dispatcher"
    listed = c.get("/v1/keys", headers=_h(admin)).json()
    assert all("key" not in k for k in listed) and new["id"] in {k["id"] for k in listed}
    from sqlalchemy import text

    with store.engine.connect() as conn:  # the key text is nowhere in the database
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM api_keys")) for v in row)
    assert new["key"].split("_", 2)[2] not in dump
    assert c.post("/v1/plans", json=DAY, headers=_h(new["key"])).status_code == 202
    assert c.delete(f"/v1/keys/{new['id']}", headers=_h(admin)).status_code == 204
    assert c.post("/v1/plans", json=DAY, headers=_h(new["key"])).status_code == 401


def test_plan_submissions_are_limited_per_key(app_store) -> None:
    c, store = app_store
    k1, k2 = key_for(store, "dispatcher"), key_for(store, "dispatcher")
    codes = [c.post("/v1/plans", json=DAY, params={"time_limit": 0.5}, headers=_h(k1)).status_code for _ in range(4)]
    assert codes[:3] == [202, 202, 202] and codes[3] == 429
    assert c.post("/v1/plans", json=DAY, params={"time_limit": 0.5}, headers=_h(k2)).status_code == 202
    assert c.get("/healthz").status_code == 200


def test_cli_creates_a_key_the_api_accepts(tmp_path) -> None:
    from engine.cli import app as cli

    db = f"sqlite:///{tmp_path / 'k.db'}"
    res = CliRunner().invoke(cli, ["keys", "create", "--role", "dispatcher", "--db", db])
    assert res.exit_code == 0, res.output
    key = res.stdout.strip().splitlines()[0]
    app = create_app(Settings(db_url=db, solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000))
    with TestClient(app) as c:
        assert c.post("/v1/plans", json=DAY, params={"time_limit": 0.5}, headers=_h(key)).status_code == 202
    bad = CliRunner().invoke(cli, ["keys", "create", "--role", "boss", "--db", db])
    assert bad.exit_code == 2 and "unknown role" in bad.output


def test_an_expired_key_is_rechecked_in_the_background_while_requests_use_the_last_verdict(monkeypatch) -> None:
    import asyncio
    import time as _time
    from types import SimpleNamespace

    import api.auth
    from engine.domain.access import Role
    from engine.store.keys import ApiKey

    calls: list[str] = []
    gate = asyncio.Event()
    fresh = ApiKey("k1", Role.CHECKOUT, "fresh", created_at=None)  # type: ignore[arg-type]

    async def slow_verify(fn, store, text, settings):  # the database read, held until released
        calls.append(text)
        await gate.wait()
        return fresh

    monkeypatch.setattr(api.auth, "run_in_threadpool", slow_verify)
    monkeypatch.setattr(api.auth, "store_of", lambda app: None)
    stale = ApiKey("k1", Role.CHECKOUT, "stale", created_at=None)  # type: ignore[arg-type]
    monkeypatch.setitem(api.auth._cache, "pe_x", (_time.monotonic() - 1.0, stale))  # expired a second ago
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(auth=True)), dependency_overrides={})
    request = SimpleNamespace(app=app, headers={"authorization": "Bearer pe_x"})

    async def main() -> list:
        # None waits for the re-check (bounded: a request that did would hang on the gate).
        during = [await asyncio.wait_for(api.auth.get_key(request), 2.0) for _ in range(5)]
        gate.set()
        for _ in range(100):
            if "pe_x" not in api.auth._checking:
                break
            await asyncio.sleep(0.01)
        return [*during, await asyncio.wait_for(api.auth.get_key(request), 2.0)]

    got = asyncio.run(main())
    assert calls == ["pe_x"]  # one re-check for all of them
    assert [k.name for k in got] == ["stale"] * 5 + ["fresh"]
    assert "pe_x" not in api.auth._checking
