"""One simulated day of a scenario: wall time, the share of each phase, and (``--twice``) the same KPIs twice.

The figure of issue 14: one replication of ``metro-double11`` (5,000 orders,
full day, waves, monitor included) in under 3 minutes on a 2-core machine.
Prints the wall time with the load average before and after, the seconds and
share of each phase (quoting, dispatch, matrices, driving, monitor, tickets),
the headline KPIs, and with ``--twice`` whether a second run of the same seed
gives identical ``kpis``.  The network's contraction hierarchy is cached on
disk; the first run after a cache wipe pays for it under ``matrix``
(``--warm`` runs a throw-away small day first so the figure is the steady
state a pool worker sees).

Usage::

    .venv/bin/python benchmarks/sim_day.py scenarios/metro-double11.toml --twice --out benchmarks/out/sim_day_double11.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.sim import apply_overrides, load_scenario, run_replication  # noqa: E402

PHASES = ("quote", "dispatch", "matrix", "driving", "carriers", "monitor", "tickets", "setup")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--replication", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a scenario key")
    ap.add_argument("--twice", action="store_true", help="run the same seed again and compare the KPIs")
    ap.add_argument("--warm", action="store_true", help="warm the caches with a small day first")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    sets = dict(kv.split("=", 1) for kv in a.set)
    s = load_scenario(a.scenario, sets)
    if a.warm:
        run_replication(apply_overrides(s, {"demand.orders_per_day": 20.0, "demand.surge": 1.0}), 0)
    runs = []
    for _ in range(2 if a.twice else 1):
        before = _load()
        t0 = time.perf_counter()
        r = run_replication(s, a.replication)
        wall = time.perf_counter() - t0
        runs.append({"wall_s": round(wall, 2), "load_before": before, "load_after": _load(), "timing": r.timing, "kpis": r.kpis})
        tot = r.timing["total"]
        print(f"{s.name} replication {a.replication}: {len(r.orders)} orders followed, {r.kpis['demand']['load_orders']} load orders, "
              f"wall {wall:.1f} s (load {before} -> {_load()})")
        for ph in PHASES:
            v = r.timing.get(ph, 0.0)
            print(f"  {ph:<9} {v:7.1f} s  {100 * v / tot:5.1f}%")
        k = r.kpis
        print(f"  on time {k['on_time']['overall']:.3f} (own {k['on_time']['by_carrier'].get('own', float('nan')):.3f}), "
              f"handed to carriers {k['handed_to_carriers']}, unplanned {k['unplanned']}, "
              f"fleet used {k['fleet']['vehicles_used']}/{k['fleet']['size']}, utilisation {k['fleet']['utilisation']:.2f}, "
              f"warnings {k['warnings']['notices']}, tickets {k['tickets']['opened']}")
    out = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "scenario": s.name, "replication": a.replication,
           "runs": runs}
    if a.twice:
        same = runs[0]["kpis"] == runs[1]["kpis"]
        out["identical_kpis"] = same
        print(f"same seed twice: kpis {'identical' if same else 'DIFFER'}")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
