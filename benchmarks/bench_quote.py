"""Checkout latency: one ``quote()`` (ms, best of 5 x 2000) and ``quote_arrays`` throughput (orders/s, best of 3 x 100k).

    .venv/bin/python benchmarks/bench_quote.py                 # this tree
    .venv/bin/python benchmarks/bench_quote.py --base REV      # also REV (git archive into a temp dir), alternating, ratio printed
    .venv/bin/python benchmarks/bench_quote.py --base REV --bursts 300 --rounds 1   # + quote() in interleaved bursts (robust on a loaded machine)

Models: the shipped Helsinki and Shanghai defaults, and (when the tree reads
them) the Shanghai default serving the catalogue ``scenarios/catalogue-shanghai.toml``
(per-weekday cut-offs, weekdays, China's holidays; its radius area, or a
5-vertex polygon instead).  Record ``uptime`` with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = r'''
import json, sys, time
import numpy as np
from datetime import datetime
from zoneinfo import ZoneInfo
from engine.eta.model import default_model
from engine.promise import quote, quote_arrays
out = {}
cases = [("helsinki", (60.17, 24.94), "Europe/Helsinki"), ("shanghai", (31.20, 121.50), "Asia/Shanghai")]
models = {r: default_model(r) for r, _, _ in cases}
from dataclasses import replace
from engine.io.catalogue import read_catalogue
city = read_catalogue(sys.argv[1]).city
if hasattr(city, "area_polygon"):  # a tree whose quotes read the catalogue's calendars and area
    poly = ((120.9, 30.75), (122.0, 30.75), (122.0, 31.7), (121.45, 31.85), (120.9, 31.7))
    models["shanghai+catalogue"] = replace(models["shanghai"], city=city)
    models["shanghai+polygon"] = replace(models["shanghai"], city=replace(city, area_polygon=poly, area_radius_km=0.0))
    cases += [("shanghai+catalogue", (31.20, 121.50), "Asia/Shanghai"), ("shanghai+polygon", (31.20, 121.50), "Asia/Shanghai")]
for name, (la, lo), tzn in cases:
    m = models[name]
    t = datetime(2026, 11, 11, 20, 40, tzinfo=ZoneInfo(tzn))
    for _ in range(300):
        quote((la, lo), t, [2.0], model=m)
    best = 1e9
    for _ in range(5):
        n = 2000
        a = time.perf_counter()
        for _ in range(n):
            quote((la, lo), t, [2.0], model=m)
        best = min(best, (time.perf_counter() - a) / n * 1e3)
    N = 100_000
    rng = np.random.default_rng(0)
    cr = t.timestamp() + rng.uniform(0, 7 * 86400, N)
    lat, lon = la + rng.normal(0, 0.03, N), lo + rng.normal(0, 0.03, N)
    quote_arrays(m, lat, lon, cr, np.full(N, 2.0))
    bt = 1e9
    for _ in range(3):
        a = time.perf_counter()
        quote_arrays(m, lat, lon, cr, np.full(N, 2.0))
        bt = min(bt, time.perf_counter() - a)
    out[name] = {"quote_ms": round(best, 4), "arrays_per_s": round(N / bt)}
print(json.dumps(out))
'''


_WORKER = r'''
import sys, time
from datetime import datetime
from zoneinfo import ZoneInfo
from engine.eta.model import default_model
from engine.promise import quote
cases = {"helsinki": ((60.17, 24.94), "Europe/Helsinki"), "shanghai": ((31.20, 121.50), "Asia/Shanghai")}
ms = {r: default_model(r) for r in cases}
from dataclasses import replace
from engine.io.catalogue import read_catalogue
city = read_catalogue(sys.argv[1]).city
if hasattr(city, "area_polygon"):
    poly = ((120.9, 30.75), (122.0, 30.75), (122.0, 31.7), (121.45, 31.85), (120.9, 31.7))
    ms["shanghai+catalogue"] = replace(ms["shanghai"], city=city)
    ms["shanghai+polygon"] = replace(ms["shanghai"], city=replace(city, area_polygon=poly, area_radius_km=0.0))
    cases["shanghai+catalogue"] = cases["shanghai+polygon"] = cases["shanghai"]
ts = {r: datetime(2026, 11, 11, 20, 40, tzinfo=ZoneInfo(z)) for r, (_, z) in cases.items()}
for r, (d, _) in cases.items():
    for _ in range(300):
        quote(d, ts[r], [2.0], model=ms[r])
print("ready " + ",".join(ms), flush=True)
for line in sys.stdin:
    r, n = line.split()
    d, m, t = cases[r][0], ms[r], ts[r]
    a = time.perf_counter()
    for _ in range(int(n)):
        quote(d, t, [2.0], model=m)
    print((time.perf_counter() - a) / int(n) * 1e3, flush=True)
'''


def interleaved(trees: dict[str, Path], bursts: int, n: int) -> None:
    """quote() per model in persistent workers, one short burst each in turn: the minimum over bursts resists a loaded machine."""
    py = ROOT / ".venv" / "bin" / "python"
    cat = str(ROOT / "scenarios" / "catalogue-shanghai.toml")
    procs = {k: subprocess.Popen([str(py), "-c", _WORKER, cat], cwd=t, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(t)}) for k, t in trees.items()}
    has: dict[str, set[str]] = {}
    for k, p in procs.items():
        assert p.stdout is not None
        word, names = p.stdout.readline().split()
        assert word == "ready"
        has[k] = set(names.split(","))
    models = ["helsinki", "shanghai", "shanghai+catalogue", "shanghai+polygon"]
    best: dict[tuple[str, str], float] = {}
    for _ in range(bursts):
        for region in models:
            for k, p in procs.items():
                if region not in has[k]:
                    continue
                assert p.stdin is not None and p.stdout is not None
                p.stdin.write(f"{region} {n}\n")
                p.stdin.flush()
                v = float(p.stdout.readline())
                best[(k, region)] = min(best.get((k, region), 1e9), v)
    for p in procs.values():
        assert p.stdin is not None
        p.stdin.close()
        p.wait(timeout=30)
    for region in models:
        line = "  ".join(f"{k} {best[(k, region)]:.4f} ms" for k in trees if (k, region) in best)
        if ("base", region) in best and ("ours", region) in best:
            line += f"  (ours/base {best[('ours', region)] / best[('base', region)]:.3f}x)"
        print(f"interleaved min over {bursts} bursts of {n}: quote() {region:18s} {line}")


def run(tree: Path) -> dict:
    py = ROOT / ".venv" / "bin" / "python"
    r = subprocess.run([str(py), "-c", _PROBE, str(ROOT / "scenarios" / "catalogue-shanghai.toml")], cwd=tree,
                       capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", help="a git revision to compare with (alternating runs)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--bursts", type=int, default=0, help="also time quote() interleaved: this many short bursts per tree (min wins)")
    args = ap.parse_args()
    print(f"load: {os.getloadavg()}")
    trees = {"ours": ROOT}
    tmp = None
    if args.base:
        tmp = tempfile.TemporaryDirectory()
        subprocess.run(f"git -C {ROOT} archive {args.base} | tar -x -C {tmp.name}", shell=True, check=True)
        trees = {"base": Path(tmp.name), "ours": ROOT}
    if args.bursts:
        interleaved(trees, args.bursts, 200)
    res: dict[str, list[dict]] = {k: [] for k in trees}
    for _ in range(args.rounds):
        for k, t in trees.items():
            res[k].append(run(t))
            print(k, json.dumps(res[k][-1]))
    for k, rs in res.items():
        for name in rs[0]:
            q = min(r[name]["quote_ms"] for r in rs)
            a = max(r[name]["arrays_per_s"] for r in rs)
            line = f"{k:5s} {name:20s} quote() {q:.3f} ms  quote_arrays {a:,.0f}/s"
            if k == "ours" and "base" in res and name in res["base"][0]:
                qb = min(r[name]["quote_ms"] for r in res["base"])
                ab = max(r[name]["arrays_per_s"] for r in res["base"])
                line += f"  (ours/base: quote {q / qb:.2f}x, arrays {a / ab:.2f}x)"
            print(line)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
