"""``/v1/monitor/start`` and ``/v1/events`` through FastAPI's TestClient."""

from __future__ import annotations

import copy

import pytest

from engine.io.problem_json import plan_to_dict
from engine.monitor.records import event_to_doc, iso
from engine.store.repository import Store
from tests.api.server import client_for
from tests.monitor.helpers import small_day


@pytest.fixture(scope="module")
def day():
    return small_day()


def start_body(day) -> dict:
    return {"plan": plan_to_dict(day.plan), "promises": {o: iso(t) for o, t in day.promises.items()}, "plan_key": "day-3"}


def test_start_then_events_one_and_batch_with_duplicates(day):
    store = Store("sqlite://")
    c = client_for(store)
    r = c.post("/v1/monitor/start", json=start_body(day))
    assert r.status_code == 200, r.text
    assert r.json()["plan_key"] == "day-3" and r.json()["orders"] == len(day.promises)
    docs = [event_to_doc(e) for e in day.events[:300]]
    r = c.post("/v1/events", json=docs[0])
    assert r.status_code == 200 and r.json()["accepted"] == 1
    r = c.post("/v1/events", json={"events": docs})
    body = r.json()
    assert r.status_code == 200
    assert body["duplicates"] == 1 and body["accepted"] == len(docs) - 1 and body["rejected"] == 0
    assert [x["id"] for x in body["results"]] == [d["id"] for d in docs]
    again = c.post("/v1/events", json={"events": docs}).json()
    assert again["duplicates"] == len(docs) and again["warnings"] == []
    assert store.monitor_event_count("day-3") == len(docs)


def test_bad_single_event_is_422_naming_the_field(day):
    store = Store("sqlite://")
    c = client_for(store)
    c.post("/v1/monitor/start", json=start_body(day))
    van = day.plan.routes[0].vehicle_id
    ok = {"id": "x1", "kind": "position", "at": iso(day.events[0].at), "vehicle_id": van, "lat": 60.2, "lon": 24.9}
    cases = [
        ({**ok, "lat": 123.0}, "lat"),
        ({**ok, "vehicle_id": "ghost"}, "vehicle_id"),
        ({**ok, "at": iso(day.events[0].at + 30 * 86400)}, "at"),
        ({**ok, "kind": "teleport"}, "kind"),
        ({**ok, "kind": "incident", "incident": {"id": "i", "kind": "weather", "scope": {}, "start": ok["at"], "end": ok["at"], "speed_factor": 0.5}}, "incident.scope"),
        ({**ok, "kind": "stop_completed", "order_id": "nope"}, "order_id"),
        ({**ok, "colour": "red"}, "colour"),
    ]
    for doc, field in cases:
        r = c.post("/v1/events", json=doc)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["detail"][0]["loc"][-1] == field, (field, r.json())


def test_a_batch_reports_each_bad_event_and_keeps_the_rest(day):
    store = Store("sqlite://")
    c = client_for(store)
    c.post("/v1/monitor/start", json=start_body(day))
    van = day.plan.routes[0].vehicle_id
    at = iso(day.events[0].at)
    batch = [
        {"id": "g1", "kind": "position", "at": at, "vehicle_id": van, "lat": 60.2, "lon": 24.9},
        {"id": "b1", "kind": "position", "at": at, "vehicle_id": van, "lat": 60.2, "lon": 999},
        {"id": "b2", "kind": "position", "at": at, "vehicle_id": "ghost", "lat": 60.2, "lon": 24.9},
        {"id": "g2", "kind": "position", "at": at, "vehicle_id": van, "lat": 60.21, "lon": 24.9},
    ]
    r = c.post("/v1/events", json={"events": batch})
    assert r.status_code == 200
    res = {x["id"]: x for x in r.json()["results"]}
    assert res["g1"]["status"] == res["g2"]["status"] == "accepted"
    assert res["b1"]["status"] == "rejected" and res["b1"]["errors"][0]["loc"] == ["body", "events", 1, "lon"]
    assert res["b2"]["status"] == "rejected" and res["b2"]["errors"][0]["loc"][-1] == "vehicle_id"
    assert store.monitor_event_count("day-3") == 2


def test_events_without_a_watched_plan_are_404():
    c = client_for(Store("sqlite://"))
    r = c.post("/v1/events", json={"id": "a", "kind": "position", "at": 0, "vehicle_id": "v", "lat": 1, "lon": 1})
    assert r.status_code == 404


