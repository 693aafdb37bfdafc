"""Travel-time matrices: contraction hierarchy and Dijkstra kernels against scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from typer.testing import CliRunner

from engine import matrix, network
from engine.matrix import query as matrix_query
from engine.matrix import contract as _contract
from engine.matrix import dijkstra as _dijkstra
from engine.cli import matrix as cli_matrix

HYP = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers


def csr_from_edges(n: int, u: np.ndarray, v: np.ndarray, *weights: np.ndarray):
    """CSR arrays (indptr int64, indices int32, weights...) keeping every edge, parallel ones too."""
    order = np.argsort(u, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return (indptr, v[order].astype(np.int32), *(np.asarray(w, np.float64)[order] for w in weights))


def hierarchy_of(g):
    """A generated graph (``graphs()``) as CSR arrays, its sources and targets, and its hierarchy."""
    n, u, v, w1, w2, sources, targets = g
    indptr, indices, w1c, w2c = csr_from_edges(n, u, v, w1, w2)
    return indptr, indices, w1c, w2c, sources, targets, _contract.build(indptr, indices, w1c, w2c)


def scipy_table(indptr, indices, w, sources, targets) -> np.ndarray:
    n = indptr.size - 1
    g = sp.csr_matrix((w, indices, indptr), shape=(n, n))
    return dijkstra(g, directed=True, indices=np.asarray(sources))[:, np.asarray(targets)]


def assert_same(ours: np.ndarray, ref: np.ndarray, tol: float = 1e-6) -> None:
    assert ours.shape == ref.shape
    assert np.array_equal(np.isinf(ours), np.isinf(ref)), "reachability differs"
    fin = np.isfinite(ref)
    if fin.any():
        assert np.max(np.abs(ours[fin] - ref[fin])) <= tol * max(1.0, float(np.max(ref[fin])))


@st.composite
def graphs(draw, integer_weights: bool = False):
    """Random directed multigraphs: one-way, zero-weight, parallel edges, self-loops, isolated nodes."""
    n = draw(st.integers(1, 28))
    m = draw(st.integers(0, 4 * n))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), np.int64)
    if integer_weights:
        w1 = np.array(draw(st.lists(st.integers(0, 5), min_size=m, max_size=m)), np.float64)
        w2 = np.array(draw(st.lists(st.integers(0, 5), min_size=m, max_size=m)), np.float64)
    else:
        fw = st.one_of(st.just(0.0), st.floats(0.0, 1000.0, allow_nan=False, allow_infinity=False))
        w1 = np.array(draw(st.lists(fw, min_size=m, max_size=m)), np.float64)
        w2 = np.array(draw(st.lists(fw, min_size=m, max_size=m)), np.float64)
    nodes = st.lists(st.integers(0, n - 1), min_size=1, max_size=12)
    sources = np.array(draw(nodes), np.int64)
    targets = np.array(draw(nodes), np.int64)
    return n, u, v, w1, w2, sources, targets


# --------------------------------------------------------------------------- kernels vs scipy


@HYP
@given(graphs())
def test_dijkstra_kernel_matches_scipy(g) -> None:
    n, u, v, w1, w2, sources, targets = g
    indptr, indices, w1c, w2c = csr_from_edges(n, u, v, w1, w2)
    ours, _ = _dijkstra.many_to_many(indptr, indices, w1c, w2c, sources, targets, 3)
    assert_same(ours, scipy_table(indptr, indices, w1c, sources, targets))


@HYP
@given(graphs())
def test_hierarchy_matches_scipy(g) -> None:
    indptr, indices, w1c, w2c, sources, targets, h = hierarchy_of(g)
    ours, _ = h.query(sources, targets, 3)
    assert_same(ours, scipy_table(indptr, indices, w1c, sources, targets))


@HYP
@given(graphs(integer_weights=True))
def test_secondary_weight_is_lexicographic_optimum(g) -> None:
    """Metres along the fastest path: the shortest among equally fast paths.

    With small integer weights ``w1 * 10_000 + w2`` is exact and orders paths
    the same way, so scipy gives the reference for both values."""
    indptr, indices, w1c, w2c, sources, targets, h = hierarchy_of(g)
    ref = scipy_table(indptr, indices, w1c * 10_000 + w2c, sources, targets)
    p, s = h.query(sources, targets, 3)
    dp, ds = _dijkstra.many_to_many(indptr, indices, w1c, w2c, sources, targets, 2)
    fin = np.isfinite(ref)
    assert np.array_equal(np.isfinite(p), fin)
    assert np.array_equal(p[fin] * 10_000 + s[fin], ref[fin])
    assert np.array_equal(dp[fin] * 10_000 + ds[fin], ref[fin])


@HYP
@given(graphs())
def test_paths_are_real_and_optimal(g) -> None:
    indptr, indices, w1c, w2c, sources, targets, h = hierarchy_of(g)
    s, t = int(sources[0]), int(targets[0])
    ref = scipy_table(indptr, indices, w1c, [s], [t])[0, 0]
    for nodes, d1 in (h.path(s, t)[:2], _dijkstra.shortest_path(indptr, indices, w1c, w2c, s, t)[::2]):
        if not np.isfinite(ref):
            assert nodes.size == 0 and d1 == np.inf
            continue
        assert nodes[0] == s and nodes[-1] == t
        total = 0.0
        for a, b in zip(nodes[:-1], nodes[1:]):
            row = slice(indptr[a], indptr[a + 1])
            hit = indices[row] == b
            assert hit.any(), f"path uses a non-existent edge {a}->{b}"
            total += w1c[row][hit].min()
        assert abs(total - ref) <= 1e-6 * max(1.0, ref)
        assert abs(d1 - ref) <= 1e-6 * max(1.0, ref)


def test_hierarchy_on_larger_grid_with_ties() -> None:
    """A grid with many equal weights (ties everywhere) and a few one-ways."""
    rng = np.random.default_rng(3)
    side = 40
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:, 1:].ravel(), idx[:-1].ravel(), idx[1:].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[:, :-1].ravel(), idx[1:].ravel(), idx[:-1].ravel()])
    keep = rng.random(u.size) > 0.15
    u, v = u[keep], v[keep]
    w = rng.integers(1, 4, u.size).astype(float)
    indptr, indices, wc, lc = csr_from_edges(side * side, u, v, w, w * 10)
    h = _contract.build(indptr, indices, wc, lc)
    src = rng.integers(0, side * side, 60)
    p, _ = h.query(src, src, 4)
    assert_same(p, scipy_table(indptr, indices, wc, src, src))
    assert np.all(np.diag(p) == 0)


# --------------------------------------------------------------------------- public API on RoadNetwork


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMISE_CACHE_DIR", str(tmp_path / "cache"))
    matrix_query._memo.clear()


def random_network(n: int = 60, seed: int = 0) -> network.RoadNetwork:
    rng = np.random.default_rng(seed)
    m = 4 * n
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    length = rng.uniform(0, 500, m)
    length[rng.random(m) < 0.05] = 0.0
    tt = length / rng.uniform(5, 30, m)
    rc = rng.integers(0, len(network.ROAD_CLASSES), m)
    indptr, indices, tt_c, len_c, rc_c = csr_from_edges(n, u, v, tt, length, rc)
    lat = 48.2 + rng.random(n) * 0.05
    lon = 16.3 + rng.random(n) * 0.05
    return network.from_arrays(indptr, indices, tt_c, len_c, lat, lon, rc_c.astype(np.int64))


def test_public_api_matches_scipy_and_caches(private_cache: None) -> None:
    net = random_network()
    nodes = np.arange(net.n_nodes)
    t = matrix.travel_times(net, nodes, nodes)
    assert t.shape == (net.n_nodes, net.n_nodes) and t.dtype == np.float64
    assert_same(t, scipy_table(net.indptr, net.indices, net.travel_time_s, nodes, nodes))
    assert np.all(np.diag(t) == 0)
    d = matrix.distances(net, nodes[::3], nodes[::-2])
    assert_same(d, scipy_table(net.indptr, net.indices, net.length_m, nodes[::3], nodes[::-2]))
    tt, metres = matrix.travel_times_and_lengths(net, nodes, nodes)
    assert np.array_equal(tt, t)
    # Metres along a fastest path are never shorter than the shortest distance.
    fin = np.isfinite(tt)
    assert np.all(metres[fin] >= matrix.distances(net, nodes, nodes)[fin] - 1e-6)

    eng = matrix.prepare(net)
    assert not eng.from_cache and eng.preprocess_seconds > 0
    matrix_query._memo.clear()
    again = matrix.prepare(net)
    assert again.from_cache
    assert again.preprocess_seconds == pytest.approx(eng.preprocess_seconds)
    assert np.array_equal(again.table(nodes, nodes)[0], t)


def test_hour_uses_congested_times() -> None:
    net = random_network(seed=1)
    nodes = np.arange(0, net.n_nodes, 2)
    for hour in (3.0, 8.0, 17.5):
        ref = scipy_table(net.indptr, net.indices, net.travel_time_at(hour), nodes, nodes)
        assert_same(matrix.travel_times(net, nodes, nodes, hour=hour), ref)
    assert matrix.prepare(net, 8.0).profile == f"period{net.profile_id(8.0)}"


def test_route_and_dijkstra_fallback() -> None:
    net = random_network(seed=2)
    nodes = np.arange(net.n_nodes)
    t, metres = matrix.travel_times_and_lengths(net, nodes, nodes)
    ref_t, ref_m = matrix.dijkstra_matrix(net, nodes, nodes)
    assert_same(t, ref_t)
    for s, g in [(0, 5), (7, 3), (11, 11)]:
        path, sec, m = matrix.route(net, s, g)
        if np.isfinite(t[s, g]):
            assert path[0] == s and path[-1] == g
            assert sec == pytest.approx(t[s, g], abs=1e-6)
            assert m == pytest.approx(metres[s, g], abs=1e-6)
        else:
            assert path.size == 0 and sec == np.inf


def test_concurrent_callers_get_the_same_answer() -> None:
    from concurrent.futures import ThreadPoolExecutor

    net = random_network(seed=6)
    nodes = np.arange(net.n_nodes)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda h: matrix.travel_times(net, nodes, nodes, hour=h), [None, 8.0] * 4))
    for i, r in enumerate(results):
        assert np.array_equal(r, results[i % 2])
    assert_same(results[0], scipy_table(net.indptr, net.indices, net.travel_time_s, nodes, nodes))


def test_duplicates_and_unsorted_nodes() -> None:
    net = random_network(seed=4)
    src = np.array([5, 5, 0, 9, 5, 2])
    tgt = np.array([9, 1, 1, 5, 0])
    assert_same(matrix.travel_times(net, src, tgt), scipy_table(net.indptr, net.indices, net.travel_time_s, src, tgt))
    assert matrix.travel_times(net, [], tgt).shape == (0, 5)


@pytest.mark.parametrize(
    "sources, message",
    [
        ([0, 1, 10_000], "outside the network"),
        ([-1], "outside the network"),
        ([0.5], "integer node ids"),
        ([[0, 1]], "1-D"),
        (["a"], "integer node ids"),
    ],
)
def test_bad_nodes_are_named(sources, message) -> None:
    net = random_network(seed=5)
    with pytest.raises(matrix.MatrixError, match=message) as err:
        matrix.travel_times(net, sources, [0])
    assert err.value.field == "sources"


def test_bad_arguments() -> None:
    net = random_network(seed=5)
    with pytest.raises(matrix.MatrixError, match="weight must be") as err:
        matrix.prepare(net, weight="fuel")  # type: ignore[arg-type]
    assert err.value.field == "weight"
    with pytest.raises(matrix.MatrixError, match="hour must be finite") as err:
        matrix.travel_times(net, [0], [1], hour=float("nan"))
    assert err.value.field == "hour"
    with pytest.raises(matrix.MatrixError, match="RoadNetwork"):
        matrix.prepare(object())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- real networks


def test_synthetic_network_matches_scipy() -> None:
    net = network.load("synthetic:3000", seed=1)
    rng = np.random.default_rng(0)
    src = rng.integers(0, net.n_nodes, 25)
    tgt = rng.integers(0, net.n_nodes, 80)
    for hour in (None, 8.0):
        w = net.travel_time_s if hour is None else net.travel_time_at(hour)
        assert_same(matrix.travel_times(net, src, tgt, hour=hour), scipy_table(net.indptr, net.indices, w, src, tgt))
    assert_same(matrix.distances(net, src, tgt), scipy_table(net.indptr, net.indices, net.length_m, src, tgt))


@pytest.mark.shared
@pytest.mark.parametrize("name", ["andorra.osm.pbf", "krems.osm.gz"])
def test_real_extract_matches_scipy(osm_dir: Path, name: str) -> None:
    path = osm_dir / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    net = network.load(path)
    rng = np.random.default_rng(1)
    src = rng.integers(0, net.n_nodes, 20)
    tgt = rng.integers(0, net.n_nodes, 150)
    ref = scipy_table(net.indptr, net.indices, net.travel_time_s, src, tgt)
    t = matrix.travel_times(net, src, tgt)
    assert_same(t, ref)
    assert np.isfinite(t).all()  # network.load keeps the largest SCC
    assert_same(matrix.distances(net, src, tgt), scipy_table(net.indptr, net.indices, net.length_m, src, tgt))
    path_nodes, sec, _ = matrix.route(net, int(src[0]), int(tgt[0]))
    assert sec == pytest.approx(ref[0, 0], abs=1e-6) and path_nodes[-1] == tgt[0]


# --------------------------------------------------------------------------- CLI


def _cli() -> typer.Typer:
    app = typer.Typer()
    cli_matrix.register(app)

    @app.command()
    def _other() -> None:  # a second command keeps typer from collapsing to a single-command app
        pass

    return app


def test_cli_writes_matrix(tmp_path: Path) -> None:
    net = network.load("synthetic:1000", seed=2)
    pts = tmp_path / "points.csv"
    idx = [0, 10, 20, 30]
    pts.write_text("lat,lon\n" + "".join(f"{net.lat[i]},{net.lon[i]}\n" for i in idx))
    out = tmp_path / "m.npy"
    res = CliRunner().invoke(_cli(), ["matrix", "synthetic:1000", "--seed", "2", "--points", str(pts), "--out", str(out)])
    assert res.exit_code == 0, res.output
    m = np.load(out)
    assert_same(m, scipy_table(net.indptr, net.indices, net.travel_time_s, idx, idx))
    assert "unreachable" in res.output
    csv_out = tmp_path / "d.csv"
    res = CliRunner().invoke(
        _cli(), ["matrix", "synthetic:1000", "--seed", "2", "--points", str(pts), "--distance", "--out", str(csv_out)]
    )
    assert res.exit_code == 0, res.output
    d = np.loadtxt(csv_out, delimiter=",")
    assert_same(d, scipy_table(net.indptr, net.indices, net.length_m, idx, idx), tol=1e-3)


def test_cli_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon\n48.2,16.3\nfoo,16.3\n")
    res = CliRunner().invoke(_cli(), ["matrix", "synthetic:1000", "--points", str(bad)])
    assert res.exit_code == 2 and "bad.csv:3" in res.output
    res = CliRunner().invoke(_cli(), ["matrix", "synthetic:1000", "--points", str(tmp_path / "none.csv")])
    assert res.exit_code == 2 and "not found" in res.output
    good = tmp_path / "far.csv"
    good.write_text("0.0,0.0\n")
    res = CliRunner().invoke(_cli(), ["matrix", "synthetic:1000", "--points", str(good)])
    assert res.exit_code == 2 and "farther than" in res.output
    for args, needle in ((["--out", str(tmp_path / "m.txt")], "--out must end"), (["--distance", "--hour", "8"], "--hour has no effect")):
        res = CliRunner().invoke(_cli(), ["matrix", "synthetic:1000", "--points", str(good), *args])
        assert res.exit_code == 2 and needle in res.output, res.output


def test_warm_runs() -> None:
    matrix.warm()
