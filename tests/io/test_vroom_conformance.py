"""VROOM conformance points found by benchmarks/vroom_conformance.py (fast, no solver runs longer than 1 s)."""

from __future__ import annotations

import json

import pytest

from engine.io.vroom import VroomFormatError, arrays_from_vroom, solution_to_vroom


def _doc() -> dict:
    """One vehicle, two jobs on one place (setup), one elsewhere, a break late in the shift."""
    return {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 20000], "capacity": [5],
                      "breaks": [{"id": 7, "service": 600, "time_windows": [[5000, 6000]]}]}],
        "jobs": [
            {"id": 1, "location_index": 1, "service": 100, "delivery": [2]},
            {"id": 2, "location_index": 1, "service": 50, "setup": 30, "pickup": [1]},
            {"id": 3, "location_index": 2, "setup": 40, "delivery": [1]},
        ],
        "matrices": {"car": {"durations": [[0, 100, 200], [100, 0, 150], [200, 150, 0]]}},
    }


def _steps(out: dict) -> list[dict]:
    return out["routes"][0]["steps"]


def test_setup_only_on_arriving_at_a_new_place() -> None:
    a = arrays_from_vroom(_doc())
    d = a.n_depots
    out = solution_to_vroom(a, [[d, d + 1, d + 2]])
    setups = {s["id"]: s["setup"] for s in _steps(out) if s["type"] == "job"}
    # Job 2 follows job 1 at the same place: no setup (VROOM's rule); job 3 is elsewhere.
    assert setups == {1: 0, 2: 0, 3: 40}
    assert out["summary"]["setup"] == 40 and out["routes"][0]["setup"] == 40
    assert {s["id"]: s["service"] for s in _steps(out) if s["type"] == "job"} == {1: 100, 2: 50, 3: 0}
    # The same job first on its route pays its setup.
    out = solution_to_vroom(a, [[d + 1, d, d + 2]])
    assert [s["setup"] for s in _steps(out) if s["type"] == "job"] == [30, 0, 40]


def test_every_break_is_in_the_route_with_its_id_even_when_the_solver_put_it_after_the_end() -> None:
    a = arrays_from_vroom(_doc())
    d = a.n_depots
    out = solution_to_vroom(a, [[d, d + 1, d + 2]], breaks=[[]])
    steps = _steps(out)
    assert [s["type"] for s in steps] == ["start", "job", "job", "job", "break", "end"]
    brk, end = steps[-2], steps[-1]
    assert brk["id"] == 7 and brk["service"] == 600
    start = brk["arrival"] + brk["waiting_time"]
    assert 5000 <= start <= 6000 and end["arrival"] == start + 600
    # Travel to the end comes before the break, as VROOM reports it.
    assert brk["duration"] == end["duration"] == out["routes"][0]["duration"] == 450
    # A break the solver scheduled between two tasks comes after the leg to the next one.
    out = solution_to_vroom(a, [[d, d + 2]], times=[[0, 100, 5800, 6000]], breaks=[[(5100, 600)]])
    steps = _steps(out)
    assert [s["type"] for s in steps] == ["start", "job", "break", "job", "end"]
    assert steps[2]["arrival"] == 100 + 100 + 150 and steps[2]["waiting_time"] == 5100 - 350
    assert steps[3]["arrival"] == 5700 and steps[3]["waiting_time"] == 100


def test_route_and_summary_totals_have_pickup_and_delivery() -> None:
    doc = _doc()
    doc["shipments"] = [{"amount": [2], "pickup": {"id": 9, "location_index": 2}, "delivery": {"id": 9, "location_index": 1}}]
    a = arrays_from_vroom(doc)
    d = a.n_depots
    out = solution_to_vroom(a, [[d, d + 1, d + 2, d + 3, d + 4]])
    r = out["routes"][0]
    # Delivery: jobs 1 and 3 (2 + 1) and the shipment's 2; pickup: job 2's 1 and the shipment's 2.
    assert r["delivery"] == [5] and r["pickup"] == [3]
    assert out["summary"]["delivery"] == [5] and out["summary"]["pickup"] == [3]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["jobs"][0].update(delivery=[4]) or d["jobs"][2].update(delivery=[3]), "over capacity"),
        (lambda d: d["vehicles"][0].update(max_tasks=1), "max_tasks"),
        (lambda d: d["jobs"][2].update(time_windows=[[0, 10]]), "time windows"),
        (lambda d: d["vehicles"][0].update(max_travel_time=100), "max_travel_time"),
    ],
)
def test_steps_describing_an_invalid_route_are_refused_as_vroom_does(change, words) -> None:
    doc = _doc()
    doc["vehicles"][0]["steps"] = [{"type": "start"}, {"type": "job", "id": 1}, {"type": "job", "id": 3}, {"type": "end"}]
    arrays_from_vroom(doc)  # valid as given
    change(doc)
    with pytest.raises(VroomFormatError, match=words) as exc:
        arrays_from_vroom(doc)
    assert exc.value.item == "vehicle 1" and exc.value.field == "steps"