def test_two_workers_give_the_same_warnings_as_one(day, tmp_path):
    """Two apps (two monitor caches) on one database, batches alternating, vs one app alone."""
    docs = [event_to_doc(e) for e in day.events]
    batches = [docs[i:i + 400] for i in range(0, len(docs), 400)]

    one = Store(f"sqlite:///{tmp_path / 'one.db'}")
    c = client_for(one)
    c.post("/v1/monitor/start", json=start_body(day))
    for b in batches:
        assert c.post("/v1/events", json={"events": b}).status_code == 200

    url = f"sqlite:///{tmp_path / 'two.db'}"
    s1, s2 = Store(url), Store(url)
    w1, w2 = client_for(s1), client_for(s2)
    w1.post("/v1/monitor/start", json=start_body(day))
    for i, b in enumerate(batches):
        assert (w1 if i % 2 else w2).post("/v1/events", json={"events": b}).status_code == 200

    def strip(rows):
        return [{k: v for k, v in r.items() if k != "row_no"} for r in rows]

    a = strip(one.monitor_warnings(limit=10_000))
    b = strip(s1.monitor_warnings(limit=10_000))
    assert a and a == b
    assert any(r["kind"] == "delay" for r in a)


def test_openapi_documents_the_event_formats():
    spec = client_for(Store("sqlite://")).get("/openapi.json").json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    defs = body["$defs"]
    assert {"EventIn", "EventBatch", "IncidentIn", "ScopeIn"} <= set(defs)
    assert "speed_factor" in defs["IncidentIn"]["properties"]
    assert copy.deepcopy(defs["EventIn"]["properties"]["kind"])


def test_start_from_a_stored_plan_id_takes_the_promises_from_its_orders(day):
    from engine.domain.plan import JobStatus

    store = Store("sqlite://")
    c = client_for(store)
    d0 = day.plan.day_start.timestamp()
    problem = {"orders": [{"id": o, "promised_by": int(t - d0)} for o, t in day.promises.items()]}
    pid = store.create_plan(problem)
    assert c.post("/v1/monitor/start", json={"plan_id": pid}).status_code == 409  # not solved yet
    store.update_plan(pid, JobStatus.DONE, result=plan_to_dict(day.plan))
    r = c.post("/v1/monitor/start", json={"plan_id": pid})
    assert r.status_code == 200, r.text
    assert r.json()["plan_key"] == pid and r.json()["orders"] == len(day.promises)
    # Carrier parcels have no stop window: they are watched because the orders carry promises.
    carrier = day.plan.handoffs[0].order_id
    assert c.get(f"/v1/monitor/orders/{carrier}").json()["carrier_id"] == day.plan.handoffs[0].carrier_id
    assert c.post("/v1/monitor/start", json={"plan_id": "nope"}).status_code == 404
    assert c.post("/v1/monitor/start", json={}).status_code == 422


def test_events_and_warnings_need_a_dispatcher_key():
    from fastapi.testclient import TestClient

    from api.deps import get_store
    from api.main import create_app
    from engine.config import Settings
    from tests.api.server import key_for

    store = Store("sqlite://")
    app = create_app(Settings())
    app.dependency_overrides[get_store] = lambda: store
    anon = TestClient(app)
    assert anon.post("/v1/events", json={"id": "a", "kind": "position", "at": 0}).status_code == 401
    assert anon.get("/v1/warnings").status_code == 401
    checkout = TestClient(app, headers={"Authorization": f"Bearer {key_for(store, 'checkout')}"})
    assert checkout.get("/v1/warnings").status_code == 403
    dispatcher = TestClient(app, headers={"Authorization": f"Bearer {key_for(store, 'dispatcher')}"})
    assert dispatcher.get("/v1/warnings").status_code == 200


def test_starting_a_watch_again_starts_it_afresh(day):
    store = Store("sqlite://")
    c = client_for(store)
    docs = [event_to_doc(e) for e in day.events[:200]]
    for _ in range(2):
        assert c.post("/v1/monitor/start", json=start_body(day)).status_code == 200
        assert c.post("/v1/events", json={"events": docs}).json()["accepted"] == len(docs)
    assert store.monitor_event_count("day-3") == len(docs)


def test_event_ids_are_per_watched_plan(day):
    store = Store("sqlite://")
    c = client_for(store)
    docs = [event_to_doc(e) for e in day.events[:100]]
    for key in ("day-a", "day-b"):
        assert c.post("/v1/monitor/start", json={**start_body(day), "plan_key": key}).status_code == 200
        assert c.post("/v1/events", json={"events": docs}).json()["accepted"] == len(docs)
    assert store.monitor_event_count("day-a") == store.monitor_event_count("day-b") == len(docs)
