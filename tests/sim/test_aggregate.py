"""KPIs over replications: intervals, missing values, series and the identical-apart-from-timing rule."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from engine.sim.aggregate import flatten, interval, jsonable, kpis_document, on_time_share, series, strip_timing, summarise, variant_document
from tests.sim.fakeday import FakeScenario, fake_replication


def test_flatten_names_leaves_by_path_and_refuses_non_numbers() -> None:
    assert flatten({"a": 1, "b": {"c": 2.5, "d": True, "e": None}}) == {"a": 1.0, "b.c": 2.5, "b.d": 1.0}
    with pytest.raises(TypeError, match="'b.x'"):
        flatten({"b": {"x": "late"}})


def test_interval_matches_student_t_by_hand() -> None:
    x = [0.91, 0.95, 0.93, 0.97, 0.90]
    lo, hi = interval(x)
    m, s = np.mean(x), np.std(x, ddof=1)
    half = stats.t.ppf(0.975, 4) * s / math.sqrt(5)
    assert lo == pytest.approx(m - half) and hi == pytest.approx(m + half)
    assert interval([0.9]) == (None, None)
    assert interval([0.9, 0.9, 0.9]) == (0.9, 0.9)


def test_summarise_skips_missing_and_nan_but_keeps_alignment() -> None:
    s = summarise([{"a": 1.0, "b": {"c": 2.0}}, {"a": 3.0, "b": {"c": float("nan")}}, {"a": 5.0}])
    assert s["a"]["mean"] == 3.0 and s["a"]["n"] == 3 and s["a"]["values"] == [1.0, 3.0, 5.0]
    assert s["a"]["std"] == pytest.approx(2.0)
    assert s["b.c"]["values"] == [2.0, None, None] and s["b.c"]["n"] == 1 and s["b.c"]["mean"] == 2.0
    assert s["b.c"]["ci_low"] is None


def test_series_from_outcomes() -> None:
    res = [fake_replication(FakeScenario(), r) for r in range(4)]
    s = series(res)
    h = s["on_time_by_hour"]
    assert len(h["on_time"]) == 24 and sum(h["orders"]) == 4 * 200
    # Hour shares recomputed by hand for one hour.
    k = 10
    shares = []
    for r in res:
        m = (r.orders.placed_s // 3600) == k
        shares.append(r.orders.on_time[m].mean())
    assert h["on_time"][k] == pytest.approx(np.mean(shares))
    u = s["utilisation"]
    assert len(u["utilisation"]) == 96 and 0.0 <= min(u["utilisation"]) and max(u["utilisation"]) <= 1.0
    bins = s["reliability"]["bins"]
    assert sum(b["orders"] for b in bins) == 800
    assert all(b["low"] <= b["quoted"] <= b["high"] for b in bins)
    assert on_time_share(res[0]) == pytest.approx(res[0].orders.on_time.mean())


def test_document_is_strict_json_and_identical_apart_from_timing() -> None:
    def doc(t: float) -> str:
        res = [fake_replication(FakeScenario(), r, root_seed=3) for r in range(3)]
        for r in res:
            r.timing["total"] = t
        v = variant_document({"fleet.van.count": 20}, res)
        d = kpis_document("fake", 3, 3, [v], timing={"wall_s": t})
        return json.dumps(jsonable(d), allow_nan=False)

    a, b = json.loads(doc(1.0)), json.loads(doc(2.0))
    assert a != b and strip_timing(a) == strip_timing(b)
    assert a["variants"][0]["kpis"]["warnings.lead_time_s"]["values"][1] is None
    assert a["variants"][0]["per_replication"][1]["kpis"]["warnings"]["lead_time_s"] is None


def test_backlog_orders_count_in_the_hour_they_were_placed() -> None:
    r = fake_replication(FakeScenario(), 0)
    r.orders.placed_s[:] = -1800.0  # every order placed at 23:30 the day before
    h = series([r])["on_time_by_hour"]
    assert h["orders"][23] == len(r.orders) and sum(h["orders"]) == len(r.orders)
