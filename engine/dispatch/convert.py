"""A ``Problem`` flattened to ``VrpArrays``: depots and vehicle positions first, then one node per order.

Costs are kept in milli-units (``COST_SCALE``) and order sizes in hundredths
(``DIM_SCALE``) so that the integer solvers lose nothing that matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.dispatch.arrays import (
    INT_INF,
    VrpArrays,
    haversine_matrices,
    network_matrices,
    speed_profiles,
)
from engine.domain.problem import DIMENSIONS, Problem
from engine.errors import InputError, ProblemError

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


def from_problem(
    problem: Problem,
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
    if matrix_source == "auto":
        matrix_source = "network" if network is not None else "haversine"
    if matrix_source not in ("network", "haversine"):
        raise InputError(
            f"matrix_source must be 'network', 'haversine' or 'auto', got {matrix_source!r}", item="params", field="matrix_source"
        )
    if matrix_source == "network" and network is None:
        raise InputError("matrix_source='network' needs a road network (pass network=...)", item="params", field="matrix_source")

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
            raise ProblemError(
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
    v_breaks: list[tuple[tuple[int, int, int], ...]] = []
    v_factor: list[float] = []
    compat_rows: list[np.ndarray] = []
    order_skills = [o.skills for o in orders]
    order_depot = [o.depot for o in orders]
    vehicle_starts = vehicle_starts or {}
    for vt in problem.vehicle_types:
        item = f"vehicle type {vt.type_id!r}"
        if vt.start_depot not in depot_ix:
            raise ProblemError(item, "start_depot", f"unknown depot {vt.start_depot!r}")
        end_dep = vt.end_depot or vt.start_depot
        if end_dep not in depot_ix:
            raise ProblemError(item, "end_depot", f"unknown depot {end_dep!r}")
        if vt.speed_factor <= 0:
            raise ProblemError(item, "speed_factor", "must be > 0")
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
            v_factor.append(vt.speed_factor)
            v_breaks.append(tuple((int(b.window.start), int(b.window.end), int(b.duration)) for b in vt.breaks))
            compat_rows.append(row)
    m = len(vids)
    v_profile, profiles = speed_profiles(durations, v_factor)

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
        raise ProblemError("problem", "lateness_cost_per_min", "must be >= 0")
    if np.any(demand > INT_INF):
        raise ProblemError("problem", "size", "an order size is too large to represent")
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
        v_profile=v_profile,
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


__all__ = ["COST_SCALE", "DIM_SCALE", "MUST_SERVE_PENALTY", "Site", "from_problem"]
