"""HTTP contract of /v1/tickets and /v1/customers: every change is in the history, notifications follow."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.deps import get_clock
from api.main import create_app
from engine.clock import SimClock
from engine.config import Settings
from tests.api.server import key_for

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


@pytest.fixture()
def api(tmp_path):
    db = f"sqlite:///{tmp_path / 'api.db'}"
    app = create_app(Settings(db_url=db, solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000))
    clock = SimClock(T0)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app, headers={"Authorization": f"Bearer {key_for(db, 'agent')}"}) as c:
        yield c, clock


def test_ticket_lifecycle_history_sla_and_customer_history(api) -> None:
    c, clock = api
    r = c.put("/v1/customers/c1", json={"name": "Li Wei", "language": "zh_CN", "timezone": "Asia/Shanghai",
                                        "channels": ["email", "sms"], "addresses": {"email": "li@example.cn"},
                                        "quiet_start": 0, "quiet_end": 0})
    assert r.status_code == 200, r.text
    assert c.post("/v1/customers/c1/orders", json={"order_id": "o1", "region": "east"}).status_code == 204
    r = c.post("/v1/tickets", json={"category": "damage", "order_id": "o1", "channel": "phone", "text": "box crushed"})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["queue"] == "damage/east" and t["customer_id"] == "c1" and t["status"] == "new"
    assert t["sla"]["first_response"]["allowed_s"] == 1800 and t["sla"]["resolution"]["allowed_s"] == 86400
    tid = t["ticket_id"]
    clock.advance(600)
    assert c.post(f"/v1/tickets/{tid}/assign", json={"agent": "a7", "actor": "lead"}).json()["agent"] == "a7"
    r = c.post(f"/v1/tickets/{tid}/notes", json={"text": "Sorry! A photo, please?", "actor": "a7"})
    assert r.json()["first_response_at"] is not None and r.json()["sla"]["first_response"]["met"] is True
    r = c.post(f"/v1/tickets/{tid}/status", json={"status": "waiting_customer", "actor": "a7"})
    assert r.json()["sla"]["resolution"]["paused"] is True
    clock.advance(7200)
    c.post(f"/v1/tickets/{tid}/status", json={"status": "open", "actor": "customer"})
    r = c.post(f"/v1/tickets/{tid}/resolve", json={"actor": "a7", "text": "refund sent"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    full = c.get(f"/v1/tickets/{tid}").json()
    kinds = [h["kind"] for h in full["history"]]
    assert kinds[0] == "created" and "assign" in kinds and "note" in kinds and kinds[-1] == "status"
    assert full["sla"]["resolution"]["elapsed_s"] == pytest.approx(600)  # 2 h waiting on the customer excluded
    assert c.post(f"/v1/tickets/{tid}/assign", json={"agent": "a8"}).status_code == 409
    assert c.get("/v1/tickets/nope").status_code == 404
    h = c.get("/v1/customers/c1/history").json()
    assert [x["ticket_id"] for x in h["tickets"]] == [tid] and h["customer"]["language"] == "zh_CN"
    events = sorted((n["event"], n["channel"], n["status"]) for n in h["notifications"])
    assert ("ticket_update", "email", "pending") in events and ("ticket_update", "sms", "skipped") in events
    assert len(events) == 6  # acknowledged, waiting on you, resolved: on email, and skipped on sms (no number)


def test_listing_filters_paging_and_kpis(api) -> None:
    c, clock = api
    ids = []
    for i in range(5):
        r = c.post("/v1/tickets", json={"category": "feedback" if i % 2 else "delay", "customer_id": f"k{i}", "channel": "chat"})
        ids.append(r.json()["ticket_id"])
        clock.advance(60)
    page = c.get("/v1/tickets", params={"category": "delay", "limit": 2}).json()
    assert page["total"] == 3 and [t["ticket_id"] for t in page["items"]] == [ids[4], ids[2]]
    assert c.get("/v1/tickets", params={"status": ["new", "open"], "offset": 4}).json()["items"][0]["ticket_id"] == ids[0]
    c.post(f"/v1/tickets/{ids[0]}/resolve", json={"actor": "a1"})
    clock.advance(30 * 3600)
    k = c.get("/v1/tickets/kpis", params={"since": T0.isoformat()}).json()
    assert k["opened"] == 5 and k["resolved_24h_judged"] == 3 and k["resolved_24h_share"] == pytest.approx(1 / 3)
    assert k["by_queue"]["delay"]["backlog"] == 2 and k["by_queue"]["feedback"]["backlog"] == 2


def test_bad_input_names_the_field(api) -> None:
    c, _ = api
    r = c.post("/v1/tickets", json={"category": "nonsense", "order_id": "o1"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "category"
    r = c.post("/v1/tickets", json={"category": "damage", "order_id": "o1", "priority": "high", "channel": "chat", "text": 5})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "text"
    r = c.post("/v1/tickets/x/notes", json={"text": "hi", "public": 0})  # strict: 0 is not false
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "public"
    r = c.put("/v1/customers/x", json={"timezone": "Mars/Olympus"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "timezone"
    assert c.get("/v1/tickets/kpis", params={"since": "2026-12-01", "until": "2026-11-01"}).status_code == 422
    assert c.get("/v1/tickets/kpis", params={"since": T0.timestamp() - 3600}).status_code == 200  # epoch seconds too
    assert c.get("/v1/customers/ghost/history").status_code == 404
    assert c.post("/v1/customers/ghost/orders", json={"order_id": "o"}).status_code == 404


def test_a_desk_in_business_hours_counts_its_own_hours(tmp_path) -> None:
    # A Shanghai desk open 09:00-18:00: a ticket opened Friday 17:30 local has 30 minutes left that day,
    # so its 60-minute first response falls due Monday 09:30, and the weekend's hours never count.
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    settings = Settings(db_url=db, solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000,
                        desk_tz="Asia/Shanghai", desk_country="CN", sla_first_response_min=60)
    app = create_app(settings)
    fri = datetime(2026, 12, 4, 9, 30, tzinfo=timezone.utc)  # 17:30 in Shanghai
    clock = SimClock(fri)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app, headers={"Authorization": f"Bearer {key_for(db, 'agent')}"}) as c:
        t = c.post("/v1/tickets", json={"category": "delay", "customer_id": "k", "channel": "chat"}).json()
        assert t["sla"]["first_response"]["allowed_s"] == 3600
        clock.advance(2 * 86400)  # Sunday 17:30: still 30 counted minutes
        t = c.get(f"/v1/tickets/{t['ticket_id']}").json()
        fr = t["sla"]["first_response"]
        assert fr["elapsed_s"] == pytest.approx(1800)
        due = datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc)  # Monday 09:30 in Shanghai
        assert datetime.fromisoformat(fr["due_at"].replace("Z", "+00:00")) == due
