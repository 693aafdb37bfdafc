"""Replay a day through the monitor (or a baseline rule) and score its warnings against the truth.

Scores (per order, against the true delivery time):

* ``recall_30min``: of the orders really late (in the day as it happened, after
  the rescues), the share warned at least 30 minutes before their promise passed;
* ``precision``: of the orders warned (a ``delay`` notice before the promise),
  the share really late or rescued; ``precision_late_only`` without the rescued;
* ``median_lead_min``: median minutes from the first warning to the promise,
  over warned orders that were late;
* ``rescued_share``: of the warned orders that were going to be late, the share
  the applied rescue moves brought back on time (re-driven on the receiving van's true
  pace; the receiving van's own later events and deliveries come later by the
  detour, so the stream stays consistent with the changed truth);
* ``events_per_s`` and ``warning_p99_s``: in-process here (ingest + forecast +
  notices per batch); the HTTP figures come from ``benchmarks/monitor_replay.py``.

Baselines: ``p50`` warns an order when the naive p50 ETA (the plan's remaining
times from the van's latest position, no pace learning, no incidents) passes
its promise; ``behind15`` warns every remaining order of a van more than 15
minutes behind its planned schedule.  Both see the same event stream.
"""

from __future__ import annotations

import dataclasses
import heapq
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

__all__ = ["baseline_day", "batches", "evaluate_day", "replay_day", "score"]

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
        # Of the warned orders that were going to be late, the share the moves brought back on time.
        "rescued_share": round(len(rescued & warned) / len((late | rescued) & warned), 4) if (late | rescued) & warned else 0.0,
    }


@dataclass
class _Rescues:
    day: DayPlay
    moved: set[str] = field(default_factory=set)
    rescued: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    injected: list[tuple[float, str, TrackingEvent]] = field(default_factory=list)
    #: van -> (from time, seconds) its generated events are delayed by the rescues it took on
    shifts: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def shifted(self, ev: TrackingEvent) -> TrackingEvent | None:
        """``ev`` moved later by its van's detours (None when it is not affected)."""
        sh = self.shifts.get(ev.vehicle_id or "")
        if not sh or ev.event_id.startswith("rescue-"):
            return None
        d = sum(x for t, x in sh if ev.at >= t)
        return dataclasses.replace(ev, at=ev.at + d) if d > 0 else None

    def apply(self, mon: Monitor, order_id: str, to_vid: str, now: float, meet: tuple[float, float] | None,
              pretrip: bool = False) -> None:
        """Re-drive a moved order on the receiving van's true pace; delay that van's later orders by the detour."""
        day = self.day
        b = mon.vehicles[to_vid]
        i = b.index_of(order_id)
        if i is None:
            return
        truth = day.van_truth[to_vid]
        dest = (b.stops[i].lat, b.stops[i].lon)
        depot = (b.start_lat, b.start_lon)
        # Before its own route (an earlier rescue made it leave early): like a trip from the depot.
        on_trip = pretrip or any(s.kind == "depot" for s in b.stops[i + 1:])
        if pretrip:
            dep_prev, here = now, depot
        else:
            prev = next((s for s in reversed(b.stops[:i]) if s.kind == "delivery" and s.order_id in truth["dep"]), None)
            # No delivery before it: the van is at its depot, or out on an earlier rescue trip.
            dep_prev = truth["dep"][prev.order_id] if prev is not None else max(now, min(b.departure, truth["start"]))
            here = (prev.lat, prev.lon) if prev is not None else depot
        pts = [here] + ([meet] if meet is not None else []) + [dest]
        legs = [float(haversine_m(p[0], p[1], q[0], q[1])) * 1.3 / b.speed_mps * truth["factor"] for p, q in zip(pts, pts[1:])]
        t = max(now, dep_prev)
        track = [(t, here)]
        for (p, q), leg in zip(zip(pts, pts[1:]), legs):
            t += leg
            track.append((t, q))
            if meet is not None and q == meet:
                t += _MEET
                track.append((t, q))
        t_r = t
        if on_trip:
            back = float(haversine_m(dest[0], dest[1], depot[0], depot[1])) * 1.3 / b.speed_mps * truth["factor"]
            track.append((t_r + _SERVICE, dest))
            track.append((t_r + _SERVICE + back, depot))
            detour = max(0.0, t_r + _SERVICE + back - truth["start"])
            # The van reports on its way, as it would (the generated stream only has its planned route).
            tt = np.array([x[0] for x in track])
            for k, ping in enumerate(np.arange(tt[0], tt[-1], 240.0)):
                lat = float(np.interp(ping, tt, [x[1][0] for x in track]))
                lon = float(np.interp(ping, tt, [x[1][1] for x in track]))
                ev = TrackingEvent(f"rescue-{order_id}-p{k}", TrackKind.POSITION, float(ping), vehicle_id=to_vid, lat=lat, lon=lon)
                heapq.heappush(self.injected, (ev.at, ev.event_id, ev))
        else:
            detour = sum(legs) + (_MEET if meet is not None else 0.0) + _SERVICE
        late_before = day.delivered.get(order_id) is None or day.delivered[order_id] > day.promises[order_id]  # type: ignore[operator]
        # The van's own stream from here on comes later by the detour (see ``replay_day``).
        if detour > 0:
            self.shifts.setdefault(to_vid, []).append((truth["start"] if on_trip else t, detour))
        for s in b.stops[i + 1:]:
            if s.kind == "delivery" and s.order_id in truth["dep"] and truth["dep"][s.order_id] > now:
                day.delivered[s.order_id] = (day.delivered[s.order_id] or 0.0) + detour
        self.moved.add(order_id)
        if late_before and t_r <= day.promises[order_id]:
            self.rescued.add(order_id)
        day.delivered[order_id] = t_r
        truth["dep"][order_id] = t_r + _SERVICE  # a later rescue onto this van starts from here
        self.dropped.add(order_id)
        ev = TrackingEvent(f"rescue-{order_id}", TrackKind.STOP_COMPLETED, t_r + _SERVICE, vehicle_id=to_vid, order_id=order_id)
        heapq.heappush(self.injected, (ev.at, ev.event_id, ev))


