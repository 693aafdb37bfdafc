"""Route ETA Monte Carlo: deterministic limit, waiting at windows, agreement with a numpy reference."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.errors import InputError
from engine.eta.route import EtaNoise, _normal_table, day_factors, plan_eta, route_eta_arrays, typical_slot_on_time
from engine.domain.problem import TimeWindow
from engine.domain.plan import Plan, Route, Stop

QUIET = EtaNoise(sigma_base=0.0, congestion=(0.0,) * 24, sigma_day=0.0, bad_day_p=0.0, sigma_service=0.0)


def test_no_noise_gives_planned_arrivals_with_waiting() -> None:
    leg = np.array([[600.0, 300.0, 300.0]])
    svc = np.array([[60.0, 60.0, 60.0]])
    ws = np.array([[-np.inf, 2000.0, -np.inf]])  # stop 2 opens at 2000 s: the van waits
    pr = np.array([[700.0, 2100.0, 2300.0]])
    e = route_eta_arrays(leg, svc, ws, pr, np.array([3]), np.array([0.0]), samples=50, noise=QUIET)
    np.testing.assert_allclose(e.p50[0], [600.0, 960.0, 2360.0])
    np.testing.assert_allclose(e.p95[0], e.p50[0])
    np.testing.assert_allclose(e.p_on_time[0], [1.0, 1.0, 0.0])


def test_quantiles_ordered_and_spread_grows_along_route() -> None:
    R, S = 20, 30
    leg = np.full((R, S), 600.0)
    svc = np.full((R, S), 120.0)
    e = route_eta_arrays(leg, svc, np.full((R, S), -np.inf), np.full((R, S), np.inf), np.full(R, S), np.full(R, 8 * 3600.0), samples=500)
    assert (e.p50 <= e.p80 + 1e-9).all() and (e.p80 <= e.p95 + 1e-9).all()
    spread = e.p95 - e.p50
    assert (spread[:, -1] > spread[:, 0] * 3).all()
    # Padding (unused) stops stay NaN.
    e2 = route_eta_arrays(leg[:2], svc[:2], np.full((2, S), -np.inf), np.full((2, S), np.inf), np.array([S, 5]), np.zeros(2), samples=100)
    assert np.isnan(e2.p50[1, 5:]).all() and np.isfinite(e2.p50[1, :5]).all()


def test_matches_numpy_reference_distribution() -> None:
    noise = EtaNoise()
    N, S = 4000, 12
    leg = np.full((1, S), 480.0)
    svc = np.full((1, S), 150.0)
    pr = np.full((1, S), np.inf)
    e = route_eta_arrays(leg, svc, np.full((1, S), -np.inf), pr, np.array([S]), np.array([10 * 3600.0]), samples=N, seed=3, noise=noise)
    # Independent reference with numpy's generator, same model.
    rng = np.random.default_rng(99)
    day = day_factors(N, noise, 5)
    sg = noise.sigma_base  # 10:00-12:00 has no extra congestion
    t = np.full(N, 10 * 3600.0)
    ref = np.empty((S, N))
    for s in range(S):
        t = t + 480.0 * np.exp(sg * rng.standard_normal(N) - sg * sg / 2) * day
        ref[s] = t
        t = t + 150.0 * np.exp(noise.sigma_service * rng.standard_normal(N) - noise.sigma_service**2 / 2)
    for lvl, got in ((0.5, e.p50[0]), (0.95, e.p95[0])):
        want = np.quantile(ref, lvl, axis=1)
        rel = np.abs(got - want) / (want - 10 * 3600.0)
        assert rel.max() < 0.03, (lvl, rel)


def test_deterministic_and_normal_table() -> None:
    args = (np.full((3, 4), 500.0), np.full((3, 4), 60.0), np.full((3, 4), -np.inf), np.full((3, 4), 9000.0), np.full(3, 4), np.zeros(3))
    a = route_eta_arrays(*args, samples=200, seed=1)
    b = route_eta_arrays(*args, samples=200, seed=1)
    np.testing.assert_array_equal(a.p95, b.p95)
    tab = _normal_table()
    assert abs(tab.mean()) < 1e-9 and abs(tab.std() - 1) < 1e-3


def test_bad_shapes_are_errors() -> None:
    with pytest.raises(InputError, match="service_s has shape"):
        route_eta_arrays(np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 3)), np.ones((2, 3)), np.array([3, 3]), np.zeros(2))
    with pytest.raises(InputError, match="n_stops"):
        route_eta_arrays(np.ones((1, 3)), np.ones((1, 3)), np.ones((1, 3)), np.ones((1, 3)), np.array([4]), np.zeros(1))


def test_plan_eta_on_a_plan() -> None:
    tz = ZoneInfo("Europe/Helsinki")
    stops = [Stop(None, "start", None, 60.25, 24.99, 32400, 32400, {}, 0.0, 0.0)]
    for i in range(1, 5):
        arr = 32400 + i * 700
        stops.append(Stop(f"o{i}", "delivery", None, 60.2, 24.9, arr, arr + 120, {}, 3000.0, 580.0, TimeWindow(arr - 3600, arr + 900)))
    plan = Plan("p", [Route("v1", "van", "d", stops, 0.0, 0.0, 0.0)], [], [], 0.0, 0.0, 0.0, 0.0, day_start=datetime(2026, 11, 11, tzinfo=tz))
    out = plan_eta(plan, samples=400)
    assert [s.order_id for s in out] == ["o1", "o2", "o3", "o4"]
    assert all(isinstance(s.p50, datetime) and s.p50 <= s.p95 for s in out)
    assert out[0].p50.hour == 9 and all(0.5 < s.p_on_time <= 1.0 for s in out)


def test_typical_slot_on_time_is_a_probability() -> None:
    p = typical_slot_on_time(samples=500)
    assert 0.8 < p < 1.0
