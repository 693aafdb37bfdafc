"""The ``due`` table: the promise checkout gives, one local wall-clock time per hour cell of order time.

Delivery time as local wall clock from the creation day's midnight, pooled
over the hours of a cut-off period (hours whose median delivery lands on the
same day, less a slipping last hour), kept later only where a cell's days
really are later (a binomial test on days, not rows), and made
non-decreasing in order time by a running maximum over the week
(:func:`fit_due_table`).  A promise reads each cell at its own level
(:func:`allocate_levels`): where a little more probability costs little
time, more; where the tail is steep, the target itself.
"""

from __future__ import annotations

import numpy as np

from engine.eta.cells import DAYTYPE, N_BANDS, cell_grids, fit_table, group_quantiles
from engine.eta.model import LEVELS

__all__ = ["LAMBDAS", "allocate_levels", "fit_due_table", "held_out_met", "monotone_in_order_time"]

#: Prices of probability (seconds of promise per unit of level) at which
#: :func:`allocate_levels` is tried when a model is fitted; from "every cell
#: at the floor" to "every cell at the top level".
LAMBDAS = np.geomspace(3e3, 3e8, 60)


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
    """``(7, 24, N_BANDS, L)`` promised delivery times; each distance band from the rows of its own and nearer bands.

    A parcel across town never borrows the tail of one across the country: the
    pools, periods and tails of :func:`_fit_due_table` (see there) mix the bands
    of a sparse hour, so band ``b`` is read from a table fitted on the rows of
    bands ``<= b`` only (the farthest band from every row).
    """
    out = _fit_due_table(wd, hr, db, day, y, n_min, n_period, alpha, levels)
    # An hour sold to any distance is sold: a band's own rows set its promise, not whether the hour has one
    # (else a band with few parcels would take the next busy hour's promise, often next Monday's).
    sold = np.bincount(wd * 24 + hr, minlength=7 * 24).reshape(7, 24)
    for b in range(int(db.max()) if db.size else 0):
        near = db <= b
        # A band with too few parcels of its own keeps the table of every row: the nearer bands' promise would be
        # an optimistic guess for distances the history says nothing about.
        if int(np.count_nonzero(db == b)) >= n_min:
            out[:, :, b] = _fit_due_table(wd[near], hr[near], db[near], day[near], y[near], n_min, n_period, alpha, levels, sold)[:, :, b]
    return out


def _fit_due_table(
    wd: np.ndarray, hr: np.ndarray, db: np.ndarray, day: np.ndarray, y: np.ndarray,
    n_min: int = 40, n_period: int = 200, alpha: float = 1e-3, levels: np.ndarray = LEVELS,
    sold: np.ndarray | None = None,
) -> np.ndarray:
    """``(7, 24, N_BANDS, L)`` promised delivery times, seconds after the creation day's local midnight.

    ``y`` is each row's local delivery time counted from the local midnight of
    its creation day (``day``, a local day number), so a cell's quantile is an
    absolute time ("Wed 17:35") shared by every order of that hour.  Four steps make it a promise a customer
    can rely on:

    1. *Pool by cut-off period.*  Consecutive hours of a weekday whose median
       delivery falls on the same day are one period (the carrier treats them
       alike: same wave, same collection), less its last hours when their
       tail is a day later on enough of their days (:func:`_split_tails`; two
       parcels of one stormy night are not a cut-off); a cell takes the period's
       quantile (per band when the period, or the same period over the
       weekdays of its day type, has ``n_period`` rows of the band, else all
       bands), so a tail comes from hundreds of rows, not from the 40 of one hour.
    2. *Keep real differences.*  A cell whose rows exceed the period's value
       on more of its days than the period's other hours do (binomial test at
       ``alpha`` on days, see :func:`_later_cells`) keeps its own, later
       value: the last hour before a cut-off, where some orders slip a day,
       is kept out of its period's pool and promised on its own.
    3. *No promise from other hours' orders.*  An hour with fewer than
       ``n_min`` rows of its own (``n_min // 10`` inside a pooled period; counted
       at every distance, ``sold``, when one band is fitted): an option the
       shop never sold then, takes the promise of the next hour that has them.
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
    tail_day = np.where(n_h > 0, np.floor(own_h / 86400.0), np.nan)
    # A tail a day later on one bad day (two parcels of one Monday night) is weather, not a cut-off: an hour
    # of its own rows splits off only when its later rows come from enough of its days.
    days_need = np.maximum(2, np.ceil((1.0 - levels[ref]) * _days_per_hour(wd, hr, day)))
    on_tail_day = np.floor(y / 86400.0) >= np.nan_to_num(tail_day, nan=0.0)[wd, hr]
    ok = (n_h < n_min) | (_days_per_hour(wd, hr, day, on_tail_day) >= days_need)
    run = _split_tails(_run_ids(p50_day), np.where(ok, tail_day, np.nan))
    table = own.copy()
    n_sold = n_h if sold is None else np.maximum(n_h, sold)  # (7, 24) orders of each hour, any distance
    supported = n_sold >= n_min
    if y.shape[0]:
        pid = run[wd, hr]
        gw, gh, gd = cell_grids()
        cp = run[gw, gh]

        # Pools, the first with n_period rows wins: (weekday, period, band), (day type, period, band), (weekday,
        # period), (day type, period); a period over a day type's weekdays by its first hour (a short peak
        # season has five Tuesdays, not fifty).  The band comes before the weekday: a sparse far band reads
        # its own parcels over Monday-Thursday rather than the metro's of its weekday.
        tid = DAYTYPE[wd] * 24 + (pid - wd * 24)
        ct = DAYTYPE[gw] * 24 + (cp - gw * 24)
        pooled = np.full(own.shape, np.nan)
        # A short history: a weekday's period with 2 * n_min orders over all its hours is still its own
        # evidence, better than borrowing the next period's promise (Friday morning's lockers were promised
        # Sunday because Friday afternoon's are); every pool with n_period rows below overrides it.
        q, c = group_quantiles(pid, y, 7 * 24, levels)
        pooled = np.where((c[cp] >= 2 * n_min)[..., None] & np.isfinite(q[cp]), q[cp], pooled)
        # Applied last-wins, so in reverse order of preference.
        for rg, cg, ng in (
            (tid, ct, 4 * 24), (pid, cp, 7 * 24),
            (tid * N_BANDS + db, ct * N_BANDS + gd, 4 * 24 * N_BANDS), (pid * N_BANDS + db, cp * N_BANDS + gd, 7 * 24 * N_BANDS),
        ):
            q, c = group_quantiles(rg, y, ng, levels)
            pooled = np.where((c[cg] >= n_period)[..., None] & np.isfinite(q[cg]), q[cg], pooled)
        big = np.isfinite(pooled)
        later = _later_cells(wd, hr, db, day, y, pooled, run, n_min, alpha, levels)
        table = np.where(big, np.where(later, np.maximum(pooled, own), pooled), own)
        # A few rows of its own in a well-filled period are enough: the period's rows speak for it.
        supported |= (n_sold >= max(1, n_min // 10)) & big.all(axis=(2, 3))
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


def _days_per_hour(wd: np.ndarray, hr: np.ndarray, day: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``(7, 24)`` distinct creation days of each hour cell among ``rows`` (a mask; None: every row)."""
    if not day.size:
        return np.zeros((7, 24))
    pair = (wd * 24 + hr).astype(np.int64) * (1 << 32) + (day - day.min()).astype(np.int64)
    pairs = np.unique(pair if rows is None else pair[rows])
    return np.bincount(pairs >> 32, minlength=7 * 24).reshape(7, 24).astype(np.float64)


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


