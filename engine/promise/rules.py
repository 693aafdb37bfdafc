"""The promise rules, each written once: due times, cut-offs, snap-back, slots, cost and reason precedence.

Every rule has a vectorised form over ``N`` orders (``(N,)`` arrays; the
batch path and the fitting benchmarks) and, where checkout needs it, a
scalar form ``*_one`` right beside it in plain Python floats: quoting one
cart through numpy costs ~6x more in per-call overhead than the arithmetic
itself.  The two forms must agree to the second; ``tests/promise/test_rules.py``
compares each pair on many random inputs.  :data:`VECTOR` and :data:`SCALAR`
bundle them for the one place that composes them per delivery option
(:func:`engine.promise.batch.quote_options`).

Promised times come from the fitted ``due`` table: one absolute local time
per hour cell of order time, non-decreasing in order time (see
``engine.eta.due.fit_due_table``), each cell read at its own level, never
below the target, at the price whose held-out coverage meets the target
(``EtaModel.promise_lambdas``; one level per key for older models).  A service with a calendar
of its own (a catalogue's per-weekday cut-offs, weekdays, holiday country)
reads it at the moment it takes the order in (:func:`taken`); the service
area (bbox, then polygon or radius) is :mod:`engine.eta.area`.

Why this module is long: each rule is written twice, side by side (the
vectorised and the scalar form), so that the pair is reviewed and tested
together; splitting the forms across modules would invite them to drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from engine.domain.promise import UnavailableReason as R
from engine.eta._city import ServiceSpec
from engine.eta._time import (
    local_seconds,
    local_seconds_one,
    local_to_epoch,
    local_to_epoch_one,
    weekday_hour,
    weekday_hour_one,
)
from engine.eta.area import inside_area, inside_area_one
from engine.eta.calendar import HOLIDAY, NO_CUTOFF, OpenDays
from engine.eta.due import allocate_levels
from engine.eta.model import SEASON_SEP, EtaModel, season_label, season_labels
from engine.geo import haversine_km

#: Promised times are rounded up to this many seconds (customers read "by 18:05", not "by 18:03:17").
ROUND_S = 300.0
#: Hours ahead scanned for the moment an option's promise slips a day (the cut-off).
CUTOFF_SCAN_H = 30
#: Travel time guess for slot booking: road km per great-circle km, and a slow (p95) van speed.
DETOUR, SLOW_KMH = 1.35, 20.0
#: Loading a van before it leaves for a booked slot.
LOAD_S = 1800.0
#: A slot starting later than this after the order is not offered.
SLOT_HORIZON_S = 2 * 86400.0 + 3600.0
#: How far back (hours) a promise in a no-delivery hour may move.
SNAP_H = 96

#: Which reason is given when several apply: the first listed.
PRECEDENCE: tuple[R, ...] = (
    R.OFF_MAP, R.NO_HISTORY, R.SLOT_PROBABILITY, R.SLOT_FLEET_OFF, R.SLOT_BOOKING_CLOSED, R.NO_SLOT, R.SAME_DAY_CUTOFF, R.NEXT_DAY_CUTOFF,
    R.TOO_HEAVY, R.OUT_OF_AREA, R.NO_CAPACITY,
)
# Rank by code, a list: enum members hash in Python, list indexing by an int does not.
_RANK = [len(PRECEDENCE)] * (max(R) + 1)
for _i, _code in enumerate(PRECEDENCE):
    _RANK[_code] = _i


# ---------------------------------------------------------------------------- the orders the rules read


@dataclass(slots=True)
class Orders:
    """What every rule reads of the orders: ``(N,)`` arrays, or plain numbers for one cart (``n == 1``)."""

    n: int
    #: Index of the orders' rows in an ``(N, K)`` result: all of them, or row 0 of one cart.
    rows: Any
    tz: ZoneInfo
    created: Any  # epoch seconds
    loc: Any  # local wall-clock seconds
    day: Any  # local day number of the creation
    wd: Any  # local weekday (Mon = 0)
    hr: Any  # local hour
    km: Any  # great-circle km from the origin
    db: Any  # distance band
    weight: Any  # cart kg
    season: Any  # season label of the creation day ("" outside all)
    off_map: Any  # destination outside the service area (bbox, then polygon or radius)
    lat: Any = None  # destination (for the reason texts)
    lon: Any = None


def orders(
    model: EtaModel, lat: np.ndarray, lon: np.ndarray, created: np.ndarray, weight: np.ndarray,
    origin_lat: np.ndarray | None = None, origin_lon: np.ndarray | None = None,
) -> Orders:
    """:class:`Orders` of ``(N,)`` validated arrays (origin: the model's depot when ``None``)."""
    tz = model.tz
    km = model.distance_km(lat, lon, origin_lat, origin_lon)
    wd, hr, day = weekday_hour(created, tz)
    on_map = inside_area(model.city, lat, lon)
    return Orders(
        created.shape[0], slice(None), tz, created, local_seconds(created, tz), day, wd, hr, km, model.dband(km), weight,
        season_labels(day, model.city.seasons), ~on_map, lat, lon,
    )


def orders_one(
    model: EtaModel, lat: float, lon: float, created: float, weight: float, origin: tuple[float, float] | None = None,
) -> Orders:
    """Scalar :func:`orders` for one cart."""
    tz = model.tz
    olat, olon = origin if origin is not None else model.city.depot
    km = float(haversine_km(olat, olon, lat, lon))
    wd, hr, day = weekday_hour_one(created, tz)
    on_map = inside_area_one(model.city, lat, lon)
    return Orders(
        1, 0, tz, created, local_seconds_one(created, tz), day, wd, hr, km, model.dband_one(km), weight,
        season_label(day, model.city.seasons), not on_map, lat, lon,
    )


# ---------------------------------------------------------------------------- rules with one form


def table_key(model: EtaModel, spec: ServiceSpec) -> str | None:
    """The fitted table an option reads: its own, or for a slot its carrier's next-day (else first) table."""
    if spec.kind != "slot":
        key = spec.key
        return key if key in model.keys else None
    own = [x for x in model.base_keys if x.startswith(spec.carrier + ":")]
    nd = spec.carrier + ":next_day"
    return nd if nd in own else (own[0] if own else None)


def slot_probability(model: EtaModel) -> float:
    """Probability a booked slot is met: the parcel ready at the top level, then the van on time."""
    return round(model.slot_on_time * model.levels[-1], 4)


def capacity_exhausted(capacity_left: Mapping[str, int], key: str, carrier: str) -> bool:
    """Today's plan can take no more orders for option ``key`` (by its key, else its carrier)."""
    if not capacity_left:
        return False
    left = capacity_left.get(key, capacity_left.get(carrier))
    return left is not None and left <= 0


@dataclass(frozen=True, slots=True)
class PromiseTable:
    """The due table read for one target (each cell at its level), in the form the rules of one kind read."""

    #: ``(keys, 7, 24, bands)`` array (vectorised), or ``[key][band] -> 168`` floats (scalar).
    qt: Any
    #: Level index of the p50.
    l50: int


def promise_table(model: EtaModel, target: float) -> PromiseTable:
    """The ``(keys, 7, 24, bands)`` promised times for ``target`` (cached per target).

    Each cell at its own level where the model measured that (``EtaModel.promise_lambdas``),
    else one level per key (``EtaModel.promise_levels``).
    """
    key = ("promise_table", target)
    hit = model._levels_cache.get(key)
    if hit is None:
        lv = model.promise_levels(target)
        lam = model.promise_lambdas(target)
        due = model.tables["due"]
        qt = np.ascontiguousarray(due[np.arange(due.shape[0]), :, :, :, lv])
        lo = model.level_index(target)
        for i in np.flatnonzero(np.isfinite(lam)):
            qt[i] = allocate_levels(due[i], float(lam[i]), lo, model.levels)
        hit = model._levels_cache[key] = PromiseTable(qt, model.level_index(0.5))
    return hit


def promise_table_one(model: EtaModel, target: float) -> PromiseTable:
    """:func:`promise_table` as Python lists ``[key][band] -> 168 floats`` (cached): checkout indexes them per hour."""
    key = ("promise_table_one", target)
    hit = model._levels_cache.get(key)
    if hit is None:
        t = promise_table(model, target)
        lists = [[t.qt[i, :, :, b].ravel().astype(float).tolist() for b in range(t.qt.shape[3])] for i in range(t.qt.shape[0])]
        hit = model._levels_cache[key] = PromiseTable(lists, t.l50)
    return hit


# ---------------------------------------------------------------------------- the table row of an order


def table_index(model: EtaModel, key: str, o: Orders) -> np.ndarray | None:
    """Per order, the row of ``key``'s table: its season's when fitted (None: no table)."""
    return model.table_index(key, o.created, o.season)


def table_index_one(model: EtaModel, key: str, o: Orders) -> int | None:
    """Scalar :func:`table_index`."""
    return model.table_index_one(key, o.season)


# ---------------------------------------------------------------------------- due times


def due_local(qt: np.ndarray, ti: np.ndarray, hloc: np.ndarray, db: np.ndarray) -> np.ndarray:
    """Promised local time (rounded up to ``ROUND_S``) of orders created in local hour number ``hloc``.

    ``qt`` is the ``(keys, 7, 24, bands)`` due table at each key's promise
    level; one value per hour cell, so every order of an hour gets the same promise.
    """
    day = np.floor(hloc / 24.0).astype(np.int64)
    wd = (day + 3) % 7
    hr = (hloc - day * 24).astype(np.int64)
    return np.ceil((day * 86400.0 + qt[ti, wd, hr, db]) / ROUND_S) * ROUND_S


def due_local_one(qt: list[float], hloc: int) -> float:
    """Scalar :func:`due_local` for one key and band's flat ``7 * 24`` list ``qt`` (Monday 00-01 first)."""
    # Local hour 0 was a Thursday (weekday 3): the cell is ((day + 3) % 7) * 24 + hour, i.e. (hloc + 72) % 168.
    return math.ceil(((hloc // 24) * 86400.0 + qt[(hloc + 72) % 168]) / ROUND_S) * ROUND_S


def prob_cap(model: EtaModel) -> np.ndarray:
    """Per table, the most a promise from it can claim: ``n / (n + 1)`` for a service fitted on only ``n`` rows.

    Its cells read the order statistics of all ``n`` rows
    (:func:`engine.eta.cells.few_rows_tables`): every level from ``n / (n + 1)``
    up reads the largest, which covers the next order with probability
    ``n / (n + 1)``, not the 99% of the top level.  1 for the other tables.
    """
    hit = model._levels_cache.get("prob_cap")
    if hit is None:
        few = model.meta.get("keys_few_rows") or {}
        hit = model._levels_cache["prob_cap"] = np.array(
            [few[k] / (few[k] + 1.0) if k in few else 1.0 for k in model.keys], dtype=np.float64)
    return hit


def due_promise(model: EtaModel, t: PromiseTable, ti: np.ndarray, o: Orders) -> tuple[np.ndarray, ...]:
    """Promise of a due-table option: ``(local day of the promise, promised epoch, p50 epoch, probability)``.

    Never before the order itself (rounded up); the p50 never after the
    promise; the probability is the highest stored level the promise covers
    (before :func:`holiday_days` moves a promise past a holiday the history never saw).
    """
    dq = model.tables["due"][ti, o.wd, o.hr, o.db].astype(np.float64)  # (n, L), from the creation day's midnight
    day0 = o.day * 86400.0
    pl = np.ceil((day0 + t.qt[ti, o.wd, o.hr, o.db].astype(np.float64)) / ROUND_S) * ROUND_S
    pl = np.maximum(pl, np.ceil(o.loc / ROUND_S) * ROUND_S)
    covered = (dq <= (pl - day0)[:, None]).sum(axis=1)
    prob = np.minimum(np.where(covered > 0, model.levels[np.maximum(covered - 1, 0)], 0.0), prob_cap(model)[ti])
    day = np.asarray(o.day, dtype=np.int64)
    pl = moved_local(model, ti, day, pl)
    l50 = moved_local(model, ti, day, day0 + dq[:, t.l50])
    pr = local_to_epoch(pl, o.tz)
    p50 = np.minimum(np.maximum(local_to_epoch(l50, o.tz), o.created), pr)
    return np.floor(pl / 86400.0), pr, p50, prob


def due_promise_one(model: EtaModel, t: PromiseTable, ti: int, o: Orders) -> tuple[float, ...]:
    """Scalar :func:`due_promise`."""
    dq = model.tables["due"][ti, o.wd, o.hr, o.db]
    day0 = o.day * 86400.0
    pl = max(math.ceil((day0 + t.qt[ti][o.db][o.wd * 24 + o.hr]) / ROUND_S) * ROUND_S, math.ceil(o.loc / ROUND_S) * ROUND_S)
    covered = int(np.count_nonzero(dq <= np.float64(pl - day0)))
    prob = min(float(model.levels[covered - 1]) if covered > 0 else 0.0, float(prob_cap(model)[ti]))
    pl = moved_local_one(model, ti, int(o.day), pl)
    l50 = moved_local_one(model, ti, int(o.day), day0 + float(dq[t.l50]))
    pr = local_to_epoch_one(pl, o.tz)
    p50 = min(max(local_to_epoch_one(l50, o.tz), o.created), pr)
    return math.floor(pl / 86400.0), pr, p50, prob


# ---------------------------------------------------------------------------- holidays the history never saw


def moved_local(model: EtaModel, ti: np.ndarray, day: np.ndarray, due: np.ndarray) -> np.ndarray:
    """``due`` (local promise times of orders created on local days ``day``) moved past the holidays the history
    never saw (:func:`holiday_days`; a copy, or ``due`` itself when nothing moves).  :func:`due_promise` and the
    cut-off scans read promises through it, so "order within" agrees with the promise."""
    if not _any_closures(model):
        return due
    new = _all_closed_days(model)
    tis = np.broadcast_to(np.asarray(ti, dtype=np.int64), due.shape)
    closes = np.isin(tis, [j for j in np.unique(tis).tolist() if service_closed_days(model, j)])
    day = np.broadcast_to(np.asarray(day, dtype=np.int64), due.shape)
    end = np.floor(due / 86400.0).astype(np.int64)
    hit = closes & (np.searchsorted(new, end, "right") > np.searchsorted(new, day, "left"))
    if not hit.any():
        return due
    out = due.copy()
    # Only orders of a service with one of its closed days between their day and their promise are walked one by one.
    for idx in zip(*np.nonzero(hit)):
        out[idx] += 86400.0 * _holiday_days_memo(model, int(tis[idx]), int(day[idx]), int(end[idx]))
    return out


def moved_local_one(model: EtaModel, ti: int, day: int, due: float) -> float:
    """Scalar :func:`moved_local`."""
    if not _any_closures(model):
        return due
    return due + 86400.0 * _holiday_days_memo(model, ti, day, math.floor(due / 86400.0))


def _holiday_days_memo(model: EtaModel, ti: int, day: int, end: int) -> int:
    """:func:`holiday_days`, remembered per (table, day, promise day): the cut-off scans ask it per hour."""
    memo = model._levels_cache.get("holiday_days_memo")
    if memo is None or len(memo) > 100_000:  # a server quoting for years starts afresh
        memo = model._levels_cache["holiday_days_memo"] = {}
    key = (ti, day, end)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = holiday_days(model, ti, day, end)
    return hit


def _any_closures(model: EtaModel) -> bool:
    """True when some carrier/service stops on holidays (``City.holiday_idle`` or ``City.holiday_stops``)."""
    return bool((model.city.holiday_idle and model.city.new_holidays) or model.city.holiday_stops)


def _all_closed_days(model: EtaModel) -> np.ndarray:
    """Every day that closes some carrier/service (the union of :func:`service_closed_days`), sorted (cached):
    :func:`moved_local` walks only the orders with one of them before their promise."""
    hit = model._levels_cache.get("all_closed_days")
    if hit is None:
        days = set().union(*(service_closed_days(model, j) for j in range(len(model.keys))))
        hit = model._levels_cache["all_closed_days"] = np.array(sorted(days), dtype=np.int64)
    return hit


def service_closed_days(model: EtaModel, ti: int) -> frozenset[int]:
    """The days that close table ``ti``'s carrier/service: every ``new_holidays`` for one idle on holidays,
    its own ``holiday_stops`` for one that stops on some, else none (cached per table)."""
    hit = model._levels_cache.get("closed_days_per_table")
    if hit is None:
        stops = dict(model.city.holiday_stops)
        new = frozenset(model.city.new_holidays)
        hit = model._levels_cache["closed_days_per_table"] = [
            new if _per_table(model)[0][j] else frozenset(stops.get(k.partition(SEASON_SEP)[0], ()))
            for j, k in enumerate(model.keys)]
    return hit[ti]


def holiday_days(model: EtaModel, ti: int, day: int, end: int) -> int:
    """Days a promise on local day ``end``, for an order of local day ``day``, moves for the holidays that close its service.

    For a carrier/service the history shows idle on some holidays only
    (``City.holiday_stops``: Chuseok for an own fleet that drives on other
    holidays), whose tables learnt those breaks as delivered, the promise only
    moves off the days it stops on (a promise for Chuseok itself was met by no order).
    Otherwise only for a carrier/service the history shows idle on its own public
    holidays (``City.holiday_idle``): it is taken to stop on every one of
    ``City.new_holidays``, those the history did not cover too
    (Thanksgiving in a history of September and October, for a carrier
    seen off on Columbus Day and Veterans Day).  A fit that took the
    holidays out of its times (:mod:`engine.eta.warp`) lists them all; an
    older one, only those its history never saw.  Each such day from the order's day to the promise's on which it would
    deliver (``EtaModel.delivers``) moves the promise on by one day it
    delivers and that is no such holiday.  0 when none lies in between.
    An order read from a holiday table (``@holiday``) moves only by the days
    beyond the longest break the history held (``City.seen_break_days``):
    that table holds what the breaks it saw cost, and it never lands inside the break.
    A service seen delivering on the holidays, or with none in its history,
    is left to its tables (the holidays pooled, as the fit decided).
    """
    closed = service_closed_days(model, ti)
    if not closed:
        return 0
    works = delivering_weekdays(model, ti)
    if not _idle_on_holidays(model, ti):
        # A service stopping on some holidays (City.holiday_stops) kept them in its tables, pooled or in a holiday
        # or slow-period table, which learnt what they cost as delivered: its promise only moves off the days it stops on.
        out = end
        while out in closed or (out > end and not works[(out + 3) % 7]):
            out += 1
        return out - end
    owed = sum(1 for d in range(day, end + 1) if d in closed and works[(d + 3) % 7])
    out = end
    while owed > 0:
        out += 1
        if works[(out + 3) % 7] and out not in closed:
            owed -= 1
    if out > end and _holiday_table(model, ti):
        # Never into the break itself: on to the first day after it the service delivers.
        out = max(end, out - model.city.seen_break_days)
        while out in closed or not works[(out + 3) % 7]:
            out += 1
    return out - end


def _per_table(model: EtaModel) -> tuple[list[bool], list[bool], list[tuple[bool, ...]]]:
    """Per table: seen idle on holidays, a holiday table, its delivering weekdays (one cache entry for all tables)."""
    hit = model._levels_cache.get("holiday_per_table")
    if hit is None:
        idle = [k.partition(SEASON_SEP)[0] in model.city.holiday_idle for k in model.keys]
        hol = [k.partition(SEASON_SEP)[2] == HOLIDAY for k in model.keys]
        works = []
        for ti in range(len(model.keys)):
            w = (True,) * 7 if model.delivers is None else tuple(bool(x) for x in model.delivers[ti].any(axis=1))
            works.append(w if any(w) else (True,) * 7)
        hit = model._levels_cache["holiday_per_table"] = (idle, hol, works)
    return hit


def _idle_on_holidays(model: EtaModel, ti: int) -> bool:
    """True when table ``ti``'s carrier/service was seen idle on the history's public holidays (``City.holiday_idle``)."""
    return _per_table(model)[0][ti]


def _holiday_table(model: EtaModel, ti: int) -> bool:
    """True when table ``ti`` is a carrier/service's public-holiday table."""
    return _per_table(model)[1][ti]


def delivering_weekdays(model: EtaModel, ti: int) -> tuple[bool, ...]:
    """The weekdays (Mon = 0) on which table ``ti``'s carrier/service has delivered (all, without that record)."""
    return _per_table(model)[2][ti]


# ---------------------------------------------------------------------------- snap-back


def snap_back(model: EtaModel, ti: np.ndarray, pr: np.ndarray, floor_: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Move promises that fall in hours the carrier never delivers back to the end of its last delivering hour.

    Nothing is delivered in between, so the probability is unchanged; never
    earlier than ``floor_`` (the p50) nor more than ``SNAP_H`` hours back.
    """
    if model.delivers is None:
        return pr
    loc = local_seconds(pr, tz)
    h0 = np.floor(loc / 3600.0).astype(np.int64)
    out = pr.copy()
    d0 = np.floor(h0 / 24.0).astype(np.int64)
    todo = ~model.delivers[ti, (d0 + 3) % 7, h0 - d0 * 24]
    for j in range(1, SNAP_H + 1):
        if not todo.any():
            break
        h = h0 - j
        day = np.floor(h / 24.0).astype(np.int64)
        hit = todo & model.delivers[ti, (day + 3) % 7, h - day * 24]
        if hit.any():
            cand = local_to_epoch((h[hit] + 1) * 3600.0, tz)
            out[hit] = np.where(cand >= floor_[hit], np.minimum(cand, pr[hit]), pr[hit])
            todo &= ~hit
    return out


def snap_back_one(model: EtaModel, ti: int, pr: float, floor_: float, tz: ZoneInfo) -> float:
    """Scalar :func:`snap_back`."""
    if model.delivers is None:
        return pr
    dl = model.delivers[ti]
    h0 = math.floor(local_seconds_one(pr, tz) / 3600.0)
    d0 = h0 // 24
    if dl[(d0 + 3) % 7, h0 - d0 * 24]:
        return pr
    for h in range(h0 - 1, h0 - SNAP_H - 1, -1):
        day = h // 24
        if dl[(day + 3) % 7, h - day * 24]:
            cand = local_to_epoch_one((h + 1) * 3600.0, tz)
            return min(cand, pr) if cand >= floor_ else pr
    return pr


# ---------------------------------------------------------------------------- cut-offs


def cutoff(model: EtaModel, t: PromiseTable, ti: np.ndarray, o: Orders, deadline: np.ndarray) -> np.ndarray:
    """Latest creation time from now whose promise still meets ``deadline`` (local seconds; NaN: none within the scan).

    Promises are constant within an hour and non-decreasing in order time, so
    the cut-off is the start of the first later hour whose promise is past the deadline.
    """
    hour0 = np.floor(o.loc / 3600.0)
    hloc = hour0[:, None] + np.arange(1, CUTOFF_SCAN_H)[None, :]
    due = moved_local(model, ti[:, None], np.floor(hloc / 24.0), due_local(t.qt, ti[:, None], hloc, o.db[:, None]))
    hit = due > deadline[:, None]
    first = np.argmax(hit, axis=1)
    cut = local_to_epoch(hloc[np.arange(o.n), first] * 3600.0, o.tz)
    return np.where(hit.any(axis=1) & (cut > o.created), cut, np.nan)


def cutoff_one(model: EtaModel, t: PromiseTable, ti: int, o: Orders, deadline: float) -> float:
    """Scalar :func:`cutoff`, stopping at the first hour that crosses."""
    qt = t.qt[ti][o.db]
    hour0 = math.floor(o.loc / 3600.0)
    for j in range(1, CUTOFF_SCAN_H):
        if moved_local_one(model, ti, (hour0 + j) // 24, due_local_one(qt, hour0 + j)) > deadline:
            cut = local_to_epoch_one((hour0 + j) * 3600.0, o.tz)
            return cut if cut > o.created else math.nan
    return math.nan


def passed_cutoff(model: EtaModel, t: PromiseTable, ti: np.ndarray, o: Orders, days_ahead: int, late: np.ndarray) -> np.ndarray:
    """Today's cut-off that ``late`` orders of an option promising within ``days_ahead`` days missed.

    The end of the last hour of today, before the current one, whose promise
    still fell within its deadline (epoch seconds); NaN when no hour of today
    could have had it (e.g. no next-day delivery for Saturday orders) and for
    orders that are not late.
    """
    out = np.full(o.n, np.nan)
    if not late.any():
        return out
    loc, ti, db = o.loc[late], ti[late], o.db[late]
    day = np.floor(loc / 86400.0)
    hcur = np.floor(loc / 3600.0) - day * 24
    hloc = day[:, None] * 24 + np.arange(24)[None, :]
    due = moved_local(model, ti[:, None], day[:, None], due_local(t.qt, ti[:, None], hloc, db[:, None]))
    ok = due <= ((day + 1 + days_ahead) * 86400.0)[:, None]
    ok &= np.arange(24)[None, :] < hcur[:, None]
    last = 23 - np.argmax(ok[:, ::-1], axis=1)
    end = local_to_epoch((day * 24 + last + 1) * 3600.0, o.tz)
    out[late] = np.where(ok.any(axis=1), end, np.nan)
    return out


def passed_cutoff_one(model: EtaModel, t: PromiseTable, ti: int, o: Orders, days_ahead: int, late: bool) -> float:
    """Scalar :func:`passed_cutoff`, scanning back from the current hour."""
    if not late:
        return math.nan
    qt = t.qt[ti][o.db]
    day = math.floor(o.loc / 86400.0)
    deadline = (day + 1 + days_ahead) * 86400.0
    for h in range(math.floor(o.loc / 3600.0) - day * 24 - 1, -1, -1):
        if moved_local_one(model, ti, day, due_local_one(qt, day * 24 + h)) <= deadline:
            return local_to_epoch_one((day * 24 + h + 1) * 3600.0, o.tz)
    return math.nan


# ---------------------------------------------------------------------------- the service's own calendar


def open_days(model: EtaModel, spec: ServiceSpec) -> OpenDays | None:
    """The order-taking calendar of a service with weekdays, cut-offs or holidays (a catalogue's); None without (cached)."""
    if not spec.has_calendar:
        return None
    key = ("open_days", spec.key)
    hit = model._levels_cache.get(key)
    if hit is None:
        hit = model._levels_cache[key] = OpenDays(spec.weekdays, spec.cutoffs, spec.holidays)
    return hit


@dataclass(frozen=True, slots=True)
class Taken:
    """When a service takes the orders in, by its own calendar."""

    #: The orders as the tables read them: rolled orders created at 00:00 of the day they are taken in
    #: (and in that day's season: an order placed on a holiday reads the ordinary table of the day after).
    o: Orders
    #: Per order: True where the order waits for a later day (past the cut-off, a closed weekday or holiday).
    rolled: Any
    #: The catalogue cut-off the order missed today (epoch; NaN: none, or the service is closed today).
    passed: Any
    #: Per order: True where the service takes no orders at all on the creation day (no cut-off was missed).
    closed: Any
    #: The catalogue cut-off of the day it is taken in (epoch; NaN: none that day).
    cutoff: Any


def taken(model: EtaModel, spec: ServiceSpec, o: Orders) -> Taken | None:
    """Orders after the service's cut-off, on a weekday it does not work or on its public holiday wait for its next open day.

    The due table is non-decreasing in order time, so reading it at 00:00 of
    that day never promises earlier than the order's own hour would; the
    promise then honours the catalogue even where the history was thin (a
    holiday the history never saw).  None when the service has no calendar.
    """
    cal = open_days(model, spec)
    if cal is None:
        return None
    day = o.day.astype(np.int64)
    cut = cal.cutoff_of(day)
    tod = o.loc - day * 86400.0
    rolled = tod >= cut
    eday = np.where(rolled, cal.next_open(day), day)
    passed = np.where(rolled & (cut >= 0), local_to_epoch(day * 86400.0 + np.maximum(cut, 0.0), o.tz), np.nan)
    ecut = np.where(rolled, cal.cutoff_of(eday), cut)
    cutoff = np.where(ecut < NO_CUTOFF, local_to_epoch(eday * 86400.0 + np.clip(ecut, 0.0, None), o.tz), np.nan)
    if rolled.any():
        o = replace(o, loc=np.where(rolled, eday * 86400.0, o.loc), day=eday.astype(o.day.dtype), wd=np.where(rolled, (eday + 3) % 7, o.wd),
                    hr=np.where(rolled, 0, o.hr), season=np.where(rolled, season_labels(eday, model.city.seasons), o.season))
    return Taken(o, rolled, passed, cut < 0, cutoff)


def taken_one(model: EtaModel, spec: ServiceSpec, o: Orders) -> Taken | None:
    """Scalar :func:`taken`."""
    cal = open_days(model, spec)
    if cal is None:
        return None
    day = int(o.day)
    cut, nxt = cal.one(day)
    if o.loc - day * 86400.0 < cut:
        return Taken(o, False, math.nan, False, local_to_epoch_one(day * 86400.0 + cut, o.tz) if cut < NO_CUTOFF else math.nan)
    passed = local_to_epoch_one(day * 86400.0 + cut, o.tz) if cut >= 0 else math.nan
    ecut, _ = cal.one(nxt)
    cutoff = local_to_epoch_one(nxt * 86400.0 + ecut, o.tz) if 0 <= ecut < NO_CUTOFF else math.nan
    o2 = replace(o, loc=nxt * 86400.0, day=nxt, wd=(nxt + 3) % 7, hr=0, season=season_label(nxt, model.city.seasons))
    return Taken(o2, True, passed, cut < 0, cutoff)


def fmin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The earlier of two times per order, ignoring NaN (NaN only where both are)."""
    return np.fmin(a, b)


def fmin_one(a: float, b: float) -> float:
    """Scalar :func:`fmin`."""
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def passed_taken(tk: Taken, passed: np.ndarray) -> np.ndarray:
    """The cut-off an order missed: the earlier of the calendar's and the table's; none on a day the service is closed."""
    return np.where(tk.closed, np.nan, np.fmin(tk.passed, passed))


def passed_taken_one(tk: Taken, passed: float) -> float:
    """Scalar :func:`passed_taken`."""
    return math.nan if tk.closed else fmin_one(tk.passed, passed)


def zone_price(spec: ServiceSpec, km: np.ndarray) -> np.ndarray | float:
    """The distance-zone surcharge of each order (0 without zones)."""
    if not spec.zones:
        return 0.0
    lim = np.array([z[0] for z in spec.zones])
    amt = np.array([z[1] for z in spec.zones])
    return amt[np.minimum(np.searchsorted(lim, km, side="left"), lim.shape[0] - 1)]


def zone_price_one(spec: ServiceSpec, km: float) -> float:
    """Scalar :func:`zone_price`."""
    for up_to, amount in spec.zones:
        if km <= up_to:
            return amount
    return spec.zones[-1][1] if spec.zones else 0.0


# ---------------------------------------------------------------------------- booked slots


def slot_start(model: EtaModel, ti: np.ndarray, o: Orders) -> np.ndarray:
    """Start (epoch) of the first slot the order can have.

    With the booking cut-offs a history showed (``City.slot_lead_h``): the
    first slot, on a day the fleet drives, that starts at least its lead
    after the order.  Otherwise once the parcel can be ready: processed (top
    level), loaded and driven at a slow-day speed; the first slot starting
    then or later on a day the fleet drives (one of ``City.slot_times``, else
    the next whole hour within the slot hours).
    """
    if model.city.slot_lead_h:
        return _booked_slot_start(model, o)
    q_proc = model.tables["processing"][ti, o.wd, o.hr, o.db, model.levels.shape[0] - 1]
    ready = local_seconds(o.created + q_proc + LOAD_S + o.km * DETOUR / SLOW_KMH * 3600.0, o.tz)
    day = np.floor(ready / 86400.0)
    starts = _slot_starts(model)
    j = np.searchsorted(starts, ready - day * 86400.0, side="left")
    late = j >= starts.shape[0]
    day = np.where(late, day + 1, day)
    t = np.where(late, starts[0], starts[np.minimum(j, starts.shape[0] - 1)])
    for _ in range(2 + _holiday_days(model.city)):  # skip days the fleet does not drive (a week-long holiday too)
        closed = fleet_idle(model.city, day)
        day = np.where(closed, day + 1, day)
        t = np.where(closed, starts[0], t)
    return local_to_epoch(day * 86400.0 + t, o.tz)


def slot_start_one(model: EtaModel, ti: int, o: Orders) -> float:
    """Scalar :func:`slot_start`."""
    if model.city.slot_lead_h:
        return _booked_slot_start_one(model, o)
    q_proc = float(model.tables["processing"][ti, o.wd, o.hr, o.db, model.levels.shape[0] - 1])
    ready = local_seconds_one(o.created + q_proc + LOAD_S + o.km * DETOUR / SLOW_KMH * 3600.0, o.tz)
    day = math.floor(ready / 86400.0)
    starts = _slot_starts(model)
    j = int(np.searchsorted(starts, ready - day * 86400.0, side="left"))
    if j >= starts.shape[0]:
        day, t = day + 1, float(starts[0])
    else:
        t = float(starts[j])
    for _ in range(2 + _holiday_days(model.city)):
        if _fleet_idle_one(model.city, day):
            day, t = day + 1, float(starts[0])
    return local_to_epoch_one(day * 86400.0 + t, o.tz)


#: Days ahead a booked slot is looked for (past the slot horizon, so that none found reads as "no slot").
_SLOT_DAYS = 4


def _holiday_days(c: Any) -> int:
    """Extra days a slot search looks over when the fleet has closed days (a week-long holiday)."""
    return 10 if c.closed_days else 0


def fleet_idle(c: Any, day: np.ndarray) -> np.ndarray:
    """Whether the own fleet does not drive on each local day number: past its weekdays, or a closed day."""
    idle = (day + 3) % 7 >= c.fleet_weekdays
    return idle | np.isin(day, c.closed_days) if c.closed_days else idle


def _fleet_idle_one(c: Any, day: int) -> bool:
    """Scalar :func:`fleet_idle`."""
    return (day + 3) % 7 >= c.fleet_weekdays or (bool(c.closed_days) and day in c.closed_days)


def _booked_slot_start(model: EtaModel, o: Orders) -> np.ndarray:
    c = model.city
    order = np.argsort(c.slot_times)
    starts = np.asarray(c.slot_times, dtype=np.float64)[order] * 3600.0
    leads = np.asarray(c.slot_lead_h, dtype=np.float64)[order] * 3600.0
    loc = o.loc
    day0 = np.floor(loc / 86400.0)
    best = np.full(np.shape(loc), np.nan)
    for dd in range(_SLOT_DAYS + _holiday_days(c)):
        day = day0 + dd
        closed = fleet_idle(c, day)
        for t, lead in zip(starts, leads):
            cand = day * 86400.0 + t
            best = np.where(np.isnan(best) & ~closed & (cand - loc >= lead), cand, best)
    # None within the days looked at: beyond the slot horizon, so the option says "no slot".
    best = np.where(np.isnan(best), loc + (_SLOT_DAYS + 11) * 86400.0, best)
    return local_to_epoch(best, o.tz)


def _booked_slot_start_one(model: EtaModel, o: Orders) -> float:
    c = model.city
    pairs = sorted(zip(c.slot_times, c.slot_lead_h))
    loc = float(o.loc)
    day0 = math.floor(loc / 86400.0)
    for dd in range(_SLOT_DAYS + _holiday_days(c)):
        day = day0 + dd
        if _fleet_idle_one(c, day):
            continue
        for t, lead in pairs:
            cand = day * 86400.0 + t * 3600.0
            if cand - loc >= lead * 3600.0:
                return local_to_epoch_one(cand, o.tz)
    return local_to_epoch_one(loc + (_SLOT_DAYS + 11) * 86400.0, o.tz)


def _slot_starts(model: EtaModel) -> np.ndarray:
    """Ascending seconds after local midnight at which a slot starts (the last one ending by the slot hours' end)."""
    c = model.city
    if c.slot_times:
        return np.sort(np.asarray(c.slot_times, dtype=np.float64)) * 3600.0
    h0, h1 = c.slot_hours
    # Whole hours whose slot ends by the slot hours' end (a 2-hour slot's last start is 19:00 when vans stop at 21:00).
    last = h1 - math.ceil(c.slot_len_s / 3600.0)
    return np.arange(h0, max(last + 1, h0 + 1), dtype=np.float64) * 3600.0


# ---------------------------------------------------------------------------- cost and reason


def cents(amount: np.ndarray) -> np.ndarray:
    """Prices rounded to the cent (``numpy.round``: half to even on ``amount * 100``)."""
    return np.round(amount, 2)


def cents_one(amount: float) -> float:
    """Scalar :func:`cents` (``round(x, 2)`` rounds the decimal value instead, which can differ)."""
    return round(amount * 100.0) / 100.0


def reason(conditions: Sequence[tuple[R, Any]], n: int) -> np.ndarray:
    """Per order, of the ``(reason, condition)`` pairs that hold, the reason first in :data:`PRECEDENCE` (``R.NONE``: none)."""
    out = np.zeros(n, dtype=np.int64)
    for code, cond in sorted(conditions, key=lambda c: _RANK[c[0]], reverse=True):  # later assignments win
        if cond is not False:
            out = np.where(cond, int(code), out)
    return out


def reason_one(conditions: Sequence[tuple[R, Any]], n: int = 1) -> int:
    """Scalar :func:`reason`."""
    best, rank = 0, len(PRECEDENCE)
    for code, cond in conditions:
        if cond and _RANK[code] < rank:
            best, rank = code, _RANK[code]
    return best


# ---------------------------------------------------------------------------- the two forms


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of one form, as :func:`engine.promise.batch.quote_options` calls them."""

    promise_table: Callable[[EtaModel, float], PromiseTable]
    table_index: Callable[..., Any]
    due_promise: Callable[..., tuple]
    snap_back: Callable[..., Any]
    cutoff: Callable[..., Any]
    passed_cutoff: Callable[..., Any]
    slot_start: Callable[..., Any]
    cents: Callable[[Any], Any]
    reason: Callable[[Sequence[tuple[R, Any]], int], Any]
    taken: Callable[..., Any]
    passed_taken: Callable[..., Any]
    zone_price: Callable[..., Any]
    fmin: Callable[[Any, Any], Any]


#: Over ``(N,)`` arrays.
VECTOR = RuleSet(promise_table, table_index, due_promise, snap_back, cutoff, passed_cutoff, slot_start, cents, reason, taken, passed_taken, zone_price, fmin)
#: For one cart in plain Python numbers.
SCALAR = RuleSet(
    promise_table_one, table_index_one, due_promise_one, snap_back_one, cutoff_one, passed_cutoff_one, slot_start_one,
    cents_one, reason_one, taken_one, passed_taken_one, zone_price_one, fmin_one,
)
