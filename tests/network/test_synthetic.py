"""The generated metro region: deterministic, strongly connected, road-like."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import network
from engine.network import cache as _cache
from engine.network import speeds as _speeds
from engine.network import synthetic as _synthetic
from engine.geo import haversine_m
from engine.network import NetworkError

from tests.network.test_graph import assert_valid


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_cache.ENV_VAR, str(tmp_path))


@pytest.fixture(scope="module")
def small() -> network.RoadNetwork:
    return network.load("synthetic:2000", seed=7, use_cache=False)


def test_deterministic_for_a_seed() -> None:
    a = network.load("synthetic:2000", seed=7, use_cache=False)
    b = network.load("synthetic:2000", seed=7, use_cache=False)
    for attr in ("indptr", "indices", "travel_time_s", "length_m", "road_class", "lat", "lon"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    c = network.load("synthetic:2000", seed=8, use_cache=False)
    assert not (c.n_edges == a.n_edges and np.array_equal(c.travel_time_s, a.travel_time_s))


def test_small_network_is_road_like(small: network.RoadNetwork) -> None:
    assert_valid(small)  # includes: one strongly connected component
    info = small.info
    assert abs(small.n_nodes - 2000) / 2000 < 0.15
    # The SCC filter keeps almost everything.
    assert info["dropped_nodes"] <= 0.05 * info["raw_nodes"]
    degree = small.n_edges / small.n_nodes
    assert 2.5 <= degree <= 3.5
    assert info["oneway_edges"] > 0
    classes = {_speeds.ROAD_CLASSES[c] for c in np.unique(small.road_class)}
    assert {"motorway", "primary", "secondary", "tertiary", "residential"} <= classes
    speed = small.length_m / small.travel_time_s * 3.6
    assert speed.max() <= 111 and speed.min() >= 9
    # Faster classes really are faster.
    mw = speed[small.road_class == _speeds.CLASS_CODE["motorway"]].mean()
    res = speed[small.road_class == _speeds.CLASS_CODE["residential"]].mean()
    assert mw > 2 * res


def test_geometry_is_plausible(small: network.RoadNetwork) -> None:
    lat0, lon0 = _synthetic.CENTRE
    assert abs(np.median(small.lat) - lat0) < 0.05 and abs(np.median(small.lon) - lon0) < 0.05
    tails = small.edge_tails()
    straight = haversine_m(small.lat[tails], small.lon[tails], small.lat[small.indices], small.lon[small.indices])
    # Roads are at least as long as the straight line (1% slack: projection error).
    assert (small.length_m >= 0.99 * straight).all()
    # Blocks are tens to hundreds of metres, not kilometres (ring and rural roads aside).
    res = small.road_class == _speeds.CLASS_CODE["residential"]
    assert 40 < np.median(small.length_m[res]) < 400
    # Spacing thins out with distance from the centre: nodes per km^2 in the
    # inner fifth of the radius vs the outer ring.
    r = haversine_m(small.lat, small.lon, lat0, lon0)
    r_max = np.quantile(r, 0.98)
    inner = (r < 0.2 * r_max).sum() / (np.pi * (0.2 * r_max) ** 2)
    outer = ((r > 0.7 * r_max) & (r < r_max)).sum() / (np.pi * (r_max**2 - (0.7 * r_max) ** 2))
    assert inner > 3 * outer


def test_two_way_streets_have_equal_lengths(small: network.RoadNetwork) -> None:
    tails = small.edge_tails().astype(np.int64)
    key = tails * small.n_nodes + small.indices
    rkey = small.indices.astype(np.int64) * small.n_nodes + tails
    pos = np.searchsorted(key, rkey).clip(0, key.size - 1)
    has_rev = key[pos] == rkey
    np.testing.assert_allclose(small.length_m[has_rev], small.length_m[pos[has_rev]])


def test_snap_and_far_points(small: network.RoadNetwork) -> None:
    node, dist = small.snap(_synthetic.CENTRE[0], _synthetic.CENTRE[1])
    assert dist[0] < 100
    with pytest.raises(network.OffNetworkError):
        small.snap(_synthetic.CENTRE[0] + 2.0, _synthetic.CENTRE[1])


@settings(max_examples=6, deadline=None)
@given(n=st.integers(min_value=50, max_value=1500), seed=st.integers(min_value=0, max_value=2**31))
def test_any_size_and_seed_is_strongly_connected(n: int, seed: int) -> None:
    net = network.load(f"synthetic:{n}", seed=seed, use_cache=False)
    assert_valid(net)
    assert net.info["dropped_nodes"] <= 0.1 * net.info["raw_nodes"]


def test_bad_sizes_and_seeds() -> None:
    with pytest.raises(NetworkError, match="between"):
        network.load("synthetic:10")
    with pytest.raises(NetworkError, match="seed must be a non-negative integer"):
        network.load("synthetic:100", seed="x")  # type: ignore[arg-type]
    with pytest.raises(NetworkError, match="non-negative"):
        network.load("synthetic:100", seed=-1)
    with pytest.raises(ValueError, match="between"):
        _synthetic.generate(10**9)


def test_synthetic_cached(tmp_path: object) -> None:
    a = network.load("synthetic:1000", seed=3)
    b = network.load("synthetic:1000", seed=3)
    assert (a.info["from_cache"], b.info["from_cache"]) == (False, True)
    assert network.load("synthetic:1000", seed=4).cache_key != a.cache_key
