"""The delivery promise: quote options at checkout, re-check a promise later.

``quote`` answers "when will it arrive?" for every delivery option of the
catalogue (same-day and next-day by the own fleet, standard per third-party
carrier, scheduled 1-hour slots, parcel lockers): the earliest time (or slot)
met with probability >= the target (0.95 by default), the p50, the
probability, the price and the cut-off.  An option that cannot be promised
(past the cut-off, plan full, outside the carrier's area, too heavy) stays in
the answer as unavailable with the reason.

The promise covers warehouse processing, hand-over and transit: it is read
from the fitted ``due`` table, one absolute time per hour cell of order time
("ordered Tue 10-11 -> by Wed 17:35"), pooled by cut-off period and
non-decreasing in order time, so a later order never gets an earlier promise
and an option is available up to its cut-off and not after it (see
``engine.eta.fit.fit_due_table``).  The level read per carrier/service comes
from its held-out coverage on whole days (``EtaModel.promise_levels``).  The
hot path is array indexing, never a graph search.  ``quote_arrays`` is the
vectorised batch form; ``quote`` wraps it for one cart.

``check`` re-evaluates an existing promise from the current state (not yet
handed over, handed over at T, on a route with an ETA distribution,
delivered) and returns the probability it is still met with revised p50/p95.
"""

from __future__ import annotations

from engine.errors import QuoteError

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from engine.geo import haversine_km
from engine.eta._time import _hour_offset, epoch_of, from_epoch, local_seconds, local_to_epoch, weekday_hour
from engine.eta.model import DBAND_EDGES_KM, SEASON_SEP, EtaModel, default_model

#: Promised times are rounded up to this many seconds (customers read "by 18:05", not "by 18:03:17").
ROUND_S = 300.0
#: Hours ahead scanned for the moment an option's promise slips a day (the cut-off).
_CUTOFF_SCAN_H = 30
#: Travel time guess for slot booking: road km per great-circle km, and a slow (p95) van speed.
_DETOUR, _SLOW_KMH = 1.35, 20.0
#: How far back (hours) a promise in a no-delivery hour may move.
_SNAP_H = 96

REASONS: tuple[str, ...] = (
    "",
    "destination is outside the map",
    "destination is outside the carrier's delivery area",
    "parcel is too heavy for this option",
    "same-day cut-off passed (cannot promise today at the target probability)",
    "next-day cut-off passed (cannot promise tomorrow at the target probability)",
    "capacity of today's plan is exhausted",
    "no fitted history for this option",
    "slot on-time probability is below the target",
    "no delivery slot in the next two days",
)
R_OK, R_MAP, R_AREA, R_HEAVY, R_SAME, R_NEXT, R_CAP, R_NOHIST, R_SLOTP, R_NOSLOT = range(len(REASONS))


# ---------------------------------------------------------------------------- model


_current: EtaModel | None = None


def current_model() -> EtaModel:
    """The model served: ``$PROMISE_MODEL_DIR`` if set (source ``fitted``), else the shipped default."""
    global _current
    if _current is None:
        from engine.config import get_settings

        d = get_settings().model_dir
        _current = EtaModel.load(Path(d)) if d else default_model()
    return _current


def set_model(model: EtaModel | None) -> None:
    """Serve ``model`` from now on (``None``: back to the environment/default)."""
    global _current
    _current = model


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Item:
    weight_kg: float = 0.0
    quantity: int = 1


@dataclass(slots=True)
class QuoteOptions:
    """What to quote and how sure to be.

    ``only`` restricts the answer to some options: entries are
    ``"carrier:service"``, a carrier or a service name.  ``capacity_left``
    maps an option key (or ``"own"`` for all own-fleet options) to the orders
    today's plan can still take.
    """

    target: float = 0.95
    only: tuple[str, ...] | None = None
    capacity_left: Mapping[str, int] = field(default_factory=dict)
    origin: tuple[float, float] | None = None


@dataclass(slots=True)
class DeliveryOption:
    carrier: str
    service: str
    kind: str
    label: str
    available: bool
    promised_by: datetime | None
    window_start: datetime | None
    p50: datetime | None
    probability: float | None
    cost: float | None
    cutoff: datetime | None
    cutoff_text: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("promised_by", "window_start", "p50", "cutoff"):
            d[k] = d[k].isoformat() if d[k] is not None else None
        return d


@dataclass(slots=True)
class Quote:
    order_id: str
    created_at: datetime
    model: str  # "default" or "fitted"
    model_name: str
    target: float
    options: list[DeliveryOption]

    def to_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "created_at": self.created_at.isoformat(),
            "model": self.model,
            "model_name": self.model_name,
            "target": self.target,
            "options": [o.to_json() for o in self.options],
        }

    def option(self, carrier: str, service: str) -> DeliveryOption:
        for o in self.options:
            if o.carrier == carrier and o.service == service:
                return o
        raise KeyError(f"no option {carrier}:{service} in the quote")


@dataclass(slots=True)
class Promise:
    """A promise made at checkout: delivered by ``promised_by`` with probability ``target``."""

    order_id: str
    carrier: str
    service: str
    created_at: datetime
    promised_by: datetime
    target: float = 0.95
    p50: datetime | None = None
    window_start: datetime | None = None
    dest_lat: float | None = None
    dest_lon: float | None = None

    @classmethod
    def from_option(cls, quote: Quote, option: DeliveryOption, dest: tuple[float, float] | None = None) -> "Promise":
        if not option.available or option.promised_by is None:
            raise QuoteError(f"option {option.carrier}:{option.service} is unavailable: {option.reason}")
        return cls(
            quote.order_id, option.carrier, option.service, quote.created_at, option.promised_by,
            quote.target, option.p50, option.window_start,
            dest[0] if dest else None, dest[1] if dest else None,
        )


@dataclass(slots=True)
class PromiseState:
    """Where the order is now.

    ``status`` is ``pending`` (not handed over), ``handed_over`` (at
    ``handed_over_at``), ``on_route`` (a van's ETA for the stop: ``eta_p50``
    and ``eta_p95``, or Monte Carlo ``eta_samples`` as datetimes/epoch
    seconds) or ``delivered`` (at ``delivered_at``).
    """

    status: str = "pending"
    handed_over_at: datetime | None = None
    delivered_at: datetime | None = None
    eta_p50: datetime | None = None
    eta_p95: datetime | None = None
    eta_samples: Sequence[float] | None = None


@dataclass(slots=True)
class CheckResult:
    order_id: str
    probability: float
    holds: bool
    p50: datetime | None
    p95: datetime | None
    status: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["p50"] = self.p50.isoformat() if self.p50 else None
        d["p95"] = self.p95.isoformat() if self.p95 else None
        return d


