"""pytest-benchmark suite for the matrix kernels.

Run with::

    .venv/bin/python -m pytest benchmarks/bench_matrix.py --benchmark-enable

Uses ``synthetic:50000`` (seed 1) for queries and ``synthetic:20000`` for
preprocessing so the suite finishes in a couple of minutes on a small machine;
``benchmarks/matrix_vs_peers.py`` has the full-size figures.  Kernels are
compiled (``engine.matrix.warm``) before any timing.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import matrix, network
from engine.matrix import contract as _contract
from engine.matrix import dijkstra as _dijkstra
from engine.matrix import query as matrix_query


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    matrix.warm()


@pytest.fixture(scope="module")
def net50k() -> network.RoadNetwork:
    return network.load("synthetic:50000", seed=1)


@pytest.fixture(scope="module")
def engine50k(net50k: network.RoadNetwork) -> matrix.MatrixEngine:
    return matrix.prepare(net50k)


def _nodes(n_nodes: int, k: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_nodes, k)


@pytest.mark.parametrize("k", [100, 1000])
def test_ch_query(benchmark, engine50k: matrix.MatrixEngine, k: int) -> None:
    src = _nodes(engine50k.n_nodes, k, 0)
    tgt = _nodes(engine50k.n_nodes, k, 1)
    out, _ = benchmark(engine50k.table, src, tgt)
    assert out.shape == (k, k) and np.isfinite(out).all()


def test_numba_dijkstra_10_sources(benchmark, net50k: network.RoadNetwork) -> None:
    src = _nodes(net50k.n_nodes, 10, 0)
    tgt = _nodes(net50k.n_nodes, 1000, 1)
    out, _ = benchmark(
        _dijkstra.many_to_many, net50k.indptr, net50k.indices, net50k.travel_time_s, net50k.length_m, src, tgt,
        matrix_query._nchunks(),
    )
    assert np.isfinite(out).all()


def test_ch_route(benchmark, engine50k: matrix.MatrixEngine) -> None:
    nodes, sec, _ = benchmark(engine50k.route, 0, engine50k.n_nodes - 1)
    assert nodes.size > 1 and np.isfinite(sec)


def test_ch_preprocessing_20k(benchmark) -> None:
    net = network.load("synthetic:20000", seed=1)
    h = benchmark.pedantic(
        _contract.build, args=(net.indptr, net.indices, net.travel_time_s, net.length_m), rounds=2, iterations=1
    )
    assert h.n == net.n_nodes
