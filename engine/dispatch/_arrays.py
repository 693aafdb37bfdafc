"""A routing problem as flat numpy arrays: the shared input of OR-Tools and the numba search.

Node layout
-----------
Nodes ``0 .. n_depots-1`` are depot locations, nodes ``n_depots .. n_nodes-1``
are jobs (one node per order, in ``job_ids`` order): job ``j`` is node
``n_depots + j``.  Each vehicle names its start and end node (``v_start``,
``v_end``), which are always depot nodes (re-planning adds a depot-like node
for a vehicle's current position, see ``engine.dispatch.replan``).

Units
-----
All times are int32 seconds (Solomon: scaled time units), distances int32
metres (Solomon: scaled distance).  ``scale`` says how many array units make
one unit of the source (1 for real problems, 1000 for Solomon, whose
coordinates are scaled by 1000 and rounded so that integer solvers keep
three decimals).  A route's cost is

    v_fixed_cost[v]                                   (if it serves a job)
    + sum over arcs (i, j) of
        v_cost_per_m[v] * distances[i, j]
        + v_cost_per_s[v] * (travel time of v on (i, j) + service[i])

(waiting is not charged; ``arc_costs`` gives the per-vehicle matrix) plus
``penalty[j]`` for every job left out.

For Solomon ``v_cost_per_s`` is 0 and ``v_cost_per_m`` 1, so the cost is the
scaled distance; divide by ``scale`` to compare with the literature.

Travel time of vehicle ``v`` on arc ``(i, j)`` is
``profile_durations[v_profile[v], i, j]``; ``durations`` is profile 0 (the
plain matrix; a vehicle type with ``speed_factor != 1`` gets its own profile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
    #: int64 [n]: cost of leaving a job out (handing it to a carrier); 0 at depots.
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
    def n_dims(self) -> int:
        return int(self.demand.shape[1])

    def route_cost(self, vehicle: int, route: list[int]) -> float:
        """Cost of ``vehicle`` serving job nodes ``route`` in order (no feasibility check)."""
        if not route:
            return 0.0
        dur = self.profile_durations[self.v_profile[vehicle]]
        path = [int(self.v_start[vehicle]), *route, int(self.v_end[vehicle])]
        d = sum(int(self.distances[a, b]) for a, b in zip(path, path[1:]))
        t = sum(int(dur[a, b]) + int(self.service[a]) for a, b in zip(path, path[1:]))
        return float(self.v_fixed_cost[vehicle] + self.v_cost_per_m[vehicle] * d + self.v_cost_per_s[vehicle] * t)

    def arc_costs(self, vehicle: int) -> np.ndarray:
        """float64 [n, n] cost of each arc for ``vehicle`` (the sum in the module docstring)."""
        dur = self.profile_durations[self.v_profile[vehicle]]
        return self.v_cost_per_m[vehicle] * self.distances + self.v_cost_per_s[vehicle] * (
            dur.astype(np.float64) + self.service[:, None]
        )

    def total_cost(self, routes: list[list[int]]) -> float:
        """Cost of a whole solution: ``routes[v]`` are vehicle v's job nodes; missing jobs pay ``penalty``."""
        served = {j for r in routes for j in r}
        out = sum(self.route_cost(v, r) for v, r in enumerate(routes))
        out += sum(int(self.penalty[j]) for j in range(self.n_depots, self.n_nodes) if j not in served)
        return float(out)

    def route_schedule(self, vehicle: int, route: list[int]) -> tuple[list[int], bool]:
        """Earliest arrival at each node of ``[start, *route, end]`` and whether every window holds.

        Capacity and the vehicle's own window/max duration are checked too.
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
        if route:
            load = self.demand[np.asarray(route)].sum(axis=0)
            if np.any(load > self.v_capacity[vehicle]):
                ok = False
            if not all(bool(self.compat[vehicle, j]) for j in route):
                ok = False
        return arrivals, ok


def read_solomon(path: str | Path) -> dict:
    """Parse a Solomon/Homberger-Gehring text file into plain numbers.

    Returns ``{"name", "n_vehicles", "capacity", "xy" [n,2], "demand" [n],
    "ready" [n], "due" [n], "service" [n]}`` with customer 0 the depot.
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read Solomon file {path}: {exc}") from None
    name = lines[0].strip() if lines else path.stem
    n_veh = cap = None
    rows: list[list[float]] = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("NUMBER") and n_veh is None:
            parts = lines[i + 1].split()
            n_veh, cap = int(parts[0]), int(parts[1])
        parts = line.split()
        if len(parts) == 7 and all(_is_number(p) for p in parts):
            rows.append([float(p) for p in parts])
    if n_veh is None or cap is None or not rows:
        raise ValueError(f"{path}: not a Solomon file (missing VEHICLE section or customer rows)")
    arr = np.asarray(rows)
    if int(arr[0, 0]) != 0:
        raise ValueError(f"{path}: first customer row must be the depot (number 0)")
    return {
        "name": name,
        "n_vehicles": n_veh,
        "capacity": cap,
        "xy": arr[:, 1:3],
        "demand": arr[:, 3].astype(np.int64),
        "ready": arr[:, 4],
        "due": arr[:, 5],
        "service": arr[:, 6],
    }


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def from_solomon(path: str | Path, *, scale: int = 1000, n_vehicles: int | None = None) -> VrpArrays:
    """Solomon / Homberger instance as ``VrpArrays``.

    Euclidean distance times ``scale``, rounded to int; travel time equals
    distance; windows and service times scaled the same way; identical
    vehicles with cost = distance only and no fixed cost.  Penalty for
    leaving a customer out is large (every customer must be served).
    """
    d = read_solomon(path)
    xy = d["xy"]
    n = xy.shape[0]
    diff = xy[:, None, :] - xy[None, :, :]
    dist = np.rint(np.sqrt((diff**2).sum(axis=2)) * scale).astype(np.int32)
    m = int(n_vehicles if n_vehicles is not None else d["n_vehicles"])
    tw_start = np.rint(d["ready"] * scale).astype(np.int32)
    tw_end = np.rint(d["due"] * scale).astype(np.int32)
    service = np.rint(d["service"] * scale).astype(np.int32)
    service[0] = 0
    demand = d["demand"].astype(np.int32)[:, None].copy()
    demand[0] = 0
    penalty = np.full(n, 10**12, dtype=np.int64)
    penalty[0] = 0
    return VrpArrays(
        n_depots=1,
        durations=dist,
        distances=dist.copy(),
        service=service,
        tw_start=tw_start,
        tw_end=tw_end,
        demand=demand,
        v_start=np.zeros(m, dtype=np.int32),
        v_end=np.zeros(m, dtype=np.int32),
        v_capacity=np.full((m, 1), d["capacity"], dtype=np.int32),
        v_tw_start=np.full(m, tw_start[0], dtype=np.int32),
        v_tw_end=np.full(m, tw_end[0], dtype=np.int32),
        v_max_duration=np.full(m, INT_INF, dtype=np.int32),
        v_fixed_cost=np.zeros(m, dtype=np.float64),
        v_cost_per_m=np.ones(m, dtype=np.float64),
        v_cost_per_s=np.zeros(m, dtype=np.float64),
        compat=np.ones((m, n), dtype=bool),
        penalty=penalty,
        scale=scale,
        job_ids=tuple(str(i) for i in range(1, n)),
        name=str(d["name"]),
    )


def haversine_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (broadcasting)."""
    r = 6_371_000.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_matrices(lat: np.ndarray, lon: np.ndarray, *, speed_kmh: float = 30.0, detour: float = 1.3) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds and metres between points from straight-line distance.

    ``detour`` inflates the crow-flies distance to a road-like one; used when no
    road network is given (``matrix_source="haversine"``).
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    dm = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * detour
    secs = dm / (speed_kmh / 3.6)
    return np.rint(secs).astype(np.int32), np.rint(dm).astype(np.int32)


def scaled_durations(durations: np.ndarray, factor: float) -> np.ndarray:
    """A speed profile: ``durations * factor`` rounded, capped to stay int32."""
    if factor == 1.0:
        return durations
    out = np.rint(durations.astype(np.float64) * factor)
    return np.minimum(out, INT_INF).astype(np.int32)


def is_finite_time(x: float) -> bool:
    return math.isfinite(x) and x < INT_INF
