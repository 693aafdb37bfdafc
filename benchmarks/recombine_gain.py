"""What the route pool's recombination gains over the runs' best plan, instance by instance (issue 9).

The numba search alone (``engine.dispatch.search.improve.search``, default
parameters) on Solomon-format instances; the recombination's start (the best
plan of the runs) and its result are read inside the same search, so the gain
is not blurred by run-to-run noise::

    .venv/bin/python benchmarks/recombine_gain.py --time-limit 54 ../shared/data/vrptw/homberger_200/r1_2_*.txt

54 s is the search's share of the pipeline's 60 s on Gehring-Homberger 200.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.dispatch.search import improve  # noqa: E402
from engine.dispatch.search import recombine as R  # noqa: E402
from engine.io.solomon import from_solomon  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--time-limit", type=float, default=54.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    improve.warm()
    seen: dict[str, float] = {}
    inner = R.recombine

    def watched(pool, seq, lens, deadline):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        start = sum(pool.routes.get((int(pool.classes[v]), tuple(seq[v, 1 : 1 + int(lens[v])].tolist())), float("nan"))
                    for v in range(len(lens)) if lens[v])
        out = inner(pool, seq, lens, deadline)
        seen.update(pool=len(pool.routes), start=start, end=out[2] if out else start, seconds=time.perf_counter() - t)
        return out

    improve.recombine = watched  # the name improve calls
    gains = []
    for f in args.files:
        a = from_solomon(f)
        seen.clear()
        r = improve.search(a, None, args.time_limit, args.seed)
        if not seen:
            print(f"{f.stem}: no recombination (not eligible)", flush=True)
            continue
        g = 100.0 * (1.0 - seen["end"] / seen["start"])
        gains.append(g)
        print(f"{f.stem}: pool {seen['pool']} routes, runs' best {seen['start'] / a.cost_scale:.2f} -> {seen['end'] / a.cost_scale:.2f}"
              f" ({g:.3f}%) in {seen['seconds']:.2f} s; final {r.cost / a.cost_scale:.2f}", flush=True)
    if gains:
        print(f"mean gain {sum(gains) / len(gains):.3f}% over {len(gains)} instances, {sum(x > 0 for x in gains)} improved")


if __name__ == "__main__":
    main()
