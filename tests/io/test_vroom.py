"""VROOM input/output: read VROOM problems, answer in VROOM's shape, compare with pyvroom."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit
from engine.io.vroom import (
    VroomFormatError,
    arrays_from_vroom,
    is_vroom,
    plan_to_vroom,
    solution_to_vroom,
    solve_vroom_plan,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "vroom_small.json"


def _doc() -> dict:
    return json.loads(DATA.read_text())


def _check_output(doc: dict, out: dict) -> None:
    """Every rule of the input holds in the output, recomputed from the steps."""
    jobs = {j["id"]: j for j in doc["jobs"]}
    vehicles = {v["id"]: v for v in doc["vehicles"]}
    m = np.asarray(doc["matrices"]["car"]["durations"])
    assert out["code"] == 0
    seen = [s["id"] for r in out["routes"] for s in r["steps"] if s["type"] == "job"]
    seen += [u["id"] for u in out["unassigned"]]
    assert sorted(seen) == sorted(jobs)
    total = 0
    for r in out["routes"]:
        v = vehicles[r["vehicle"]]
        steps = r["steps"]
        assert steps[0]["type"] == "start" and steps[-1]["type"] == "end"
        load0 = steps[0]["load"][0]
        assert load0 <= v["capacity"][0]
        assert load0 == sum(jobs[s["id"]]["delivery"][0] for s in steps if s["type"] == "job")
        travel = 0
        for a, b in zip(steps, steps[1:]):
            travel += int(m[a["location_index"], b["location_index"]])
            assert b["duration"] == travel
            assert b["arrival"] >= a["arrival"] + a["service"] + a["waiting_time"] + int(m[a["location_index"], b["location_index"]])
        for s in steps:
            if s["type"] == "job":
                j = jobs[s["id"]]
                start = s["arrival"] + s["waiting_time"]
                wins = j.get("time_windows", [[0, 2**31]])
                assert any(w0 <= start <= w1 for w0, w1 in wins), (s, wins)
                assert set(j.get("skills", [])) <= set(v.get("skills", []))
        assert v["time_window"][0] <= steps[0]["arrival"] and steps[-1]["arrival"] <= v["time_window"][1]
        assert r["cost"] == travel  # VROOM's default cost: travel seconds
        total += r["cost"]
    assert out["summary"]["cost"] == total
    assert out["summary"]["unassigned"] == len(out["unassigned"])


def test_detects_vroom_documents() -> None:
    assert is_vroom(_doc())
    assert not is_vroom({"depots": [], "orders": []})


def test_solves_vroom_input_and_matches_pyvroom() -> None:
    doc = _doc()
    _, out = solve_vroom_plan(doc, stop=FirstOf(MaxRuntime(2.0), SolutionLimit(300)))
    _check_output(doc, out)
    assert out["summary"]["unassigned"] == 0
    vroom = pytest.importorskip("vroom")
    sol = vroom.Input.from_json(DATA).solve(exploration_level=5, nb_threads=1)
    ref = int(sol.summary.cost)
    # Same input, same objective: within 3% of VROOM on this small instance.
    assert out["summary"]["cost"] <= ref * 1.03, (out["summary"]["cost"], ref)


def test_round_trip_of_the_output_shape() -> None:
    doc = _doc()
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(1.0))
    again = json.loads(json.dumps(out))
    assert again == out
    keys = {"code", "summary", "unassigned", "routes"}
    assert keys <= set(out)
    for k in ("cost", "routes", "unassigned", "delivery", "amount", "service", "duration", "waiting_time"):
        assert k in out["summary"]
    step_keys = {"type", "arrival", "duration", "service", "waiting_time", "load"}
    assert all(step_keys <= set(s) for r in out["routes"] for s in r["steps"])
    # Re-reading the routes as a warm start reproduces the same cost.
    a = arrays_from_vroom(doc)
    jid = {j: a.n_depots + k for k, j in enumerate(a.job_ids)}
    routes = [[jid[str(s["id"])] for s in r["steps"] if s["type"] == "job"] for r in sorted(out["routes"], key=lambda r: r["vehicle"])]
    again = solution_to_vroom(a, routes)
    assert again["summary"]["cost"] == out["summary"]["cost"]


def test_skill_and_window_mismatch_jobs_are_unassigned() -> None:
    doc = _doc()
    doc["jobs"].append({"id": 99, "location_index": 3, "skills": [7], "delivery": [1]})
    doc["jobs"].append({"id": 98, "location_index": 4, "time_windows": [[40000, 40010]], "delivery": [1]})
    plan, out = solve_vroom_plan(doc, stop=MaxRuntime(1.0))
    reasons = {u.order_id: u.reason.name for u in plan.unassigned}
    assert reasons == {"99": "NO_SKILL", "98": "WINDOW_UNREACHABLE"}
    assert {u["id"] for u in out["unassigned"]} == {98, 99}


def test_coordinates_without_matrix_use_haversine() -> None:
    doc = {
        "vehicles": [{"id": 1, "start": [24.94, 60.17], "end": [24.94, 60.17], "capacity": [4]}],
        "jobs": [{"id": i, "location": [24.94 + 0.01 * i, 60.17 + 0.005 * i], "delivery": [1], "service": 60} for i in range(1, 6)],
    }
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(1.0))
    assert out["summary"]["routes"] == 1 and out["summary"]["unassigned"] == 1  # capacity 4 for 5 jobs
    assert all("location" in s for s in out["routes"][0]["steps"])


def test_open_end_vehicle() -> None:
    doc = _doc()
    del doc["vehicles"][0]["end_index"]
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(1.0))
    r = next(r for r in out["routes"] if r["vehicle"] == 1)
    assert r["steps"][-1]["type"] == "job"  # no end step: the route stops at its last job


def test_malformed_vroom_input_names_the_problem() -> None:
    doc = _doc()
    doc["jobs"][0]["time_windows"] = [[100, 50]]
    with pytest.raises(VroomFormatError, match="job 1: time_windows: end 50 before start 100"):
        arrays_from_vroom(doc)
    doc = _doc()
    doc["jobs"][2]["location_index"] = 500
    with pytest.raises(VroomFormatError, match="outside the 13x13 matrix"):
        arrays_from_vroom(doc)
    with pytest.raises(VroomFormatError, match="shipments"):
        arrays_from_vroom({"vehicles": [{"id": 1, "start": [0, 0]}], "shipments": [{}]})


def test_plan_to_vroom_shape() -> None:
    from engine.dispatch import solve
    from engine.domain.problem import Carrier, Depot, Order, Problem, VehicleType

    p = Problem([Depot("D", 60.17, 24.94)], [VehicleType("van", 1, "D", capacity={"parcels": 3})],
                [Order(f"o{i}", 60.17 + 0.003 * i, 24.94) for i in range(5)], carriers=[Carrier("c", base_cost=30)])
    plan = solve(p, stop=MaxRuntime(1.0))
    out = plan_to_vroom(plan)
    assert out["summary"]["routes"] == 1 and out["summary"]["handoffs"] == 2
    steps = out["routes"][0]["steps"]
    assert [s["type"] for s in steps] == ["start", "job", "job", "job", "end"]
    assert all(len(s["location"]) == 2 for s in steps)


def test_cli_plan_writes_plan_map_and_geojson(tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from engine.cli import plan as plan_cli
    from engine.domain.problem import Carrier, Depot, Order, Problem, VehicleType
    from engine.io.problem_json import write_problem

    app = typer.Typer()
    plan_cli.register(app)
    app.command("noop")(lambda: None)  # a second command keeps "plan" as a sub-command
    runner = CliRunner()

    res = runner.invoke(app, ["plan", str(DATA), "-t", "1", "--format", "vroom", "--out", str(tmp_path / "v.json"), "-q"])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "v.json").read_text())
    _check_output(_doc(), out)

    p = Problem([Depot("D", 60.17, 24.94)], [VehicleType("van", 1, "D", capacity={"parcels": 4})],
                [Order(f"o{i}", 60.17 + 0.003 * i, 24.94 + 0.002 * i) for i in range(6)], carriers=[Carrier("c", base_cost=30)])
    write_problem(p, tmp_path / "p.json")
    res = runner.invoke(app, ["plan", str(tmp_path / "p.json"), "-t", "1", "-q", "--out", str(tmp_path / "plan.json"),
                              "--map", str(tmp_path / "plan.png"), "--geojson", str(tmp_path / "plan.geojson")])
    assert res.exit_code == 0, res.output
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert len(plan["handoffs"]) == 2 and len(plan["routes"]) == 1
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gj = json.loads((tmp_path / "plan.geojson").read_text())
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    assert kinds.count("route") == 1 and kinds.count("delivery") == 4 and kinds.count("handoff") == 2

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"depots": [], "vehicle_types": [], "orders": []}))
    res = runner.invoke(app, ["plan", str(bad)])
    assert res.exit_code == 2 and "depots" in res.output


def _stamped_doc(offset: int) -> dict:
    """A small VROOM problem with absolute (Unix) times, as in VROOM's documented examples."""
    m = [[0, 300, 500, 400], [300, 0, 250, 350], [500, 250, 0, 200], [400, 350, 200, 0]]
    return {
        "vehicles": [{"id": 7, "start_index": 0, "end_index": 0, "capacity": [4], "time_window": [offset, offset + 8 * 3600]}],
        "jobs": [
            {"id": 1, "location_index": 1, "delivery": [1], "service": 120, "setup": 30, "priority": 5,
             "time_windows": [[offset + 3600, offset + 7200]]},
            {"id": 2, "location_index": 2, "delivery": [1], "service": 60, "time_windows": [[offset, offset + 3600]]},
            {"id": 3, "location_index": 3, "delivery": [1], "service": 60},
        ],
        "matrices": {"car": {"durations": m}},
    }


