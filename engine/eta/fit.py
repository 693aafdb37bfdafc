"""Fit the conditional transit-time quantile tables from a validated history.

Method (chosen on the calibration evidence in ``benchmarks/calibration.py``):
empirical quantiles per cell ``(weekday, hour, distance band)`` of each
carrier/service (and season: peak, winter, the rest of the year), with

* a finite-sample correction: the level-``a`` value of a cell with ``n`` rows
  is its ``ceil((n + 1) a)``-th smallest value, which covers a new draw from
  the same cell with probability >= ``a`` (the split-conformal order
  statistic); a cell too small for a level has none;
* hierarchical pooling: a cell with fewer than ``n_min`` rows (or too few for
  a level) takes the value of its parent, ``(wd, hr, band) -> (wd, hr) ->
  (day type, hr, band) -> (day type, hr) -> (hr) -> (day type) -> all``;
* separate tables per season when the history has enough rows of it;
* optionally (off by default) a one-sided conformal shift per carrier/service
  and level, estimated on the most recent ``calib_frac`` of the history.

Empirical cells beat a parametric family here because lead times are
multi-modal (cut-offs and nights split them into "today", "tomorrow", "in two
business days"), which a log-normal cannot follow.

The promise itself comes from the ``due`` table (:func:`fit_due_table`): the
delivery time as local wall clock from the creation day's midnight, pooled
over the hours of a cut-off period (hours whose median delivery lands on the
same day, less a slipping last hour), kept later only where a cell's days
really are later (a binomial test on days, not rows), and made
non-decreasing in order time by a running maximum over the week.  The level
each carrier/service is read at comes from its coverage on held-out
alternate weeks (:func:`day_block_coverage`), so the day-level clustering of
delivery times is measured on whole days.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from engine.errors import HistoryError, InputError
from engine.eta._city import City, ServiceSpec, infer_kind
from engine.geo import haversine_km
from engine.eta._time import local_seconds, weekday_hour
from engine.eta.history import History
from engine.eta._city import Seasons
from engine.eta.model import LEVELS, SEASON_SEP, TABLES, EtaModel, season_labels

#: Day types for pooling: Mon-Thu, Fri, Sat, Sun.
_DAYTYPE = np.array([0, 0, 0, 0, 1, 2, 3])
N_BANDS = 3


def _group_quantiles(
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


def _cell_grids() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wd, hr, db = np.meshgrid(np.arange(7), np.arange(24), np.arange(N_BANDS), indexing="ij")
    return wd, hr, db


def _hierarchy(wd: np.ndarray, hr: np.ndarray, db: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Group ids (and group counts) from finest to coarsest for the given features."""
    dt = _DAYTYPE[wd]
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
    gw, gh, gd = _cell_grids()
    row_levels = _hierarchy(wd, hr, db)
    cell_levels = _hierarchy(gw, gh, gd)
    if not pooling:
        row_levels = [row_levels[0], row_levels[-1]]
        cell_levels = [cell_levels[0], cell_levels[-1]]
    table = np.full(gw.shape + (levels.shape[0],), np.nan)
    # Coarsest first, finer cells overwrite where they have enough rows.
    for (rg, ng), (cg, _) in zip(reversed(row_levels), reversed(cell_levels)):
        q, cnt = _group_quantiles(rg, y, ng, levels, correction)
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


def _run_ids(day_of_p50: np.ndarray) -> np.ndarray:
    """``(7, 24)`` period id per hour cell: consecutive hours of a weekday whose median delivery lands on the same day."""
    change = np.ones((7, 24), dtype=bool)
    change[:, 1:] = day_of_p50[:, 1:] != day_of_p50[:, :-1]
    start_hr = np.maximum.accumulate(np.where(change, np.arange(24)[None, :], 0), axis=1)
    return np.arange(7)[:, None] * 24 + start_hr


