"""Replay a day through the monitor (or a baseline rule) and score its warnings against the truth.

Scores (per order, against the true delivery time):

* ``recall_30min``: of the orders really late (in the day as generated), the
  share warned at least 30 minutes before their promise passed;
* ``precision``: of the orders warned (a ``delay`` notice before the promise),
  the share really late or rescued; ``precision_late_only`` without the rescued;
* ``median_lead_min``: median minutes from the first warning to the promise,
  over warned orders that were late;
* ``rescued_share``: of the warned orders that were late, the share the applied
  rescue moves brought back on time (re-driven on the receiving van's true pace);
* ``events_per_s`` and ``warning_p99_s``: in-process here (ingest + forecast +
  notices per batch); the HTTP figures come from ``benchmarks/monitor_replay.py``.

Baselines: ``p50`` warns an order when the naive p50 ETA (the plan's remaining
times from the van's latest position, no pace learning, no incidents) passes
its promise; ``behind15`` warns every remaining order of a van more than 15
minutes behind its planned schedule.  Both see the same event stream.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.domain.monitor import NoticeKind, TrackingEvent, TrackKind
from engine.geo import haversine_m
from engine.monitor.dayplay import DayPlay
from engine.monitor.forecast import CARRIER_TRANSIT, vehicle_start
from engine.monitor.params import MonitorParams
from engine.monitor.tracks import VehicleTrack
from engine.monitor.watch import Monitor

__all__ = ["replay_day", "baseline_day", "score", "batches"]

_SERVICE = 180.0
_MEET = 300.0


def batches(events: list[TrackingEvent], batch_s: float) -> list[list[TrackingEvent]]:
    """The stream cut into consecutive batches of ``batch_s`` seconds of stream order (as it would arrive)."""
    out: list[list[TrackingEvent]] = []
    cur: list[TrackingEvent] = []
    edge = None
    for ev in events:
        if edge is None:
            edge = ev.at + batch_s
        if ev.at >= edge and cur:
            out.append(cur)
            cur = []
            edge = ev.at + batch_s
        cur.append(ev)
    if cur:
        out.append(cur)
    return out


def score(day: DayPlay, first_warn: dict[str, float], rescued: set[str] | None = None,
          moved: set[str] | None = None, *, split: bool = True) -> dict[str, Any]:
    """Recall, precision and lead time of ``first_warn`` (order -> time of its first delay warning).

    With ``split``, the same figures for own-fleet orders and carrier parcels
    under ``own_fleet`` and ``carrier`` (missed sorts are found hours ahead and
    would otherwise dominate the lead time).
    """
    rescued = rescued or set()
    moved = moved or set()
    out = _score(day, day.promises.keys(), first_warn, rescued, moved)
    if split:
        own = {o for r in day.plan.routes for o in r.order_ids}
        out["own_fleet"] = _score(day, own, first_warn, rescued, moved)
        out["carrier"] = _score(day, set(day.promises) - own, first_warn, rescued, moved)
    return out


def _score(day: DayPlay, orders: Any, first_warn: dict[str, float], rescued: set[str], moved: set[str]) -> dict[str, Any]:
    orders = set(orders)
    first_warn = {o: t for o, t in first_warn.items() if o in orders}
    rescued, moved = rescued & orders, moved & orders
    late = {o for o in orders if day.delivered.get(o) is None or day.delivered[o] > day.promises[o]}  # type: ignore[operator]
    warned = {o for o, t in first_warn.items() if t <= day.promises[o]}
    early = {o for o in late if o in warned and day.promises[o] - first_warn[o] >= 1800.0}
    leads = [(day.promises[o] - first_warn[o]) / 60.0 for o in warned & late]
    return {
        "orders": len(orders),
        "late": len(late),
        "warned": len(warned),
        "recall_30min": round(len(early) / len(late), 4) if late else None,
        "precision": round(len(warned & (late | rescued)) / len(warned), 4) if warned else None,
        "precision_late_only": round(len(warned & late) / len(warned), 4) if warned else None,
        "median_lead_min": round(float(np.median(leads)), 1) if leads else None,
        "rescued": len(rescued),
        "moved": len(moved),
        "rescued_share": round(len(rescued & late & warned) / len(late & warned), 4) if late & warned else 0.0,
    }


@dataclass
class _Rescues:
    day: DayPlay
    moved: set[str] = field(default_factory=set)
    rescued: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    injected: list[tuple[float, str, TrackingEvent]] = field(default_factory=list)

    def apply(self, mon: Monitor, order_id: str, to_vid: str, now: float, meet: tuple[float, float] | None) -> None:
        """Re-drive a moved order on the receiving van's true pace; delay that van's later orders by the detour."""
        day = self.day
        b = mon.vehicles[to_vid]
        i = b.index_of(order_id)
        if i is None:
            return
        truth = day.van_truth[to_vid]
        prev = next((s for s in reversed(b.stops[:i]) if s.kind == "delivery" and s.order_id in truth["dep"]), None)
        dep_prev = truth["dep"][prev.order_id] if prev is not None else truth["start"]
        here = (prev.lat, prev.lon) if prev is not None else (b.start_lat, b.start_lon)
        pts = [here] + ([meet] if meet is not None else []) + [(b.stops[i].lat, b.stops[i].lon)]
        dist = sum(float(haversine_m(p[0], p[1], q[0], q[1])) * 1.3 for p, q in zip(pts, pts[1:]))
        drive = dist / b.speed_mps * truth["factor"] + (_MEET if meet is not None else 0.0)
        t_r = max(now, dep_prev) + drive
        detour = drive + _SERVICE
        late_before = day.delivered.get(order_id) is None or day.delivered[order_id] > day.promises[order_id]  # type: ignore[operator]
        for s in b.stops[i + 1:]:
            if s.kind == "delivery" and s.order_id in truth["dep"] and truth["dep"][s.order_id] > now:
                day.delivered[s.order_id] = (day.delivered[s.order_id] or 0.0) + detour
        self.moved.add(order_id)
        if late_before and t_r <= day.promises[order_id]:
            self.rescued.add(order_id)
        self.dropped.add(order_id)
        ev = TrackingEvent(f"rescue-{order_id}", TrackKind.STOP_COMPLETED, t_r + _SERVICE, vehicle_id=to_vid, order_id=order_id)
        heapq.heappush(self.injected, (ev.at, ev.event_id, ev))
        self.redriven = getattr(self, "redriven", {})
        self.redriven[order_id] = t_r


def replay_day(day: DayPlay, params: MonitorParams = MonitorParams(auto_apply=True), *, batch_s: float = 30.0,
               seed: int = 0) -> tuple[dict[str, float | int | None], Monitor]:
    """Stream ``day`` through a :class:`Monitor` in ``batch_s`` batches and score it.

    Rescue moves are applied as they are proposed (``params.auto_apply``) and
    re-driven in the truth: the moved order's original events are dropped and
    a completion on the receiving van is injected at its re-driven time.
    """
    import copy

    day = copy.deepcopy(day)  # rescues change the truth of this replay only
    orig_delivered = dict(day.delivered)
    mon = Monitor(day.plan, day.promises, params, seed=seed, plan_key=f"day-{day.meta.get('seed', 0)}")
    mon.start()
    res = _Rescues(day)
    first: dict[str, float] = {}
    lat: list[float] = []
    n_ev = 0
    t_all = time.perf_counter()
    for batch in batches(day.events, batch_s):
        edge = batch[-1].at
        evs = [e for e in batch if e.order_id not in res.dropped or e.kind == TrackKind.CARRIER_SCAN]
        while res.injected and res.injected[0][0] <= edge:
            evs.append(heapq.heappop(res.injected)[2])
        t = time.perf_counter()
        _, notices = mon.ingest(evs, checked=True)
        lat.append(time.perf_counter() - t)
        n_ev += len(evs)
        for n in notices:
            if n.kind == NoticeKind.DELAY and n.order_id not in first:
                first[n.order_id] = n.at
            if n.proposal is not None and n.accepted:
                p = n.proposal
                meet = (p.meet_lat, p.meet_lon) if p.meet_lat is not None and p.meet_lon is not None else None
                # The truth of the move is judged against the day as generated, before any detour.
                res.apply(mon, p.order_id, p.to_vehicle, n.at, meet)
    wall = time.perf_counter() - t_all
    day.delivered = orig_delivered
    m = score(day, first, res.rescued, res.moved)
    m["events"] = n_ev
    m["events_per_s"] = round(n_ev / wall, 1) if wall > 0 else None
    m["warning_p99_s"] = round(float(np.percentile(lat, 99)), 4) if lat else None
    m["notices"] = len(mon.notices)
    m["notices_by_kind"] = {str(k): sum(1 for x in mon.notices if x.kind == k) for k in NoticeKind}
    return m, mon


def _naive_eta(v: VehicleTrack, mon: Monitor) -> tuple[float, dict[str, float]]:
    """(minutes behind schedule at the next stop, order -> naive p50 ETA): the plan's times from the latest position."""
    rem = v.remaining()
    if not rem:
        return 0.0, {}
    t0, frac, _ = vehicle_start(v, [])
    t = t0
    out: dict[str, float] = {}
    behind = 0.0
    for j, s in enumerate(rem):
        t += s.leg_s * (frac if j == 0 else 1.0)
        if j == 0:
            behind = (t - s.planned) / 60.0
        if s.order_id is not None:
            out[s.order_id] = t
        t = max(t, s.win_start) + s.service_s
    return behind, out


