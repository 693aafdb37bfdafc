"""Guards in front of every route: body size, JSON depth and load shedding (pure ASGI middleware).

Pure ASGI, not ``BaseHTTPMiddleware``: the body is read here, chunk by chunk,
so a chunked upload with no ``Content-Length`` meets the same limit as a
declared one, and an oversized body is refused without building it in full.

* **Body size**: per path prefix (``Settings.max_body_plans`` for
  ``/v1/plans``, ``Settings.max_body_events`` for ``/v1/carrier-events``,
  whose full batch must fit, ``Settings.max_body`` for the rest); 413 at once when the
  declared length is over, or as soon as the streamed bytes pass it.
* **Depth**: JSON nested deeper than ``Settings.max_json_depth`` is a 422
  before parsing (deep nesting costs recursion in every layer after).
* **Load shedding**: when the event loop lags more than
  ``Settings.shed_lag_ms`` behind (it is saturated, so every request would
  wait), new requests get a fast 503 with ``Retry-After`` instead of
  queueing seconds of latency.  Lag is both the smoothed lateness of a 10 ms
  timer and how overdue that timer is right now: within one long batch of
  requests (a hundred connections ready at once), the ones at its end are
  refused in microseconds instead of each adding its half millisecond to the
  wait of all that follow.  Health and readiness are never shed, nor plan
  submissions, which the bounded solve queue admits or refuses (429) itself.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable

import numpy as np

from engine.config import Settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NEVER_SHED = ("/healthz", "/readyz", "/docs", "/openapi.json")


def _body_limit(path: str, settings: Settings) -> int:
    """The largest body accepted on ``path``: bulk routes get room for their largest valid batch."""
    if path.startswith("/v1/plans"):
        return settings.max_body_plans
    if path.startswith("/v1/carrier-events"):
        return settings.max_body_events
    return settings.max_body


#: The bytes that decide JSON nesting: quotes, backslashes (which escape quotes) and brackets.
_STRUCTURAL = np.zeros(256, bool)
_STRUCTURAL[list(b'"\\[]{}')] = True


def json_depth(body: bytes) -> int:
    """Deepest nesting of ``[``/``{`` outside strings (escaped quotes respected), vectorised.

    Only the structural bytes are looked at (a few percent of a typical body), so a
    100 kB plan costs about a tenth of a millisecond of the event loop, not several.
    """
    a = np.frombuffer(body, np.uint8)
    pos = np.flatnonzero(_STRUCTURAL[a])
    if pos.size == 0:
        return 0
    s = a[pos]
    quote = s == 34
    bs = s == 92
    if bs.any():
        # A quote is escaped when the run of backslashes right before it is odd.
        adjacent = np.zeros(s.size, bool)
        adjacent[1:] = pos[1:] == pos[:-1] + 1
        i = np.arange(s.size)
        run_start = np.maximum.accumulate(np.where(bs & adjacent & np.roll(bs, 1), 0, i))
        run = np.where(bs, i - run_start + 1, 0)  # backslashes in the run ending here
        escaped = np.zeros(s.size, bool)
        escaped[1:] = adjacent[1:] & (run[:-1] % 2 == 1)
        quote &= ~escaped
    inside = (np.cumsum(quote) % 2 == 1) | quote
    step = ((s == 91) | (s == 123)).astype(np.int32) - ((s == 93) | (s == 125))
    step[inside] = 0
    return int(np.cumsum(step).max(initial=0))


def deeper_than(body: bytes, limit: int) -> int:
    """``json_depth(body)`` when it may exceed ``limit``, else 0; small bodies cost microseconds.

    A body with at most ``limit`` opening brackets cannot nest deeper than that, and
    counting them is a C loop: the checkout path never pays numpy's fixed overhead.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return 0
    depth = json_depth(body)
    return depth if depth > limit else 0


class LoopLag:
    """Measures how late the event loop runs a timer: a saturated loop answers late.

    Two readings: ``lag_s``, smoothed over the last few ticks (a loop that keeps
    falling behind), and :meth:`behind_s`, how late the next tick is right now
    (the loop is in the middle of a long batch of requests: every request still
    waiting in it will be answered that late, or later).
    """

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s = interval_s
        self.lag_s = 0.0
        self.tick = time.perf_counter()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def behind_s(self, now: float) -> float:
        """How overdue the timer is at ``now`` (``time.perf_counter()``): 0 while the loop keeps up."""
        return max(0.0, now - self.tick - self.interval_s)

    def start(self) -> None:
        """Run the timer on the current event loop (again, if the app moved to a new loop: tests)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._loop is not loop or self._task.done():
            self._loop = loop
            self.tick = time.perf_counter()
            self.lag_s = 0.0
            self._task = loop.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            t0 = self.tick = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            late = time.perf_counter() - t0 - self.interval_s
            # Smoothed over ~5 ticks: one slow request is not an overload, a loop that
            # keeps falling behind is.
            self.lag_s = 0.8 * self.lag_s + 0.2 * max(0.0, late)


class Timings:
    """Server-side time to the response head of the last ``size`` requests, and what was shed.

    Why keep them: a client on the same machine measures its own scheduling too; the
    server's figure (also sent to each client as ``Server-Timing: app;dur=<ms>``)
    separates the two.  ``/readyz`` reports the summary.
    """

    def __init__(self, size: int = 1 << 16) -> None:
        self._ms = np.zeros(size, np.float32)
        self.count = 0
        self.shed = 0
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        self._ms[self.count % self._ms.size] = ms
        self.count += 1
        if ms > self.max_ms:
            self.max_ms = ms

    def summary(self) -> dict[str, float | int]:
        """Counts since start-up; percentiles over the last ``size`` requests (milliseconds)."""
        recent = self._ms[: min(self.count, self._ms.size)]
        p50, p99 = np.percentile(recent, [50, 99]) if recent.size else (0.0, 0.0)
        return {"answered": self.count, "shed": self.shed, "p50_ms": round(float(p50), 3), "p99_ms": round(float(p99), 3),
                "max_ms": round(self.max_ms, 3)}


class Guard:
    """The ASGI middleware: size, depth and overload limits from ``Settings``."""

    def __init__(self, app: ASGIApp, settings_fn: Callable[[], Settings], timings: Timings | None = None) -> None:
        self.app = app
        self.settings_fn = settings_fn
        self.lag = LoopLag()
        self.timings = timings if timings is not None else Timings()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        timings = self.timings

        async def timed(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                ms = (time.perf_counter() - t0) * 1000.0
                timings.add(ms)
                msg = {**msg, "headers": [*msg.get("headers", ()), (b"server-timing", b"app;dur=%.2f" % ms)]}
            await send(msg)

        await self._guarded(scope, receive, timed)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.lag.start()
        settings = self.settings_fn()
        path: str = scope.get("path", "")
        lag_s = max(self.lag.lag_s, self.lag.behind_s(time.perf_counter()))
        if lag_s * 1000.0 > settings.shed_lag_ms and not path.startswith(_NEVER_SHED) and not _own_admission(path, scope):
            self.timings.shed += 1
            await _respond(send, 503, "server overloaded: try again shortly", retry_after=1)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = _body_limit(path, settings)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _respond(send, 413, f"request body of {declared:,} bytes; at most {limit:,} bytes here")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            part = msg.get("body", b"")
            size += len(part)
            if size > limit:
                await _respond(send, 413, f"request body over {limit:,} bytes")
                return
            chunks.append(part)
            if not msg.get("more_body", False):
                break
        body = b"".join(chunks)
        depth = deeper_than(body, settings.max_json_depth)
        if depth:
            await _respond(send, 422, [{"loc": ["body"], "msg": f"JSON nested {depth} deep; at most {settings.max_json_depth}", "type": "value_error"}])
            return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _own_admission(path: str, scope: Scope) -> bool:
    """Plan submissions have their own admission control (the bounded solve queue answers 429),
    and refusing one there costs less than the lag it would cause: they are not shed here."""
    return path == "/v1/plans" and scope.get("method") == "POST"


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", ()):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


async def _respond(send: Send, status: int, detail: Any, retry_after: int | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the upload is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