def fit_due_table(
    wd: np.ndarray, hr: np.ndarray, db: np.ndarray, day: np.ndarray, y: np.ndarray,
    n_min: int = 40, n_period: int = 200, alpha: float = 1e-3, levels: np.ndarray = LEVELS,
) -> np.ndarray:
    """``(7, 24, N_BANDS, L)`` promised delivery times, seconds after the creation day's local midnight.

    ``y`` is each row's local delivery time counted from the local midnight of
    its creation day (``day``, a local day number), so a cell's quantile is an
    absolute time ("Wed 17:35") shared by every order of that hour.  Four steps make it a promise a customer
    can rely on:

    1. *Pool by cut-off period.*  Consecutive hours of a weekday whose median
       delivery falls on the same day are one period (the carrier treats them
       alike: same wave, same collection), less its last hours when their
       tail is a day later (:func:`_split_tails`); a cell takes the period's
       quantile (per band when the period has ``n_period`` rows in it, else
       all bands, else the same period over the weekdays of its day type), so
       a tail comes from hundreds of rows, not from the 40 of one hour.
    2. *Keep real differences.*  A cell whose rows exceed the period's value
       on more of its days than the period's other hours do (binomial test at
       ``alpha`` on days, see :func:`_later_cells`) keeps its own, later
       value: the last hour before a cut-off, where some orders slip a day,
       is kept out of its period's pool and promised on its own.
    3. *No promise from other hours' orders.*  An hour with fewer than
       ``n_min`` rows of its own (``n_min // 10`` inside a pooled period): an
       option the shop never sold then, takes the promise of the next hour
       that has them.
    4. *Monotone in order time.*  A running maximum over the hours of the week
       in the order they occur (wrapping Sunday into Monday) makes the promise
       non-decreasing: ordering later never gives an earlier promise.
    """

    own = fit_table(wd, hr, db, y, n_min=n_min, levels=levels)  # fine hierarchy: step 2 and sparse periods
    l50 = int(np.searchsorted(levels, 0.5 - 1e-12))
    p50_day = np.floor(fit_table(wd, hr, np.zeros_like(db), y, n_min=n_min, levels=levels)[:, :, 0, l50] / 86400.0)
    n_h = np.bincount(wd * 24 + hr, minlength=7 * 24).reshape(7, 24)
    ref = min(int(np.searchsorted(levels, 0.955 - 1e-12)), levels.shape[0] - 1)
    own_h = fit_table(wd, hr, np.zeros_like(db), y, n_min=n_min, levels=levels[ref : ref + 1])[:, :, 0, 0]
    run = _split_tails(_run_ids(p50_day), np.where(n_h > 0, np.floor(own_h / 86400.0), np.nan))
    table = own.copy()
    supported = n_h >= n_min
    if y.shape[0]:
        pid = run[wd, hr]
        gw, gh, gd = _cell_grids()
        cp = run[gw, gh]

        # Pools from finest to coarsest: (weekday, period, band), (weekday,
        # period), then the same period (by its first hour) over the weekdays
        # of the day type (a short peak season has five Tuesdays, not fifty).
        tid = _DAYTYPE[wd] * 24 + (pid - wd * 24)
        ct = _DAYTYPE[gw] * 24 + (cp - gw * 24)
        pooled = np.full(own.shape, np.nan)
        for rg, cg, ng in (
            (tid * N_BANDS + db, ct * N_BANDS + gd, 4 * 24 * N_BANDS), (tid, ct, 4 * 24),
            (pid * N_BANDS + db, cp * N_BANDS + gd, 7 * 24 * N_BANDS), (pid, cp, 7 * 24),
        ):
            q, c = _group_quantiles(rg, y, ng, levels)
            pooled = np.where((c[cg] >= n_period)[..., None] & np.isfinite(q[cg]), q[cg], pooled)
        big = np.isfinite(pooled)
        later = _later_cells(wd, hr, db, day, y, pooled, run, n_min, alpha, levels)
        table = np.where(big, np.where(later, np.maximum(pooled, own), pooled), own)
        # A few rows of its own in a well-filled period are enough: the period's rows speak for it.
        supported |= (n_h >= max(1, n_min // 10)) & big.all(axis=(2, 3))
    table = _from_next_supported(table, supported)
    table = np.maximum.accumulate(table, axis=-1)
    return monotone_in_order_time(table)


def _from_next_supported(due: np.ndarray, supported: np.ndarray) -> np.ndarray:
    """Hour cells without enough rows of their own take the promise of the next hour (in week order) that has them.

    An order can wait for the next hour's orders and go with them, so that
    promise is safe; pooling other hours' rows into an empty hour is not (it
    would promise a same-day delivery at 22:00 from the orders of 09:00).
    """
    if not supported.any():
        return due
    week = 7 * 86400.0
    a = (due + (np.arange(7) * 86400.0)[:, None, None, None]).reshape(7 * 24, *due.shape[2:])
    sup = supported.reshape(7 * 24)
    out = a.copy()
    nxt = None
    for h in range(2 * 7 * 24 - 1, -1, -1):  # two laps so the end of the week sees next Monday
        i = h % (7 * 24)
        if sup[i]:
            nxt = a[i] + (week if h >= 7 * 24 else 0.0)
        elif nxt is not None and h < 7 * 24:
            out[i] = nxt
    return out.reshape(due.shape) - (np.arange(7) * 86400.0)[:, None, None, None]


def _split_tails(run: np.ndarray, tail_day: np.ndarray) -> np.ndarray:
    """Split each period where its last hours' tail lands on a later day than the hours before them.

    The hours before a cut-off share the period's median day but not its
    tail (some of their orders slip a day).  A split at hour ``h`` needs every
    hour from ``h`` to the period's end (with enough rows, ``tail_day`` not
    NaN) to be later than the median of the period's hours before ``h``: one
    noisy hour in the middle of the day does not split it.
    """
    out = run.copy()
    for w in range(7):
        for r in np.unique(run[w]):
            hours = np.flatnonzero(run[w] == r)
            for j in range(1, hours.shape[0]):
                left, right = tail_day[w, hours[:j]], tail_day[w, hours[j:]]
                left, right = left[np.isfinite(left)], right[np.isfinite(right)]
                if left.size and right.size and right.min() > np.median(left):
                    out[w, hours[j:]] = w * 24 + hours[j]
                    break
    return out


def _later_cells(
    wd: np.ndarray, hr: np.ndarray, db: np.ndarray, day: np.ndarray, y: np.ndarray, pooled: np.ndarray,
    run: np.ndarray, n_min: int, alpha: float, levels: np.ndarray,
) -> np.ndarray:
    """``(7, 24, bands, L)``: True where a cell's rows are really later than ``pooled``.

    A cell is ``(wd, hr, band)``, or its hour ``(wd, hr)`` when the band has
    fewer than ``n_min`` rows.  Rows of one day share its weather, so one bad
    day is one draw, not forty: the test counts the cell's *days* with a row
    above the pooled value and compares them with the share of such days
    among all cells of the same period (``run``), one-sided binomial at
    ``alpha``; the rows themselves must be significant too.
    """
    from scipy.stats import binom  # noqa: PLC0415

    nb = pooled.shape[2]
    L = levels.shape[0]
    NB = 7 * 24 * nb
    cell_b = (wd * 24 + hr) * nb + db
    cell_h = wd * 24 + hr
    n_b = np.bincount(cell_b, minlength=NB)
    use_b = n_b >= n_min
    cell_row = np.where(use_b[cell_b], cell_b, NB + cell_h)  # one id space for both kinds
    n_cells = NB + 7 * 24
    dz = (day - day.min()).astype(np.int64)
    D = int(dz.max()) + 1
    pair, pair_of_row = np.unique(cell_row * D + dz, return_inverse=True)  # (cell, day) pairs
    pair_cell = pair // D
    pair_run = run.ravel()[np.where(pair_cell < NB, pair_cell // nb, pair_cell - NB)]
    n_rows = np.bincount(cell_row, minlength=n_cells)
    n_days = np.bincount(pair_cell, minlength=n_cells)
    pairs_per_run = np.bincount(pair_run, minlength=7 * 24)
    hb = NB + np.arange(NB) // nb  # the hour cell of each band cell
    src = np.where(use_b, np.arange(NB), hb)
    src_run = run.ravel()[np.arange(NB) // nb]
    pv = np.where(np.isfinite(pooled), pooled, np.inf).reshape(NB, L)
    n_c, nd_c = n_rows[src], n_days[src]
    later = np.zeros((NB, L), dtype=bool)
    for li in range(L):
        a = y > pv[cell_b, li]
        ex = np.bincount(cell_row[a], minlength=n_cells)[src]
        hit = np.zeros(pair.shape[0], dtype=bool)
        hit[pair_of_row[a]] = True
        ex_days = np.bincount(pair_cell[hit], minlength=n_cells)[src]
        p_day = np.bincount(pair_run[hit], minlength=7 * 24) / np.maximum(pairs_per_run, 1)
        p_rows = binom.sf(ex - 1, n_c, 1.0 - levels[li])
        p_days = binom.sf(ex_days - 1, nd_c, np.clip(p_day[src_run], 1e-9, 1.0))
        later[:, li] = (p_rows < alpha) & (p_days < alpha) & (n_c > 0)
    return later.reshape(7, 24, nb, L)


def monotone_in_order_time(due: np.ndarray) -> np.ndarray:
    """Running maximum of the absolute promise over the week's hours (wrapping), per band and level.

    ``due[wd, hr]`` counts from the creation day's midnight, so the absolute
    promise of cell ``(wd, hr)`` in week time is ``wd * 86400 + due``; two
    weeks are chained so that Monday 00:00 also respects last Sunday night.
    """
    week = 7 * 86400.0
    a = due + (np.arange(7) * 86400.0)[:, None, None, None]
    flat = a.reshape(7 * 24, *a.shape[2:])
    two = np.concatenate([flat - week, flat], axis=0)
    run = np.maximum.accumulate(two, axis=0)[7 * 24 :]
    return run.reshape(a.shape) - (np.arange(7) * 86400.0)[:, None, None, None]


def _features(model_tz: ZoneInfo, start: np.ndarray, km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wd, hr, _ = weekday_hour(start, model_tz)
    return wd, hr, EtaModel.dband(km)


def table_keys(frame: pd.DataFrame, tz: ZoneInfo, peaks: Seasons) -> np.ndarray:
    """Table key of each row: ``carrier:service``, plus ``@season`` for rows created in a season."""
    base = (frame["carrier"] + ":" + frame["service"]).to_numpy().astype(object)
    if not peaks or len(frame) == 0:
        return base
    _, _, day = weekday_hour(frame["created"].to_numpy(), tz)
    lab = season_labels(day, peaks)
    return np.where(lab != "", base + SEASON_SEP + lab, base)


def _labels(frame: pd.DataFrame, keys: list[str], tz: ZoneInfo, peaks: Seasons) -> np.ndarray:
    """Table keys, with season rows of a carrier/service without that season's table folded into the all-year one."""
    lab = table_keys(frame, tz, peaks)
    base = (frame["carrier"] + ":" + frame["service"]).to_numpy().astype(object)
    return np.where(np.isin(lab, keys), lab, base)


def fit_tables(
    frame: pd.DataFrame, keys: list[str], tz: ZoneInfo, n_min: int = 40,
    peaks: Seasons = (), **variant: bool,
) -> dict[str, np.ndarray]:
    key_of = _labels(frame, keys, tz, peaks)
    km = haversine_km(frame["origin_lat"].to_numpy(), frame["origin_lon"].to_numpy(), frame["dest_lat"].to_numpy(), frame["dest_lon"].to_numpy())
    cr, ho, de = (frame[c].to_numpy() for c in ("created", "handed", "delivered"))
    spec = {"lead": (cr, de - cr), "transit": (ho, de - ho), "processing": (cr, ho - cr)}
    out = {t: np.zeros((len(keys), 7, 24, N_BANDS, LEVELS.shape[0]), dtype=np.float64) for t in TABLES}
    for t, (start, y) in spec.items():
        wd, hr, db = _features(tz, start, km)
        for i, k in enumerate(keys):
            m = key_of == k
            out[t][i] = fit_table(wd[m], hr[m], db[m], y[m], n_min=n_min, **variant)
    out["due"] = due_tables(frame, key_of, keys, tz, n_min, **variant)
    return out


def _due_rows(frame: pd.DataFrame, tz: ZoneInfo) -> tuple[np.ndarray, ...]:
    """Per row: local weekday, hour and day number of creation, distance band, and the due target (s after that day's midnight)."""
    km = haversine_km(frame["origin_lat"].to_numpy(), frame["origin_lon"].to_numpy(), frame["dest_lat"].to_numpy(), frame["dest_lon"].to_numpy())
    wd, hr, day = weekday_hour(frame["created"].to_numpy(), tz)
    y = local_seconds(frame["delivered"].to_numpy(), tz) - day * 86400.0
    return wd, hr, day, EtaModel.dband(km), y


def due_tables(frame: pd.DataFrame, key_of: np.ndarray, keys: list[str], tz: ZoneInfo, n_min: int = 40, **variant: bool) -> np.ndarray:
    """``(keys, 7, 24, bands, L)`` promised delivery times (see :func:`fit_due_table`)."""
    wd, hr, day, db, y = _due_rows(frame, tz)
    out = np.zeros((len(keys), 7, 24, N_BANDS, LEVELS.shape[0]))
    for i, k in enumerate(keys):
        m = key_of == k
        if variant:
            # The naive variants of the method comparison: the cell quantile itself, no periods, no monotone step.
            out[i] = fit_table(wd[m], hr[m], db[m], y[m], n_min=n_min, **variant)
        else:
            out[i] = fit_due_table(wd[m], hr[m], db[m], day[m], y[m], n_min=n_min)
    return out


def day_block_coverage(frame: pd.DataFrame, keys: list[str], tz: ZoneInfo, n_min: int = 40, peaks: Seasons = ()) -> np.ndarray:
    """``(keys, L)``: held-out coverage of the due table at each level, by alternate weeks.

    Rows of one day share its weather and its van waves, so the effective
    sample is days, not rows, and a quantile that covers 95.5% of the rows it
    was fitted on covers fewer of another year's.  Fitting on odd weeks and
    checking on even weeks (and back) measures that on whole days, per
    carrier/service and level; quotes then read the lowest level whose
    held-out coverage reaches the target (``EtaModel.promise_levels``).
    """
    key_of = _labels(frame, keys, tz, peaks)
    wd, hr, day, db, y = _due_rows(frame, tz)
    fold = (day // 7) % 2
    met = np.zeros((len(keys), LEVELS.shape[0]))
    tot = np.zeros(len(keys))
    for f in (0, 1):
        tr, te = fold != f, fold == f
        tab = due_tables(frame[tr], key_of[tr], keys, tz, n_min)
        for i, k in enumerate(keys):
            m = te & (key_of == k)
            if not m.any():
                continue
            prom = np.ceil(tab[i][wd[m], hr[m], db[m]] / 300.0) * 300.0  # as quoted: rounded up to 5 min
            met[i] += (y[m][:, None] <= prom).sum(axis=0)
            tot[i] += m.sum()
    return np.where(tot[:, None] > 0, met / np.maximum(tot, 1)[:, None], np.nan)


def conformal_shift(
    frame_fit: pd.DataFrame, frame_cal: pd.DataFrame, keys: list[str], tz: ZoneInfo, n_min: int = 40,
    peaks: Seasons = (),
) -> np.ndarray:
    """Per key and level, the shift (s) that makes the lead table cover the calibration slice."""
    tabs = fit_tables(frame_fit, keys, tz, n_min, peaks)["lead"]
    fit_counts = pd.Series(_labels(frame_fit, keys, tz, peaks)).value_counts()
    key_of = _labels(frame_cal, keys, tz, peaks)
    km = haversine_km(frame_cal["origin_lat"].to_numpy(), frame_cal["origin_lon"].to_numpy(), frame_cal["dest_lat"].to_numpy(), frame_cal["dest_lon"].to_numpy())
    cr, de = frame_cal["created"].to_numpy(), frame_cal["delivered"].to_numpy()
    wd, hr, db = _features(tz, cr, km)
    shift = np.zeros((len(keys), LEVELS.shape[0]))
    for i, k in enumerate(keys):
        m = key_of == k
        n = int(m.sum())
        if n < 50 or int(fit_counts.get(k, 0)) < 100:
            # Too little to calibrate on, or nothing fitted to calibrate (a
            # peak season that only falls in the calibration slice).
            continue
        scores = (de[m] - cr[m])[:, None] - tabs[i][wd[m], hr[m], db[m]]
        scores.sort(axis=0)
        kk = np.minimum(np.ceil((n + 1) * LEVELS).astype(np.int64), n)
        shift[i] = scores[kk - 1, np.arange(LEVELS.shape[0])]
    return shift


def fit(
    history: History,
    city: City,
    name: str = "fitted",
    source: str = "fitted",
    n_min: int = 40,
    min_rows_per_key: int = 100,
    calib_frac: float = 0.2,
    conformal: bool = False,
    slot_on_time: float | None = None,
    margin: float = 0.005,
    day_calibration: bool = True,
) -> EtaModel:
    """Fit an :class:`EtaModel` from a validated history.

    Parameters
    ----------
    history
        Output of :func:`engine.eta.history.read_history`.
    city
        Time zone, map and offer catalogue (prices, areas) the model serves.
    n_min
        Rows a cell needs before it is used rather than pooled into its parent.
    min_rows_per_key
        Carrier/services with fewer rows are not fitted (reported in ``meta``).
    calib_frac
        Most recent share of rows used to estimate the conformal shift.
    conformal
        Apply the one-sided conformal shift (off by default: on a held-out year
        it over-covered, see ``benchmarks/calibration.py``).
    slot_on_time
        On-time probability of a booked slot; computed with the route Monte
        Carlo when ``None``.
    margin
        Promises read the quantile at ``target + margin`` (see ``EtaModel.margin``).
    day_calibration
        Measure each carrier/service's held-out coverage per level on whole
        alternate weeks (:func:`day_block_coverage`); quotes then read the
        lowest level whose held-out coverage reaches ``target + margin``.
    """
    if not (0.0 <= margin < 0.05):
        raise InputError(f"margin {margin} must be in [0, 0.05)", field="margin")
    frame = history.frame
    if len(frame) == 0:
        raise HistoryError("no usable rows in the history: " + str(history.summary()["skipped_by_reason"]))
    tz = ZoneInfo(city.tz)
    key_of = pd.Series(table_keys(frame, tz, city.seasons))
    vc = key_of.value_counts()
    # A season with enough rows gets its own table; the carrier/service's
    # main table holds the other days (and the rows of seasons too small for one).
    base_of = np.array([k.split(SEASON_SEP)[0] for k in key_of.to_numpy()], dtype=object)
    vb = pd.Series(base_of).value_counts()
    keys = sorted(k for k, v in vb.items() if v >= min_rows_per_key)
    keys += sorted(k for k, v in vc.items() if SEASON_SEP in k and v >= min_rows_per_key and k.split(SEASON_SEP)[0] in keys)
    too_few = {k: int(v) for k, v in vb.items() if k not in keys}
    if not keys:
        raise HistoryError(f"no carrier/service has {min_rows_per_key} usable rows (counts: {dict(vc)})")
    frame = frame[np.isin(base_of, keys)].sort_values("created", kind="stable").reset_index(drop=True)
    tables = fit_tables(frame, keys, tz, n_min, city.seasons)
    shift = np.zeros((len(keys), LEVELS.shape[0]))
    cv = day_block_coverage(frame, keys, tz, n_min, city.seasons) if day_calibration else None
    if conformal and calib_frac > 0:
        cut = int(len(frame) * (1 - calib_frac))
        # One-sided: only ever widen.  A calibration slice from calmer weeks
        # would otherwise tighten the tail below what the longer history shows.
        shift = np.maximum(conformal_shift(frame.iloc[:cut], frame.iloc[cut:], keys, tz, n_min, city.seasons), 0.0)
        for t in ("lead", "due"):
            tables[t] = np.maximum.accumulate(np.maximum(tables[t] + shift[:, None, None, None, :], 0.0), axis=-1)
    # Carrier/services seen in the history but not in the catalogue still get offered.
    services = list(city.services)
    known = {s.key for s in services}
    for k in keys:
        if k not in known and SEASON_SEP not in k:
            c, s = k.split(":", 1)
            services.append(ServiceSpec(c, s, infer_kind(s), base_cost=5.9, label=f"{c} {s}"))
    city = City(city.name, city.tz, city.bbox, city.depot, tuple(services), city.slot_hours, city.fleet_weekdays, city.seasons)
    # Local hours in which each carrier/service has ever delivered, from all
    # its rows (a season's own rows are too few to rule an hour out).
    base = (frame["carrier"] + ":" + frame["service"]).to_numpy()
    dwd, dhr, _ = weekday_hour(frame["delivered"].to_numpy(), tz)
    delivers = np.zeros((len(keys), 7, 24), dtype=bool)
    for i, k in enumerate(keys):
        m = base == k.split(SEASON_SEP)[0]
        delivers[i, dwd[m], dhr[m]] = True
    if slot_on_time is None:
        from engine.eta.route import typical_slot_on_time  # noqa: PLC0415

        slot_on_time = typical_slot_on_time()
    return EtaModel(
        name=name,
        source=source,
        city=city,
        keys=keys,
        levels=LEVELS.copy(),
        tables={t: v.astype(np.float32) for t, v in tables.items()},
        counts={k: int(vc[k]) if k in vc.index and SEASON_SEP in k else int(vb[k]) for k in keys},
        slot_on_time=float(slot_on_time),
        margin=float(margin),
        delivers=delivers,
        cv_coverage=cv,
        meta={
            "method": "promised times per hour cell pooled by cut-off period, monotone in order time"
            + (", level per carrier/service from alternate-week held-out coverage" if day_calibration else "")
            + (", conformal shift" if conformal else ""),
            "n_min": n_min,
            "calib_frac": calib_frac if conformal else 0.0,
            "history": history.summary(),
            "keys_too_few_rows": too_few,
            "conformal_shift_s_at_0.95": {k: float(shift[i, int(np.searchsorted(LEVELS, 0.95))]) for i, k in enumerate(keys)},
            "fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "history_span": [
                datetime.fromtimestamp(float(frame["created"].min()), tz).isoformat(),
                datetime.fromtimestamp(float(frame["created"].max()), tz).isoformat(),
            ],
        },
    )