def baseline_day(day: DayPlay, rule: str, *, batch_s: float = 30.0) -> dict[str, float | int | None]:
    """Score a baseline rule (``"p50"`` or ``"behind15"``) on the same stream."""
    if rule not in ("p50", "behind15"):
        raise ValueError(f"unknown baseline {rule!r}")
    mon = Monitor(day.plan, day.promises, MonitorParams(rescue=False), plan_key="baseline")
    first: dict[str, float] = {}
    n_ev = 0
    lat: list[float] = []
    t_all = time.perf_counter()
    for batch in batches(day.events, batch_s):
        t = time.perf_counter()
        dirty_v: set[str] = set()
        dirty_o: set[str] = set()
        for ev in sorted(batch, key=lambda e: (e.at, e.event_id)):
            mon._apply(ev, dirty_v, dirty_o)
        mon._pending = []
        now = mon.now
        for vid in dirty_v:
            behind, etas = _naive_eta(mon.vehicles[vid], mon)
            for oid, eta in etas.items():
                if oid in first or oid not in mon.orders or mon.orders[oid].state.value in ("delivered", "failed"):
                    continue
                if (rule == "p50" and eta > mon.orders[oid].promised_by) or (rule == "behind15" and behind > 15.0):
                    if now <= mon.orders[oid].promised_by:
                        first[oid] = now
        if rule == "p50":
            for oid in dirty_o:
                w = mon.orders[oid]
                if oid in first or w.carrier_id is None or w.state.value == "delivered" or w.scan_t is None:
                    continue
                med = CARRIER_TRANSIT.get(w.scan_status, CARRIER_TRANSIT[None])[0]
                if w.scan_t + med > w.promised_by and now <= w.promised_by:
                    first[oid] = now
        lat.append(time.perf_counter() - t)
        n_ev += len(batch)
    wall = time.perf_counter() - t_all
    m = score(day, first)
    m["events_per_s"] = round(n_ev / wall, 1) if wall > 0 else None
    m["warning_p99_s"] = round(float(np.percentile(lat, 99)), 4) if lat else None
    return m


_ = math
