"""Scenario files: the shipped ones load, malformed ones fail naming the file, the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InputError, ScenarioError
from engine.sim import Scenario, apply_overrides, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SHIPPED = ["helsinki-day", "metro-double11", "metro-storm", "carrier-outage"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_load(name: str) -> None:
    s = load_scenario(SCENARIOS / f"{name}.toml")
    assert isinstance(s, Scenario)
    assert s.name == name
    assert s.fleet_size > 0


def _write(tmp_path: Path, body: str) -> Path:
    base = (SCENARIOS / "helsinki-day.toml").read_text()
    p = tmp_path / "x.toml"
    p.write_text(base + "\n" + body)
    return p


def _err(path: Path, overrides: dict | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as ei:
        load_scenario(path, overrides)
    return ei.value


def test_error_names_file_key_and_problem(tmp_path: Path) -> None:
    p = _write(tmp_path, "")
    e = _err(p, {"fleet.van.count": -3})
    assert str(e) == f"{p}: fleet.van.count: must be >= 0, got -3"
    assert e.field == "fleet.van.count"
    assert isinstance(e, InputError) and e.exit_code == 2 and e.http_status == 422


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"fleet.van.colour": "red"}, "fleet.van.colour", "unknown key"),
        ({"fleet.van.count": "many"}, "fleet.van.count", "integer"),
        ({"fleet.van.count": 2.5}, "fleet.van.count", "integer"),
        ({"demand.surge": -1.0}, "demand.surge", ">= 0"),
        ({"target": 1.5}, "target", "< 1"),
        ({"waves.times": ["09:00", "06:00"]}, "waves.times", "increasing"),
        ({"waves.times": ["9h"]}, "waves.times.0", "HH:MM"),
        ({"fleet.van.depot": "nowhere"}, "fleet.van.depot", "unknown depot"),
        ({"fleet.van.shift": ["18:00", "08:00"]}, "fleet.van.shift", "before it starts"),
        ({"disruptions.outages": [{"carrier": "dhl", "start": "10:00", "end": "12:00"}]}, "disruptions.outages", "unknown carrier"),
        ({"demand.hourly": [1.0] * 23}, "demand.hourly", "at least 24"),
        ({"date": "2026-13-01"}, "date", "YYYY-MM-DD"),
        ({"network.centre": [31.0, 121.0]}, "network.centre", "synthetic"),
        ({"choice.price": True}, "choice.price", "number"),
        ({"demand.orders_per_day": 2000.0, "demand.previous_day": 15.0}, "demand.previous_day", "20,000"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, overrides: dict, key: str, words: str) -> None:
    p = _write(tmp_path, "")
    e = _err(p, overrides)
    msg = str(e)
    assert msg.startswith(f"{p}: "), msg
    assert key in msg, msg
    assert words.lower() in msg.lower(), msg


def test_missing_required_key(tmp_path: Path) -> None:
    p = tmp_path / "x.toml"
    p.write_text('name = "x"\n[network]\nsource = "helsinki"\n')
    e = _err(p)
    assert str(e) == f"{p}: region: required key is missing"


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "x.toml"
    p.write_text("name = \n")
    assert "not valid TOML" in str(_err(p))
    missing = tmp_path / "nope.toml"
    assert str(_err(missing)).startswith(f"{missing}: cannot read")


def test_unknown_top_level_key_in_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "[fleet.van.extra]\nx = 1\n")
    assert "fleet.van.extra" in str(_err(p))


def test_overrides_are_revalidated_and_do_not_mutate() -> None:
    s = load_scenario(SCENARIOS / "helsinki-day.toml")
    t = apply_overrides(s, {"fleet.van.count": 9, "demand.surge": 3.0})
    assert (t.fleet["van"].count, t.demand.surge) == (9, 3.0)
    assert (s.fleet["van"].count, s.demand.surge) == (4, 1.0)
    assert t.path == s.path and t.name == s.name
    with pytest.raises(ScenarioError) as ei:
        apply_overrides(s, {"fleet.van.count": -1})
    assert str(ei.value).startswith(f"{s.path}: fleet.van.count: must be >= 0")


def test_string_overrides_read_as_toml_literals() -> None:
    """The command line gives strings: "30" is the number 30, a list is a list, a bare word stays a string."""
    s = load_scenario(SCENARIOS / "helsinki-day.toml")
    t = apply_overrides(s, {"fleet.van.count": "30", "waves.times": '["07:00", "13:00"]', "region.model": "shanghai"})
    assert t.fleet["van"].count == 30
    assert t.waves.times == ["07:00", "13:00"]
    assert t.region.model == "shanghai"


@pytest.mark.parametrize("key", ["", "fleet..count", "name.x", "depots.9.lat", "path"])
def test_bad_override_keys(key: str) -> None:
    s = load_scenario(SCENARIOS / "helsinki-day.toml")
    with pytest.raises(ScenarioError) as ei:
        apply_overrides(s, {key: 1})
    assert str(ei.value).startswith(f"{s.path}: ")


def test_list_entries_by_index() -> None:
    s = load_scenario(SCENARIOS / "helsinki-day.toml")
    t = apply_overrides(s, {"depots.1.closes": "20:00"})
    assert t.depots[1].closes == "20:00"


def test_new_vehicle_type_by_override() -> None:
    s = load_scenario(SCENARIOS / "helsinki-day.toml")
    t = apply_overrides(s, {"fleet.ebike.count": 3})
    assert t.fleet["ebike"].count == 3 and t.vehicle_depot("ebike") == "HEL-W"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"depots.0.lat": 61.5, "depots.0.lon": 23.8}, "depots.0"),  # Tampere, not on the Helsinki extract
        ({"carriers.dhl.capacity": 10}, "carriers.dhl"),
        ({"network.source": "nowhere.osm.pbf"}, "network.source"),
        ({"region.model": "no-such-model-dir"}, "region.model"),
        ({"region.catalogue": "no-such-catalogue.toml"}, "region.catalogue"),
    ],
)
def test_what_only_loading_can_tell_is_named_too(overrides: dict, key: str) -> None:
    from engine.sim.world import world

    s = load_scenario(SCENARIOS / "helsinki-day.toml", overrides)
    with pytest.raises(ScenarioError) as ei:
        world(s)
    assert str(ei.value).startswith(f"{s.path}: {key}"), str(ei.value)


def test_package_exports_resolve_lazily() -> None:
    import subprocess
    import sys

    code = ("import sys, engine.sim as S; assert 'numba' not in sys.modules and 'ortools' not in sys.modules; "
            "[getattr(S, n) for n in S.__all__]; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_catalogue_changes_the_offer_not_the_fitted_calendar() -> None:
    """A scenario's catalogue keeps what the model learnt: holidays its history never saw, services idle on
    holidays, the fleet's closed days and the seasons its tables are labelled by."""
    import dataclasses

    from engine.eta.model import default_model
    from engine.io.catalogue import read_catalogue
    from engine.sim.world import with_calendar_of

    fitted = dataclasses.replace(default_model("shanghai").city, new_holidays=(20750, 20751), holiday_idle=("zto:standard",),
                                 closed_days=(20750,), seen_break_days=8, seasons=(("slow-double_11", ((20757, 20770),)),))
    offer = read_catalogue(SCENARIOS / "catalogue-shanghai.toml").city
    city = with_calendar_of(offer, fitted)
    assert city.services == offer.services and city.currency == offer.currency
    assert (city.new_holidays, city.holiday_idle, city.closed_days, city.seen_break_days) == ((20750, 20751), ("zto:standard",), (20750,), 8)
    assert city.seasons == fitted.seasons and city.holidays == fitted.holidays
