"""Checkout and the customer: a real quote for every order, then a logit choice among its options.

Every order is quoted by :func:`engine.promise.quote_arrays` with the
region's promise model (the one checkout serves), from its nearest depot, at
its placement time and the scenario's target.  The customer then picks one
available option by a multinomial logit: utility = the option's constant
(``choice.constants`` by ``carrier:service``, else carrier, else kind)
+ ``price`` x its price + ``hours`` x the hours until its promised time, plus
Gumbel noise from the choices stream.  An order with no available option
(off the map, too heavy for everything) is counted, not placed.

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
    u = np.where(ok, u, -np.inf)
    k = np.where(ok.any(axis=1), np.argmax(u, axis=1), -1).astype(np.int64)
    rows = np.arange(n)
    kk = np.maximum(k, 0)
    pick = lambda a: np.where(k >= 0, a[rows, kk], np.nan)  # noqa: E731
    promised = pick(q.promised) - w.day0
    window = pick(q.window_start) - w.day0
    day = np.full(n, -99, dtype=np.int64)
    own = np.array([c == OWN_FLEET for c in carriers])
    is_own = (k >= 0) & own[kk]
    start = np.where(np.isfinite(window), window, promised)
    day[is_own] = np.floor(start[is_own] / 86400.0).astype(np.int64)
    placed_day = np.floor(o.placed_s / 86400.0).astype(np.int64)
    tod = o.placed_s - placed_day * 86400.0
    for j, c in enumerate(carriers):
        if c == OWN_FLEET:
            continue
        m = k == j
        cut = clock_s(s.carriers[c].cutoff) if c in s.carriers else 18 * 3600
        day[m] = placed_day[m] + (tod[m] >= cut)
    return Chosen(list(q.keys), kinds, carriers, k, promised, window, pick(q.probability), pick(q.cost), depot, day,
                  q.available.sum(axis=1).astype(np.int64))
