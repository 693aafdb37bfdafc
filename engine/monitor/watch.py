"""``Monitor``: tracking events in, delay warnings out, for one day's plan.

Why this module is long: ingestion, the warning state machine and the JSON
snapshot share the monitor's private state and read best side by side.

Events are applied in the order of their own time within a batch; an event
older than what a vehicle already reported still counts where it is a fact
(a stop completed) and is ignored where it is stale (a position).  After a
batch the vehicles and parcels it touched are re-forecast (one Monte Carlo
call), and each affected order's watch moves through its states:

* ``on_track`` -> ``at_risk`` when P(on time) < ``warn_below`` or the p50
  passes the promise: a ``delay`` notice (again if the severity escalates);
* ``at_risk`` -> ``on_track`` only once P >= ``clear_above`` (hysteresis): a
  ``recovered`` notice;
* a vehicle silent for ``silent_after_s`` puts its orders in ``unknown`` (an
  ``unknown`` notice); its next event re-forecasts them;
* the promise passing undelivered (or a failed stop): ``broken``.

"Now" is the newest event time seen (``tick`` takes an explicit one), never
the wall clock, so a replayed day gives the same notices whatever the speed
of the replay, and the simulator can drive it with ``SimClock``.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from engine.domain.monitor import (
    DelayWarning,
    Incident,
    IncidentKind,
    NoticeKind,
    Proposal,
    Severity,
    TrackingEvent,
    TrackKind,
    WatchState,
)
from engine.domain.plan import Plan
from engine.errors import InputError, NotFoundError
from engine.monitor.forecast import VehicleForecast, carrier_forecast, forecast_vehicles
from engine.monitor.incidents import describe, publish
from engine.monitor.params import MonitorParams
from engine.monitor.tracks import OrderWatch, VehicleTrack, day_zero, tracks_from_plan

__all__ = ["EventResult", "Monitor", "severity_of"]

_NS = uuid.UUID("6b1f5a9e-6c0e-4d57-9a43-0f4d1c2b9e11")
_DONE = (WatchState.DELIVERED, WatchState.FAILED, WatchState.BROKEN)


@dataclass(slots=True)
class EventResult:
    """What became of one event of a batch."""

    event_id: str
    #: "accepted", "duplicate" or "rejected"
    status: str
    field: str | None = None
    message: str | None = None


def severity_of(p: float, late50: bool) -> Severity:
    """The severity of a delay: by how unlikely the promise has become."""
    if p < 0.2:
        return Severity.CRITICAL
    if p < 0.5 or late50:
        return Severity.MAJOR
    return Severity.MINOR


@dataclass
class Monitor:
    """Watches one plan; see the module docstring.

    Parameters
    ----------
    plan
        The active plan (own-fleet routes and carrier hand-offs).
    promises
        Order id -> promised-by (epoch seconds); default: each stop's window end.
    params
        Thresholds and sizes.
    seed
        Seeds the Monte Carlo streams (the same seed and events give the same notices).
    plan_key
        Names the watched plan in warning ids (two monitors of one plan share it).
    """

    plan: Plan
    promises: dict[str, float] | None = None
    params: MonitorParams = field(default_factory=MonitorParams)
    seed: int = 0
    plan_key: str = "default"

    def __post_init__(self) -> None:
        self.day0, self.hour0 = day_zero(self.plan)
        self.vehicles, self.orders = tracks_from_plan(self.plan, self.promises)
        self._promise = {o: w.promised_by for o, w in self.orders.items()}
        self._index = {v: i + 1 for i, v in enumerate(sorted(self.vehicles))}
        self._tz = self.plan.day_start.utcoffset() if self.plan.day_start is not None and self.plan.day_start.tzinfo else None
        self.incidents: dict[str, Incident] = {}
        self.notices: list[DelayWarning] = []
        self.proposals: dict[str, Proposal] = {}
        self.seen: set[str] = set()
        self.now: float = min((v.departure for v in self.vehicles.values()), default=self.day0)
        self.applied = 0
        self._pending: list[DelayWarning] = []
        #: (order id, time) of deliveries seen since the last ``take_delivered``
        self._delivered: list[tuple[str, float]] = []

    # -- public ---------------------------------------------------------------
    def start(self) -> list[DelayWarning]:
        """Forecast everything once from the plan (orders at risk from the start are warned)."""
        return self._recompute(set(self.vehicles), {o for o, w in self.orders.items() if w.carrier_id})

    def check(self, ev: TrackingEvent) -> None:
        """Raise ``InputError`` naming the field when ``ev`` cannot be applied to this plan."""
        if not ev.event_id:
            raise InputError("an event needs an id", item=ev.event_id or "event", field="id")
        ref = max(self.now, getattr(self, "_wall", -math.inf))
        if not math.isfinite(ev.at) or ev.at > ref + self.params.future_tolerance_s:
            raise InputError(f"time is more than {self.params.future_tolerance_s:.0f} s past the newest event", item=ev.event_id, field="at")
        if ev.lat is not None and not -90 <= ev.lat <= 90:
            raise InputError("latitude must be within -90..90", item=ev.event_id, field="lat")
        if ev.lon is not None and not -180 <= ev.lon <= 180:
            raise InputError("longitude must be within -180..180", item=ev.event_id, field="lon")
        if ev.vehicle_id is not None and ev.vehicle_id not in self.vehicles:
            raise InputError(f"no vehicle {ev.vehicle_id!r} on the watched plan", item=ev.event_id, field="vehicle_id")
        if ev.order_id is not None and ev.order_id not in self.orders:
            raise InputError(f"no order {ev.order_id!r} on the watched plan", item=ev.event_id, field="order_id")
        k = ev.kind
        if k == TrackKind.POSITION and (ev.vehicle_id is None or ev.lat is None or ev.lon is None):
            raise InputError("a position needs vehicle_id, lat and lon", item=ev.event_id,
                             field="vehicle_id" if ev.vehicle_id is None else "lat" if ev.lat is None else "lon")
        if k in (TrackKind.STOP_ARRIVED, TrackKind.STOP_COMPLETED, TrackKind.STOP_FAILED):
            if ev.order_id is None:
                raise InputError("a stop event needs order_id", item=ev.event_id, field="order_id")
            w = self.orders[ev.order_id]
            if w.vehicle_id is None:
                raise InputError(f"order {ev.order_id!r} is with a carrier, not on a vehicle", item=ev.event_id, field="order_id")
        if k == TrackKind.CARRIER_SCAN:
            if ev.order_id is None:
                raise InputError("a carrier scan needs order_id", item=ev.event_id, field="order_id")
            if not ev.status:
                raise InputError("a carrier scan needs a status", item=ev.event_id, field="status")
        if k == TrackKind.INCIDENT:
            inc = ev.incident
            if inc is None:
                raise InputError("an incident event needs an incident", item=ev.event_id, field="incident")
            if inc.scope.is_empty:
                raise InputError("an incident needs a scope: a vehicle, a depot, a carrier or an area", item=ev.event_id, field="incident.scope")
            if inc.scope.vehicle_id is not None and inc.scope.vehicle_id not in self.vehicles:
                raise InputError(f"no vehicle {inc.scope.vehicle_id!r} on the watched plan", item=ev.event_id, field="incident.scope.vehicle_id")
            if inc.end < inc.start:
                raise InputError("an incident must end after it starts", item=ev.event_id, field="incident.end")
            if not 0.0 < inc.speed_factor <= 1.0:
                raise InputError("speed_factor must be in (0, 1]", item=ev.event_id, field="incident.speed_factor")

    def ingest(self, events: list[TrackingEvent], *, checked: bool = False,
               now: float | None = None) -> tuple[list[EventResult], list[DelayWarning]]:
        """Apply a batch; return a result per event (in the given order) and the notices it caused.

        ``now`` (the caller's clock) widens the "too far in the future" check
        before any event has been seen; the monitor's own time stays event time.
        """
        if now is not None:
            self._wall = max(getattr(self, "_wall", -math.inf), now)
        results: list[EventResult] = []
        ok: list[TrackingEvent] = []
        batch_ids: set[str] = set()
        for ev in events:
            if ev.event_id in self.seen or ev.event_id in batch_ids:
                results.append(EventResult(ev.event_id, "duplicate"))
                continue
            if not checked:
                try:
                    self.check(ev)
                except InputError as exc:
                    results.append(EventResult(ev.event_id, "rejected", exc.field, exc.message))
                    continue
            batch_ids.add(ev.event_id)
            results.append(EventResult(ev.event_id, "accepted"))
            ok.append(ev)
        dirty_v: set[str] = set()
        dirty_o: set[str] = set()
        for ev in sorted(ok, key=lambda e: (e.at, e.event_id)):
            self._apply(ev, dirty_v, dirty_o)
            self.seen.add(ev.event_id)
            self.applied += 1
        notices = self._recompute(dirty_v, dirty_o)
        notices += self.tick(self.now)
        return results, notices

    def tick(self, now: float) -> list[DelayWarning]:
        """Move time to ``now``: silent vehicles go ``unknown``, passed promises ``broken``."""
        self.now = max(self.now, now)
        out: list[DelayWarning] = []
        for v in self.vehicles.values():
            if v.silent or self.now - v.last_seen <= self.params.silent_after_s:
                continue
            nxt = v.stops[v.next_idx] if v.next_idx < len(v.stops) else None
            if nxt is not None and nxt.kind == "depot" and nxt.win_start > self.now:
                continue  # back from a rescue trip, waiting for its shift: not expected to report
            live = [s.order_id for s in v.remaining() if s.order_id and s.order_id in self.orders
                    and self.orders[s.order_id].state not in _DONE]
            if not live:
                continue
            v.silent = True
            reason = f"no signal from {v.vehicle_id} since {self._hhmm(v.last_seen)}"
            for oid in live:
                w = self.orders[oid]
                if w.state != WatchState.UNKNOWN:
                    w.state = WatchState.UNKNOWN
                    out.append(self._notice(w, NoticeKind.UNKNOWN, Severity.MINOR, reason, []))
        for w in self.orders.values():
            # A minor risk whose confirmation time has run out without a new forecast (a parcel between scans).
            if w.risk_since is not None and w.state not in _DONE and self.now - w.risk_since >= self.params.confirm_s:
                out += self._judge(w, w.p_on_time, w.p50, w.p95, w.reason, w.cause_ids[-5:], propose=w.vehicle_id is not None)
            if w.state not in _DONE and w.promised_by < self.now:
                w.state = WatchState.BROKEN
                out.append(self._notice(w, NoticeKind.BROKEN, Severity.CRITICAL,
                                        f"promised by {self._hhmm(w.promised_by)}, not delivered", w.cause_ids))
        self.notices += out
        return out

    def accept(self, warning_id: str) -> list[DelayWarning]:
        """Apply the rescue proposed with a warning; return the notices the new forecast gives."""
        prop = self.proposals.get(warning_id)
        if prop is None:
            raise NotFoundError(f"no open rescue proposal with warning {warning_id!r}")
        from engine.monitor.rescue import apply_move  # rescue imports this module

        apply_move(self, prop)
        del self.proposals[warning_id]
        for i, n in enumerate(self.notices):
            if n.warning_id == warning_id:
                self.notices[i] = replace(n, accepted=True)
        return self._recompute({prop.from_vehicle, prop.to_vehicle}, set(), propose=False)

    def take_delivered(self) -> list[tuple[str, float]]:
        """Deliveries (order id, time) seen since the last call (for tickets and notifications)."""
        out, self._delivered = self._delivered, []
        return out

    def state_of(self, order_id: str) -> OrderWatch:
        w = self.orders.get(order_id)
        if w is None:
            raise NotFoundError(f"no order {order_id!r} on the watched plan")
        return w

    # -- events ---------------------------------------------------------------
    def _apply(self, ev: TrackingEvent, dirty_v: set[str], dirty_o: set[str]) -> None:
        k = ev.kind
        self.now = max(self.now, ev.at)
        if k == TrackKind.INCIDENT and ev.incident is not None:
            inc = ev.incident
            self.incidents[inc.incident_id] = inc
            if inc.scope.is_area:
                publish([inc])
            for v in self.vehicles.values():
                if self._incident_touches_vehicle(inc, v):
                    dirty_v.add(v.vehicle_id)
                    v.cause_ids.append(ev.event_id)
            if inc.scope.carrier_id is not None:
                for w in self.orders.values():
                    if w.carrier_id == inc.scope.carrier_id:
                        dirty_o.add(w.order_id)
                        w.cause_ids.append(ev.event_id)
            return
        if k == TrackKind.CARRIER_SCAN:
            w = self.orders[ev.order_id]  # type: ignore[index]
            if w.scan_t is None or ev.at >= w.scan_t:
                w.scan_status, w.scan_t = ev.status, ev.at
                w.scan_place = ev.reason
                w.cause_ids = [ev.event_id]
            if ev.status == "delivered" and w.state not in _DONE:
                w.state, w.delivered_at = WatchState.DELIVERED, ev.at
                self._delivered.append((w.order_id, ev.at))
            dirty_o.add(w.order_id)
            return
        vid = ev.vehicle_id or (self.orders[ev.order_id].vehicle_id if ev.order_id else None)
        if vid is None:
            return
        v = self.vehicles[vid]
        v.last_seen = max(v.last_seen, ev.at)
        v.silent = False  # its orders leave ``unknown`` through the forecast below
        dirty_v.add(vid)
        if k == TrackKind.POSITION:
            if v.pos_t is None or ev.at >= v.pos_t:
                v.pos_lat, v.pos_lon, v.pos_t = ev.lat, ev.lon, ev.at
            return
        i = v.index_of(ev.order_id or "")
        if i is None:
            return  # moved away by a rescue: the other van reports it
        w = self.orders.get(ev.order_id or "")
        if k == TrackKind.STOP_ARRIVED:
            if i >= v.next_idx:
                self._advance(v, i, ev.at, arrived=True)
            return
        if i >= v.next_idx:
            self._advance(v, i, ev.at, arrived=False)
        if w is not None and w.state not in _DONE:
            if k == TrackKind.STOP_COMPLETED:
                w.state, w.delivered_at = WatchState.DELIVERED, ev.at
                self._delivered.append((w.order_id, ev.at))
            else:
                w.state = WatchState.FAILED
                self._pending.append(self._notice(
                    w, NoticeKind.BROKEN, Severity.CRITICAL,
                    f"delivery attempt failed at {self._hhmm(ev.at)}" + (f": {ev.reason}" if ev.reason else ""), [ev.event_id]))

    def _advance(self, v: VehicleTrack, i: int, at: float, *, arrived: bool) -> None:
        """The van arrived at stop ``i`` (or completed it); fold the segment into its observed pace."""
        seg = v.stops[v.next_idx:i + 1]
        plan = sum(s.leg_s + s.service_s for s in seg)
        if v.at_stop and v.arrived_at is not None:
            plan -= v.stops[v.next_idx].leg_s
            ref = v.arrived_at
        else:
            ref = v.last_done_t if v.last_done_t is not None else v.departure
        if arrived:
            plan -= v.stops[i].service_s
        obs = at - ref
        # A wait for a window is not slow driving.
        wait = max((s.win_start - ref - plan for s in seg if math.isfinite(s.win_start)), default=0.0)
        obs -= max(wait, 0.0)
        # Nor is a van held by a breakdown or a sorting error: leave those segments out of the pace.
        held = any(inc.extra_s > 0 and (inc.scope.vehicle_id == v.vehicle_id or inc.scope.depot == v.depot)
                   and inc.start < at and inc.start + inc.extra_s > ref for inc in self.incidents.values())
        if not held and plan > 0 and obs > 0:
            v.obs_s += min(obs, 3.0 * plan)
            v.plan_s += plan
        if arrived:
            v.next_idx, v.at_stop, v.arrived_at = i, True, at
        else:
            v.next_idx, v.at_stop, v.arrived_at, v.last_done_t = i + 1, False, None, at

    def _incident_touches_vehicle(self, inc: Incident, v: VehicleTrack) -> bool:
        sc = inc.scope
        if sc.vehicle_id == v.vehicle_id or (sc.depot is not None and sc.depot == v.depot):
            return True
        if sc.is_area:
            from engine.monitor.incidents import in_area

            return any(in_area(sc, s.lat, s.lon) for s in v.remaining())
        return False

    # -- forecasts and notices ------------------------------------------------
    def _recompute(self, dirty_v: set[str], dirty_o: set[str], *, propose: bool = True) -> list[DelayWarning]:
        out, self._pending = self._pending, []
        incidents = list(self.incidents.values())
        tracks = [self.vehicles[v] for v in sorted(dirty_v) if not self.vehicles[v].silent]
        fcs = forecast_vehicles(tracks, incidents, self.params, day0=self.day0, hour0=self.hour0, seed=self.seed,
                                index=self._index, promises=self._promise)
        for fc in fcs:
            v = self.vehicles[fc.vehicle_id]
            reason = self._vehicle_reason(v, fc)
            causes = list(dict.fromkeys(v.cause_ids[-5:]))
            for oid, (p, p50, p95) in fc.orders.items():
                w = self.orders.get(oid)
                if w is None:
                    continue
                w.vehicle_id = v.vehicle_id
                out += self._judge(w, p, p50, p95, reason, causes, propose=propose)
        for oid in sorted(dirty_o):
            w = self.orders[oid]
            if w.carrier_id is None or w.state in _DONE:
                continue
            p, p50, p95, hits = carrier_forecast(w.scan_status, w.scan_t, w.promised_by, self.now, incidents, w.carrier_id, w.carrier_p)
            parts = [describe(i) for i in hits]
            if w.scan_status:
                parts.append(f"carrier scan: {w.scan_status.replace('_', ' ')}" + (f" at {w.scan_place}" if w.scan_place else ""))
            out += self._judge(w, p, p50, p95, "; ".join(parts) or f"{w.carrier_id} transit", w.cause_ids[-5:], propose=False)
        self.notices += out
        return out

    def _judge(self, w: OrderWatch, p: float, p50: float, p95: float, reason: str, causes: list[str], *,
               propose: bool) -> list[DelayWarning]:
        if w.state in _DONE:
            return []
        w.p_on_time, w.p50, w.p95, w.reason = p, p50, p95, reason
        late50 = p50 > w.promised_by
        risk = p < self.params.warn_below or late50
        clear = p >= self.params.clear_above and not late50
        sev = severity_of(p, late50)
        out: list[DelayWarning] = []
        was = w.state
        if was in (WatchState.ON_TRACK, WatchState.UNKNOWN) and w.severity == Severity.INFO:
            if risk and sev == Severity.MINOR and self.params.confirm_s > 0:
                if w.risk_since is None:
                    w.risk_since = self.now
                if self.now - w.risk_since < self.params.confirm_s:
                    return out  # not confirmed yet: no warning, state unchanged
            elif not risk:
                w.risk_since = None
            if risk:
                w.risk_since = None
                w.state, w.severity = WatchState.AT_RISK, sev
                out.append(self._notice(w, NoticeKind.DELAY, sev, reason, causes, propose=propose))
            elif was == WatchState.UNKNOWN:
                w.state = WatchState.ON_TRACK
                out.append(self._notice(w, NoticeKind.RECOVERED, Severity.INFO, "tracking again, on time", causes))
            else:
                w.state = WatchState.ON_TRACK
        else:  # at risk (or unknown while at risk)
            if clear:
                w.state, w.severity = WatchState.ON_TRACK, Severity.INFO
                out.append(self._notice(w, NoticeKind.RECOVERED, Severity.INFO, "back on time" + (f" ({reason})" if reason else ""), causes))
            else:
                w.state = WatchState.AT_RISK
                if risk and sev.rank > w.severity.rank:
                    w.severity = sev
                    out.append(self._notice(w, NoticeKind.DELAY, sev, reason, causes, propose=propose))
        return out

    def _notice(self, w: OrderWatch, kind: NoticeKind, sev: Severity, reason: str, causes: list[str], *,
                propose: bool = False) -> DelayWarning:
        w.seq += 1
        wid = str(uuid.uuid5(_NS, f"{self.plan_key}/{w.order_id}/{w.seq}"))
        n = DelayWarning(
            warning_id=wid, plan_key=self.plan_key, seq=w.seq, kind=kind, order_id=w.order_id, at=self.now,
            promised_by=w.promised_by, p_on_time=round(w.p_on_time, 4), revised_p50=round(w.p50, 1), revised_p95=round(w.p95, 1),
            severity=sev, lead_s=round(w.promised_by - self.now, 1), reason=reason, vehicle_id=w.vehicle_id,
            carrier_id=w.carrier_id, cause_event_ids=tuple(causes),
        )
        w.open_warning = wid if kind == NoticeKind.DELAY else None
        if propose and kind == NoticeKind.DELAY and self.params.rescue and w.vehicle_id is not None:
            from engine.monitor.rescue import apply_move
            from engine.monitor.rescue import propose as _propose

            prop = _propose(self, w.order_id)
            if prop is not None:
                n = replace(n, proposal=prop)
                if self.params.auto_apply:
                    apply_move(self, prop)
                    n = replace(n, accepted=True)
                else:
                    self.proposals[wid] = prop
        return n

    def _vehicle_reason(self, v: VehicleTrack, fc: VehicleForecast) -> str:
        parts: list[str] = []
        for inc in fc.incidents:
            if inc.kind == IncidentKind.VEHICLE_BREAKDOWN and not inc.text:
                parts.append(f"{v.vehicle_id} broke down at {self._hhmm(inc.start)}")
            else:
                parts.append(describe(inc))
        if fc.behind_s > 300:
            parts.append(f"{v.vehicle_id} running {round(fc.behind_s / 60)} min behind schedule")
        return "; ".join(parts) or f"{v.vehicle_id} traffic and stop times"

    def _hhmm(self, t: float) -> str:
        dt = datetime.fromtimestamp(t, tz=UTC)
        if self._tz is not None:
            dt = dt + self._tz
        return dt.strftime("%H:%M")

    # -- snapshot -------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """The moving state as JSON (what the store keeps between requests and workers)."""
        return {
            "now": self.now,
            "applied": self.applied,
            "vehicles": {k: v.dump() for k, v in self.vehicles.items()},
            "orders": {k: w.dump() for k, w in self.orders.items()},
            "incidents": [_incident_doc(i) for i in self.incidents.values()],
            "proposals": {k: _proposal_doc(p) for k, p in self.proposals.items()},
        }

    def load(self, state: dict[str, Any]) -> None:
        self.now = float(state["now"])
        self.applied = int(state.get("applied", 0))
        for k, d in state["vehicles"].items():
            self.vehicles[k].load(d)
        for k, d in state["orders"].items():
            self.orders[k].load(d)
        self.incidents = {d["incident_id"]: incident_from_doc(d) for d in state["incidents"]}
        self.proposals = {k: Proposal(**d) for k, d in state.get("proposals", {}).items()}


def _incident_doc(i: Incident) -> dict[str, Any]:
    sc = i.scope
    return {
        "incident_id": i.incident_id, "kind": str(i.kind), "start": i.start, "end": i.end,
        "speed_factor": i.speed_factor, "extra_s": i.extra_s, "text": i.text,
        "scope": {"vehicle_id": sc.vehicle_id, "depot": sc.depot, "carrier_id": sc.carrier_id,
                  "polygon": [list(p) for p in sc.polygon] if sc.polygon else None,
                  "center": list(sc.center) if sc.center else None, "radius_m": sc.radius_m},
    }


def incident_from_doc(d: dict[str, Any]) -> Incident:
    from engine.domain.monitor import Scope

    s = d["scope"]
    scope = Scope(s.get("vehicle_id"), s.get("depot"), s.get("carrier_id"),
                  tuple(tuple(p) for p in s["polygon"]) if s.get("polygon") else None,
                  tuple(s["center"]) if s.get("center") else None, s.get("radius_m"))
    return Incident(d["incident_id"], IncidentKind(d["kind"]), scope, float(d["start"]), float(d["end"]),
                    float(d.get("speed_factor", 1.0)), float(d.get("extra_s", 0.0)), d.get("text", ""))


def _proposal_doc(p: Proposal) -> dict[str, Any]:
    return {k: getattr(p, k) for k in Proposal.__slots__}  # type: ignore[attr-defined]

