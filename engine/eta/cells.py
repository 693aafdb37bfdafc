"""Order-statistic quantiles per cell ``(weekday, hour, distance band)`` with hierarchical pooling.

The level-``a`` value of a cell with ``n`` rows is its ``ceil((n + 1) a)``-th
smallest value (a new draw from the same cell is covered with probability
>= ``a``); a cell with fewer than ``n_min`` rows takes its parent's value,
``(wd, hr, band) -> (wd, hr) -> (day type, hr, band) -> (day type, hr) ->
(hr) -> (day type) -> all``.  :mod:`engine.eta.fit` builds every table of a
model from :func:`fit_table`; :mod:`engine.eta.due` pools the promise table
further.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.eta.model import LEVELS

__all__ = ["DAYTYPE", "N_BANDS", "cell_grids", "few_rows_tables", "fit_table", "group_quantiles", "hierarchy", "order_statistics"]

#: Day types for pooling: Mon-Thu, Fri, Sat, Sun.
DAYTYPE = np.array([0, 0, 0, 0, 1, 2, 3])
N_BANDS = 3


def group_quantiles(
    gid: np.ndarray, y: np.ndarray, n_groups: int, levels: np.ndarray, correction: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Order-statistic quantiles per group: ``(n_groups, L)`` (NaN when too small) and counts.

    With ``correction`` the level-``a`` value is the ``ceil((n + 1) a)``-th
    smallest (finite-sample valid); without, the plain empirical ``ceil(n a)``-th.
    """
    out = np.full((n_groups, levels.shape[0]), np.nan)
    cnt = np.bincount(gid, minlength=n_groups)
    if y.shape[0] == 0:
        return out, cnt
    order = np.lexsort((y, gid))
    ys = y[order]
    starts = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    kk = np.ceil((cnt[:, None] + (1 if correction else 0)) * levels[None, :] - 1e-9).astype(np.int64)  # 1-based rank
    kk = np.maximum(kk, 1)
    ok = (kk <= cnt[:, None]) & (cnt[:, None] > 0)
    idx = np.where(ok, starts[:, None] + kk - 1, 0)
    out[ok] = ys[idx[ok]]
    return out, cnt


def cell_grids() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wd, hr, db = np.meshgrid(np.arange(7), np.arange(24), np.arange(N_BANDS), indexing="ij")
    return wd, hr, db


def hierarchy(wd: np.ndarray, hr: np.ndarray, db: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Group ids (and group counts) from finest to coarsest for the given features."""
    dt = DAYTYPE[wd]
    return [
        ((wd * 24 + hr) * N_BANDS + db, 7 * 24 * N_BANDS),
        (wd * 24 + hr, 7 * 24),
        ((dt * 24 + hr) * N_BANDS + db, 4 * 24 * N_BANDS),
        (dt * 24 + hr, 4 * 24),
        (hr, 24),
        (dt, 4),
        (np.zeros_like(wd), 1),
    ]


def fit_table(
    wd: np.ndarray, hr: np.ndarray, db: np.ndarray, y: np.ndarray, n_min: int = 40,
    levels: np.ndarray = LEVELS, correction: bool = True, pooling: bool = True,
) -> np.ndarray:
    """One ``(7, 24, N_BANDS, L)`` table from rows of one carrier/service.

    ``correction=False`` / ``pooling=False`` give the naive variants compared
    in ``benchmarks/calibration.py`` (plain empirical quantiles; cells that are
    too small fall straight back to the carrier/service as a whole).
    """
    gw, gh, gd = cell_grids()
    row_levels = hierarchy(wd, hr, db)
    cell_levels = hierarchy(gw, gh, gd)
    if not pooling:
        row_levels = [row_levels[0], row_levels[-1]]
        cell_levels = [cell_levels[0], cell_levels[-1]]
    table = np.full(gw.shape + (levels.shape[0],), np.nan)
    # Coarsest first, finer cells overwrite where they have enough rows.
    for (rg, ng), (cg, _) in zip(reversed(row_levels), reversed(cell_levels)):
        q, cnt = group_quantiles(rg, y, ng, levels, correction)
        vals = q[cg]
        good = (cnt[cg] >= n_min)[..., None] & np.isfinite(vals)
        if ng == 1:
            good = np.isfinite(vals)
        table = np.where(good, vals, table)
    if np.isnan(table).any():
        # Too few rows for the top levels even overall: the sample maximum is the best we have.
        top = float(np.max(y)) if y.shape[0] else 0.0
        table = np.where(np.isnan(table), top, table)
    return np.maximum.accumulate(table, axis=-1)


def order_statistics(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per stored level ``a``: the ``ceil((n + 1) a)``-th smallest of ``y`` (the largest beyond ``n``) and its coverage ``k / (n + 1)``."""
    ys = np.sort(y)
    n = ys.shape[0]
    k = np.clip(np.ceil((n + 1) * LEVELS - 1e-9).astype(np.int64), 1, n)
    return ys[k - 1], k / (n + 1.0)


def few_rows_tables(rows: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Tables of a carrier/service with a few dozen rows, and the coverage of each level.

    Too few rows for hours, weekdays or distance: every cell reads the
    order statistics of all its rows, and the ``k``-th smallest of ``n``
    covers a new order's with probability ``k / (n + 1)`` whatever their
    distribution (the largest: 0.95 at ``n = 19``).  ``due`` counts from the
    creation day's midnight, so an hour cell's promise is its hour's end plus that lead.
    """
    cr, ho, de = (rows[c].to_numpy(dtype=np.float64) for c in ("created", "handed", "delivered"))
    scanned = np.isfinite(ho)
    lead, cover = order_statistics(de - cr)
    transit = order_statistics((de - ho)[scanned])[0] if scanned.any() else lead
    processing = order_statistics((ho - cr)[scanned])[0] if scanned.any() else lead
    shape = (7, 24, N_BANDS, LEVELS.shape[0])
    due = ((np.arange(24) + 1) * 3600.0)[None, :, None, None] + lead
    return {"lead": np.broadcast_to(lead, shape).copy(), "transit": np.broadcast_to(transit, shape).copy(),
            "processing": np.broadcast_to(processing, shape).copy(), "due": np.broadcast_to(due, shape).copy()}, cover
