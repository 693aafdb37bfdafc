"""The one cost model of dispatch: what a plan costs, stated once.

Every path that prices routes follows this module: the OR-Tools model
(``engine.dispatch.model``), the numba search (``engine.dispatch.search``), the
VROOM reader and writer (``engine.io.vroom``) and the problem JSON
(``engine.dispatch.convert``).  ``tests/dispatch/test_cost.py`` prices the same
routes through each of them and gets the same number.

The cost of a plan over ``VrpArrays`` ``a`` (array cost units; divide by
``a.cost_scale`` for currency) is

    sum over used vehicles v (serving at least one job) of
        v_fixed_cost[v]
        + v_cost_per_m[v]         * metres driven (start -> jobs -> end)
        + v_cost_per_s[v]         * seconds driven (its speed profile)
        + v_cost_per_service_s[v] * seconds of service at its jobs
    + sum over jobs handed to carrier k of carrier_price[k, j]
    + sum over jobs neither routed nor handed off of penalty[j]

Waiting (arriving before a window opens) is never charged: a schedule departs
as late as its windows allow, and the time a vehicle waits is not paid at the
per-hour rate.  The per-hour rate (``v_cost_per_s``) covers driving only;
serving is charged at its own rate:

* problem JSON (``VehicleType.cost_per_hour``): driving and serving are both
  duty time, so ``v_cost_per_service_s == v_cost_per_s``;
* VROOM (``costs.per_hour``, default 3600, and ``costs.per_task_hour``, default
  0): as VROOM documents it, ``per_hour`` is charged on travel time only and
  ``per_task_hour`` on service time, so ``v_cost_per_service_s =
  per_task_hour / 3600``;
* Solomon: both per-second rates 0, ``v_cost_per_m`` 1 (the scaled distance).

Carriers (``carrier_price``, ``carrier_capacity``): a job left off the routes
is handed to a carrier only while that carrier has room (``carrier_capacity[k]``
jobs); a job that no carrier can take (price ``inf``) or that finds every
carrier full pays ``penalty[j]`` (NOT_PLANNED).  Without carriers (the default)
``penalty[j]`` is simply the cost of leaving ``j`` out.

Lateness under soft windows (``lateness_cost_per_s``) is added per second past
a job's last window end; OR-Tools models it, the numba search treats windows
as hard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine.dispatch.arrays import VrpArrays


def service_rates(a: VrpArrays) -> np.ndarray:
    """float64 [n_veh] cost per second of service (``v_cost_per_s`` when the arrays do not say)."""
    if a.v_cost_per_service_s is None:
        return np.asarray(a.v_cost_per_s, dtype=np.float64)
    return np.asarray(a.v_cost_per_service_s, dtype=np.float64)


def arc_costs(a: VrpArrays, vehicle: int) -> np.ndarray:
    """float64 [n, n] cost of arc (i, j) for ``vehicle``: metres and seconds driven, plus service at ``i``.

    Charging the service of ``i`` on each arc leaving it gives every visited
    job its service cost exactly once (depots have no service).
    """
    dur = a.profile_durations[a.v_profile[vehicle]]
    return (
        a.v_cost_per_m[vehicle] * a.distances
        + a.v_cost_per_s[vehicle] * dur.astype(np.float64)
        + service_rates(a)[vehicle] * a.service[:, None].astype(np.float64)
    )


def route_cost(a: VrpArrays, vehicle: int, route: Sequence[int]) -> float:
    """Cost of ``vehicle`` serving job nodes ``route`` in order (0 for an empty route; no feasibility check)."""
    if not len(route):
        return 0.0
    dur = a.profile_durations[a.v_profile[vehicle]]
    path = [int(a.v_start[vehicle]), *(int(x) for x in route), int(a.v_end[vehicle])]
    metres = sum(int(a.distances[i, j]) for i, j in zip(path, path[1:]))
    driven = sum(int(dur[i, j]) for i, j in zip(path, path[1:]))
    served = sum(int(a.service[j]) for j in path[1:-1])
    return float(
        a.v_fixed_cost[vehicle]
        + a.v_cost_per_m[vehicle] * metres
        + a.v_cost_per_s[vehicle] * driven
        + service_rates(a)[vehicle] * served
    )


def plan_cost(a: VrpArrays, routes: Sequence[Sequence[int]], handoffs: Mapping[int, int] | None = None) -> float:
    """Cost of a whole plan: ``routes[v]`` are vehicle v's job nodes, ``handoffs`` maps job node -> carrier index.

    Jobs on neither pay ``penalty``.  A hand-off to a carrier beyond its
    capacity, or one it cannot take, is an error (``ValueError``: a bug in the
    caller, not bad input).
    """
    handoffs = dict(handoffs or {})
    served = {int(j) for r in routes for j in r}
    out = sum(route_cost(a, v, r) for v, r in enumerate(routes))
    used = np.zeros(a.n_carriers, dtype=np.int64)
    for j, k in handoffs.items():
        price = float(a.carrier_price[k, j])
        if not math.isfinite(price):
            raise ValueError(f"carrier {k} cannot take job node {j}")
        used[k] += 1
        out += price
    if np.any(used > a.carrier_capacity):
        raise ValueError("a carrier is given more jobs than its capacity")
    out += sum(int(a.penalty[j]) for j in range(a.n_depots, a.n_nodes) if j not in served and j not in handoffs)
    return float(out)


def hand_off(a: VrpArrays, left_out: Sequence[int], used: np.ndarray | None = None) -> dict[int, int]:
    """Give left-out job nodes to carriers, largest saving first, within each carrier's room.

    The saving of a job is ``penalty`` minus its cheapest price; each job goes
    to the cheapest carrier that still has room.  This is how the numba
    search's plans are completed before OR-Tools polishes the exact model.
    """
    if a.n_carriers == 0:
        return {}
    used = np.zeros(a.n_carriers, dtype=np.int64) if used is None else used
    price = a.carrier_price
    jobs = [int(j) for j in left_out if np.isfinite(price[:, j]).any()]
    jobs.sort(key=lambda j: (-(float(a.penalty[j]) - float(np.min(price[:, j]))), j))
    out: dict[int, int] = {}
    for j in jobs:
        for k in np.argsort(price[:, j], kind="stable"):
            if not math.isfinite(price[k, j]):
                break
            if used[k] < a.carrier_capacity[k]:
                used[k] += 1
                out[j] = int(k)
                break
    return out


__all__ = ["arc_costs", "hand_off", "plan_cost", "route_cost", "service_rates"]
