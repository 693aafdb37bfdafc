"""Worker processes that die (a solver, the plan parser) do not take later plans with them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from api.jobs import SolveService
from engine.config import Settings
from engine.domain.plan import JobStatus
from engine.store.repository import Store
from tests.api.test_faults import DAY, _long_day


def _wait(store: Store, plan_id: str, statuses: tuple[JobStatus, ...], timeout_s: float) -> JobStatus:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = store.get_plan(plan_id).status
        if status in statuses:
            return status
        time.sleep(0.05)
    raise AssertionError(f"plan {plan_id} still {store.get_plan(plan_id).status} after {timeout_s} s")


def test_a_killed_solver_fails_its_plan_and_the_next_plan_gets_a_new_worker(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'jobs.db'}")
    service = SolveService(store, Settings(solve_workers=1, heartbeat_s=0.5))
    service.start()
    try:
        for f in service.warming():
            assert f.result(timeout=120) is True  # spawned and warm before any plan
        doomed = service.submit(_long_day(), time_limit=60, seed=0, solution_limit=None)
        assert _wait(store, doomed, (JobStatus.RUNNING,), 30) is JobStatus.RUNNING
        (worker,) = service._pool._processes.values()  # noqa: SLF001 - the one solver process
        os.kill(worker.pid, signal.SIGKILL)  # out of memory, or an operator's kill
        assert _wait(store, doomed, (JobStatus.FAILED, JobStatus.DONE), 30) is JobStatus.FAILED
        assert "solver process died" in store.get_plan(doomed).error
        after = service.submit(DAY, time_limit=2, seed=0, solution_limit=None)
        assert _wait(store, after, (JobStatus.FAILED, JobStatus.DONE), 60) is JobStatus.DONE, store.get_plan(after).error
        assert service.in_flight() == 0
        workers = list(service._pool._processes.values())  # noqa: SLF001
    finally:
        service.shutdown()
        store.engine.dispose()
    assert workers and not any(p.is_alive() for p in workers)  # shutdown leaves no solver behind


def test_a_killed_parse_process_is_a_503_once_then_replaced(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.server import key_for

    db = f"sqlite:///{tmp_path / 'parse.db'}"
    key = key_for(db, "dispatcher")
    app = create_app(Settings(db_url=db, solve_workers=1, shed_lag_ms=60_000))
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as c:
        assert c.post("/v1/plans", json=DAY, params={"time_limit": 1}).status_code == 202
        (parser,) = app.state.parse_pool._processes.values()  # noqa: SLF001 - the one parse process
        os.kill(parser.pid, signal.SIGKILL)
        parser.join(timeout=10)
        r = c.post("/v1/plans", json=DAY, params={"time_limit": 1})
        assert r.status_code == 503 and "Retry-After" in r.headers, r.text
        assert c.post("/v1/plans", json=DAY, params={"time_limit": 1}).status_code == 202


def test_the_time_limit_covers_validation_and_leaves_the_solver_what_is_left() -> None:
    from api.jobs import solve_budget

    assert solve_budget(5.0, 0.0, 0) < 5.0  # writing the plan back is reserved
    assert solve_budget(5.0, 1.0, 5000) == 5.0 - 1.0 - (0.02 + 3e-5 * 5000)
    assert solve_budget(5.0, 9.0, 5000) == 0.5  # an overrun elsewhere still leaves the solver a tenth
    assert solve_budget(5.0, 1.0, 100) < solve_budget(5.0, 0.5, 100)


def test_a_solve_document_spends_only_the_time_left() -> None:
    import json

    from api.jobs import solve_document
    from engine.io.problem_json import problem_to_dict
    from engine.io.scenarios import helsinki_day

    doc = problem_to_dict(helsinki_day(300, 0))
    doc["network"] = None
    out = solve_document(doc, 3.0, 0, None, spent=2.5)  # half a second left of three
    plan = json.loads(out["plan_json"])
    assert plan["solve_seconds"] < 1.5
