"""Fitting on simulated history: held-out coverage of the 95% promise and model round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
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


def test_fit_rejects_empty_history() -> None:
    h = read_history(simulate_history(weeks=1, seed=3).iloc[:0])
    with pytest.raises(HistoryError, match="no usable rows"):
        fit(h, HELSINKI, slot_on_time=0.97)
