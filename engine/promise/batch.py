"""Quotes as arrays: every delivery option of ``N`` orders, composed once from the rules.

:func:`quote_options` decides, per option, which rules apply and in what
order; it runs on either form of the rules (``rules.VECTOR`` over arrays,
``rules.SCALAR`` for the single checkout cart), so the batch and the
checkout answers cannot drift apart.  :func:`quote_arrays` is the public
vectorised entry.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from engine.domain.promise import BatchQuote
from engine.domain.promise import UnavailableReason as R
from engine.errors import QuoteError
from engine.eta._city import OWN_FLEET, canonical_carrier
from engine.eta._time import local_seconds, local_to_epoch
from engine.eta.drift import DriftState
from engine.eta.model import EtaModel
from engine.promise import rules
from engine.promise.rules import SLOT_HORIZON_S, Orders, RuleSet

__all__ = ["apply_booked_slots", "quote_arrays", "quote_options", "resolve_keys", "rung_promises", "strict_cutoff", "widen_caps"]

#: Options promised within this many days of the order, by kind; they have a cut-off today.
_DAYS_AHEAD = {"same_day": 0, "next_day": 1}
_LATE = {"same_day": R.SAME_DAY_CUTOFF, "next_day": R.NEXT_DAY_CUTOFF}
# Only the own fleet's (OWN_FLEET) same-day option is withdrawn past its
# cut-off; every other option a carrier delivers is quoted for the earliest
# time it can keep, marked not nominal.


def strict_cutoff(carrier: str, kind: str) -> bool:
    """True when missing the kind's day withdraws the option (own-fleet same-day) rather than moving its date."""
    return kind == "same_day" and carrier == OWN_FLEET


def _canonical_option(text: str, own: str | None) -> str:
    """An option filter with the own fleet as the request writes it (own_fleet, In-house, its brand) read as ``own``."""
    carrier, sep, rest = text.strip().partition(":")
    return canonical_carrier(carrier, own) + sep + rest


def resolve_keys(model: EtaModel, only: Iterable[str] | None) -> list[str]:
    """The catalogue keys an ``only`` filter (``carrier:service``, carrier or service names) selects; all for ``None``."""
    keys = [s.key for s in model.city.services]
    if only is None:
        return keys
    own = model.meta.get("own_carrier")
    wanted = [_canonical_option(w, own) for w in only if w and w.strip()]
    out = [k for k in keys if any(w == k or w == k.split(":")[0] or w == k.split(":")[1] for w in wanted)]
    if not out:
        raise QuoteError(f"no delivery option matches {', '.join(wanted)!s}; known: {', '.join(keys)}", field="only")
    return out