# ---------------------------------------------------------------------------- batch quote


@dataclass(slots=True)
class BatchQuote:
    """Quotes for ``N`` orders x ``K`` options as arrays (epoch seconds, NaN = none)."""

    keys: list[str]
    available: np.ndarray  # (N, K) bool
    reason: np.ndarray  # (N, K) int index into REASONS
    promised: np.ndarray
    window_start: np.ndarray
    p50: np.ndarray
    probability: np.ndarray
    cost: np.ndarray
    cutoff: np.ndarray
    km: np.ndarray  # (N,)
    #: ``(N, K)`` for same-day/next-day options past their cut-off: today's
    #: cut-off that passed (epoch seconds; NaN when there was none today).
    cutoff_passed: np.ndarray | None = None


def _resolve_keys(model: EtaModel, only: Iterable[str] | None) -> list[str]:
    keys = [s.key for s in model.city.services]
    if only is None:
        return keys
    wanted = [w.strip() for w in only if w and w.strip()]
    out = [k for k in keys if any(w == k or w == k.split(":")[0] or w == k.split(":")[1] for w in wanted)]
    if not out:
        raise QuoteError(f"no delivery option matches {', '.join(wanted)!s}; known: {', '.join(keys)}")
    return out


def _local_day(model: EtaModel, epoch: np.ndarray) -> np.ndarray:
    return np.floor(local_seconds(epoch, model.tz) / 86400.0)


def _promise_table(model: EtaModel, target: float) -> tuple[np.ndarray, np.ndarray]:
    """Level index per table key and the ``(keys, 7, 24, bands)`` due table at those levels (cached per target)."""
    lv = model.promise_levels(target)
    key = ("qt", target)
    qt = model._levels_cache.get(key)
    if qt is None:
        due = model.tables["due"]
        qt = np.ascontiguousarray(due[np.arange(due.shape[0]), :, :, :, lv])
        model._levels_cache[key] = qt
    return lv, qt


def _due_local(qt: np.ndarray, ti: np.ndarray, hloc: np.ndarray, db: np.ndarray) -> np.ndarray:
    """Promised local time (rounded up to ``ROUND_S``) of orders created in local hour number ``hloc``.

    ``qt`` is the ``(keys, 7, 24, bands)`` due table at each key's promise
    level; one value per hour cell, so every order of an hour gets the same promise.
    """
    day = np.floor(hloc / 24.0).astype(np.int64)
    wd = (day + 3) % 7
    hr = (hloc - day * 24).astype(np.int64)
    return np.ceil((day * 86400.0 + qt[ti, wd, hr, db]) / ROUND_S) * ROUND_S


def _cutoffs(
    model: EtaModel, qt: np.ndarray, ti: np.ndarray, created: np.ndarray, loc: np.ndarray, db: np.ndarray,
    deadline_loc: np.ndarray,
) -> np.ndarray:
    """Latest creation time from now whose promise still meets ``deadline_loc`` (local seconds; NaN: none within the scan).

    Promises are constant within an hour and non-decreasing in order time, so
    the cut-off is the start of the first later hour whose promise is past the deadline.
    """
    hour0 = np.floor(loc / 3600.0)
    j = np.arange(1, _CUTOFF_SCAN_H)
    hloc = hour0[:, None] + j[None, :]
    hit = _due_local(qt, ti[:, None], hloc, db[:, None]) > deadline_loc[:, None]
    first = np.argmax(hit, axis=1)
    rows = np.arange(created.shape[0])
    cut = local_to_epoch(hloc[rows, first] * 3600.0, model.tz)
    return np.where(hit.any(axis=1) & (cut > created), cut, np.nan)


def _passed_cutoff(
    model: EtaModel, qt: np.ndarray, ti: np.ndarray, loc: np.ndarray, db: np.ndarray, days_ahead: int
) -> np.ndarray:
    """Today's cut-off for an option promising within ``days_ahead`` days, when it has passed.

    The end of the last hour of today, before the current one, whose promise
    still fell within its deadline (epoch seconds); NaN when no hour of today
    could have had it (e.g. no next-day delivery for Saturday orders).
    """
    day = np.floor(loc / 86400.0)
    hcur = np.floor(loc / 3600.0) - day * 24
    hloc = day[:, None] * 24 + np.arange(24)[None, :]
    ok = (_due_local(qt, ti[:, None], hloc, db[:, None]) <= ((day + 1 + days_ahead) * 86400.0)[:, None])
    ok &= np.arange(24)[None, :] < hcur[:, None]
    last = 23 - np.argmax(ok[:, ::-1], axis=1)
    end = local_to_epoch((day * 24 + last + 1) * 3600.0, model.tz)
    return np.where(ok.any(axis=1), end, np.nan)


def _snap_back(model: EtaModel, ti: np.ndarray, pr: np.ndarray, floor_: np.ndarray) -> np.ndarray:
    """Move promises that fall in hours the carrier never delivers back to the end of its last delivering hour.

    Nothing is delivered in between, so the probability is unchanged; never
    earlier than ``floor_`` (the p50) nor more than ``_SNAP_H`` hours back.
    """
    if model.delivers is None:
        return pr
    loc = local_seconds(pr, model.tz)
    h0 = np.floor(loc / 3600.0).astype(np.int64)
    out = pr.copy()
    todo = ~model.delivers[ti, (np.floor(h0 / 24.0).astype(np.int64) + 3) % 7, h0 - np.floor(h0 / 24.0).astype(np.int64) * 24]
    for j in range(1, _SNAP_H + 1):
        if not todo.any():
            break
        h = h0 - j
        day = np.floor(h / 24.0).astype(np.int64)
        hit = todo & model.delivers[ti, (day + 3) % 7, h - day * 24]
        if hit.any():
            cand = local_to_epoch((h[hit] + 1) * 3600.0, model.tz)
            out[hit] = np.where(cand >= floor_[hit], np.minimum(cand, pr[hit]), pr[hit])
            todo &= ~hit
    return out


