"""The runner: --set parsing, serial vs process pool vs Ray give the same results, progress, errors."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from engine.errors import InputError
from engine.sim.runner import Progress, Runner, parse_sets
from tests.sim.fakeday import FakeScenario, failing_replication, fake_replication, with_vans


def test_parse_sets_cartesian_product_and_types() -> None:
    assert parse_sets([]) == [{}]
    assert parse_sets(["fleet.van.count=30,40,50"]) == [{"fleet.van.count": v} for v in (30, 40, 50)]
    got = parse_sets(["fleet.van.count=1,2", "demand.surge=1.5,3", "weather=storm"])
    assert len(got) == 4 and got[0] == {"fleet.van.count": 1, "demand.surge": 1.5, "weather": "storm"}
    assert got[3] == {"fleet.van.count": 2, "demand.surge": 3, "weather": "storm"}
    assert parse_sets(['name="a,b",c']) == [{"name": "a,b"}, {"name": "c"}]
    assert parse_sets(["x=true"]) == [{"x": True}]


@pytest.mark.parametrize("bad, where", [("novalue", "novalue"), ("=3", "=3"), ("a=", "a"), ("a=1,,2", "a")])
def test_parse_sets_refuses_malformed(bad: str, where: str) -> None:
    with pytest.raises(InputError, match="--set") as e:
        parse_sets([bad])
    assert e.value.field == where


def test_parse_sets_refuses_a_key_twice() -> None:
    with pytest.raises(InputError, match="given twice"):
        parse_sets(["a=1", "a=2"])


def _kpis(runs: list[list]) -> list:
    return [[(r.replication, r.kpis["on_time"]["overall"], r.orders.on_time.tobytes()) for r in v] for v in runs]


def test_pool_and_serial_give_the_same_results_in_order() -> None:
    scen = [FakeScenario(), with_vans(FakeScenario(), 25)]
    seen: list[Progress] = []
    with Runner(workers=1, replicate=fake_replication) as r:
        serial = r.run(scen, 4, root_seed=11)
    with Runner(workers=2, replicate=fake_replication, progress=seen.append) as r:
        pooled = r.run(scen, 4, root_seed=11)
        again = r.run(scen, [2, 3], root_seed=11)  # the pool is reused
    assert _kpis(serial) == _kpis(pooled)
    assert [[x.replication for x in v] for v in pooled] == [[0, 1, 2, 3]] * 2
    assert _kpis(again) == [v[2:] for v in _kpis(pooled)]
    assert [p.done for p in seen] == list(range(1, 9)) + [1, 2, 3, 4] and seen[0].total == 8
    # A different root seed is a different day; the fleet changes on-time, not the arrivals.
    with Runner(workers=1, replicate=fake_replication) as r:
        other = r.run(scen, 1, root_seed=12)
    assert other[0][0].kpis != serial[0][0].kpis
    assert np.array_equal(serial[0][0].orders.placed_s, serial[1][0].orders.placed_s)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_replication_raises_its_own_error(workers: int) -> None:
    with Runner(workers=workers, replicate=failing_replication) as r:
        with pytest.raises(InputError, match="depot 'd9'"):
            r.run([FakeScenario()], 4, root_seed=1)


def test_runner_refuses_bad_arguments() -> None:
    with pytest.raises(InputError, match="workers"):
        Runner(workers=0)
    with Runner(workers=1, replicate=fake_replication) as r, pytest.raises(InputError, match="replication"):
        r.run([FakeScenario()], 0)


def test_ray_missing_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_ray(name: str, *a: object, **k: object) -> object:
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with Runner(workers=1, ray="auto", replicate=fake_replication) as r, pytest.raises(InputError, match=r"pip install 'promise-engine\[distributed\]'"):
        r.run([FakeScenario()], 1)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (pip install -e .[distributed])")
def test_ray_gives_the_same_results_as_the_pool() -> None:
    scen = [FakeScenario(), with_vans(FakeScenario(), 25)]
    with Runner(workers=1, replicate=fake_replication) as r:
        local = r.run(scen, 3, root_seed=5)
    seen: list[Progress] = []
    with Runner(workers=2, ray="auto", replicate=fake_replication, progress=seen.append) as r:
        on_ray = r.run(scen, 3, root_seed=5)
        r.replicate = failing_replication
        with pytest.raises(InputError, match="depot 'd9'"):
            r.run([FakeScenario()], 3, root_seed=5)
    assert _kpis(local) == _kpis(on_ray)
    assert [p.done for p in seen[:6]] == list(range(1, 7))


def slow_replication(scenario: FakeScenario, replication: int, *, root_seed: int | None = None) -> Any:
    import time

    if replication == 0:
        raise InputError("bad day", item="day", field="x")
    time.sleep(30)
    return fake_replication(scenario, replication, root_seed=root_seed)


def test_an_error_stops_running_replications_without_waiting_for_them() -> None:
    import time

    t0 = time.perf_counter()
    with pytest.raises(InputError, match="bad day"):
        with Runner(workers=2, replicate=slow_replication) as r:
            r.run([FakeScenario()], 4, root_seed=1)
    assert time.perf_counter() - t0 < 20  # not the 30 s a running replication sleeps
