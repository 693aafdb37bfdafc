"""The notification outbox under fire: nothing lost or doubled through SIGKILLs, throughput, lag under load.

Three runs, each against a local webhook receiver on 127.0.0.1 (uvicorn in
its own process; it verifies every Standard Webhooks signature and counts
raw requests and distinct ``webhook-id`` values):

``kill``
    1,000 notifications in the outbox; ``promise worker`` (a real process)
    is killed with SIGKILL at 20 random moments mid-delivery and restarted
    each time.  Every notification must reach the receiver, exactly once
    after deduplication by ``webhook-id``; the raw duplicate sends are reported.
``throughput``
    N notifications delivered by one worker process with no receiver delay:
    notifications/s (target >= 500).  Peer in the same run: the same signed
    POSTs from one process with the same concurrency and no database (the
    transport's own ceiling); the ratio is the outbox's cost.
``lag``
    A producer writes 200 warnings/s for D seconds, each in one unit of work
    (delay ticket + outbox row, as the monitor's wiring would), while a
    worker process delivers; outbox lag = sent - due, p50/p99 (target p99 < 2 s).

Usage::

    .venv/bin/python benchmarks/notify_outbox.py all --out benchmarks/out/notify_outbox.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PY = sys.executable
PROMISE = str(Path(PY).with_name("promise"))


# --- the receiver (its own process) -------------------------------------------------
def receiver_app(delay_s: float):  # type: ignore[no-untyped-def]
    import asyncio

    from standardwebhooks.webhooks import Webhook

    wh = Webhook(SECRET)
    raw: list[str] = []
    seen: set[str] = set()
    bad = [0]

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        if scope["method"] == "GET":
            body = json.dumps({"raw": len(raw), "distinct": len(seen), "bad_signatures": bad[0], "ids": sorted(seen)}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        chunks = []
        more = True
        while more:
            m = await receive()
            if m["type"] == "http.disconnect":
                return  # the sender died mid-request: nothing was delivered
            chunks.append(m.get("body", b""))
            more = m.get("more_body", False)
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            wh.verify(body, headers)
        except Exception:  # noqa: BLE001
            bad[0] += 1
        if delay_s:
            await asyncio.sleep(delay_s)
        mid = headers.get("webhook-id", "")
        raw.append(mid)
        seen.add(mid)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.port = _free_port()
        code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import uvicorn; from benchmarks.notify_outbox import receiver_app; "
                f"uvicorn.run(receiver_app({delay_s}), host='127.0.0.1', port={self.port}, log_level='warning', "
                f"loop='uvloop', http='httptools', access_log=False)")
        self.proc = subprocess.Popen([PY, "-c", code])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        import httpx

        for _ in range(200):
            try:
                httpx.get(self.url, timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("receiver did not start")

    def stats(self) -> dict:
        import httpx

        return httpx.get(self.url, timeout=10).json()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- helpers -------------------------------------------------------------------------
#: Set by ``--db-url``: run against this database (its ticket and outbox tables are emptied first).
DB_URL: str | None = None


def _url(path: Path) -> str:
    return DB_URL or f"sqlite:///{path}"


def _store(path: Path):  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from engine.store.repository import Store

    store = Store(_url(path))
    if DB_URL:
        with store.engine.begin() as c:
            c.execute(text("TRUNCATE outbox_attempts, outbox, ticket_changes, tickets, order_customers, customers RESTART IDENTITY"))
    return store


def _customers(store, n: int, url: str) -> None:  # type: ignore[no-untyped-def]
    from engine.domain.notification import ChannelKind, Customer
    from engine.store.aftersales import unit

    with unit(store) as u:
        for i in range(n):
            u.put_customer(Customer(f"c{i}", name=f"Customer {i}", language="zh_CN" if i % 3 == 0 else "en",
                                    timezone="Asia/Shanghai", channels=(ChannelKind.WEBHOOK,), addresses={"webhook": url},
                                    quiet_start=0, quiet_end=0, rate_per_hour=1000))
            u.link_order(f"o{i}", f"c{i}", "north" if i % 2 else "south")


def _enqueue(store, n: int, now: float) -> list[str]:  # type: ignore[no-untyped-def]
    from engine.notify import on_order_event, webhook_id
    from engine.store.aftersales import unit

    ids = []
    with unit(store) as u:
        for i in range(n):
            for nt in on_order_event(u, f"o{i}", "out_for_delivery", now, payload={"eta": now + 3600}):
                ids.append(webhook_id(nt.key))
    return ids


def _worker_cmd(db: Path, url: str, *, lease: float, batch: int, concurrency: int, once: bool = False) -> list[str]:
    cmd = [PROMISE, "worker", "--db", _url(db), "--webhook-secret", SECRET, "--webhook-url", url,
           "--lease", str(lease), "--batch", str(batch), "--concurrency", str(concurrency), "--idle", "0.02"]
    return cmd + (["--once"] if once else [])


def _counts(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from engine.store.aftersales import unit

    with unit(store) as u:
        return u.outbox_counts()


def _load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


# --- runs ----------------------------------------------------------------------------
def run_kill(n: int = 1000, kills: int = 20, seed: int = 0, delay_s: float = 0.08) -> dict:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="outbox-kill-"))
    db = tmp / "kill.db"
    store = _store(db)
    rx = Receiver(delay_s=delay_s)
    try:
        _customers(store, n, rx.url)
        expected = set(_enqueue(store, n, time.time()))
        t0 = time.perf_counter()
        kill_log = []
        for k in range(kills + 1):
            p = subprocess.Popen(_worker_cmd(db, rx.url, lease=1.0, batch=25, concurrency=8), stderr=subprocess.PIPE, text=True)
            p.stderr.readline()  # "worker ...: channels webhook": it is up
            if k == kills:
                break
            time.sleep(rng.uniform(0.05, 0.6))
            before = _counts(store)
            p.send_signal(signal.SIGKILL)
            p.wait()
            kill_log.append({"kill": k + 1, "sent_before": before.get("sent", 0), "sending": before.get("sending", 0)})
        deadline = time.time() + 120
        while time.time() < deadline and _counts(store).get("sent", 0) < n:
            time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        wall = time.perf_counter() - t0
        st = rx.stats()
        counts = _counts(store)
        from sqlalchemy import func, select

        from engine.store.tables import OutboxAttemptRow

        from engine.store.tables import OutboxRow

        with store.engine.connect() as c:
            attempts = int(c.execute(select(func.count()).select_from(OutboxAttemptRow)).scalar() or 0)
            claims = int(c.execute(select(func.sum(OutboxRow.attempts))).scalar() or 0)
        got = set(st["ids"])
        return {
            "notifications": n, "kills": len(kill_log), "kills_mid_delivery": sum(1 for x in kill_log if x["sent_before"] < n),
            "received_distinct": st["distinct"], "received_raw": st["raw"], "raw_duplicate_sends": st["raw"] - st["distinct"],
            "missing": len(expected - got), "unexpected": len(got - expected), "bad_signatures": st["bad_signatures"],
            "outbox": counts, "attempts_recorded": attempts, "claims": claims, "wall_s": round(wall, 2), "receiver_delay_s": delay_s,
            "kill_log": kill_log, "loadavg": _load(),
        }
    finally:
        rx.close()


def _peer_posts(url: str, n: int, concurrency: int) -> float:
    """Signed POSTs of the same bodies from one process, no database: the transport's ceiling."""
    from datetime import datetime, timezone

    import httpx
    from standardwebhooks.webhooks import Webhook

    wh = Webhook(SECRET)
    client = httpx.Client(limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
    body = json.dumps({"type": "order.out_for_delivery", "data": {"order_id": "o1", "text": "x" * 80}})

    def one(i: int) -> None:
        mid = f"msg_peer{i}"
        now = datetime.now(timezone.utc)
        r = client.post(url, content=body, headers={"webhook-id": mid, "webhook-timestamp": str(int(now.timestamp())),
                                                    "webhook-signature": wh.sign(mid, now, body), "content-type": "application/json"})
        r.raise_for_status()

    t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as ex:
        list(ex.map(one, range(n)))
    return n / (time.perf_counter() - t)


def run_throughput(n: int = 5000, concurrency: int = 32, batch: int = 200) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="outbox-tp-"))
    db = tmp / "tp.db"
    store = _store(db)
    rx = Receiver()
    try:
        _customers(store, n, rx.url)
        _enqueue(store, n, time.time())
        t = time.perf_counter()
        subprocess.run(_worker_cmd(db, rx.url, lease=30, batch=batch, concurrency=concurrency, once=True),
                       check=True, capture_output=True)
        wall = time.perf_counter() - t
        counts = _counts(store)
        st = rx.stats()
        peer = _peer_posts(rx.url, n, concurrency)
        ours = counts.get("sent", 0) / wall
        return {"database": "postgresql" if DB_URL else "sqlite", "notifications": n, "sent": counts.get("sent", 0), "wall_s_incl_startup": round(wall, 2),
                "per_s": round(ours, 1), "received_distinct": st["distinct"], "peer_raw_posts_per_s": round(peer, 1),
                "ratio_vs_peer": round(ours / peer, 2), "concurrency": concurrency, "batch": batch, "loadavg": _load()}
    finally:
        rx.close()


