"""The monitor's picture of the day: one track per vehicle, one watch per order.

Built once from a dispatch :class:`~engine.domain.plan.Plan`; events then
move the tracks (latest position, stops done, observed pace) and the watches
(state, last severity, notice count).  ``dump``/``load`` turn the moving part
into JSON, which is what the store keeps between requests and workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.domain.monitor import Severity, WatchState
from engine.domain.plan import Plan, StopKind

__all__ = ["OrderWatch", "StopRef", "VehicleTrack", "day_zero", "tracks_from_plan"]


@dataclass(slots=True)
class StopRef:
    """A planned (or rescue-inserted) stop: times in epoch seconds."""

    order_id: str | None
    lat: float
    lon: float
    planned: float
    leg_s: float
    service_s: float
    win_start: float = -math.inf
    #: "delivery", "break", "end" or "meet" (a rescue hand-over)
    kind: str = "delivery"


@dataclass(slots=True)
class VehicleTrack:
    vehicle_id: str
    depot: str
    start_lat: float
    start_lon: float
    departure: float
    stops: list[StopRef]
    #: metres per second of its planned driving (for legs a rescue adds)
    speed_mps: float = 8.0
    # -- moving part --------------------------------------------------------
    next_idx: int = 0
    at_stop: bool = False
    arrived_at: float | None = None
    pos_lat: float | None = None
    pos_lon: float | None = None
    pos_t: float | None = None
    last_seen: float = 0.0
    last_done_t: float | None = None
    obs_s: float = 0.0
    plan_s: float = 0.0
    silent: bool = False
    cause_ids: list[str] = field(default_factory=list)
    #: orders this van took over from others (rescues)
    taken: int = 0

    def remaining(self) -> list[StopRef]:
        return self.stops[self.next_idx:]

    def index_of(self, order_id: str) -> int | None:
        for i, s in enumerate(self.stops):
            if s.order_id == order_id and s.kind == "delivery":
                return i
        return None

    def pace(self, prior_s: float) -> float:
        """Observed over planned time so far, shrunk towards 1 by ``prior_s`` planned seconds."""
        return (self.obs_s + prior_s) / (self.plan_s + prior_s)

    _MOVING = ("next_idx", "at_stop", "arrived_at", "pos_lat", "pos_lon", "pos_t", "last_seen", "last_done_t",
               "obs_s", "plan_s", "silent", "cause_ids", "taken")

    def dump(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: getattr(self, k) for k in self._MOVING}
        d["stops"] = [[s.order_id, s.lat, s.lon, s.planned, s.leg_s, s.service_s,
                       None if s.win_start == -math.inf else s.win_start, s.kind] for s in self.stops]
        return d

    def load(self, d: dict[str, Any]) -> None:
        for k in self._MOVING:
            setattr(self, k, d.get(k, 0 if k == "taken" else None))
        self.cause_ids = list(self.cause_ids or [])
        self.stops = [StopRef(o, la, lo, p, l, sv, -math.inf if w is None else w, k) for o, la, lo, p, l, sv, w, k in d["stops"]]


@dataclass(slots=True)
class OrderWatch:
    order_id: str
    promised_by: float
    vehicle_id: str | None = None
    carrier_id: str | None = None
    depot: str | None = None
    #: the carrier's own P(on time) for a hand-off (before any scan)
    carrier_p: float = 0.93
    state: WatchState = WatchState.ON_TRACK
    severity: Severity = Severity.INFO
    seq: int = 0
    p_on_time: float = 1.0
    p50: float = 0.0
    p95: float = 0.0
    delivered_at: float | None = None
    scan_status: str | None = None
    scan_t: float | None = None
    scan_place: str | None = None
    cause_ids: list[str] = field(default_factory=list)
    open_warning: str | None = None
    #: since when a minor risk has been seen without a warning yet (the confirmation clock)
    risk_since: float | None = None
    #: moved to another van by a rescue (never moved twice)
    moved: bool = False
    #: the reason of the latest forecast (what a confirmed warning says)
    reason: str = ""

    _MOVING = ("vehicle_id", "state", "severity", "seq", "p_on_time", "p50", "p95", "delivered_at", "scan_status",
               "scan_t", "scan_place", "cause_ids", "open_warning", "risk_since", "reason", "moved")

    def dump(self) -> dict[str, Any]:
        return {k: (str(getattr(self, k)) if k in ("state", "severity") else getattr(self, k)) for k in self._MOVING}

    def load(self, d: dict[str, Any]) -> None:
        for k in self._MOVING:
            setattr(self, k, d.get(k))
        self.state = WatchState(self.state)
        self.severity = Severity(self.severity)
        self.cause_ids = list(self.cause_ids)


def day_zero(plan: Plan) -> tuple[float, float]:
    """(epoch seconds of the plan's time 0, seconds since local midnight at time 0)."""
    ds = plan.day_start
    if ds is None:
        return 0.0, 0.0
    epoch = ds.timestamp()
    return epoch, ds.hour * 3600.0 + ds.minute * 60.0 + ds.second


def tracks_from_plan(plan: Plan, promises: dict[str, float] | None = None) -> tuple[dict[str, VehicleTrack], dict[str, OrderWatch]]:
    """Vehicle tracks and order watches of ``plan``.

    ``promises`` maps order id -> promised-by (epoch seconds); an order without
    one is promised by its stop window's end (which ``Order.promised_by`` folds
    into), else not watched.
    """
    day0, _ = day_zero(plan)
    promises = promises or {}
    vehicles: dict[str, VehicleTrack] = {}
    orders: dict[str, OrderWatch] = {}
    for r in plan.routes:
        if not r.stops:
            continue
        first = r.stops[0]
        stops: list[StopRef] = []
        for s in r.stops[1:]:
            begin = max(s.arrival, s.window.start) if s.window is not None else s.arrival
            kind = "delivery" if s.kind == StopKind.DELIVERY else str(s.kind)
            stops.append(StopRef(
                s.order_id if kind == "delivery" else None, float(s.lat), float(s.lon), day0 + s.arrival,
                max(float(s.leg_time_s), 0.0), max(float(s.departure - begin), 0.0),
                day0 + s.window.start if s.window is not None else -math.inf, kind,
            ))
            if kind == "delivery" and s.order_id is not None:
                pb = promises.get(s.order_id)
                if pb is None and s.window is not None:
                    pb = day0 + s.window.end
                if pb is not None:
                    orders[s.order_id] = OrderWatch(s.order_id, float(pb), vehicle_id=r.vehicle_id, depot=r.depot)
        dist = sum(s.leg_distance_m for s in r.stops)
        drive = sum(s.leg_time_s for s in r.stops)
        speed = dist / drive if drive > 0 and dist > 0 else 8.0
        vehicles[r.vehicle_id] = VehicleTrack(
            r.vehicle_id, r.depot, float(first.lat), float(first.lon), day0 + first.departure, stops,
            speed_mps=float(speed), last_seen=day0 + first.departure,
        )
    for h in plan.handoffs:
        pb = promises.get(h.order_id)
        if pb is None:
            continue
        orders[h.order_id] = OrderWatch(h.order_id, float(pb), carrier_id=h.carrier_id, depot=h.depot,
                                        carrier_p=float(h.on_time_probability))
    return vehicles, orders
