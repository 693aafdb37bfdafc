"""Adapters that solve a Solomon-style instance with PyVRP and VROOM on our integer matrices.

Every solver gets the same integer data (distances and travel times times
``SCALE``, see ``benchmarks/vrptw.py``) so that differences in cost come from
the search, not from rounding.  Each adapter returns the routes as customer
numbers of the instance file (depot left out) and the seconds it took; the
caller recomputes the cost from coordinates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np


@dataclass
class PeerRun:
    routes: list[list[int]]
    seconds: float
    note: str = ""


def available() -> dict[str, bool]:
    """Which peer solvers are importable."""
    out = {}
    for name, mod in (("pyvrp", "pyvrp"), ("vroom", "vroom")):
        try:
            __import__(mod)
            out[name] = True
        except ImportError:
            out[name] = False
    return out


def solve_pyvrp(dist: np.ndarray, dur: np.ndarray, demand: np.ndarray, ready: np.ndarray, due: np.ndarray,
                service: np.ndarray, capacity: int, n_vehicles: int, time_limit: float, seed: int,
                xy: np.ndarray) -> PeerRun:
    """PyVRP's hybrid genetic search for ``time_limit`` seconds (distance objective, fixed fleet).

    Node 0 is the depot; ``dist``/``dur`` are integer matrices, windows and
    service in the same units.
    """
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    n = dist.shape[0]
    m = Model()
    locs = [m.add_location(x=float(xy[i, 0]), y=float(xy[i, 1])) for i in range(n)]
    depot = m.add_depot(locs[0], tw_early=int(ready[0]), tw_late=int(due[0]))
    m.add_vehicle_type(num_available=int(n_vehicles), capacity=int(capacity), start_depot=depot, end_depot=depot,
                       tw_early=int(ready[0]), tw_late=int(due[0]))
    for i in range(1, n):
        m.add_client(locs[i], delivery=int(demand[i]), service_duration=int(service[i]),
                     tw_early=int(ready[i]), tw_late=int(due[i]))
    for i in range(n):
        li = locs[i]
        for j in range(n):
            if i != j:
                m.add_edge(li, locs[j], distance=int(dist[i, j]), duration=int(dur[i, j]))
    res = m.solve(stop=MaxRuntime(max(0.1, time_limit - (time.perf_counter() - t0))), seed=int(seed), display=False)
    best = res.best
    # Activity.idx of a client counts clients from 0; our node is idx + 1 (one depot).
    routes = [[int(a.idx) + 1 for a in r if a.is_client()] for r in best.routes()]
    note = "" if best.is_feasible() else "infeasible"
    return PeerRun(routes=[r for r in routes if r], seconds=time.perf_counter() - t0, note=note)


def solve_vroom(dur: np.ndarray, demand: np.ndarray, ready: np.ndarray, due: np.ndarray, service: np.ndarray,
                capacity: int, n_vehicles: int, time_limit: float | None, threads: int = 2,
                exploration_level: int = 5) -> PeerRun:
    """VROOM on the duration matrix (its cost is travel time, here equal to distance).

    ``time_limit`` None lets VROOM stop on its own (it usually takes well
    under a second on 100 customers); otherwise it is passed as its timeout.
    """
    import vroom

    t0 = time.perf_counter()
    n = dur.shape[0]
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=np.ascontiguousarray(dur, dtype=np.uint32))
    for v in range(int(n_vehicles)):
        inp.add_vehicle(vroom.Vehicle(id=v, start=0, end=0, capacity=[int(capacity)],
                                      time_window=vroom.TimeWindow(int(ready[0]), int(due[0]))))
    for i in range(1, n):
        inp.add_job(vroom.Job(id=i, location=i, delivery=[int(demand[i])], default_service=int(service[i]),
                              time_windows=[vroom.TimeWindow(int(ready[i]), int(due[i]))]))
    kwargs = {"exploration_level": exploration_level, "nb_threads": threads}
    if time_limit is not None:
        kwargs["timeout"] = timedelta(seconds=float(time_limit))
    sol = inp.solve(**kwargs)
    df = sol.routes
    routes: list[list[int]] = []
    for _, grp in df[df["type"] == "job"].groupby("vehicle_id", sort=True):
        routes.append([int(x) for x in grp["id"].tolist()])
    unassigned = int(getattr(sol.summary, "unassigned", 0))
    return PeerRun(routes=routes, seconds=time.perf_counter() - t0, note=f"{unassigned} unassigned" if unassigned else "")
