"""Multi-carrier dispatch: own fleet routes, third-party hand-offs, unassigned with reasons.

``solve(problem, ...) -> Plan`` builds flat arrays (``_arrays``), finds what
cannot be served before solving (``precheck``), prices carriers
(``carriers``), then runs OR-Tools (``solver``) with the numba search
(``improve``) in between when it is available.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from engine.domain.problem import Problem
    from engine.domain.plan import Plan


def solve(problem: "Problem", **kwargs: Any) -> "Plan":
    """Plan ``problem``; see ``engine.dispatch.solver.solve`` for the options."""
    from engine.dispatch.solver import solve as _solve

    return _solve(problem, **kwargs)


__all__ = ["solve"]
