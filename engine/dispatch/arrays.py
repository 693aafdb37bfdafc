"""A routing problem as flat numpy arrays: the shared input of OR-Tools and the numba search.

Node layout
-----------
Nodes ``0 .. n_depots-1`` are depot locations, nodes ``n_depots .. n_nodes-1``
are jobs (one node per order, in ``job_ids`` order): job ``j`` is node
``n_depots + j``.  Each vehicle names its start and end node (``v_start``,
``v_end``), which are always depot nodes (re-planning adds a depot-like node
for a vehicle's current position, see ``engine.dispatch.replan``).
``engine.dispatch.convert.from_problem`` builds them from a ``Problem``;
``engine.io.solomon`` and ``engine.io.vroom`` from files.

Units
-----
All times are int32 seconds (Solomon: scaled time units), distances int32
metres (Solomon: scaled distance).  ``scale`` says how many array units make
one unit of the source (1 for real problems, 1000 for Solomon, whose
coordinates are scaled by 1000 and rounded so that integer solvers keep
three decimals).  What a plan costs is stated once, in
``engine.dispatch.cost`` (fixed cost of used vehicles, metres, seconds driven,
seconds of service at its own rate, carrier prices within their capacity,
``penalty`` for the rest; waiting is not charged).

For Solomon ``v_cost_per_s`` is 0 and ``v_cost_per_m`` 1, so the cost is the
scaled distance; divide by ``scale`` to compare with the literature.

Travel time of vehicle ``v`` on arc ``(i, j)`` is
``profile_durations[v_profile[v], i, j]``; ``durations`` is profile 0 (the
plain matrix; a vehicle type with ``speed_factor != 1`` gets its own profile).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.dispatch import cost as _cost
from engine.geo import haversine_m

#: Stand-in for "no limit" in int32 time arithmetic (leaves headroom for sums).
INT_INF = 2**30


@dataclass(frozen=True, eq=False)
class VrpArrays:
    """A capacitated VRP with time windows, as flat arrays (see the module docstring)."""

    n_depots: int
    #: int32 [n, n] travel seconds (profile 0).
    durations: np.ndarray
    #: int32 [n, n] metres.
    distances: np.ndarray
    #: int32 [n] service seconds at each node (0 at depots).
    service: np.ndarray
    #: int32 [n] earliest / latest arrival (the widest span when a node has several windows).
    tw_start: np.ndarray
    tw_end: np.ndarray
    #: int32 [n, n_dims] amount delivered at each node (0 at depots).
    demand: np.ndarray
    # --- per vehicle ---
    v_start: np.ndarray  # int32 [n_veh] node
    v_end: np.ndarray  # int32 [n_veh] node
    v_capacity: np.ndarray  # int32 [n_veh, n_dims]
    v_tw_start: np.ndarray  # int32 [n_veh] earliest departure
    v_tw_end: np.ndarray  # int32 [n_veh] latest return
    v_max_duration: np.ndarray  # int32 [n_veh] (INT_INF: none)
    v_fixed_cost: np.ndarray  # float64 [n_veh]
    v_cost_per_m: np.ndarray  # float64 [n_veh]
    v_cost_per_s: np.ndarray  # float64 [n_veh]
    #: bool [n_veh, n]: vehicle may visit node (skills, depot of the goods).
    compat: np.ndarray
    #: int64 [n]: cost of a job neither routed nor handed off (without carriers: of leaving it out); 0 at depots.
    penalty: np.ndarray
    #: int32 [n_veh] index into ``profile_durations``.
    v_profile: np.ndarray = None  # type: ignore[assignment]
    #: int32 [n_profiles, n, n]; profile 0 is ``durations``.
    profile_durations: np.ndarray = None  # type: ignore[assignment]
    #: Per node, all allowed windows as ((start, end), ...); one entry when the node has one window.
    windows: tuple[tuple[tuple[int, int], ...], ...] = ()
    #: Per vehicle, breaks as ((window_start, window_end, duration), ...).
    v_breaks: tuple[tuple[tuple[int, int, int], ...], ...] = ()
    #: Cost per second of lateness past ``tw_end`` (soft windows); 0 keeps windows hard.
    lateness_cost_per_s: float = 0.0
    #: Array units per source unit (1000 for Solomon).
    scale: int = 1
    #: Array cost units per currency unit (1000 for problems built by ``from_problem``:
    #: costs are kept in milli-units so integer solvers lose nothing that matters).
    cost_scale: float = 1.0
    #: float64 [n_veh] cost per second of service (None: ``v_cost_per_s``; see ``engine.dispatch.cost``).
    v_cost_per_service_s: np.ndarray | None = None
    #: Carriers that take jobs off the routes (see ``engine.dispatch.cost``).
    carrier_ids: tuple[str, ...] = ()
    #: int64 [n_carriers] jobs each carrier takes at most.
    carrier_capacity: np.ndarray = None  # type: ignore[assignment]
    #: float64 [n_carriers, n] price of handing job node j to carrier k (inf: it cannot take it).
    carrier_price: np.ndarray = None  # type: ignore[assignment]
    #: int32 [n_pairs, 2] (pickup node, delivery node): both on one route, pickup first, or both
    #: left out.  A pickup's demand is positive, its delivery's the same amount negative.
    pairs: np.ndarray = None  # type: ignore[assignment]
    #: int32 [n, n_dims] or None.  None: ``demand`` counts up along a route (what was
    #: delivered so far; the classic model).  Given (shipments beside delivery jobs):
    #: ``demand`` is the change of the load at each node (negative for a delivery job)
    #: and ``preload`` what each job puts on the vehicle at the start.
    preload: np.ndarray | None = None
    #: int32 [n_veh] longest route in metres (None: no limit).
    v_max_distance: np.ndarray | None = None
    #: int32 [n_veh] most seconds of driving on a route, service and waiting not counted
    #: (VROOM's ``max_travel_time``; None: no limit).  ``v_max_duration`` bounds the whole span.
    v_max_travel: np.ndarray | None = None
    #: Per vehicle, job nodes it must serve in this order (other jobs may come between):
    #: VROOM's ``steps``, re-planning's fixed stops.  Empty tuples: none.
    v_fixed: tuple[tuple[int, ...], ...] = ()
    #: Order id of each job (job j is node n_depots + j).
    job_ids: tuple[str, ...] = ()
    #: Vehicle id of each vehicle.
    vehicle_ids: tuple[str, ...] = ()
    name: str = "vrp"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.durations.shape[0]
        if self.durations.shape != (n, n) or self.distances.shape != (n, n):
            raise ValueError(f"durations {self.durations.shape} and distances {self.distances.shape} must both be [{n}, {n}]")
        for name in ("service", "tw_start", "tw_end", "penalty"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {getattr(self, name).shape}")
        if self.demand.ndim != 2 or self.demand.shape[0] != n:
            raise ValueError(f"demand must be [{n}, n_dims], got {self.demand.shape}")
        m = self.v_start.shape[0]
        if self.v_capacity.shape != (m, self.demand.shape[1]):
            raise ValueError(f"v_capacity must be [{m}, {self.demand.shape[1]}], got {self.v_capacity.shape}")
        if self.compat.shape != (m, n):
            raise ValueError(f"compat must be [{m}, {n}], got {self.compat.shape}")
        if not 0 < self.n_depots <= n:
            raise ValueError(f"n_depots={self.n_depots} must be in 1..{n}")
        if self.v_profile is None:
            object.__setattr__(self, "v_profile", np.zeros(m, dtype=np.int32))
        if self.profile_durations is None:
            object.__setattr__(self, "profile_durations", self.durations[None, :, :])
        if not self.windows:
            object.__setattr__(
                self, "windows", tuple(((int(a), int(b)),) for a, b in zip(self.tw_start, self.tw_end))
            )
        if not self.v_breaks:
            object.__setattr__(self, "v_breaks", tuple(() for _ in range(m)))
        if not self.job_ids:
            object.__setattr__(self, "job_ids", tuple(str(i) for i in range(n - self.n_depots)))
        if not self.vehicle_ids:
            object.__setattr__(self, "vehicle_ids", tuple(f"v{i}" for i in range(m)))
        if not self.v_fixed:
            object.__setattr__(self, "v_fixed", tuple(() for _ in range(m)))
        if self.pairs is None:
            object.__setattr__(self, "pairs", np.zeros((0, 2), dtype=np.int32))
        k = len(self.carrier_ids)
        if self.carrier_capacity is None:
            object.__setattr__(self, "carrier_capacity", np.zeros(k, dtype=np.int64))
        if self.carrier_price is None:
            object.__setattr__(self, "carrier_price", np.full((k, n), np.inf))
        if self.carrier_capacity.shape != (k,) or self.carrier_price.shape != (k, n):
            raise ValueError(f"carrier_capacity must be [{k}] and carrier_price [{k}, {n}]")
        if self.v_cost_per_service_s is not None and np.shape(self.v_cost_per_service_s) != (m,):
            raise ValueError(f"v_cost_per_service_s must have shape ({m},)")

    @property
    def n_nodes(self) -> int:
        return int(self.durations.shape[0])

    @property
    def n_jobs(self) -> int:
        return self.n_nodes - self.n_depots

    @property
    def n_vehicles(self) -> int:
        return int(self.v_start.shape[0])

    @property
    def n_carriers(self) -> int:
        return len(self.carrier_ids)

    @property
    def n_dims(self) -> int:
        return int(self.demand.shape[1])

    def subset(self, jobs: np.ndarray | list[int]) -> VrpArrays:
        """The same problem with only the given job nodes (depots all kept, renumbered)."""
        jobs = np.asarray(jobs, dtype=np.int64)
        if jobs.size and (jobs.min() < self.n_depots or jobs.max() >= self.n_nodes):
            raise ValueError("subset: job nodes must be in n_depots..n_nodes-1")
        keep = np.concatenate([np.arange(self.n_depots), jobs]).astype(np.int64)
        ix = np.ix_(keep, keep)
        meta = dict(self.meta)
        for k, v in self.meta.items():
            if isinstance(v, np.ndarray) and v.shape[:1] == (self.n_nodes,):
                meta[k] = v[keep]
        meta["parent_nodes"] = keep if "parent_nodes" not in self.meta else np.asarray(self.meta["parent_nodes"])[keep]
        return VrpArrays(
            n_depots=self.n_depots,
            durations=np.ascontiguousarray(self.durations[ix]),
            distances=np.ascontiguousarray(self.distances[ix]),
            service=self.service[keep],
            tw_start=self.tw_start[keep],
            tw_end=self.tw_end[keep],
            demand=self.demand[keep],
            v_start=self.v_start,
            v_end=self.v_end,
            v_capacity=self.v_capacity,
            v_tw_start=self.v_tw_start,
            v_tw_end=self.v_tw_end,
            v_max_duration=self.v_max_duration,
            v_fixed_cost=self.v_fixed_cost,
            v_cost_per_m=self.v_cost_per_m,
            v_cost_per_s=self.v_cost_per_s,
            v_cost_per_service_s=self.v_cost_per_service_s,
            carrier_ids=self.carrier_ids,
            carrier_capacity=self.carrier_capacity,
            carrier_price=np.ascontiguousarray(self.carrier_price[:, keep]),
            pairs=_kept_pairs(self.pairs, keep),
            v_max_distance=self.v_max_distance,
            v_max_travel=self.v_max_travel,
            v_fixed=_kept_fixed(self.v_fixed, keep),
            preload=None if self.preload is None else self.preload[keep],
            compat=np.ascontiguousarray(self.compat[:, keep]),
            penalty=self.penalty[keep],
            v_profile=self.v_profile,
            profile_durations=np.ascontiguousarray(self.profile_durations[:, keep][:, :, keep]),
            windows=tuple(self.windows[i] for i in keep),
            v_breaks=self.v_breaks,
            lateness_cost_per_s=self.lateness_cost_per_s,
            scale=self.scale,
            cost_scale=self.cost_scale,
            job_ids=tuple(self.job_ids[i - self.n_depots] for i in jobs),
            vehicle_ids=self.vehicle_ids,
            name=self.name,
            meta=meta,
        )

    def route_cost(self, vehicle: int, route: list[int]) -> float:
        """Cost of ``vehicle`` serving job nodes ``route`` in order (``engine.dispatch.cost.route_cost``)."""
        return _cost.route_cost(self, vehicle, route)

    def arc_costs(self, vehicle: int) -> np.ndarray:
        """float64 [n, n] cost of each arc for ``vehicle`` (``engine.dispatch.cost.arc_costs``)."""
        return _cost.arc_costs(self, vehicle)

    def total_cost(self, routes: list[list[int]], handoffs: dict[int, int] | None = None) -> float:
        """Cost of a whole solution (``engine.dispatch.cost.plan_cost``)."""
        return _cost.plan_cost(self, routes, handoffs)

    def route_schedule(self, vehicle: int, route: list[int]) -> tuple[list[int], bool]:
        """Earliest arrival at each node of ``[start, *route, end]`` and whether every window holds.

        Capacity and the vehicle's own window, max duration, distance and travel time are checked too.
        Departure from the start is as early as possible (``v_tw_start``).
        """
        dur = self.profile_durations[self.v_profile[vehicle]]
        path = [int(self.v_start[vehicle]), *route, int(self.v_end[vehicle])]
        t = int(self.v_tw_start[vehicle])
        arrivals = [t]
        ok = True
        for a, b in zip(path, path[1:]):
            t = t + int(self.service[a]) + int(dur[a, b])
            wins = self.windows[b] if b >= self.n_depots else ((int(self.tw_start[b]), int(self.tw_end[b])),)
            start = None
            for ws, we in wins:
                if t <= we:
                    start = max(t, ws)
                    break
            if start is None:
                ok = False
                start = t
            t = start
            arrivals.append(t)
        if t > int(self.v_tw_end[vehicle]) or t - arrivals[0] > int(self.v_max_duration[vehicle]):
            ok = False
        if self.v_max_distance is not None and sum(int(self.distances[a, b]) for a, b in zip(path, path[1:])) > int(self.v_max_distance[vehicle]):
            ok = False
        if self.v_max_travel is not None and sum(int(dur[a, b]) for a, b in zip(path, path[1:])) > int(self.v_max_travel[vehicle]):
            ok = False
        fixed = list(self.v_fixed[vehicle]) if self.v_fixed else []
        if fixed and [j for j in route if j in set(fixed)] != fixed:
            ok = False
        if route:
            # The most on board at any point (shipments load and unload along the way).
            steps = np.cumsum(self.demand[np.asarray(route)], axis=0)
            if self.preload is not None:
                steps = steps + self.preload[np.asarray(route)].sum(axis=0)
                start = self.preload[np.asarray(route)].sum(axis=0)
                if np.any(start > self.v_capacity[vehicle]) or np.any(steps < 0):
                    ok = False
            if np.any(steps.max(axis=0) > self.v_capacity[vehicle]):
                ok = False
            pos = {j: i for i, j in enumerate(route)}
            for pu, de in self.pairs:
                if (int(pu) in pos) != (int(de) in pos) or (int(pu) in pos and pos[int(pu)] > pos[int(de)]):
                    ok = False
            if not all(bool(self.compat[vehicle, j]) for j in route):
                ok = False
        return arrivals, ok

def _kept_pairs(pairs: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Pairs whose two nodes are both kept, renumbered (a pair losing one node is dropped whole)."""
    where = {int(x): i for i, x in enumerate(keep)}
    out = [(where[int(p)], where[int(d)]) for p, d in pairs if int(p) in where and int(d) in where]
    return np.asarray(out, dtype=np.int32).reshape(-1, 2)


