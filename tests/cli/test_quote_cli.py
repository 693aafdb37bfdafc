"""``promise fit`` and ``promise quote`` through typer's CliRunner."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from typer.testing import CliRunner

from engine.cli import quote as quote_cli
from engine.eta.model import EtaModel
from engine.eta.simulate import simulate_history, write_history


def _app() -> typer.Typer:
    app = typer.Typer()
    quote_cli.register(app)
    return app


def test_fit_then_quote_json(tmp_path: Path) -> None:
    hist = simulate_history(weeks=4, seed=21, start=date(2026, 3, 2))
    hist.loc[0, "delivered_at"] = "not a time"
    hist.loc[1, "dest_lat"] = 10.0
    csv = write_history(hist, tmp_path / "history.csv")
    runner = CliRunner()
    res = runner.invoke(_app(), ["fit", "--history", str(csv), "--out", str(tmp_path / "model")])
    assert res.exit_code == 0, res.output
    assert f"used {len(hist) - 2} of {len(hist)} rows, skipped 2" in res.output
    assert "skipped 1: delivered_at: unparseable time" in res.output and "skipped 1: point outside the map" in res.output
    m = EtaModel.load(tmp_path / "model")
    assert m.source == "fitted" and "own:same_day" in m.keys

    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,dest_lat,dest_lon,created_at,weight_kg,carrier,service\n"
        "a,60.17,24.94,2026-11-11T10:00:00+02:00,2.0,,\n"
        "b,60.17,24.94,2026-11-11T10:00:00+02:00,2.0,posti,locker\n"
        "c,60.17,24.94,2026-11-11T10:00:00,2.0,,\n"
        "d,91,24.94,2026-11-11T10:00:00+02:00,2.0,,\n"
    )
    res = runner.invoke(_app(), ["quote", "--model", str(tmp_path / "model"), "--orders", str(orders), "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert [x["order_id"] for x in lines] == ["a", "b", "c", "d"]
    # No --city: the region is inferred, so the catalogue is what the history
    # delivered (the five carrier/services; the embedded city's booked slot is not in it).
    assert m.city.tz == "Europe/Helsinki" and m.meta["region"]["tz_from"] == "timestamp offsets"
    assert lines[0]["model"] == "fitted" and len(lines[0]["options"]) == 5
    assert {o["carrier"] + ":" + o["service"] for o in lines[0]["options"]} == set(m.base_keys)
    o = lines[1]["options"]
    assert len(o) == 1 and o[0]["carrier"] == "posti" and o[0]["service"] == "locker" and o[0]["available"]
    assert o[0]["promised_by"].endswith("+02:00") and o[0]["probability"] >= 0.95
    # A time without an offset is the model's local time (checkout's clock is the shop's): c is a.
    assert lines[2]["options"] == lines[0]["options"]
    assert "coordinate" in lines[3]["error"]
    # Unix milliseconds, ';' between fields, decimal commas and retitled columns, as exports write them.
    orders.write_text(
        "Order Id;Dest Lat;Dest Lon;Created At;Weight Kg;Carrier;Service\n"
        "a;60,17;24,94;1794384000000;2,0;posti;locker\n"
    )
    res = runner.invoke(_app(), ["quote", "--model", str(tmp_path / "model"), "--orders", str(orders), "--json"])
    assert res.exit_code == 0, res.output
    unix = json.loads(res.output.splitlines()[0])
    assert unix["options"][0]["available"] and unix["options"][0]["promised_by"] == o[0]["promised_by"]
    # A row with a field too many would be quoted from shifted columns: a clear error naming its line, exit 2.
    orders.write_text("order_id,dest_lat,dest_lon,created_at,weight_kg\na,60.17,24.94,2026-11-11T10:00:00+02:00,2.0\nb,60.17,24.94,x,2026-11-11T10:00:00+02:00,2.0\n")
    res = runner.invoke(_app(), ["quote", "--model", str(tmp_path / "model"), "--orders", str(orders), "--json"])
    assert res.exit_code == 2 and "line 3: 6 fields, the header has 5" in " ".join(res.output.split())


def test_fit_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("order_id,carrier\n1,own\n")
    res = CliRunner().invoke(_app(), ["fit", "--history", str(bad), "--out", str(tmp_path / "m")])
    assert res.exit_code == 2
    assert "missing required column" in res.output
    res = CliRunner().invoke(_app(), ["fit", "--out", str(tmp_path / "m")])
    assert res.exit_code == 2 and "exactly one of" in res.output


def test_quote_single_with_default_model() -> None:
    res = CliRunner().invoke(_app(), ["quote", "--lat", "60.17", "--lon", "24.94", "--at", "2026-11-11T18:30:00+02:00", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["model"] == "default"
    same = next(o for o in d["options"] if o["service"] == "same_day")
    assert same["available"] is False and "cut-off" in same["reason"]


def test_jsonl_writer_matches_json_dumps_of_quote_table() -> None:
    # The CLI's --json lines are put together with numpy string ops for speed:
    # they must be exactly what json.dumps of the dict rows would write.
    import numpy as np
    import pandas as pd

    from engine.eta._time import to_iso
    from engine.eta.model import default_model
    from engine.io.quote_table import quote_table, quote_table_jsonl

    m = default_model()
    rng = np.random.default_rng(4)
    n = 400
    created = 1_790_000_000 + rng.uniform(0, 14 * 86400, n)
    frame = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "dest_lat": (60.17 + rng.normal(0, 0.2, n)).round(5).astype(str),
            "dest_lon": (24.94 + rng.normal(0, 0.4, n)).round(5).astype(str),
            "created_at": to_iso(created, m.tz),
            "weight_kg": rng.uniform(0, 40, n).round(2).astype(str),
            "carrier": np.where(rng.random(n) < 0.2, "posti", ""),
        }
    )
    frame.loc[3, "order_id"] = 'we"ird\\id ü'
    frame.loc[5, "created_at"] = "garbage"
    frame.loc[7, "dest_lat"] = "x"
    frame.loc[9, "carrier"] = "nobody"
    dicts = quote_table(m, frame)
    lines = quote_table_jsonl(m, frame)
    assert lines == [json.dumps(d) for d in dicts]
    assert all(d["currency"] == m.city.currency != "" for d in dicts if "options" in d)
    reasons = {o["reason"] for d in dicts for o in d.get("options", []) if o["reason"]}
    assert any("cut-off" in r for r in reasons) and any("too heavy" in r for r in reasons)


def test_a_slot_the_customer_picked_is_quoted_for_that_window() -> None:
    import pandas as pd

    from dataclasses import replace

    from engine.eta.model import default_model
    from engine.io.quote_table import quote_table

    m = default_model()
    rows = pd.DataFrame({
        "order_id": ["picked", "gone", "none", "bad"],
        "dest_lat": ["60.17"] * 4, "dest_lon": ["24.94"] * 4, "weight_kg": ["1"] * 4,
        "created_at": ["2026-11-10T10:00:00+02:00"] * 4, "carrier": ["own"] * 4, "service": ["slot"] * 4,
        "slot_start": ["2026-11-11T18:00:00+02:00", "2026-11-10T09:00:00+02:00", "", "soon"],
    })
    out = {r["order_id"]: r for r in quote_table(m, rows)}
    o = out["picked"]["options"][0]
    assert o["available"] and o["window_start"] == "2026-11-11T18:00:00+02:00" and o["promised_by"] == "2026-11-11T19:00:00+02:00"
    g = out["gone"]["options"][0]
    assert not g["available"] and "booking cut-off" in g["reason"]
    # No slot named: the first one the order can book, as before.
    assert out["none"]["options"][0]["available"] and out["none"]["options"][0]["window_start"] != o["window_start"]
    assert "slot_start" in out["bad"]["error"]
    # With booking cut-offs learnt (18:00 bookable until 4 h before), 15:00 the same day is too late.
    m2 = replace(m, city=replace(m.city, slot_times=(18.0,), slot_lead_h=(4.0,), slot_len_s=7200.0))
    late = rows.iloc[:1].assign(created_at="2026-11-11T15:00:00+02:00")
    assert not quote_table(m2, late)[0]["options"][0]["available"]
    early = rows.iloc[:1].assign(created_at="2026-11-11T13:30:00+02:00")
    q = quote_table(m2, early)[0]["options"][0]
    assert q["available"] and q["promised_by"] == "2026-11-11T20:00:00+02:00"


def test_one_quote_takes_a_picked_slot_and_a_bad_flag_is_exit_2() -> None:
    at = ["--lat", "60.17", "--lon", "24.94", "--at", "2026-11-10T10:00:00+02:00", "--json"]

    def slot_of(args: list[str]) -> dict:
        res = CliRunner().invoke(_app(), ["quote", *at, *args])
        assert res.exit_code == 0, res.output
        return next(o for o in json.loads(res.output)["options"] if o["service"] == "slot")

    o = slot_of(["--slot", "2026-11-11T18:00:00+02:00", "--slot-end", "2026-11-11T20:00:00+02:00"])
    assert o["available"] and o["window_start"] == "2026-11-11T18:00:00+02:00" and o["promised_by"] == "2026-11-11T20:00:00+02:00"
    assert slot_of(["--slot", "2026-11-15T18:00:00+02:00"])["reason"] == "the own fleet does not drive on Sun 15 Nov"
    for args, flag in ((["--at", "tomorrow"], "--at"), (["--slot", "soon"], "--slot"), (["--slot-end", "2026-11-11T20:00:00+02:00"], "--slot-end"),
                       (["--slot", "2026-11-11T18:00:00+02:00", "--slot-end", "2026-11-11T17:00:00+02:00"], "--slot-end")):
        res = CliRunner().invoke(_app(), ["quote", "--lat", "60.17", "--lon", "24.94", *args])
        assert res.exit_code == 2 and f"error: {flag}" in res.output, (args, res.output)
    res = CliRunner().invoke(_app(), ["quote", "--orders", "x.csv", "--slot", "2026-11-11T18:00:00+02:00"])
    assert res.exit_code == 2 and "--slot is for one quote" in res.output
