"""Solomon / Gehring-Homberger VRPTW benchmark: our engine side by side with PyVRP and VROOM.

Objective is total distance with a fixed fleet (the instance's vehicle count),
capacity and hard time windows, travel time = distance.  Every solver works
on the same integer data: distances are Euclidean times 1000 rounded, travel
times Euclidean times 1000 rounded *up* (so that a route feasible in integers
is feasible with real-valued times too), windows and service times times
1000.  Costs are then recomputed from the coordinates as the sum of real
Euclidean distances and compared with the best known solutions in
``vrptw/BKS.json`` (Solomon: the ``<name>_distance`` entries; Homberger: the
vehicles-first entries, so the gap there is to a solution that used fewer
vehicles).

Usage::

    python benchmarks/vrptw.py --instances C101,R1* --time-limit 10 --json out/solomon.jsonl --verify
    python benchmarks/vrptw.py --set homberger --instances c1_2_1,r2_2_1 --time-limit 60
    python benchmarks/vrptw.py --set homberger_400 --instances c1_4_1,r2_4_1 --time-limit 60
    python benchmarks/vrptw.py --verify-only out/solomon.jsonl
    python benchmarks/vrptw.py --instances R1* --params sweep/race02.toml   # a SolveParams point of a sweep
    python benchmarks/vrptw.py --li-lim --time-limit 10      # Li & Lim PDPTW as VROOM shipments, beside VROOM

Solvers run one after the other, never at the same time, so that each gets
the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peers

if TYPE_CHECKING:  # pragma: no cover
    from engine.dispatch import SolveParams

DATA = ROOT.parent / "shared" / "data" / "vrptw"
SCALE = 1000
SETS = {"solomon": "solomon", "homberger": "homberger_200", "homberger_400": "homberger_400"}
SOLVER_NAMES = {"ours": "promise-engine", "pyvrp": "pyvrp", "vroom": "vroom"}


# ----------------------------------------------------------------------------- instances


@dataclasses.dataclass
class Instance:
    """A Solomon-format instance, read independently of the engine (the verifier relies on it)."""

    name: str
    path: Path
    n_vehicles: int
    capacity: int
    cust_no: np.ndarray  # customer number of each row (row 0 = depot)
    xy: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def euclid(self) -> np.ndarray:
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.sqrt((d**2).sum(axis=2))


def read_instance(path: Path) -> Instance:
    """Parse a Solomon/Homberger file; raise ValueError naming the file when it is malformed."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    n_veh = cap = None
    rows = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("NUMBER") and n_veh is None and i + 1 < len(lines):
            n_veh, cap = (int(x) for x in lines[i + 1].split()[:2])
        parts = line.split()
        if len(parts) == 7:
            try:
                rows.append([float(x) for x in parts])
            except ValueError:
                continue
    if n_veh is None or not rows:
        raise ValueError(f"{path}: not a Solomon-format file")
    a = np.asarray(rows)
    return Instance(
        name=path.stem, path=path, n_vehicles=n_veh, capacity=int(cap), cust_no=a[:, 0].astype(int),
        xy=a[:, 1:3], demand=a[:, 3].astype(np.int64), ready=a[:, 4], due=a[:, 5], service=a[:, 6],
    )


def int_data(inst: Instance) -> dict[str, np.ndarray]:
    """The integer matrices every solver gets (see module docstring)."""
    e = inst.euclid * SCALE
    return {
        "dist": np.rint(e).astype(np.int64),
        "dur": np.ceil(e - 1e-9).astype(np.int64),
        "ready": np.rint(inst.ready * SCALE).astype(np.int64),
        "due": np.rint(inst.due * SCALE).astype(np.int64),
        "service": np.rint(inst.service * SCALE).astype(np.int64),
    }


