"""One simulated delivery day: :func:`run_replication`.

Which deliveries a day covers
-----------------------------
The simulated day ``D`` (``scenario.date``, the region's local time) covers
the work the own fleet and the carriers take on that day:

* own-fleet orders whose promise (a slot: its window) falls on ``D``: the
  next-day orders placed on ``D - 1`` (the morning backlog), the same-day
  orders and the slots booked for ``D``;
* carrier parcels picked up on ``D``: placed on ``D - 1`` after the carrier's
  cut-off or on ``D`` before it.

Orders of ``D - 1`` and ``D`` that belong to another day (``D - 1``'s own
same-day deliveries, ``D``'s next-day ones) are drawn, quoted and chosen
(so every stream stays aligned) but not simulated: in a steady state the
next-day orders of ``D`` meet on ``D + 1`` what ``D - 1``'s meet on ``D``.
``OrderOutcomes.placed_s`` is therefore negative for the backlog.  The
result's orders are those the day covers; ``kpis["demand"]`` also counts the
orders placed on ``D``, those for other days, and those with no option.

The steps (each a module): the random streams (:mod:`.streams`), the orders
(:mod:`.demand`), the quote and the customer's choice (:mod:`.choice`), the
truth's draws (:mod:`.truth`), dispatch in waves with driving
(:mod:`.waves`), the carriers' deliveries (here), the live monitor on the
simulated events (:mod:`.watch`), tickets and notifications on a simulated
clock (:mod:`.aftersales`) and the KPIs (:mod:`.kpis`).  Deterministic: the
same scenario, replication and root seed give the same ``kpis``; only
``timing`` (wall-clock seconds per phase) differs between runs.
"""

from __future__ import annotations

import time

import numpy as np

from engine.eta._city import OWN_FLEET
from engine.geo import haversine_km
from engine.sim import aftersales, kpis as _kpis, watch
from engine.sim.choice import choose
from engine.sim.demand import place_orders
from engine.sim.result import BIN_S, OrderOutcomes, ReplicationResult
from engine.sim.scenario import Scenario, clock_s
from engine.sim.streams import streams
from engine.sim.truth import carrier_key, carrier_time, draw
from engine.sim.waves import run_waves
from engine.sim.world import world

__all__ = ["run_replication"]

DAY = 86400.0


