"""Road network load times: cold (build + write cache) and warm (from the cache).

Usage::

    .venv/bin/python benchmarks/bench_network.py [--synthetic 250000] [--repeat 3] [--ch]

``--ch`` also times the contraction-hierarchy build of ``engine.matrix`` on
each network (how "CH-friendly" the network is; run ``promise warm`` first so
numba compilation isn't counted).

Uses a fresh temporary ``PROMISE_CACHE_DIR`` so "cold" really is cold; the
shared OSM extracts (../shared/data/osm) are included when present.  Prints
one row per source with the machine's load average, since timings on a shared
machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

SHARED_OSM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"


def _time_load(source: str, seed: int, repeat: int, ch: bool) -> dict[str, object]:
    from engine import network

    t0 = time.perf_counter()
    cold = network.load(source, seed=seed)
    cold_s = time.perf_counter() - t0
    assert not cold.info["from_cache"], f"{source}: expected a cold build"
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        net = network.load(source, seed=seed)
        warm.append(time.perf_counter() - t0)
        assert net.info["from_cache"]
    row: dict[str, object] = {}
    if ch:
        from engine import matrix

        t0 = time.perf_counter()
        matrix.prepare(cold)
        row["ch_build_s"] = round(time.perf_counter() - t0, 2)
    return row | {
        "source": source,
        "nodes": cold.n_nodes,
        "edges": cold.n_edges,
        "out_degree": round(cold.n_edges / cold.n_nodes, 2),
        "dropped_nodes": cold.info["dropped_nodes"],
        "cold_s": round(cold_s, 3),
        "warm_median_s": round(statistics.median(warm), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=250_000, help="synthetic network size (0: skip)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="warm loads per source (median reported)")
    ap.add_argument("--ch", action="store_true", help="also time the matrix layer's CH build")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="promise-bench-cache-") as tmp:
        os.environ["PROMISE_CACHE_DIR"] = tmp
        sources = ["helsinki"]
        if SHARED_OSM.is_dir():
            sources += [str(p) for p in sorted(SHARED_OSM.iterdir()) if p.name.endswith((".pbf", ".gz", ".bz2", ".osm"))]
        if args.synthetic:
            sources.append(f"synthetic:{args.synthetic}")
        rows = []
        load = os.getloadavg()
        print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cpus)")
        print(f"{'source':<28} {'nodes':>9} {'edges':>10} {'deg':>5} {'dropped':>8} {'cold s':>8} {'warm s':>8}" + (f" {'CH s':>8}" if args.ch else ""))
        for src in sources:
            row = _time_load(src, args.seed, args.repeat, args.ch)
            rows.append(row)
            print(
                f"{Path(src).name if '/' in src else src:<28} {row['nodes']:>9,} {row['edges']:>10,} "
                f"{row['out_degree']:>5} {row['dropped_nodes']:>8,} {row['cold_s']:>8.3f} {row['warm_median_s']:>8.4f}"
                + (f" {row['ch_build_s']:>8.2f}" if args.ch else "")
            )
        load = os.getloadavg()
        print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if args.json:
            args.json.write_text(json.dumps({"rows": rows, "loadavg_end": load}, indent=2))


if __name__ == "__main__":
    main()
