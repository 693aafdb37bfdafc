"""Real-road delivery days: ours, PyVRP and VROOM on the same integer travel-time matrix.

Days are generated on every OSM extract in ``../shared/data/osm`` and on
``synthetic:`` metro regions: one depot near the centre, orders on random road
nodes, 1-3 parcels each, 2-hour windows over an 8-hour day, 5-minute service.
``tight`` capacity gives the fleet about as many parcels as the day has (vans
of 40 for 2 parcels per order on average); ``loose`` half as much again.  The
matrix is ``engine.matrix.travel_times`` rounded to whole seconds.

The objective is VROOM's default: serve as many orders as possible (each left
out costs ``PRIZE``), then the least travel time.  Ours and PyVRP get the same
time; VROOM runs with its own stop (or ``--vroom-timeout``).  Every route of
every solver is re-checked here, independently of the solvers (capacity,
windows with waiting, shift end, each order at most once), and its travel time
recomputed from the matrix.  Per size: mean and worst ratio of our travel time
to the best peer's, on days where we serve at least as many orders.

Default run (bounded, a few minutes)::

    .venv/bin/python benchmarks/road_days.py

Long runs are opt-in: ``--sizes 200 400 1000 2000 5000 --time-limit 60``.
``--carrier-day`` reproduces issue 9's 1,000-order Andorra day through the
problem JSON path (one carrier with a daily capacity of 100) beside VROOM's
fleet-only count on the same matrix.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.dispatch import MaxRuntime, SolveParams  # noqa: E402
from engine.dispatch.arrays import VrpArrays  # noqa: E402
from engine.dispatch.pipeline import solve_arrays  # noqa: E402

OSM_DIR = ROOT.parent / "shared" / "data" / "osm"
SYNTHETIC = ("synthetic:40000@1", "synthetic:40000@2")
H = 3600
DAY_START, DAY_END = 8 * H, 16 * H
SERVICE = 300
VAN = 40
#: Cost of an order left out: far above any route's travel time, so serving comes first.
PRIZE = 10_000_000


@dataclass
class Day:
    name: str
    dur: np.ndarray  # int64 [n, n] seconds, node 0 the depot
    demand: np.ndarray  # int64 [n]
    tw: np.ndarray  # int64 [n, 2]
    n_vehicles: int
    capacity: int


def sources(osm_dir: Path) -> list[str]:
    files = sorted(p for p in osm_dir.iterdir() if p.name.endswith((".pbf", ".osm", ".gz", ".bz2"))) if osm_dir.is_dir() else []
    return [str(p) for p in files] + list(SYNTHETIC)


def make_day(network: object, label: str, n: int, tight: bool, seed: int) -> Day:
    """One depot near the network's centre, ``n`` orders on random nodes."""
    from engine.matrix import travel_times

    rng = np.random.default_rng(seed)
    lat, lon = network.lat, network.lon  # type: ignore[attr-defined]
    centre = int(np.argmin((lat - np.median(lat)) ** 2 + (lon - np.median(lon)) ** 2))
    pool = np.setdiff1d(np.arange(network.n_nodes), [centre])  # type: ignore[attr-defined]
    nodes = np.concatenate([[centre], rng.choice(pool, size=n, replace=n > pool.size)])
    t = travel_times(network, nodes, nodes)
    dur = np.rint(t).astype(np.int64)
    demand = np.concatenate([[0], rng.integers(1, 4, size=n)])
    start = rng.integers(DAY_START, DAY_END - 2 * H + 1, size=n) // 900 * 900
    tw = np.column_stack([np.concatenate([[DAY_START - H], start]), np.concatenate([[DAY_END + 2 * H], start + 2 * H])])
    n_veh = max(1, int(round(demand.sum() / VAN)))
    cap = VAN if tight else VAN * 3 // 2
    return Day(f"{label}-{n}-{'tight' if tight else 'loose'}", dur, demand, tw, n_veh, cap)


# ------------------------------------------------------------------ independent check


def check(day: Day, routes: list[list[int]]) -> tuple[int, int, list[str]]:
    """(orders served, travel seconds, problems): every rule recomputed from the matrix."""
    errors: list[str] = []
    seen: set[int] = set()
    travel = 0
    if len([r for r in routes if r]) > day.n_vehicles:
        errors.append(f"{len(routes)} routes for {day.n_vehicles} vans")
    for r in routes:
        if not r:
            continue
        if int(day.demand[r].sum()) > day.capacity:
            errors.append(f"route over capacity ({int(day.demand[r].sum())} > {day.capacity})")
        t = int(day.tw[0, 0])
        prev = 0
        for c in r:
            if c in seen or not 0 < c < len(day.demand):
                errors.append(f"order {c} twice or unknown")
            seen.add(c)
            t += (SERVICE if prev else 0) + int(day.dur[prev, c])
            travel += int(day.dur[prev, c])
            if t > day.tw[c, 1]:
                errors.append(f"order {c} late ({t} > {day.tw[c, 1]})")
            t = max(t, int(day.tw[c, 0]))
            prev = c
        t += SERVICE + int(day.dur[prev, 0])
        travel += int(day.dur[prev, 0])
        if t > day.tw[0, 1]:
            errors.append(f"back at the depot too late ({t})")
    return len(seen), travel, errors


