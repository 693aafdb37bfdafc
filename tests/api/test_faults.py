"""Faults against a real server on 127.0.0.1: kill -9, SIGTERM, a full queue, oversized and hostile bodies.

Every test here is bounded: a few plans of a few orders with short time
limits, a handful of requests, and a server that is always killed at the end.
The load figures (40 concurrent solves, 2,000 quotes/s) are in
``benchmarks/api_load.py``, not here.
"""

from __future__ import annotations

import copy
import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.api.server import Server, wait_for_status

LAT, LON = 60.17, 24.94
DAY = {
    "name": "fault-day",
    "depots": [{"id": "D1", "lat": LAT, "lon": LON}],
    "vehicle_types": [{"id": "van", "count": 2, "start_depot": "D1", "shift": ["08:00", "17:00"]}],
    "orders": [{"id": f"o{i}", "lat": LAT + 0.003 * i, "lon": LON + 0.002 * i} for i in range(4)],
}


def _long_day() -> dict:
    """A day that keeps the search busy for its whole limit (a 4-order day converges and stops early)."""
    from engine.io.problem_json import problem_to_dict
    from engine.io.scenarios import helsinki_day

    doc = problem_to_dict(helsinki_day(300, 0))
    doc["network"] = None
    return doc


def _statuses(client: httpx.Client, ids: list[str]) -> dict[str, dict]:
    return {i: client.get(f"/v1/plans/{i}").json() for i in ids}


