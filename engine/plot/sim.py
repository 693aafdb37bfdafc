"""Plots of a simulated peak day, as PNG files for the simulation report.

Plain functions over arrays (no simulator types), each writing one PNG and
returning its path.  They draw on a bare :class:`matplotlib.figure.Figure`
with the Agg canvas, never ``pyplot``: no global figure state, no display
needed, safe in worker processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["on_time_by_hour", "late_map", "utilisation", "reliability", "fleet_curve"]

#: Most points drawn per class on the map (beyond this, an even subsample keeps files small).
MAX_MAP_POINTS = 40_000
_LATE = "#c0392b"
_OK = "#95a5a6"
_MAIN = "#2c6fbb"


def _figure(width: float = 7.0, height: float = 3.6) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    fig.savefig(path)
    return path


def _none_to_nan(x: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in x], dtype=np.float64)


def on_time_by_hour(
    hours: Sequence[int],
    share: Sequence[float | None],
    ci_low: Sequence[float | None],
    ci_high: Sequence[float | None],
    orders: Sequence[int],
    target: float,
    path: Path,
) -> Path:
    """On-time share by hour of order (bars, 95% interval whiskers), orders per hour behind, the target as a line."""
    h = np.asarray(hours)
    s, lo, hi = _none_to_nan(share), _none_to_nan(ci_low), _none_to_nan(ci_high)
    # A t interval of a share can run past [0, 1] with few replications; a share cannot.
    lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    fig = _figure()
    ax = fig.add_subplot()
    back = ax.twinx()
    back.bar(h, orders, width=0.9, color="#dfe6ee", zorder=0)
    back.set_ylabel("orders (all replications)")
    ax.set_zorder(back.get_zorder() + 1)
    ax.patch.set_visible(False)
    have = np.isfinite(lo) & np.isfinite(hi)
    err = np.vstack([np.where(have, s - lo, 0.0), np.where(have, hi - s, 0.0)])
    ax.errorbar(h, s, yerr=err, fmt="o-", color=_MAIN, ms=4, capsize=2, label="on time (mean over replications)")
    ax.axhline(target, color=_LATE, ls="--", lw=1, label=f"target {target:.0%}")
    ax.set_xlabel("hour the order was placed (local time)")
    ax.set_ylabel("share delivered by the promise")
    ax.set_xticks(range(0, 24, 2))
    finite = s[np.isfinite(s)]
    ax.set_ylim(max(0.0, min(float(finite.min()) if finite.size else 0.0, target) - 0.05), 1.005)
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def _thin(idx: np.ndarray, limit: int) -> np.ndarray:
    return idx if idx.size <= limit else idx[np.linspace(0, idx.size - 1, limit).astype(np.int64)]


def late_map(lat: np.ndarray, lon: np.ndarray, on_time: np.ndarray, path: Path, *, title: str = "") -> Path:
    """Destinations: on time in grey, late (or undelivered) in red on top."""
    lat, lon, ok = np.asarray(lat, float), np.asarray(lon, float), np.asarray(on_time, bool)
    fig = _figure(6.0, 6.0)
    ax = fig.add_subplot()
    good = _thin(np.flatnonzero(ok), MAX_MAP_POINTS)
    late = _thin(np.flatnonzero(~ok), MAX_MAP_POINTS)
    ax.scatter(lon[good], lat[good], s=2, c=_OK, alpha=0.5, lw=0, label=f"on time ({int(ok.sum()):,})")
    ax.scatter(lon[late], lat[late], s=4, c=_LATE, alpha=0.8, lw=0, label=f"late ({int((~ok).sum()):,})")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    if lat.size:
        ax.set_aspect(1.0 / max(np.cos(np.radians(float(np.nanmean(lat)))), 0.1))
    ax.legend(loc="upper right", fontsize=8, markerscale=4)
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)


def utilisation(start_s: Sequence[int], share: Sequence[float], path: Path) -> Path:
    """Own-fleet vehicles on the road over the fleet size, per bin over the day."""
    t = np.asarray(start_s, float) / 3600.0
    u = np.asarray(share, float)
    fig = _figure()
    ax = fig.add_subplot()
    if t.size:
        width = (t[1] - t[0]) if t.size > 1 else 0.25
        ax.fill_between(np.append(t, t[-1] + width), np.append(u, u[-1]), step="post", color=_MAIN, alpha=0.35, lw=0)
        ax.step(np.append(t, t[-1] + width), np.append(u, u[-1]), where="post", color=_MAIN, lw=1)
    ax.set_xlim(0, max(24.0, float(t[-1]) + 0.25 if t.size else 24.0))
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(0, 25, 2))
    ax.set_xlabel("time of day (hours)")
    ax.set_ylabel("vehicles on the road / fleet")
    return _save(fig, path)


def reliability(quoted: Sequence[float], realised: Sequence[float], orders: Sequence[int], target: float, path: Path) -> Path:
    """Quoted probability against the realised on-time share per bin; the diagonal is a calibrated promise."""
    q, r, n = np.asarray(quoted, float), np.asarray(realised, float), np.asarray(orders, float)
    fig = _figure(4.6, 4.4)
    ax = fig.add_subplot()
    lo = float(min(q.min() if q.size else 0.5, r.min() if r.size else 0.5, 0.5)) - 0.02
    ax.plot([lo, 1], [lo, 1], color="#777", lw=1, ls=":", label="calibrated")
    size = 20 + 200 * (n / n.max() if n.size and n.max() > 0 else n)
    ax.scatter(q, r, s=size, color=_MAIN, alpha=0.8, label="orders by quoted probability")
    ax.axhline(target, color=_LATE, ls="--", lw=1, label=f"target {target:.0%}")
    ax.set_xlim(lo, 1.005)
    ax.set_ylim(lo, 1.005)
    ax.set_xlabel("quoted probability of on time")
    ax.set_ylabel("realised on-time share")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def fleet_curve(
    counts: Sequence[int],
    meets: Sequence[float],
    mean_on_time: Sequence[float],
    *,
    target: float,
    confidence: float,
    recommended: int | None,
    vehicle_type: str,
    path: Path,
) -> Path:
    """Share of replications meeting the target, and the mean on-time share, per evaluated fleet count."""
    c = np.asarray(counts, float)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(c, meets, "o-", color=_MAIN, label=f"replications with on time >= {target:.0%}")
    ax.plot(c, mean_on_time, "s--", color="#16a085", ms=4, label="mean on-time share")
    ax.axhline(confidence, color=_LATE, ls="--", lw=1, label=f"required {confidence:.0%} of replications")
    if recommended is not None:
        ax.axvline(recommended, color="#333", lw=1, ls=":")
        ax.annotate(f"{recommended} {vehicle_type}s", (recommended, 0.02), fontsize=8, ha="left")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"{vehicle_type} count")
    ax.set_ylabel("share")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)
