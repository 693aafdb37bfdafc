"""Peak-sale simulator figures (issue 14): one replication's phases, same seed same KPIs, Ray = pool, the fleet.

    .venv/bin/python benchmarks/sim.py one                # (a) one replication of metro-double11, share of time per phase
    .venv/bin/python benchmarks/sim.py same-seed -n 2     # (b) `promise simulate` twice, same seed: kpis.json identical apart from timing
    .venv/bin/python benchmarks/sim.py ray -n 2           # (c) the same run on a local Ray instance (2 CPUs) == the process pool's
    .venv/bin/python benchmarks/sim.py fleet -n 8 --lo 60 --hi 160   # (d) today's fleet: on time with its CI; --find-fleet van
    .venv/bin/python benchmarks/sim.py all -n 2           # a, b, c (d is long: run it on its own)

Every figure is printed with the load average before and after, and written
to ``benchmarks/out/sim-<figure>.json``; the runs' report folders go under
``benchmarks/out/sim-<figure>/`` (``index.html``, ``kpis.json``, plots).
(b)-(d) run the real command line (``python -m engine simulate``) in a
subprocess, exactly as a planner would.  ``--scenario`` runs them on another
scenario (a smaller one for a quick check).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.sim.aggregate import strip_timing  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
DEFAULT = ROOT / "scenarios" / "metro-double11.toml"


def _load() -> str:
    return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _save(name: str, doc: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"sim-{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


def _simulate(scenario: Path, out: Path, *args: str) -> tuple[dict[str, Any], float]:
    cmd = [sys.executable, "-m", "engine", "simulate", str(scenario), "--out", str(out), "--no-progress", *args]
    print("$", " ".join(cmd[1:]), flush=True)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=6 * 3600)
    wall = time.perf_counter() - t0
    print(res.stdout.strip())
    if res.returncode != 0:
        raise SystemExit(f"promise simulate failed (exit {res.returncode}): {res.stderr.strip()[-2000:]}")
    return json.loads((out / "kpis.json").read_text()), wall


def one(a: argparse.Namespace) -> None:
    """(a) One replication, in this process: wall time and each phase's share of it."""
    from engine.sim.day import run_replication
    from engine.sim.scenario import load_scenario

    s = load_scenario(a.scenario)
    before = _load()
    t0 = time.perf_counter()
    r = run_replication(s, a.replication, root_seed=a.seed)
    wall = time.perf_counter() - t0
    total = float(r.timing.get("total", wall))
    phases = {k: float(v) for k, v in r.timing.items() if k != "total"}
    # "waves" is the whole wave loop, which holds matrix, dispatch and driving: keep only its rest.
    if "waves" in phases:
        inner = sum(phases.get(k, 0.0) for k in ("matrix", "dispatch", "driving"))
        phases["waves (rest)"] = phases.pop("waves") - inner
    print(f"(a) {s.name}: one replication ({len(r.orders):,} orders covered, fleet {r.fleet_size}) in {wall:.1f} s "
          f"[{before}; after: {_load()}]")
    for k, v in sorted(phases.items(), key=lambda kv: -kv[1]):
        print(f"    {k:<12} {v:8.1f} s  {100 * v / total:5.1f}%")
    other = total - sum(phases.values())
    print(f"    {'(unattributed)':<12} {other:8.1f} s  {100 * other / total:5.1f}%")
    _save("one", {"scenario": s.name, "replication": a.replication, "root_seed": a.seed, "wall_s": wall, "timing": r.timing,
                  "orders": len(r.orders), "fleet_size": r.fleet_size, "kpis": r.kpis, "load_before": before, "load_after": _load()})


def same_seed(a: argparse.Namespace) -> dict[str, Any]:
    """(b) Two runs of the command, same seed: kpis.json identical once the timing keys are removed."""
    before = _load()
    d1, w1 = _simulate(a.scenario, OUT / "sim-same-seed-1", "-n", str(a.replications), "--seed", str(a.seed), "--workers", str(a.workers))
    d2, w2 = _simulate(a.scenario, OUT / "sim-same-seed-2", "-n", str(a.replications), "--seed", str(a.seed), "--workers", str(a.workers))
    same = strip_timing(d1) == strip_timing(d2)
    raw = (OUT / "sim-same-seed-1" / "kpis.json").read_bytes() == (OUT / "sim-same-seed-2" / "kpis.json").read_bytes()
    print(f"(b) same seed, two runs of {a.replications} replication(s): kpis.json identical apart from timing: {same} "
          f"(byte-identical with timing: {raw}); {w1:.0f} s and {w2:.0f} s [{before}; after: {_load()}]")
    doc = {"identical_apart_from_timing": same, "wall_s": [w1, w2], "load_before": before, "load_after": _load(),
           "replications": a.replications, "seed": a.seed}
    _save("same-seed", doc)
    if not same:
        raise SystemExit("(b) FAILED: the two runs differ outside 'timing'")
    return doc


