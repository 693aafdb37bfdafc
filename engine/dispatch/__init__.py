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

Time limits.  ``MaxRuntime(s)`` bounds the whole solve, matrices included:
every phase looks at the clock (the construction between chunks of ~20 ms,
the search between iterations), and what is not placed in time goes to a
carrier or is reported ``NOT_PLANNED`` ("the time limit ran out ...").  If the
matrices alone eat the limit the search still gets a tenth of it (a late plan
beats none).  Big days (above ``SolveParams.gls_max_jobs`` orders, or when
OR-Tools' model would take over a quarter of the time left) are solved by the
numba search alone, with no OR-Tools model: ``plan.stats["search_only"]``.

Determinism.  ``FirstOf(MaxRuntime(T), SolutionLimit(n))`` with a ``T`` that
does not bind gives the same plan for the same problem, params and seed on
every machine: the numba search then runs ``SolveParams.improve_iterations``
iterations with no clock at all (its construction is never cut, its chunks do
not follow the clock), OR-Tools stops after ``n`` solutions, and which path a
day takes depends on its size only.  A plain ``MaxRuntime`` is reproducible
only on the same machine under the same load.
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
