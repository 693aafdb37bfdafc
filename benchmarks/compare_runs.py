"""Compare stored Gehring-Homberger / Solomon runs over several seeds: class means and the paired difference.

Each ``--ours`` / ``--peer`` value is ``SEED=FILE[,FILE...]`` (JSON lines written by
``benchmarks/vrptw.py --json``); rows are matched on the instance name, and a solver's
rows are the ones whose ``solver`` contains ``--ours-solver`` / ``--peer-solver``.  Prints
per class the mean gap per seed and over the seeds, then over every instance both sides
hold for every seed: the means, the paired difference of the per-instance seed means and
its standard error, and on how many instances ours is at or below the peer.

Example (the 2026-12-01 round in RESULTS.md)::

    python benchmarks/compare_runs.py \\
        --ours 0=benchmarks/out/h200_c1_runs3_seed0.jsonl,benchmarks/out/h200_r1_runs3_seed0.jsonl,... \\
        --peer 0=benchmarks/out/homberger_r8_pyvrp_a.jsonl,benchmarks/out/homberger_r8_pyvrp_b.jsonl ...
"""

from __future__ import annotations

import argparse
import json
import statistics as st
import sys
from collections import defaultdict
from pathlib import Path
from typing import NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vrptw import instance_class  # noqa: E402 -- one naming of the classes (C1, RC2...) for every benchmark


def _fail(message: str) -> NoReturn:
    print(f"compare_runs: {message}", file=sys.stderr)
    sys.exit(2)


def _load(specs: list[str], solver: str) -> dict[int, dict[str, float]]:
    runs: dict[int, dict[str, float]] = defaultdict(dict)
    for spec in specs:
        seed, _, files = spec.partition("=")
        if not files or not seed.strip().isdigit():
            _fail(f"expected SEED=FILE[,FILE...], got {spec!r}")
        for name in files.split(","):
            for line in Path(name).read_text().splitlines():
                row = json.loads(line)
                if solver not in row["solver"]:
                    continue
                if row.get("feasible") is False:
                    _fail(f"{name}: {row['instance']} is not feasible")
                runs[int(seed)][row["instance"]] = float(row["gap"])
    return runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", action="append", required=True, help="SEED=FILE[,FILE...]")
    ap.add_argument("--peer", action="append", required=True, help="SEED=FILE[,FILE...]")
    ap.add_argument("--ours-solver", default="promise")
    ap.add_argument("--peer-solver", default="pyvrp")
    args = ap.parse_args(argv)
    ours, peer = _load(args.ours, args.ours_solver), _load(args.peer, args.peer_solver)
    common = sorted(set.intersection(*(set(r) for r in [*ours.values(), *peer.values()])))
    if not common:
        _fail("no instance is in every run")
    classes = sorted({instance_class(k) for k in common})

    def mean(runs: dict[int, dict[str, float]], keys: list[str]) -> float:
        return st.mean(st.mean(runs[s][k] for s in runs) for k in keys)

    print(f"{'class':<6} " + " ".join(f"ours s{s:<3}" for s in sorted(ours)) + "   ours   peer")
    for c in classes:
        keys = [k for k in common if instance_class(k) == c]
        per_seed = " ".join(f"{st.mean(ours[s][k] for k in keys):8.3f}" for s in sorted(ours))
        print(f"{c:<6} {per_seed} {mean(ours, keys):7.3f} {mean(peer, keys):7.3f}")
    diff = [st.mean(ours[s][k] for s in ours) - st.mean(peer[s][k] for s in peer) for k in common]
    se = st.stdev(diff) / len(diff) ** 0.5 if len(diff) > 1 else float("nan")
    print(f"all {len(common)}: ours {mean(ours, common):.3f}  peer {mean(peer, common):.3f}  "
          f"difference {st.mean(diff):+.3f} (paired SE {se:.3f})  ours at or below on {sum(d <= 1e-9 for d in diff)}")
    for s in sorted(ours):
        print(f"  ours seed {s}: {st.mean(ours[s][k] for k in common):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
