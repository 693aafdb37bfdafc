"""The replay benchmark's parts on a small day: the generator, the scorer, the baselines and the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from engine.cli import app
from engine.domain.monitor import TrackKind
from engine.monitor.params import MonitorParams
from engine.monitor.score import baseline_day, replay_day, score
from tests.monitor.helpers import small_day

KEYS = {"recall_30min", "precision", "median_lead_min", "rescued_share", "events_per_s", "warning_p99_s"}


def test_generated_day_has_what_the_issue_asks_for():
    day = small_day(orders=150, vehicles=6, seed=2)
    kinds = {e.kind for e in day.events}
    assert kinds == set(TrackKind) - {TrackKind.STOP_FAILED}
    incidents = {e.incident.kind.value for e in day.events if e.incident is not None}
    assert incidents == {"weather", "vehicle_breakdown"}
    assert any(e.status == "missed_sort" for e in day.events)
    vans = {e.vehicle_id for e in day.events if e.kind == TrackKind.POSITION}
    assert len(vans) == 6
    assert set(day.delivered) == set(day.promises)
    # The stream is in arrival order, which is not always event-time order.
    assert any(b.at < a.at for a, b in zip(day.events, day.events[1:]))


def test_replay_scores_and_beats_the_baselines_on_recall():
    day = small_day(orders=150, vehicles=6, seed=2)
    m, mon = replay_day(day)
    assert KEYS <= set(m) and {"own_fleet", "carrier"} <= set(m)
    assert m["late"] > 0 and m["recall_30min"] is not None
    for rule in ("p50", "behind15"):
        b = baseline_day(day, rule)
        assert KEYS <= set(b)
        assert m["recall_30min"] >= b["recall_30min"]


def test_score_counts_rescued_orders_as_right():
    day = small_day(orders=60, vehicles=4, seed=1)
    o, pb = next(iter(day.promises.items()))
    day.delivered = {k: v - 3600 for k, v in day.promises.items()}
    day.delivered[o] = pb + 600
    other = next(k for k in day.promises if k != o)
    m = score(day, {o: pb - 3600, other: day.promises[other] - 3600}, rescued={other}, moved={other})
    assert m["late"] == 1 and m["recall_30min"] == 1.0
    assert m["precision"] == 1.0 and m["precision_late_only"] == 0.5


def test_cli_simulate_day_then_replay(tmp_path):
    r = CliRunner().invoke(app, ["monitor", "simulate-day", "--orders", "80", "--vehicles", "4", "--seed", "1", "--out", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    assert {p.name for p in (tmp_path / "d").iterdir()} == {"plan.json", "promises.json", "events.jsonl", "truth.json"}
    out = tmp_path / "m.json"
    r = CliRunner().invoke(app, ["monitor", "replay", str(tmp_path / "d"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    m = json.loads(out.read_text())
    assert KEYS <= set(m) and set(m["baselines"]) == {"p50_eta_passes_promise", "vehicle_15min_behind"}
    assert all(KEYS <= set(b) for b in m["baselines"].values())


def test_cli_start_and_ingest_with_a_bad_line(tmp_path):
    day_dir = tmp_path / "d"
    assert CliRunner().invoke(app, ["monitor", "simulate-day", "--orders", "40", "--vehicles", "2", "--out", str(day_dir)]).exit_code == 0
    db = f"sqlite:///{tmp_path / 'm.db'}"
    r = CliRunner().invoke(app, ["monitor", "start", str(day_dir / "plan.json"), "--promises", str(day_dir / "promises.json"), "--db", db])
    assert r.exit_code == 0, r.output
    lines = (day_dir / "events.jsonl").read_text().splitlines()[:50]
    lines.insert(3, '{"id": "bad", "kind": "position", "at": 0, "lat": 500}')
    (tmp_path / "e.jsonl").write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(app, ["monitor", "ingest", str(tmp_path / "e.jsonl"), "--db", db])
    assert r.exit_code == 2
    assert "50 accepted" in r.output and "line 4" in r.output and "lat" in r.output


def test_applied_rescues_are_re_driven_in_the_truth():
    day = small_day(orders=150, vehicles=6, seed=2)
    m, mon = replay_day(day, MonitorParams(auto_apply=True))
    assert m["moved"] == sum(1 for w in mon.orders.values() if w.moved)
    assert m["rescued"] <= m["moved"]
    assert all(v.taken <= MonitorParams().max_takeovers for v in mon.vehicles.values())