def test_cli_refuses_vroom_example_3_shape_with_code_2(tmp_path) -> None:
    """VROOM's docs/example_3 (steps over capacity, for its -c plan mode) is an input error when solving."""
    import typer
    from typer.testing import CliRunner

    from engine.cli import plan as plan_cli

    app = typer.Typer()
    plan_cli.register(app)
    app.command("noop")(lambda: None)
    doc = _doc()
    doc["jobs"][0]["delivery"] = [4]
    doc["jobs"][2]["delivery"] = [3]
    doc["vehicles"][0]["steps"] = [{"type": "start", "service_after": 0}, {"type": "job", "id": 1},
                                   {"type": "job", "id": 3}, {"type": "end"}]
    f = tmp_path / "ex3.json"
    f.write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["plan", str(f), "-t", "1", "-q", "--format", "vroom"])
    assert res.exit_code == 2
    err = json.loads(res.stdout.strip().splitlines()[-1])
    assert err == {"code": 2, "error": "vehicle 1: steps: the steps describe a route over capacity (at its start)"}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d["matrices"]["car"].update(costs=[[0, 1, 1], [1, 0, 1], [1, 1, 0]]), "matrices.car.costs", "not supported"),
        (lambda d: d["jobs"][0].update(service_per_type={"van": 10}), "service_per_type", "not supported"),
        (lambda d: d["vehicles"][0].update(type="van"), "type", "not supported"),
        (lambda d: d["vehicles"][0].update(profile="bike"), "matrices", "no matrix for profile 'bike'"),
        (lambda d: d["vehicles"][0].update(speed_factor=6), "speed_factor", "must be in"),
    ],
)
def test_vroom_keys_this_engine_cannot_honour_are_refused_not_ignored(change, field, words) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(VroomFormatError, match=words) as exc:
        arrays_from_vroom(doc)
    assert exc.value.field == field


def test_several_profiles_only_with_the_same_matrices() -> None:
    doc = _doc()
    doc["vehicles"].append({**doc["vehicles"][0], "id": 2, "profile": "bike"})
    doc["matrices"]["bike"] = json.loads(json.dumps(doc["matrices"]["car"]))
    arrays_from_vroom(doc)
    doc["matrices"]["bike"]["durations"][0][1] = 7
    with pytest.raises(VroomFormatError, match="several profiles"):
        arrays_from_vroom(doc)


def test_descriptions_are_given_back() -> None:
    doc = _doc()
    doc["vehicles"][0]["description"] = "van 1"
    doc["jobs"][0]["description"] = "shop"
    doc["jobs"][2]["description"] = "late"
    a = arrays_from_vroom(doc)
    out = solution_to_vroom(a, [[a.n_depots, a.n_depots + 1]])
    assert out["routes"][0]["description"] == "van 1"
    assert [s.get("description") for s in _steps(out)] == [None, "shop", None, None, None]
    assert out["unassigned"] == [{"id": 3, "type": "job", "description": "late", "location_index": 2}]


def test_pickups_are_brought_back_while_deliveries_go_out_as_in_vroom() -> None:
    """Capacity 3: deliver 3 at job 1, then pick 3 up at job 2 (VROOM serves both; counting both
    amounts for the whole route would leave one out)."""
    from engine.dispatch import MaxRuntime
    from engine.io.vroom import solve_vroom_plan

    doc = _doc()
    doc["vehicles"][0]["capacity"] = [3]
    del doc["vehicles"][0]["breaks"]
    doc["jobs"] = [
        {"id": 1, "location_index": 1, "delivery": [3]},
        {"id": 2, "location_index": 2, "pickup": [3]},
    ]
    a = arrays_from_vroom(doc)
    assert a.preload is not None
    _, out = solve_vroom_plan(doc, stop=MaxRuntime(1.0))
    assert out["summary"]["unassigned"] == 0
    steps = _steps(out)
    assert [s["id"] for s in steps if s["type"] == "job"] == [1, 2]
    assert [s["load"] for s in steps] == [[3], [0], [3], [3]]
    assert out["routes"][0]["delivery"] == [3] and out["routes"][0]["pickup"] == [3]