def test_unix_timestamps_are_shifted_and_given_back() -> None:
    t0 = 1_600_000_000
    doc = _stamped_doc(t0)
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(2.0))
    assert out["code"] == 0 and out["summary"]["unassigned"] == 0
    steps = {s["id"]: s for r in out["routes"] for s in r["steps"] if s["type"] == "job"}
    for j in doc["jobs"]:
        start = steps[j["id"]]["arrival"] + steps[j["id"]]["waiting_time"]
        for lo, hi in j.get("time_windows", [[0, 2**62]]):
            assert lo <= start <= hi
    assert all(t0 <= s["arrival"] <= t0 + 8 * 3600 for r in out["routes"] for s in r["steps"])
    # Same plan as the document with times counted from zero, only moved.
    _, rel = solve_vroom_plan(_stamped_doc(0), stop=MaxRuntime(2.0))
    assert out["summary"]["cost"] == rel["summary"]["cost"]
    assert [s["arrival"] - t0 for s in out["routes"][0]["steps"]] == [s["arrival"] for s in rel["routes"][0]["steps"]]


def test_output_has_setup_priority_and_violations() -> None:
    _, out = solve_vroom_plan(_stamped_doc(0), stop=MaxRuntime(2.0))
    s = out["summary"]
    assert s["setup"] == 30 and s["service"] == 240 and s["priority"] == 5 and s["violations"] == []
    r = out["routes"][0]
    assert r["setup"] == 30 and r["priority"] == 5 and r["violations"] == []
    job1 = next(x for x in r["steps"] if x["type"] == "job" and x["id"] == 1)
    assert job1["setup"] == 30 and job1["service"] == 120 and job1["violations"] == []


