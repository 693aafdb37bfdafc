"""``/v1/warnings``: filters, paging, one warning, accepting a rescue, and the SSE stream."""

from __future__ import annotations

import json

from engine.io.problem_json import plan_to_dict
from engine.monitor.records import iso
from engine.store.repository import Store
from tests.api.test_events import client_for
from tests.monitor.helpers import small_day


def _broken_van_day():
    """A watched day whose first van breaks down 15 minutes out: warnings with rescue proposals."""
    day = small_day(orders=120, vehicles=8, seed=5)
    store = Store("sqlite://")
    c = client_for(store)
    body = {"plan": plan_to_dict(day.plan), "promises": {o: iso(t) for o, t in day.promises.items()}, "plan_key": "k"}
    assert c.post("/v1/monitor/start", json=body).status_code == 200
    r0 = day.plan.routes[0]
    t0 = day.plan.day_start.timestamp() + r0.stops[0].departure
    at = t0 + 900
    pos = [{"id": f"p-{r.vehicle_id}", "kind": "position", "at": iso(at - 30), "vehicle_id": r.vehicle_id,
            "lat": r.stops[0].lat, "lon": r.stops[0].lon} for r in day.plan.routes]
    assert c.post("/v1/events", json={"events": pos}).status_code == 200
    inc = {"id": "bd", "kind": "incident", "at": iso(at), "incident": {
        "id": "bd", "kind": "vehicle_breakdown", "scope": {"vehicle_id": r0.vehicle_id}, "start": iso(at),
        "end": iso(at + 5 * 3600), "extra_minutes": 240}}
    r = c.post("/v1/events", json=inc)
    assert r.status_code == 200
    return c, store, r.json()["warnings"], r0.vehicle_id


def test_filters_paging_and_one_warning():
    c, store, new, van = _broken_van_day()
    delays = [w for w in new if w["kind"] == "delay"]
    assert delays and all("broke down at" in w["reason"] for w in delays)
    page = c.get("/v1/warnings", params={"kind": "delay", "limit": 3}).json()
    assert len(page["items"]) == 3 and page["next_cursor"] is not None
    seen = [w["warning_id"] for w in page["items"]]
    while page["next_cursor"] is not None:
        page = c.get("/v1/warnings", params={"kind": "delay", "limit": 3, "cursor": page["next_cursor"]}).json()
        seen += [w["warning_id"] for w in page["items"]]
    assert len(seen) == len(set(seen)) == len(store.monitor_warnings(kind="delay", limit=10_000))
    sev = c.get("/v1/warnings", params=[("severity", "critical"), ("severity", "major")]).json()["items"]
    assert sev and all(w["severity"] in ("critical", "major") for w in sev)
    one = delays[0]
    by_order = c.get("/v1/warnings", params={"order": one["order_id"]}).json()["items"]
    assert by_order and all(w["order_id"] == one["order_id"] for w in by_order)
    assert c.get("/v1/warnings", params={"since": "2099-01-01T00:00:00Z"}).json()["items"] == []
    got = c.get(f"/v1/warnings/{one['warning_id']}").json()
    assert got["warning_id"] == one["warning_id"] and got["p_on_time"] == one["p_on_time"]
    assert c.get("/v1/warnings/nope").status_code == 404
    assert c.get("/v1/warnings", params={"severity": "awful"}).status_code == 422


def test_accept_applies_the_rescue_once():
    c, store, new, van = _broken_van_day()
    w = next(w for w in new if w["proposal"])
    p = w["proposal"]
    assert p["from_vehicle"] == van and p["p_after"] > p["p_before"] and p["text"].startswith(f"move {p['order_id']} to ")
    r = c.post(f"/v1/warnings/{w['warning_id']}/accept")
    assert r.status_code == 200, r.text
    assert c.get(f"/v1/warnings/{w['warning_id']}").json()["accepted"] is True
    state = c.get(f"/v1/monitor/orders/{p['order_id']}").json()
    assert state["vehicle_id"] == p["to_vehicle"]
    assert c.post(f"/v1/warnings/{w['warning_id']}/accept").json() == []
    assert c.post("/v1/warnings/not-a-warning/accept").status_code == 404


def test_stream_sends_stored_warnings_as_server_sent_events():
    c, store, new, van = _broken_van_day()
    with c.stream("GET", "/v1/warnings/stream", params={"max_s": 0.3, "poll_s": 0.05}, headers={"Accept": "text/event-stream"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    blocks = [b for b in text.split("\n\n") if b.startswith("id:")]
    total = len(store.monitor_warnings(limit=10_000))
    assert len(blocks) == total
    first = blocks[0].splitlines()
    assert first[1] == "event: warning" and json.loads(first[2][len("data: "):])["warning_id"]
    # Resume after the last one seen: nothing new.
    last = first[0].split(": ")[1]
    with c.stream("GET", "/v1/warnings/stream", params={"max_s": 0.2, "poll_s": 0.05},
                  headers={"Last-Event-ID": str(total), "Accept": "text/event-stream"}) as r:
        assert [b for b in "".join(r.iter_text()).split("\n\n") if b.startswith("id:")] == []
    assert last == "1"
    # A client that does not ask for an event stream gets what is stored and the end of it, at once.
    with c.stream("GET", "/v1/warnings/stream", params={"max_s": 600}) as r:
        assert len([b for b in "".join(r.iter_text()).split("\n\n") if b.startswith("id:")]) == total


def test_incidents_reach_checkout_from_the_store():
    from engine.io.problem_json import plan_from_dict
    from engine.monitor.incidents import quote_adjustment
    from engine.monitor.service import MonitorService

    c, store, new, van = _broken_van_day()
    day = small_day(orders=120, vehicles=8, seed=5)
    at = day.plan.day_start.timestamp() + 15 * 3600
    storm = {"id": "storm", "kind": "incident", "at": iso(at - 6 * 3600), "incident": {
        "id": "storm", "kind": "weather", "scope": {"center": [60.25, 24.94], "radius_m": 6000}, "start": iso(at - 3600),
        "end": iso(at + 3600), "speed_factor": 0.6, "text": "storm warning for the afternoon"}}
    assert c.post("/v1/events", json=storm).json()["accepted"] == 1
    incidents = MonitorService(store, plan_from_dict).known_incidents()  # e.g. another worker
    assert {i.incident_id for i in incidents} == {"bd", "storm"}
    extra, why = quote_adjustment(60.25, 24.95, at, incidents=incidents)
    assert extra > 0 and why == "storm warning for the afternoon"


def test_warnings_open_tickets_in_the_same_transaction_once():
    from sqlalchemy import func, select

    from engine.store.tables import Base

    c, store, new, van = _broken_van_day()
    tickets = Base.metadata.tables.get("tickets")
    if tickets is None:  # pragma: no cover - a tree without the ticket tables
        return
    with store.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(tickets)).scalar()
    noticed = {w["order_id"] for w in store.monitor_warnings(limit=10_000) if w["kind"] in ("delay", "broken", "unknown")}
    assert 0 < n <= len(noticed)
