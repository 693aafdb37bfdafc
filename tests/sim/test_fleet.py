"""The fleet search: bisection finds the smallest passing count, verified at answer-1, on common random numbers."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InputError
from engine.sim import fleet
from engine.sim.fleet import find_fleet, fleet_count
from engine.sim.runner import Runner
from tests.sim.fakeday import FakeScenario, fake_replication, with_vans


class CountingRunner(Runner):
    """A serial runner that records which van counts it ran."""

    def __init__(self) -> None:
        super().__init__(workers=1, replicate=fake_replication)
        self.counts: list[int] = []

    def run(self, scenarios: Any, replications: Any, *, root_seed: int | None = None) -> Any:
        self.counts += [s.fleet["van"].count for s in scenarios]
        return super().run(scenarios, replications, root_seed=root_seed)


@pytest.fixture(autouse=True)
def _fake_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "_with_count", lambda s, vt, n: with_vans(s, n))


def _passes(count: int, reps: int, target: float, confidence: float, seed: int) -> bool:
    with Runner(workers=1, replicate=fake_replication) as r:
        [res] = r.run([with_vans(FakeScenario(), count)], reps, root_seed=seed)
    meets = [fleet.on_time_share(x) >= target for x in res]
    return sum(meets) / reps >= confidence


def test_bisection_finds_the_smallest_passing_count() -> None:
    runner = CountingRunner()
    got = find_fleet(FakeScenario(), "van", replications=10, lo=1, hi=40, runner=runner, root_seed=2)
    n = got.recommended
    assert n is not None and got.monotone
    # Exhaustive check over the same seeds: every count below fails, the answer passes.
    assert _passes(n, 10, 0.95, 0.9, 2) and not _passes(n - 1, 10, 0.95, 0.9, 2)
    assert not any(_passes(c, 10, 0.95, 0.9, 2) for c in range(1, n - 1, 3))
    curve = {c.count: c for c in got.curve}
    assert curve[n].passes and not curve[n - 1].passes
    assert sorted(runner.counts) == sorted(set(runner.counts)) and len(runner.counts) <= 8  # each count once, log2(40)+2
    assert runner.counts[0] == 40 and runner.counts[1] == 1
    assert [c.count for c in got.curve] == sorted(runner.counts)
    d = got.to_dict()
    assert d["recommended"] == n and len(d["curve"]) == len(got.curve) and len(d["curve"][0]["on_time"]) == 10


def test_common_random_numbers_make_the_curve_monotone_per_replication() -> None:
    got = find_fleet(FakeScenario(), "van", replications=6, lo=5, hi=30, runner=CountingRunner(), root_seed=9)
    shares = [c.on_time for c in got.curve]
    # Same seeds at every count: each replication's on-time share only rises with the fleet.
    for lower, higher in zip(shares, shares[1:]):
        assert all(a <= b for a, b in zip(lower, higher))


def test_edges_lo_passes_hi_fails_and_known_counts() -> None:
    assert find_fleet(FakeScenario(), "van", replications=4, lo=25, hi=30, runner=CountingRunner()).recommended == 25
    none = find_fleet(FakeScenario(), "van", replications=4, lo=1, hi=5, runner=CountingRunner())
    assert none.recommended is None and [c.count for c in none.curve] == [5]
    # A count already run (today's fleet) is reused, not run again.
    runner = CountingRunner()
    with Runner(workers=1, replicate=fake_replication) as r:
        [today] = r.run([with_vans(FakeScenario(), 12)], 5, root_seed=1)
    got = find_fleet(FakeScenario(), "van", replications=5, lo=1, hi=40, runner=runner, root_seed=1, known={12: today})
    assert 12 not in runner.counts and 12 in [c.count for c in got.curve]


def test_a_replication_that_gets_worse_with_more_vans_is_flagged() -> None:
    class Flaky(CountingRunner):
        def run(self, scenarios: Any, replications: Any, *, root_seed: int | None = None) -> Any:
            [res] = super().run(scenarios, replications, root_seed=root_seed)
            if scenarios[0].fleet["van"].count == 40:  # the most vans, yet replication 1 does badly
                res[1].orders.on_time[:50] = False
            return [res]

    got = find_fleet(FakeScenario(), "van", replications=4, confidence=0.7, lo=1, hi=40, runner=Flaky(), root_seed=2)
    assert got.recommended is not None and not got.monotone
    assert [v[1:3] for v in got.violations] == [(40, 1)]
    assert got.to_dict()["violations"][0][:3] == [got.violations[0][0], 40, 1]
    ok = find_fleet(FakeScenario(), "van", replications=4, lo=1, hi=40, runner=CountingRunner(), root_seed=2)
    assert ok.monotone and ok.violations == []


def test_bad_search_arguments() -> None:
    with pytest.raises(InputError, match="no vehicle type 'bike'.*van"):
        find_fleet(FakeScenario(), "bike", replications=2, lo=1, hi=3, runner=CountingRunner())
    with pytest.raises(InputError, match="lo <= hi"):
        find_fleet(FakeScenario(), "van", replications=2, lo=5, hi=3, runner=CountingRunner())
    with pytest.raises(InputError, match="replications"):
        find_fleet(FakeScenario(), "van", replications=0, lo=1, hi=3, runner=CountingRunner())
    assert fleet_count(FakeScenario(), "van") == 20