def test_cli_errors_in_vroom_format_are_vroom_json_with_its_exit_codes(tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from engine.cli import plan as plan_cli
    from engine.errors import MatrixError

    app = typer.Typer()
    plan_cli.register(app)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    doc = _doc()
    doc["jobs"][0]["time_windows"] = [[10, 5]]
    bad.write_text(json.dumps(doc))
    res = runner.invoke(app, ["plan", str(bad), "-t", "1", "-q", "--format", "vroom", "--out", str(tmp_path / "o.json")])
    assert res.exit_code == 2
    err = json.loads(res.stdout.strip().splitlines()[-1])
    assert err["code"] == 2 and "time_windows" in err["error"]
    assert json.loads((tmp_path / "o.json").read_text()) == err
    # Routing problems are VROOM's code 3, bugs code 1.
    assert plan_cli.vroom_error(MatrixError("no route", item="matrix"))["code"] == 3
    assert plan_cli.vroom_error(RuntimeError("boom"))["code"] == 1


def test_shipments_ride_one_route_pickup_first(tmp_path) -> None:
    m = [[0, 100, 200, 300, 400], [100, 0, 100, 200, 300], [200, 100, 0, 100, 200], [300, 200, 100, 0, 100], [400, 300, 200, 100, 0]]
    doc = {
        "vehicles": [{"id": v, "start_index": 0, "end_index": 0, "capacity": [2]} for v in (1, 2)],
        "shipments": [
            {"pickup": {"id": 1, "location_index": 4, "service": 10}, "delivery": {"id": 1, "location_index": 1}, "amount": [2]},
            {"pickup": {"id": 2, "location_index": 2}, "delivery": {"id": 2, "location_index": 3, "time_windows": [[0, 5000]]}, "amount": [1]},
        ],
        "matrices": {"car": {"durations": m}},
    }
    a = arrays_from_vroom(doc)
    assert a.pairs.shape == (2, 2) and a.job_ids == ("pickup-1", "delivery-1", "pickup-2", "delivery-2")
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(2.0))
    assert out["summary"]["unassigned"] == 0
    for r in out["routes"]:
        tasks = [(s["type"], s["id"]) for s in r["steps"] if s["type"] in ("pickup", "delivery")]
        for kind, i in tasks:
            if kind == "pickup":
                assert ("delivery", i) in tasks[tasks.index((kind, i)) + 1 :]
        loads = [s["load"][0] for s in r["steps"]]
        assert loads[0] == 0 and loads[-1] == 0 and max(loads) <= 2
    # Capacity 2 and shipment 1 fills it: a route carrying both must not hold them at once.
    vroom = pytest.importorskip("vroom")
    (tmp_path / "doc.json").write_text(json.dumps(doc))
    ref = vroom.Input.from_json(tmp_path / "doc.json").solve(exploration_level=5, nb_threads=1)
    assert out["summary"]["cost"] == int(ref.summary.cost)


