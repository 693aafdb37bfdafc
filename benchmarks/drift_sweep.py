"""Sweep the live drift correction's parameters over independent Bengaluru draws (issue 10).

Each draw's history and model must exist (``benchmarks/calibration.py
--independent-only --independent-seed N`` generates and fits them); this
script only replays the held-out half with the correction, as
``calibration.py`` does, and prints per draw and in total which of the
issue's figures hold::

    .venv/bin/python benchmarks/drift_sweep.py --seeds 7-16                       # the shipped defaults
    .venv/bin/python benchmarks/drift_sweep.py --seeds 7-14 --params '{"ceiling": 0.99, "narrow_goal": 0.98}'
    .venv/bin/python benchmarks/drift_sweep.py --seeds 7-17 --one-level              # beside one level per carrier/service
    .venv/bin/python benchmarks/drift_sweep.py --seeds 7-17 --by-shift               # beside narrowing by a shift back
    .venv/bin/python benchmarks/drift_sweep.py --seeds '' --dirs /tmp/cn90=benchmarks/out/model_cn90_train   # any history

A draw passes when overall coverage is within 95-97%, every carrier/service
with 300+ held-out orders within 94-98%, at most 2% of orders lack a quote
for their service (own-fleet same-day/slot exempt), the mean horizon ratio to
the training year's naive p95 is at most 0.93 and the own fleet's at most 0.88.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import calibration as cal  # noqa: E402

from engine.eta.drift import DriftParams  # noqa: E402
from engine.eta.history import read_history  # noqa: E402
from engine.eta.model import EtaModel  # noqa: E402


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def _draws(seeds: str, dirs: str) -> list[tuple[str, Path, Path]]:
    """(label, history folder with train.csv and test.csv, model folder) of each draw asked for."""
    out = []
    for s in _seeds(seeds) if seeds else []:
        d = cal.OUT / cal.draw_name(s)
        out.append((f"seed {s}", d, d / "model"))
    for part in filter(None, dirs.split(",")):
        h, _, m = part.partition("=")
        out.append((Path(h).name, Path(h), Path(m) if m else Path(h) / "model"))
    return out


def passes(r: dict, over_orders: bool = False) -> tuple[bool, bool]:
    """(coverage figures hold, every figure holds) for one draw's ``calibration.figures`` output.

    ``over_orders``: the horizon figures read as a mean over orders, not over carrier/services.
    """
    big = [v for v in r["per_key"].values() if cal.measured(v)]
    cov = 0.95 <= r["met_overall"] <= 0.97 and all(0.94 <= v["met"] <= 0.98 for v in big)
    ratio, own = (r["mean_ratio_orders"], r["mean_ratio_own_orders"]) if over_orders else (r["mean_ratio"], r["mean_ratio_own"])
    return cov, cov and r["no_quote_share"] <= 0.02 and ratio <= 0.93 and (own or 0.0) <= 0.88


def _f(x: float | None) -> str:
    """A ratio for the line, or "n/a" for a history without an own fleet."""
    return "n/a" if x is None else f"{x:.3f}"


def _mean(xs) -> str:  # noqa: ANN001
    v = [x for x in xs if x is not None]
    return f"{sum(v) / len(v):.4f}" if v else "n/a"


#: The negative steps the correction narrowed by before it narrowed by level (--by-shift).
SHIFTS_BACK = (-24, -12, -9, -6, -4, -2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="7-14", help="draws, e.g. 7-14 or 7,9,15")
    ap.add_argument("--dirs", default="", help="further histories, comma separated: FOLDER (train.csv, test.csv, model/) or FOLDER=MODEL_FOLDER")
    ap.add_argument("--params", default="{}", help="DriftParams fields as JSON (lists become tuples)")
    ap.add_argument("--one-level", action="store_true", help="also replay each draw reading one level per carrier/service (the method before cell levels), side by side")
    ap.add_argument("--plain", action="store_true",
                    help="also print each draw's figures from the model alone (no live correction: what `promise quote` gives), side by side")
    ap.add_argument("--frozen", action="store_true",
                    help="with --plain: the model alone read with the correction frozen at the end of the training history")
    ap.add_argument("--by-shift", action="store_true",
                    help="also replay each draw narrowing by a shift back (narrow_levels=(), the grid's negative steps: the method before), side by side")
    args = ap.parse_args()
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(args.params).items()}
    params = replace(DriftParams(), **fields)
    print(f"{params}")
    if args.one_level and args.by_shift:
        sys.exit("give --one-level or --by-shift, not both")
    label = "one level per carrier/service" if args.one_level else "narrowing by a shift back"
    by_shift = replace(params, narrow_levels=(), shifts_h=tuple(x for x in SHIFTS_BACK if x < min(params.shifts_h)) + params.shifts_h)
    rows, base, plain = [], [], []
    for s, d, md in _draws(args.seeds, args.dirs):
        if not md.exists() or not (d / "test.csv").exists():
            sys.exit(f"no history/model for {s} in {d} ({md}): run benchmarks/calibration.py --independent-only --independent-seed N,"
                     " or promise fit --history FOLDER/train.csv --out MODEL_FOLDER, first")
        model = EtaModel.load(md)
        tr, te = read_history(d / "train.csv").frame, read_history(d / "test.csv").frame
        t = time.perf_counter()
        tag = f"sweep{s.replace(' ', '')}"  # the reliability plot's name
        with contextlib.redirect_stdout(io.StringIO()):
            r = cal.figures(model, tr, te, 0.95, "", "", tag, origin=True, drift=params)
        cov, ok = passes(r)
        rows.append((r, cov, ok, passes(r, over_orders=True)[1]))
        if (args.one_level and model.cv_alloc is not None) or args.by_shift:
            with contextlib.redirect_stdout(io.StringIO()):
                if args.one_level:
                    r1 = cal.figures(replace(model, cv_alloc=None, lambdas=None), tr, te, 0.95, "", "", f"{tag}_one_level", origin=True, drift=params)
                else:
                    r1 = cal.figures(model, tr, te, 0.95, "", "", f"{tag}_by_shift", origin=True, drift=by_shift)
            c1, ok1 = passes(r1)
            base.append((r1, c1, ok1))
            print(f"{s} {label}: met {r1['met_overall']:.4f} ratio {r1['mean_ratio']:.3f} own {_f(r1['mean_ratio_own'])}"
                  f" coverage {'ok' if c1 else 'FAILS'}, all {'ok' if ok1 else 'FAIL'}", flush=True)
        if args.plain:
            with contextlib.redirect_stdout(io.StringIO()):
                rp = cal.figures(model, tr, te, 0.95, "", "", tag, origin=True, drift=params if args.frozen else None, plot_it=False,
                                 freeze=args.frozen)
            cp, okp = passes(rp)
            plain.append((rp, cp, okp))
            svc = " ".join(f"{k}={v['met']:.3f}/{v['ratio']:.3f}" for k, v in rp["per_key"].items())
            print(f"{s} model alone: met {rp['met_overall']:.4f} ratio {rp['mean_ratio']:.3f} own {_f(rp['mean_ratio_own'])}"
                  f" coverage {'ok' if cp else 'FAILS'}, all {'ok' if okp else 'FAIL'} | {svc}", flush=True)
        svc = " ".join(f"{k}={v['met']:.3f}/{v['ratio']:.3f}" for k, v in r["per_key"].items())
        print(f"{s}: met {r['met_overall']:.4f} ratio {r['mean_ratio']:.3f} own {_f(r['mean_ratio_own'])}"
              f" (vs held-out p95 {r['mean_ratio_test_naive']:.3f}) coverage {'ok' if cov else 'FAILS'},"
              f" all {'ok' if ok else 'FAIL'}; over orders ratio {r['mean_ratio_orders']:.3f} own {_f(r['mean_ratio_own_orders'])}"
              f" all {'ok' if rows[-1][3] else 'FAIL'} | {svc} [{time.perf_counter() - t:.0f} s]", flush=True)
    n = len(rows)
    print(f"draws passing every figure {sum(row[2] for row in rows)}/{n}, coverage figures {sum(row[1] for row in rows)}/{n};"
          f" mean ratio {sum(row[0]['mean_ratio'] for row in rows) / n:.4f}, own {_mean(row[0]['mean_ratio_own'] for row in rows)};"
          f" with the ratios averaged over orders: passing {sum(row[3] for row in rows)}/{n},"
          f" mean ratio {sum(row[0]['mean_ratio_orders'] for row in rows) / n:.4f}, own {_mean(row[0]['mean_ratio_own_orders'] for row in rows)}")
    if plain:
        print(f"model alone, same draws: passing every figure {sum(ok for _, _, ok in plain)}/{n}, coverage figures {sum(c for _, c, _ in plain)}/{n};"
              f" mean ratio {sum(r['mean_ratio'] for r, _, _ in plain) / n:.4f}, own {_mean(r['mean_ratio_own'] for r, _, _ in plain)}")
    if base:
        b = len(base)
        print(f"{label}, same draws: passing every figure {sum(ok for _, _, ok in base)}/{b}, coverage figures {sum(c for _, c, _ in base)}/{b};"
              f" mean ratio {sum(r['mean_ratio'] for r, _, _ in base) / b:.4f}, own {_mean(r['mean_ratio_own'] for r, _, _ in base)}")


if __name__ == "__main__":
    main()
