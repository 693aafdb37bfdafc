"""The outbox worker: claim due notifications, send them, record every attempt, retry or dead-letter.

One round: :meth:`Outbox.claim` marks a batch ``sending`` (with a lease, and
counts the attempt) *before* any network call; the batch is rendered and sent
concurrently; one :meth:`Outbox.finish` records each attempt and moves each
row to ``sent``, back to ``pending`` with a backoff, or to ``dead`` with the
reason.  A worker killed mid-batch leaves rows ``sending``; once their lease
runs out any worker sends them again with the **same** ``webhook-id``, so the
receiver, deduplicating by it, sees each notification once (the raw duplicate
sends are the price of never losing one).

The backoff between attempts is exponential with jitter, computed by
``tenacity``'s ``wait_exponential_jitter`` from the attempt number stored on
the row: the retry schedule survives restarts instead of living in one
process's sleep.  Time comes from a :class:`engine.clock.Clock`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import tenacity

from engine.clock import Clock
from engine.domain.notification import Attempt, ChannelKind, Notification, OutboxStatus
from engine.errors import InputError, UnavailableError
from engine.notify.channels import Channel, DeliveryError
from engine.notify.messages import render
from engine.notify.repo import Outbox, Outcome

__all__ = ["RetryPolicy", "Worker", "deliver"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts before the dead letter, and the exponential backoff with jitter between them."""

    max_attempts: int = 8
    initial_s: float = 2.0
    max_s: float = 900.0
    jitter_s: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InputError("max_attempts must be >= 1", item="worker", field="max_attempts")

    def backoff_s(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        wait = tenacity.wait_exponential_jitter(multiplier=self.initial_s, max=self.max_s, jitter=self.jitter_s)
        state = tenacity.RetryCallState(retry_object=tenacity.Retrying(), fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        return float(wait(state))


def deliver(n: Notification, channels: Mapping[ChannelKind, Channel], retry: RetryPolicy, now: float) -> Outcome:
    """One attempt at ``n`` (already claimed): the outcome to record."""
    t0 = time.perf_counter()
    code: int | None = None
    error: str | None = None
    permanent = False
    ch = channels.get(n.channel)
    try:
        if ch is None:
            raise DeliveryError(f"no {n.channel} channel configured on this worker", permanent=True)
        msg = render(n.event, n.channel, n.payload, language=n.language, tz=str(n.payload.get("tz") or "UTC"))
        code = ch.send(n, msg)
    except DeliveryError as exc:
        error, permanent, code = str(exc), exc.permanent, exc.status_code
    except Exception as exc:  # noqa: BLE001 -- a template or adapter bug must not kill the worker: dead-letter it
        error, permanent = f"{type(exc).__name__}: {exc}"[:200], True
    dt = time.perf_counter() - t0
    attempt = Attempt(n.notification_id or 0, n.attempts, now, ok=error is None, duration_s=dt, error=error, status_code=code)
    if error is None:
        return Outcome(attempt, OutboxStatus.SENT)
    if permanent or n.attempts >= retry.max_attempts:
        why = error if permanent else f"gave up after {n.attempts} attempts: {error}"
        return Outcome(attempt, OutboxStatus.DEAD, error=why)
    return Outcome(attempt, OutboxStatus.PENDING, not_before=now + retry.backoff_s(n.attempts), error=error)


class Worker:
    """Drains an :class:`Outbox` through ``channels``.

    Parameters
    ----------
    batch
        Rows claimed per round.
    concurrency
        Sends in flight at once (threads; the channels' HTTP clients pool connections).
    lease_s
        How long a claim holds; a row still ``sending`` after it is taken again.
        Longer than the slowest send (the channels' timeouts).
    """

    def __init__(self, outbox: Outbox, channels: Mapping[ChannelKind, Channel], clock: Clock, *,
                 retry: RetryPolicy = RetryPolicy(), batch: int = 200, concurrency: int = 16, lease_s: float = 60.0,
                 worker_id: str | None = None) -> None:
        if batch < 1 or concurrency < 1 or lease_s <= 0:
            raise InputError("batch, concurrency and lease_s must be > 0", item="worker", field="batch")
        self.outbox, self.channels, self.clock, self.retry = outbox, dict(channels), clock, retry
        self.batch, self.lease_s = batch, lease_s
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="outbox")
        self.sent = self.failed = self.dead = self.db_errors = 0
        self.last_db_error: str | None = None

    def run_once(self) -> int:
        """One claim-send-record round; how many rows it handled (0: nothing due)."""
        rows = self._db(lambda: self.outbox.claim(self.clock.now(), limit=self.batch, lease_s=self.lease_s,
                                                  worker_id=self.worker_id))
        if not rows:
            return 0
        now = self.clock.now()
        outcomes = list(self._pool.map(lambda n: deliver(n, self.channels, self.retry, now), rows))
        # Losing this write would leave the batch "sending" until the lease ends (then sent twice): insist a little.
        self._db(lambda: self.outbox.finish(self.worker_id, outcomes))
        for o in outcomes:
            self.sent += o.status == OutboxStatus.SENT
            self.failed += o.status == OutboxStatus.PENDING
            self.dead += o.status == OutboxStatus.DEAD
        return len(rows)

    def _db(self, call):  # type: ignore[no-untyped-def]
        """``call()`` retried on a busy database (a lock held by a writer): short exponential backoff with jitter."""
        for attempt in tenacity.Retrying(
            stop=tenacity.stop_after_attempt(6), wait=tenacity.wait_exponential_jitter(multiplier=0.05, max=1.0, jitter=0.05),
            retry=tenacity.retry_if_exception_type(UnavailableError), sleep=self.clock.sleep, reraise=True,
        ):
            with attempt:
                return call()

    def run(self, *, stop: Callable[[], bool] = lambda: False, idle_s: float = 0.2, max_rounds: int | None = None) -> None:
        """Rounds until ``stop()`` (or ``max_rounds``); sleeps ``idle_s`` on the clock when nothing is due."""
        rounds = 0
        while not stop() and (max_rounds is None or rounds < max_rounds):
            rounds += 1
            try:
                handled = self.run_once()
            except UnavailableError as exc:
                # The database is busy or down: what this round claimed stays "sending" until its lease
                # runs out and is sent again then (same webhook-id); the worker itself carries on.
                self.db_errors += 1
                self.last_db_error = str(exc)
                handled = 0
            if handled == 0:
                self.clock.sleep(idle_s)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