def quote_arrays(
    model: EtaModel,
    dest_lat: np.ndarray,
    dest_lon: np.ndarray,
    created: np.ndarray,
    weight_kg: np.ndarray,
    origin_lat: np.ndarray | None = None,
    origin_lon: np.ndarray | None = None,
    target: float = 0.95,
    keys: Sequence[str] | None = None,
    capacity_left: Mapping[str, int] | None = None,
) -> BatchQuote:
    """Vectorised quotes for many orders.

    Parameters
    ----------
    model
        The fitted model.
    dest_lat, dest_lon, created, weight_kg
        ``(N,)`` destination, creation time (epoch seconds) and cart weight.
    origin_lat, origin_lon
        ``(N,)`` where the goods leave from; the model's depot when ``None``.
    target
        Probability the promise must be met with.
    keys
        Options to quote (``carrier:service``); all in the catalogue when ``None``.
    capacity_left
        Orders today's plan can still take per option key (or ``"own"``).
    """
    dest_lat = np.asarray(dest_lat, dtype=np.float64)
    dest_lon = np.asarray(dest_lon, dtype=np.float64)
    created = np.asarray(created, dtype=np.float64)
    weight_kg = np.asarray(weight_kg, dtype=np.float64)
    n = dest_lat.shape[0]
    for name, a in (("dest_lon", dest_lon), ("created", created), ("weight_kg", weight_kg)):
        if a.shape != (n,):
            raise QuoteError(f"{name} has shape {a.shape}, expected ({n},)")
    if not (np.isfinite(dest_lat).all() and np.isfinite(dest_lon).all()):
        raise QuoteError("dest_lat/dest_lon must be finite numbers")
    if not np.isfinite(created).all():
        raise QuoteError("created must be finite epoch seconds")
    if not (np.isfinite(weight_kg).all() and (weight_kg >= 0).all()):
        raise QuoteError("weight_kg must be finite and >= 0")
    lv, qt = _promise_table(model, target)
    l50 = model.level_index(0.5)
    l99 = model.levels.shape[0] - 1
    keys = list(keys) if keys is not None else [s.key for s in model.city.services]
    cap = dict(capacity_left or {})
    K = len(keys)
    km = model.distance_km(dest_lat, dest_lon, origin_lat, origin_lon)
    db = model.dband(km)
    wd, hr, _ = weekday_hour(created, model.tz)
    la0, lo0, la1, lo1 = model.city.bbox
    on_map = (dest_lat >= la0) & (dest_lat <= la1) & (dest_lon >= lo0) & (dest_lon <= lo1)
    shape = (n, K)
    available = np.zeros(shape, dtype=bool)
    reason = np.zeros(shape, dtype=np.int64)
    promised = np.full(shape, np.nan)
    wstart = np.full(shape, np.nan)
    p50 = np.full(shape, np.nan)
    prob = np.full(shape, np.nan)
    cost = np.full(shape, np.nan)
    cutoff = np.full(shape, np.nan)
    passed = np.full(shape, np.nan)
    loc_created = local_seconds(created, model.tz)
    created_day = np.floor(loc_created / 86400.0)
    seasons = model.seasons_of(created)
    for k, key in enumerate(keys):
        spec = model.spec(key)
        cost[:, k] = np.round(spec.base_cost + spec.cost_per_kg * weight_kg + spec.cost_per_km * km, 2)
        r = np.zeros(n, dtype=np.int64)
        if spec.kind == "slot":
            own = [x for x in model.base_keys if x.startswith(spec.carrier + ":")]
            table_key = (spec.carrier + ":next_day") if (spec.carrier + ":next_day") in own else (own[0] if own else None)
        else:
            table_key = key if key in model.keys else None
        if table_key is None:
            r[:] = R_NOHIST
        else:
            ti = model.table_index(table_key, created, seasons)
            if spec.kind == "slot":
                # Ready when processed (p99), loaded (30 min) and driven at a slow-day speed.
                q_proc = model.tables["processing"][ti, wd, hr, db, l99]
                ready = created + q_proc + 1800.0 + km * _DETOUR / _SLOW_KMH * 3600.0
                s_loc = np.ceil(local_seconds(ready, model.tz) / 3600.0) * 3600.0
                day = np.floor(s_loc / 86400.0)
                h = (s_loc - day * 86400.0) / 3600.0
                h0, h1 = model.city.slot_hours
                day = np.where(h > h1 - 1, day + 1, day)
                h = np.where(h > h1 - 1, h0, np.maximum(h, h0))
                for _ in range(2):  # skip days the fleet does not drive
                    closed = (day + 3) % 7 >= model.city.fleet_weekdays
                    day = np.where(closed, day + 1, day)
                    h = np.where(closed, h0, h)
                start_ep = local_to_epoch(day * 86400.0 + h * 3600.0, model.tz)
                wstart[:, k] = start_ep
                promised[:, k] = start_ep + 3600.0
                p50[:, k] = start_ep + 1800.0
                prob[:, k] = round(model.slot_on_time * model.levels[l99], 4)
                r[(start_ep - created) > 2 * 86400.0 + 3600.0] = R_NOSLOT
                if prob[0, k] < target:
                    r[:] = R_SLOTP
            else:
                dq = model.tables["due"][ti, wd, hr, db].astype(np.float64)  # (n, L), from the creation day's midnight
                day0 = created_day * 86400.0
                pl = np.ceil((day0 + qt[ti, wd, hr, db].astype(np.float64)) / ROUND_S) * ROUND_S
                pl = np.maximum(pl, np.ceil(loc_created / ROUND_S) * ROUND_S)
                pr = local_to_epoch(pl, model.tz)
                p50[:, k] = np.minimum(np.maximum(local_to_epoch(day0 + dq[:, l50], model.tz), created), pr)
                covered = (dq <= (pl - day0)[:, None]).sum(axis=1)
                prob[:, k] = np.where(covered > 0, model.levels[np.maximum(covered - 1, 0)], 0.0)
                pday = np.floor(pl / 86400.0)
                promised[:, k] = _snap_back(model, ti, pr, p50[:, k])
                if spec.kind in ("same_day", "next_day"):
                    ahead = 0 if spec.kind == "same_day" else 1
                    late = pday > created_day + ahead
                    r[late] = R_SAME if ahead == 0 else R_NEXT
                    deadline = (created_day + 1 + ahead) * 86400.0
                    if late.any():
                        passed[late, k] = _passed_cutoff(model, qt, ti[late], loc_created[late], db[late], ahead)
                else:
                    deadline = (pday + 1) * 86400.0
                cutoff[:, k] = _cutoffs(model, qt, ti, created, loc_created, db, deadline)
        r[(weight_kg > spec.max_kg) & (r == 0)] = R_HEAVY
        r[(km > spec.max_km) & (r == 0)] = R_AREA
        left = cap.get(key, cap.get(spec.carrier))
        if left is not None and left <= 0:
            r[r == 0] = R_CAP
        r[~on_map] = R_MAP
        reason[:, k] = r
        available[:, k] = r == 0
    return BatchQuote(keys, available, reason, promised, wstart, p50, prob, cost, cutoff, km, passed)


# ---------------------------------------------------------------------------- one cart, scalar


def _offset(model: EtaModel, t: float) -> int:
    return _hour_offset(model.tz, math.floor(t / 3600.0))


