"""Carrier backlogs reach checkout: the live drift correction, fed by carrier tracking events.

A fitted model knows the calendar, not that a carrier is running days behind
this week.  :class:`engine.eta.drift.DriftState` learns that from the
promises the *uncorrected* model gave and the deliveries that followed; this
module feeds it from ``POST /v1/carrier-events``:

* ``accepted``: the carrier took the parcel.  The server prices the parcel's
  uncorrected promise itself (the model, no drift) at ingest and stores it in
  the event, so the correction never chases its own effect and a replay costs
  no quoting;
* ``delivered``: the parcel arrived.

Events are stored (the ``events`` table, kinds ``carrier_accepted`` and
``carrier_delivered``), so any API worker sees what another ingested and a
restart loses nothing.  Each process keeps one state per region, built from
the stored events of the last :data:`LOOKBACK_DAYS` days on first use and then
brought up to date with the events after the last id it applied, at most
every :data:`TTL_S` seconds.  As in :mod:`api.incidents`, checkout never waits
for that read: a stale state is used while one background thread reads; the
ingesting request brings its own process up to date before it answers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from engine.eta.drift import DriftParams, DriftState

__all__ = ["KINDS", "LOOKBACK_DAYS", "PARAMS", "TTL_S", "drift", "refresh", "summary", "reset"]

KINDS = ("carrier_accepted", "carrier_delivered")
#: Events older than this are not read on a cold start: the window (10 days),
#: the longest promise horizons (two weeks) and the correction's grid (3 days), with room.
LOOKBACK_DAYS = 45
TTL_S = 5.0
#: A delivery reported before its acceptance waits this long for it (then it is counted as lost, see ``orphans``).
_ORPHAN_S = 30 * 86400.0


#: The correction every region's state uses; ingest prices each accepted parcel at its narrow levels.
PARAMS = DriftParams()


@dataclass
class _Region:
    state: DriftState = field(default_factory=lambda: DriftState(PARAMS))
    last_id: int = 0
    fresh_until: float = 0.0
    refreshing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: deliveries whose acceptance has not been seen yet: order id -> (key, delivered)
    early: dict[str, tuple[str, float]] = field(default_factory=dict)
    orphans: int = 0
    keys: set[str] = field(default_factory=set)
    events: int = 0


_lock = threading.Lock()
#: (store id, region) -> state; one store per process in production, several in tests
_regions: dict[tuple[int, str], _Region] = {}


def reset() -> None:
    """Forget every state (tests; a process re-reads the store on next use)."""
    with _lock:
        _regions.clear()


def _apply(reg: _Region, region: str, rows: list[tuple[int, str, datetime, str | None, dict[str, Any]]], now: float) -> None:
    # Under reg.lock.  Advance first: a delivery is only taken once the state's clock has passed it.
    st = reg.state
    st.advance(max(st.now, now, *(r[2].timestamp() for r in rows if r[1] == "carrier_delivered")) if rows else max(st.now, now))
    opened: dict[str, tuple[list[str], list[float], list[str], list[float], list[list[float]], list[float]]] = {}
    levels = list(st.params.narrow_levels)
    closed: dict[str, tuple[list[str], list[float]]] = {}
    for _eid, kind, at, oid, p in rows:
        reg.events += 1
        key = str(p.get("key", ""))
        reg.keys.add(key)
        if kind == "carrier_accepted":
            ids, pr, se, md, lo, cap = opened.setdefault(key, ([], [], [], [], [], []))
            ids.append(str(oid))
            # Stored with every accepted event, null where uncapped; absent (NaN here) from events stored before caps.
            cap.append(math.nan if "cap" not in p else math.inf if p["cap"] is None else float(p["cap"]))
            pr.append(float(p["promised"]))
            se.append(str(p.get("season", "")))
            md.append(float(p.get("p50", p["promised"])))
            lo.append(_rungs(p.get("rungs"), levels))
        else:
            ids, de = closed.setdefault(key, ([], []))
            ids.append(str(oid))
            de.append(at.timestamp())
    for key, (ids, pr, se, md, lo, cap) in opened.items():
        st.open(key, ids, pr, seasons=se, median=md, rungs=lo, cap=_caps(region, key, pr, cap))
    # Deliveries that arrived before their acceptance: closed now that it is here.
    for key, (ids, *_rest) in opened.items():
        late = [(i, reg.early.pop(i)) for i in ids if i in reg.early]
        if late:
            st.close(key, [i for i, _ in late], [d for _, (_k, d) in late])
    for key, (ids, de) in closed.items():
        known = [st.holds(key, i) for i in ids]
        now_ids = [(i, d) for i, d, k in zip(ids, de, known) if k]
        for i, d, k in zip(ids, de, known):
            if not k:
                reg.early[i] = (key, d)
        if now_ids:
            st.close(key, [i for i, _ in now_ids], [d for _, d in now_ids])
    cut = st.now - _ORPHAN_S
    stale = [i for i, (_k, d) in reg.early.items() if d < cut]
    for i in stale:
        del reg.early[i]
    reg.orphans += len(stale)


def _caps(region: str, key: str, promised: list[float], caps: list[float]) -> list[float]:
    """Each accepted parcel's widening cap; events stored before caps get theirs from the region's model now
    (else their same-day promises would be measured as if they could move into tomorrow)."""
    c = np.asarray(caps, dtype=np.float64)
    miss = np.isnan(c)
    if miss.any():
        from engine.promise import QuoteError, widen_caps  # noqa: PLC0415
        from engine.promise.registry import model_for  # noqa: PLC0415

        try:
            c[miss] = widen_caps(model_for(region), key, np.asarray(promised, dtype=np.float64)[miss])
        except QuoteError:
            c[miss] = math.inf  # a region or service the model no longer knows: not capped
    return c.tolist()


def _rungs(stored: Any, levels: list[float]) -> list[float]:
    """An accepted event's promises at the state's narrow levels; NaN (not measured) where it holds none for a level
    (events stored before narrowing by level, or by a server with other levels)."""
    if not isinstance(stored, dict):
        return [math.nan] * len(levels)
    by = dict(zip(stored.get("levels", []), stored.get("promised", [])))
    return [math.nan if by.get(lv) is None else float(by[lv]) for lv in levels]


def _region(store: Any, region: str) -> _Region:
    k = (id(store), region.lower())
    with _lock:
        reg = _regions.get(k)
        if reg is None:
            reg = _regions[k] = _Region()
        return reg


def refresh(store: Any, region: str, now: float) -> DriftState:
    """Bring this process's state of ``region`` up to date with the store now (the ingesting request calls this)."""
    reg = _region(store, region)
    with reg.lock:
        since = None
        if reg.last_id == 0:
            since = datetime.fromtimestamp(now, timezone.utc) - timedelta(days=LOOKBACK_DAYS)
        while True:
            rows = store.events_after(list(KINDS), after_id=reg.last_id, since=since)
            mine = [r for r in rows if str(r[4].get("region", "")).lower() == region.lower()]
            if not rows:
                break
            _apply(reg, region, mine, now)
            reg.last_id = max(reg.last_id, rows[-1][0])
            if len(rows) < 100_000:
                break
        if not math.isfinite(reg.state.now) or reg.state.now < now:
            reg.state.advance(max(reg.state.now, now))
        reg.fresh_until = time.monotonic() + TTL_S
    return reg.state