def test_a_break_taken_while_driving_splits_the_leg() -> None:
    a = arrays_from_vroom(_doc())
    d = a.n_depots
    # Job 1 is left at 200; the solver starts the break at 250, 50 s into the 150 s leg to job 3.
    out = solution_to_vroom(a, [[d, d + 2]], times=[[0, 100, 5800, 6000]], breaks=[[(250, 600)]])
    brk, job3 = _steps(out)[2], _steps(out)[3]
    assert brk["type"] == "break" and brk["arrival"] == 250 and brk["waiting_time"] == 0 and brk["duration"] == 150
    assert job3["arrival"] == 250 + 600 + 100 and job3["duration"] == 250


def test_a_break_placed_before_the_route_start_is_taken_at_the_start() -> None:
    a = arrays_from_vroom(_doc())
    d = a.n_depots
    # The solver starts the route at 6000 (as late as it can) but its break at 5000.
    out = solution_to_vroom(a, [[d]], times=[[6000, 6100, 6300]], breaks=[[(5000, 600)]])
    steps = _steps(out)
    assert [s["type"] for s in steps] == ["start", "break", "job", "end"]
    assert steps[0]["arrival"] == 5000 and steps[1]["arrival"] == 5000 and steps[1]["duration"] == 0
    assert steps[2]["arrival"] == 5700 and steps[2]["waiting_time"] == 6100 - 5700


def test_the_search_alone_reports_its_breaks_and_the_tasks_after_them() -> None:
    """Big days skip OR-Tools (here forced): the output has the break, and no task is reached before it ends."""
    from engine.dispatch import SolveParams
    from engine.dispatch.stop import MaxRuntime
    from engine.io.vroom import solve_vroom_plan

    doc = {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 20000], "capacity": [9],
                      "breaks": [{"id": 7, "service": 900, "time_windows": [[150, 400]]}]}],
        "jobs": [{"id": j, "location_index": j, "service": 60, "delivery": [1]} for j in (1, 2, 3)],
        "matrices": {"car": {"durations": [[0, 100, 200, 300], [100, 0, 100, 200], [200, 100, 0, 100], [300, 200, 100, 0]]}},
    }
    plan, out = solve_vroom_plan(doc, params=SolveParams(gls_max_jobs=0), stop=MaxRuntime(0.5))
    steps = out["routes"][0]["steps"]
    assert [s["type"] for s in steps].count("break") == 1
    by_id = {s["id"]: s["arrival"] for s in steps if s["type"] == "job"}
    brk = next(s for s in steps if s["type"] == "break")
    # Every task after the break is reached no earlier than the break's end.
    for s in steps[steps.index(brk) + 1:]:
        if s["type"] == "job":
            assert s["arrival"] + s.get("waiting_time", 0) >= brk["arrival"] + brk["waiting_time"] + brk["service"]
    assert set(by_id) == {1, 2, 3}


def _travel_doc(max_travel: int) -> dict:
    """Two jobs 100 s from the depot, each with 2,000 s of service: 400 s of driving in a 4,400 s route."""
    return {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "max_travel_time": max_travel}],
        "jobs": [{"id": 1, "location_index": 1, "service": 2000}, {"id": 2, "location_index": 2, "service": 2000}],
        "matrices": {"car": {"durations": [[0, 100, 100], [100, 0, 200], [100, 200, 0]]}},
    }


def test_max_travel_time_counts_driving_only() -> None:
    from engine.dispatch import MaxRuntime
    from engine.io.vroom import solve_vroom_plan

    # VROOM's bound is on travel (400 s here), not on the route's 4,400 s: both jobs fit in 500.
    _, out = solve_vroom_plan(_travel_doc(500), stop=MaxRuntime(1.0))
    assert out["summary"]["unassigned"] == 0 and out["summary"]["duration"] <= 500
    # 300 s of driving allows one job (there and back: 200 s), not both (400 s).
    _, out = solve_vroom_plan(_travel_doc(300), stop=MaxRuntime(1.0))
    assert out["summary"]["unassigned"] == 1 and out["summary"]["duration"] <= 300
    a = arrays_from_vroom(_travel_doc(300))
    assert a.v_max_travel is not None and int(a.v_max_travel[0]) == 300 and int(a.v_max_duration[0]) > 10**6
    d = a.n_depots
    assert a.route_schedule(0, [d])[1] and not a.route_schedule(0, [d, d + 1])[1]