def on_ray(a: argparse.Namespace) -> None:
    """(c) The same run on a local Ray instance (--ray auto starts one with --workers CPUs): same KPIs as the pool."""
    ref = OUT / "sim-same-seed-1" / "kpis.json"
    before = _load()
    from engine.sim.scenario import load_scenario

    name = load_scenario(a.scenario).name
    old = json.loads(ref.read_text()) if ref.exists() else {}
    if (old.get("scenario"), old.get("replications"), old.get("root_seed")) == (name, a.replications, a.seed):
        pool, wp = old, None
        print(f"(c) process-pool reference: {ref}")
    else:
        pool, wp = _simulate(a.scenario, OUT / "sim-same-seed-1", "-n", str(a.replications), "--seed", str(a.seed), "--workers", str(a.workers))
    ray_doc, wr = _simulate(a.scenario, OUT / "sim-ray", "-n", str(a.replications), "--seed", str(a.seed), "--workers", str(a.workers), "--ray", "auto")
    same = strip_timing(pool) == strip_timing(ray_doc)
    print(f"(c) local Ray ({a.workers} CPUs, {ray_doc['timing'].get('where')}) vs process pool, {a.replications} replication(s), seed {a.seed}: "
          f"identical KPIs: {same}; Ray run {wr:.0f} s [{before}; after: {_load()}]")
    _save("ray", {"identical_to_pool": same, "ray_wall_s": wr, "pool_wall_s": wp, "load_before": before, "load_after": _load(),
                  "replications": a.replications, "seed": a.seed})
    if not same:
        raise SystemExit("(c) FAILED: Ray and the process pool disagree")


def fleet(a: argparse.Namespace) -> None:
    """(d) Today's fleet: on-time share with its 95% CI; and the van count --find-fleet recommends."""
    before = _load()
    args = ["-n", str(a.replications), "--seed", str(a.seed), "--workers", str(a.workers), "--find-fleet", a.vehicle]
    if a.lo is not None:
        args += ["--lo", str(a.lo)]
    if a.hi is not None:
        args += ["--hi", str(a.hi)]
    doc, wall = _simulate(a.scenario, OUT / "sim-fleet", *args)
    h = doc["variants"][0]["headline"]
    ots = h["on_time_share"]
    fs = doc["fleet_search"]
    ci = f"{100 * ots['ci_low']:.1f}-{100 * ots['ci_high']:.1f}%" if ots["ci_low"] is not None else "n/a"
    print(f"(d) {doc['scenario']}, today's fleet, {a.replications} replications: on time {100 * ots['mean']:.1f}% (95% CI {ci}); "
          f"{100 * h['meets_target']:.0f}% of replications reach {100 * h['target']:.0f}%")
    print(f"    --find-fleet {a.vehicle} in [{fs['lo']}, {fs['hi']}]: recommended {fs['recommended']} "
          f"(evaluated {[c['count'] for c in fs['curve']]}, monotone per replication: {fs['monotone']}); {wall / 60:.0f} min "
          f"[{before}; after: {_load()}]")
    _save("fleet", {"on_time": ots, "meets_target": h["meets_target"], "fleet_search": fs, "wall_s": wall,
                    "load_before": before, "load_after": _load(), "replications": a.replications, "seed": a.seed})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("figure", choices=["one", "same-seed", "ray", "fleet", "all"])
    p.add_argument("--scenario", type=Path, default=DEFAULT)
    p.add_argument("-n", "--replications", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--replication", type=int, default=0, help="(a): which replication")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--vehicle", default="van")
    p.add_argument("--lo", type=int, default=None)
    p.add_argument("--hi", type=int, default=None)
    a = p.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} UTC, {os.cpu_count()} CPUs, {_load()}")
    if a.figure in ("one", "all"):
        one(a)
    if a.figure in ("same-seed", "all"):
        same_seed(a)
    if a.figure in ("ray", "all"):
        on_ray(a)
    if a.figure == "fleet":
        fleet(a)


if __name__ == "__main__":
    main()
