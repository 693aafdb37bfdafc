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

The promise itself comes from the ``due`` table (:func:`engine.eta.due.fit_due_table`): the
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

import math

from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from engine.errors import HistoryError, InputError
from engine.eta._city import City, Seasons, ServiceSpec, infer_kind
from engine.eta._time import local_seconds, weekday_hour
from engine.eta.calendar import HOLIDAY, calendar_seasons, holiday_day_numbers, new_holidays, seen_break_days
from engine.eta.cells import N_BANDS, fit_table, few_rows_tables
from engine.eta.due import LAMBDAS, fit_due_table, held_out_met
from engine.eta.history import History
from engine.eta.bands import band_of_rows, fit_band_edges, with_bands
from engine.eta.model import LEVELS, SEASON_SEP, TABLES, EtaModel, season_labels
from engine.eta.region import default_prices
from engine.eta.slots import SLOT_MIN_BOOKED, booked_slots, slot_booking_leads, slot_kept
from engine.eta.warp import fleet_closed_days, holiday_idle, holiday_stops, warp_holidays

def _features(model_tz: ZoneInfo, start: np.ndarray, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    wd, hr, _ = weekday_hour(start, model_tz)
    return wd, hr, band_of_rows(frame)


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
    cr, ho, de = (frame[c].to_numpy() for c in ("created", "handed", "delivered"))
    spec = {"lead": (cr, de - cr), "transit": (ho, de - ho), "processing": (cr, ho - cr)}
    out = {t: np.zeros((len(keys), 7, 24, N_BANDS, LEVELS.shape[0]), dtype=np.float64) for t in TABLES}
    scanned = np.isfinite(ho)  # rows without a hand-over scan count in lead and due only
    for t, (start, y) in spec.items():
        has = scanned if t != "lead" else np.ones(len(frame), dtype=bool)
        wd, hr, db = _features(tz, np.where(has, start, cr), frame)
        for i, k in enumerate(keys):
            m = (key_of == k) & has
            if t != "lead" and np.count_nonzero(m) < n_min:
                # Too few scans to split the lead time: the whole lead bounds either part.
                out[t][i] = out["lead"][i]
                continue
            out[t][i] = fit_table(wd[m], hr[m], db[m], y[m], n_min=n_min, **variant)
    out["due"] = due_tables(frame, key_of, keys, tz, n_min, **variant)
    return out


def _due_rows(frame: pd.DataFrame, tz: ZoneInfo) -> tuple[np.ndarray, ...]:
    """Per row: local weekday, hour and day number of creation, distance band, and the due target (s after that day's midnight)."""
    wd, hr, day = weekday_hour(frame["created"].to_numpy(), tz)
    y = local_seconds(frame["delivered"].to_numpy(), tz) - day * 86400.0
    return wd, hr, day, band_of_rows(frame), y


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


def day_block_coverage(
    frame: pd.DataFrame, keys: list[str], tz: ZoneInfo, n_min: int = 40, peaks: Seasons = (),
    lambdas: np.ndarray = LAMBDAS,
) -> tuple[np.ndarray, np.ndarray]:
    """Held-out coverage of the due table by alternate weeks: ``(keys, L)`` at each level, ``(keys, L, G)`` allocated.

    Rows of one day share its weather and its van waves, so the effective
    sample is days, not rows, and a quantile that covers 95.5% of the rows it
    was fitted on covers fewer of another year's.  Fitting on odd weeks and
    checking on even weeks (and back) measures that on whole days, per
    carrier/service.  The first array reads one level for every cell; the
    second reads each cell at its own level (:func:`engine.eta.due.allocate_levels`,
    floor level ``l``, price ``lambdas[g]``; none measured when ``lambdas`` is empty).  Quotes take the cheapest
    price whose held-out coverage reaches the target (``EtaModel.promise_lambdas``),
    else the lowest level that does (``EtaModel.promise_levels``).
    """
    key_of = _labels(frame, keys, tz, peaks)
    wd, hr, day, db, y = _due_rows(frame, tz)
    fold = (day // 7) % 2
    L = LEVELS.shape[0]
    met = np.zeros((len(keys), L))
    met_alloc = np.zeros((len(keys), L, lambdas.shape[0]))
    tot = np.zeros(len(keys))
    for f in (0, 1):
        tr, te = fold != f, fold == f
        tab = due_tables(frame[tr], key_of[tr], keys, tz, n_min)
        for i, k in enumerate(keys):
            m = te & (key_of == k)
            if not m.any():
                continue
            one, alloc = held_out_met(tab[i], wd[m], hr[m], db[m], y[m], lambdas=lambdas)
            met[i] += one
            met_alloc[i] += alloc
            tot[i] += m.sum()
    n = np.maximum(tot, 1)
    return (np.where(tot[:, None] > 0, met / n[:, None], np.nan),
            np.where(tot[:, None, None] > 0, met_alloc / n[:, None, None], np.nan))


def conformal_shift(
    frame_fit: pd.DataFrame, frame_cal: pd.DataFrame, keys: list[str], tz: ZoneInfo, n_min: int = 40,
    peaks: Seasons = (),
) -> np.ndarray:
    """Per key and level, the shift (s) that makes the lead table cover the calibration slice."""
    tabs = fit_tables(frame_fit, keys, tz, n_min, peaks)["lead"]
    fit_counts = pd.Series(_labels(frame_fit, keys, tz, peaks)).value_counts()
    key_of = _labels(frame_cal, keys, tz, peaks)
    cr, de = frame_cal["created"].to_numpy(), frame_cal["delivered"].to_numpy()
    wd, hr, db = _features(tz, cr, frame_cal)
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


#: A holiday/workday table is kept only where the all-year table covers fewer of its rows than this
#: (fewer still when the rows are few: see :func:`calendar_threshold`).
CALENDAR_MAX_COVERAGE = 0.94


def calendar_threshold(n: int, target: float = 0.95) -> float:
    """Coverage below which ``n`` calendar rows are *clearly* short of ``target``: three binomial standard errors, and at most :data:`CALENDAR_MAX_COVERAGE`.

    A fixed 0.90 pooled a slow holiday whose 13,000 rows the all-year table
    covered at 0.91: pooled, their tail padded every ordinary promise of the
    year.  Many rows make a small shortfall certain; a few make it noise.
    """
    return min(CALENDAR_MAX_COVERAGE, target - 3.0 * math.sqrt(target * (1.0 - target) / max(n, 1)))


def _calendar_keys(frame: pd.DataFrame, keys: list[str], tz: ZoneInfo, seasons: Seasons, n_min: int) -> tuple[list[str], dict[str, float]]:
    """Drop holiday/workday/learnt-season tables the history does not need, and say how the others were chosen.

    A calendar label (or a season learnt from the history's slow periods,
    which slow some services and not others) gets its own table only when the carrier/service's
    table without it covers its rows clearly less than the target (below
    :data:`CALENDAR_MAX_COVERAGE` at the 95% level): holidays that do not
    slow a carrier down stay pooled, so a few days of rows do not make a
    noisier table.
    """
    from engine.eta.calendar import HOLIDAY, LEARNT_PREFIX, WORKDAY  # noqa: PLC0415

    # Holidays, make-up workdays and seasons learnt from the history (not a catalogue's named ones, which are kept).
    cal = [k for k in keys if SEASON_SEP in k and (k.split(SEASON_SEP)[1] in (HOLIDAY, WORKDAY) or k.split(SEASON_SEP)[1].startswith(LEARNT_PREFIX))]
    if not cal:
        return keys, {}
    rest = [k for k in keys if k not in cal]
    frame = frame.sort_values("created", kind="stable").reset_index(drop=True)
    lab = table_keys(frame, tz, seasons)
    # The all-year table as it would be without the calendar's rows (with them
    # folded in, their tail would already have pushed it later).
    plain = ~np.isin(lab, cal)
    tab = due_tables(frame[plain], _labels(frame[plain], rest, tz, seasons), rest, tz, n_min)
    wd, hr, _, db, y = _due_rows(frame, tz)
    li = int(np.searchsorted(LEVELS, 0.95 - 1e-12))
    kept: dict[str, float] = {}
    for k in cal:
        m = lab == k
        i = rest.index(k.split(SEASON_SEP)[0])
        prom = np.ceil(tab[i][wd[m], hr[m], db[m], li] / 300.0) * 300.0
        cov = float(np.mean(y[m] <= prom)) if m.any() else 1.0
        if cov < calendar_threshold(int(m.sum())):
            kept[k] = round(cov, 4)
    return rest + [k for k in cal if k in kept], kept


#: A carrier/service with at least this many rows, but fewer than ``min_rows_per_key``, is still quoted:
#: by the order statistics of all its rows (:func:`engine.eta.cells.few_rows_tables`), not left without a promise.
FEW_ROWS = 20


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
    cell_levels: bool = True,
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
        Carrier/services with fewer rows get no hour, weekday or distance tables: from
        :data:`FEW_ROWS` rows they are promised from the order statistics of all their rows (``meta["keys_few_rows"]``),
        below it not at all (``meta["keys_too_few_rows"]``).
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
    cell_levels
        With ``day_calibration``: also measure reading each cell at its own
        level (:func:`engine.eta.due.allocate_levels`); quotes then promise
        the shortest such allocation whose held-out coverage reaches the goal.
    """
    if not (0.0 <= margin < 0.05):
        raise InputError(f"margin {margin} must be in [0, 0.05)", field="margin")
    frame = history.frame
    if len(frame) == 0:
        raise HistoryError("no usable rows in the history: " + str(history.summary()["skipped_by_reason"]))
    tz = ZoneInfo(city.tz)
    if city.holidays:
        # Holidays and make-up workdays are labelled like seasons (after the
        # named peaks, which win): their own tables when the history has enough rows.
        y0 = datetime.fromtimestamp(float(frame["created"].min()), tz).year
        y1 = datetime.fromtimestamp(float(frame["created"].max()), tz).year
        named = {n for n, _ in city.seasons}
        cal = calendar_seasons(city.holidays, range(y0, y1 + 4))
        city = replace(city, seasons=city.seasons + tuple(x for x in cal if x[0] not in named))
    given, edges = city.band_edges_km, fit_band_edges(frame, city.band_edges_km)
    city = replace(city, band_edges_km=edges)
    frame = with_bands(frame, edges)
    # A carrier/service idle on every public holiday learns from all its rows with the holidays taken out of its
    # times (engine.eta.warp); at quote time each holiday moves its promise a day (rules.holiday_days), whatever
    # its weekday: a holiday table pooled Friday holidays with Monday ones and promised every holiday week the longer.
    _, _, cday = weekday_hour(frame["created"].to_numpy(), tz)
    idle = holiday_idle(frame, city, tz, cday)
    raw, closing = frame, np.empty(0, dtype=np.int64)
    if idle:
        y0, y1 = (datetime.fromtimestamp(float(frame["created"].agg(f)), tz).year for f in ("min", "max"))
        closing = holiday_day_numbers(city.holidays, range(y0, y1 + 4))
        frame = warp_holidays(frame, idle, closing, tz)
    key_of = pd.Series(table_keys(frame, tz, city.seasons))
    if idle:
        kb = key_of.str.partition(SEASON_SEP)
        key_of = key_of.where(~(kb[0].isin(idle) & (kb[2] == HOLIDAY)), kb[0])
    vc = key_of.value_counts()
    # A season with enough rows gets its own table; the carrier/service's
    # main table holds the other days (and the rows of seasons too small for one).
    base_of = np.array([k.split(SEASON_SEP)[0] for k in key_of.to_numpy()], dtype=object)
    vb = pd.Series(base_of).value_counts()
    few = {k: int(v) for k, v in vb.items() if FEW_ROWS <= v < min_rows_per_key}
    keys = sorted(k for k, v in vb.items() if v >= min_rows_per_key or k in few)
    keys += sorted(k for k, v in vc.items() if SEASON_SEP in k and v >= min_rows_per_key and k.split(SEASON_SEP)[0] in keys and k.split(SEASON_SEP)[0] not in few)
    too_few = {k: int(v) for k, v in vb.items() if k not in keys}
    calendar_kept: dict[str, float] = {}
    if any(SEASON_SEP in k for k in keys):
        keys, calendar_kept = _calendar_keys(frame[np.isin(base_of, keys)], keys, tz, city.seasons, n_min)
    if not keys:
        raise HistoryError(f"no carrier/service has {min_rows_per_key} usable rows (counts: {dict(vc)})")
    frame = frame[np.isin(base_of, keys)].sort_values("created", kind="stable").reset_index(drop=True)
    tables = fit_tables(frame, keys, tz, n_min, city.seasons)
    shift = np.zeros((len(keys), LEVELS.shape[0]))
    prices = LAMBDAS if cell_levels else LAMBDAS[:0]
    cv, cv_alloc = day_block_coverage(frame, keys, tz, n_min, city.seasons, prices) if day_calibration else (None, None)
    if not cell_levels:
        cv_alloc = None
    if conformal and calib_frac > 0:
        cut = int(len(frame) * (1 - calib_frac))
        # One-sided: only ever widen.  A calibration slice from calmer weeks
        # would otherwise tighten the tail below what the longer history shows.
        shift = np.maximum(conformal_shift(frame.iloc[:cut], frame.iloc[cut:], keys, tz, n_min, city.seasons), 0.0)
        for t in ("lead", "due"):
            tables[t] = np.maximum.accumulate(np.maximum(tables[t] + shift[:, None, None, None, :], 0.0), axis=-1)
        if (shift > 0).any():
            # The shift changes what each level costs: prices measured on the unshifted table would not fit it.
            cv_alloc = None
    base = (frame["carrier"] + ":" + frame["service"]).to_numpy()
    for i, k in enumerate(keys):
        if k in few:
            flat, cover = few_rows_tables(frame[base == k])
            for t, v in flat.items():
                tables[t][i] = v
            # Coverage known exactly, not measured on alternate weeks of a few rows; an allocation with floor l
            # reads every cell alike, at l or above, so it covers at least level l's share.
            if cv is not None:
                cv[i] = cover
            if cv_alloc is not None:
                cv_alloc[i] = cover[:, None]
    # Carrier/services seen in the history but not in the catalogue still get offered.
    services = list(city.services)
    known = {s.key for s in services}
    for k in keys:
        if k not in known and SEASON_SEP not in k:
            c, s = k.split(":", 1)
            kind = infer_kind(s)
            base, per_kg, per_km = default_prices(kind, city.currency)
            services.append(ServiceSpec(c, s, kind, base_cost=base, cost_per_kg=per_kg, cost_per_km=per_km, label=f"{c} {s}"))
    _, _, cday = weekday_hour(frame["created"].to_numpy(), tz)
    # The rows as delivered (the same rows in the same order as ``frame``, whose idle services' days are warped).
    raw = raw[np.isin((raw["carrier"] + ":" + raw["service"]).to_numpy(), keys)].sort_values("created", kind="stable").reset_index(drop=True)
    idle = tuple(k for k in idle if k in keys)
    city = replace(city, services=tuple(services), closed_days=fleet_closed_days(raw, city, tz),
                   # Every holiday closes an idle service once its tables have none; else only those the history never saw.
                   new_holidays=tuple(int(x) for x in closing) if idle else new_holidays(city.holidays, int(cday.min()), int(cday.max())),
                   seen_break_days=seen_break_days(city.holidays, int(cday.min()), int(cday.max())), holiday_idle=idle,
                   holiday_stops=holiday_stops(raw, city, tz, cday, skip=idle))
    # Local hours in which each carrier/service has ever delivered, from all
    # its rows (a season's own rows are too few to rule an hour out).
    dwd, dhr, _ = weekday_hour(raw["delivered"].to_numpy(), tz)
    delivers = np.zeros((len(keys), 7, 24), dtype=bool)
    for i, k in enumerate(keys):
        m = base == k.split(SEASON_SEP)[0]
        delivers[i, dwd[m], dhr[m]] = True
        if k in few:
            # A few dozen deliveries do not say which hours it never delivers in: no snapping back, no idle weekday.
            delivers[i] = True
    slot_kind = {sp.key for sp in services if sp.kind == "slot"}
    booked = np.isin(base, list(slot_kind)) & np.isfinite(frame["slot_start"].to_numpy()) if "slot_start" in frame else np.zeros(len(frame), dtype=bool)
    slot_from = None
    if int(booked.sum()) >= SLOT_MIN_BOOKED:
        # The history says how often a booked slot was kept; the quote's probability is that share
        # (rules.slot_probability multiplies by the top level: the parcel ready, then the van on time).
        # Quotes offer the slots the customers booked, not 1-hour ones at whole hours (whatever gave the probability).
        slot_len, slot_times = booked_slots(raw[booked], tz)
        kept = float(np.mean(slot_kept(raw[booked], tz, slot_len)))
        if slot_on_time is None:
            slot_on_time = min(1.0, kept / float(LEVELS[-1]))
        leads = slot_booking_leads(raw[booked], tz, slot_times)
        city = replace(city, slot_len_s=slot_len, slot_times=slot_times, slot_lead_h=leads)
        slot_from = {"booked_slots": int(booked.sum()), "kept": round(kept, 4), "length_h": round(slot_len / 3600.0, 3),
                     "starts_h": list(slot_times), "booked_at_least_h_before": list(leads)}
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
        cv_alloc=cv_alloc,
        lambdas=LAMBDAS.copy() if cv_alloc is not None else None,
        meta={
            "method": "promised times per hour cell pooled by cut-off period, monotone in order time"
            + (", level per carrier/service from alternate-week held-out coverage" if day_calibration else "")
            + (", each cell at its own level not below the target, price per carrier/service from alternate-week held-out coverage" if cv_alloc is not None else "")
            + (", conformal shift" if conformal else ""),
            "n_min": n_min,
            "band_edges_from": "history" if tuple(edges) != tuple(given) else "given (learnt edges not 1% shorter)",
            "slot_on_time_from": slot_from or "route simulation (no booked slots in the history)",
            "calib_frac": calib_frac if conformal else 0.0,
            "history": history.summary(),
            "keys_too_few_rows": too_few,
            "holidays_taken_out_of": list(idle),
            "keys_few_rows": few,
            "calendar": {"holidays": city.holidays or None, "own_tables": calendar_kept,
                         "rule": f"a holiday/workday/learnt-season table where the all-year table covers < min({CALENDAR_MAX_COVERAGE}, 0.95 - 3 SE) of its rows"},
            "conformal_shift_s_at_0.95": {k: float(shift[i, int(np.searchsorted(LEVELS, 0.95))]) for i, k in enumerate(keys)},
            "fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "history_span": [
                datetime.fromtimestamp(float(frame["created"].min()), tz).isoformat(),
                datetime.fromtimestamp(float(frame["created"].max()), tz).isoformat(),
            ],
        },
    )