def run_lag(rate: float = 200.0, duration_s: float = 30.0, concurrency: int = 32, batch_every_s: float = 0.1,
            wal: bool = False) -> dict:
    import numpy as np

    from engine import notify, tickets
    from engine.domain.monitor import DelayWarning, NoticeKind, Severity
    from engine.store.aftersales import unit

    tmp = Path(tempfile.mkdtemp(prefix="outbox-lag-"))
    db = tmp / "lag.db"
    store = _store(db)
    rx = Receiver()
    n = int(rate * duration_s)
    try:
        _customers(store, n, rx.url)
        if wal and not DB_URL:
            from sqlalchemy import text

            with store.engine.connect() as c:
                c.execute(text("PRAGMA journal_mode=WAL"))
        worker = subprocess.Popen(_worker_cmd(db, rx.url, lease=30, batch=200, concurrency=concurrency),
                                  stderr=subprocess.PIPE, text=True)
        worker.stderr.readline()
        t0 = time.time()
        behind = 0.0
        # The monitor writes the notices of one ingest batch in one transaction: so does the producer here
        # (``batch_every_s`` of warnings per unit of work, each with its ticket and outbox rows).
        per = max(1, int(rate * batch_every_s))
        for b0 in range(0, n, per):
            due = t0 + b0 / rate
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            else:
                behind = max(behind, -wait)
            now = time.time()
            with unit(store) as u:
                for i in range(b0, min(n, b0 + per)):
                    w = DelayWarning(f"w{i}", "bench", 1, NoticeKind.DELAY, f"o{i}", now, now + 3600, 0.4, now + 4000,
                                     now + 5000, Severity.MAJOR, 3600.0, "van-3 broke down at 14:05")
                    tk = tickets.on_warning(u, w)
                    notify.on_warning(u, w, ticket_id=tk.ticket_id)
        produced_s = time.time() - t0
        deadline = time.time() + 60
        while time.time() < deadline and _counts(store).get("sent", 0) < n:
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        worker_said = worker.stderr.read().strip()[-300:]
        from sqlalchemy import select

        from engine.store.tables import OutboxRow

        with store.engine.connect() as c:
            rows = c.execute(select(OutboxRow.not_before, OutboxRow.sent_at)).all()
        lag = np.array([s - nb for nb, s in rows if s is not None])
        return {"warnings": n, "target_rate": rate, "warnings_per_transaction": per, "sqlite_wal": wal, "database": "postgresql" if DB_URL else "sqlite", "achieved_rate": round(n / produced_s, 1),
                "producer_max_behind_s": round(behind, 3), "sent": int(len(lag)),
                "lag_p50_s": round(float(np.percentile(lag, 50)), 3), "lag_p99_s": round(float(np.percentile(lag, 99)), 3),
                "lag_max_s": round(float(lag.max()), 3), "received_distinct": rx.stats()["distinct"], "worker_said": worker_said, "loadavg": _load()}
    finally:
        rx.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["kill", "throughput", "lag", "all"])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--wal", action="store_true", help="lag: put the SQLite file in WAL mode first")
    ap.add_argument("--db-url", default=None, help="a PostgreSQL URL instead of a fresh SQLite file (its ticket/outbox tables are emptied)")
    a = ap.parse_args()
    global DB_URL
    DB_URL = a.db_url
    out: dict = {"command": " ".join([Path(PY).name, *sys.argv]), "uptime_before": _load()}
    if a.what in ("kill", "all"):
        out["kill"] = run_kill(n=a.n or 1000, seed=a.seed)
        print(json.dumps({k: v for k, v in out["kill"].items() if k != "kill_log"}), flush=True)
    if a.what in ("throughput", "all"):
        out["throughput"] = run_throughput(n=a.n or 5000)
        print(json.dumps(out["throughput"]), flush=True)
    if a.what in ("lag", "all"):
        out["lag"] = run_lag(duration_s=a.duration, wal=a.wal)
        print(json.dumps(out["lag"]), flush=True)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
