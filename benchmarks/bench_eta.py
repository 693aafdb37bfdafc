"""Route ETA kernel and batch quoting timings (pytest-benchmark).

    .venv/bin/python -m pytest benchmarks/bench_eta.py --benchmark-enable -q

Record ``uptime`` with the figures: the machine is shared.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.eta.model import default_model
from engine.eta.route import route_eta_arrays, warm
from engine.promise import Item, quote, quote_arrays


@pytest.fixture(scope="module")
def routes():
    warm()
    rng = np.random.default_rng(0)
    R, S = 500, 40
    leg = rng.uniform(120, 900, (R, S))
    svc = rng.uniform(60, 300, (R, S))
    start = np.full(R, 8 * 3600.0)
    planned = start[:, None] + np.cumsum(leg + svc, axis=1) - svc
    ws = np.where(rng.random((R, S)) < 0.3, planned - 600, -np.inf)
    pr = planned + 1800
    return leg, svc, ws, pr, np.full(R, S), start


def test_route_eta_500x40x1000(benchmark, routes) -> None:
    leg, svc, ws, pr, ns, st = routes
    e = benchmark.pedantic(route_eta_arrays, args=(leg, svc, ws, pr, ns, st), kwargs={"samples": 1000}, rounds=5, warmup_rounds=1)
    assert np.isfinite(e.p95).all() and (e.p50 <= e.p95).all()


def test_batch_quote_20000(benchmark) -> None:
    m = default_model()
    rng = np.random.default_rng(1)
    n = 20_000
    created = 1_790_000_000 + rng.uniform(0, 30 * 86400, n)
    lat = 60.17 + rng.normal(0, 0.05, n)
    lon = 24.94 + rng.normal(0, 0.1, n)
    w = rng.uniform(0.1, 10, n)
    b = benchmark.pedantic(quote_arrays, args=(m, lat, lon, created, w), rounds=5, warmup_rounds=1)
    assert b.available.any(axis=1).all()
    benchmark.extra_info["quotes_per_s_mean"] = n / benchmark.stats.stats.mean


def test_checkout_quote_one_cart(benchmark) -> None:
    """One ``quote()`` (every option of one cart, records and reason texts): the checkout path."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    m = default_model()
    when = datetime(2026, 11, 11, 10, 40, tzinfo=ZoneInfo("Europe/Helsinki"))
    q = benchmark(quote, (60.19, 24.97), when, [Item(2.0)], model=m)
    assert len(q.options) == len(m.city.services)
