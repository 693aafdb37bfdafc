"""A real ``promise serve`` process on 127.0.0.1 for fault tests: start, wait until ready, kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_for(store: Any, role: str = "admin") -> Any:
    """An in-process ``TestClient`` of a fresh app serving ``store``, with a key of ``role``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from api.deps import get_store
    from api.main import create_app
    from engine.config import Settings

    app = create_app(Settings())
    app.dependency_overrides[get_store] = lambda: store
    return TestClient(app, headers={"Authorization": f"Bearer {key_for(store, role)}"})


def wait_for_status(get: Any, plan_id: str, statuses: tuple[str, ...] = ("done", "failed"), timeout_s: float = 90.0) -> dict:
    """Poll ``GET /v1/plans/{id}`` through ``get`` (a client's ``get``) until the status is one of ``statuses``."""
    deadline = time.monotonic() + timeout_s
    doc: dict = {}
    while time.monotonic() < deadline:
        doc = get(f"/v1/plans/{plan_id}").json()
        if doc.get("status") in statuses:
            return doc
        time.sleep(0.05)
    raise AssertionError(f"plan {plan_id} not {'/'.join(statuses)} after {timeout_s} s: {doc}")


def key_for(db_url_or_store: Any, role: str = "admin") -> str:
    """A fresh API key of ``role`` in that database (created the way ``promise keys create`` does)."""
    from engine.config import Settings
    from engine.store.keys import create_key
    from engine.store.repository import Store

    if isinstance(db_url_or_store, Store):
        return create_key(db_url_or_store, role, "test", Settings())[1]
    store = Store(db_url_or_store)
    try:
        return create_key(store, role, "test", Settings())[1]
    finally:
        store.engine.dispose()  # no connection of this process may linger on a server's database


class Server:
    """``promise serve`` in its own session (so a kill reaches its solver workers too)."""

    def __init__(self, db: Path, port: int | None = None, role: str = "admin", **settings: Any) -> None:
        self.db = db
        self.port = port or free_port()
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = db.with_suffix(f".{self.port}.log")
        self.key = key_for(f"sqlite:///{db}", role)

    @property
    def headers(self) -> dict[str, str]:
        """What a client sends: the test key."""
        return {"Authorization": f"Bearer {self.key}"}

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, **kw)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> "Server":
        env = dict(os.environ)
        env.update({f"PROMISE_{k.upper()}": str(v) for k, v in self.settings.items()})
        env["PROMISE_DB_URL"] = f"sqlite:///{self.db}"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server not ready after {timeout_s} s: {self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL, timeout_s: float = 30.0) -> float:
        """Send ``sig`` to the server (SIGKILL: to its whole session); return seconds until it exited."""
        if self.proc is None:
            return 0.0
        t0 = time.monotonic()
        try:
            if sig == signal.SIGKILL:
                os.killpg(self.proc.pid, sig)
            else:
                self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout_s)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        finally:
            try:  # nothing of this session may outlive the test
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self.proc = None
        return time.monotonic() - t0

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
