"""Incidents known in advance reach checkout: quotes in the affected area and time widen, and say why.

Promise (the quote rules) sits upstream of the monitor, so it cannot ask the
monitor; the API, which composes both, applies the monitor's
:func:`engine.monitor.incidents.quote_adjustment` to each quoted option.  The
incidents come from the store (any API worker sees those another ingested)
and are kept for a few seconds, so a checkout quote does not pay a database
read.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from engine.monitor.incidents import quote_adjustment

__all__ = ["widen", "incidents_from", "invalidate"]

_TTL_S = 5.0
_lock = threading.Lock()
#: (fresh until, incidents); ``fresh until`` 0.0: never read (or invalidated)
_cached: tuple[float, list[Any]] = (0.0, [])
_refreshing = False
#: bumped by :func:`invalidate`: a read begun before it must not be kept after it
_generation = 0


def _read(store: Any) -> list[Any]:
    try:
        from engine.monitor.service import MonitorService

        from engine.io.problem_json import plan_from_dict

        return MonitorService(store, plan_from_dict).known_incidents()
    except Exception:  # noqa: BLE001 - checkout must answer even when the monitor's state cannot be read
        return []


def _keep(found: list[Any], since: int, now: float) -> None:
    # Under _lock.  A read that began before an invalidate may predate what was ingested.
    global _cached
    if since == _generation:
        _cached = (now + _TTL_S, found)


def _refresh(store: Any, since: int) -> None:
    global _refreshing
    found = _read(store)
    with _lock:
        _keep(found, since, time.monotonic())
        _refreshing = False


def incidents_from(store: Any) -> list[Any]:
    """The active plan's incidents, as stored, re-read at most every few seconds.

    Only the first read (and the first after :func:`invalidate`) is made by the request
    that asks; once the copy is older than a few seconds, requests keep using it while one
    background thread reads the store again, so a checkout quote never waits on a
    database read (or on a writer holding its lock).
    """
    global _refreshing
    now = time.monotonic()
    with _lock:
        fresh_until, found = _cached
        if fresh_until > now:
            return found
        stale = fresh_until > 0.0
        since = _generation
        if stale and not _refreshing:
            _refreshing = True
            threading.Thread(target=_refresh, args=(store, since), name="incidents-refresh", daemon=True).start()
    if stale:
        return found
    found = _read(store)
    with _lock:
        _keep(found, since, now)
    return found


def invalidate() -> None:
    """Forget the copy: incidents this process just ingested reach the next quote at once."""
    global _cached, _generation
    with _lock:
        _generation += 1
        _cached = (0.0, [])


def widen(quote: dict[str, Any], lat: float, lon: float, incidents: list[Any]) -> dict[str, Any]:
    """Push each available option's promise (and p50) out by what the incidents cost, with the reason."""
    if not incidents:
        return quote
    for opt in quote.get("options", ()):
        when = opt.get("promised_by")
        if not opt.get("available") or not when:
            continue
        t = datetime.fromisoformat(when)
        extra, why = quote_adjustment(lat, lon, t.timestamp(), incidents=incidents)
        if extra <= 0:
            continue
        step = timedelta(seconds=300 * -(-extra // 300))  # whole 5-minute steps, as promises are rounded
        opt["promised_by"] = (t + step).isoformat()
        if opt.get("p50"):
            opt["p50"] = (datetime.fromisoformat(opt["p50"]) + step).isoformat()
        opt["reason"] = f"later by {int(step.total_seconds() // 60)} min: {why}"
    return quote