def _kept_fixed(fixed: tuple[tuple[int, ...], ...], keep: np.ndarray) -> tuple[tuple[int, ...], ...]:
    where = {int(x): i for i, x in enumerate(keep)}
    return tuple(tuple(where[j] for j in f if j in where) for f in fixed)


def haversine_matrices(lat: np.ndarray, lon: np.ndarray, *, speed_kmh: float = 30.0, detour: float = 1.3) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds and metres between points from straight-line distance.

    ``detour`` inflates the crow-flies distance to a road-like one; used when no
    road network is given (``matrix_source="haversine"``).
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    n = lat.shape[0]
    secs = np.empty((n, n), dtype=np.int32)
    metres = np.empty((n, n), dtype=np.int32)
    # Blocks of ~1e6 pairs keep the temporaries small, and each block computes only the
    # pairs on or right of the diagonal: the rest mirrors rows already done (the formula
    # is symmetric).  5,000 points: 0.5 s instead of 2.4 s.
    block = max(1, 2**20 // max(n, 1))
    for i in range(0, n, block):
        j = min(n, i + block)
        if i:
            secs[i:j, :i] = secs[:i, i:j].T
            metres[i:j, :i] = metres[:i, i:j].T
        dm = haversine_m(lat[i:j, None], lon[i:j, None], lat[None, i:], lon[None, i:])
        dm *= detour
        secs[i:j, i:] = np.rint(dm / (speed_kmh / 3.6))
        metres[i:j, i:] = np.rint(dm, out=dm)
    return secs, metres


def scaled_durations(durations: np.ndarray, factor: float) -> np.ndarray:
    """A speed profile: ``durations * factor`` rounded, capped to stay int32."""
    if factor == 1.0:
        return durations
    n = durations.shape[0]
    out = np.empty(durations.shape, dtype=np.int32)
    block = max(1, 2**20 // max(n, 1))  # row blocks: small temporaries, same numbers
    for i in range(0, n, block):
        x = durations[i : i + block].astype(np.float64)
        x *= factor
        np.rint(x, out=x)
        np.minimum(x, INT_INF, out=x)
        out[i : i + block] = x
    return out


def speed_profiles(durations: np.ndarray, factors: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Profile index per vehicle and the stacked travel times, from each vehicle's duration factor.

    Profile 0 is ``durations`` itself; every other distinct factor gets one
    profile, in the order the vehicles first use it.
    """
    distinct = [1.0]
    index = np.empty(len(factors), dtype=np.int32)
    for v, f in enumerate(factors):
        if f not in distinct:
            distinct.append(f)
        index[v] = distinct.index(f)
    if len(distinct) == 1:
        return index, durations[None, :, :]  # a view: no copy of the n^2 matrix
    out = np.empty((len(distinct), *durations.shape), dtype=np.int32)
    for k, f in enumerate(distinct):
        out[k] = scaled_durations(durations, f)
    return index, out


def network_matrices(network: object, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds and metres between network nodes via ``engine.matrix``."""
    from engine.matrix import (
        travel_times_and_lengths,  # its numba kernels load only when a network is used
    )

    nodes = np.asarray(nodes, dtype=np.int64)
    t, d = travel_times_and_lengths(network, nodes, nodes)
    out = []
    for x in (t, d):
        x = np.asarray(x, dtype=np.float64)
        # Unreachable pairs (inf, NaN) become "very far" so integer solvers keep working;
        # in place, as the n^2 conversion is a good part of a big day's matrix time.
        if not x.flags.writeable:
            x = x.copy()
        np.fmin(x, INT_INF, out=x)
        out.append(np.rint(x, out=x).astype(np.int32))
    return out[0], out[1]


__all__ = ["INT_INF", "VrpArrays", "haversine_matrices", "network_matrices", "scaled_durations", "speed_profiles"]