def allocate_levels(due: np.ndarray, lam: float, lo: int, levels: np.ndarray = LEVELS) -> np.ndarray:
    """``(7, 24, bands)`` promise of one table key: each cell read at its own level, not one level for all.

    A carrier/service promises ``target`` on its orders as a whole, and
    cells differ in what a higher level costs: a cell that delivers in
    waves (lockers at 09:00 and 16:00) covers 99% at the time it covers 95%,
    a cell with a long tail pays hours for each point.  Each cell takes the
    level ``l >= lo`` minimising ``due[..., l] - lam * levels[l]`` (the
    Lagrangian of "shortest mean promise for a given coverage"; cell sizes
    cancel out), so no cell is read below ``levels[lo]`` and every order
    keeps its own promise at the target or above.  ``lam`` (seconds per
    unit of probability) is set per carrier/service from held-out weeks
    (:func:`held_out_met`).  Small ``lam`` gives level ``lo`` everywhere,
    except where a higher level costs no time at all; the result is made
    non-decreasing in order time again (:func:`monotone_in_order_time`).
    """
    h = np.asarray(due, dtype=np.float64)[..., lo:]
    j = np.argmin(np.where(np.isnan(h), np.inf, h) - lam * levels[lo:], axis=-1)
    v = np.take_along_axis(h, j[..., None], axis=-1)
    # A cell without a value stays without one, and does not blank the hours after it.
    gap = np.isnan(v)
    return np.where(gap, np.nan, monotone_in_order_time(np.where(gap, -np.inf, v)))[..., 0]


def held_out_met(
    due: np.ndarray, wd: np.ndarray, hr: np.ndarray, db: np.ndarray, y: np.ndarray,
    lambdas: np.ndarray = LAMBDAS, levels: np.ndarray = LEVELS, round_s: float = 300.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Held-out rows met by one key's table: ``(L,)`` reading one level, ``(L, G)`` allocated with floor ``l`` and ``lambdas[g]``.

    ``due`` is the ``(7, 24, bands, L)`` table fitted without the rows
    ``wd, hr, db, y``; promises are rounded up to ``round_s`` as quoted.
    Rows are counted per cell on a sorted copy, so each of the ``L x G``
    allocations costs a search per cell, not a pass over the rows.
    """
    nb = due.shape[2]
    L, G = levels.shape[0], lambdas.shape[0]
    if not np.isfinite(y).all():
        raise ValueError("held_out_met: delivery times must be finite")
    cell = (wd * 24 + hr) * nb + db
    span = float(np.max(np.abs(y))) + 2.0 * 86400.0 * 14 if y.shape[0] else 1.0
    # One sorted key per row: cell-major, then y; a promise's count is one search per cell.
    key = np.sort(cell * (4.0 * span) + y)
    base = np.arange(7 * 24 * nb) * (4.0 * span)
    start = np.searchsorted(key, base - 2.0 * span, side="left")

    def met(prom: np.ndarray) -> int:
        p = np.ceil(prom.reshape(-1) / round_s) * round_s
        ok = ~np.isnan(p)  # a cell without a value promises nothing: none of its rows is met
        n = np.searchsorted(key, base + np.where(ok, np.clip(p, -span, span), 0.0), side="right") - start
        return int(n[ok].sum())

    one = np.array([met(due[..., li]) for li in range(L)], dtype=np.float64)
    alloc = np.zeros((L, G))
    for lo in range(L):
        for g, lam in enumerate(lambdas):
            alloc[lo, g] = met(allocate_levels(due, float(lam), lo, levels))
    return one, alloc
