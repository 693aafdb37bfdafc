"""Big-day benchmark: 1,000 orders on ``synthetic:250000``, 3 depots, 60 vehicles of 2 types, 2 carriers.

Measures, end to end (scenario + network load + matrix + solve):

* the time to the first feasible plan,
* the best cost in the search trajectory at 10, 30 and 60 s,
* vehicles used, hand-offs, unassigned (by reason), and an independent
  feasibility check of the final plan (``engine.dispatch.verify``).

Run:  .venv/bin/python benchmarks/big_day.py [--time-limit 60] [--orders 1000] [--seed 0] [--out out/big_day.json]

The matrix is cached on disk after the first run (``engine.matrix``); pass
``--cold`` to report the cold figure too (it clears nothing: it just notes
whether the network/matrix came from cache).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds for the whole solve, matrix included")
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="out/big_day.json")
    args = ap.parse_args()

    t0 = time.perf_counter()
    from engine import network as _net
    from engine.dispatch import MaxRuntime, check_plan, solve
    from engine.io.scenarios import metro_day

    net = _net.load("synthetic:250000", seed=1)
    t_net = time.perf_counter() - t0
    problem = metro_day(args.orders, seed=args.seed, network=net)
    t_scen = time.perf_counter() - t0
    n_veh = sum(v.count for v in problem.vehicle_types)
    print(
        f"big day: {len(problem.orders)} orders, {len(problem.depots)} depots, {n_veh} vehicles "
        f"({len(problem.vehicle_types)} vehicle types in 2 kinds), {len(problem.carriers)} carriers; "
        f"network {net.n_nodes:,} nodes (loaded in {t_net:.1f} s, from cache: {net.info.get('from_cache')})"
    )
    t_solve0 = time.perf_counter()
    plan = solve(problem, network=net, stop=MaxRuntime(args.time_limit), seed=args.seed)
    t_end = time.perf_counter()
    errors = check_plan(problem, plan)
    offset = t_solve0 - t0  # trajectory times are from the start of solve(); report end to end

    def best_at(t: float) -> float | None:
        vals = [c for s, c in plan.trajectory if s + offset <= t]
        return min(vals) if vals else None

    first = plan.trajectory[0][0] + offset if plan.trajectory else None
    load = os.getloadavg()
    rows = [
        ("orders", len(problem.orders)),
        ("vehicles available / used", f"{n_veh} / {plan.vehicles_used}"),
        ("network load + scenario (s)", f"{t_scen:.1f}"),
        ("matrix + pre-check (s)", f"{plan.stats.get('matrix_seconds', float('nan')):.1f}"),
        ("first feasible plan at (s, end to end)", f"{first:.1f}" if first is not None else "none"),
        ("best cost at 10 s", _fmt(best_at(10))),
        ("best cost at 30 s", _fmt(best_at(30))),
        ("best cost at 60 s", _fmt(best_at(60))),
        ("final cost (routes + carriers)", f"{plan.cost:.2f}"),
        ("routes / hand-offs / unassigned", f"{len(plan.routes)} / {len(plan.handoffs)} / {len(plan.unassigned)}"),
        ("unassigned by reason", dict(Counter(u.reason.name for u in plan.unassigned))),
        ("total distance (km)", f"{plan.distance_m / 1000:.1f}"),
        ("end-to-end seconds", f"{t_end - t0:.1f}"),
        ("feasibility check", "ok" if not errors else f"{len(errors)} violations"),
        ("load average (1/5/15 min)", " ".join(f"{x:.2f}" for x in load)),
    ]
    w = max(len(k) for k, _ in rows)
    print()
    for k, v in rows:
        print(f"  {k:<{w}}  {v}")
    print("\n  phases (name, s since solve start, cost):")
    for name, t, c in plan.stats.get("phases", []):
        print(f"    {name:<32} {t:7.1f}  {c:12.2f}")
    for e in errors[:10]:
        print("  VIOLATION:", e)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "orders": len(problem.orders),
                "vehicles": n_veh,
                "time_limit": args.time_limit,
                "seed": args.seed,
                "network_seconds": round(t_net, 2),
                "matrix_seconds": plan.stats.get("matrix_seconds"),
                "first_feasible_s": first,
                "cost_at": {"10": best_at(10), "30": best_at(30), "60": best_at(60)},
                "final_cost": plan.cost,
                "vehicles_used": plan.vehicles_used,
                "handoffs": len(plan.handoffs),
                "unassigned": dict(Counter(u.reason.name for u in plan.unassigned)),
                "end_to_end_s": round(t_end - t0, 2),
                "violations": errors,
                "phases": plan.stats.get("phases"),
                "trajectory": [(round(s + offset, 2), c) for s, c in plan.trajectory],
                "loadavg": load,
            },
            indent=1,
        )
    )
    print(f"\n  figures written to {out}")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    main()
