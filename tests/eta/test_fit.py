"""Fitting on simulated history: held-out coverage of the 95% promise and model round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.eta._city import HELSINKI
from engine.eta.cells import fit_table
from engine.eta.fit import fit
from engine.eta.history import read_history
from engine.errors import HistoryError
from engine.eta.model import EtaModel, ModelLoadError
from engine.eta.simulate import simulate_history
from engine.promise import quote_arrays


@pytest.fixture(scope="module")
def fitted() -> EtaModel:
    train = read_history(simulate_history(weeks=10, seed=11, start=date(2026, 2, 2)), bbox=HELSINKI.bbox)
    return fit(train, HELSINKI, slot_on_time=0.97)


@pytest.fixture(scope="module")
def held_out():
    # Another seed, later dates: the model never saw these days.
    return read_history(simulate_history(weeks=4, seed=12, start=date(2026, 4, 20)), bbox=HELSINKI.bbox).frame


def _coverage(model: EtaModel, f, target: float) -> dict[str, float]:
    key = (f["carrier"] + ":" + f["service"]).to_numpy()
    out = {}
    met_all = []
    for k in model.base_keys:
        m = key == k
        b = quote_arrays(
            model, f["dest_lat"].to_numpy()[m], f["dest_lon"].to_numpy()[m], f["created"].to_numpy()[m],
            np.zeros(m.sum()), target=target, keys=[k],
        )
        met = f["delivered"].to_numpy()[m] <= b.promised[:, 0]
        out[k] = float(met.mean())
        met_all.append(met)
    out["all"] = float(np.concatenate(met_all).mean())
    return out


def test_held_out_coverage_of_the_95_promise(fitted: EtaModel, held_out) -> None:
    cov = _coverage(fitted, held_out, 0.95)
    assert 0.93 <= cov["all"] <= 0.985, cov
    for k, v in cov.items():
        assert 0.91 <= v <= 0.99, (k, cov)


def test_lower_target_gives_lower_coverage(fitted: EtaModel, held_out) -> None:
    # The quantiles mean what they say: an 80% promise is met ~80% of the time.
    cov = _coverage(fitted, held_out, 0.8)
    assert 0.74 <= cov["all"] <= 0.87, cov


def test_fit_table_order_statistic_and_pooling() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    wd = rng.integers(0, 7, n)
    hr = rng.integers(0, 24, n)
    db = np.zeros(n, dtype=np.int64)
    y = np.where(hr >= 12, 100.0, 0.0) + rng.random(n)
    t = fit_table(wd, hr, db, y, n_min=40)
    assert t.shape[:3] == (7, 24, 3)
    assert np.all(np.diff(t, axis=-1) >= 0), "levels must be monotone"
    # Afternoon cells are ~100 s later than morning cells, whatever the pooling level.
    assert (t[:, 12:, 0, 10] > 99).all() and (t[:, :12, 0, 10] < 1.01).all()


def test_model_round_trip(tmp_path: Path, fitted: EtaModel) -> None:
    fitted.save(tmp_path / "m")
    m2 = EtaModel.load(tmp_path / "m")
    assert m2.keys == fitted.keys
    for t in fitted.tables:
        np.testing.assert_array_equal(m2.tables[t], fitted.tables[t])
    assert m2.city == fitted.city
    with pytest.raises(ModelLoadError, match="not a model directory"):
        EtaModel.load(tmp_path / "missing")
    # A hand-edited city is refused at load, naming the key, not an IndexError in the first quote.
    import json

    good = (tmp_path / "m" / "model.json").read_text()
    for key, bad in (("band_edges_km", [45.0, 15.0]), ("slot_lead_h", [9.0])):
        info = json.loads(good)
        info["city"][key] = bad
        info["city"]["slot_times"] = [7.0, 16.0]
        (tmp_path / "m" / "model.json").write_text(json.dumps(info))
        with pytest.raises(ModelLoadError, match=key):
            EtaModel.load(tmp_path / "m")


def test_fit_rejects_empty_history() -> None:
    h = read_history(simulate_history(weeks=1, seed=3).iloc[:0])
    with pytest.raises(HistoryError, match="no usable rows"):
        fit(h, HELSINKI, slot_on_time=0.97)


def test_cell_levels_are_measured_and_survive_a_round_trip(tmp_path: Path, fitted: EtaModel) -> None:
    from engine.eta.due import LAMBDAS

    assert fitted.cv_alloc is not None and fitted.lambdas is not None
    assert fitted.cv_alloc.shape == (len(fitted.keys), fitted.levels.shape[0], LAMBDAS.shape[0])
    lo = fitted.level_index(0.95)
    # At the lowest price every cell reads the floor (or a level that costs nothing more): at least its coverage.
    assert (fitted.cv_alloc[:, lo, 0] >= fitted.cv_coverage[:, lo] - 1e-12).all()
    fitted.save(tmp_path / "m")
    m2 = EtaModel.load(tmp_path / "m")
    np.testing.assert_array_equal(m2.cv_alloc, fitted.cv_alloc)
    np.testing.assert_array_equal(m2.promise_lambdas(0.95), fitted.promise_lambdas(0.95))
    # A file whose measurements do not fit its keys is refused, not half read.
    with np.load(tmp_path / "m" / "tables.npz") as z:
        arrays = {k: z[k] for k in z.files}
    for name in ("cv_alloc", "cv_coverage"):
        bad = {**arrays, name: arrays[name][:-1]}
        np.savez_compressed(tmp_path / "m" / "tables.npz", **bad)
        with pytest.raises(ModelLoadError, match=name):
            EtaModel.load(tmp_path / "m")


def test_the_price_is_the_lowest_whose_held_out_coverage_reaches_the_goal(fitted: EtaModel) -> None:
    from dataclasses import replace

    lams = np.array([1e3, 1e4, 1e5, 1e6])
    cov = np.full((len(fitted.keys), fitted.levels.shape[0], 4), 0.90)
    lo = fitted.level_index(0.95)
    cov[0, lo] = [0.93, 0.954, 0.9551, 0.99]  # the goal is 0.95 + margin 0.005
    cov[1, lo] = [0.93, 0.94, 0.945, 0.95]  # never reaches it: one level for the key
    m = replace(fitted, cv_alloc=cov, lambdas=lams, margin=0.005)
    lam = m.promise_lambdas(0.95)
    assert lam[0] == 1e5 and np.isnan(lam[1])
    assert np.isnan(replace(fitted, cv_alloc=None, lambdas=None).promise_lambdas(0.95)).all()


def test_promises_read_each_cell_at_its_level_never_below_the_target(fitted: EtaModel) -> None:
    from engine.eta.due import allocate_levels
    from engine.promise.rules import promise_table

    qt = promise_table(fitted, 0.95).qt
    lam, lv = fitted.promise_lambdas(0.95), fitted.promise_levels(0.95)
    lo = fitted.level_index(0.95)
    due = fitted.tables["due"]
    assert np.isfinite(lam).any()
    for i in range(len(fitted.keys)):
        assert (qt[i] >= due[i, ..., lo] - 1e-3).all()
        want = allocate_levels(due[i], lam[i], lo) if np.isfinite(lam[i]) else due[i, ..., lv[i]]
        np.testing.assert_allclose(qt[i], want, rtol=0, atol=1e-3)


def test_without_cell_levels_nothing_is_measured_and_one_level_is_read() -> None:
    train = read_history(simulate_history(weeks=4, seed=5, start=date(2026, 3, 2)), bbox=HELSINKI.bbox)
    m = fit(train, HELSINKI, slot_on_time=0.97, cell_levels=False)
    assert m.cv_alloc is None and m.lambdas is None and m.cv_coverage is not None
    assert np.isnan(m.promise_lambdas(0.95)).all()


def test_booked_slots_in_the_history_set_the_slot_probability() -> None:
    from zoneinfo import ZoneInfo

    from engine.eta.slots import booked_slot_end
    from engine.promise.rules import slot_probability

    df = simulate_history(weeks=3, seed=5, start=date(2026, 3, 2))
    # The simulator books no slots: its same-day van deliveries stand in for them.
    df.loc[(df["carrier"] == "own") & (df["service"] == "same_day"), "service"] = "slot"
    slot = (df["carrier"] == "own") & (df["service"] == "slot")
    assert slot.sum() >= 50
    tz = ZoneInfo(HELSINKI.tz)
    delivered = pd.to_datetime(df.loc[slot, "delivered_at"], format="ISO8601", utc=True)
    # Each slot order booked the two hours starting at its delivery hour, or (every fifth) the two hours
    # before that one, so that a fifth of the booked slots were missed.
    start = delivered.dt.tz_convert(tz).dt.floor("h") - pd.to_timedelta(np.where(np.arange(slot.sum()) % 5 == 0, 2, 0), unit="h")
    df["slot_start"] = ""
    df.loc[slot, "slot_start"] = start.map(lambda t: t.isoformat())
    h = read_history(df, bbox=HELSINKI.bbox)
    assert np.isfinite(h.frame["slot_start"]).sum() == slot.sum()
    m = fit(h, HELSINKI)
    assert m.meta["slot_on_time_from"]["booked_slots"] == int(slot.sum())
    kept = m.meta["slot_on_time_from"]["kept"]
    assert 0.75 <= kept <= 0.85  # the misses by construction (a fifth), give or take orders at a slot's edge
    assert slot_probability(m) == pytest.approx(kept, abs=1e-3)
    # Without slot_end the window's length is read from the starts: hourly starts, one-hour slots.
    f = h.frame[np.isfinite(h.frame["slot_start"])]
    assert np.allclose(booked_slot_end(f, tz) - f["slot_start"].to_numpy(), 3600.0)
    assert m.city.slot_len_s == 3600.0 and m.city.slot_times and all(t == int(t) for t in m.city.slot_times)
    # A parcel delivered before its window is not a kept slot (nobody is home yet).
    early = df.copy()
    early.loc[slot, "slot_start"] = (start + pd.to_timedelta(np.where(np.arange(slot.sum()) % 4 == 1, 3, 0), unit="h")).map(lambda t: t.isoformat())
    m_early = fit(read_history(early, bbox=HELSINKI.bbox), HELSINKI)
    assert m_early.meta["slot_on_time_from"]["kept"] < kept - 0.15
    # Without booked slots the probability is the route simulation's, as before.
    assert fit(read_history(simulate_history(weeks=3, seed=5, start=date(2026, 3, 2)), bbox=HELSINKI.bbox), HELSINKI).meta["slot_on_time_from"].startswith("route")


def test_an_unreadable_booked_slot_skips_its_row_by_name() -> None:
    df = simulate_history(weeks=1, seed=6, start=date(2026, 3, 2))
    df["slot_start"] = pd.Series([np.nan] * len(df), dtype=object)  # a frame read by pandas: blanks are NaN
    df.loc[df.index[:3], "slot_start"] = "soon"
    h = read_history(df, bbox=HELSINKI.bbox)
    assert h.skipped["slot_start: unreadable, or without UTC offset (blank when no slot was booked)"] == 3
    assert len(h.frame) == len(df) - 3 and not np.isfinite(h.frame["slot_start"]).any()


def test_rows_without_a_handover_scan_feed_the_promises_not_the_transit_table() -> None:
    df = simulate_history(weeks=4, seed=13, start=date(2026, 2, 2))
    full = fit(read_history(df, bbox=HELSINKI.bbox), HELSINKI)
    blank = df.copy()
    blank.loc[blank.index[::3], "handed_over_at"] = ""
    h = read_history(blank, bbox=HELSINKI.bbox)
    assert h.rows_used == len(df) and h.summary()["rows_without_handover"] == len(df.index[::3])
    m = fit(h, HELSINKI)
    # The promise tables saw every row: the same as with every scan.
    assert np.array_equal(m.tables["due"], full.tables["due"]) and np.array_equal(m.tables["lead"], full.tables["lead"])
    assert np.isfinite(m.tables["transit"]).all() and (m.tables["transit"] > 0).any()
    # A carrier/service that never scanned falls back to its lead time for both parts, never to zero.
    none = df.copy()
    none.loc[none["service"] == "next_day", "handed_over_at"] = ""
    m2 = fit(read_history(none, bbox=HELSINKI.bbox), HELSINKI)
    i = m2.keys.index("own:next_day")
    assert np.array_equal(m2.tables["transit"][i], m2.tables["lead"][i])


def test_a_service_with_a_few_dozen_rows_is_promised_its_order_statistics() -> None:
    from engine.promise.rules import prob_cap

    df = simulate_history(weeks=4, seed=13, start=date(2026, 2, 2))
    std = df.index[df["service"] == "standard"]
    df.loc[std[:25], "carrier"] = "ems"
    df.loc[std[25:35], "carrier"] = "tiny"
    h = read_history(df, bbox=HELSINKI.bbox)
    m = fit(h, HELSINKI)
    assert m.meta["keys_few_rows"] == {"ems:standard": 25} and m.meta["keys_too_few_rows"] == {"tiny:standard": 10}
    assert "tiny:standard" not in m.keys
    f = h.frame[h.frame["carrier"] == "ems"]
    lead = (f["delivered"] - f["created"]).to_numpy()
    i = m.keys.index("ems:standard")
    # Every cell alike; at the 95% level the 25th smallest of 25 (the longest), at the median the 13th.
    assert np.allclose(m.tables["lead"][i, ..., list(np.round(m.levels, 3)).index(0.955)], lead.max(), atol=1)
    assert np.allclose(m.tables["lead"][i, ..., list(np.round(m.levels, 3)).index(0.5)], np.sort(lead)[12], atol=1)
    assert m.cv_coverage[i, -1] == pytest.approx(25 / 26) and prob_cap(m)[i] == pytest.approx(25 / 26)
    b = quote_arrays(m, f["dest_lat"].to_numpy(), f["dest_lon"].to_numpy(), f["created"].to_numpy(), np.zeros(len(f)), target=0.95, keys=["ems:standard"])
    assert b.available[:, 0].all()
    # Its own rows are all met (the longest of them bounds each), and the claim is n / (n + 1), not 99%.
    assert (f["delivered"].to_numpy() <= b.promised[:, 0]).all() and np.allclose(b.probability[:, 0], 25 / 26)
