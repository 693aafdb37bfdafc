"""One clock for every timer: SLA clocks, outbox retries, plan heartbeats and the simulator.

Code that needs "now" or wants to wait takes a :class:`Clock` instead of
calling ``time.time()``; production passes :class:`WallClock`, tests and the
simulator pass :class:`SimClock`, which only moves when told to, so a 24-hour
SLA can be tested in microseconds and a simulated day replays identically.
"""

from __future__ import annotations

import heapq
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Protocol, runtime_checkable

__all__ = ["Clock", "WallClock", "SimClock"]


@runtime_checkable
class Clock(Protocol):
    """What the engine needs of time: the current instant and a way to wait."""

    def now(self) -> float:
        """Seconds since the Unix epoch (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the caller for ``seconds`` of this clock's time."""
        ...


def as_datetime(clock: Clock) -> datetime:
    """The clock's ``now()`` as an aware UTC datetime."""
    return datetime.fromtimestamp(clock.now(), tz=timezone.utc)


class WallClock:
    """Real time."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "WallClock()"


class SimClock:
    """Simulated time that moves only through :meth:`advance` / :meth:`set` (or ``sleep``).

    ``sleep`` advances the clock itself (a single-threaded simulation never
    blocks), and callbacks registered with :meth:`call_at` fire in time order as
    the clock passes them, which is how the simulator schedules its events.
    """

    def __init__(self, start: float | datetime = 0.0) -> None:
        self._t = start.timestamp() if isinstance(start, datetime) else float(start)
        self._lock = threading.Lock()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def call_at(self, at: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the clock reaches ``at`` (immediately if it already has)."""
        with self._lock:
            heapq.heappush(self._timers, (float(at), self._seq, callback))
            self._seq += 1
        self._fire(self._t)

    def set(self, t: float | datetime) -> None:
        """Jump to ``t``; time never goes backwards."""
        target = t.timestamp() if isinstance(t, datetime) else float(t)
        if target < self._t:
            raise ValueError(f"SimClock cannot go back from {self._t} to {target}")
        self._fire(target)
        self._t = target

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``, firing due callbacks in order."""
        if seconds < 0:
            raise ValueError("SimClock.advance needs seconds >= 0")
        self.set(self._t + seconds)

    def _fire(self, until: float) -> None:
        while True:
            with self._lock:
                if not self._timers or self._timers[0][0] > until:
                    return
                at, _, cb = heapq.heappop(self._timers)
            self._t = max(self._t, at)  # callbacks see their own time
            cb()

    def __repr__(self) -> str:
        return f"SimClock({self._t!r})"
