"""The route pool's set-partitioning (engine.dispatch.search.recombine): cheaper plans from pooled routes, within the fleet."""

from __future__ import annotations

import time

import numpy as np

from engine.dispatch.search.recombine import RoutePool, recombine, vehicle_classes


def _rows(routes: list[list[int]], nv: int, width: int = 8) -> tuple[np.ndarray, np.ndarray]:
    # Rows as KState.seq: depot 0, the jobs, depot 0.
    seq = np.zeros((nv, width), dtype=np.int32)
    lens = np.zeros(nv, dtype=np.int32)
    for v, r in enumerate(routes):
        seq[v, 1 : 1 + len(r)] = r
        lens[v] = len(r)
    return seq, lens


def test_two_plans_cross_into_a_cheaper_one_within_the_fleet() -> None:
    pool = RoutePool(np.zeros(2, dtype=np.int64), gap=0.05)
    seq, lens = _rows([[1, 2], [3, 4]], 2)
    pool.offer(seq, lens, np.array([10.0, 10.0]), 20.0, 20.0)  # the best plan
    other, olens = _rows([[1, 3], [2, 4]], 2)
    pool.offer(other, olens, np.array([6.0, 7.0]), 13.0, 13.0)
    singles, slens = _rows([[1], [2]], 2)
    pool.offer(singles, slens, np.array([1.0, 1.0]), 2.0, 2.0)  # cheap, but four routes need four vans
    found = recombine(pool, seq, lens, time.perf_counter() + 5.0)
    assert found is not None
    out, olen, cost = found
    got = sorted(tuple(out[v, 1 : 1 + olen[v]].tolist()) for v in range(2) if olen[v])
    assert cost == 13.0 and got == [(1, 3), (2, 4)]
    assert all(out[v, 0] == 0 and out[v, olen[v] + 1] == 0 for v in range(2))


def test_nothing_cheaper_in_the_pool_changes_nothing() -> None:
    pool = RoutePool(np.zeros(2, dtype=np.int64), gap=0.05)
    seq, lens = _rows([[1, 2], [3, 4]], 2)
    pool.offer(seq, lens, np.array([5.0, 5.0]), 10.0, 10.0)
    other, olens = _rows([[1, 3], [2, 4]], 2)
    pool.offer(other, olens, np.array([6.0, 7.0]), 13.0, 13.0)
    assert recombine(pool, seq, lens, time.perf_counter() + 5.0) is None


def test_a_plan_far_from_its_runs_best_leaves_no_routes() -> None:
    pool = RoutePool(np.zeros(1, dtype=np.int64), gap=0.05)
    seq, lens = _rows([[1, 2]], 1)
    pool.offer(seq, lens, np.array([110.0]), 110.0, 100.0)
    assert not pool.routes
    pool.offer(seq, lens, np.array([104.0]), 104.0, 100.0)
    assert pool.routes == {(0, (1, 2)): 104.0}


def test_vehicle_classes_group_vehicles_alike_in_every_attribute() -> None:
    import dataclasses

    from engine.dispatch.arrays import INT_INF, VrpArrays

    n, nv = 4, 3
    d = np.ones((n, n), dtype=np.int32) - np.eye(n, dtype=np.int32)
    a = VrpArrays(
        n_depots=1, durations=d, distances=d.copy(), service=np.zeros(n, dtype=np.int32),
        tw_start=np.zeros(n, dtype=np.int32), tw_end=np.full(n, 100, dtype=np.int32), demand=np.ones((n, 1), dtype=np.int32),
        v_start=np.zeros(nv, dtype=np.int32), v_end=np.zeros(nv, dtype=np.int32), v_capacity=np.array([[5], [5], [9]], dtype=np.int32),
        v_tw_start=np.zeros(nv, dtype=np.int32), v_tw_end=np.full(nv, 100, dtype=np.int32), v_max_duration=np.full(nv, INT_INF, dtype=np.int32),
        v_fixed_cost=np.zeros(nv), v_cost_per_m=np.ones(nv), v_cost_per_s=np.zeros(nv), compat=np.ones((nv, n), dtype=bool),
        penalty=np.full(n, 10**6, dtype=np.int64),
    )
    assert vehicle_classes(a).tolist() == [0, 0, 1]
    b = dataclasses.replace(a, v_cost_per_s=np.array([0.0, 0.1, 0.0]))
    assert vehicle_classes(b).tolist() == [0, 1, 2]
