"""Multi-carrier dispatch: own fleet routes, third-party hand-offs, unassigned with reasons.

``solve(problem, network=..., params=SolveParams(), stop=MaxRuntime(30), seed=0)``
returns a ``Plan``; ``replan`` re-optimises what is left of one during the day.

Modules: ``cost`` (the one cost model every path follows), ``arrays`` (the
flat problem both solvers read), ``convert`` (a
``Problem`` to arrays), ``precheck`` (what no vehicle can serve), ``carriers``
(hand-off prices and capacities), ``model`` (OR-Tools), ``search`` (the numba
search), ``pipeline`` (``solve`` itself), ``params`` and ``stop`` (what to tune
and when to stop), ``replanning``, ``verify`` (an independent check of a plan).
numba loads on the first solve, not on import.
"""

from __future__ import annotations

from engine.dispatch.params import SearchParams, SolveParams
from engine.dispatch.pipeline import solve
from engine.dispatch.replanning import VehiclePosition, replan
from engine.dispatch.stop import (
    FirstOf,
    MaxRuntime,
    NoImprovement,
    SolutionLimit,
    StoppingCriterion,
)
from engine.dispatch.verify import check_plan

__all__ = [
    "FirstOf",
    "MaxRuntime",
    "NoImprovement",
    "SearchParams",
    "SolutionLimit",
    "SolveParams",
    "StoppingCriterion",
    "VehiclePosition",
    "check_plan",
    "replan",
    "solve",
]