def _to_epoch(model: EtaModel, local: float) -> float:
    # Same two-pass inversion as engine.eta._time.local_to_epoch.
    guess = local - _offset(model, local)
    return local - _offset(model, guess)


def _season_of(model: EtaModel, day: int) -> str:
    d = date(1970, 1, 1) + timedelta(days=day)
    md = d.month * 100 + d.day
    for name, ranges in model.city.seasons:
        for m0, d0, m1, d1 in ranges:
            a, b = m0 * 100 + d0, m1 * 100 + d1
            if (a <= md <= b) if a <= b else (md >= a or md <= b):
                return name
    return ""


def _snap_back_one(model: EtaModel, ti: int, pr: float, floor_: float) -> float:
    """Scalar :func:`_snap_back`."""
    if model.delivers is None:
        return pr
    dl = model.delivers[ti]
    h0 = math.floor((pr + _offset(model, pr)) / 3600.0)
    d0 = math.floor(h0 / 24.0)
    if dl[(d0 + 3) % 7, h0 - d0 * 24]:
        return pr
    for j in range(1, _SNAP_H + 1):
        h = h0 - j
        day = math.floor(h / 24.0)
        if dl[(day + 3) % 7, h - day * 24]:
            cand = _to_epoch(model, (h + 1) * 3600.0)
            return min(cand, pr) if cand >= floor_ else pr
    return pr


def _due_one(qt: list[float], hl: int) -> float:
    """Scalar :func:`_due_local` for one flat ``7 * 24`` list ``qt`` and local hour number ``hl``."""
    d = hl // 24
    return math.ceil((d * 86400.0 + qt[((d + 3) % 7) * 24 + hl - d * 24]) / ROUND_S) * ROUND_S


def _promise_lists(model: EtaModel, target: float) -> list[list[list[float]]]:
    """:func:`_promise_table` as Python lists ``[key][band] -> 168 floats`` (cached): the checkout path indexes them per hour."""
    key = ("qtl", target)
    hit = model._levels_cache.get(key)
    if hit is None:
        _, qt = _promise_table(model, target)
        hit = model._levels_cache[key] = [[qt[i, :, :, b].ravel().astype(float).tolist() for b in range(qt.shape[3])] for i in range(qt.shape[0])]
    return hit


