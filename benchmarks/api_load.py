"""The API under load and faults, on loopback: the figures of the "API survives" issue.

Starts ``promise serve`` on 127.0.0.1 (a fresh SQLite file, default settings:
one solver per core) and runs, each bounded in time and request count:

``--solves``  40 ``POST /v1/plans`` at once, each a 300-order Helsinki day with a
              long ``time_limit``; meanwhile ``/healthz`` and single-cart quotes are
              sampled at 20/s each for ``--seconds``: their p50/p99, how many solves
              were accepted (202) and refused (429).
``--flood``   ``--rate`` quotes/s offered for ``--seconds`` with ``hey`` (Debian
              package ``hey``): status codes and latency percentiles.  Every answer
              must be 200 or 503, within 100 ms.
``--memory``  a 20,000-order plan (refused with 413 before any work, or solved:
              peak RSS) and a 5,000-order plan with ``time_limit=5`` (wall time to
              done and the solver's peak RSS).

Usage::

    .venv/bin/python benchmarks/api_load.py --solves --flood --memory

Prints a summary and writes ``benchmarks/out/api_load.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.server import Server  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "api_load.json"
QUOTE = {"destination": {"lat": 60.1699, "lon": 24.9384}, "items": [{"weight_kg": 2.5}], "order_time": "2026-11-11T10:40:00+02:00"}


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def _day(n_orders: int, seed: int = 0) -> dict:
    from engine.io.problem_json import problem_to_dict
    from engine.io.scenarios import helsinki_day

    doc = problem_to_dict(helsinki_day(n_orders, seed))
    doc["network"] = None  # haversine matrices: the server work is the solve, not a network build
    return doc


def _sample(srv: Server, path: str, body: dict | None, rate: float, stop: threading.Event, out: list[float], codes: list[int]) -> None:
    with srv.client(timeout=10) as c:
        nxt = time.perf_counter()
        while not stop.is_set():
            t0 = time.perf_counter()
            r = c.post(path, json=body) if body is not None else c.get(path)
            out.append((time.perf_counter() - t0) * 1000)
            codes.append(r.status_code)
            nxt += 1.0 / rate
            time.sleep(max(0.0, nxt - time.perf_counter()))


def solves(srv: Server, seconds: float, n: int = 40, time_limit: float = 120) -> dict:
    day = _day(300)
    stop = threading.Event()
    health: list[float] = []
    quotes: list[float] = []
    hc: list[int] = []
    qc: list[int] = []
    samplers = [
        threading.Thread(target=_sample, args=(srv, "/healthz", None, 20, stop, health, hc)),
        threading.Thread(target=_sample, args=(srv, "/v1/quotes", QUOTE, 20, stop, quotes, qc)),
    ]
    for t in samplers:
        t.start()
    time.sleep(1.0)

    def post(_: int) -> tuple[int, float]:
        t0 = time.perf_counter()
        r = httpx.post(f"{srv.url}/v1/plans", params={"time_limit": time_limit}, json=day, timeout=60, headers=srv.headers)
        return r.status_code, (time.perf_counter() - t0) * 1000

    with ThreadPoolExecutor(n) as ex:
        posts = list(ex.map(post, range(n)))
    time.sleep(seconds)
    stop.set()
    for t in samplers:
        t.join()
    ready = httpx.get(f"{srv.url}/readyz", timeout=5).json()
    return {
        "posted": n,
        "accepted_202": sum(1 for c, _ in posts if c == 202),
        "refused_429": sum(1 for c, _ in posts if c == 429),
        "other": sorted({c for c, _ in posts} - {202, 429}),
        "post_p99_ms": _pct([t for _, t in posts], 0.99),
        "healthz_p50_ms": _pct(health, 0.5),
        "healthz_p99_ms": _pct(health, 0.99),
        "healthz_n": len(health),
        "healthz_non_200": sum(1 for c in hc if c != 200),
        "quote_p50_ms": _pct(quotes, 0.5),
        "quote_p99_ms": _pct(quotes, 0.99),
        "quote_n": len(quotes),
        "quote_non_200": sum(1 for c in qc if c != 200),
        "solves_in_flight_after": ready.get("solves_in_flight"),
        "seconds": seconds,
        "time_limit": time_limit,
    }


def flood(srv: Server, rate: int, seconds: float) -> dict:
    hey = shutil.which("hey")
    if hey is None:
        return {"skipped": "hey not installed (apt-get install hey)"}
    conns = 100
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(QUOTE, f)
    res = subprocess.run(
        [hey, "-z", f"{seconds}s", "-c", str(conns), "-q", str(rate / conns), "-m", "POST", "-T", "application/json",
         "-D", f.name, "-o", "csv", "-t", "5", "-H", f"Authorization: Bearer {srv.key}", f"{srv.url}/v1/quotes"],
        capture_output=True, text=True, timeout=seconds + 60,
    )
    rows = [line.split(",") for line in res.stdout.splitlines()[1:] if line.strip()]
    # hey's csv: response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset
    lat = [float(r[0]) * 1000 for r in rows]
    codes = [int(r[6]) for r in rows]
    by_code: dict[str, int] = {}
    for c in codes:
        by_code[str(c)] = by_code.get(str(c), 0) + 1
    return {
        "offered_per_s": rate,
        "seconds": seconds,
        "answered": len(rows),
        "answered_per_s": len(rows) / seconds,
        "codes": by_code,
        "p50_ms": _pct(lat, 0.5),
        "p99_ms": _pct(lat, 0.99),
        "max_ms": max(lat, default=float("nan")),
        "over_100ms": sum(1 for x in lat if x > 100),
        "not_200_or_503": sum(1 for c in codes if c not in (200, 503)),
        "errors": res.stderr[-500:],
    }


def memory(srv: Server) -> dict:
    out: dict = {}
    big = _day(300)
    import copy
    import random

    rng = random.Random(0)
    base = big["orders"]
    for n, key in ((20_000, "orders_20000"), (5_000, "orders_5000")):
        doc = copy.deepcopy(big)
        doc["orders"] = [dict(base[i % len(base)], id=f"o{i}", lat=base[i % len(base)]["lat"] + rng.uniform(-0.01, 0.01)) for i in range(n)]
        t0 = time.perf_counter()
        r = httpx.post(f"{srv.url}/v1/plans", params={"time_limit": 5}, json=doc, timeout=120, headers=srv.headers)
        res = {"status": r.status_code, "answer_ms": (time.perf_counter() - t0) * 1000, "detail": r.text[:300]}
        if r.status_code == 202:
            pid = r.json()["id"]
            peak = 0
            while True:
                d = httpx.get(f"{srv.url}/v1/plans/{pid}", timeout=10, headers=srv.headers).json()
                peak = max(peak, _children_rss(srv))
                if d["status"] in ("done", "failed"):
                    break
                if time.perf_counter() - t0 > 600:
                    res["timeout"] = True
                    break
                time.sleep(0.2)
            res.update(done_s=time.perf_counter() - t0, final=d["status"], error=d.get("error"), solver_peak_rss_mb=peak / 1e6,
                       solve_seconds=(d.get("plan") or {}).get("solve_seconds"))
        out[key] = res
    return out


def _children_rss(srv: Server) -> int:
    """Largest resident set among the server's solver processes (bytes)."""
    try:
        out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(srv.proc.pid)], capture_output=True, text=True).stdout
        return max((int(x) * 1024 for x in out.split()), default=0)
    except (OSError, ValueError):
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--solves", action="store_true")
    ap.add_argument("--flood", action="store_true")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=2000)
    args = ap.parse_args()
    report: dict = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": " ".join(sys.argv)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.solves:
            with Server(Path(tmp) / "solves.db") as srv:
                report["solves"] = solves(srv, args.seconds)
        if args.flood:
            with Server(Path(tmp) / "flood.db") as srv:
                httpx.post(f"{srv.url}/v1/quotes", json=QUOTE, timeout=30, headers=srv.headers)  # load the model first
                report["flood"] = flood(srv, args.rate, args.seconds)
        if args.memory:
            with Server(Path(tmp) / "memory.db") as srv:
                report["memory"] = memory(srv)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
