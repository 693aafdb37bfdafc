"""Replay benchmark of the live monitor: warning quality against the truth, and throughput through HTTP.

For each seed: generate a day (``promise monitor simulate-day``: 1,000 orders,
40 vans), score the monitor and the two baselines in process on the same
stream (recall, precision, lead; rescues from a second pass that applies
them: ``engine.monitor.score.evaluate_day``), then start ``promise serve`` on
127.0.0.1 with a fresh SQLite file, watch the plan, and post the whole event
stream in batches with warnings computed and stored before each answer:
``events_per_s`` is events over wall time, ``warning_p99_s`` the 99th
percentile of the batch round trip (an event's warnings are stored before
its batch is answered, so this bounds event -> stored warning).  A 503 from
the API's load shedding is retried after 50 ms; the wait counts in both
figures and the number of 503s is recorded (``shed_503``).

    .venv/bin/python benchmarks/monitor_replay.py --seeds 11 12 13 --out benchmarks/out/monitor_replay.json

The metrics file per seed (``benchmarks/out/monitor-seed<S>.json``) has the
issue's keys at the top (HTTP throughput) and under ``baselines``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.cli.monitor import read_day, write_day
from engine.io.problem_json import plan_to_dict
from engine.monitor.dayplay import simulate_day
from engine.monitor.records import event_to_doc, iso, parse_instant
from engine.monitor.score import evaluate_day, score

KEYS = ("recall_30min", "precision", "median_lead_min", "rescued_share", "events_per_s", "warning_p99_s")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key(db_url: str) -> dict[str, str]:
    """An admin key when this tree has API keys (issue 13), else no header."""
    try:
        from engine.config import Settings
        from engine.store.keys import create_key
        from engine.store.repository import Store
    except ImportError:
        return {}
    return {"Authorization": f"Bearer {create_key(Store(db_url), 'admin', 'bench', Settings())[1]}"}


def http_replay(day, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/monitor.db"
        headers = _key(db)
        port = _port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PROMISE_SOLVE_IN_THREADS": "1"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
                for _ in range(300):
                    try:
                        if c.get("/healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.1)
                else:
                    raise RuntimeError("server did not come up: " + proc.stderr.read().decode()[-2000:] if proc.stderr else "")
                r = c.post("/v1/monitor/start", json={"plan": plan_to_dict(day.plan), "promises": {o: iso(t) for o, t in day.promises.items()},
                                                      "plan_key": "bench"})
                r.raise_for_status()
                docs = [event_to_doc(e) for e in day.events]
                lat = []
                n_warn = 0
                t0 = time.perf_counter()
                shed = 0
                for i in range(0, len(docs), batch):
                    t = time.perf_counter()
                    for _attempt in range(100):
                        r = c.post("/v1/events", json={"events": docs[i:i + batch]})
                        if r.status_code != 503:
                            break
                        # Load shedding (the event loop lagged): retry, as a client following Retry-After would,
                        # but sooner; the wait counts in the latency and the throughput.
                        shed += 1
                        time.sleep(0.05)
                    lat.append(time.perf_counter() - t)
                    r.raise_for_status()
                    body = r.json()
                    if body["rejected"]:
                        raise RuntimeError(f"rejected events: {[x for x in body['results'] if x['status'] == 'rejected'][:3]}")
                    n_warn += len(body["warnings"])
                wall = time.perf_counter() - t0
                # Score the warnings the API stored too (batches of --batch events, no rescue applied).
                first: dict[str, float] = {}
                cursor, stored = 0, 0
                while True:
                    page = c.get("/v1/warnings", params={"limit": 1000, "cursor": cursor}).json()
                    stored += len(page["items"])
                    for w in page["items"]:
                        if w["kind"] == "delay" and w["order_id"] not in first:
                            first[w["order_id"]] = float(parse_instant(w["at_iso"], item="w", field="at"))
                    if page["next_cursor"] is None:
                        break
                    cursor = page["next_cursor"]
                q = score(day, first, split=True)
            return {"events": len(docs), "batch": batch, "wall_s": round(wall, 2), "events_per_s": round(len(docs) / wall, 1),
                    "warning_p99_s": round(float(np.percentile(lat, 99)), 4), "warning_p50_s": round(float(np.percentile(lat, 50)), 4),
                    "warnings": n_warn, "stored_warnings": stored, "shed_503": shed,
                    "quality": {k: q[k] for k in ("late", "warned", "recall_30min", "precision", "median_lead_min")},
                    "quality_own_fleet": {k: q["own_fleet"][k] for k in ("late", "warned", "recall_30min", "precision", "median_lead_min")}}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--vehicles", type=int, default=40)
    ap.add_argument("--batch", type=int, default=500, help="Events per HTTP request.")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "monitor_replay.json")
    ap.add_argument("--no-http", action="store_true")
    a = ap.parse_args()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    runs = []
    for seed in a.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            write_day(simulate_day(a.orders, a.vehicles, seed=seed), Path(tmp))
            day = read_day(Path(tmp))  # through the files, as `promise monitor replay` reads them
        load = os.getloadavg()
        m = evaluate_day(day)
        m["in_process"] = {"events_per_s": m.pop("events_per_s"), "warning_p99_s": m.pop("warning_p99_s")}
        if not a.no_http:
            h = http_replay(day, a.batch)
            m["http"] = h
            m["events_per_s"], m["warning_p99_s"] = h["events_per_s"], h["warning_p99_s"]
        else:
            m["events_per_s"], m["warning_p99_s"] = m["in_process"]["events_per_s"], m["in_process"]["warning_p99_s"]
        m["seed"] = seed
        m["loadavg_1m"] = round(load[0], 2)
        (a.out.parent / f"monitor-seed{seed}.json").write_text(json.dumps(m, indent=1))
        runs.append(m)
        line = " ".join(f"{k}={m[k]}" for k in KEYS)
        print(f"seed {seed} (load {load[0]:.2f}): {line}", flush=True)
        for name, b in m["baselines"].items():
            print(f"   {name}: " + " ".join(f"{k}={b[k]}" for k in ("recall_30min", "precision", "median_lead_min")), flush=True)
    summary = {k: [r[k] for r in runs] for k in KEYS}
    json.dump({"command": " ".join(sys.argv), "runs": runs, "summary": summary}, a.out.open("w"), indent=1)


if __name__ == "__main__":
    main()