def _quote_one(
    model: EtaModel, lat: float, lon: float, created: float, weight: float,
    origin: tuple[float, float] | None, target: float, keys: Sequence[str], cap: Mapping[str, int],
) -> BatchQuote:
    """``quote_arrays`` for a single order in plain Python floats.

    Checkout quotes one cart per request, where numpy's per-call overhead on
    1-element arrays costs more than the arithmetic; this mirrors
    ``quote_arrays`` step by step (``tests/test_promise.py`` checks they agree).
    """
    qt_lists = _promise_lists(model, target)
    l50 = model.level_index(0.5)
    l99 = model.levels.shape[0] - 1
    levels = model.levels
    olat, olon = origin if origin is not None else model.city.depot
    km = float(haversine_km(olat, olon, lat, lon))
    db = int(np.searchsorted(DBAND_EDGES_KM, km, side="right"))
    off = _offset(model, created)
    loc = created + off
    cday = math.floor(loc / 86400.0)
    wd = (cday + 3) % 7
    hr = min(max(int((loc - cday * 86400.0) // 3600.0), 0), 23)
    season = _season_of(model, cday)
    la0, lo0, la1, lo1 = model.city.bbox
    on_map = la0 <= lat <= la1 and lo0 <= lon <= lo1
    K = len(keys)
    available = np.zeros((1, K), dtype=bool)
    reason = np.zeros((1, K), dtype=np.int64)
    promised, wstart, p50, prob, cost, cutoff, passed = (np.full((1, K), np.nan) for _ in range(7))
    due_t = model.tables["due"]
    for k, key in enumerate(keys):
        spec = model.spec(key)
        cost[0, k] = round(spec.base_cost + spec.cost_per_kg * weight + spec.cost_per_km * km, 2)
        r = R_OK
        if spec.kind == "slot":
            own = [x for x in model.base_keys if x.startswith(spec.carrier + ":")]
            table_key = (spec.carrier + ":next_day") if (spec.carrier + ":next_day") in own else (own[0] if own else None)
        else:
            table_key = key if key in model.keys else None
        if table_key is None:
            r = R_NOHIST
        else:
            sk = table_key + SEASON_SEP + season
            ti = model.keys.index(sk) if season and sk in model.keys else model.keys.index(table_key)
            if spec.kind == "slot":
                q_proc = float(model.tables["processing"][ti, wd, hr, db, l99])
                ready = created + q_proc + 1800.0 + km * _DETOUR / _SLOW_KMH * 3600.0
                s_loc = math.ceil((ready + _offset(model, ready)) / 3600.0) * 3600.0
                day = math.floor(s_loc / 86400.0)
                h = (s_loc - day * 86400.0) / 3600.0
                h0, h1 = model.city.slot_hours
                if h > h1 - 1:
                    day, h = day + 1, h0
                else:
                    h = max(h, h0)
                for _ in range(2):
                    if (day + 3) % 7 >= model.city.fleet_weekdays:
                        day, h = day + 1, h0
                start_ep = _to_epoch(model, day * 86400.0 + h * 3600.0)
                wstart[0, k] = start_ep
                promised[0, k] = start_ep + 3600.0
                p50[0, k] = start_ep + 1800.0
                prob[0, k] = round(model.slot_on_time * levels[l99], 4)
                if start_ep - created > 2 * 86400.0 + 3600.0:
                    r = R_NOSLOT
                if prob[0, k] < target:
                    r = R_SLOTP
            else:
                qt = qt_lists[ti][db]
                dq = due_t[ti, wd, hr, db]
                day0 = cday * 86400.0
                pl = max(math.ceil((day0 + qt[wd * 24 + hr]) / ROUND_S) * ROUND_S, math.ceil(loc / ROUND_S) * ROUND_S)
                pr = _to_epoch(model, pl)
                p50[0, k] = min(max(_to_epoch(model, day0 + float(dq[l50])), created), pr)
                promised[0, k] = _snap_back_one(model, ti, pr, float(p50[0, k]))
                covered = int(np.count_nonzero(dq <= (pl - day0)))
                prob[0, k] = levels[covered - 1] if covered > 0 else 0.0
                pday = math.floor(pl / 86400.0)
                if spec.kind in ("same_day", "next_day"):
                    ahead = 0 if spec.kind == "same_day" else 1
                    deadline = (cday + 1 + ahead) * 86400.0
                    if pday > cday + ahead:
                        r = R_SAME if ahead == 0 else R_NEXT
                        # The same as _passed_cutoff: end of the last earlier hour of today that made it.
                        hcur = math.floor(loc / 3600.0) - cday * 24
                        for h in range(hcur - 1, -1, -1):
                            if _due_one(qt, cday * 24 + h) <= deadline:
                                passed[0, k] = _to_epoch(model, (cday * 24 + h + 1) * 3600.0)
                                break
                else:
                    deadline = (pday + 1) * 86400.0
                # The same scan as _cutoffs, stopping at the first hour that crosses.
                hour0 = math.floor(loc / 3600.0)
                cut = math.nan
                for j in range(1, _CUTOFF_SCAN_H):
                    if _due_one(qt, hour0 + j) > deadline:
                        c = _to_epoch(model, (hour0 + j) * 3600.0)
                        cut = c if c > created else math.nan
                        break
                cutoff[0, k] = cut
        if r == R_OK and weight > spec.max_kg:
            r = R_HEAVY
        if r == R_OK and km > spec.max_km:
            r = R_AREA
        left = cap.get(key, cap.get(spec.carrier))
        if r == R_OK and left is not None and left <= 0:
            r = R_CAP
        if not on_map:
            r = R_MAP
        reason[0, k] = r
        available[0, k] = r == R_OK
    return BatchQuote(list(keys), available, reason, promised, wstart, p50, prob, cost, cutoff, np.array([km]), passed)


# ---------------------------------------------------------------------------- one cart


def _fmt_duration(seconds: float) -> str:
    m = max(int(seconds // 60), 0)
    h, m = divmod(m, 60)
    if h and m:
        return f"{h} h {m} min"
    return f"{h} h" if h else f"{m} min"


def _weight(items: Iterable[Item | Mapping[str, Any] | float]) -> float:
    total = 0.0
    for i, it in enumerate(items):
        if isinstance(it, Item):
            w, qn = it.weight_kg, it.quantity
        elif isinstance(it, Mapping):
            w, qn = float(it.get("weight_kg", 0.0)), int(it.get("quantity", 1))
        else:
            w, qn = float(it), 1
        if not (math.isfinite(w) and w >= 0) or qn < 1:
            raise QuoteError(f"items[{i}]: weight_kg must be >= 0 and quantity >= 1")
        total += w * qn
    return total


def quote(
    destination: tuple[float, float],
    order_time: datetime,
    items: Iterable[Item | Mapping[str, Any] | float] = (),
    options: QuoteOptions | None = None,
    *,
    model: EtaModel | None = None,
    order_id: str = "",
) -> Quote:
    """Quote every delivery option for one cart.

    Parameters
    ----------
    destination
        ``(lat, lon)`` of the delivery address.
    order_time
        When the order is (or would be) created; timezone-aware.
    items
        ``Item``s, mappings with ``weight_kg``/``quantity``, or plain weights.
    options
        Target probability, option filter, plan capacity, origin.

    Returns
    -------
    Quote
        One :class:`DeliveryOption` per catalogue option, unavailable ones with a reason.
    """
    opts = options or QuoteOptions()
    m = model or current_model()
    lat, lon = float(destination[0]), float(destination[1])
    if not (math.isfinite(lat) and -90 <= lat <= 90 and math.isfinite(lon) and -180 <= lon <= 180):
        raise QuoteError(f"destination ({lat}, {lon}) is not a valid coordinate")
    try:
        created = epoch_of(order_time)
    except ValueError as exc:
        raise QuoteError(f"order_time: {exc}") from None
    if not (0 < opts.target < 1):
        raise QuoteError(f"target {opts.target} must be between 0 and 1")
    w = _weight(items)
    keys = _resolve_keys(m, opts.only)
    b = _quote_one(m, lat, lon, created, w, opts.origin, opts.target, keys, dict(opts.capacity_left))
    tz = m.tz
    created_dt = from_epoch(created, tz)
    return Quote(order_id, created_dt, m.source, m.name, opts.target, options_from_batch(m, b, 0, created))


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def reason_text(model: EtaModel, b: BatchQuote, i: int, k: int, created: float) -> str:
    """Why option ``k`` of row ``i`` is unavailable, with the figures that decide it (the real cut-off time)."""
    code = int(b.reason[i, k])
    spec = model.spec(b.keys[k])
    text = REASONS[code]
    if code == R_AREA:
        return text + f" ({b.km[i]:.0f} km > {spec.max_km:.0f} km)"
    if code == R_HEAVY:
        return text + f" (max {spec.max_kg:g} kg)"
    if code == R_SLOTP:
        return text + f" ({b.probability[i, k]:.3f})"
    if code in (R_SAME, R_NEXT):
        word = "same-day" if code == R_SAME else "next-day"
        cut = b.cutoff_passed[i, k] if b.cutoff_passed is not None else math.nan
        if math.isfinite(cut):
            return text.replace("cut-off passed", f"cut-off {from_epoch(float(cut), model.tz):%H:%M} passed")
        day = _WEEKDAYS[from_epoch(created, model.tz).weekday()]
        return f"no {word} delivery for orders placed on a {day} (cannot promise it at the target probability)"
    return text


def options_from_batch(model: EtaModel, b: BatchQuote, i: int, created: float) -> list[DeliveryOption]:
    """The ``DeliveryOption`` records of row ``i`` of a batch quote."""
    tz = model.tz
    out = []

    def dt(x: float) -> datetime | None:
        return from_epoch(float(x), tz) if math.isfinite(x) else None

    for k, key in enumerate(b.keys):
        spec = model.spec(key)
        ok = bool(b.available[i, k])
        reason = None if ok else reason_text(model, b, i, k, created)
        cut = b.cutoff[i, k]
        cut_text = None
        if ok and math.isfinite(cut):
            pdt = dt(b.promised[i, k])
            day = pdt.date().isoformat() if pdt else ""
            cut_text = f"order within {_fmt_duration(cut - created)} for {spec.label or key} by {day}"
        prob = b.probability[i, k]
        out.append(
            DeliveryOption(
                carrier=spec.carrier,
                service=spec.service,
                kind=spec.kind,
                label=spec.label,
                available=ok,
                promised_by=dt(b.promised[i, k]) if ok else None,
                window_start=dt(b.window_start[i, k]) if ok else None,
                p50=dt(b.p50[i, k]) if ok else None,
                probability=float(prob) if ok and math.isfinite(prob) else None,
                cost=float(b.cost[i, k]) if math.isfinite(b.cost[i, k]) else None,
                cutoff=dt(cut) if ok else None,
                cutoff_text=cut_text,
                reason=reason,
            )
        )
    return out


# ---------------------------------------------------------------------------- check


def _cdf(qrow: np.ndarray, levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """CDF read off a quantile row; linear between stored levels, to 1 at 1.5x the top one."""
    qs = np.concatenate([[0.0], qrow.astype(np.float64), [max(float(qrow[-1]) * 1.5, float(qrow[-1]) + 3600.0)]])
    ls = np.concatenate([[0.0], levels, [1.0]])
    qs = np.maximum.accumulate(qs + np.arange(qs.shape[0]) * 1e-6)
    return np.interp(x, qs, ls)


def _mixture_quantiles(times: np.ndarray, weights_cdf: np.ndarray, probs: Sequence[float]) -> list[float]:
    return [float(np.interp(p, weights_cdf, times)) for p in probs]


def check(promise: Promise, now: datetime, state: PromiseState | None = None, *, model: EtaModel | None = None) -> CheckResult:
    """Probability that ``promise`` is still met, given what is known at ``now``.

    Returns the probability, whether it still meets the promise's target, the
    revised p50/p95 delivery times and a reason a person can read.
    """
    m = model or current_model()
    st = state or PromiseState()
    tz = m.tz
    try:
        t_now = epoch_of(now)
        t_created = epoch_of(promise.created_at)
        t_prom = epoch_of(promise.promised_by)
    except ValueError as exc:
        raise QuoteError(str(exc)) from None
    if t_prom < t_created:
        raise QuoteError("promise.promised_by is before promise.created_at")
    key = f"{promise.carrier}:{promise.service}"
    status = st.status
    target = promise.target

    def result(p: float, p50: float | None, p95: float | None, why: str) -> CheckResult:
        p = float(min(max(p, 0.0), 1.0))
        holds = p >= target
        lead = "still holds" if holds else "at risk"
        return CheckResult(
            promise.order_id, round(p, 4), holds,
            from_epoch(p50, tz) if p50 is not None else None,
            from_epoch(p95, tz) if p95 is not None else None,
            status, f"{lead}: {why}; P(on time)={p:.2f} (target {target:.2f})",
        )

    if status == "delivered":
        if st.delivered_at is None:
            raise QuoteError("state.delivered_at is required when status is 'delivered'")
        td = epoch_of(st.delivered_at)
        ok = td <= t_prom
        return result(1.0 if ok else 0.0, td, td, "delivered " + ("on time" if ok else "late"))
    if status == "on_route":
        if st.eta_samples is not None and len(st.eta_samples) > 0:
            s = np.array([epoch_of(x) if isinstance(x, datetime) else float(x) for x in st.eta_samples])
            s = np.maximum(s, t_now)
            return result(float((s <= t_prom).mean()), float(np.quantile(s, 0.5)), float(np.quantile(s, 0.95)), f"on route, {s.shape[0]} ETA samples")
        if st.eta_p50 is None or st.eta_p95 is None:
            raise QuoteError("state.eta_p50 and state.eta_p95 (or eta_samples) are required when status is 'on_route'")
        a50, a95 = max(epoch_of(st.eta_p50) - t_now, 1.0), max(epoch_of(st.eta_p95) - t_now, 1.0)
        if a95 < a50:
            raise QuoteError("state.eta_p95 is before state.eta_p50")
        # Log-normal remaining time through the two given quantiles.
        sig = max(math.log(a95 / a50) / 1.6449, 1e-6)
        left = t_prom - t_now
        p = 0.0 if left <= 0 else 0.5 * math.erfc(-(math.log(left / a50) / sig) / math.sqrt(2))
        return result(p, t_now + a50, t_now + a95, "on route")
    if key not in m.base_keys:
        if promise.carrier == "own" and promise.window_start is not None:
            key = next((k for k in m.base_keys if k.startswith("own:")), key)
        if key not in m.base_keys:
            raise QuoteError(f"promise: no fitted history for {promise.carrier}:{promise.service}")
    ti = int(m.table_index(key, np.array([t_created]))[0])
    km = 0.0
    if promise.dest_lat is not None and promise.dest_lon is not None:
        km = float(m.distance_km(np.array([promise.dest_lat]), np.array([promise.dest_lon]))[0])
    db = int(m.dband(np.array([km]))[0])
    levels = m.levels
    if status == "handed_over":
        if st.handed_over_at is None:
            raise QuoteError("state.handed_over_at is required when status is 'handed_over'")
        th = epoch_of(st.handed_over_at)
        if th < t_created:
            raise QuoteError("state.handed_over_at is before promise.created_at")
        wd, hr, _ = weekday_hour(np.array([th]), tz)
        row = m.tables["transit"][ti, wd[0], hr[0], db]
        f_now = float(_cdf(row, levels, np.array([t_now - th]))[0])
        f_prom = float(_cdf(row, levels, np.array([t_prom - th]))[0])
        denom = max(1.0 - f_now, 1e-9)
        p = (f_prom - f_now) / denom if t_prom > t_now else 0.0
        u = f_now + np.array([0.5, 0.95]) * denom
        qs = np.concatenate([[0.0], row.astype(np.float64)])
        ls = np.concatenate([[0.0], levels])
        rev = np.interp(np.minimum(u, levels[-1]), ls, qs) + th
        rev = np.maximum(rev, t_now)
        return result(p, float(rev[0]), float(rev[1]), f"handed over {_fmt_duration(t_now - th)} ago")
    if status != "pending":
        raise QuoteError(f"state.status {status!r} is not one of pending, handed_over, on_route, delivered")
    # Not handed over yet: remaining processing (conditional on not done by now), then transit.
    wd, hr, _ = weekday_hour(np.array([t_created]), tz)
    prow = m.tables["processing"][ti, wd[0], hr[0], db]
    trans = m.tables["transit"]

    def pending(at: float) -> tuple[float, float, float]:
        elapsed = max(at - t_created, 0.0)
        f_e = float(_cdf(prow, levels, np.array([elapsed]))[0])
        M = 24
        u = f_e + (np.arange(M) + 0.5) / M * (1.0 - f_e)
        pq = np.concatenate([[0.0], prow.astype(np.float64), [float(prow[-1]) * 1.5 + 3600.0]])
        pl = np.concatenate([[0.0], levels, [1.0]])
        hand = np.maximum(t_created + np.interp(u, pl, pq), at)
        hwd, hhr, _ = weekday_hour(hand, tz)
        trows = trans[ti, hwd, hhr, db]  # (M, L)
        grid = np.unique(np.concatenate([(hand[:, None] + trows).ravel(), [t_prom]]))
        cdf = np.maximum.accumulate(np.mean([_cdf(trows[j], levels, grid - hand[j]) for j in range(M)], axis=0))
        p_ = float(np.interp(t_prom, grid, cdf))
        q50, q95 = _mixture_quantiles(grid, cdf, (0.5, 0.95))
        return p_, max(q50, at), max(q95, at)

    if promise.window_start is not None and promise.carrier == "own":
        # A booked slot: on time if the parcel is ready for the van (processing,
        # loading and a slow drive before the slot opens) and the van then keeps its slot.
        ws = epoch_of(promise.window_start)
        drive = km * _DETOUR / _SLOW_KMH * 3600.0 + 1800.0
        f_e = float(_cdf(prow, levels, np.array([max(t_now - t_created, 0.0)]))[0])
        f_r = float(_cdf(prow, levels, np.array([ws - drive - t_created]))[0])
        p_ready = 0.0 if ws - drive <= t_now else (f_r - f_e) / max(1.0 - f_e, 1e-9)
        p = max(p_ready, 0.0) * m.slot_on_time
        return result(p, ws + 1800.0, t_prom, "slot booked, not handed over yet")
    p, p50, p95 = pending(t_now)
    # Delivery time never gets earlier when hand-over does not happen, so the
    # probability cannot rise as time passes: take the minimum over earlier
    # moments (smooths the jitter of the empirical hour cells).
    if t_now > t_created:
        for t in np.linspace(t_created, t_now, 8)[1:-1]:
            p = min(p, pending(float(t))[0])
    # The two-stage estimate and the lead table the promise was made from are
    # fitted separately; scale so that at creation time both agree (and the
    # probability then only moves with what has been learned since).
    lwd, lhr, _ = weekday_hour(np.array([t_created]), tz)
    p_lead = float(_cdf(m.tables["lead"][ti, lwd[0], lhr[0], db], levels, np.array([t_prom - t_created]))[0])
    p0 = pending(t_created)[0]
    if p0 > 0:
        p = p * min(p_lead / p0, 1.0 / max(p0, 1e-9))
    elapsed = max(t_now - t_created, 0.0)
    return result(p, p50, p95, f"not handed over yet, {_fmt_duration(elapsed)} after the order")


# ---------------------------------------------------------------------------- batch from a table


def _iso_strings(model: EtaModel, a: np.ndarray) -> np.ndarray:
    """ISO-8601 local strings of epoch seconds ``a`` (object array, None where NaN).

    Promises are rounded to 5 minutes, cut-offs fall on the hour and p50s are
    one per hour cell and day, so a batch has few distinct values: format
    each once and index.
    """
    from engine.eta._time import to_iso  # noqa: PLC0415

    out = np.full(a.shape, None, dtype=object)
    ok = np.isfinite(a)
    if ok.any():
        uniq, inv = np.unique(a[ok], return_inverse=True)
        out[ok] = to_iso(uniq, model.tz).astype(object)[inv]
    return out


def _iso_json(model: EtaModel, a: np.ndarray) -> np.ndarray:
    """JSON text of :func:`_iso_strings`: the quoted string (ISO needs no escaping), ``null`` where NaN."""
    from engine.eta._time import to_iso  # noqa: PLC0415

    out = np.full(a.shape, "null", dtype=object)
    ok = np.isfinite(a)
    if ok.any():
        uniq, inv = np.unique(a[ok], return_inverse=True)
        out[ok] = np.char.add(np.char.add('"', to_iso(uniq, model.tz)), '"').astype(object)[inv]
    return out


def _iso_or_none(model: EtaModel, a: np.ndarray) -> list[str | None]:
    return _iso_strings(model, a).tolist()


def _table_batches(model: EtaModel, rows: Any, target: float):
    """Parse and validate a table of orders, then quote it: ``(oid, created, errors, batches)``.

    ``errors`` maps a row index to its message; ``batches`` lists
    ``(row indices, option keys, BatchQuote)`` per distinct option filter.
    """
    import pandas as pd  # noqa: PLC0415

    from engine.eta._time import MAX_EPOCH, MIN_EPOCH  # noqa: PLC0415

    need = ("order_id", "dest_lat", "dest_lon", "created_at", "weight_kg")
    missing = [c for c in need if c not in rows.columns]
    if missing:
        raise QuoteError(f"orders are missing required column(s) {', '.join(missing)}; expected {', '.join(need)}")
    n = len(rows)
    oid = rows["order_id"].astype(str).to_numpy()
    lat = pd.to_numeric(rows["dest_lat"], errors="coerce").to_numpy(dtype=np.float64)
    lon = pd.to_numeric(rows["dest_lon"], errors="coerce").to_numpy(dtype=np.float64)
    w = pd.to_numeric(rows["weight_kg"], errors="coerce").to_numpy(dtype=np.float64)
    ts = rows["created_at"].astype(str).str.strip()
    has_off = ts.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False).to_numpy()
    t = pd.to_datetime(ts, utc=True, format="ISO8601", errors="coerce")
    created = np.full(n, np.nan)
    okt = t.notna().to_numpy()
    if okt.any():
        created[okt] = (t[okt] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    olat = olon = None
    if "origin_lat" in rows.columns and "origin_lon" in rows.columns:
        olat = pd.to_numeric(rows["origin_lat"], errors="coerce").to_numpy(dtype=np.float64)
        olon = pd.to_numeric(rows["origin_lon"], errors="coerce").to_numpy(dtype=np.float64)
        blank = ~np.isfinite(olat) | ~np.isfinite(olon)
        olat = np.where(blank, model.city.depot[0], olat)
        olon = np.where(blank, model.city.depot[1], olon)
    err = np.full(n, "", dtype=object)
    err[~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))] = "dest_lat/dest_lon: not a valid coordinate"
    err[(err == "") & ~(np.isfinite(w) & (w >= 0))] = "weight_kg: must be a number >= 0"
    err[(err == "") & ~okt] = "created_at: unparseable time"
    err[(err == "") & ~has_off] = "created_at: time without UTC offset"
    err[(err == "") & ~((created >= MIN_EPOCH) & (created < MAX_EPOCH))] = "created_at: outside 2000-2099"
    want = np.full(n, "", dtype=object)
    for col in ("carrier", "service"):
        if col in rows.columns:
            v = rows[col].fillna("").astype(str).str.strip().to_numpy()
            want = np.where(v != "", np.where(want != "", want + ":" + v, v), want)
    good = err == ""
    errors: dict[int, str] = {int(i): str(err[i]) for i in np.flatnonzero(~good).tolist()}
    batches = []
    for filt in np.unique(want[good].astype(str)).tolist():
        idx = np.flatnonzero(good & (want == filt))
        try:
            keys = _resolve_keys(model, [filt] if filt else None)
        except QuoteError as exc:
            for i in idx.tolist():
                errors[i] = str(exc)
            continue
        b = quote_arrays(
            model, lat[idx], lon[idx], created[idx], w[idx],
            None if olat is None else olat[idx], None if olon is None else olon[idx],
            target=target, keys=keys,
        )
        batches.append((idx, keys, b))
    return oid, created, errors, batches


def _reasons(model: EtaModel, b: BatchQuote, created: np.ndarray, as_json: bool = False) -> np.ndarray:
    """``(N, K)`` object array of reason texts (None where available), each distinct case formatted once.

    ``as_json``: the JSON text of each (``null`` where available).
    """
    import json  # noqa: PLC0415

    out = np.full(b.available.shape, "null" if as_json else None, dtype=object)
    ii, kk = np.nonzero(~b.available)
    if ii.shape[0] == 0:
        return out
    code = b.reason[ii, kk]
    cut = code == R_SAME
    cut |= code == R_NEXT
    passed = b.cutoff_passed[ii, kk] if b.cutoff_passed is not None else np.full(ii.shape, np.nan)
    wday = (np.floor(local_seconds(created[ii], model.tz) / 86400.0).astype(np.int64) + 3) % 7
    # What the text depends on, per case; everything else zeroed so equal cases collapse.
    case = np.column_stack([
        kk, code,
        np.where(code == R_AREA, np.round(b.km[ii]), 0.0),
        np.where(cut, np.nan_to_num(passed, nan=-1.0), 0.0),
        np.where(cut, wday, 0),
        np.where(code == R_SLOTP, np.round(b.probability[ii, kk], 3), 0.0),
    ])
    uniq, first, inv = np.unique(case, axis=0, return_index=True, return_inverse=True)
    texts = []
    for f in first.tolist():
        t = reason_text(model, b, int(ii[f]), int(kk[f]), float(created[ii[f]]))
        texts.append(json.dumps(t) if as_json else t)
    out[ii, kk] = np.array(texts, dtype=object)[inv.ravel()]
    return out


def quote_table(model: EtaModel, rows: Any, target: float = 0.95) -> list[dict[str, Any]]:
    """Quote a table of orders (pandas DataFrame) into one JSON-ready dict per row.

    Columns: ``order_id, dest_lat, dest_lon, created_at, weight_kg``, optional
    ``origin_lat, origin_lon`` and ``carrier``/``service`` to ask for one
    option only.  A bad row gives ``{"order_id": ..., "error": "..."}`` rather
    than stopping the batch.
    """
    oid, created, errors, batches = _table_batches(model, rows, target)
    out: list[dict[str, Any] | None] = [None] * oid.shape[0]
    for idx, keys, b in batches:
        cols = {
            name: _iso_strings(model, np.where(b.available, arr, np.nan))
            for name, arr in (("promised_by", b.promised), ("window_start", b.window_start), ("p50", b.p50), ("cutoff", b.cutoff))
        }
        reasons = _reasons(model, b, created[idx])
        specs = [model.spec(k) for k in keys]
        prob = np.where(b.available, b.probability, np.nan).astype(object)
        prob[~b.available] = None
        for j, i in enumerate(idx.tolist()):
            opts = []
            for k, sp in enumerate(specs):
                opts.append(
                    {
                        "carrier": sp.carrier,
                        "service": sp.service,
                        "available": bool(b.available[j, k]),
                        "promised_by": cols["promised_by"][j, k],
                        "window_start": cols["window_start"][j, k],
                        "p50": cols["p50"][j, k],
                        "probability": prob[j, k],
                        "cost": float(b.cost[j, k]),
                        "cutoff": cols["cutoff"][j, k],
                        "reason": reasons[j, k],
                    }
                )
            out[i] = {"order_id": oid[i], "model": model.source, "options": opts}
    for i, e in errors.items():
        out[i] = {"order_id": oid[i], "error": e}
    return [o for o in out if o is not None]


def _json_floats(a: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """JSON numbers (as ``json.dumps`` writes floats) of ``a`` where ``ok``, else ``null``."""
    out = np.full(a.shape, "null", dtype=object)
    if ok.any():
        uniq, inv = np.unique(a[ok], return_inverse=True)
        out[ok] = np.array([repr(float(x)) for x in uniq.tolist()], dtype=object)[inv]
    return out


def quote_table_jsonl(model: EtaModel, rows: Any, target: float = 0.95) -> list[str]:
    """:func:`quote_table` as JSON lines (one ``json.dumps``-equivalent line per row, without the newline).

    The same objects, but each distinct value is encoded once and every line
    is one ``str.join`` over its columns: a batch of 20,000 orders spends its
    time quoting, not in ``json.dumps`` of 120,000 dicts.
    """
    import json  # noqa: PLC0415
    from itertools import repeat  # noqa: PLC0415

    oid, created, errors, batches = _table_batches(model, rows, target)
    out: list[str | None] = [None] * oid.shape[0]
    src = json.dumps(model.source)
    for idx, keys, b in batches:
        av = b.available
        all_reasons = _reasons(model, b, created[idx], as_json=True)
        n_b = idx.shape[0]
        # One list of columns (constant text or per-row text), joined row by row in C.
        cols: list[Any] = ['{"order_id": ', [json.dumps(x) for x in oid[idx].tolist()], ', "model": ' + src + ', "options": [']
        for k, key in enumerate(keys):
            sp = model.spec(key)
            ok = av[:, k]
            iso = {name: _iso_json(model, np.where(ok, arr[:, k], np.nan)).tolist()
                   for name, arr in (("promised_by", b.promised), ("window_start", b.window_start), ("p50", b.p50), ("cutoff", b.cutoff))}
            cols += [
                (", " if k else "") + f'{{"carrier": {json.dumps(sp.carrier)}, "service": {json.dumps(sp.service)}, "available": ',
                np.where(ok, "true", "false").tolist(),
                ', "promised_by": ', iso["promised_by"], ', "window_start": ', iso["window_start"],
                ', "p50": ', iso["p50"], ', "probability": ', _json_floats(b.probability[:, k], ok).tolist(),
                ', "cost": ', _json_floats(b.cost[:, k], np.ones(ok.shape, dtype=bool)).tolist(),
                ', "cutoff": ', iso["cutoff"], ', "reason": ', all_reasons[:, k].tolist(), "}",
            ]
        cols.append("]}")
        lines = map("".join, zip(*(c if isinstance(c, list) else repeat(c, n_b) for c in cols)))
        for i, line in zip(idx.tolist(), lines):
            out[i] = line
    for i, e in errors.items():
        out[i] = json.dumps({"order_id": oid[i], "error": e})
    return [o for o in out if o is not None]
