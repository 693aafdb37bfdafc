"""Orders of a simulated day: when they are placed, where they go, how big they are.

Six days of demand are drawn, ``D - 2`` to ``D + 3``: the orders of the
simulated day ``D`` are the ones followed, the others load the fleet days
they share with them (the next-day orders of ``D - 1`` are ``D``'s morning
backlog; see :mod:`engine.sim.day`).  Each day's count is Poisson with mean
``orders_per_day * surge`` times ``previous_day`` (the two days before) or
``following_day`` (the three after); arrival times follow the hourly curve,
with ``midnight_spike`` of ``D``'s orders in its first ``spike_minutes``
(the Double 11 rush at 00:00).  Destinations are network
nodes (so every order snaps within metres): ``uniform`` of them spread over
all nodes, the rest drawn around the hotspots with a Gaussian kernel.
Times are seconds from ``D``'s local midnight (negative before ``D``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.sim.scenario import Demand
from engine.sim.world import World

__all__ = ["DAYS", "Placed", "node_weights", "place_orders"]

#: Jitter of a destination around its node (degrees; ~15 m).
_JITTER_DEG = 1.3e-4


@dataclass(slots=True)
class Placed:
    """Columnar orders, sorted by placement time."""

    placed_s: np.ndarray  # float64, seconds from D's midnight
    lat: np.ndarray
    lon: np.ndarray
    node: np.ndarray  # int64 network node
    weight_kg: np.ndarray
    parcels: np.ndarray  # int64

    def __len__(self) -> int:
        return int(self.placed_s.shape[0])


def node_weights(d: Demand, w: World) -> np.ndarray:
    """Probability of each network node as a destination."""
    net = w.network
    n = net.n_nodes
    p = np.full(n, d.uniform / n)
    hot = [h for h in d.hotspots if h.weight > 0]
    total = sum(h.weight for h in hot)
    if hot and d.uniform < 1.0:
        kx = 111.32 * np.cos(np.radians(net.lat))
        for h in hot:
            dy = (net.lat - h.lat) * 111.32
            dx = (net.lon - h.lon) * kx
            k = np.exp(-0.5 * (dx * dx + dy * dy) / (h.radius_km * h.radius_km))
            s = k.sum()
            if s > 0:
                p += (1.0 - d.uniform) * (h.weight / total) * k / s
    return p / p.sum()


#: The demand days, relative to the simulated day.
DAYS = (-2, -1, 0, 1, 2, 3)


def _times(d: Demand, n: int, rng: np.random.Generator, spike_share: float) -> np.ndarray:
    spike = rng.random(n) < spike_share
    hourly = np.asarray(d.hourly, dtype=np.float64)
    hour = rng.choice(24, size=n, p=hourly / hourly.sum())
    within = rng.random(n)
    t = np.where(spike, within * d.spike_minutes * 60.0, (hour + within) * 3600.0)
    return np.minimum(t, 86399.0)


def place_orders(d: Demand, w: World, rng: np.random.Generator) -> Placed:
    """The orders of ``D - 2`` to ``D + 3`` (draws from the arrivals stream only)."""
    mean = d.orders_per_day * d.surge
    parts = []
    for day in DAYS:
        f = d.previous_day if day < 0 else d.following_day if day > 0 else 1.0
        k = int(rng.poisson(mean * f))
        parts.append(_times(d, k, rng, d.midnight_spike if day == 0 else 0.0) + day * 86400.0)
    t = np.concatenate(parts)
    n = t.shape[0]
    p = node_weights(d, w)
    node = rng.choice(p.shape[0], size=n, p=p)
    jitter = rng.uniform(-_JITTER_DEG, _JITTER_DEG, size=(n, 2))
    lat = w.network.lat[node] + jitter[:, 0]
    lon = w.network.lon[node] + jitter[:, 1] / max(np.cos(np.radians(float(np.mean(w.network.lat)))), 0.1)
    kg = np.minimum(np.exp(np.log(d.weight_kg.median) + d.weight_kg.sigma * rng.standard_normal(n)), d.weight_kg.max)
    parcels = 1 + rng.poisson(max(d.parcels.mean - 1.0, 0.0), size=n)
    order = np.argsort(t, kind="stable")
    return Placed(t[order], lat[order], lon[order], node[order].astype(np.int64), np.round(kg[order], 2), parcels[order].astype(np.int64))
