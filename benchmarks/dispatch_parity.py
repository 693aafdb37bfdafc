"""Deterministic-mode parity digests: Solomon C101/R101/RC201/R205 (``search(seed=7, max_iterations=3000)``)
and, with ``--wave``, the pickled peak-day wave with three times its fleet (it then fits) through ``solve``.

One command: ``.venv/bin/python benchmarks/dispatch_parity.py --wave``; equal digests before and
after a change = identical plans.  Before: ``PYTHONPATH=/tmp/base`` with an extracted older ``engine/``
(see benchmarks/overfull_wave.py).
"""

import dataclasses
import hashlib
import pickle
import sys
import time
from pathlib import Path

from engine.dispatch import solve
from engine.dispatch.search import improve
from engine.io.solomon import from_solomon
from engine.sim.scenario import load_scenario
from engine.sim.world import world

out = {}
for name in ["C101", "R101", "RC201", "R205"]:
    a = from_solomon(
        Path(__file__).resolve().parents[2]
        / "shared"
        / "data"
        / "vrptw"
        / "solomon"
        / f"{name}.txt"
    )
    r = improve.search(a, time_limit=0, seed=7, max_iterations=3000)
    out[name] = hashlib.sha1(repr((r.routes, r.cost)).encode()).hexdigest()[:12]
    print(name, out[name], r.cost, flush=True)
if "--wave" in sys.argv:
    d = pickle.loads(
        Path(
            Path(__file__).resolve().parent / "out" / "sim_day2_wave0_problem.pkl"
        ).read_bytes()
    )
    p = d["p"]
    p = dataclasses.replace(
        p,
        vehicle_types=[
            dataclasses.replace(v, count=v.count * 3) for v in p.vehicle_types
        ],
    )
    net = world(
        load_scenario(
            Path(__file__).resolve().parents[1] / "scenarios" / "metro-double11.toml"
        )
    ).network
    t = time.perf_counter()
    plan = solve(p, network=net, **d["kw"])
    dt = time.perf_counter() - t
    h = hashlib.sha1()
    for r in plan.routes:
        h.update(repr((r.vehicle_id, [s.order_id for s in r.stops])).encode())
    for x in plan.handoffs:
        h.update(repr(x).encode())
    served = sum(1 for r in plan.routes for s in r.stops if s.order_id)
    print(
        "fitting-wave",
        h.hexdigest()[:12],
        f"cost={plan.cost:.2f} served={served} handoffs={len(plan.handoffs)} unassigned={len(plan.unassigned)} solve_s={dt:.1f}",
    )
