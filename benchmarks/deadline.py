"""Does a big solve respect its time limit?  Wall time of ``engine.dispatch.solve`` against ``time_limit``.

Issue 11's figure: 5,000 orders with ``time_limit=5`` finish within 6 s, matrix
time counted.  Two kinds of day, each solved in a fresh process (warmed with a
tiny solve first, as the API's solver processes are; ``--cold`` skips that):

``api``    the day ``benchmarks/api_load.py --memory`` posts: the 300-order
           Helsinki day (vans with breaks, cargo bikes, two carriers)
           repeated to N orders around the same points, haversine matrices;
``metro``  ``benchmarks/big_day.py``'s day: ``synthetic:250000`` road network,
           3 depots, 60 vehicles, 2 carriers (road-network matrices).

For each it prints the wall time, its ratio to the limit, where the time went
(matrix and pre-check, search), orders routed / handed off / unassigned (and
how many the construction had no time to try), and ``check_plan``'s violations.
Sizes the memory budget refuses (``engine.dispatch.budget``) are reported as
refused, without solving.

Run (one command, a few minutes)::

    .venv/bin/python benchmarks/deadline.py
    .venv/bin/python benchmarks/deadline.py --orders 2000 5000 10000 --time-limit 5 --days api metro
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_problem(day: str, n: int, seed: int = 0):  # noqa: ANN201 - a Problem, imported lazily
    """The ``day`` of ``n`` orders (and its network or None)."""
    sys.path.insert(0, str(ROOT))
    if day == "api":
        import random

        from engine.io.problem_json import problem_from_dict, problem_to_dict
        from engine.io.scenarios import helsinki_day

        doc = problem_to_dict(helsinki_day(300, seed))
        doc["network"] = None
        rng = random.Random(seed)
        base = doc["orders"]
        doc["orders"] = [
            dict(base[i % len(base)], id=f"o{i}", lat=base[i % len(base)]["lat"] + rng.uniform(-0.01, 0.01)) for i in range(n)
        ]
        return problem_from_dict(doc), None
    if day == "metro":
        from engine import network as _net
        from engine.io.scenarios import metro_day

        net = _net.load("synthetic:250000", seed=1)
        return metro_day(n, seed=seed, network=net), net
    raise SystemExit(f"unknown day {day!r} (api, metro)")


def one(day: str, n: int, time_limit: float, cold: bool) -> dict:
    """Solve one day in this process and describe it."""
    sys.path.insert(0, str(ROOT))
    from collections import Counter

    from engine.dispatch import MaxRuntime, check_plan, solve
    from engine.dispatch.budget import memory_estimate

    problem, net = make_problem(day, n)
    est = memory_estimate(problem)
    budget = float(os.environ.get("PROMISE_MEMORY_BUDGET_GB", "8")) * 1e9
    out: dict = {"day": day, "orders": n, "time_limit": time_limit, "memory_estimate_gb": round(est / 1e9, 2)}
    if est > budget:
        out["refused"] = f"memory estimate {est / 1e9:.1f} GB over the budget {budget / 1e9:.0f} GB (413 before any work)"
        return out
    if not cold:
        small, small_net = make_problem(day, 30)
        solve(small, network=small_net, stop=MaxRuntime(1.0))
    t = time.perf_counter()
    plan = solve(problem, network=net, stop=MaxRuntime(time_limit))
    wall = time.perf_counter() - t
    errors = check_plan(problem, plan)
    accounted = sum(len(r.order_ids) for r in plan.routes) + len(plan.handoffs) + len(plan.unassigned)
    out.update(
        wall_s=round(wall, 2),
        ratio_to_limit=round(wall / time_limit, 3),
        matrix_s=plan.stats.get("matrix_seconds"),
        phases=plan.stats.get("phases"),
        search_only=plan.stats.get("search_only"),
        routed=sum(len(r.order_ids) for r in plan.routes),
        vehicles_used=plan.vehicles_used,
        handed_off=len(plan.handoffs),
        unassigned=dict(Counter(u.reason.name for u in plan.unassigned)),
        unplaced_in_time=plan.stats.get("unplaced_in_time"),
        every_order_accounted=accounted == n,
        violations=len(errors),
        first_violations=errors[:3],
        cost=plan.cost,
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, nargs="+", default=[2000, 5000, 10000, 20000])
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--days", nargs="+", default=["api", "metro"])
    ap.add_argument("--cold", action="store_true", help="no warm-up solve in the fresh process")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "deadline.json")
    ap.add_argument("--one", nargs=2, metavar=("DAY", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.time_limit, args.cold)))
        return
    rows = []
    for day in args.days:
        for n in args.orders:
            cmd = [sys.executable, __file__, "--one", day, str(n), "--time-limit", str(args.time_limit)] + (["--cold"] if args.cold else [])
            load = os.getloadavg()
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if res.returncode != 0:
                row = {"day": day, "orders": n, "error": res.stderr.strip().splitlines()[-1:] or ["?"]}
            else:
                row = json.loads(res.stdout.strip().splitlines()[-1])
            row["load_before"] = [round(x, 2) for x in load]
            rows.append(row)
            if "wall_s" in row:
                print(
                    f"{day:6} {n:6,} orders, limit {args.time_limit:g} s: {row['wall_s']:6.2f} s (x{row['ratio_to_limit']:.2f}), "
                    f"matrix {row['matrix_s']} s; routed {row['routed']}, handed off {row['handed_off']}, "
                    f"unassigned {row['unassigned']} (not tried in time: {row['unplaced_in_time']}); "
                    f"all accounted: {row['every_order_accounted']}; violations: {row['violations']}; load {row['load_before'][0]}",
                    flush=True,
                )
            else:
                print(f"{day:6} {n:6,} orders: {row.get('refused') or row.get('error')}; load {row['load_before'][0]}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=1))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
