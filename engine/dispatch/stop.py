"""When a solve stops: small, frozen criteria the pipeline reads its limits from.

* ``MaxRuntime(seconds)``: wall-clock seconds for the whole solve, matrices
  included.  Every solve needs one: its phases share out this time.
* ``SolutionLimit(n)``: at most ``n`` guided-local-search solutions, and the
  numba search runs ``SolveParams.improve_iterations`` iterations instead of a
  share of the time.  This is the deterministic stop: with a time limit that
  does not bind, the plan is the same on every machine.
* ``NoImprovement(seconds)``: stop once this long passes without a better plan.
* ``FirstOf(*criteria)``: whichever comes first, e.g.
  ``FirstOf(MaxRuntime(30), SolutionLimit(200))``.

A criterion answers ``time_limit``, ``solution_limit`` and ``no_improvement``
(``None``: it sets no such limit); ``FirstOf`` answers the tightest of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from engine.errors import InputError


class StoppingCriterion:
    """Base of the criteria: the three limits a solve reads (``None`` when not set)."""

    @property
    def time_limit(self) -> float | None:
        return None

    @property
    def solution_limit(self) -> int | None:
        return None

    @property
    def no_improvement(self) -> float | None:
        return None


@dataclass(frozen=True)
class _Seconds(StoppingCriterion):
    """A criterion that is a number of seconds; ``_limit`` names the solve limit it sets."""

    seconds: float
    _limit: ClassVar[str]

    def __post_init__(self) -> None:
        v = self.seconds
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise InputError(f"{self._limit} must be a finite number of seconds > 0, got {v!r}", item="stop", field=self._limit)
        object.__setattr__(self, "seconds", float(v))


@dataclass(frozen=True)
class MaxRuntime(_Seconds):
    """Stop after ``seconds`` of wall-clock time, counted from the start of the solve."""

    _limit: ClassVar[str] = "time_limit"

    @property
    def time_limit(self) -> float:
        return self.seconds


@dataclass(frozen=True)
class NoImprovement(_Seconds):
    """Stop once ``seconds`` pass without a better solution."""

    _limit: ClassVar[str] = "no_improvement"

    @property
    def no_improvement(self) -> float:
        return self.seconds


@dataclass(frozen=True)
class SolutionLimit(StoppingCriterion):
    """Stop after ``n`` guided-local-search solutions (the machine-independent stop)."""

    n: int

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n <= 0:
            raise InputError(f"solution_limit must be a whole number > 0, got {self.n!r}", item="stop", field="solution_limit")

    @property
    def solution_limit(self) -> int:
        return self.n


@dataclass(frozen=True, init=False)
class FirstOf(StoppingCriterion):
    """Stop at whichever of ``criteria`` is met first."""

    criteria: tuple[StoppingCriterion, ...]

    def __init__(self, *criteria: StoppingCriterion) -> None:
        flat: list[StoppingCriterion] = []
        for c in criteria:
            if not isinstance(c, StoppingCriterion):
                raise InputError(f"FirstOf takes stopping criteria, got {c!r}", item="stop", field="criteria")
            flat.extend(c.criteria if isinstance(c, FirstOf) else (c,))
        if not flat:
            raise InputError("FirstOf needs at least one criterion", item="stop", field="criteria")
        object.__setattr__(self, "criteria", tuple(flat))

    def _tightest(self, name: str) -> float | None:
        values = [v for v in (getattr(c, name) for c in self.criteria) if v is not None]
        return min(values) if values else None

    @property
    def time_limit(self) -> float | None:
        return self._tightest("time_limit")

    @property
    def solution_limit(self) -> int | None:
        n = self._tightest("solution_limit")
        return None if n is None else int(n)

    @property
    def no_improvement(self) -> float | None:
        return self._tightest("no_improvement")


def from_limits(time_limit: float, solution_limit: int | None = None, no_improvement: float | None = None) -> StoppingCriterion:
    """The criterion for the CLI's and the API's three options (``None``: not set).

    Raises ``InputError`` whose ``field`` names the limit that is not usable
    (NaN, infinite, <= 0).
    """
    parts: list[StoppingCriterion] = [MaxRuntime(time_limit)]
    if solution_limit is not None:
        parts.append(SolutionLimit(solution_limit))
    if no_improvement is not None:
        parts.append(NoImprovement(no_improvement))
    return parts[0] if len(parts) == 1 else FirstOf(*parts)


__all__ = ["FirstOf", "MaxRuntime", "NoImprovement", "SolutionLimit", "StoppingCriterion", "from_limits"]
