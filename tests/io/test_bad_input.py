"""Hostile input: every mistake is a clear error naming the field, never a traceback or lost data.

The CLI (``promise plan`` / ``promise network info``) must exit non-zero with a
one-line ``error:``; the API (``POST /v1/plans``) must answer 422 naming the
field (or 413 for a body too big to plan), never 500; a background solve that
fails must end as ``failed`` with the message.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest
import typer
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.main import create_app
from engine.config import Settings
from api.deps import get_store
from engine.store.repository import Store
from tests.api.server import key_for
from tests.api.server import wait_for_status as _wait
from engine.cli import network as network_cli
from engine.cli import plan as plan_cli
from engine.dispatch.stop import from_limits as check_limits
from engine.io.problem_json import problem_from_dict, read_json
from engine.io.schema import MAX_ORDERS
from engine.io.vroom import VroomFormatError, arrays_from_vroom, check_document
from engine.domain.problem import Carrier, Depot, ModelError, Order, Problem, VehicleType
from engine.io.scenarios import scenario
from engine.network import load as load_network
from engine.network import parse_source as split_network_spec

LAT, LON = 60.17, 24.94

PROBLEM: dict[str, Any] = {
    "name": "bad-input",
    "depots": [{"id": "D1", "lat": LAT, "lon": LON}],
    "vehicle_types": [{"id": "van", "count": 2, "start_depot": "D1", "capacity": {"parcels": 10}}],
    "orders": [{"id": f"o{i}", "lat": LAT + 0.002 * i, "lon": LON + 0.003 * i} for i in range(4)],
}

VROOM: dict[str, Any] = {
    "vehicles": [{"id": 1, "start": [LON, LAT], "end": [LON, LAT], "capacity": [10], "time_window": [28800, 72000]}],
    "jobs": [{"id": i, "location": [LON + 0.003 * i, LAT + 0.002 * i], "delivery": [1], "service": 60} for i in range(1, 5)],
}


def _with(doc: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    change(d)
    return d


def _order(**kw: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d["orders"][0].update(kw)


def _vehicle(**kw: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d["vehicle_types"][0].update(kw)


# --------------------------------------------------------------------------- problem documents

BAD_PROBLEMS = [
    ("unknown order depot", _order(depot="ZZ"), "depot"),
    ("unknown start depot", _vehicle(start_depot="ZZ"), "start_depot"),
    ("negative size", _order(size={"parcels": -1}), "size"),
    ("window end before start", _order(windows=[["12:00", "09:00"]]), "windows"),
    ("zero vehicles", _vehicle(count=0), "vehicle_types"),
    ("NaN latitude", _order(lat=float("nan")), "lat"),
    ("infinite longitude", _order(lon=float("inf")), "lon"),
    ("huge size", _order(size={"parcels": 1e300}), "size.parcels"),
    ("huge service time", _order(service_time=10**30), "service_time"),
    ("huge window", _order(windows=[[0, 10**15]]), "windows"),
    ("huge priority", _order(priority=10**30), "priority"),
    ("huge vehicle count", _vehicle(count=10**12), "count"),
    ("infinite capacity", _vehicle(capacity={"parcels": float("inf")}), "capacity.parcels"),
    ("huge cost", _vehicle(cost_per_km=1e300), "cost_per_km"),
    ("huge break", _vehicle(breaks=[{"window": ["11:00", "12:00"], "duration": 10**12}]), "breaks[0].duration"),
    ("duplicate order id", lambda d: d["orders"].append(dict(d["orders"][0])), "order_id"),
    ("duplicate vehicle type id", lambda d: d["vehicle_types"].append(dict(d["vehicle_types"][0])), "id"),
    ("duplicate carrier id", lambda d: d.update(carriers=[{"id": "c"}, {"id": "c"}]), "id"),
    ("typo in a field", _order(tw=[1, 2]), "tw"),
    ("orders not a list", lambda d: d.update(orders={"a": 1}), "orders"),
    ("count as a string", _vehicle(count="2"), "count"),
    ("shift after the horizon", lambda d: d.update(horizon=3600), "shift"),
    ("window after the horizon", lambda d: (d.update(horizon=20 * 3600), d["orders"][0].update(windows=[["21:00", "22:00"]])), "windows"),
    ("too many orders", lambda d: d.update(orders=[{"id": str(i), "lat": LAT, "lon": LON} for i in range(MAX_ORDERS + 1)]), "orders"),
]


@pytest.mark.parametrize(("label", "change", "field"), BAD_PROBLEMS, ids=[b[0] for b in BAD_PROBLEMS])
def test_bad_problem_names_the_field(label: str, change: Callable[[dict[str, Any]], Any], field: str) -> None:
    with pytest.raises(ModelError) as err:
        problem_from_dict(_with(PROBLEM, change))
    assert err.value.field == field, str(err.value)


def test_model_validate_refuses_duplicate_vehicle_types_and_carriers() -> None:
    base = dict(depots=[Depot("D", LAT, LON)], orders=[Order("o", LAT, LON)])
    with pytest.raises(ModelError, match="duplicate vehicle type id"):
        Problem(vehicle_types=[VehicleType("v", 1, "D"), VehicleType("v", 2, "D")], **base).validate()
    with pytest.raises(ModelError, match="duplicate carrier id"):
        Problem(vehicle_types=[VehicleType("v", 1, "D")], carriers=[Carrier("c"), Carrier("c")], **base).validate()


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), ('{"a": ', "not valid JSON"), ('{"x": NaN}', "NaN is not a JSON number"), (b"\xff\xfe\x00", "not a text")],
)
def test_read_json_names_the_problem(tmp_path: Path, content: str | bytes, message: str) -> None:
    f = tmp_path / "p.json"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=message):
        read_json(f)
    with pytest.raises(ValueError, match="is a directory"):
        read_json(tmp_path)
    with pytest.raises(ValueError, match="cannot read"):
        read_json(tmp_path / "missing.json")


def test_limits_and_sources_are_checked() -> None:
    for bad in (-1, 0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="time_limit"):
            check_limits(bad)
    with pytest.raises(ValueError, match="solution_limit"):
        check_limits(1.0, solution_limit=0)
    with pytest.raises(ValueError, match="no_improvement"):
        check_limits(1.0, no_improvement=-3)
    with pytest.raises(ValueError, match="seed after '@'"):
        load_network("synthetic:100@x")
    # Only synthetic sources carry a seed: an '@' in a file name stays part of the path.
    assert split_network_spec("/data/x@2.osm.pbf") == ("/data/x@2.osm.pbf", 0)
    assert split_network_spec("synthetic:500@7") == ("synthetic:500", 7)
    with pytest.raises(ValueError, match="--orders"):
        scenario("helsinki-day", n_orders=-5)


# --------------------------------------------------------------------------- VROOM documents

BAD_VROOM = [
    ("location of strings", lambda d: d["jobs"][0].update(location=["a", "b"]), "location longitude"),
    ("service a string", lambda d: d["jobs"][0].update(service="abc"), "service"),
    ("negative service", lambda d: d["jobs"][0].update(service=-50), "service"),
    ("break not an object", lambda d: d["vehicles"][0].update(breaks=[5]), "-"),
    ("break window too short", lambda d: d["vehicles"][0].update(breaks=[{"id": 1, "time_windows": [[5]]}]), "breaks[0].time_windows"),
    ("costs a list", lambda d: d["vehicles"][0].update(costs=[1]), "-"),
    ("huge capacity", lambda d: d["vehicles"][0].update(capacity=[10**15]), "capacity"),
    ("huge amount", lambda d: d["jobs"][0].update(delivery=[10**15]), "delivery"),
    ("duplicate vehicle id", lambda d: d["vehicles"].append(dict(d["vehicles"][0])), "id"),
    ("duplicate job id", lambda d: d["jobs"].append(dict(d["jobs"][0])), "id"),
    ("job id an object", lambda d: d["jobs"][0].update(id={"x": 1}), "id"),
    ("priority a string", lambda d: d["jobs"][0].update(priority="high"), "priority"),
    ("typo in a key", lambda d: d["jobs"][0].update(deliveryy=[1]), "deliveryy"),
    ("max_tasks not a number", lambda d: d["vehicles"][0].update(max_tasks="3"), "max_tasks"),
    ("unsupported break max_load", lambda d: d["vehicles"][0].update(breaks=[{"id": 1, "time_windows": [[0, 100]], "max_load": [1]}]), "max_load"),
    ("matrices not profiles", lambda d: d.update(matrices={"car": 5}), "matrices"),
    ("negative matrix", lambda d: d.update(matrix=[[0, -1], [-1, 0]]), "matrix"),
    ("ragged matrix", lambda d: d.update(matrix=[[0, 1], [1]]), "matrix"),
]


@pytest.mark.parametrize(("label", "change", "where"), BAD_VROOM, ids=[b[0] for b in BAD_VROOM])
def test_bad_vroom_names_the_key(label: str, change: Callable[[dict[str, Any]], Any], where: str) -> None:
    doc = _with(VROOM, change)
    with pytest.raises(VroomFormatError) as err:
        check_document(doc)
    assert where in str(err.value), str(err.value)
    with pytest.raises(VroomFormatError):
        arrays_from_vroom(doc)


# --------------------------------------------------------------------------- CLI


def _cli() -> typer.Typer:
    app = typer.Typer()
    plan_cli.register(app)
    network_cli.register(app)
    return app


def _run(args: list[str]) -> Any:
    return CliRunner().invoke(_cli(), args)


def _assert_clean_error(res: Any, *needles: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.output.count("error:") == 1, res.output
    # rich wraps long messages at the (test) terminal width: read the message as one line.
    line = " ".join(res.output[res.output.index("error:"):].split())
    for n in needles:
        assert n in line, line


@pytest.mark.parametrize(
    ("label", "change", "needle"),
    [(label, change, field) for label, change, field in BAD_PROBLEMS if "too many" not in label],
    ids=[b[0] for b in BAD_PROBLEMS if "too many" not in b[0]],
)
def test_plan_cli_bad_problem_is_one_line(tmp_path: Path, label: str, change: Callable[[dict[str, Any]], Any], needle: str) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(_with(PROBLEM, change)))  # NaN/inf become JSON's NaN/Infinity: refused by the reader
    _assert_clean_error(_run(["plan", str(f), "-t", "1", "-q"]))


def test_plan_cli_bad_files_and_options(tmp_path: Path) -> None:
    good = tmp_path / "ok.json"
    good.write_text(json.dumps(PROBLEM))
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "array.json").write_text("[1, 2]")
    _assert_clean_error(_run(["plan", str(tmp_path / "missing.json"), "-q"]), "unknown scenario")
    _assert_clean_error(_run(["plan", str(tmp_path), "-q"]), "is a directory")
    _assert_clean_error(_run(["plan", str(tmp_path / "empty.json"), "-q"]), "is empty")
    _assert_clean_error(_run(["plan", str(tmp_path / "array.json"), "-q"]), "expected an object")
    _assert_clean_error(_run(["plan", str(good), "--time-limit", "-1", "-q"]), "--time-limit")
    _assert_clean_error(_run(["plan", str(good), "--time-limit", "inf", "-q"]), "--time-limit")
    _assert_clean_error(_run(["plan", str(good), "--solution-limit", "0", "-q"]), "--solution-limit")
    _assert_clean_error(_run(["plan", str(good), "--format", "xyz", "-q"]), "--format")
    _assert_clean_error(_run(["plan", str(good), "--out", str(tmp_path), "-q"]), "--out", "is a directory")
    _assert_clean_error(_run(["plan", str(good), "--map", str(tmp_path), "-q"]), "--map", "is a directory")
    _assert_clean_error(_run(["plan", str(good), "--out", str(good / "x.json"), "-q"]), "--out", "not a directory")
    _assert_clean_error(_run(["plan", "helsinki-day", "--orders", "-5", "-q"]), "--orders")
    typo = tmp_path / "typo.toml"
    typo.write_text("[search]\nopen_rat = 0.1\n")
    _assert_clean_error(_run(["plan", str(good), "--params", str(typo), "-q"]), "typo.toml", "search.open_rat")
    out_of_range = tmp_path / "range.toml"
    out_of_range.write_text("[search]\nopen_rate = 2\n")
    _assert_clean_error(_run(["plan", str(good), "--params", str(out_of_range), "-q"]), "search.open_rate")
    _assert_clean_error(_run(["plan", str(good), "--params", str(tmp_path / "none.toml"), "-q"]), "none.toml")
    bad_vroom = tmp_path / "v.json"
    bad_vroom.write_text(json.dumps(_with(VROOM, lambda d: d["vehicles"][0].update(costs=[1]))))
    _assert_clean_error(_run(["plan", str(bad_vroom), "-q"]), "costs")


def test_plan_cli_reads_params_toml(tmp_path: Path) -> None:
    """``--params`` reaches the solve: with ``use_improve = false`` no numba search phase runs."""
    good = tmp_path / "ok.json"
    good.write_text(json.dumps(PROBLEM))
    params = tmp_path / "p.toml"
    params.write_text("use_improve = false\n[search]\nopen_rate = 0.0\n")

    def phases(*extra: str) -> list[str]:
        out = tmp_path / "plan.json"
        res = _run(["plan", str(good), "-t", "2", "-q", "--out", str(out), *extra])
        assert res.exit_code == 0, res.output
        doc = json.loads(out.read_text())
        assert sorted(s["order_id"] for r in doc["routes"] for s in r["stops"] if s["order_id"]) == [f"o{i}" for i in range(4)]
        return [p[0] for p in doc["stats"]["phases"]]

    assert any(name.startswith("improve") for name in phases())
    assert not any(name.startswith("improve") for name in phases("--params", str(params)))


def test_plan_cli_far_order_is_unassigned_off_network(tmp_path: Path) -> None:
    doc = _with(PROBLEM, lambda d: (d.update(network="helsinki"), d["orders"][0].update(lat=LAT + 4.5)))
    f = tmp_path / "far.json"
    f.write_text(json.dumps(doc))
    out = tmp_path / "plan.json"
    png = tmp_path / "map"  # no suffix: the PNG must land here, not at map.png
    res = _run(["plan", str(f), "-t", "5", "--solution-limit", "20", "-q", "--out", str(out), "--map", str(png)])
    assert res.exit_code == 0, res.output
    plan = json.loads(out.read_text())
    assert [(u["order_id"], u["reason"]) for u in plan["unassigned"]] == [("o0", "OFF_NETWORK")]
    routed = [s["order_id"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "delivery"]
    assert sorted(routed) == ["o1", "o2", "o3"]
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG" and not (tmp_path / "map.png").exists()


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("missing.osm.pbf", "not found"),
        ("empty.osm.pbf", "could not read"),
        ("corrupt.osm.gz", "could not read"),
        ("synthetic:abc", "bad synthetic source"),
        ("synthetic:-5", "between 50"),
        ("synthetic:3", "between 50"),
        ("", "empty road network source"),
    ],
)
def test_network_info_bad_source_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, needle: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.osm.pbf").write_bytes(b"")
    (tmp_path / "corrupt.osm.gz").write_bytes(b"\x1f\x8b not really gzip")
    _assert_clean_error(_run(["network", "info", source, "--no-cache"]), needle)


# --------------------------------------------------------------------------- API


@pytest.fixture()
def client():
    # Solves in threads of this process: the tests patch the solver and poll the plan.
    app = create_app(Settings(solve_workers=1, solve_in_threads=True, shed_lag_ms=60_000, plans_per_minute=100_000))
    store = Store("sqlite://")
    app.dependency_overrides[get_store] = lambda: store
    headers = {"Authorization": f"Bearer {key_for(store)}"}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c




def _locs(r: Any) -> list[str]:
    return [str(x) for d in r.json()["detail"] for x in d["loc"]]


@pytest.mark.parametrize(
    ("label", "change", "field"),
    [
        ("missing depots", lambda d: d.pop("depots"), "depots"),
        ("orders a string", lambda d: d.update(orders="x"), "orders"),
        ("negative size", _order(size={"parcels": -1}), "size"),
        ("window end before start", _order(windows=[["12:00", "09:00"]]), "windows"),
        ("unknown depot", _order(depot="ZZ"), "depot"),
        ("duplicate order", lambda d: d["orders"].append(dict(d["orders"][0])), "order_id"),
        ("duplicate vehicle type", lambda d: d["vehicle_types"].append(dict(d["vehicle_types"][0])), "id"),
        ("huge time", _order(windows=[[0, 10**15]]), "windows"),
        ("huge count", _vehicle(count=10**12), "count"),
        ("bad synthetic network", lambda d: d.update(network="synthetic:abc"), "network"),
        ("huge synthetic network", lambda d: d.update(network="synthetic:20000000"), "network"),
        ("server file as network", lambda d: d.update(network="/etc/passwd"), "network"),
        ("unknown field", _order(colour="red"), "colour"),
    ],
)
def test_api_bad_body_is_422_naming_the_field(client: TestClient, label: str, change: Callable[[dict[str, Any]], Any], field: str) -> None:
    r = client.post("/v1/plans", json=_with(PROBLEM, change), params={"time_limit": 1})
    assert r.status_code == 422, r.text
    assert field in _locs(r), r.text


@pytest.mark.parametrize("raw", ['{"depots": NaN}', json.dumps(PROBLEM).replace(f'"lat": {LAT},', '"lat": NaN,', 1), "hello", "[]", ""])
def test_api_raw_junk_is_422(client: TestClient, raw: str) -> None:
    r = client.post("/v1/plans", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text


def test_api_too_many_orders_is_413_without_echo(client: TestClient) -> None:
    doc = _with(PROBLEM, lambda d: d.update(orders=[{"id": f"o{i}", "lat": LAT, "lon": LON} for i in range(MAX_ORDERS + 1)]))
    r = client.post("/v1/plans", json=doc)
    assert r.status_code == 413, r.text[:300]
    assert f"at most {MAX_ORDERS:,}" in r.json()["detail"] and len(r.text) < 500


def test_api_query_limits_and_unknown_plan(client: TestClient) -> None:
    for params in ({"time_limit": -1}, {"time_limit": "nan"}, {"solution_limit": 0}):
        assert client.post("/v1/plans", json=PROBLEM, params=params).status_code == 422
    r = client.get("/v1/plans/does-not-exist")
    assert r.status_code == 404 and "does-not-exist" in r.json()["detail"]


def test_api_failed_background_solve_is_stored_as_failed(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.dispatch

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("matrix exploded")

    monkeypatch.setattr(engine.dispatch, "solve", broken)
    r = client.post("/v1/plans", json=PROBLEM, params={"time_limit": 1})
    assert r.status_code == 202
    g = _wait(client.get, r.json()["id"])
    assert g["status"] == "failed" and "matrix exploded" in g["error"] and g["plan"] is None


def test_api_far_order_is_reported_not_lost(client: TestClient) -> None:
    doc = _with(PROBLEM, lambda d: (d.update(network="helsinki"), d["orders"][0].update(lat=LAT + 4.5)))
    r = client.post("/v1/plans", json=doc, params={"time_limit": 5, "solution_limit": 20})
    g = _wait(client.get, r.json()["id"])
    assert g["status"] == "done", g.get("error")
    plan = g["plan"]
    assert [(u["order_id"], u["reason"]) for u in plan["unassigned"]] == [("o0", "OFF_NETWORK")]
    accounted = [s["order_id"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "delivery"]
    accounted += [h["order_id"] for h in plan["handoffs"]] + [u["order_id"] for u in plan["unassigned"]]
    assert sorted(accounted) == sorted(o["id"] for o in doc["orders"])


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.sampled_from(["09:00", "25:99", "D1", ""]),
)
_junk = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
_PATHS = [
    ("name",), ("horizon",), ("depots",), ("depots", 0, "lat"), ("depots", 0, "opening"), ("vehicle_types", 0, "count"),
    ("vehicle_types", 0, "capacity"), ("vehicle_types", 0, "shift"), ("vehicle_types", 0, "breaks"), ("orders",),
    ("orders", 0, "size"), ("orders", 0, "windows"), ("orders", 0, "promised_by"), ("orders", 0, "service_time"),
    ("orders", 0, "priority"), ("orders", 1, "lat"), ("orders", 1, "depot"), ("carriers",), ("network",), ("day_start",),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(_PATHS), _junk), min_size=1, max_size=3))
def test_api_fuzzed_bodies_never_500(client: TestClient, edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc: Any = copy.deepcopy(PROBLEM)
    for path, value in edits:
        target = doc
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    r = client.post("/v1/plans", json=doc, params={"time_limit": 0.5, "solution_limit": 5})
    assert r.status_code in (202, 413, 422), r.text
    if r.status_code == 202:
        g = _wait(client.get, r.json()["id"])
        assert g["status"] in ("done", "failed")
        if g["status"] == "done":
            # Every order the server accepted is on a route, handed off or unassigned with a reason.
            plan = g["plan"]
            accounted = [s["order_id"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "delivery"]
            accounted += [h["order_id"] for h in plan["handoffs"]] + [u["order_id"] for u in plan["unassigned"]]
            assert sorted(map(str, accounted)) == sorted(str(o["id"]) for o in doc["orders"])


# --------------------------------------------------------------------------- off the network


def test_depot_off_the_network_is_an_error_not_a_silent_snap() -> None:
    from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit, solve

    net = load_network("helsinki")
    problem = problem_from_dict(_with(PROBLEM, lambda d: d["depots"][0].update(lat=64.0)))
    with pytest.raises(ModelError, match="km from the nearest road") as err:
        solve(problem, network=net, stop=FirstOf(MaxRuntime(2), SolutionLimit(5)))
    assert err.value.item == "depot 'D1'"


def test_vroom_job_off_the_network_is_unassigned_and_vehicle_off_it_is_an_error() -> None:
    from engine.dispatch import FirstOf, MaxRuntime, SolutionLimit
    from engine.io.vroom import solve_vroom_plan

    net = load_network("helsinki")
    doc = _with(VROOM, lambda d: d["jobs"][0].update(location=[30.0, LAT]))
    plan, out = solve_vroom_plan(doc, network=net, stop=FirstOf(MaxRuntime(3), SolutionLimit(10)))
    assert [(u.order_id, u.reason.name) for u in plan.unassigned] == [("1", "OFF_NETWORK")]
    assert [(u["id"], u["reason"]) for u in out["unassigned"]] == [(1, "OFF_NETWORK")]
    with pytest.raises(VroomFormatError, match="vehicle 1: start: .* km from the nearest road"):
        arrays_from_vroom(_with(VROOM, lambda d: d["vehicles"][0].update(start=[30.0, LAT])), network=net)


def test_matrix_only_plan_json_is_valid_json(tmp_path: Path) -> None:
    doc = {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0}],
        "jobs": [{"id": 1, "location_index": 1}, {"id": 2, "location_index": 2}],
        "matrix": [[0, 100, 200], [100, 0, 100], [200, 100, 0]],
    }
    f = tmp_path / "v.json"
    f.write_text(json.dumps(doc))
    out = tmp_path / "plan.json"
    res = _run(["plan", str(f), "-t", "2", "--solution-limit", "5", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    read_json(out)  # refuses NaN: stops without coordinates are null
    _assert_clean_error(_run(["plan", str(f), "-q", "--map", str(tmp_path / "m.png")]), "coordinates")


def test_api_depot_off_the_network_fails_with_the_reason(client: TestClient) -> None:
    doc = _with(PROBLEM, lambda d: d.update(network="synthetic:200@3"))  # a generated city far from Helsinki
    r = client.post("/v1/plans", json=doc, params={"time_limit": 2, "solution_limit": 5})
    assert r.status_code == 202, r.text
    g = _wait(client.get, r.json()["id"])
    assert g["status"] == "failed" and "depot 'D1'" in g["error"] and "km from the nearest road" in g["error"]
