"""``promise simulate`` through typer's CliRunner, on a stand-in day (the real day has its own end-to-end test)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engine.cli import simulate as simulate_cli
from engine.sim.aggregate import strip_timing
from engine.sim.runner import Runner
from tests.sim.fakeday import fake_replication

TINY = """
name = "tiny"
seed = 3
replications = 4
[network]
source = "synthetic:400@1"
[region]
model = "shanghai"
[[depots]]
id = "d1"
lat = 31.23
lon = 121.47
[fleet.van]
count = 10
[demand]
orders_per_day = 150
"""


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(simulate_cli, "RUNNER", functools.partial(Runner, replicate=fake_replication))
    app = typer.Typer()
    simulate_cli.register(app)
    app.command("noop")(lambda: None)  # two commands, so typer keeps "simulate" as a subcommand
    return app


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    return p


def test_simulate_writes_report_and_same_seed_same_kpis(app: typer.Typer, tiny: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["simulate", str(tiny), "-n", "3", "--out", str(tmp_path / "a"), "--workers", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "tiny: on time" in res.output and "of 3 replications reach 95%" in res.output
    for f in ("index.html", "kpis.json", "v1-hour.png", "v1-map.png", "v1-utilisation.png", "v1-reliability.png"):
        assert (tmp_path / "a" / f).stat().st_size > 500, f
    res = runner.invoke(app, ["simulate", str(tiny), "-n", "3", "--out", str(tmp_path / "b"), "--workers", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    a = json.loads((tmp_path / "a" / "kpis.json").read_text())
    b = json.loads((tmp_path / "b" / "kpis.json").read_text())
    assert a["timing"]["where"] == "in-process" and b["timing"]["where"] == "2 local processes"
    assert strip_timing(a) == strip_timing(b)
    assert a["scenario"] == "tiny" and a["root_seed"] == 3 and a["replications"] == 3
    assert [p["replication"] for p in a["variants"][0]["per_replication"]] == [0, 1, 2]
    assert "warnings.lead_time_s" in a["variants"][0]["kpis"]
    res = runner.invoke(app, ["simulate", str(tiny), "-n", "3", "--seed", "4", "--out", str(tmp_path / "c"), "--workers", "1", "--no-progress"])
    c = json.loads((tmp_path / "c" / "kpis.json").read_text())
    assert strip_timing(c)["variants"] != strip_timing(a)["variants"]


def test_simulate_variants_from_set(app: typer.Typer, tiny: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", str(tiny), "-n", "2", "--out", str(tmp_path / "v"), "--workers", "1",
                                   "--set", "fleet.van.count=5,15", "--set", "demand.surge=1,2", "--no-progress"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "v" / "kpis.json").read_text())
    assert [v["overrides"] for v in doc["variants"]] == [
        {"fleet.van.count": 5, "demand.surge": 1}, {"fleet.van.count": 5, "demand.surge": 2},
        {"fleet.van.count": 15, "demand.surge": 1}, {"fleet.van.count": 15, "demand.surge": 2},
    ]
    assert doc["variants"][0]["per_replication"][0]["fleet_size"] == 5
    assert (tmp_path / "v" / "v4-map.png").exists()
    assert "fleet.van.count=15, demand.surge=2: on time" in res.output


def test_simulate_find_fleet(app: typer.Typer, tiny: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", str(tiny), "-n", "6", "--out", str(tmp_path / "f"), "--workers", "1",
                                   "--find-fleet", "van", "--lo", "2", "--hi", "40", "--no-progress"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "f" / "kpis.json").read_text())
    fs = doc["fleet_search"]
    rec = fs["recommended"]
    assert rec is not None and f"fleet search: {rec} vans (today 10" in res.output
    curve = {c["count"]: c for c in fs["curve"]}
    assert curve[rec]["passes"] and not curve[rec - 1]["passes"]
    assert (tmp_path / "f" / "fleet.png").exists()
    assert "fleet search: van" in (tmp_path / "f" / "index.html").read_text().replace("Fleet search", "fleet search")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "fleet.van.count=-3"], "fleet.van.count"),
        (["--set", "fleet.van.colour=red"], "fleet.van.colour: unknown key"),
        (["--set", "nonsense"], "--set 'nonsense'"),
        (["--find-fleet", "bike"], "no vehicle type 'bike'"),
        (["--find-fleet", "van", "--set", "fleet.van.count=1,2"], "single value"),
        (["--lo", "3"], "--find-fleet"),
        (["--find-fleet", "van", "--lo", "30", "--hi", "20"], "above --hi"),
    ],
)
def test_bad_input_is_one_line_exit_2(app: typer.Typer, tiny: Path, tmp_path: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["simulate", str(tiny), "-n", "1", "--out", str(tmp_path / "x"), "--workers", "1", "--no-progress", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x" / "kpis.json").exists()


def test_malformed_scenario_names_file_and_key(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace("count = 10", 'count = "ten"'))
    res = CliRunner().invoke(app, ["simulate", str(bad), "--out", str(tmp_path / "x"), "--no-progress"])
    assert res.exit_code == 2 and "bad.toml" in res.output and "fleet.van.count" in res.output, res.output
    res = CliRunner().invoke(app, ["simulate", str(tmp_path / "missing.toml"), "--no-progress"])
    assert res.exit_code == 2 and "missing.toml" in res.output


@pytest.mark.slow
def test_real_day_end_to_end(tmp_path: Path) -> None:
    """The real simulated day (tiny: 400-node synthetic map, ~50 orders), on two worker processes,
    then the same seeds in this process: identical KPIs, and a complete report."""
    from engine.sim.aggregate import jsonable
    from engine.sim.scenario import load_scenario

    scen = tmp_path / "tiny.toml"
    scen.write_text(TINY.replace('source = "synthetic:400@1"', 'source = "synthetic:400@1"\ncentre = [31.23, 121.47]').replace("orders_per_day = 150", "orders_per_day = 60"))
    app = typer.Typer()
    simulate_cli.register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["simulate", str(scen), "-n", "2", "--out", str(tmp_path / "r"), "--workers", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "r" / "kpis.json").read_text())
    assert doc["timing"]["where"] == "2 local processes"
    with Runner(workers=1) as r:
        [here] = r.run([load_scenario(scen)], 2, root_seed=3)
    assert [p["kpis"] for p in doc["variants"][0]["per_replication"]] == [jsonable(x.kpis) for x in here]
    assert doc["variants"][0]["kpis"]["on_time.overall"]["n"] == 2
    assert doc["variants"][0]["headline"]["on_time_share"]["values"] == [pytest.approx(x.kpis["on_time"]["overall"]) for x in here]
    html = (tmp_path / "r" / "index.html").read_text()
    assert "delivered by the promise" in html and (tmp_path / "r" / "v1-map.png").exists()
