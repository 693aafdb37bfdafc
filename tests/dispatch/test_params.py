"""SolveParams (TOML, pickle, validation) and the stopping criteria, through solve and replan."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import pytest

from engine.dispatch import (
    FirstOf,
    MaxRuntime,
    NoImprovement,
    SearchParams,
    SolutionLimit,
    SolveParams,
    check_plan,
    replan,
    solve,
)
from engine.dispatch.stop import from_limits
from engine.domain.problem import Carrier, Depot, Order, Problem, VehicleType
from engine.errors import FormatError, InputError

LAT, LON = 60.17, 24.94


def _problem(n: int, seed: int = 0, vans: int = 3) -> Problem:
    rng = np.random.default_rng(seed)
    orders = [Order(f"o{i:02d}", LAT + rng.normal(0, 0.01), LON + rng.normal(0, 0.02)) for i in range(n)]
    return Problem([Depot("D1", LAT, LON)], [VehicleType("van", vans, "D1", capacity={"parcels": 12})], orders,
                   carriers=[Carrier("parcelco", base_cost=40)])


# --------------------------------------------------------------------------- SolveParams


def test_defaults_are_the_shipped_values() -> None:
    p = SolveParams()
    assert p.search.construction_penalty == 10**12 and p.search.race_share == 0.1
    assert p.search_share == 0.9 and p.auto_construction_max_jobs == 250 and p.priority_step == 25.0
    assert p.strategies == "auto" and p.use_improve and p.improve_iterations == 2000 and p.matrix_source == "auto"


def test_round_trips_through_toml_and_pickle(tmp_path: Path) -> None:
    p = SolveParams(
        matrix_source="haversine", strategies=["SAVINGS", "PARALLEL_CHEAPEST_INSERTION"], improve_iterations=500,
        search_share=0.75, repair=False, search=SearchParams(race_share=0.2, construction_penalty=0, order_weights=[1, 1, 1, 1, 1]),
    )
    assert p.strategies == ("SAVINGS", "PARALLEL_CHEAPEST_INSERTION")  # lists become tuples: hashable
    text = p.to_toml()
    assert SolveParams.from_toml(text) == p
    f = tmp_path / "sweep-point.toml"
    f.write_text(text)
    assert SolveParams.from_toml(f) == p
    assert SolveParams.from_toml(str(f)) == p
    assert pickle.loads(pickle.dumps(p)) == p
    assert hash(pickle.loads(pickle.dumps(p))) == hash(p)
    assert SolveParams.from_toml(SolveParams().to_toml()) == SolveParams()
    # Keys left out keep their defaults.
    assert SolveParams.from_toml("search_share = 0.5\n[search]\nblink = 0.02\n") == SolveParams(
        search_share=0.5, search=SearchParams(blink=0.02)
    )
    with pytest.raises(AttributeError):
        p.search_share = 0.1  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("serch_share = 0.5", "serch_share"),
        ("[search]\nrace_shar = 0.2", "search.race_shar"),
        ("[serach]\nrace_share = 0.2", "serach"),
    ],
)
def test_unknown_toml_key_is_an_input_error_naming_it(text: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        SolveParams.from_toml(text)
    assert err.value.field == field and field in str(err.value)


def test_unknown_key_in_a_file_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text("[search]\nrace_shar = 0.2\n")
    with pytest.raises(InputError) as err:
        SolveParams.from_toml(f)
    assert err.value.item == str(f) and err.value.field == "search.race_shar"
    with pytest.raises(FormatError, match="cannot read"):
        SolveParams.from_toml(tmp_path / "missing.toml")
    f.write_text("search_share = \n")
    with pytest.raises(FormatError, match="not valid TOML"):
        SolveParams.from_toml(f)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"matrix_source": "roads"}, "matrix_source"),
        ({"strategies": ("SAVINGS", "NO_SUCH_STRATEGY")}, "strategies"),
        ({"strategies": "SAVINGS"}, "strategies"),
        ({"use_improve": 1}, "use_improve"),
        ({"improve_iterations": 0}, "improve_iterations"),
        ({"improve_iterations": 2.5}, "improve_iterations"),
        ({"search_share": 1.5}, "search_share"),
        ({"search_share": float("nan")}, "search_share"),
        ({"max_snap_m": 0}, "max_snap_m"),
        ({"search": {"race_share": 0.2}}, "search"),
    ],
)
def test_bad_values_are_input_errors_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        SolveParams(**kwargs)
    assert err.value.field == field


def test_bad_search_values_name_the_nested_field() -> None:
    with pytest.raises(InputError) as err:
        SolveParams.from_toml("[search]\nrace_share = 2.0\n")
    assert err.value.field == "search.race_share"
    with pytest.raises(InputError) as err:
        SearchParams(order_weights=(1.0, 2.0))
    assert err.value.field == "search.order_weights"


def test_params_reach_the_pipeline() -> None:
    p = _problem(20, seed=4)
    plan = solve(p, params=SolveParams(strategies=("SAVINGS",), use_improve=False), stop=FirstOf(MaxRuntime(10), SolutionLimit(50)))
    names = [name for name, _, _ in plan.stats["phases"]]
    assert names[0] == "SAVINGS" and not any(n.startswith("improve") for n in names)
    plan = solve(p, params=SolveParams(matrix_source="haversine"), stop=FirstOf(MaxRuntime(10), SolutionLimit(50)))
    assert plan.stats["matrix_source"] == "haversine"
    assert any(n.startswith("improve") for n, _, _ in plan.stats["phases"])
    with pytest.raises(InputError) as err:
        solve(p, params=SolveParams(matrix_source="network"), stop=MaxRuntime(1))
    assert err.value.field == "matrix_source"


# --------------------------------------------------------------------------- stopping criteria


def test_criteria_answer_their_limits() -> None:
    assert (MaxRuntime(3).time_limit, MaxRuntime(3).solution_limit, MaxRuntime(3).no_improvement) == (3.0, None, None)
    both = FirstOf(MaxRuntime(10), FirstOf(SolutionLimit(50), MaxRuntime(4)), NoImprovement(2))
    assert (both.time_limit, both.solution_limit, both.no_improvement) == (4.0, 50, 2.0)
    assert len(both.criteria) == 4  # nested FirstOf is flattened
    assert pickle.loads(pickle.dumps(both)) == both
    assert from_limits(5) == MaxRuntime(5)
    assert from_limits(5, 20, 1.5) == FirstOf(MaxRuntime(5), SolutionLimit(20), NoImprovement(1.5))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: MaxRuntime(0), "time_limit"),
        (lambda: MaxRuntime(float("inf")), "time_limit"),
        (lambda: MaxRuntime(True), "time_limit"),
        (lambda: SolutionLimit(0), "solution_limit"),
        (lambda: SolutionLimit(2.5), "solution_limit"),
        (lambda: NoImprovement(-1), "no_improvement"),
        (lambda: FirstOf(), "criteria"),
        (lambda: FirstOf(MaxRuntime(1), 5), "criteria"),
    ],
)
def test_bad_criteria_are_input_errors(make, field: str) -> None:
    with pytest.raises(InputError) as err:
        make()
    assert err.value.field == field and err.value.item == "stop"


def test_a_stop_without_a_time_limit_is_refused() -> None:
    with pytest.raises(InputError, match="MaxRuntime") as err:
        solve(_problem(5), stop=SolutionLimit(10))
    assert err.value.field == "time_limit"
    with pytest.raises(InputError):
        solve(_problem(5), stop=10)  # type: ignore[arg-type]


def test_max_runtime_is_respected() -> None:
    p = _problem(60, seed=1, vans=6)
    t = time.perf_counter()
    plan = solve(p, stop=MaxRuntime(1.0))
    wall = time.perf_counter() - t
    assert check_plan(p, plan) == []
    # OR-Tools and the numba search check the clock between steps: a little slack.
    assert wall < 1.0 + 0.5, wall
    assert plan.solve_seconds < 1.5


def test_no_improvement_ends_the_search_early() -> None:
    p = _problem(15, seed=2)
    plan = solve(p, params=SolveParams(use_improve=False), stop=FirstOf(MaxRuntime(20), NoImprovement(0.3)))
    assert plan.solve_seconds < 10


def test_solution_limit_gives_the_same_plan_for_the_same_seed() -> None:
    p = _problem(30, seed=7)
    stop = FirstOf(MaxRuntime(30), SolutionLimit(40))
    a, b = solve(p, stop=stop, seed=3), solve(p, stop=stop, seed=3)
    assert [r.order_ids for r in a.routes] == [r.order_ids for r in b.routes]
    assert a.cost == b.cost and a.stats["phases"][-1][2] == b.stats["phases"][-1][2]


# --------------------------------------------------------------------------- replan


def test_replan_forwards_params_and_stop() -> None:
    p = _problem(16, seed=3, vans=2)
    stop = FirstOf(MaxRuntime(10), SolutionLimit(30))
    plan = solve(p, stop=stop)
    r = max(plan.routes, key=lambda r: len(r.order_ids))
    served = set(r.order_ids[:2])
    now = next(s for s in r.stops if s.order_id == r.order_ids[1]).departure + 30
    new = replan(p, plan, now=now, served=served, params=SolveParams(use_improve=False), stop=stop)
    assert check_plan(p, new) == []
    assert not any(name.startswith("improve") for name, _, _ in new.stats["phases"])
    again = replan(p, plan, now=now, served=served, params=SolveParams(use_improve=False), stop=stop)
    assert [x.order_ids for x in again.routes] == [x.order_ids for x in new.routes]
    with pytest.raises(InputError) as err:
        replan(p, plan, now=-1)
    assert err.value.field == "now"
