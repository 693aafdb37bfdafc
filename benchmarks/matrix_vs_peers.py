"""Many-to-many travel-time matrices: our contraction hierarchy vs scipy and igraph.

Usage::

    .venv/bin/python benchmarks/matrix_vs_peers.py [--network synthetic:250000] [--seed 1]
        [--n 1000] [--scipy-sources 100] [--igraph-sources 100] [--big 5000] [--cold]

In one run: loads the network, prepares the hierarchy (``--cold`` rebuilds it
and reports the preprocessing time; otherwise the cached one is used and its
recorded build time shown), picks ``--n`` random source and ``--n`` random
target nodes, times ``engine.matrix.travel_times`` (median of ``--repeat``
runs, after one warm-up call so numba's load time is not counted), then times
the peers on the *same CSR arrays*:

* scipy: ``dijkstra(csr, indices=sources)`` then the target columns;
* igraph: ``Graph.distances(source, target, weights)``;
* our own numba parallel Dijkstra (the baseline the hierarchy replaces).

The peers run one Dijkstra per source, so they are timed on the first
``--scipy-sources`` / ``--igraph-sources`` sources and scaled linearly to
``--n`` (the output says so).  Every peer's rows are checked against ours
(max abs difference must be under 1e-6 s).  ``--big K`` adds a K x K run of
our matrix alone.  Prints the load average because the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

_T_START = time.perf_counter()

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on this platform
        return "n/a"


def _check(name: str, ours: np.ndarray, ref: np.ndarray) -> float:
    if not np.array_equal(np.isinf(ours), np.isinf(ref)):
        raise SystemExit(f"{name}: reachability differs from ours")
    fin = np.isfinite(ref)
    diff = float(np.max(np.abs(ours[fin] - ref[fin]))) if fin.any() else 0.0
    if diff > 1e-6:
        raise SystemExit(f"{name}: differs from ours by {diff:.3g} s")
    return diff


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default="synthetic:250000")
    ap.add_argument("--seed", type=int, default=1, help="seed of a synthetic network")
    ap.add_argument("--n", type=int, default=1000, help="sources = targets = n random nodes")
    ap.add_argument("--points-seed", type=int, default=0)
    ap.add_argument("--hour", type=float, default=None, help="departure hour (default free flow)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scipy-sources", type=int, default=100, help="0 skips scipy")
    ap.add_argument("--igraph-sources", type=int, default=100, help="0 skips igraph")
    ap.add_argument("--dijkstra-sources", type=int, default=100, help="0 skips our numba Dijkstra")
    ap.add_argument("--big", type=int, default=0, help="also time a BIG x BIG matrix (ours only)")
    ap.add_argument("--cold", action="store_true", help="rebuild the hierarchy (no cache) to time preprocessing")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args(argv)

    import numba
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from engine import matrix, network

    out: dict[str, object] = {"network": args.network, "seed": args.seed, "n": args.n, "hour": args.hour,
                              "threads": numba.get_num_threads(), "load_before": _load()}
    print(f"load average before: {out['load_before']}  (numba threads: {out['threads']})")
    t0 = time.perf_counter()
    net = network.load(args.network, seed=args.seed)
    out["network_load_s"] = time.perf_counter() - t0
    print(f"network {net!r}: loaded in {out['network_load_s']:.2f} s (cache hit: {net.info.get('from_cache')})")

    t0 = time.perf_counter()
    eng = matrix.prepare(net, args.hour, use_cache=not args.cold)
    out["prepare_s"] = time.perf_counter() - t0
    out["preprocess_s"] = eng.preprocess_seconds
    out["hierarchy_from_cache"] = eng.from_cache
    out["hierarchy_edges"] = eng.n_shortcut_edges
    print(f"hierarchy: preprocessing {eng.preprocess_seconds:.1f} s "
          f"({'recorded when built; loaded from cache' if eng.from_cache else 'built now'}), "
          f"prepare() took {out['prepare_s']:.2f} s, {eng.n_shortcut_edges:,} up/down edges "
          f"for {net.n_edges:,} road edges")

    rng = np.random.default_rng(args.points_seed)
    sources = rng.integers(0, net.n_nodes, args.n)
    targets = rng.integers(0, net.n_nodes, args.n)
    w = net.travel_time_s if args.hour is None else net.travel_time_at(args.hour)

    # The first call loads the compiled kernels from numba's cache: timed
    # apart, and it closes the "fresh process" end-to-end figure.
    t0 = time.perf_counter()
    ours = matrix.travel_times(net, sources, targets, hour=args.hour)
    out["first_call_s"] = time.perf_counter() - t0
    out["end_to_end_s"] = time.perf_counter() - _T_START
    print(f"fresh process: imports + network load + prepare + first {args.n}x{args.n} "
          f"(incl. numba cache load) = {out['end_to_end_s']:.2f} s (first call {out['first_call_s']:.2f} s)")
    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        ours = matrix.travel_times(net, sources, targets, hour=args.hour)
        times.append(time.perf_counter() - t0)
    ours_s = statistics.median(times)
    out["ours_s"] = ours_s
    out["ours_all_s"] = times
    print(f"ours (CH buckets)     {args.n}x{args.n}: {ours_s:8.3f} s  (median of {len(times)}: "
          + ", ".join(f"{t:.3f}" for t in times) + ")")

    rows = []

    def peer(name: str, k: int, fn) -> None:
        k = min(k, args.n)
        if k <= 0:
            return
        t0 = time.perf_counter()
        ref = fn(sources[:k])
        sec = time.perf_counter() - t0
        diff = _check(name, ours[:k], ref)
        full = sec * args.n / k
        scaled = f" (timed on {k} sources, scaled x{args.n / k:g})" if k < args.n else ""
        print(f"{name:<21} {args.n}x{args.n}: {full:8.3f} s{scaled}; ours is {full / ours_s:,.1f}x faster; "
              f"max |diff| {diff:.2g} s")
        rows.append({"peer": name, "sources_timed": k, "seconds_timed": sec, "seconds_scaled": full,
                     "speedup": full / ours_s, "max_abs_diff": diff})

    if args.scipy_sources:
        csr = csr_matrix((w, net.indices, net.indptr), shape=(net.n_nodes, net.n_nodes))
        peer("scipy dijkstra", args.scipy_sources, lambda s: dijkstra(csr, directed=True, indices=s)[:, targets])
    if args.igraph_sources:
        try:
            import igraph as ig
        except ImportError:
            print("igraph not installed: skipped")
        else:
            g = ig.Graph(n=net.n_nodes, edges=np.column_stack([net.edge_tails(), net.indices]).tolist(), directed=True)
            g.es["w"] = w.tolist()
            # igraph refuses duplicate targets: ask for the distinct ones, expand after.
            uniq, inv = np.unique(targets, return_inverse=True)
            peer("igraph distances", args.igraph_sources,
                 lambda s: np.asarray(g.distances(source=s.tolist(), target=uniq.tolist(), weights="w",
                                                  mode="out"))[:, inv])
    if args.dijkstra_sources:
        peer("ours numba dijkstra", args.dijkstra_sources,
             lambda s: matrix.dijkstra_matrix(net, s, targets, hour=args.hour)[0])
    out["peers"] = rows

    if args.big:
        big_s = rng.integers(0, net.n_nodes, args.big)
        big_t = rng.integers(0, net.n_nodes, args.big)
        t0 = time.perf_counter()
        m = matrix.travel_times(net, big_s, big_t, hour=args.hour)
        sec = time.perf_counter() - t0
        out["big"] = {"k": args.big, "seconds": sec, "result_mb": m.nbytes / 1e6,
                      "unreachable": int(np.isinf(m).sum())}
        print(f"ours (CH buckets)     {args.big}x{args.big}: {sec:8.3f} s  (result {m.nbytes / 1e6:,.0f} MB)")
    out["load_after"] = _load()
    print(f"load average after: {out['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