def test_shipments_beside_delivery_jobs_are_read() -> None:
    doc = {
        "vehicles": [{"id": 1, "start_index": 0, "capacity": [2]}],
        "jobs": [{"id": 1, "location_index": 1, "delivery": [1]}],
        "shipments": [{"pickup": {"id": 1, "location_index": 1}, "delivery": {"id": 1, "location_index": 0}, "amount": [1]}],
        "matrix": [[0, 1], [1, 0]],
    }
    a = arrays_from_vroom(doc)
    # The delivery job loads at the start; its node unloads it, the shipment's nodes load and unload.
    assert a.n_depots == 2  # the start and an open end
    assert a.preload[:, 0].tolist() == [0, 0, 1, 0, 0] and a.demand[:, 0].tolist() == [0, 0, -1, 1, -1]


def test_max_tasks_max_distance_and_steps(tmp_path) -> None:
    doc = _doc()
    n = len(doc["jobs"])
    for v in doc["vehicles"]:
        v["max_tasks"] = (n + 1) // 2 + 1
    first, second = doc["vehicles"][0], doc["vehicles"][1]
    j3, j5 = doc["jobs"][3]["id"], doc["jobs"][5]["id"]
    # A partial route: these two on the first vehicle, j5 before j3.
    first["steps"] = [{"type": "start"}, {"type": "job", "id": j5}, {"type": "job", "id": j3}, {"type": "end"}]
    a = arrays_from_vroom(doc)
    assert a.v_fixed[0] and not a.v_fixed[1]
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(2.0))
    routes = {r["vehicle"]: [s["id"] for s in r["steps"] if s["type"] == "job"] for r in out["routes"]}
    r0 = routes[first["id"]]
    assert j5 in r0 and j3 in r0 and r0.index(j5) < r0.index(j3)
    assert all(len(r) <= first["max_tasks"] for r in routes.values())
    assert all(len(s["load"]) == len(_doc()["vehicles"][0]["capacity"]) for r in out["routes"] for s in r["steps"])
    # max_distance: a vehicle allowed no distance at all stays home.
    doc["matrices"]["car"]["distances"] = doc["matrices"]["car"]["durations"]
    second["max_distance"] = 0
    del first["steps"]
    assert arrays_from_vroom(doc).v_max_distance is not None
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(2.0))
    assert all(r["vehicle"] != second["id"] for r in out["routes"])
    # pyvroom on the same document agrees on what each vehicle may do.
    vroom = pytest.importorskip("vroom")
    (tmp_path / "doc.json").write_text(json.dumps(doc))
    ref = vroom.Input.from_json(tmp_path / "doc.json").solve(exploration_level=5, nb_threads=1)
    assert out["summary"]["unassigned"] == int(ref.summary.unassigned)
    bad = json.loads(json.dumps(doc))
    bad["vehicles"][0]["steps"] = [{"type": "job", "id": 10**6}]
    with pytest.raises(VroomFormatError, match="steps"):
        arrays_from_vroom(bad)


