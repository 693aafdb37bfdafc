"""Issue 10's figures read the way a user would: ``promise quote --orders test.csv --json`` on the held-out file.

``calibration.py`` and ``drift_sweep.py --plain`` read the model in-process
(``quote_arrays`` on the parsed history).  This script goes through the
user's path instead: the held-out CSV as written (Unix milliseconds,
``Own``, extra columns) read by ``read_orders``, each order asking for the
carrier/service it was delivered by, the JSON lines ``promise quote``
writes parsed back, and ``promised_by`` compared with ``delivered_at``::

    .venv/bin/python benchmarks/quote_replay.py --dirs /work/hist/br_def,/work/hist/cn7

Each folder holds ``train.csv``, ``test.csv`` and ``model/`` (``promise fit
--history FOLDER/train.csv --out FOLDER/model``).  Per history it prints the
share met overall and per carrier/service (300+ orders), the share of orders
without an available quote for their own service (own-fleet same-day and
slot exempt), and the mean ratio of the promised horizon to the training
file's naive per-service p95 (own fleet apart).  A booked slot is read like
any promise here (delivered by ``promised_by``), not against the window the
customer booked as ``calibration.py`` reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.eta.history import parse_instants, read_history  # noqa: E402
from engine.eta.model import EtaModel  # noqa: E402
from engine.io.quote_table import quote_table_jsonl, read_orders  # noqa: E402


def replay(folder: Path, target: float = 0.95) -> dict:
    """The figures of one history folder through ``read_orders`` and ``quote_table_jsonl``."""
    model = EtaModel.load(folder / "model")
    tr = read_history(folder / "train.csv", local_tz=model.city.tz).frame
    naive = {}
    for k, g in tr.groupby(tr["carrier"] + ":" + tr["service"]):
        naive[k] = float(np.quantile((g["delivered"] - g["created"]).to_numpy(), 0.95))
    orders = read_orders(folder / "test.csv")
    t0 = time.perf_counter()
    lines = quote_table_jsonl(model, orders, target=target)
    quote_s = time.perf_counter() - t0
    created = parse_instants(orders["created_at"].str.strip(), model.city.tz)[0]
    delivered = parse_instants(orders["delivered_at"].str.strip(), model.city.tz)[0]
    promised = np.full(len(orders), np.nan)
    key = np.empty(len(orders), dtype=object)
    exempt = np.zeros(len(orders), dtype=bool)
    for i, line in enumerate(lines):
        d = json.loads(line)
        opts = d.get("options") or []
        if len(opts) != 1:
            key[i] = f"{orders['carrier'].iat[i]}:{orders['service'].iat[i]} (no option: {d.get('error', 'none')})"
            continue
        o = opts[0]
        key[i] = f"{o['carrier']}:{o['service']}"
        exempt[i] = o["carrier"] == "own" and model.spec(key[i]).kind in ("same_day", "slot")
        if o["available"] and o["promised_by"]:
            promised[i] = np.datetime64(o["promised_by"][:19]).astype("datetime64[s]").astype(float) - _offset_s(o["promised_by"])
    av = np.isfinite(promised)
    met = av & (delivered <= promised)
    per = {}
    for k in sorted(set(key.tolist())):
        m = key == k
        ratio = float(np.mean((promised[m & av] - created[m & av]) / naive[k])) if (m & av).any() and k in naive else float("nan")
        per[k] = {"orders": int(m.sum()), "met": float(met[m & av].mean()) if (m & av).any() else float("nan"),
                  "no_quote": float(np.mean(~av[m])), "ratio": ratio, "exempt": bool(exempt[m].any())}
    big = {k: r for k, r in per.items() if r["orders"] >= 300 and np.isfinite(r["met"])}
    own = [r["ratio"] for k, r in big.items() if k.startswith("own:")]
    out = {
        "orders": len(orders), "quote_s": quote_s, "met_overall": float(met[av].mean()),
        "no_quote_share": float(np.mean(~av[~exempt])) if (~exempt).any() else 0.0,
        "mean_ratio": float(np.mean([r["ratio"] for r in big.values()])), "mean_ratio_own": float(np.mean(own)) if own else None,
        "per_key": per,
    }
    cov = 0.95 <= out["met_overall"] <= 0.97 and all(0.94 <= r["met"] <= 0.98 for r in big.values())
    out["passes"] = bool(cov and out["no_quote_share"] <= 0.02 and out["mean_ratio"] <= 0.93 and (out["mean_ratio_own"] or 0.0) <= 0.88)
    return out


def _offset_s(iso: str) -> float:
    """The UTC offset at the end of an ISO time, in seconds."""
    if iso.endswith("Z"):
        return 0.0
    sign = -1.0 if iso[-6] == "-" else 1.0
    return sign * (int(iso[-5:-3]) * 3600 + int(iso[-2:]) * 60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dirs", required=True, help="history folders, comma separated (train.csv, test.csv, model/)")
    ap.add_argument("--target", type=float, default=0.95)
    args = ap.parse_args()
    n_pass = 0
    dirs = [Path(x) for x in args.dirs.split(",") if x]
    for d in dirs:
        r = replay(d, args.target)
        n_pass += r["passes"]
        svc = " ".join(f"{k}={v['met']:.3f}/{v['ratio']:.3f}" + (f" (no quote {v['no_quote']:.3f})" if v["no_quote"] > 0.001 else "")
                       for k, v in r["per_key"].items())
        own = "n/a" if r["mean_ratio_own"] is None else f"{r['mean_ratio_own']:.3f}"
        print(f"{d.name}: {r['orders']} orders quoted in {r['quote_s']:.1f} s; met {r['met_overall']:.4f} no quote {r['no_quote_share']:.4f}"
              f" ratio {r['mean_ratio']:.3f} own {own}, all {'ok' if r['passes'] else 'FAIL'} | {svc}", flush=True)
    print(f"histories passing every figure through promise quote: {n_pass}/{len(dirs)}")


if __name__ == "__main__":
    main()