# ------------------------------------------------------------------ solvers


def arrays(day: Day) -> VrpArrays:
    n, m = day.dur.shape[0], day.n_vehicles
    dur = np.ascontiguousarray(day.dur, dtype=np.int32)
    service = np.full(n, SERVICE, dtype=np.int32)
    service[0] = 0
    pen = np.full(n, PRIZE, dtype=np.int64)
    pen[0] = 0
    return VrpArrays(
        n_depots=1, durations=dur, distances=dur.copy(), service=service,
        tw_start=day.tw[:, 0].astype(np.int32), tw_end=day.tw[:, 1].astype(np.int32),
        demand=day.demand[:, None].astype(np.int32), v_start=np.zeros(m, dtype=np.int32), v_end=np.zeros(m, dtype=np.int32),
        v_capacity=np.full((m, 1), day.capacity, dtype=np.int32), v_tw_start=np.full(m, day.tw[0, 0], dtype=np.int32),
        v_tw_end=np.full(m, day.tw[0, 1], dtype=np.int32), v_max_duration=np.full(m, 2**30, dtype=np.int32),
        v_fixed_cost=np.zeros(m), v_cost_per_m=np.zeros(m), v_cost_per_s=np.ones(m), v_cost_per_service_s=np.zeros(m),
        compat=np.ones((m, n), dtype=bool), penalty=pen, name=day.name,
    )


#: Seconds to our first plan in the last run (the progress callback's first call).
first: list[float] = []


def ours(day: Day, seconds: float, seed: int, params: SolveParams | None = None) -> tuple[list[list[int]], float]:
    t0 = time.perf_counter()

    def progress(t: float, _cost: float) -> None:
        if not first:
            first.append(round(t, 2))

    res = solve_arrays(arrays(day), params=params or SolveParams(), stop=MaxRuntime(seconds), seed=seed, progress=progress)
    return res.routes, time.perf_counter() - t0


def pyvrp(day: Day, seconds: float, seed: int) -> tuple[list[list[int]], float]:
    import pyvrp as pv
    from pyvrp.stop import MaxRuntime as PvMax

    t0 = time.perf_counter()
    n = day.dur.shape[0]
    data = pv.ProblemData(
        [pv.Location(0, 0) for _ in range(n)],
        [pv.Client(i, delivery=[int(day.demand[i])], service_duration=SERVICE, tw_early=int(day.tw[i, 0]),
                   tw_late=int(day.tw[i, 1]), prize=PRIZE, required=False) for i in range(1, n)],
        [pv.Depot(0, tw_early=int(day.tw[0, 0]), tw_late=int(day.tw[0, 1]))],
        [pv.VehicleType(day.n_vehicles, capacity=[day.capacity], tw_early=int(day.tw[0, 0]), tw_late=int(day.tw[0, 1]))],
        [day.dur], [day.dur],
    )
    res = pv.solve(data, stop=PvMax(max(0.1, seconds - (time.perf_counter() - t0))), seed=seed, display=False)
    routes = [[int(a.idx) + 1 for a in r if a.is_client()] for r in res.best.routes()]
    return routes, time.perf_counter() - t0


def vroom(day: Day, timeout: float | None) -> tuple[list[list[int]], float]:
    import vroom as vr

    t0 = time.perf_counter()
    n = day.dur.shape[0]
    inp = vr.Input()
    inp.set_durations_matrix(profile="car", matrix_input=np.ascontiguousarray(day.dur, dtype=np.uint32))
    for v in range(day.n_vehicles):
        inp.add_vehicle(vr.Vehicle(id=v, start=0, end=0, capacity=[day.capacity], time_window=vr.TimeWindow(int(day.tw[0, 0]), int(day.tw[0, 1]))))
    for i in range(1, n):
        inp.add_job(vr.Job(id=i, location=i, delivery=[int(day.demand[i])], default_service=SERVICE,
                           time_windows=[vr.TimeWindow(int(day.tw[i, 0]), int(day.tw[i, 1]))]))
    kw: dict = {"exploration_level": 5, "nb_threads": 2}
    if timeout is not None:
        kw["timeout"] = timedelta(seconds=timeout)
    sol = inp.solve(**kw)
    df = sol.routes
    routes = [[int(x) for x in g["id"].tolist()] for _, g in df[df["type"] == "job"].groupby("vehicle_id", sort=True)]
    return routes, time.perf_counter() - t0