def _example_1_like() -> dict:
    """Shaped like VROOM's docs/example_1.json (skills, breaks, delivery jobs beside a shipment), on a matrix."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1, size=(8, 2))
    m = np.rint(np.hypot(*(xy[:, None] - xy[None, :]).transpose(2, 0, 1)) * 1800).astype(int).tolist()
    return {
        "vehicles": [
            {"id": v, "start_index": 0, "end_index": 0, "capacity": [4], "skills": [v, 14], "time_window": [28800, 43200],
             "breaks": [{"id": v, "service": 300, "time_windows": [[36000, 37800]]}]}
            for v in (1, 2)
        ],
        "jobs": [
            {"id": 1, "service": 300, "delivery": [1], "location_index": 1, "skills": [1], "time_windows": [[32400, 36000]]},
            {"id": 2, "service": 300, "delivery": [1], "location_index": 2, "skills": [1]},
            {"id": 5, "service": 300, "delivery": [1], "location_index": 3, "skills": [14]},
            {"id": 6, "service": 300, "delivery": [1], "location_index": 4, "skills": [14]},
        ],
        "shipments": [
            {"amount": [1], "skills": [2], "pickup": {"id": 4, "service": 300, "location_index": 5},
             "delivery": {"id": 3, "service": 300, "location_index": 6}},
        ],
        "matrices": {"car": {"durations": m}},
    }


def test_delivery_jobs_beside_shipments_as_in_vroom_example_1(tmp_path) -> None:
    doc = _example_1_like()
    a = arrays_from_vroom(doc)
    assert a.preload is not None and len(a.pairs) == 1
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(3.0))
    assert out["code"] == 0 and out["summary"]["unassigned"] == 0
    for r in out["routes"]:
        loads = [s["load"][0] for s in r["steps"] if s["type"] != "break"]
        assert all(0 <= x <= 4 for x in loads)
        tasks = [(s["type"], s["id"]) for s in r["steps"] if s["type"] in ("pickup", "delivery")]
        if tasks:
            assert tasks == [("pickup", 4), ("delivery", 3)] and r["vehicle"] == 2
    # pyvroom on the same document serves the same tasks.
    vroom = pytest.importorskip("vroom")
    (tmp_path / "doc.json").write_text(json.dumps(doc))
    ref = vroom.Input.from_json(tmp_path / "doc.json").solve(exploration_level=5, nb_threads=1)
    assert int(ref.summary.unassigned) == 0 and out["summary"]["cost"] <= int(ref.summary.cost) * 1.02
    # A third shipment of 3 on vehicle 2 does not fit beside its two deliveries and the first shipment.
    doc["shipments"].append({"amount": [3], "skills": [2], "pickup": {"id": 9, "location_index": 7},
                             "delivery": {"id": 9, "location_index": 6}})
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(3.0))
    (tmp_path / "doc.json").write_text(json.dumps(doc))
    ref = vroom.Input.from_json(tmp_path / "doc.json").solve(exploration_level=5, nb_threads=1)
    assert out["summary"]["unassigned"] == int(ref.summary.unassigned)
    for r in out["routes"]:
        assert all(0 <= s["load"][0] <= 4 for s in r["steps"] if s["type"] != "break")