def _wait_finished(client: httpx.Client, ids: list[str], timeout_s: float) -> dict[str, dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        st = _statuses(client, ids)
        if all(d["status"] in ("done", "failed") for d in st.values()):
            return st
        time.sleep(0.2)
    raise AssertionError(f"plans not finished after {timeout_s} s: {[d['status'] for d in _statuses(client, ids).values()]}")


def test_kill_9_mid_solve_then_restart_finishes_every_plan(tmp_path: Path) -> None:
    db = tmp_path / "plans.db"
    srv = Server(db, solve_workers=1, solve_queue=8).start()
    try:
        with srv.client(timeout=10) as c:
            # a day that keeps its solve busy for the limit: a 4-order day is done in 0.1 s, and
            # three of them can finish between two looks
            day = _long_day()
            ids = [c.post("/v1/plans", params={"time_limit": 3}, json=day).json()["id"] for _ in range(3)]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(d["status"] == "running" for d in _statuses(c, ids).values()):
                time.sleep(0.1)
            assert any(d["status"] == "running" for d in _statuses(c, ids).values())
    finally:
        srv.kill(signal.SIGKILL)
    with Server(db, solve_workers=1, solve_queue=8) as srv2, srv2.client(timeout=10) as c:
        final = _wait_finished(c, ids, timeout_s=60)
    assert all(d["status"] == "done" for d in final.values()), final


def test_a_plan_that_keeps_dying_ends_failed_with_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "plans.db"
    srv = Server(db, solve_workers=1, max_attempts=1).start()
    try:
        with srv.client(timeout=10) as c:
            pid = c.post("/v1/plans", params={"time_limit": 30}, json=_long_day()).json()["id"]
            wait_for_status(c.get, pid, ("running",), timeout_s=30)
    finally:
        srv.kill(signal.SIGKILL)
    with Server(db, solve_workers=1, max_attempts=1) as srv2, srv2.client(timeout=10) as c:
        doc = c.get(f"/v1/plans/{pid}").json()
    assert doc.get("status") == "failed" and "server restarted during the solve" in doc["error"], doc


def test_sigterm_does_not_wait_out_a_long_solve_and_the_plan_is_requeued(tmp_path: Path) -> None:
    db = tmp_path / "plans.db"
    srv = Server(db, solve_workers=1, shutdown_grace_s=1).start()
    try:
        with srv.client(timeout=10) as c:
            pid = c.post("/v1/plans", params={"time_limit": 120}, json=_long_day()).json()["id"]
            wait_for_status(c.get, pid, ("running",), timeout_s=30)
        took = srv.kill(signal.SIGTERM, timeout_s=30)
    finally:
        srv.kill(signal.SIGKILL)
    assert took < 15, f"SIGTERM took {took:.1f} s with a 120 s solve running"
    import sqlite3

    with sqlite3.connect(db) as con:
        status, error = con.execute("SELECT status, error FROM plans WHERE plan_id = ?", (pid,)).fetchone()
    assert status == "queued" and "shut down" in error


def _drained(srv: Server, timeout_s: float = 40.0) -> Server:
    """Wait until no solve is queued or running (an earlier test filled the queue on purpose)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and httpx.get(f"{srv.url}/readyz", timeout=5).json().get("solves_in_flight"):
        time.sleep(0.2)
    return srv


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("srv") / "plans.db"
    with Server(db, solve_workers=1, solve_queue=1) as srv:
        yield srv


def test_a_full_solve_queue_answers_429_with_retry_after(server: Server) -> None:
    with server.client(timeout=10) as c:
        codes = [c.post("/v1/plans", params={"time_limit": 4}, json=DAY) for _ in range(4)]
        assert [r.status_code for r in codes[:2]] == [202, 202]
        busy = [r for r in codes[2:] if r.status_code == 429]
        assert busy and int(busy[0].headers["retry-after"]) >= 1
        t0 = time.perf_counter()
        assert c.get("/healthz").status_code == 200
        assert time.perf_counter() - t0 < 0.5


@pytest.mark.parametrize("path", ["/v1/plans", "/v1/quotes", "/v1/promises/check"])
def test_a_54_mb_body_is_413_at_once_declared_or_chunked(server: Server, path: str) -> None:
    blob = b'{"x": "' + b"a" * (54 << 20) + b'"}'
    with server.client(timeout=30) as c:
        t0 = time.perf_counter()
        r = c.post(path, content=blob, headers={"content-type": "application/json"})
        took = time.perf_counter() - t0
        assert r.status_code == 413 and len(r.content) < 500, (r.status_code, r.text[:200])

        def chunks():
            for i in range(0, len(blob), 1 << 20):
                yield blob[i : i + (1 << 20)]

        r2 = c.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert r2.status_code == 413 and len(r2.content) < 500
    # Measured from the client, sending included: well under the 100 ms target on loopback
    # for the declared case needs the server to answer before reading the body.
    assert took < 2.0


@pytest.mark.parametrize("path", ["/v1/plans", "/v1/quotes", "/v1/promises/check"])
def test_hostile_bodies_are_422_not_500(server: Server, path: str) -> None:
    _drained(server)
    deep = "[" * 600 + "]" * 600
    with server.client(timeout=10) as c:
        r = c.post(path, content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text[:300]
        surrogate = copy.deepcopy(DAY)
        surrogate["name"] = "\ud800"
        body = json.dumps(surrogate)  # ASCII JSON with the escape "\ud800", as a hostile client sends it
        r = c.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text[:300]


def test_surrogates_and_coercions_in_plans_are_422_naming_the_field(server: Server) -> None:
    _drained(server)
    cases = [
        (lambda d: d.update(name="bad\ud800name"), "name"),
        (lambda d: d["orders"][0].update(id="o\udfff"), "id"),
        (lambda d: d["orders"][0].update(lat="60.17"), "lat"),
        (lambda d: d["orders"][0].update(lon=False), "lon"),
        (lambda d: d["vehicle_types"][0].update(breaks=[{"window": ["11:00", "12:00"], "duration": 40000}]), "vehicle_types"),
    ]
    with server.client(timeout=10) as c:
        for change, field in cases:
            doc = copy.deepcopy(DAY)
            change(doc)
            r = c.post("/v1/plans", content=json.dumps(doc), headers={"content-type": "application/json"})
            assert r.status_code == 422, (field, r.text[:300])
            locs = [str(x) for d in r.json()["detail"] for x in d["loc"]]
            assert field in locs, (field, locs)
        r = c.post("/v1/plans", params={"solution_limit": 2**63}, json=DAY)
        assert r.status_code == 422 and "solution_limit" in r.text


def test_too_big_for_the_memory_budget_is_413_before_any_work(server: Server) -> None:
    _drained(server)
    doc = copy.deepcopy(DAY)
    doc["orders"] = [{"id": f"o{i}", "lat": LAT + 1e-4 * (i % 100), "lon": LON + 1e-4 * (i // 100)} for i in range(20_000)]
    with server.client(timeout=60) as c:
        t0 = time.perf_counter()
        r = c.post("/v1/plans", json=doc)
        assert r.status_code == 413, r.text[:300]
        assert "GB" in r.text and time.perf_counter() - t0 < 10