def select(set_name: str, patterns: str | None) -> list[Path]:
    folder = DATA / SETS[set_name]
    if not folder.is_dir():
        raise SystemExit(f"benchmark data not found at {folder}")
    files = sorted(folder.glob("*.txt"), key=lambda p: _natural(p.stem))
    if not patterns:
        return files
    out: list[Path] = []
    for pat in patterns.split(","):
        pat = pat.strip()
        hit = [p for p in files if fnmatch.fnmatch(p.stem.lower(), pat.lower())]
        if not hit:
            raise SystemExit(f"no instance matches {pat!r} in {folder}")
        out.extend(p for p in hit if p not in out)
    return out


def _natural(s: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", s)]


def instance_class(name: str) -> str:
    m = re.match(r"(?i)(rc|r|c)(\d)", name)
    return (m.group(1).upper() + m.group(2)) if m else "?"


def bks_of(bks: dict, set_name: str, name: str) -> tuple[float | None, int | None]:
    key = f"{name}_distance" if set_name == "solomon" else name
    e = bks.get(key) or bks.get(name)
    if not e:
        return None, None
    return float(e["best_known_cost"]), e.get("solved_with_vehicles")


# ----------------------------------------------------------------------------- evaluation


def route_cost(inst: Instance, routes: list[list[int]]) -> float:
    """Sum of real Euclidean distances, depot to depot (routes in customer numbers)."""
    row = {int(c): i for i, c in enumerate(inst.cust_no)}
    e = inst.euclid
    total = 0.0
    for r in routes:
        if not r:
            continue
        path = [0, *(row[c] for c in r), 0]
        total += float(sum(e[a, b] for a, b in zip(path, path[1:])))
    return round(total, 2)


def verify(inst: Instance, routes: list[list[int]], tol: float = 1e-6) -> list[str]:
    """Problems with ``routes`` under real-valued times (empty list: feasible).

    Checks every customer exactly once, capacity, each window (service starts
    by the due date), the return to the depot by its due date and the fleet
    size.  Independent of the solver code: uses only the instance file.
    """
    errs: list[str] = []
    row = {int(c): i for i, c in enumerate(inst.cust_no)}
    e = inst.euclid
    seen: dict[int, int] = {}
    used = [r for r in routes if r]
    if len(used) > inst.n_vehicles:
        errs.append(f"{len(used)} routes for {inst.n_vehicles} vehicles")
    for k, r in enumerate(used):
        for c in r:
            if c not in row or row[c] == 0:
                errs.append(f"route {k}: {c} is not a customer")
                continue
            seen[c] = seen.get(c, 0) + 1
        load = sum(int(inst.demand[row[c]]) for c in r if c in row)
        if load > inst.capacity:
            errs.append(f"route {k}: load {load} > capacity {inst.capacity}")
        t = float(inst.ready[0])
        prev = 0
        for c in r:
            if c not in row:
                continue
            i = row[c]
            t = t + float(inst.service[prev]) + e[prev, i]
            if t > inst.due[i] + tol:
                errs.append(f"route {k}: customer {c} reached at {t:.4f} after its due date {inst.due[i]:g}")
            t = max(t, float(inst.ready[i]))
            prev = i
        t = t + float(inst.service[prev]) + e[prev, 0]
        if t > inst.due[0] + tol:
            errs.append(f"route {k}: back at the depot at {t:.4f} after {inst.due[0]:g}")
    for c in inst.cust_no[1:]:
        n = seen.get(int(c), 0)
        if n != 1:
            errs.append(f"customer {int(c)} served {n} times")
    return errs


# ----------------------------------------------------------------------------- solvers


def arrays_for(inst: Instance):
    """``VrpArrays`` of the instance with the benchmark's rounded-up travel times."""
    from engine.io.solomon import from_solomon

    a = from_solomon(inst.path, scale=SCALE)
    dur = int_data(inst)["dur"].astype(np.int32)
    if a.n_nodes != len(inst.cust_no):
        raise ValueError(f"{inst.name}: engine parser read {a.n_nodes} nodes, benchmark parser {len(inst.cust_no)}")
    return dataclasses.replace(a, durations=dur, profile_durations=dur[None, :, :], windows=(), v_breaks=())


def run_ours(inst: Instance, time_limit: float, seed: int, engine: str, threads: int,
             iterations: int | None = None, params: SolveParams | None = None) -> tuple[list[list[int]], float, str]:
    from engine.dispatch import MaxRuntime, SolveParams

    params = params or SolveParams()
    t0 = time.perf_counter()
    a = arrays_for(inst)
    if engine == "pipeline":
        from engine.dispatch.pipeline import solve_arrays

        res = solve_arrays(a, params=params, stop=MaxRuntime(time_limit - (time.perf_counter() - t0)), seed=seed)
        routes_nodes = res.routes
        # each phase: when it ended and the objective then (what the polish adds shows)
        note = ",".join(f"{p}:{s:.1f}s:{c:.0f}" for p, s, c in res.phases)
    else:
        from engine.dispatch.search import improve

        limit = 0.0 if iterations else time_limit - (time.perf_counter() - t0)
        res = improve.search(a, time_limit=limit, seed=seed, threads=threads, max_iterations=iterations, params=params.search)
        routes_nodes = res.routes
        note = f"{res.iterations} it"
    # job node k is row k of the file (one depot at row 0)
    routes = [[int(inst.cust_no[k]) for k in r] for r in routes_nodes if r]
    return routes, time.perf_counter() - t0, note


def run_solver(solver: str, inst: Instance, args) -> tuple[list[list[int]], float, str]:
    if solver == "ours":
        return run_ours(inst, args.time_limit, args.seed, args.engine, args.threads, args.iterations, args.solve_params)
    d = int_data(inst)
    if solver == "pyvrp":
        r = _peers.solve_pyvrp(d["dist"], d["dur"], inst.demand, d["ready"], d["due"], d["service"], inst.capacity,
                               inst.n_vehicles, args.time_limit, args.seed, inst.xy)
    elif solver == "vroom":
        r = _peers.solve_vroom(d["dur"], inst.demand, d["ready"], d["due"], d["service"], inst.capacity,
                               inst.n_vehicles, args.vroom_time_limit, threads=args.vroom_threads)
    else:
        raise SystemExit(f"unknown solver {solver!r}")
    routes = [[int(inst.cust_no[k]) for k in rr] for rr in r.routes if rr]
    return routes, r.seconds, r.note


# ----------------------------------------------------------------------------- reporting


def summarise(records: list[dict], solvers: list[str]) -> str:
    lines = []
    by_inst: dict[str, dict[str, dict]] = {}
    for r in records:
        by_inst.setdefault(r["instance"], {})[r["solver"]] = r
    names = [SOLVER_NAMES[s] for s in solvers]
    lines.append("")
    lines.append("mean gap to BKS (%) per class:")
    classes = sorted({instance_class(i) for i in by_inst}, key=_natural)
    head = f"{'class':<6} {'n':>3} " + " ".join(f"{n:>15}" for n in names)
    lines.append(head)
    for cl in [*classes, "all"]:
        insts = [i for i in by_inst if cl == "all" or instance_class(i) == cl]
        cells = []
        for n in names:
            g = [by_inst[i][n]["gap"] for i in insts if n in by_inst[i] and by_inst[i][n].get("gap") is not None]
            cells.append(f"{(sum(g) / len(g)):>15.3f}" if g else f"{'-':>15}")
        lines.append(f"{cl:<6} {len(insts):>3} " + " ".join(cells))
    for n in names:
        secs = [by_inst[i][n]["seconds"] for i in by_inst if n in by_inst[i]]
        feas = sum(1 for i in by_inst if n in by_inst[i] and by_inst[i][n]["feasible"])
        if secs:
            lines.append(f"{n}: mean {sum(secs) / len(secs):.2f} s per instance, {feas}/{len(secs)} verified feasible")
    if "promise-engine" in names and "pyvrp" in names:
        both = [i for i in by_inst if "promise-engine" in by_inst[i] and "pyvrp" in by_inst[i]]
        within = [i for i in both if by_inst[i]["promise-engine"]["gap"] <= by_inst[i]["pyvrp"]["gap"] + 2.0]
        worst = max(both, key=lambda i: by_inst[i]["promise-engine"]["gap"] - by_inst[i]["pyvrp"]["gap"], default=None)
        lines.append(f"ours within 2 points of pyvrp: {len(within)}/{len(both)}"
                     + (f" (largest difference {worst}: {by_inst[worst]['promise-engine']['gap'] - by_inst[worst]['pyvrp']['gap']:+.2f} points)" if worst else ""))
    return "\n".join(lines)


def verify_file(path: Path, set_name: str | None = None) -> int:
    """Re-check every record of a JSON-lines file; returns the number of bad records."""
    bad = 0
    n = 0
    cache: dict[str, Instance] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        n += 1
        name = rec["instance"]
        if name not in cache:
            found = [DATA / s / f"{name}.txt" for s in SETS.values() if (DATA / s / f"{name}.txt").exists()]
            if not found:
                print(f"{name}: instance file not found")
                bad += 1
                continue
            cache[name] = read_instance(found[0])
        inst = cache[name]
        errs = verify(inst, rec["routes"])
        cost = route_cost(inst, rec["routes"])
        if abs(cost - float(rec["cost"])) > 0.011:
            errs.append(f"cost {rec['cost']} in file, {cost} recomputed")
        if len([r for r in rec["routes"] if r]) != rec["vehicles"]:
            errs.append(f"vehicles {rec['vehicles']} in file, {len(rec['routes'])} routes")
        if errs:
            bad += 1
            print(f"{name} {rec['solver']}: " + "; ".join(errs[:5]) + (" ..." if len(errs) > 5 else ""))
    print(f"verified {n} records: {n - bad} ok, {bad} with problems")
    return bad


def check_pdptw(doc: dict, table: np.ndarray, steps: list[list[tuple[str, int]]], cap: int) -> tuple[float, list[str]]:
    """Real Euclidean distance of the routes and every Li & Lim rule broken (recomputed from the file).

    ``steps[v]`` lists (type, task number) of route v in order; times use the
    file's real numbers (travel = distance), with a 1e-6 tolerance.
    """
    errors: list[str] = []
    xy = table[:, 1:3]
    sibling = {int(r[0]): (int(r[7]), int(r[8])) for r in table}
    seen: set[int] = set()
    dist_total = 0.0
    for r in steps:
        t, load, prev = 0.0, 0, 0
        pos = {task: k for k, (_, task) in enumerate(r)}
        for kind, task in r:
            d = float(np.hypot(*(xy[task] - xy[prev])))
            dist_total += d
            t = max(t + (table[prev, 6] if prev else 0.0) + d, table[task, 4])
            if t > table[task, 5] + 1e-6:
                errors.append(f"task {task} late")
            load += int(table[task, 3])
            if load > cap:
                errors.append(f"over capacity at task {task}")
            pu, de = sibling[task]
            if kind == "pickup" and (de not in pos or pos[de] < pos[task]):
                errors.append(f"pickup {task} without its delivery after it on the route")
            if task in seen:
                errors.append(f"task {task} twice")
            seen.add(task)
            prev = task
        dist_total += float(np.hypot(*(xy[0] - xy[prev])))
        if t + table[prev, 6] + float(np.hypot(*(xy[0] - xy[prev]))) > table[0, 5] + 1e-6:
            errors.append("back at the depot too late")
    missing = set(range(1, len(table))) - seen
    if missing:
        errors.append(f"{len(missing)} tasks not served")
    return dist_total, errors


def li_lim(args) -> int:
    """Li & Lim PDPTW instances as VROOM shipments: ours (``solve_vroom_plan``) and VROOM on the same document."""
    import tempfile

    from engine.dispatch import MaxRuntime
    from engine.io.solomon import li_lim_to_vroom
    from engine.io.vroom import solve_vroom_plan

    pd_dir = DATA.parent / "pdptw"
    bks = json.loads((pd_dir / "BKS.json").read_text())
    files = sorted((pd_dir / "li_lim_100").glob("*.txt"), key=lambda f: _natural(f.stem))
    if args.instances:
        pats = [x.strip().lower() for x in args.instances.split(",")]
        files = [f for f in files if any(fnmatch.fnmatch(f.stem.lower(), q) for q in pats)]
    print(f"li_lim_100: {len(files)} instances, ours {args.time_limit:g} s, VROOM {args.vroom_time_limit or 'own stop'}, load {os.getloadavg()}")
    print(f"{'instance':<8} {'BKS':>8} {'bveh':>4} | {'ours':>9} {'gap%':>6} {'veh':>3} {'ok':>3} | {'vroom':>9} {'gap%':>6} {'veh':>3} {'ok':>3} {'s':>5}")
    out = args.json.open("w") if args.json else None
    rows = []
    for f in files:
        table = np.array([[float(x) for x in line.split()[:9]] for line in f.read_text().splitlines()[1:] if line.strip()])
        cap = int(f.read_text().split()[1])
        doc = li_lim_to_vroom(f)
        ref = bks.get(f.stem, {})
        rec = {"instance": f.stem, "bks": ref.get("best_known_cost"), "bks_vehicles": ref.get("solved_with_vehicles")}
        _, res = solve_vroom_plan(doc, stop=MaxRuntime(args.time_limit), seed=args.seed)
        steps = [[(s["type"], int(s["id"])) for s in r["steps"] if s["type"] in ("pickup", "delivery")] for r in res["routes"]]
        cost, errs = check_pdptw(doc, table, steps, cap)
        rec["ours"] = {"cost": round(cost, 3), "vehicles": len(steps), "errors": errs[:3]}
        try:
            import vroom

            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tmp:
                json.dump(doc, tmp)
            t0 = time.perf_counter()
            kw = {"exploration_level": 5, "nb_threads": args.vroom_threads}
            if args.vroom_time_limit:
                from datetime import timedelta

                kw["timeout"] = timedelta(seconds=args.vroom_time_limit)
            sol = vroom.Input.from_json(tmp.name).solve(**kw)
            vsec = time.perf_counter() - t0
            df = sol.routes
            vsteps = [[(str(t), int(i)) for t, i in zip(g["type"], g["id"]) if t in ("pickup", "delivery")]
                      for _, g in df.groupby("vehicle_id", sort=True)]
            vcost, verrs = check_pdptw(doc, table, vsteps, cap)
            rec["vroom"] = {"cost": round(vcost, 3), "vehicles": len([r for r in vsteps if r]), "errors": verrs[:3], "seconds": round(vsec, 2)}
        except ImportError:
            rec["vroom"] = None
        rows.append(rec)
        if out:
            out.write(json.dumps(rec) + "\n")
            out.flush()
        b = rec["bks"] or float("nan")
        o, v = rec["ours"], rec["vroom"] or {"cost": float("nan"), "vehicles": 0, "errors": ["-"], "seconds": 0}
        print(f"{f.stem:<8} {b:>8.2f} {rec['bks_vehicles'] or 0:>4} | {o['cost']:>9.2f} {100 * (o['cost'] - b) / b:>6.2f} {o['vehicles']:>3} "
              f"{'ok' if not o['errors'] else 'NO':>3} | {v['cost']:>9.2f} {100 * (v['cost'] - b) / b:>6.2f} {v['vehicles']:>3} "
              f"{'ok' if not v['errors'] else 'NO':>3} {v['seconds']:>5.1f}", flush=True)
    if out:
        out.close()
    for who in ("ours", "vroom"):
        ok = [r for r in rows if r.get(who) and not r[who]["errors"] and r["bks"]]
        if ok:
            gaps = [100 * (r[who]["cost"] - r["bks"]) / r["bks"] for r in ok]
            print(f"{who}: {len(ok)}/{len(rows)} feasible, mean gap {np.mean(gaps):.2f}% to the best-known distance "
                  f"(vehicles above the best-known count on {sum(r[who]['vehicles'] > (r['bks_vehicles'] or 0) for r in ok)})")
    print(f"load at end {os.getloadavg()}")
    return 0 if all(not r["ours"]["errors"] for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--li-lim", action="store_true", help="Li & Lim PDPTW (../shared/data/pdptw) as VROOM shipments, ours beside VROOM")
    ap.add_argument("--set", choices=sorted(SETS), default="solomon")
    ap.add_argument("--instances", help="comma-separated names or globs (default: the whole set)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance for ours and pyvrp")
    ap.add_argument("--solvers", default="ours,pyvrp,vroom")
    ap.add_argument("--engine", choices=["search", "pipeline"], default="search",
                    help="ours: the numba search alone, or the OR-Tools pipeline (construction, search, GLS)")
    ap.add_argument("--threads", type=int, default=1, help="parallel runs of our search")
    ap.add_argument("--iterations", type=int, default=None,
                    help="ours (engine search): a fixed iteration budget instead of the time limit (reproducible)")
    ap.add_argument("--params", type=Path, default=None,
                    help="ours: a SolveParams TOML file (the search tunables sit under [search]); default: the shipped values")
    ap.add_argument("--vroom-time-limit", type=float, default=None, help="VROOM timeout (default: VROOM stops on its own)")
    ap.add_argument("--vroom-threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write one JSON object per line and solver")
    ap.add_argument("--verify", action="store_true", help="re-check every route from the JSON output")
    ap.add_argument("--verify-only", type=Path, help="only re-check an existing JSON-lines file")
    args = ap.parse_args(argv)

    if args.verify_only:
        return 1 if verify_file(args.verify_only) else 0
    if args.li_lim:
        return li_lim(args)
    from engine.dispatch import SolveParams

    args.solve_params = SolveParams.from_toml(args.params) if args.params else SolveParams()
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    for s in solvers:
        if s not in SOLVER_NAMES:
            raise SystemExit(f"unknown solver {s!r}; choose from {', '.join(SOLVER_NAMES)}")
    have = _peers.available()
    for s in list(solvers):
        if s in have and not have[s]:
            print(f"{s} is not installed: skipped")
            solvers.remove(s)
    bks = json.loads((DATA / "BKS.json").read_text())
    files = select(args.set, args.instances)
    json_path = args.json
    if args.verify and json_path is None:
        json_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"vrptw-{os.getpid()}.jsonl"
    out = json_path.open("w") if json_path else None
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"{args.set}: {len(files)} instances, {args.time_limit:g} s, solvers {','.join(solvers)}, engine {args.engine}, "
          f"threads {args.threads}, load {load:.2f}")
    cols = "".join(f" | {SOLVER_NAMES[s][:14]:>14} {'gap%':>6} {'veh':>3} {'s':>5}" for s in solvers)
    print(f"{'instance':<10} {'BKS':>8} {'bveh':>4}{cols}")
    records: list[dict] = []
    for f in files:
        inst = read_instance(f)
        best, bveh = bks_of(bks, args.set, inst.name)
        row = f"{inst.name:<10} {best if best else float('nan'):>8.2f} {bveh if bveh else '-':>4}"
        for s in solvers:
            routes, secs, note = run_solver(s, inst, args)
            cost = route_cost(inst, routes)
            errs = verify(inst, routes)
            gap = 100.0 * (cost - best) / best if best else None
            rec = {"instance": inst.name, "solver": SOLVER_NAMES[s], "time_limit": args.time_limit,
                   "seconds": round(secs, 2), "cost": cost, "vehicles": len(routes), "routes": routes,
                   "gap": None if gap is None else round(gap, 3), "bks": best, "feasible": not errs, "note": note}
            records.append(rec)
            if out:
                out.write(json.dumps(rec) + "\n")
                out.flush()
            flag = "" if not errs else "!"
            row += f" | {cost:>13.2f}{flag:1} {gap if gap is not None else float('nan'):>6.2f} {len(routes):>3} {secs:>5.1f}"
        print(row, flush=True)
    if out:
        out.close()
    print(summarise(records, solvers))
    try:
        print(f"load at end {os.getloadavg()[0]:.2f}")
    except OSError:
        pass
    if args.verify and json_path:
        return 1 if verify_file(json_path) else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