def replay_day(day: DayPlay, params: MonitorParams = MonitorParams(), *, batch_s: float = 30.0,
               seed: int = 0) -> tuple[dict[str, float | int | None], Monitor]:
    """Stream ``day`` through a :class:`Monitor` in ``batch_s`` batches and score it.

    With ``params.auto_apply``, rescue moves are applied as they are proposed
    and re-driven in the truth: the moved order's original events are dropped,
    a completion on the receiving van is injected at its re-driven time, and
    the receiving van's later events come later by its detour.
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
        evs = []
        for e in batch:
            if e.order_id in res.dropped and e.kind != TrackKind.CARRIER_SCAN:
                continue
            later = res.shifted(e)
            if later is not None:
                heapq.heappush(res.injected, (later.at, later.event_id, later))
                continue
            evs.append(e)
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
                res.apply(mon, p.order_id, p.to_vehicle, n.at, meet, pretrip=p.depart_at is not None)
    wall = time.perf_counter() - t_all
    # Scored against the day as it happened: moved orders at their re-driven times, the
    # receiving vans' later orders delayed by their detours.
    m = score(day, first, res.rescued, res.moved)
    m["late_without_rescue"] = sum(1 for o, pb in day.promises.items() if orig_delivered.get(o) is None or orig_delivered[o] > pb)  # type: ignore[operator]
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



def evaluate_day(day: DayPlay, *, batch_s: float = 30.0, seed: int = 0, baselines: bool = True,
                 params: MonitorParams = MonitorParams()) -> dict[str, Any]:
    """The replay benchmark's metrics for one day.

    Warning quality (``recall_30min``, ``precision``, ``median_lead_min``) is
    scored on the day as generated, with rescue proposals made but not applied,
    so the monitor and the baselines are judged on the same truth.
    ``rescued_share`` comes from a second replay that applies every proposal
    at once (``auto_apply``) and re-drives the moved orders; that replay's own
    scores are under ``with_rescue``.  Its truth is approximate where the
    generated stream cannot know about a move: the giving van's events still
    visit the stop it gave away (its later orders are not made earlier).
    """
    m, _ = replay_day(day, dataclasses.replace(params, auto_apply=False), batch_s=batch_s, seed=seed)
    r, _ = replay_day(day, dataclasses.replace(params, auto_apply=True), batch_s=batch_s, seed=seed)
    m["rescued_share"] = r["rescued_share"]
    m["with_rescue"] = {k: r[k] for k in ("late", "late_without_rescue", "warned", "moved", "rescued", "rescued_share",
                                          "recall_30min", "precision", "median_lead_min")}
    if baselines:
        m["baselines"] = {
            "p50_eta_passes_promise": baseline_day(day, "p50", batch_s=batch_s),
            "vehicle_15min_behind": baseline_day(day, "behind15", batch_s=batch_s),
        }
    return m
