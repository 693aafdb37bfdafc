"""The report: page, plots and kpis.json from a run (stand-in day), with and without a fleet search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.plot import sim as plots
from engine.sim import fleet
from engine.sim.aggregate import kpis_document, variant_document
from engine.sim.fleet import find_fleet
from engine.sim.report import write_report
from engine.sim.runner import Runner
from tests.sim.fakeday import FakeScenario, fake_replication, with_vans


def test_report_page_plots_and_kpis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "_with_count", lambda s, vt, n: with_vans(s, n))
    scen = [FakeScenario(), with_vans(FakeScenario(), 25)]
    with Runner(workers=1, replicate=fake_replication) as r:
        results = r.run(scen, 5, root_seed=1)
        search = find_fleet(scen[0], "van", replications=5, lo=1, hi=30, runner=r, root_seed=1, known={20: results[0]})
    doc = kpis_document("fake", 1, 5, [variant_document({}, results[0]), variant_document({"fleet.van.count": 25}, results[1])],
                        fleet_search=search.to_dict(), timing={"run_s": 0.5})
    page = write_report(tmp_path / "rep", doc, results, where="in-process", today=20)
    html = page.read_text()
    for name in ("v1-hour.png", "v1-map.png", "v1-utilisation.png", "v1-reliability.png", "v2-map.png", "fleet.png"):
        assert f'src="{name}"' in html and (tmp_path / "rep" / name).stat().st_size > 1000
    assert f"{search.recommended} vans" in html and "today's fleet: 20" in html
    assert "<code>fleet.van.count = 25</code>" in html and "on_time.by_option.same_day" in html
    k = json.loads((tmp_path / "rep" / "kpis.json").read_text())
    assert k["fleet_search"]["recommended"] == search.recommended
    assert k["variants"][1]["headline"]["on_time_share"]["mean"] == pytest.approx(np.mean([fleet.on_time_share(x) for x in results[1]]))


def test_report_without_search_and_escapes_text(tmp_path: Path) -> None:
    with Runner(workers=1, replicate=fake_replication) as r:
        results = r.run([FakeScenario(name="<b>x</b>")], 1, root_seed=1)
    doc = kpis_document("<b>x</b>", 1, 1, [variant_document({}, results[0])])
    html = write_report(tmp_path, doc, results).read_text()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "fleet.png" not in html and not (tmp_path / "fleet.png").exists()
    # One replication: no interval, shown without one rather than as nan.
    assert "nan" not in html.lower().replace("nanosecond", "")


def test_plots_cope_with_empty_and_all_late(tmp_path: Path) -> None:
    plots.late_map(np.zeros(0), np.zeros(0), np.zeros(0, bool), tmp_path / "m0.png")
    plots.late_map(np.array([31.0, 31.1]), np.array([121.0, 121.1]), np.array([False, False]), tmp_path / "m1.png")
    plots.on_time_by_hour(range(24), [None] * 24, [None] * 24, [None] * 24, [0] * 24, 0.95, tmp_path / "h.png")
    plots.utilisation([], [], tmp_path / "u.png")
    plots.reliability([], [], [], 0.95, tmp_path / "r.png")
    plots.fleet_curve([3], [0.0], [0.5], target=0.95, confidence=0.9, recommended=None, vehicle_type="van", path=tmp_path / "f.png")
    assert all((tmp_path / f).stat().st_size > 500 for f in ("m0.png", "m1.png", "h.png", "u.png", "r.png", "f.png"))