def quote_options(
    rs: RuleSet, model: EtaModel, o: Orders, keys: Sequence[str], target: float, capacity_left: Mapping[str, int],
    drift: DriftState | None = None,
) -> BatchQuote:
    """Every option in ``keys`` for the orders ``o``, with the rules of one form (``rules.VECTOR`` or ``rules.SCALAR``).

    ``o`` and ``rs`` must be of the same form; ``keys`` must be in the catalogue.
    ``drift``: each due-table option's promise moves (later, or carefully earlier) by its service's
    current :meth:`DriftState.shift` (None: the model's promise, untouched).
    """
    t = rs.promise_table(model, target)
    shape = (o.n, len(keys))
    reason = np.zeros(shape, dtype=np.int64)
    promised, wstart, p50, prob, cost, cutoff, passed = np.full((7, *shape), np.nan)
    nominal = np.ones(shape, dtype=bool)
    for k, key in enumerate(keys):
        at = (o.rows, k)
        spec = model.spec(key)
        amount = spec.base_cost + spec.cost_per_kg * o.weight + spec.cost_per_km * o.km
        cost[at] = rs.cents(amount + rs.zone_price(spec, o.km) if spec.zones else amount)
        why = [
            (R.OFF_MAP, o.off_map),
            (R.TOO_HEAVY, o.weight > spec.max_kg),
            (R.OUT_OF_AREA, o.km > spec.max_km),
            (R.NO_CAPACITY, rules.capacity_exhausted(capacity_left, key, spec.carrier)),
        ]
        tkey = rules.table_key(model, spec)
        ti = None if tkey is None else rs.table_index(model, tkey, o)
        if ti is None:
            why.append((R.NO_HISTORY, True))
        elif spec.kind == "slot":
            start = rs.slot_start(model, ti, o)
            wstart[at] = start
            promised[at] = start + model.city.slot_len_s
            p50[at] = start + model.city.slot_len_s / 2
            prob[at] = p_slot = rules.slot_probability(model)
            why.append((R.NO_SLOT, start - o.created > SLOT_HORIZON_S))
            why.append((R.SLOT_PROBABILITY, p_slot < target))
        else:
            # The service's own calendar (a catalogue's weekdays, cut-offs, holidays): an order it
            # does not take in today is promised as one placed when it next does.
            tk = rs.taken(model, spec, o) if spec.has_calendar else None
            oe = o
            if tk is not None:
                # Read the table of the day the order is taken in (after a holiday: the ordinary one).
                oe = tk.o
                ti = rs.table_index(model, tkey, oe)
            pday, pr, p50[at], prob[at] = rs.due_promise(model, t, ti, oe)
            at_end = None
            if drift is not None and np.any((extra := drift.shift(spec.key, o.season)) != 0.0):
                # Recent deliveries of this service run late (or early): move the promise, and its local
                # day with it (the creation's UTC offset; a DST change inside the shift is ignored, the
                # same-day cap below is exact).
                moved = extra != 0.0
                wide = np.maximum(pr + extra, p50[at])
                wide_day = (wide + (o.loc - o.created)) // 86400.0
                if strict_cutoff(spec.carrier, spec.kind):
                    # Own-fleet same-day moves only within its day ("by 21:15" instead of "by 19:15" when the
                    # vans have run late), as the state measured it (``widen_caps``): it is withdrawn when its
                    # day cannot be kept, and that is the target's and today's plan's call, not a week's.
                    end = _day_end(pday, o.tz)
                    at_end = moved & (wide >= end)
                    wide = np.minimum(wide, end)
                    wide_day = pday
                pr = np.where(moved, wide, pr)
                pday = np.where(moved, wide_day, pday)
                cov = drift.coverage_at_shift(spec.key, o.season)
                prob[at] = np.where(moved & np.isfinite(cov), cov, prob[at])
            promised[at] = rs.snap_back(model, ti, pr, p50[at], o.tz)
            if at_end is not None:
                # Measured up to the day's end: parcels of vans running late arrive in hours the history never
                # saw delivering, so snapping back to the last of those would promise what was missed.
                promised[at] = np.where(at_end, pr, promised[at])
            # Whether the kind's day is kept is decided at the target: reading a lower level narrows the
            # promises offered, it does not offer own-fleet same-day to orders the target withdraws.
            pday_at_target = pday
            # The levels were measured on promises at the state's goal: a quote asking more keeps its own.
            if drift is not None and target <= drift.params.goal:
                lv = np.asarray(drift.level(spec.key, o.season), dtype=np.float64)
                if np.isfinite(lv).any():
                    # Over-covered lately: read the lower level the recent deliveries still meet, each order as
                    # rung_promises gave it to the state (the quote at that level, where earlier than this one).
                    cov = np.asarray(drift.coverage_at_shift(spec.key, o.season), dtype=np.float64)
                    for level in np.unique(lv[np.isfinite(lv)]):
                        low = quote_options(rs, model, o, [key], float(level), {}).promised[o.rows, 0]
                        take = (lv == level) & np.isfinite(low) & (low < promised[at])
                        promised[at] = np.where(take, low, promised[at])
                        pday = np.where(take, (low + (o.loc - o.created)) // 86400.0, pday)
                        prob[at] = np.where(take & np.isfinite(cov), cov, prob[at])
            ahead = _DAYS_AHEAD.get(spec.kind)
            if ahead is None:
                deadline = (pday + 1) * 86400.0  # by the end of the promised day
            else:
                strict = strict_cutoff(spec.carrier, spec.kind)
                late = (pday_at_target if strict else pday) > o.day + ahead
                if strict:
                    why.append((_LATE[spec.kind], late))
                else:
                    nominal[at] = np.logical_not(late)
                # A late option's cut-off keeps the day it is promised for (next-day quoted for Saturday: order by
                # the hour that still gets Saturday), not the nominal day no hour of today reaches.
                nominal_end = (oe.day + 1 + ahead) * 86400.0
                if strict:
                    deadline = nominal_end
                elif isinstance(late, np.ndarray):
                    deadline = np.where(late, (pday + 1) * 86400.0, nominal_end)
                else:
                    deadline = (pday + 1) * 86400.0 if late else nominal_end
                pc = rs.passed_cutoff(model, t, ti, o, ahead, late)
                passed[at] = pc if tk is None else rs.passed_taken(tk, pc)
            cut = rs.cutoff(model, t, ti, oe, deadline)
            cutoff[at] = cut if tk is None else rs.fmin(cut, tk.cutoff)
        reason[at] = rs.reason(why, o.n)
    return BatchQuote(list(keys), reason == R.NONE, reason, promised, wstart, p50, prob, cost, cutoff, np.atleast_1d(o.km), passed, nominal)


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
    drift: DriftState | None = None,
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
    drift
        Live correction per carrier/service from recent deliveries (:class:`engine.eta.drift.DriftState`,
        read at its current time for every order); None: the model's promises unchanged.
    """
    dest_lat = np.asarray(dest_lat, dtype=np.float64)
    dest_lon = np.asarray(dest_lon, dtype=np.float64)
    created = np.asarray(created, dtype=np.float64)
    weight_kg = np.asarray(weight_kg, dtype=np.float64)
    n = dest_lat.shape[0] if dest_lat.ndim == 1 else -1
    if n < 0:
        raise QuoteError(f"dest_lat has shape {dest_lat.shape}, expected (N,)", field="dest_lat")
    for name, a in (("dest_lon", dest_lon), ("created", created), ("weight_kg", weight_kg)):
        if a.shape != (n,):
            raise QuoteError(f"{name} has shape {a.shape}, expected ({n},)", field=name)
    if not (np.isfinite(dest_lat).all() and np.isfinite(dest_lon).all()):
        raise QuoteError("dest_lat/dest_lon must be finite numbers", field="dest_lat")
    if not np.isfinite(created).all():
        raise QuoteError("created must be finite epoch seconds", field="created")
    if not (np.isfinite(weight_kg).all() and (weight_kg >= 0).all()):
        raise QuoteError("weight_kg must be finite and >= 0", field="weight_kg")
    catalogue = [s.key for s in model.city.services]
    keys = list(keys) if keys is not None else catalogue
    unknown = [k for k in keys if k not in catalogue]
    if unknown:
        raise QuoteError(f"unknown delivery option(s) {', '.join(unknown)}; known: {', '.join(catalogue)}", field="keys")
    o = rules.orders(model, dest_lat, dest_lon, created, weight_kg, origin_lat, origin_lon)
    return quote_options(rules.VECTOR, model, o, keys, target, dict(capacity_left or {}), drift)


def widen_caps(model: EtaModel, key: str, promised: np.ndarray) -> np.ndarray:
    """``(N,)`` latest time a widening may move each promise of ``key`` to (epoch s; inf: no limit).

    What :meth:`engine.eta.drift.DriftState.open` measures widening on
    (``cap=``): own-fleet same-day stays on its promised local day (one second
    before its midnight, where :func:`quote_options` caps it and promises it
    without snapping it back); every other service may move as far as the
    state's steps go.
    """
    p = np.asarray(promised, dtype=np.float64)
    spec = model.spec(key)
    if not strict_cutoff(spec.carrier, spec.kind):
        return np.full(p.shape, np.inf)
    fin = np.isfinite(p)
    day = np.floor(local_seconds(np.where(fin, p, 0.0), model.tz) / 86400.0)
    return np.where(fin, _day_end(day, model.tz), np.inf)


def _day_end(day: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """One second before local midnight at the end of each local day number ``day`` (epoch s, DST-exact)."""
    return local_to_epoch((np.asarray(day, dtype=np.float64) + 1.0) * 86400.0, tz) - 1.0


def rung_promises(
    model: EtaModel,
    dest_lat: np.ndarray,
    dest_lon: np.ndarray,
    created: np.ndarray,
    weight_kg: np.ndarray,
    origin_lat: np.ndarray | None,
    origin_lon: np.ndarray | None,
    key: str,
    levels: Sequence[float],
) -> np.ndarray:
    """``(N, len(levels))`` uncorrected promises of ``key`` at each lower level (NaN where not available).

    What :meth:`engine.eta.drift.DriftState.open` measures narrowing on
    (``rungs=``): the quote at each of ``DriftParams.narrow_levels``, read as
    :func:`quote_options` reads a service the state narrows to that level.
    """
    o = rules.orders(model, np.asarray(dest_lat, dtype=np.float64), np.asarray(dest_lon, dtype=np.float64),
                     np.asarray(created, dtype=np.float64), np.asarray(weight_kg, dtype=np.float64), origin_lat, origin_lon)
    out = np.full((o.n, len(levels)), np.nan)
    for j, level in enumerate(levels):
        b = quote_options(rules.VECTOR, model, o, [key], float(level), {})
        out[:, j] = np.where(b.available[:, 0], b.promised[:, 0], np.nan)
    return out


def apply_booked_slots(model: EtaModel, b: BatchQuote, start: np.ndarray, end: np.ndarray, created: np.ndarray, target: float) -> None:
    """Slot options of orders that name their slot (``start``, ``end``; NaN: none named): that window, if it can still be booked.

    Checkout asks about the window the customer picked, not the first one
    free; it is promised (``promised_by`` its end, ``window_start`` its
    start, the slots' kept share) when the order is placed before the
    booking cut-off learnt for that slot time (``City.slot_lead_h``; none
    learnt: before it starts) on a day the own fleet drives (``rules.fleet_idle``),
    else withdrawn with that reason.  Rows without
    a slot, and options unavailable for another reason (off the map, too
    heavy), are left as quoted.
    """
    tz = model.tz
    end = np.where(np.isfinite(end), end, start + model.city.slot_len_s)
    lead = np.zeros(start.shape[0])
    start_loc = local_seconds(np.nan_to_num(start), tz)
    if model.city.slot_times and model.city.slot_lead_h:
        tod = (start_loc % 86400.0) / 3600.0
        times = np.asarray(model.city.slot_times, dtype=np.float64)
        near = np.argmin(np.abs(tod[:, None] - times[None, :]), axis=1)
        lead = np.asarray(model.city.slot_lead_h, dtype=np.float64)[near] * 3600.0
    asked = np.isfinite(start)
    # Wall clock, as the cut-offs were learnt ("22:00 the evening before" across a clock change too).
    before = start_loc - local_seconds(created, tz)
    open_ = asked & (before >= lead) & (end > created)
    # A window on a day the own fleet does not drive (past its weekdays, a public holiday it stops on) is no slot.
    off = asked & rules.fleet_idle(model.city, np.floor(start_loc / 86400.0).astype(np.int64))
    p = rules.slot_probability(model)
    for j, k in enumerate(b.keys):
        if model.spec(k).kind != "slot":
            continue
        # Only a slot's own reasons give way to the customer's choice; the map, weight and history still decide.
        mine = asked & (b.available[:, j] | np.isin(b.reason[:, j], (R.NO_SLOT, R.SLOT_PROBABILITY)))
        b.window_start[mine, j] = start[mine]
        b.promised[mine, j] = end[mine]
        b.p50[mine, j] = (start[mine] + end[mine]) / 2.0
        b.probability[mine, j] = p
        ok = mine & open_ & ~off & (p >= target)
        b.available[mine, j] = ok[mine]
        why = np.where(off, R.SLOT_FLEET_OFF, np.where(open_, R.SLOT_PROBABILITY, R.SLOT_BOOKING_CLOSED))
        b.reason[mine, j] = np.where(ok[mine], R.NONE, why[mine])
        if b.nominal is not None:
            b.nominal[mine, j] = True
