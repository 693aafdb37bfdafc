"""Orders of a simulated day: when they are placed, where they go, how big they are.

Two days of demand are drawn: the simulated day ``D`` and the day before
(``demand.previous_day`` times the volume), because the own fleet's morning on
``D`` delivers the next-day orders placed on ``D - 1`` (see
:mod:`engine.sim.day` for which orders a day covers).  Each day's count is
Poisson with mean ``orders_per_day * surge``; arrival times follow the
hourly curve, with ``midnight_spike`` of the day's orders in its first
``spike_minutes`` (the Double 11 rush at 00:00).  Destinations are network
nodes (so every order snaps within metres): ``uniform`` of them spread over
all nodes, the rest drawn around the hotspots with a Gaussian kernel.
Times are seconds from ``D``'s local midnight (negative on ``D - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.sim.scenario import Demand
from engine.sim.world import World

__all__ = ["Placed", "node_weights", "place_orders"]

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


def _times(d: Demand, n: int, rng: np.random.Generator) -> np.ndarray:
    spike = rng.random(n) < d.midnight_spike
    hourly = np.asarray(d.hourly, dtype=np.float64)
    hour = rng.choice(24, size=n, p=hourly / hourly.sum())
    within = rng.random(n)
    t = np.where(spike, within * d.spike_minutes * 60.0, (hour + within) * 3600.0)
    return np.minimum(t, 86399.0)


def place_orders(d: Demand, w: World, rng: np.random.Generator) -> Placed:
    """The orders of ``D - 1`` and ``D`` (draws from the arrivals stream only)."""
    mean = d.orders_per_day * d.surge
    n_prev = int(rng.poisson(mean * d.previous_day))
    n_today = int(rng.poisson(mean))
    t = np.concatenate([_times(d, n_prev, rng) - 86400.0, _times(d, n_today, rng)])
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
