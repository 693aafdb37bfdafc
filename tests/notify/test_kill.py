"""A small version of benchmarks/notify_outbox.py kill: SIGKILL the worker mid-delivery, restart, nothing lost.

The receiver deduplicates by ``webhook-id``; raw duplicates are allowed (and
expected: a killed batch is sent again once its lease runs out).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.domain.notification import ChannelKind, Customer, OutboxStatus
from engine.notify import on_order_event, webhook_id
from engine.store.aftersales import unit
from engine.store.repository import Store
from tests.notify.receiver import SECRET, Receiver

PROMISE = str(Path(sys.executable).with_name("promise"))


def test_sigkill_mid_delivery_loses_nothing(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'kill.db'}"
    store = Store(db)
    n = 40
    with Receiver() as rx:
        rx.delay_s = 0.02
        with unit(store) as u:
            for i in range(n):
                u.put_customer(Customer(f"c{i}", channels=(ChannelKind.WEBHOOK,), addresses={"webhook": rx.url},
                                        quiet_start=0, quiet_end=0))
                u.link_order(f"o{i}", f"c{i}")
                on_order_event(u, f"o{i}", "delivered", time.time())
        cmd = [PROMISE, "worker", "--db", db, "--webhook-secret", SECRET, "--lease", "0.5", "--batch", "5",
               "--concurrency", "2", "--idle", "0.02"]
        for _ in range(2):
            p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
            p.stderr.readline()
            time.sleep(0.3)
            p.send_signal(signal.SIGKILL)
            p.wait()
        p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        p.stderr.readline()  # started, SIGTERM handler installed: the two killed workers may have sent everything
        deadline = time.time() + 30
        while time.time() < deadline and len({m for m, _ in rx.calls}) < n:
            time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
        ids = {m for m, _ in rx.calls}
        assert ids == {webhook_id(f"order:o{i}:delivered/webhook") for i in range(n)}
        assert rx.bad_signatures == 0 and len(rx.calls) >= n
    with unit(store) as u:
        assert {x.status for x in u.notifications_for(limit=1000)} == {OutboxStatus.SENT}