def run_replication(scenario: Scenario, replication: int, *, root_seed: int | None = None) -> ReplicationResult:
    """Simulate one day of ``scenario`` (see the module docstring).

    Parameters
    ----------
    scenario
        A validated scenario (:func:`engine.sim.load_scenario`).
    replication
        Which replication: with the scenario's name and the root seed it keys the random streams.
    root_seed
        The root of every stream; ``None``: ``scenario.seed``.
    """
    s = scenario
    root = s.seed if root_seed is None else int(root_seed)
    t_start = time.perf_counter()
    timing: dict[str, float] = {}
    w = world(s)
    timing["setup"] = time.perf_counter() - t_start
    rs = streams(s.name, replication, root)

    # -- demand, quotes and choices -------------------------------------------------
    t0 = time.perf_counter()
    placed = place_orders(s.demand, w, rs.arrivals)
    ch = choose(s, w, placed, rs.choices)
    timing["quote"] = time.perf_counter() - t0
    n_all = len(placed)
    covered = np.flatnonzero((ch.k >= 0) & (ch.service_day == 0))
    n = covered.shape[0]
    p_s = placed.placed_s[covered]
    lat, lon, node = placed.lat[covered], placed.lon[covered], placed.node[covered]
    kg, parcels = placed.weight_kg[covered], placed.parcels[covered]
    k = ch.k[covered]
    promised = ch.promised_s[covered]
    window = ch.window_s[covered]
    carrier_of_k = np.array(ch.carriers, dtype=object)
    kind_of_k = np.array(ch.kinds, dtype=object)
    carrier = carrier_of_k[k].astype(str) if n else np.zeros(0, dtype=str)
    option = kind_of_k[k].astype(str) if n else np.zeros(0, dtype=str)
    order_ids = [f"{'y' if p < 0 else 'd'}{int(covered[j]):05d}" for j, p in enumerate(p_s)]
    draws = draw(s, n, rs.travel, rs.disruptions)

    # -- customer-chosen carrier parcels: within the carrier's room, first come first served --
    room = {c: spec.capacity for c, spec in s.carriers.items()}
    chosen_carrier = np.flatnonzero(carrier != OWN_FLEET)
    spill = np.zeros(n, dtype=bool)
    for j in chosen_carrier:  # placement order
        c = carrier[j]
        if c in room:
            if room[c] > 0:
                room[c] -= 1
            else:
                spill[j] = True

    # -- own fleet: waves of dispatch, driven in the truth --------------------------
    own = np.flatnonzero(carrier == OWN_FLEET)
    t0 = time.perf_counter()
    wo = run_waves(s, w, draws, own, p_s, lat, lon, node, kg, parcels, promised, window, room, rs.solver, order_ids)
    t_waves = time.perf_counter() - t0
    timing["matrix"] = sum(wv.matrix_s for wv in wo.waves)
    timing["dispatch"] = sum(wv.solve_s for wv in wo.waves) - timing["matrix"]
    timing["driving"] = wo.drive_s

    # -- carriers: the customer's choice and dispatch's hand-offs -------------------
    t0 = time.perf_counter()
    delivered = np.full(n, np.nan)
    for i, at in wo.delivered.items():
        delivered[i] = at
    handed = np.zeros(n, dtype=bool)
    handed_by = carrier.astype(object).copy()
    pickup = np.full(n, np.nan)
    for c in sorted(set(carrier[chosen_carrier].tolist())):
        m = chosen_carrier[carrier[chosen_carrier] == c]
        lead = np.zeros(m.shape[0])
        for kk in np.unique(k[m]):
            mm = k[m] == kk
            idx = m[mm]
            km = haversine_km(w.depot_lat[ch.depot[covered[idx]]], w.depot_lon[ch.depot[covered[idx]]], lat[idx], lon[idx])
            lead[mm] = carrier_time(w.model, ch.keys[kk], "lead", w.day0 + p_s[idx], km, draws.carrier_u[idx])
        delivered[m] = p_s[m] + lead * s.truth.carrier_bias
        cut = clock_s(s.carriers[c].cutoff) if c in s.carriers else 18 * 3600
        pickup[m] = cut
    for i, (c, _at) in wo.handoffs.items():
        handed[i] = True
        handed_by[i] = c
    hand_ix = np.array(sorted(wo.handoffs), dtype=np.int64)
    for c in sorted({wo.handoffs[i][0] for i in wo.handoffs}):
        m = np.array([i for i in hand_ix if wo.handoffs[int(i)][0] == c], dtype=np.int64)
        cut = float(clock_s(s.carriers[c].cutoff))
        km = haversine_km(w.depot_lat[ch.depot[covered[m]]], w.depot_lon[ch.depot[covered[m]]], lat[m], lon[m])
        tr = carrier_time(w.model, carrier_key(w.model, c), "transit", np.full(m.shape[0], w.day0 + cut), km, draws.carrier_u[m])
        delivered[m] = cut + tr * s.truth.carrier_bias
        pickup[m] = cut
    by_carrier = np.isfinite(pickup)
    carriers_used = handed_by.astype(str)
    extra_day = np.zeros(n, dtype=bool)
    for j in np.flatnonzero(by_carrier):
        c = carriers_used[j]
        hit = c in draws.bad_day or bool(draws.sort_error[j]) or bool(spill[j])
        hit = hit or any(oc == c and a <= pickup[j] <= b for oc, a, b in draws.outages)
        extra_day[j] = hit
    delivered = np.where(extra_day, delivered + DAY, delivered)
    timing["carriers"] = time.perf_counter() - t0

    # -- the live monitor, tickets and notifications ---------------------------------
    t0 = time.perf_counter()
    mon = watch.run(s, w, draws, wo, order_ids, promised, window, by_carrier & ~handed, carriers_used, pickup, delivered,
                    p_s, extra_day, lat, lon)
    timing["monitor"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    after = aftersales.run(s, w, order_ids, p_s, promised, delivered, mon, wo, rs.choices)
    timing["tickets"] = time.perf_counter() - t0

    unplanned = np.zeros(n, dtype=bool)
    unplanned[wo.unplanned] = True
    on_time = np.isfinite(delivered) & (delivered <= promised)
    orders = OrderOutcomes(
        order_id=np.array(order_ids, dtype=str),
        placed_s=p_s.astype(np.float64),
        lat=lat, lon=lon,
        option=option, carrier=carriers_used,
        price=ch.price[covered],
        promised_s=promised,
        quoted_p=ch.quoted_p[covered],
        delivered_s=delivered,
        on_time=on_time,
        handed_off=handed,
        unplanned=unplanned,
        warned_s=mon.first_warning,
    )
    on_road = _on_road(wo, s)
    k_out = _kpis.compute(s, w, orders, wo, mon, after, n_all=n_all, placed_today=int((placed.placed_s >= 0).sum()),
                          no_option=int((ch.k < 0).sum()), other_day=int(((ch.k >= 0) & (ch.service_day != 0)).sum()),
                          on_road=on_road, extra_day=extra_day, spill=spill)
    timing["total"] = time.perf_counter() - t_start
    timing["waves"] = t_waves
    return ReplicationResult(s.name, int(replication), root, orders, on_road, s.fleet_size, k_out,
                             {k2: round(v, 4) for k2, v in timing.items()})


def _on_road(wo, s: Scenario) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Own-fleet vehicles out (driving or serving) per ``BIN_S`` bin of the day."""
    bins = int(DAY // BIN_S)
    out = np.zeros(bins, dtype=np.int32)
    for spans in wo.busy.values():
        on = np.zeros(bins, dtype=bool)
        for a, b in spans:
            lo, hi = int(max(a, 0) // BIN_S), int(min(b, DAY - 1) // BIN_S)
            if hi >= lo:
                on[lo:hi + 1] = True
        out += on
    return out
