"""The smallest fleet that keeps the promise: bisection over one vehicle type's count.

A count *passes* when, in at least ``confidence`` of the replications, the
share of orders delivered by their promise is at least ``target`` (95% on time
in 90% of the days, by default).  Every count runs the same replication
indices under the same root seed, so the days differ only by the fleet
(common random numbers): arrivals, choices, travel and disruptions are drawn
from streams that do not depend on the fleet, which makes the comparison
between counts far less noisy than independent runs would be.

**Monotone assumption.**  Bisection assumes that adding vehicles never makes
the pass rate drop.  It usually holds, but a dispatcher stopped on an
iteration count can, on a given day, plan worse with one more van.  The
search evaluates the answer and the count below it (the bisection's final
bracket), so the answer is verified on both sides; it keeps every count it
evaluated on the curve; and, since every count ran the same replications,
it compares each replication across the evaluated counts and reports
``monotone: false`` with the pairs where more vehicles delivered a smaller
share on time (beyond :data:`MONOTONE_TOLERANCE`), rather than hiding it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from engine.errors import InputError
from engine.sim.aggregate import on_time_share
from engine.sim.result import ReplicationResult

__all__ = ["CountResult", "FleetSearch", "find_fleet", "fleet_count"]

#: A replication's on-time share may drop this much with one more vehicle before it counts as
#: a violation of the monotone assumption (a re-planned route can shift a handful of orders).
MONOTONE_TOLERANCE = 0.005


@dataclass(frozen=True, slots=True)
class CountResult:
    """One evaluated count: the share of replications meeting the target and the mean on-time share."""

    count: int
    meets: float
    mean_on_time: float
    on_time: tuple[float, ...]
    passes: bool


@dataclass(slots=True)
class FleetSearch:
    """What :func:`find_fleet` found; ``recommended`` is ``None`` when even ``hi`` does not pass."""

    vehicle_type: str
    target: float
    confidence: float
    replications: int
    lo: int
    hi: int
    recommended: int | None
    curve: list[CountResult] = field(default_factory=list)
    monotone: bool = True
    #: (count, larger count, replication, drop in on-time share) where more vehicles did worse
    violations: list[tuple[int, int, int, float]] = field(default_factory=list)
    results: dict[int, list[ReplicationResult]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``kpis.json``'s ``fleet_search``), without the raw results."""
        return {
            "vehicle_type": self.vehicle_type,
            "target": self.target,
            "confidence": self.confidence,
            "replications": self.replications,
            "lo": self.lo,
            "hi": self.hi,
            "recommended": self.recommended,
            "monotone": self.monotone,
            "violations": [list(v) for v in self.violations],
            "curve": [
                {"count": c.count, "meets": c.meets, "mean_on_time": c.mean_on_time, "on_time": list(c.on_time), "passes": c.passes}
                for c in self.curve
            ],
        }


def fleet_count(scenario: Any, vehicle_type: str) -> int:
    """How many vehicles of ``vehicle_type`` the scenario has (its "today's fleet")."""
    fleet = getattr(scenario, "fleet", None)
    types = fleet if isinstance(fleet, dict) else {getattr(v, "name", None): v for v in (fleet or ())}
    if vehicle_type not in types:
        known = ", ".join(sorted(str(k) for k in types)) or "none"
        raise InputError(f"no vehicle type {vehicle_type!r} in the scenario's fleet (it has: {known})", item="fleet", field=vehicle_type)
    v = types[vehicle_type]
    return int(v if isinstance(v, (int, np.integer)) else v.count)


def _with_count(scenario: Any, vehicle_type: str, count: int) -> Any:
    from engine.sim.scenario import apply_overrides

    return apply_overrides(scenario, {f"fleet.{vehicle_type}.count": count})


def find_fleet(
    scenario: Any,
    vehicle_type: str,
    *,
    replications: int,
    target: float = 0.95,
    confidence: float = 0.90,
    lo: int,
    hi: int,
    runner: Any,
    root_seed: int | None = None,
    known: Mapping[int, Sequence[ReplicationResult]] | None = None,
) -> FleetSearch:
    """Smallest count in ``[lo, hi]`` of ``vehicle_type`` that passes (see the module docstring).

    Parameters
    ----------
    scenario
        The scenario; only the count of ``vehicle_type`` changes between runs.
    replications
        Replications per count (indices ``0..replications-1`` at every count).
    target, confidence
        A replication meets the target when its on-time share is ``>= target``;
        a count passes when the share of replications meeting it is ``>= confidence``.
    lo, hi
        The counts searched (inclusive).  ``hi`` is evaluated first: if it
        fails, there is no recommendation; if ``lo`` passes, ``lo`` is the answer.
    runner
        A :class:`~engine.sim.runner.Runner` (or anything with its ``run``).
    root_seed
        The root seed every count runs under (``None``: the scenario's).
    known
        Replications already run at some counts with the same seeds (today's
        fleet, run for the report), so they are not run again.
    """
    fleet_count(scenario, vehicle_type)  # the type must exist: fail before any work
    if not 1 <= lo <= hi:
        raise InputError(f"need 1 <= lo <= hi, got lo={lo}, hi={hi}", item="--find-fleet", field="lo/hi")
    if not 0 < target <= 1 or not 0 < confidence <= 1:
        raise InputError(f"target and confidence are shares in (0, 1], got {target}, {confidence}", item="--find-fleet", field="target")
    if replications < 1:
        raise InputError(f"replications must be at least 1, got {replications}", item="--find-fleet", field="replications")
    search = FleetSearch(vehicle_type, target, confidence, replications, lo, hi, None)
    evaluated: dict[int, CountResult] = {}

    def evaluate(count: int) -> CountResult:
        if count not in evaluated:
            if known is not None and count in known and len(known[count]) == replications:
                results = list(known[count])
            else:
                [results] = runner.run([_with_count(scenario, vehicle_type, count)], replications, root_seed=root_seed)
            shares = tuple(on_time_share(r) for r in results)
            meets = float(np.mean([s >= target for s in shares]))
            evaluated[count] = CountResult(count, meets, float(np.mean(shares)), shares, meets >= confidence)
            search.results[count] = results
        return evaluated[count]

    if evaluate(hi).passes:
        if lo == hi or evaluate(lo).passes:
            search.recommended = lo
        else:
            # Invariant: lo fails, hi passes; the answer is in (lo, hi].
            a, b = lo, hi
            # Counts already run cost nothing: let them narrow the bracket first.
            for k in sorted(known or {}):
                if a < k < b and len(known[k]) == replications:  # type: ignore[index]
                    if evaluate(k).passes:
                        b = k
                    else:
                        a = k
            while b - a > 1:
                mid = (a + b) // 2
                if evaluate(mid).passes:
                    b = mid
                else:
                    a = mid
            search.recommended = b
            # The bracket's low end (b - 1) was evaluated and failed: the answer is verified on both sides.
            assert (b - 1) in evaluated and not evaluated[b - 1].passes
    search.curve = [evaluated[c] for c in sorted(evaluated)]
    # Bisection's own pass/fail points can never contradict monotonicity (every
    # failing count it keeps is below every passing one), so check where common
    # random numbers make it checkable: the same replication, more vehicles,
    # should not deliver a smaller share on time.
    for x, y in zip(search.curve, search.curve[1:]):
        for rep, (a, b) in enumerate(zip(x.on_time, y.on_time)):
            if b < a - MONOTONE_TOLERANCE:
                search.violations.append((x.count, y.count, rep, round(a - b, 6)))
    search.monotone = not search.violations
    return search