# ------------------------------------------------------------------ the 1,000-order carrier day


def carrier_day(source: str, n: int, seconds: float, seed: int, vroom_timeout: float | None = 120.0) -> dict:
    """Issue 9's native day: 40 vans of 40 parcels, one carrier at 9 + 0.2/kg taking 100 a day."""
    from engine.dispatch import check_plan, solve
    from engine.domain.problem import Carrier, Depot, Order, Problem, TimeWindow, VehicleType
    from engine.network import load

    net = load(source)
    rng = np.random.default_rng(seed)
    lat, lon = net.lat, net.lon
    centre = int(np.argmin((lat - np.median(lat)) ** 2 + (lon - np.median(lon)) ** 2))
    nodes = rng.choice(np.setdiff1d(np.arange(net.n_nodes), [centre]), size=n, replace=False)
    parcels = rng.integers(1, 4, size=n)
    start = rng.integers(8 * H, 16 * H + 1, size=n) // 900 * 900
    orders = [
        Order(f"o{i:04d}", float(lat[x]), float(lon[x]), node=int(x), size={"parcels": float(p), "kg": float(2 * p)},
              windows=[TimeWindow(int(s), int(s) + 2 * H)], service_time=180)
        for i, (x, p, s) in enumerate(zip(nodes, parcels, start))
    ]
    vans = [VehicleType("van", 40, "D", capacity={"parcels": 40}, shift=TimeWindow(7 * H, 19 * H))]
    problem = Problem([Depot("D", float(lat[centre]), float(lon[centre]), node=centre)], vans, orders,
                      carriers=[Carrier("carrier", base_cost=9.0, cost_per_kg=0.2, capacity=100, max_km=1000)])
    t0 = time.perf_counter()
    plan = solve(problem, network=net, stop=MaxRuntime(seconds), seed=seed)
    wall = time.perf_counter() - t0
    errors = check_plan(problem, plan)
    rec = {
        "orders": n, "parcels": int(parcels.sum()), "time_limit": seconds, "solve_seconds": round(wall, 2),
        "routed": sum(len(r.order_ids) for r in plan.routes), "handed_off": len(plan.handoffs),
        "unassigned": len(plan.unassigned), "not_planned": sum(u.reason.name == "NOT_PLANNED" for u in plan.unassigned),
        "unassigned_details": sorted({u.detail for u in plan.unassigned}),
        "parcels_routed": int(sum(r.stops[0].load.get("parcels", 0) for r in plan.routes)), "fleet_parcels": 40 * 40,
        "vans_used": len(plan.routes), "check_plan_errors": len(errors), "phases": plan.stats["phases"],
    }
    print(json.dumps(rec), flush=True)
    # VROOM, fleet only, on the same travel-time matrix.
    from engine.matrix import travel_times

    all_nodes = np.concatenate([[centre], nodes])
    dur = np.rint(travel_times(net, all_nodes, all_nodes)).astype(np.int64)
    day = Day("carrier-day", dur, np.concatenate([[0], parcels]),
              np.column_stack([np.concatenate([[7 * H], start]), np.concatenate([[19 * H], start + 2 * H])]), 40, 40)
    global SERVICE
    saved, SERVICE = SERVICE, 180
    try:
        vroutes, vsec = vroom(day, vroom_timeout)
        vserved, vtravel, verr = check(day, vroutes)
    finally:
        SERVICE = saved
    rec.update(vroom_served=vserved, vroom_vans=len([r for r in vroutes if r]), vroom_seconds=round(vsec, 2),
               vroom_errors=len(verr), vroom_timeout=vroom_timeout)
    return rec


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 400])
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds for ours and PyVRP")
    ap.add_argument("--vroom-timeout", type=float, default=None, help="default: VROOM stops on its own (--carrier-day: 120 s)")
    ap.add_argument("--sources", nargs="+", default=None, help="default: every extract in --osm-dir, then synthetic metros")
    ap.add_argument("--osm-dir", type=Path, default=OSM_DIR)
    ap.add_argument("--capacity", choices=["tight", "loose", "both"], default="both")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", default="ours,pyvrp,vroom", help="comma-separated subset of ours,pyvrp,vroom")
    ap.add_argument("--carrier-day", action="store_true", help="run issue 9's 1,000-order carrier day instead")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "road_days.json")
    ap.add_argument("--params", type=Path, default=None,
                    help="ours: a SolveParams TOML file (the search tunables under [search]); default: the shipped values")
    ap.add_argument("--peers", type=Path, default=None,
                    help="an earlier output of this script (same --seed): its PyVRP/VROOM results stand in for the peers not run now")
    args = ap.parse_args()
    solve_params = SolveParams.from_toml(args.params) if args.params else None
    load_avg = os.getloadavg()
    if args.carrier_day:
        src = args.sources[0] if args.sources else str(args.osm_dir / "andorra.osm.pbf")
        rec = carrier_day(src, args.sizes[0] if args.sizes != [200, 400] else 1000, args.time_limit, args.seed,
                          args.vroom_timeout if args.vroom_timeout is not None else 120.0)
        rec["load_avg"] = load_avg
        print(json.dumps(rec, indent=1))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_name("road_days_carrier.json").write_text(json.dumps(rec, indent=1))
        return

    from engine.network import load

    stored: dict[str, dict] = {}
    if args.peers is not None:
        doc = json.loads(args.peers.read_text())
        if int(doc["args"]["seed"]) != args.seed:
            raise SystemExit(f"--peers {args.peers} was run with --seed {doc['args']['seed']}, this run has {args.seed}: not the same days")
        stored = {r["day"]: r for r in doc["days"]}
    srcs = args.sources or sources(args.osm_dir)
    caps = [True, False] if args.capacity == "both" else [args.capacity == "tight"]
    rows = []
    print(f"load average at start: {load_avg}", flush=True)
    print(f"{'day':34} {'solver':6} {'served':>6} {'travel s':>9} {'secs':>6}  check", flush=True)
    for src in srcs:
        net = load(src)
        label = Path(src).name.split(".")[0] if not src.startswith("synthetic") else src.replace(":", "")
        for n in args.sizes:
            for tight in caps:
                t_matrix = time.perf_counter()
                day = make_day(net, label, n, tight, args.seed)
                rec = {"day": day.name, "size": n, "tight": tight, "vans": day.n_vehicles,
                       "matrix_s": round(time.perf_counter() - t_matrix, 2), "load_avg_start": os.getloadavg()}
                runs = {"ours": lambda: ours(day, args.time_limit, args.seed, solve_params),
                        "pyvrp": lambda: pyvrp(day, args.time_limit, args.seed),
                        "vroom": lambda: vroom(day, args.vroom_timeout)}
                for name in args.solvers.split(","):
                    if name == "ours":
                        first.clear()
                    routes, secs = runs[name]()
                    served, travel, errors = check(day, routes)
                    rec[name] = {"served": served, "travel": travel, "seconds": round(secs, 2), "errors": errors[:3]}
                    if name == "ours" and first:
                        rec[name]["first_plan_s"] = first[0]
                    if name == "vroom" and args.vroom_timeout is not None:
                        # VROOM ends a little after its timeout when it was still searching.
                        rec[name]["hit_timeout"] = secs >= args.vroom_timeout - 1.0
                    print(f"{day.name:34} {name:6} {served:6d} {travel:9d} {secs:6.1f}  {'ok' if not errors else errors[:2]}", flush=True)
                for name in ("pyvrp", "vroom"):
                    if name not in rec and name in stored.get(day.name, {}):
                        rec[name] = dict(stored[day.name][name], stored=str(args.peers))
                if "ours" in rec:
                    peers = [rec[p] for p in ("pyvrp", "vroom") if p in rec and not rec[p]["errors"]]
                    best = max(peers, key=lambda p: (p["served"], -p["travel"]), default=None)
                    if best is not None and rec["ours"]["served"] >= best["served"]:
                        same = [p["travel"] for p in peers if p["served"] <= rec["ours"]["served"]]
                        print(f"{day.name:34} ratio to the best peer {rec['ours']['travel'] / min(same):.4f}", flush=True)
                rec["load_avg_end"] = os.getloadavg()
                rows.append(rec)
                # Written after every day, so a long run that is stopped keeps what it measured.
                write(args, load_avg, rows)
    print(f"load average at end: {os.getloadavg()}", flush=True)
    print()
    print(f"{'size':>5} {'days':>4} {'mean ratio':>10} {'worst':>7} {'served < best peer':>18}")
    for n in args.sizes:
        ratios, behind = [], 0
        for r in (x for x in rows if x["size"] == n):
            peers = [r[p] for p in ("pyvrp", "vroom") if p in r and not r[p]["errors"]]
            if not peers or "ours" not in r or r["ours"]["errors"]:
                continue
            best = max(peers, key=lambda p: (p["served"], -p["travel"]))
            if r["ours"]["served"] < best["served"]:
                behind += 1
                continue
            same = [p["travel"] for p in peers if p["served"] <= r["ours"]["served"]]
            ratios.append(r["ours"]["travel"] / min(same))
        if ratios:
            print(f"{n:5d} {len(ratios):4d} {np.mean(ratios):10.4f} {max(ratios):7.4f} {behind:18d}")
    write(args, load_avg, rows)


def write(args: argparse.Namespace, load_avg: tuple[float, float, float], rows: list[dict]) -> None:
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "load_avg": load_avg, "days": rows}, indent=1))


if __name__ == "__main__":
    main()
