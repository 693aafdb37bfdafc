"""The day's parts on their own: demand, the customer's choice, the truth's carrier times and weather."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.sim import apply_overrides, load_scenario
from engine.sim.choice import choose
from engine.sim.demand import node_weights, place_orders
from engine.sim.scenario import clock_s
from engine.sim.truth import carrier_key, carrier_time, weather_factor
from engine.sim.world import world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scen():
    return load_scenario(ROOT / "scenarios" / "helsinki-day.toml", {"demand.orders_per_day": 2000.0})


@pytest.fixture(scope="module")
def w(scen):
    return world(scen)


def test_demand_counts_spike_and_sizes(scen, w) -> None:
    s = apply_overrides(scen, {"demand.midnight_spike": 0.3, "demand.previous_day": 0.5, "demand.following_day": 0.0})
    o = place_orders(s.demand, w, np.random.default_rng(1))
    t = o.placed_s
    assert (np.diff(t) >= 0).all()
    today = (t >= 0) & (t < 86400)
    assert abs(today.sum() - 2000) < 5 * np.sqrt(2000)
    assert abs((t < 0).sum() - 2000) < 5 * np.sqrt(2000)  # two days before at half the volume
    assert (t < 4 * 86400).all() and not (t >= 86400).any()  # no days after at volume 0
    spike = today & (t < 30 * 60)
    assert 0.25 < spike.sum() / today.sum() < 0.36
    assert (o.weight_kg <= s.demand.weight_kg.max).all() and (o.parcels >= 1).all()
    assert ((o.node >= 0) & (o.node < w.network.n_nodes)).all()
    # Destinations sit on their node (jittered by metres).
    assert np.abs(o.lat - w.network.lat[o.node]).max() < 3e-4


def test_hotspots_pull_demand(scen, w) -> None:
    hot = apply_overrides(scen, {"demand.uniform": 0.2, "demand.hotspots": [{"lat": 60.17, "lon": 24.94, "radius_km": 0.2}]})
    p_hot, p_flat = node_weights(hot.demand, w), node_weights(scen.demand, w)
    assert p_hot.sum() == pytest.approx(1.0) and p_flat.sum() == pytest.approx(1.0)
    near = np.hypot((w.network.lat - 60.17) * 111.0, (w.network.lon - 24.94) * 55.0) < 0.2
    assert p_hot[near].sum() > 3 * p_flat[near].sum()


def test_choice_follows_price_and_time(scen, w) -> None:
    o = place_orders(scen.demand, w, np.random.default_rng(2))
    cheap = choose(apply_overrides(scen, {"choice.price": -3.0, "choice.hours": 0.0}), w, o, np.random.default_rng(3))
    fast = choose(apply_overrides(scen, {"choice.price": 0.0, "choice.hours": -2.0}), w, o, np.random.default_rng(3))
    price_of = lambda c: np.nanmean(c.price)  # noqa: E731
    wait_of = lambda c: np.nanmean(c.promised_s - o.placed_s)  # noqa: E731
    assert price_of(cheap) < price_of(fast)
    assert wait_of(fast) < wait_of(cheap)
    # Every order could be offered something on this map; its promise is at the target.
    assert (cheap.k >= 0).all() and (cheap.quoted_p >= scen.target - 1e-9).all()


def test_carrier_parcels_are_picked_up_by_the_cut_off(scen, w) -> None:
    o = place_orders(scen.demand, w, np.random.default_rng(4))
    c = choose(scen, w, o, np.random.default_rng(5))
    day = np.floor(o.placed_s / 86400.0)
    for j, car in enumerate(c.carriers):
        if car == "own" or car not in scen.carriers:
            continue
        m = c.k == j
        late = (o.placed_s - day * 86400.0) >= clock_s(scen.carriers[car].cutoff)
        assert (c.service_day[m] == day[m] + late[m]).all()


def test_carrier_times_rise_with_the_level(w) -> None:
    key = carrier_key(w.model, "posti")
    assert key == "posti:standard"
    n = 50
    start = np.full(n, w.day0 + 10 * 3600.0)
    km = np.full(n, 5.0)
    u = np.linspace(0.01, 0.999, n)
    t = carrier_time(w.model, key, "transit", start, km, u)
    assert (t > 0).all() and (np.diff(t) >= -1e-6).all() and t[-1] > t[0]
    assert (carrier_time(w.model, None, "transit", start, km, u) == 86400.0).all()


def test_weather_slows_legs_inside_its_area_and_window(scen) -> None:
    s = apply_overrides(scen, {"disruptions.weather": [
        {"start": "17:00", "end": "19:00", "speed_factor": 0.5, "lat": 60.17, "lon": 24.94, "radius_km": 1.0}]})
    wx = s.disruptions.weather
    assert weather_factor(wx, 60.17, 24.94, 18 * 3600) == pytest.approx(2.0)
    assert weather_factor(wx, 60.17, 24.94, 16 * 3600) == 1.0
    assert weather_factor(wx, 60.30, 24.94, 18 * 3600) == 1.0
