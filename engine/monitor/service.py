"""``MonitorService``: the monitor with its state in the store, for API workers and the CLI.

Every write (start, a batch of events, an accepted rescue) runs in one store
transaction that first bumps the watched plan's version, which takes the
plan's write lock: a second worker waits, then sees the first one's state.
Each process keeps the :class:`Monitor` it last used with the version it
wrote; when the stored version has moved on (another worker wrote), it
rebuilds from the stored plan and state.  So two workers ingesting events
for one plan give the same warnings as one, and warning ids (derived from
plan, order and notice number) make a replayed write a no-op.

Past one machine: partition the event stream by watched plan (one plan per
depot or region); each plan's lock is one row, so plans scale out across
workers and database connections independently.

The store is passed in (any object with the ``monitor_*`` methods of
``engine.store.repository.Store``), and so is the function that reads a
stored plan document: the monitor imports neither.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from engine.domain.monitor import TrackingEvent
from engine.domain.plan import Plan
from engine.errors import InputError, NotFoundError
from engine.monitor.params import MonitorParams
from engine.monitor.records import event_to_doc, warning_to_doc
from engine.monitor.watch import EventResult, Monitor

__all__ = ["MonitorService", "params_from_doc", "params_to_doc"]

_PARAM_KEYS = ("warn_below", "clear_above", "confirm_s", "silent_after_s", "future_tolerance_s", "samples", "pace_prior_s", "rescue",
               "auto_apply", "neighbour_km", "max_takeovers")


def params_to_doc(p: MonitorParams) -> dict[str, Any]:
    return {k: getattr(p, k) for k in _PARAM_KEYS}


def params_from_doc(d: dict[str, Any] | None) -> MonitorParams:
    d = dict(d or {})
    unknown = set(d) - set(_PARAM_KEYS)
    if unknown:
        raise InputError(f"unknown monitor parameter {sorted(unknown)[0]!r}", item="params", field=sorted(unknown)[0])
    try:
        return MonitorParams(**d)
    except TypeError as exc:
        raise InputError(str(exc), item="params") from None


class MonitorService:
    """See the module docstring."""

    def __init__(self, store: Any, plan_from_doc: Callable[[dict[str, Any]], Plan]) -> None:
        self.store = store
        self._plan_from_doc = plan_from_doc
        self._cache: dict[str, tuple[int, Monitor]] = {}
        self._lock = threading.Lock()

    def start(self, plan_doc: dict[str, Any], promises: dict[str, float] | None = None, params: MonitorParams | None = None,
              *, seed: int = 0, plan_key: str | None = None) -> tuple[str, list[dict[str, Any]]]:
        """Watch ``plan_doc`` (it becomes the active plan); return its key and the warnings of the first forecast."""
        params = params or MonitorParams()
        key = plan_key or str(uuid.uuid4())
        plan = self._plan_from_doc(plan_doc)
        mon = Monitor(plan, promises, params, seed=seed, plan_key=key)
        with self._lock:
            self._cache.pop(key, None)
            self.store.monitor_start(key, plan_doc, promises or {}, {**params_to_doc(params), "seed": seed})
            notices = mon.start()
            docs = [warning_to_doc(n) for n in notices]
            _, version = self.store.monitor_transaction(key, lambda v, load, existing: {"state": mon.dump(), "warnings": docs, "records": notices})
            self._cache[key] = (version, mon)
        return key, docs

    def active(self) -> dict[str, Any]:
        act = self.store.monitor_active()
        if act is None:
            raise NotFoundError("no watched plan: start the monitor (POST /v1/monitor/start or `promise monitor start`)")
        return act

    def _monitor(self, act: dict[str, Any], version: int, load_state: Callable[[], dict[str, Any] | None]) -> Monitor:
        hit = self._cache.get(act["plan_key"])
        if hit is not None and hit[0] == version:
            return hit[1]
        params = dict(act["params"])
        seed = int(params.pop("seed", 0))
        mon = Monitor(self._plan_from_doc(act["plan"]), {k: float(v) for k, v in act["promises"].items()} or None,
                      params_from_doc(params), seed=seed, plan_key=act["plan_key"])
        state = load_state()
        if state is not None:
            mon.load(state)
        return mon

    def _write(self, act: dict[str, Any], fn: Callable[[Monitor, Callable[[list[str]], set[str]]], dict[str, Any]]) -> Any:
        key = act["plan_key"]
        box: list[Monitor] = []

        def work(version: int, load_state: Callable[[], Any], existing: Callable[[list[str]], set[str]]) -> dict[str, Any]:
            mon = self._monitor(act, version, load_state)
            box.append(mon)
            out = fn(mon, existing)
            out["state"] = mon.dump()
            return out

        with self._lock:
            try:
                result, version = self.store.monitor_transaction(key, work)
            except BaseException:
                self._cache.pop(key, None)  # its in-memory state may be ahead of the store now
                raise
            self._cache[key] = (version, box[0])
        return result

    def ingest(self, events: list[TrackingEvent], *, now: float | None = None) -> tuple[list[EventResult], list[dict[str, Any]]]:
        """Apply a batch to the active plan: a result per event (in order) and the warnings it produced."""
        act = self.active()

        def fn(mon: Monitor, existing: Callable[[list[str]], set[str]]) -> dict[str, Any]:
            stored = existing([e.event_id for e in events])
            fresh = [e for e in events if e.event_id not in stored]
            results, notices = mon.ingest(fresh, now=now)
            by_id = {r.event_id: r for r in results}
            out: list[EventResult] = []
            for e in events:
                r = by_id.get(e.event_id) if e.event_id not in stored else None
                out.append(r if r is not None else EventResult(e.event_id, "duplicate"))
            ok = {r.event_id for r in results if r.status == "accepted"}
            docs = [warning_to_doc(n) for n in notices]
            return {"events": [{**event_to_doc(e), "event_id": e.event_id, "at": e.at} for e in fresh if e.event_id in ok],
                    "warnings": docs, "records": notices, "delivered": mon.take_delivered(), "result": (out, docs)}

        return self._write(act, fn)

    def tick(self, now: float) -> list[dict[str, Any]]:
        """Move the active plan's time to ``now`` (silence, broken promises) and store what it says."""
        act = self.active()

        def fn(mon: Monitor, _existing: Any) -> dict[str, Any]:
            notices = mon.tick(now)
            docs = [warning_to_doc(n) for n in notices]
            return {"warnings": docs, "records": notices, "result": docs}

        return self._write(act, fn)

    def accept(self, warning_id: str) -> list[dict[str, Any]]:
        """Apply the rescue proposed with ``warning_id``; return the warnings the new forecast gives."""
        act = self.active()
        stored = self.store.monitor_warning(warning_id)
        if stored is None:
            raise NotFoundError(f"no warning {warning_id!r}")
        if stored.get("accepted"):
            return []

        def fn(mon: Monitor, _existing: Any) -> dict[str, Any]:
            notices = mon.accept(warning_id)
            docs = [warning_to_doc(n) for n in notices]
            return {"warnings": docs, "records": notices, "accepted": [warning_id], "result": docs}

        return self._write(act, fn)

    def known_incidents(self) -> list[Any]:
        """The incidents the active plan's monitor knows (as stored: any worker sees them).

        For checkout: ``quote_adjustment(lat, lon, at, incidents=service.known_incidents())``.
        """
        from engine.monitor.watch import incident_from_doc

        act = self.store.monitor_active()
        state = self.store.monitor_state(act["plan_key"]) if act is not None else None
        return [incident_from_doc(d) for d in (state or {}).get("incidents", [])]

    def order_state(self, order_id: str) -> dict[str, Any]:
        """The active plan's current watch of one order (as the last write left it)."""
        act = self.active()
        version = self.store.monitor_version(act["plan_key"])
        with self._lock:
            hit = self._cache.get(act["plan_key"])
            mon = hit[1] if hit is not None and hit[0] == version else None
        if mon is None:
            mon = self._write(act, lambda m, _e: {"result": m})
        w = mon.state_of(order_id)
        return {"order_id": w.order_id, "state": str(w.state), "severity": str(w.severity), "p_on_time": w.p_on_time,
                "vehicle_id": w.vehicle_id, "carrier_id": w.carrier_id}
