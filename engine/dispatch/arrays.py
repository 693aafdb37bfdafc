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
from typing import TYPE_CHECKING

import numpy as np

from engine.geo import haversine_m

if TYPE_CHECKING:  # pragma: no cover
    from engine.domain.problem import Problem

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
    #: Array cost units per currency unit (1000 for problems built by ``from_problem``:
    #: costs are kept in milli-units so integer solvers lose nothing that matters).
    cost_scale: float = 1.0
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

    def subset(self, jobs: np.ndarray | list[int]) -> "VrpArrays":
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


# --------------------------------------------------------------------------- problem -> arrays

#: Array cost units per currency unit for real problems (milli-euros).
COST_SCALE = 1000.0
#: Integer units per unit of an order size / vehicle capacity (two decimals kept).
DIM_SCALE = 100
#: Penalty of an order no carrier may take, in currency units: high enough that
#: the fleet serves it whenever it can, finite so that OR-Tools can still drop it.
MUST_SERVE_PENALTY = 1_000_000.0


@dataclass(frozen=True, slots=True)
class Site:
    """A depot-like node: where vehicles start or end (a depot, or a vehicle's position when re-planning)."""

    name: str
    lat: float
    lon: float
    node: int | None = None


def _snap_all(network: object, lat: np.ndarray, lon: np.ndarray, max_snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node and its distance (metres) for each point.

    Points farther than ``max_snap_m`` still get their nearest node (so the
    matrix has a row for them); the caller flags them off-network by distance.
    """
    nodes, dist = network.snap(lat, lon, max_distance_m=float("inf"), on_far="mask")  # type: ignore[attr-defined]
    return np.asarray(nodes, dtype=np.int64), np.asarray(dist, dtype=np.float64)


def network_matrices(network: object, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds and metres between network nodes via ``engine.matrix``."""
    from engine import matrix as _matrix  # the matrix helper's module

    nodes = np.asarray(nodes, dtype=np.int64)
    both = getattr(_matrix, "travel_times_and_lengths", None)
    if both is not None:
        t, d = both(network, nodes, nodes)
    else:
        t = _matrix.travel_times(network, nodes, nodes)
        d = _matrix.distances(network, nodes, nodes)
    t = np.asarray(t, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)
    # Unreachable pairs become "very far" rather than inf so integer solvers keep working.
    t = np.where(np.isfinite(t), np.minimum(t, INT_INF), INT_INF)
    d = np.where(np.isfinite(d), np.minimum(d, INT_INF), INT_INF)
    return np.rint(t).astype(np.int32), np.rint(d).astype(np.int32)


def from_problem(
    problem: "Problem",
    *,
    network: object | None = None,
    matrix_source: str = "auto",
    speed_kmh: float = 30.0,
    penalties: np.ndarray | None = None,
    sites: list[Site] | None = None,
    vehicle_starts: dict[str, tuple[int, int]] | None = None,
    max_snap_m: float = 1000.0,
) -> VrpArrays:
    """Flatten a ``Problem`` into ``VrpArrays`` (all orders, no pre-check applied).

    Parameters
    ----------
    network
        A road network (``engine.network``); needed for ``matrix_source="network"``.
    matrix_source
        ``"network"`` (shortest paths on the roads), ``"haversine"``
        (straight line * 1.3 at ``speed_kmh``) or ``"auto"`` (network when given).
    penalties
        Cost (currency units) of leaving each order out, in ``problem.orders`` order;
        default ``MUST_SERVE_PENALTY``.
    sites
        Extra start nodes appended after the depots (re-planning: vehicle positions).
    vehicle_starts
        ``vehicle_id -> (site index among the extra sites, earliest start time)``;
        a site index of -1 keeps the vehicle at its depot and only delays its start.
    max_snap_m
        Orders farther than this from the network are flagged in ``meta["off_network"]``.

    ``meta`` carries ``lat``/``lon``/``net_node``/``snap_m`` per node,
    ``vehicle_type`` per vehicle, ``dims`` (dimension names) and ``order_index``
    (position of each job in ``problem.orders``).
    """
    from engine.domain.problem import DIMENSIONS, ModelError

    if matrix_source == "auto":
        matrix_source = "network" if network is not None else "haversine"
    if matrix_source not in ("network", "haversine"):
        raise ValueError(f"matrix_source must be 'network', 'haversine' or 'auto', got {matrix_source!r}")
    if matrix_source == "network" and network is None:
        raise ValueError("matrix_source='network' needs a road network (pass network=...)")

    sites = list(sites or [])
    depot_sites = [Site(d.depot_id, d.lat, d.lon, d.node) for d in problem.depots] + sites
    n_sites = len(depot_sites)
    orders = problem.orders
    lat = np.array([s.lat for s in depot_sites] + [o.lat for o in orders], dtype=np.float64)
    lon = np.array([s.lon for s in depot_sites] + [o.lon for o in orders], dtype=np.float64)
    n = lat.shape[0]

    net_node = np.full(n, -1, dtype=np.int64)
    snap_m = np.zeros(n)
    if matrix_source == "network":
        nodes, dist = _snap_all(network, lat, lon, max_snap_m)
        # Points that already know their node keep it (depots snapped by the caller).
        given = [s.node for s in depot_sites] + [o.node for o in orders]
        for i, g in enumerate(given):
            if g is not None:
                nodes[i] = g
                dist[i] = 0.0
        net_node, snap_m = nodes, dist
        # An order off the network is reported unassigned; a depot (or a vehicle position)
        # off it would silently drive from the nearest road, maybe hundreds of km away.
        far = np.flatnonzero(dist[:n_sites] > max_snap_m)
        if far.size:
            i = int(far[0])
            raise ModelError(
                f"depot {depot_sites[i].name!r}" if i < len(problem.depots) else depot_sites[i].name, "lat/lon",
                f"{dist[i] / 1000:,.1f} km from the nearest road of the network (at most {max_snap_m:,.0f} m): "
                "is it on this network?",
            )
        durations, distances = network_matrices(network, nodes)
    else:
        durations, distances = haversine_matrices(lat, lon, speed_kmh=speed_kmh)

    # Dimensions: the standard ones plus any an order uses; only those with demand matter.
    dims = [d for d in DIMENSIONS] + sorted({k for o in orders for k in o.size} - set(DIMENSIONS))
    dims = [d for d in dims if any(o.size.get(d, 0) > 0 for o in orders)] or ["parcels"]
    demand = np.zeros((n, len(dims)), dtype=np.int64)
    for j, o in enumerate(orders):
        for k, d in enumerate(dims):
            demand[n_sites + j, k] = int(math.ceil(float(o.size.get(d, 0.0)) * DIM_SCALE - 1e-9))

    horizon = int(problem.horizon)
    service = np.zeros(n, dtype=np.int32)
    tw_start = np.zeros(n, dtype=np.int32)
    tw_end = np.full(n, horizon, dtype=np.int32)
    windows: list[tuple[tuple[int, int], ...]] = []
    for i, s in enumerate(depot_sites):
        if i < len(problem.depots):
            op = problem.depots[i].opening
            tw_start[i], tw_end[i] = op.start, op.end
        windows.append(((int(tw_start[i]), int(tw_end[i])),))
    for j, o in enumerate(orders):
        i = n_sites + j
        service[i] = o.service_time
        wins = sorted((int(w.start), int(w.end)) for w in o.effective_windows(horizon))
        if not wins:
            # promised_by before every window opens: no time works; pre-check reports it.
            wins = [(0, -1)]
        tw_start[i] = min(a for a, _ in wins)
        tw_end[i] = max(b for _, b in wins)
        windows.append(tuple(wins))

    # Vehicles, one per unit of each type's count.
    depot_ix = {d.depot_id: i for i, d in enumerate(problem.depots)}
    vids: list[str] = []
    vtype: list[str] = []
    v_start: list[int] = []
    v_end: list[int] = []
    cap_rows: list[list[int]] = []
    v_tws: list[int] = []
    v_twe: list[int] = []
    v_maxd: list[int] = []
    v_fixed: list[float] = []
    v_pm: list[float] = []
    v_ps: list[float] = []
    v_prof: list[int] = []
    v_breaks: list[tuple[tuple[int, int, int], ...]] = []
    factors: list[float] = [1.0]
    compat_rows: list[np.ndarray] = []
    order_skills = [o.skills for o in orders]
    order_depot = [o.depot for o in orders]
    vehicle_starts = vehicle_starts or {}
    for vt in problem.vehicle_types:
        item = f"vehicle type {vt.type_id!r}"
        if vt.start_depot not in depot_ix:
            raise ModelError(item, "start_depot", f"unknown depot {vt.start_depot!r}")
        end_dep = vt.end_depot or vt.start_depot
        if end_dep not in depot_ix:
            raise ModelError(item, "end_depot", f"unknown depot {end_dep!r}")
        if vt.speed_factor <= 0:
            raise ModelError(item, "speed_factor", "must be > 0")
        if vt.speed_factor not in factors:
            factors.append(vt.speed_factor)
        prof = factors.index(vt.speed_factor)
        cap = [
            int(math.floor(float(vt.capacity[d]) * DIM_SCALE + 1e-9)) if d in vt.capacity else INT_INF for d in dims
        ]
        sdep, edep = problem.depots[depot_ix[vt.start_depot]], problem.depots[depot_ix[end_dep]]
        row = np.ones(n, dtype=bool)
        for j in range(len(orders)):
            row[n_sites + j] = order_skills[j] <= vt.skills and (
                order_depot[j] is None or order_depot[j] == vt.start_depot
            )
        for k in range(vt.count):
            vid = f"{vt.type_id}-{k + 1}"
            vids.append(vid)
            vtype.append(vt.type_id)
            start = depot_ix[vt.start_depot]
            t0 = max(vt.shift.start, sdep.opening.start)
            if vid in vehicle_starts:
                site_ix, t_now = vehicle_starts[vid]
                if site_ix is not None and site_ix >= 0:
                    start = len(problem.depots) + site_ix
                t0 = max(t0, int(t_now))
            v_start.append(start)
            v_end.append(depot_ix[end_dep])
            cap_rows.append(cap)
            v_tws.append(int(t0))
            v_twe.append(int(min(vt.shift.end, edep.opening.end)))
            v_maxd.append(int(vt.max_duration) if vt.max_duration is not None else INT_INF)
            v_fixed.append(vt.fixed_cost * COST_SCALE)
            v_pm.append(vt.cost_per_km / 1000.0 * COST_SCALE)
            v_ps.append(vt.cost_per_hour / 3600.0 * COST_SCALE)
            v_prof.append(prof)
            v_breaks.append(tuple((int(b.window.start), int(b.window.end), int(b.duration)) for b in vt.breaks))
            compat_rows.append(row)
    m = len(vids)
    profiles = np.stack([scaled_durations(durations, f) for f in factors])

    pen = np.zeros(n, dtype=np.int64)
    if penalties is None:
        pen[n_sites:] = int(MUST_SERVE_PENALTY * COST_SCALE)
    else:
        penalties = np.asarray(penalties, dtype=np.float64)
        if penalties.shape != (len(orders),):
            raise ValueError(f"penalties must have one entry per order ({len(orders)}), got {penalties.shape}")
        pen[n_sites:] = np.rint(penalties * COST_SCALE).astype(np.int64)

    lc = problem.lateness_cost_per_min
    if lc is not None and lc < 0:
        raise ModelError("problem", "lateness_cost_per_min", "must be >= 0")
    if np.any(demand > INT_INF):
        raise ModelError("problem", "size", "an order size is too large to represent")
    return VrpArrays(
        n_depots=n_sites,
        durations=profiles[0],
        distances=distances,
        service=service,
        tw_start=tw_start,
        tw_end=tw_end,
        demand=demand.astype(np.int32),
        v_start=np.array(v_start, dtype=np.int32),
        v_end=np.array(v_end, dtype=np.int32),
        v_capacity=np.array(cap_rows, dtype=np.int64).reshape(m, len(dims)).astype(np.int32),
        v_tw_start=np.array(v_tws, dtype=np.int32),
        v_tw_end=np.array(v_twe, dtype=np.int32),
        v_max_duration=np.array(v_maxd, dtype=np.int32),
        v_fixed_cost=np.array(v_fixed, dtype=np.float64),
        v_cost_per_m=np.array(v_pm, dtype=np.float64),
        v_cost_per_s=np.array(v_ps, dtype=np.float64),
        compat=np.array(compat_rows, dtype=bool).reshape(m, n),
        penalty=pen,
        v_profile=np.array(v_prof, dtype=np.int32),
        profile_durations=profiles,
        windows=tuple(windows),
        v_breaks=tuple(v_breaks),
        lateness_cost_per_s=0.0 if lc is None else float(lc) / 60.0 * COST_SCALE,
        scale=1,
        cost_scale=COST_SCALE,
        job_ids=tuple(o.order_id for o in orders),
        vehicle_ids=tuple(vids),
        name=problem.name,
        meta={
            "lat": lat,
            "lon": lon,
            "net_node": net_node,
            "snap_m": snap_m,
            "off_network": snap_m > max_snap_m,
            "order_index": np.concatenate([np.full(n_sites, -1), np.arange(len(orders))]),
            "vehicle_type": tuple(vtype),
            "dims": tuple(dims),
            "site_names": tuple(s.name for s in depot_sites),
            "matrix_source": matrix_source,
        },
    )
