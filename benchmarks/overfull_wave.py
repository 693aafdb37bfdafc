"""Solve the pickled over-full peak-day wave (benchmarks/out/sim_day2_wave0_problem.pkl) as the simulator does.

One command: ``.venv/bin/python benchmarks/overfull_wave.py [--seed N] [--profile]``; prints solve
seconds, cost, orders on own routes / carriers / unassigned, and a plan digest (equal
digests = identical plans).  The network is the scenario's (scenarios/metro-double11.toml),
loaded as the simulator loads it.

Before/after: extract an older engine and put it first on the path (the line printed
last names the engine the run used)::

    mkdir -p /tmp/base && git archive 0ed3f1b engine | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base .venv/bin/python benchmarks/overfull_wave.py
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import time
from pathlib import Path

from engine.dispatch import solve
from engine.sim.scenario import load_scenario
from engine.sim.world import world

ROOT = Path(__file__).resolve().parent
PKL = ROOT / "out" / "sim_day2_wave0_problem.pkl"


def digest(plan) -> str:
    h = hashlib.sha1()
    for r in plan.routes:
        h.update(repr((r.vehicle_id, [s.order_id for s in r.stops])).encode())
    for hnd in plan.handoffs:
        h.update(repr(hnd).encode())
    return h.hexdigest()[:12]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pickle", default=str(PKL))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--seed", type=int, default=None, help="instead of the wave's own seed")
    args = ap.parse_args()
    d = pickle.loads(Path(args.pickle).read_bytes())
    net = world(load_scenario(ROOT.parent / "scenarios" / "metro-double11.toml")).network
    t0 = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats
        pr = cProfile.Profile()
        pr.enable()
    kw = dict(d["kw"])
    if args.seed is not None:
        kw["seed"] = args.seed
    plan = solve(d["p"], network=net, **kw)
    dt = time.perf_counter() - t0
    if args.profile:
        pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(30)
    served = sum(len([s for s in r.stops if s.order_id]) for r in plan.routes)
    print(f"solve_s={dt:.2f} objective={plan.stats['phases'][-1][2] if plan.stats.get('phases') else float('nan')} cost={plan.cost:.2f} served={served} handoffs={len(plan.handoffs)} "
          f"unassigned={len(plan.unassigned)} digest={digest(plan)}")
    import engine

    print("engine:", Path(engine.__file__).parent)
    print({k: v for k, v in plan.stats.items() if isinstance(v, (int, float, str, bool, list))})


if __name__ == "__main__":
    main()
