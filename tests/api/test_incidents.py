"""Incidents known in advance widen checkout promises in their area and time, and say why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from api.incidents import widen
from engine.domain.monitor import Incident, IncidentKind, Scope

T = datetime(2026, 11, 30, 16, 0, tzinfo=timezone(timedelta(hours=2)))


def _quote(lat: float) -> dict:
    return {"options": [
        {"carrier": "own", "service": "same_day", "available": True, "promised_by": T.isoformat(),
         "p50": (T - timedelta(hours=1)).isoformat(), "reason": None},
        {"carrier": "own", "service": "slot", "available": False, "promised_by": None, "p50": None, "reason": "slot passed"},
    ]}


def test_a_storm_in_the_area_widens_the_promise_with_its_reason() -> None:
    storm = Incident("storm-1", IncidentKind("weather"), Scope(center=(60.17, 24.94), radius_m=5000),
                     start=T.timestamp() - 3600, end=T.timestamp() + 3600, speed_factor=0.6, text="snow storm in the centre")
    q = widen(_quote(60.17), 60.17, 24.94, [storm])
    opt = q["options"][0]
    later = datetime.fromisoformat(opt["promised_by"]) - T
    assert timedelta(minutes=15) <= later <= timedelta(minutes=25)  # a 30-min leg at 60% speed, in 5-min steps
    assert datetime.fromisoformat(opt["p50"]) - (T - timedelta(hours=1)) == later
    assert "snow storm in the centre" in opt["reason"] and opt["reason"].startswith("later by")
    assert q["options"][1]["reason"] == "slot passed"  # unavailable options are left alone


def test_outside_the_area_or_the_time_nothing_changes() -> None:
    far = Incident("storm-2", IncidentKind("weather"), Scope(center=(61.5, 23.8), radius_m=5000),
                   start=T.timestamp() - 3600, end=T.timestamp() + 3600, speed_factor=0.5)
    later = Incident("storm-3", IncidentKind("weather"), Scope(center=(60.17, 24.94), radius_m=5000),
                     start=T.timestamp() + 7200, end=T.timestamp() + 9000, speed_factor=0.5)
    for inc in (far, later):
        q = widen(_quote(60.17), 60.17, 24.94, [inc])
        assert q["options"][0]["promised_by"] == T.isoformat() and q["options"][0]["reason"] is None


def test_an_incident_posted_to_the_monitor_reaches_checkout(monkeypatch) -> None:
    """Through the API: a storm announced to the monitor widens quotes to that area, with its text."""
    import api.incidents
    from engine.io.problem_json import plan_to_dict
    from engine.monitor.records import event_to_doc, iso
    from engine.store.repository import Store
    from tests.api.test_events import client_for
    from tests.monitor.helpers import small_day

    monkeypatch.setattr(api.incidents, "_cached", (0.0, []))  # no incidents remembered from other tests
    monkeypatch.setattr(api.incidents, "_TTL_S", 0.0)
    day = small_day()
    store = Store("sqlite://")
    c = client_for(store)
    assert c.post("/v1/monitor/start", json={"plan": plan_to_dict(day.plan), "plan_key": "storm-day",
                                             "promises": {o: iso(t) for o, t in day.promises.items()}}).status_code == 200
    first = event_to_doc(day.events[0])
    at = datetime.fromisoformat(first["at"]) if isinstance(first["at"], str) else datetime.fromtimestamp(first["at"], timezone.utc)
    order_time = datetime(2026, 11, 11, 10, 40, tzinfo=timezone(timedelta(hours=2)))
    body = {"destination": {"lat": 60.1699, "lon": 24.9384}, "items": [{"weight_kg": 2.5}], "order_time": order_time.isoformat()}
    calm = c.post("/v1/quotes", json=body).json()
    storm = {"id": "storm-1", "kind": "incident", "at": at.isoformat(), "incident": {
        "id": "storm", "kind": "weather", "scope": {"center": [60.1699, 24.9384], "radius_m": 20000},
        "start": (order_time - timedelta(days=1)).isoformat(), "end": (order_time + timedelta(days=7)).isoformat(),
        "speed_factor": 0.5, "text": "storm warning for the centre"}}
    assert c.post("/v1/events", json=storm).status_code == 200
    windy = c.post("/v1/quotes", json=body).json()
    pairs = [(a, b) for a, b in zip(calm["options"], windy["options"]) if a["available"] and a["promised_by"]]
    assert pairs
    for a, b in pairs:
        assert datetime.fromisoformat(b["promised_by"]) > datetime.fromisoformat(a["promised_by"])
        assert "storm warning for the centre" in b["reason"]


def test_a_stale_copy_is_served_while_one_thread_reads_again(monkeypatch) -> None:
    """Checkout never waits on the store once it has a copy: an old copy is served, refreshed behind."""
    import threading
    import time as _time

    import api.incidents as inc

    reads: list[float] = []
    gate = threading.Event()

    def slow_read(store):
        reads.append(_time.monotonic())
        if len(reads) > 1:
            gate.wait(5)  # a store held by a writer
        return [f"read-{len(reads)}"]

    monkeypatch.setattr(inc, "_read", slow_read)
    monkeypatch.setattr(inc, "_cached", (0.0, []))
    monkeypatch.setattr(inc, "_refreshing", False)
    monkeypatch.setattr(inc, "_TTL_S", 0.0)
    assert inc.incidents_from(None) == ["read-1"]  # the first read is made by the caller
    t0 = _time.monotonic()
    for _ in range(20):
        assert inc.incidents_from(None) == ["read-1"]  # stale, served at once
    assert _time.monotonic() - t0 < 1.0
    assert len(reads) == 2  # one refresh in flight, not twenty
    gate.set()
    deadline = _time.monotonic() + 5
    while inc._refreshing and _time.monotonic() < deadline:
        _time.sleep(0.01)
    assert inc._cached[1] == ["read-2"]
    inc.invalidate()
    assert inc.incidents_from(None) == ["read-3"]  # after invalidate: read now


def test_a_read_begun_before_an_invalidate_is_not_kept(monkeypatch) -> None:
    """A background re-read that started before incidents were ingested must not hide them for a TTL."""
    import threading
    import time as _time

    import api.incidents as inc

    reads: list[int] = []
    gate = threading.Event()

    def slow_read(store):
        reads.append(1)
        if len(reads) == 2:
            gate.wait(5)  # the background re-read, still before the ingest
        return [f"read-{len(reads)}"]

    monkeypatch.setattr(inc, "_read", slow_read)
    monkeypatch.setattr(inc, "_cached", (0.0, []))
    monkeypatch.setattr(inc, "_refreshing", False)
    monkeypatch.setattr(inc, "_TTL_S", 0.0)
    assert inc.incidents_from(None) == ["read-1"]
    assert inc.incidents_from(None) == ["read-1"]  # stale: re-read in the background, blocked
    monkeypatch.setattr(inc, "_TTL_S", 60.0)
    inc.invalidate()  # an incident was ingested meanwhile
    gate.set()
    deadline = _time.monotonic() + 5
    while inc._refreshing and _time.monotonic() < deadline:
        _time.sleep(0.01)
    assert inc.incidents_from(None) == ["read-3"]  # read again, not the pre-ingest copy