def _background(store: Any, region: str, now: float) -> None:
    reg = _region(store, region)
    try:
        refresh(store, region, now)
    except Exception:  # noqa: BLE001 - checkout keeps the state it has; the next quote tries again
        pass
    finally:
        reg.refreshing = False


def drift(store: Any, region: str, now: float) -> DriftState | None:
    """The live correction of ``region`` for a quote: None until its first carrier event has been read.

    Never reads the store in the caller's thread: a missing or stale state is
    read by one background thread while quotes use what is there.
    """
    reg = _region(store, region)
    if reg.fresh_until <= time.monotonic() and not reg.refreshing:
        reg.refreshing = True
        threading.Thread(target=_background, args=(store, region, now), name="backlog-refresh", daemon=True).start()
    return reg.state if reg.events else None


def summary(store: Any, region: str, now: float) -> dict[str, Any]:
    """Per carrier/service: the current shift, the window's coverage, parcels open; for dispatchers."""
    st = refresh(store, region, now)
    reg = _region(store, region)
    out = {}
    for key in sorted(reg.keys):
        cov, cov_s = st.coverage(key), st.coverage_at_shift(key, "")
        labels = st.seasons(key)
        out[key] = {
            "shift_h": float(st.shift(key, "")) / 3600.0,
            "level": None if math.isnan(lv := float(st.level(key, ""))) else lv,
            "coverage": None if math.isnan(cov) else cov,
            "coverage_at_shift": None if math.isnan(cov_s) else float(cov_s),
            "open": st.open_count(key),
            "seasons": {lab: float(st.shift(key, lab)) / 3600.0 for lab in labels},
            "season_levels": {lab: lv for lab in labels if not math.isnan(lv := float(st.level(key, lab)))},
        }
    return {"region": region.lower(), "as_of": datetime.fromtimestamp(st.now, timezone.utc).isoformat() if math.isfinite(st.now) else None,
            "events": reg.events, "waiting_for_acceptance": len(reg.early), "orphans": reg.orphans, "services": out}
