"""Arrival-time distributions along planned own-fleet routes (numba Monte Carlo).

Each sample drives every route once: a leg's time is its planned time times a
log-normal factor whose spread grows with congestion at the hour the leg is
driven (so a leg's absolute noise grows with its length), times a day-level
factor shared by *all* routes in that sample (weather, an incident on the
ring road: the reason late deliveries come in clusters).  A van that arrives
before a window opens waits; service times are noisy too.  Per stop we keep
p50/p80/p95 of the arrival and P(arrival <= promised time).

Random numbers come from a counter-based generator (splitmix64 of
``seed, route, stop, sample`` indexing a table of normal quantiles), so
results do not depend on the thread count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numba import njit, prange

from engine.domain.plan import Plan
from engine.errors import InputError

_NONE_START = -1.0e18
_NONE_END = 1.0e18


@dataclass(frozen=True, slots=True)
class EtaNoise:
    """Noise model; defaults are typical of urban van delivery."""

    sigma_base: float = 0.12  # log-sd of a leg off-peak
    #: Extra log-sd by local hour (morning and afternoon rush).
    congestion: tuple[float, ...] = tuple(
        0.12 if h in (7, 8, 16, 17) else 0.06 if h in (9, 15, 18) else 0.0 for h in range(24)
    )
    sigma_day: float = 0.08  # log-sd of the shared day factor
    bad_day_p: float = 0.06  # chance a sample is a bad-weather day ...
    bad_day_factor: float = 1.35  # ... which slows every leg by this much
    sigma_service: float = 0.30  # log-sd of service time


@njit(cache=True, inline="always")
def _splitmix(x: np.uint64) -> np.uint64:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


#: Standard-normal quantiles at 2**16 evenly spaced probabilities: one hash and a
#: table read per draw instead of Box-Muller's log, sqrt, cos and sin.
_NORMAL_BITS = 16
_NORMAL_TABLE = None
_BINS = 512


def _normal_table() -> np.ndarray:
    global _NORMAL_TABLE
    if _NORMAL_TABLE is None:
        from scipy.special import ndtri  # noqa: PLC0415

        n = 1 << _NORMAL_BITS
        _NORMAL_TABLE = ndtri((np.arange(n) + 0.5) / n)
    return _NORMAL_TABLE


@njit(cache=True, parallel=True, fastmath=True)
def _route_mc(
    leg_s, service_s, win_start, promised, n_stops, start_s, day_factor, sigma,
    sigma_service, seed, levels, table, out_q, out_p,
):  # pragma: no cover - compiled
    R, S = leg_s.shape
    N = day_factor.shape[0]
    L = levels.shape[0]
    mask = np.uint64((1 << 16) - 1)
    ks = np.empty(L, dtype=np.int64)
    for li in range(L):
        k = int(math.ceil(levels[li] * N)) - 1
        ks[li] = k if k > 0 else 0
    for r in prange(R):
        ns = n_stops[r]
        buf = np.empty((ns, N))
        for n in range(N):
            t = start_s[r]
            # One splitmix per (route, sample), then xorshift64* along the stops:
            # deterministic per cell whatever the thread count, and cheap.
            st = _splitmix(np.uint64(seed) ^ np.uint64(r * N + n))
            for s in range(ns):
                st ^= st >> np.uint64(12)
                st ^= st << np.uint64(25)
                st ^= st >> np.uint64(27)
                h64 = st * np.uint64(2685821657736338717)
                z1 = table[int(h64 >> np.uint64(48))]
                z2 = table[int((h64 >> np.uint64(32)) & mask)]
                sg = sigma[r, s]
                leg = leg_s[r, s] * math.exp(sg * z1 - 0.5 * sg * sg) * day_factor[n]
                arr = t + leg
                buf[s, n] = arr
                begin = arr if arr > win_start[r, s] else win_start[r, s]
                t = begin + service_s[r, s] * math.exp(sigma_service * z2 - 0.5 * sigma_service * sigma_service)
        # Quantiles from a fine histogram between the stop's min and max:
        # linear in N (a sort per stop costs 3-5x more) and accurate to
        # (max - min) / _BINS, a few seconds for a stop hours into a route.
        hist = np.empty(_BINS, dtype=np.int64)
        for s in range(ns):
            lo = buf[s, 0]
            hi = lo
            c = 0
            for n in range(N):
                v = buf[s, n]
                if v < lo:
                    lo = v
                if v > hi:
                    hi = v
                if v <= promised[r, s]:
                    c += 1
            out_p[r, s] = c / N
            width = (hi - lo) / _BINS
            if width <= 0.0:
                for li in range(L):
                    out_q[r, s, li] = lo
                continue
            hist[:] = 0
            for n in range(N):
                b = int((buf[s, n] - lo) / width)
                if b >= _BINS:
                    b = _BINS - 1
                hist[b] += 1
            cum = 0
            li = 0
            for b in range(_BINS):
                nxt = cum + hist[b]
                while li < L and nxt > ks[li]:
                    # Interpolate inside the bin: the (k+1)-th value of the sample.
                    frac = (ks[li] - cum + 0.5) / hist[b]
                    out_q[r, s, li] = lo + (b + frac) * width
                    li += 1
                cum = nxt
                if li >= L:
                    break


@dataclass(slots=True)
class RouteEta:
    """Per-stop arrival quantiles (seconds since the plan's day start) and on-time probability."""

    p50: np.ndarray
    p80: np.ndarray
    p95: np.ndarray
    p_on_time: np.ndarray
    n_stops: np.ndarray


def day_factors(samples: int, noise: EtaNoise, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = np.exp(rng.normal(-0.5 * noise.sigma_day**2, noise.sigma_day, samples))
    return f * np.where(rng.random(samples) < noise.bad_day_p, noise.bad_day_factor, 1.0)


def route_eta_arrays(
    leg_s: np.ndarray,
    service_s: np.ndarray,
    win_start: np.ndarray,
    promised: np.ndarray,
    n_stops: np.ndarray,
    start_s: np.ndarray,
    samples: int = 1000,
    seed: int = 0,
    noise: EtaNoise = EtaNoise(),
    hour0_s: float = 0.0,
) -> RouteEta:
    """Monte Carlo arrival distributions for ``R`` routes padded to ``S`` stops.

    Parameters
    ----------
    leg_s, service_s
        ``(R, S)`` planned leg driving time into each stop and service time there.
    win_start, promised
        ``(R, S)`` window start (earliest service; use -inf for none) and the
        promised latest arrival (+inf for none).
    n_stops, start_s
        ``(R,)`` real stops per route and route departure time.
    samples, seed
        Monte Carlo samples (shared across routes: the day factor is common).
    hour0_s
        Wall-clock seconds since local midnight at time 0 (for congestion hours).
    """
    leg_s = np.ascontiguousarray(leg_s, dtype=np.float64)
    R, S = leg_s.shape
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (service_s, win_start, promised)]
    for name, a in zip(("service_s", "win_start", "promised"), arrays):
        if a.shape != (R, S):
            raise InputError(f"{name} has shape {a.shape}, expected {(R, S)}", field=name)
    n_stops = np.ascontiguousarray(n_stops, dtype=np.int64)
    start_s = np.ascontiguousarray(start_s, dtype=np.float64)
    if n_stops.shape != (R,) or start_s.shape != (R,):
        raise InputError(f"n_stops and start_s need shape {(R,)}", field="n_stops" if n_stops.shape != (R,) else "start_s")
    if (n_stops < 0).any() or (n_stops > S).any():
        raise InputError("n_stops must be within 0..S", field="n_stops")
    if samples < 1:
        raise InputError("samples must be >= 1", field="samples")
    if not np.isfinite(leg_s).all() or (leg_s < 0).any():
        raise InputError("leg_s must be finite and >= 0", field="leg_s")
    ws = np.where(np.isfinite(arrays[1]), arrays[1], _NONE_START)
    pr = np.where(np.isfinite(arrays[2]), arrays[2], _NONE_END)
    cong = np.ascontiguousarray(noise.congestion, dtype=np.float64)
    if cong.shape != (24,):
        raise InputError("noise.congestion needs 24 hourly values", field="noise.congestion")
    # Congestion by the hour each leg is *planned* to be driven: looking the
    # hour up per sample inside the kernel costs more than the sampling itself,
    # and a few minutes' deviation rarely changes the hour.
    planned = start_s[:, None] + np.cumsum(leg_s + arrays[0], axis=1) - leg_s
    hours = (np.floor((planned + hour0_s) / 3600.0).astype(np.int64)) % 24
    sigma = np.ascontiguousarray(noise.sigma_base + cong[hours])
    levels = np.array([0.5, 0.8, 0.95])
    out_q = np.full((R, S, 3), np.nan)
    out_p = np.full((R, S), np.nan)
    _route_mc(
        leg_s, arrays[0], ws, pr, n_stops, start_s, day_factors(samples, noise, seed), sigma,
        float(noise.sigma_service), int(seed) & 0x7FFFFFFFFFFFFFFF,
        levels, _normal_table(), out_q, out_p,
    )
    return RouteEta(out_q[..., 0], out_q[..., 1], out_q[..., 2], out_p, n_stops)


@dataclass(slots=True)
class StopEta:
    order_id: str | None
    vehicle_id: str
    index: int
    p50: datetime | float
    p80: datetime | float
    p95: datetime | float
    p_on_time: float


def plan_eta(plan: Plan, samples: int = 1000, seed: int = 0, noise: EtaNoise = EtaNoise()) -> list[StopEta]:
    """Arrival distribution of every stop of every route in a dispatch ``Plan``.

    Times are datetimes when the plan has a ``day_start``, else seconds since it.
    The promised time of a stop is its window end (which ``Order.promised_by`` folds into).
    """
    routes = [r for r in plan.routes if len(r.stops) > 1]
    if not routes:
        return []
    S = max(len(r.stops) - 1 for r in routes)
    R = len(routes)
    leg = np.zeros((R, S))
    svc = np.zeros((R, S))
    ws = np.full((R, S), -np.inf)
    pr = np.full((R, S), np.inf)
    ns = np.zeros(R, dtype=np.int64)
    st = np.zeros(R)
    for i, r in enumerate(routes):
        st[i] = r.stops[0].departure
        ns[i] = len(r.stops) - 1
        for j, s in enumerate(r.stops[1:]):
            leg[i, j] = max(float(s.leg_time_s), 0.0)
            begin = max(s.arrival, s.window.start) if s.window is not None else s.arrival
            svc[i, j] = max(float(s.departure - begin), 0.0)
            if s.window is not None:
                ws[i, j] = s.window.start
                pr[i, j] = s.window.end
    hour0 = 0.0
    if plan.day_start is not None:
        ds = plan.day_start
        hour0 = ds.hour * 3600.0 + ds.minute * 60.0 + ds.second
    eta = route_eta_arrays(leg, svc, ws, pr, ns, st, samples=samples, seed=seed, noise=noise, hour0_s=hour0)
    out: list[StopEta] = []
    for i, r in enumerate(routes):
        for j, s in enumerate(r.stops[1:]):
            vals = [float(eta.p50[i, j]), float(eta.p80[i, j]), float(eta.p95[i, j])]
            conv = [plan.wallclock(v) or v for v in vals]
            out.append(StopEta(s.order_id, r.vehicle_id, j + 1, conv[0], conv[1], conv[2], float(eta.p_on_time[i, j])))
    return out


def typical_slot_on_time(samples: int = 2000, seed: int = 7, noise: EtaNoise = EtaNoise()) -> float:
    """On-time share of booked 1-hour slots on a typical own-fleet route.

    A van starts at 09:00 with 40 stops, 7-minute legs and 3-minute stops; the
    planner books each stop into the slot whose first 30 minutes contain its
    planned arrival (30 minutes of slack for the tail).  Returns the mean P(arrival <= slot end).
    """
    S = 40
    leg = np.full((1, S), 420.0)
    svc = np.full((1, S), 180.0)
    planned = 9 * 3600.0 + np.cumsum(leg[0] + svc[0]) - svc[0]
    slot_start = np.floor((planned - 0.0) / 3600.0) * 3600.0
    # Stops planned late in their hour go into the next slot, keeping 30 min of slack.
    slot_start = np.where(planned - slot_start > 30 * 60, slot_start + 3600.0, slot_start)
    ws = np.full((1, S), -np.inf)
    pr = (slot_start + 3600.0)[None, :]
    eta = route_eta_arrays(leg, svc, ws, pr, np.array([S]), np.array([9 * 3600.0]), samples, seed, noise, 0.0)
    return float(np.mean(eta.p_on_time[0]))


def warm() -> None:
    """Compile the kernel on a tiny input (cached on disk afterwards)."""
    route_eta_arrays(np.ones((1, 2)), np.ones((1, 2)), np.full((1, 2), -np.inf), np.full((1, 2), np.inf), np.array([2]), np.zeros(1), samples=4)
