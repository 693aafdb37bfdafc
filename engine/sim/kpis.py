"""The KPIs of one simulated day: a nested dict of plain numbers, JSON-ready, with no timings in it.

Keys (shares are 0-1; times in seconds; ``None`` where nothing was there to measure):

* ``orders``; ``demand``: ``placed_today`` (on D), ``no_option`` (nothing
  checkout could offer), ``own_withdrawn`` (an own-fleet option withdrawn
  because its fleet day was full, ``checkout.own_orders_per_day``),
  ``beyond_horizon`` (promised past the last fleet day: not followed),
  ``followed`` (= ``orders``), ``load_orders`` (placed on other days,
  simulated for their load) and ``load_orders_late``;
* ``on_time``: ``overall``, ``by_option`` (kind), ``by_carrier`` (of the
  chosen option: ``own`` or a carrier), ``handed_off`` (own-fleet orders
  dispatch passed to a carrier), ``by_hour`` (local hour of order, ``"00"``-``"23"``);
* ``calibration``: ``quoted_mean`` vs ``realised`` overall, ``bins`` of
  quoted probability (``"0.95-1.00"``: ``orders``, ``quoted``, ``realised``)
  and ``by_option`` (``quoted``, ``realised``);
* ``padding_s``: promised - delivered over delivered orders (``mean``,
  ``median``, ``p10``, ``p90``), ``late_median``/``late_p90`` (lateness of the
  late ones), ``undelivered`` and ``median_by_option``;
* ``cost``: of all fleet days, ``total``, ``fleet`` (the plans' routes at the
  dispatch cost model), ``carriers`` (hand-offs at their price),
  ``orders_served`` (load orders included) and ``per_order``;
* ``fleet``: ``size``; on the day itself ``vehicles_used`` (physical vehicles
  sent out at least once), ``routes``, ``driver_hours`` (true), ``utilisation``
  (driver hours / shift hours of the whole fleet); ``peak_on_road``,
  ``breakdowns`` (all fleet days) and the same per fleet day under ``by_day``;
* ``handed_to_carriers`` (by dispatch), ``unplanned``, ``carrier_extra_day``
  (bad day, missed sort, over capacity, outage), ``over_carrier_capacity``;
* ``warnings``: ``notices`` by kind, ``orders_warned``, ``late_warned_share``
  (late orders warned before their promise), ``precision`` (warned orders
  that were late), ``lead_median_s``/``lead_mean_s`` (promise - first warning,
  late orders warned in time), ``rescues_proposed``, ``events``;
* ``tickets``: ``opened``, ``resolved``, ``resolved_24h_share``,
  ``opened_by`` (monitor delay/broken/unknown, customer calls);
* ``notifications``: rows written per event, ``total``, ``skipped``;
* ``waves``: per wave ``"d<fleet day>-HH:MM"``: ``orders``, ``routes``, ``handoffs``, ``unassigned``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from engine.domain.monitor import DelayWarning
from engine.sim.aftersales import AfterSales
from engine.sim.result import OrderOutcomes
from engine.sim.scenario import Scenario, clock_s
from engine.sim.truth import FLEET_DAYS
from engine.sim.watch import Watched
from engine.sim.waves import WaveOutcome

__all__ = ["CALIBRATION_EDGES", "compute"]

#: Quoted-probability bins of the calibration table.
CALIBRATION_EDGES = (0.0, 0.5, 0.8, 0.9, 0.95, 1.0000001)


def _share(mask: np.ndarray) -> float | None:
    return float(np.mean(mask)) if mask.size else None


def _f(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def compute(s: Scenario, o: OrderOutcomes, wo: WaveOutcome, notices: list[DelayWarning], mon: Watched, after: AfterSales, *,
            demand: dict[str, int], on_road: np.ndarray, extra_day: np.ndarray, spill: np.ndarray) -> dict[str, Any]:
    """The KPIs (see the module docstring) of the day's orders ``o`` and the fleet days ``wo``."""
    n = len(o)
    ok = np.asarray(o.on_time, dtype=bool)
    out: dict[str, Any] = {"orders": n, "demand": dict(demand)}
    hour = (np.floor(o.placed_s / 3600.0).astype(np.int64)) % 24
    out["on_time"] = {
        "overall": _share(ok),
        "by_option": {k: _share(ok[o.option == k]) for k in sorted(set(o.option.tolist()))},
        "by_carrier": {c: _share(ok[o.carrier == c]) for c in sorted(set(o.carrier.tolist()))},
        "handed_off": _share(ok[np.asarray(o.handed_off, dtype=bool)]),
        "by_hour": {f"{h:02d}": _share(ok[hour == h]) for h in range(24) if (hour == h).any()},
    }
    p = np.asarray(o.quoted_p, dtype=np.float64)
    bins = {}
    for lo, hi in zip(CALIBRATION_EDGES, CALIBRATION_EDGES[1:]):
        m = (p >= lo) & (p < hi)
        if m.any():
            bins[f"{lo:.2f}-{min(hi, 1.0):.2f}"] = {"orders": int(m.sum()), "quoted": _f(float(p[m].mean())), "realised": _f(float(ok[m].mean()))}
    by_opt = {k: {"quoted": _f(float(np.nanmean(p[o.option == k]))), "realised": _share(ok[o.option == k])}
              for k in sorted(set(o.option.tolist()))}
    out["calibration"] = {"quoted_mean": _f(float(np.nanmean(p))) if n else None, "realised": _share(ok), "bins": bins,
                          "by_option": by_opt}
    d = np.asarray(o.delivered_s)
    got = np.isfinite(d)
    pad = (o.promised_s - d)[got]
    late = -pad[pad < 0]
    out["padding_s"] = {
        "mean": _f(float(pad.mean())) if pad.size else None,
        "median": _f(float(np.median(pad))) if pad.size else None,
        "p10": _f(float(np.quantile(pad, 0.1))) if pad.size else None,
        "p90": _f(float(np.quantile(pad, 0.9))) if pad.size else None,
        "late_median": _f(float(np.median(late))) if late.size else None,
        "late_p90": _f(float(np.quantile(late, 0.9))) if late.size else None,
        "undelivered": int((~got).sum()),
        "median_by_option": {k: _f(float(np.median((o.promised_s - d)[got & (o.option == k)])))
                             for k in sorted(set(o.option[got].tolist()))},
    }
    # Cost of the fleet days (the plans' routes at the dispatch cost model, hand-offs at the
    # carrier's price) over the orders they served, the load orders included.
    fleet_cost = sum(r.cost for wv in wo.waves for r in wv.plan.routes if r.order_ids)
    carrier_cost = sum(h.cost for wv in wo.waves for h in wv.plan.handoffs)
    served = len(wo.delivered) + len(wo.handoffs)
    total = fleet_cost + carrier_cost
    out["cost"] = {"total": _f(total), "per_order": _f(total / served) if served else None, "fleet": _f(fleet_cost),
                   "carriers": _f(carrier_cost), "orders_served": served}
    shift_h = sum(v.count * (clock_s(v.shift[1]) - clock_s(v.shift[0])) for v in s.fleet.values()) / 3600.0
    by_day = {}
    for day in range(FLEET_DAYS):
        spans = [(a, b) for (dd, _t, _k), sp in wo.busy.items() if dd == day for a, b in sp]
        hours = sum(b - a for a, b in spans) / 3600.0
        by_day[f"d{day}"] = {
            "vehicles_used": sum(1 for (dd, _t, _k) in wo.busy if dd == day),
            "routes": len(spans),
            "driver_hours": _f(hours),
            "utilisation": _f(hours / shift_h) if shift_h > 0 else None,
        }
    out["fleet"] = {
        "size": s.fleet_size,
        **by_day["d0"],
        "peak_on_road": int(on_road.max()) if on_road.size else 0,
        "breakdowns": sum(1 for wv in wo.waves for dr in wv.drives.values() if dr.breakdown_at is not None),
        "by_day": by_day,
    }
    out["handed_to_carriers"] = int(np.count_nonzero(o.handed_off))
    out["unplanned"] = int(np.count_nonzero(o.unplanned))
    out["carrier_extra_day"] = int(np.count_nonzero(extra_day))
    out["over_carrier_capacity"] = int(np.count_nonzero(spill))
    kinds = Counter(str(x.kind) for x in notices)
    warned = np.isfinite(o.warned_s)
    late_m = ~ok
    in_time = warned & (o.warned_s <= o.promised_s)
    lead = (o.promised_s - o.warned_s)[late_m & in_time]
    out["warnings"] = {
        "notices": {k: int(v) for k, v in sorted(kinds.items())},
        "orders_warned": int(warned.sum()),
        "late_warned_share": _share(in_time[late_m]),
        "precision": _share(late_m[warned]),
        "lead_median_s": _f(float(np.median(lead))) if lead.size else None,
        "lead_mean_s": _f(float(lead.mean())) if lead.size else None,
        "rescues_proposed": sum(1 for x in notices if x.proposal is not None),
        "events": mon.events,
    }
    tk = after.ticket_kpis
    out["tickets"] = {
        "opened": int(tk["opened"]),
        "resolved": int(tk["resolved"]),
        "resolved_24h_share": _f(tk["resolved_24h_share"]),
        "opened_by": {k: int(v) for k, v in sorted(after.opened_by.items())},
    }
    out["notifications"] = {**{k: int(v) for k, v in sorted(after.notifications.items())},
                            "total": int(sum(after.notifications.values())), "skipped": int(after.skipped)}
    out["waves"] = {
        f"d{wv.day}-{s.waves.times[wv.index]}": {
            "orders": wv.orders, "routes": sum(1 for r in wv.plan.routes if r.order_ids),
            "handoffs": len(wv.plan.handoffs), "unassigned": len(wv.plan.unassigned)}
        for wv in wo.waves
    }
    return out
