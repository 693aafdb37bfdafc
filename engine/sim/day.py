"""One simulated delivery day: :func:`run_replication`.

Which deliveries a day covers
-----------------------------
The day's orders are those placed on the simulated day ``D``
(``scenario.date``, 00:00-24:00 in the region's time zone), each followed
until it is delivered: own-fleet orders on the fleet day of their promise
(same-day on ``D``, next-day on ``D + 1``, a slot on its day; up to
``D + 3``, where a peak day's tables put a next-day promise made after the
cut-off), carrier parcels from the carrier's pick-up (``D`` before its
cut-off, else ``D + 1``) to the delivery.

The fleet days ``D`` to ``D + 3`` also carry the work of the
orders placed around ``D`` (``D - 2`` to ``D + 3``, drawn with the same
demand model at ``previous_day`` / ``following_day`` times the volume): the
next-day orders of ``D - 1`` are ``D``'s morning backlog, the same-day
orders of ``D + 1`` share ``D + 1``'s vans with ``D``'s next-day orders, and
they all compete for the carriers' daily capacity.  These load orders are
simulated like the day's own (quoted, chosen, planned, driven, and watched
by the monitor on the routes they share) but are not in the result, nor in
the warnings, tickets and notifications KPIs; ``kpis["demand"]`` counts them, and counts the
orders of ``D`` that are not followed (no option available; an own-fleet
promise beyond ``D + 3``).

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
from engine.sim import aftersales, watch
from engine.sim import kpis as _kpis
from engine.sim.choice import Chosen, choose
from engine.sim.demand import place_orders
from engine.sim.result import BIN_S, OrderOutcomes, ReplicationResult
from engine.sim.scenario import Scenario, clock_s
from engine.sim.streams import streams
from engine.sim.truth import DAY, FLEET_DAYS, Draws, carrier_key, carrier_time, draw
from engine.sim.waves import WaveOutcome, run_waves
from engine.sim.world import World, world

__all__ = ["run_replication"]

#: Carriers not configured in the scenario pick up at this time, without a capacity.
DEFAULT_CUTOFF_S = 18 * 3600


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

    # -- demand, quotes and choices ----------------------------------------------------
    t0 = time.perf_counter()
    placed = place_orders(s.demand, w, rs.arrivals)
    ch = choose(s, w, placed, rs.choices)
    timing["quote"] = time.perf_counter() - t0
    sim = np.flatnonzero((ch.k >= 0) & (ch.service_day >= 0) & (ch.service_day < FLEET_DAYS))
    n = sim.shape[0]
    p_s = placed.placed_s[sim]
    lat, lon, node = placed.lat[sim], placed.lon[sim], placed.node[sim]
    kg, parcels = placed.weight_kg[sim], placed.parcels[sim]
    k = ch.k[sim]
    day_of = ch.service_day[sim]
    promised, window = ch.promised_s[sim], ch.window_s[sim]
    carrier = np.array(ch.carriers, dtype=object)[k].astype(str) if n else np.zeros(0, dtype=str)
    option = np.array(ch.kinds, dtype=object)[k].astype(str) if n else np.zeros(0, dtype=str)
    order_ids = [f"o{int(i):06d}" for i in sim]
    today = (p_s >= 0) & (p_s < DAY)
    draws = draw(s, n, rs.travel, rs.disruptions)

    # -- parcels the customers sent with a carrier: its room that day, first come first served --
    room = {(c, d): spec.capacity for c, spec in s.carriers.items() for d in range(FLEET_DAYS)}
    chosen = np.flatnonzero(carrier != OWN_FLEET)
    spill = np.zeros(n, dtype=bool)
    for j in chosen:  # placement order
        key = (str(carrier[j]), int(day_of[j]))
        if key in room:
            if room[key] > 0:
                room[key] -= 1
            else:
                spill[j] = True

    # -- the own fleet: waves of dispatch, driven in the truth ---------------------------
    own = np.flatnonzero(carrier == OWN_FLEET)
    wo = run_waves(s, w, draws, own, day_of, p_s, lat, lon, node, kg, parcels, promised, window, room, rs.solver, order_ids)
    timing["matrix"] = sum(wv.matrix_s for wv in wo.waves)
    timing["dispatch"] = sum(wv.solve_s for wv in wo.waves) - timing["matrix"]
    timing["driving"] = wo.drive_s

    # -- carriers ---------------------------------------------------------------------------
    t0 = time.perf_counter()
    delivered, pickup, handed, used, extra_day = _carriers(s, w, draws, wo, ch, sim, k, carrier, day_of, p_s, lat, lon, spill)
    timing["carriers"] = time.perf_counter() - t0

    # -- the live monitor, tickets and notifications ---------------------------------------
    t0 = time.perf_counter()
    # A carrier's first scan: its pick-up, or earlier when the parcel is delivered before it
    # (the lead time drawn for a late-evening order can beat the next day's cut-off).
    scan = np.where(np.isfinite(pickup), np.maximum(np.minimum(pickup, delivered - 3600.0), p_s), np.nan)
    mon = watch.run(s, w, draws, wo, order_ids, promised, today & (carrier != OWN_FLEET), used, scan, delivered)
    timing["monitor"] = time.perf_counter() - t0

    res = np.flatnonzero(today)
    res_ids = [order_ids[i] for i in res]
    res_set = set(res_ids)
    out_at = np.full(n, np.nan)
    for i, (wkey, vid) in wo.route_of.items():
        out_at[i] = mon.out_at.get(f"{wkey}/{vid}", np.nan)
    out_at = np.where(np.isfinite(scan), scan, out_at)
    notices = [x for x in mon.notices if x.order_id in res_set]
    t0 = time.perf_counter()
    after = aftersales.run(s, w, res_ids, p_s[res], promised[res], delivered[res], out_at[res], notices,
                           mon.first_warning[res], rs.choices)
    timing["tickets"] = time.perf_counter() - t0

    unplanned = np.zeros(n, dtype=bool)
    unplanned[wo.unplanned] = True
    on_time = np.isfinite(delivered) & (delivered <= promised)
    orders = OrderOutcomes(
        order_id=np.array(res_ids, dtype=str),
        placed_s=p_s[res].astype(np.float64),
        lat=lat[res], lon=lon[res],
        option=option[res], carrier=carrier[res],  # the chosen option's carrier (handed_off: dispatch passed it on)
        price=ch.price[sim][res],
        promised_s=promised[res],
        quoted_p=ch.quoted_p[sim][res],
        delivered_s=delivered[res],
        on_time=on_time[res],
        handed_off=handed[res],
        unplanned=unplanned[res],
        warned_s=mon.first_warning[res],
    )
    on_road = _on_road(wo)
    placed_today = (placed.placed_s >= 0) & (placed.placed_s < DAY)
    demand = {
        "placed_today": int(placed_today.sum()),
        "no_option": int((placed_today & (ch.k < 0)).sum()),
        "own_withdrawn": int((placed_today & ch.withdrawn).sum()),
        "beyond_horizon": int((placed_today & (ch.k >= 0) & ((ch.service_day < 0) | (ch.service_day >= FLEET_DAYS))).sum()),
        "followed": len(res),
        "load_orders": int(n - len(res)),
        "load_orders_late": int((~on_time[~today]).sum()),
    }
    k_out = _kpis.compute(s, orders, wo, notices, mon, after, demand=demand, on_road=on_road,
                          extra_day=extra_day[res], spill=spill[res])
    timing["total"] = time.perf_counter() - t_start
    return ReplicationResult(s.name, int(replication), root, orders, on_road, s.fleet_size, k_out,
                             {k2: round(v, 4) for k2, v in timing.items()})


def _carriers(
    s: Scenario, w: World, d: Draws, wo: WaveOutcome, ch: Chosen, sim: np.ndarray, k: np.ndarray, carrier: np.ndarray,
    day_of: np.ndarray, p_s: np.ndarray, lat: np.ndarray, lon: np.ndarray, spill: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Delivery times of every order: the fleet's (driven), and the carriers' from the model's tables.

    Returns ``delivered``, ``pickup`` (nan: not with a carrier), ``handed``
    (dispatch handed it to a carrier), ``used`` (who delivered it) and
    ``extra_day`` (a carrier parcel a day late for a disruption).
    """
    n = sim.shape[0]
    delivered = np.full(n, np.nan)
    for i, at in wo.delivered.items():
        delivered[i] = at
    pickup = np.full(n, np.nan)
    handed = np.zeros(n, dtype=bool)
    used = carrier.astype(object).copy()
    depot = ch.depot[sim]
    km = haversine_km(w.depot_lat[depot], w.depot_lon[depot], lat, lon) if n else np.zeros(0)
    chosen = np.flatnonzero(carrier != OWN_FLEET)
    # The customer's carrier: its lead time (order to door) as the model has it, times the truth's bias.
    for kk in np.unique(k[chosen]):
        m = chosen[k[chosen] == kk]
        lead = carrier_time(w.model, ch.keys[int(kk)], "lead", w.day0 + p_s[m], km[m], d.carrier_u[m])
        delivered[m] = p_s[m] + lead * s.truth.carrier_bias
        c = ch.carriers[int(kk)]
        cut = clock_s(s.carriers[c].cutoff) if c in s.carriers else DEFAULT_CUTOFF_S
        pickup[m] = day_of[m] * DAY + cut
    # Dispatch's hand-offs: picked up at the carrier's cut-off, then its transit time.
    hand = np.array(sorted(wo.handoffs), dtype=np.int64)
    for c in sorted({wo.handoffs[int(i)][0] for i in hand}):
        m = np.array([i for i in hand if wo.handoffs[int(i)][0] == c], dtype=np.int64)
        at = np.array([wo.handoffs[int(i)][1] for i in m])
        cut = float(clock_s(s.carriers[c].cutoff))
        pick = np.floor(at / DAY) * DAY + cut
        tr = carrier_time(w.model, carrier_key(w.model, c), "transit", w.day0 + pick, km[m], d.carrier_u[m])
        delivered[m] = pick + tr * s.truth.carrier_bias
        pickup[m] = pick
        handed[m] = True
        used[m] = c
    used = used.astype(str)
    extra = np.zeros(n, dtype=bool)
    for j in np.flatnonzero(np.isfinite(pickup)):
        c, pday = used[j], int(pickup[j] // DAY)
        extra[j] = ((c, pday) in d.bad_day or bool(d.sort_error[j]) or bool(spill[j])
                    or any(oc == c and a <= pickup[j] <= b for oc, a, b in d.outages))
    delivered = np.where(extra, delivered + DAY, delivered)
    return delivered, pickup, handed, used, extra


def _on_road(wo: WaveOutcome) -> np.ndarray:
    """Own-fleet vehicles out (driving or serving) per ``BIN_S`` bin of the simulated day."""
    bins = int(DAY // BIN_S)
    out = np.zeros(bins, dtype=np.int32)
    for (day, _t, _slot), spans in wo.busy.items():
        if day != 0:
            continue
        on = np.zeros(bins, dtype=bool)
        for a, b in spans:
            lo, hi = int(max(a, 0) // BIN_S), int(min(b, DAY - 1) // BIN_S)
            if hi >= lo:
                on[lo:hi + 1] = True
        out += on
    return out
