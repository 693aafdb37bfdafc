"""Checkout and the customer: a real quote for every order, then a logit choice among its options.

Every order is quoted by :func:`engine.promise.quote_arrays` with the
region's promise model (the one checkout serves), from its nearest depot, at
its placement time and the scenario's target.  The customer then picks one
available option by a multinomial logit: utility = the option's constant
(``choice.constants`` by ``carrier:service``, else carrier, else kind)
+ ``price`` x its price + ``hours`` x the hours until its promised time, plus
Gumbel noise from the choices stream.  An order with no available option
(off the map, too heavy for everything) is counted, not placed.

Checkout can be told that the own fleet's plan for a day is full
(``checkout.own_orders_per_day``): orders are then taken in placement order,
and once that many are promised for a fleet day its own-fleet options are
quoted as the promise rules quote them with no capacity left
(``capacity_left={"own": 0}``: "capacity of today's plan is exhausted"),
and the customer chooses among the rest with the same draws.

Then each order is given its service day: own-fleet options are delivered on
the local day of their promise (a slot: of its window), a carrier's parcel is
handed over on the day of its next pick-up (the carrier's ``cutoff``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.eta._city import OWN_FLEET
from engine.geo import haversine_km
from engine.promise import quote_arrays
from engine.sim.demand import Placed
from engine.sim.scenario import Scenario, clock_s
from engine.sim.world import World

__all__ = ["Chosen", "choose"]


@dataclass(slots=True)
class Chosen:
    """Per placed order: the option taken (``key`` index ``-1``: none available) and its promise."""

    keys: list[str]
    kinds: list[str]
    carriers: list[str]
    k: np.ndarray  # int64 option index, -1 none
    promised_s: np.ndarray  # float64 seconds from D's midnight
    window_s: np.ndarray  # slot start (nan otherwise)
    quoted_p: np.ndarray
    price: np.ndarray
    depot: np.ndarray  # int64 index of the nearest depot
    service_day: np.ndarray  # int64 day (0 = D) the fleet delivers it / the carrier picks it up
    offered: np.ndarray  # int64 how many options were available
    withdrawn: np.ndarray  # bool: an own-fleet option was withdrawn because its day was full


def _constant(s: Scenario, key: str, carrier: str, kind: str) -> float:
    c = s.choice.constants
    return float(c.get(key, c.get(carrier, c.get(kind, 0.0))))


def choose(s: Scenario, w: World, o: Placed, rng: np.random.Generator) -> Chosen:
    """Quote every order and let its customer choose (draws from the choices stream only)."""
    n = len(o)
    # Goods leave from the nearest depot: quotes measure their distance band from there.
    d = haversine_km(o.lat[:, None], o.lon[:, None], w.depot_lat[None, :], w.depot_lon[None, :])
    depot = np.argmin(d, axis=1).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    created = w.day0 + o.placed_s
    q = quote_arrays(w.model, o.lat, o.lon, created, o.weight_kg, w.depot_lat[depot], w.depot_lon[depot], target=s.target)
    specs = [w.model.spec(k) for k in q.keys]
    kinds = [sp.kind for sp in specs]
    carriers = [sp.carrier for sp in specs]
    K = len(q.keys)
    const = np.array([_constant(s, k, sp.carrier, sp.kind) for k, sp in zip(q.keys, specs)])
    hours = (q.promised - created[:, None]) / 3600.0
    with np.errstate(invalid="ignore"):
        u = const[None, :] + s.choice.price * q.cost + s.choice.hours * hours
    # Always the full (n, K) draw: the stream's position does not depend on what was available.
    u = u + rng.gumbel(size=(n, K))
    ok = q.available & np.isfinite(u)
    own = np.array([c == OWN_FLEET for c in carriers])
    # The fleet day each own-fleet option would be delivered on.
    start_all = np.where(np.isfinite(q.window_start), q.window_start, q.promised) - w.day0
    with np.errstate(invalid="ignore"):
        opt_day = np.where(np.isfinite(start_all), np.floor(start_all / 86400.0), -99).astype(np.int64)
    withdrawn = np.zeros(n, dtype=bool)
    cap = s.checkout.own_orders_per_day
    if cap > 0 and own.any():
        full = quote_arrays(w.model, o.lat, o.lon, created, o.weight_kg, w.depot_lat[depot], w.depot_lon[depot],
                            target=s.target, capacity_left={OWN_FLEET: 0}).available
        ok = _within_capacity(ok, full & np.isfinite(u), u, own, opt_day, cap, withdrawn)
    u = np.where(ok, u, -np.inf)
    k = np.where(ok.any(axis=1), np.argmax(u, axis=1), -1).astype(np.int64)
    rows = np.arange(n)
    kk = np.maximum(k, 0)
    pick = lambda a: np.where(k >= 0, a[rows, kk], np.nan)  # noqa: E731
    promised = pick(q.promised) - w.day0
    window = pick(q.window_start) - w.day0
    day = np.full(n, -99, dtype=np.int64)
    is_own = (k >= 0) & own[kk]
    day[is_own] = opt_day[rows, kk][is_own]
    placed_day = np.floor(o.placed_s / 86400.0).astype(np.int64)
    tod = o.placed_s - placed_day * 86400.0
    for j, c in enumerate(carriers):
        if c == OWN_FLEET:
            continue
        m = k == j
        cut = clock_s(s.carriers[c].cutoff) if c in s.carriers else 18 * 3600
        day[m] = placed_day[m] + (tod[m] >= cut)
    return Chosen(list(q.keys), kinds, carriers, k, promised, window, pick(q.probability), pick(q.cost), depot, day,
                  ok.sum(axis=1).astype(np.int64), withdrawn)


def _within_capacity(ok: np.ndarray, full: np.ndarray, u: np.ndarray, own: np.ndarray, opt_day: np.ndarray, cap: int,
                     withdrawn: np.ndarray) -> np.ndarray:
    """Availability once each fleet day takes at most ``cap`` own-fleet orders, first come first served.

    ``full`` is the availability the rules give with no own capacity left;
    orders are in placement order.  Marks ``withdrawn`` orders.
    """
    ok = ok.copy()
    used: dict[int, int] = {}
    own_cols = np.flatnonzero(own)
    for i in range(ok.shape[0]):
        row = ok[i]
        for j in own_cols:
            if row[j] and used.get(int(opt_day[i, j]), 0) >= cap:
                row[j] = full[i, j]
                withdrawn[i] = True
        if row.any():
            j = int(np.argmax(np.where(row, u[i], -np.inf)))
            if own[j]:
                d = int(opt_day[i, j])
                used[d] = used.get(d, 0) + 1
    return ok
