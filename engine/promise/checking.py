"""Re-checking a promise: the probability it is still met, from what is known now.

The order is pending (not handed over), handed over at T, on a route with an
ETA distribution, or delivered; each state reads the model's tables its own
way and gives revised p50/p95 delivery times.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Sequence

import numpy as np

from engine.domain.promise import CheckResult, Promise, PromiseState, PromiseStatus
from engine.errors import InputError, QuoteError
from engine.eta._time import epoch_of, from_epoch, local_seconds, weekday_hour
from engine.eta.model import EtaModel
from engine.promise.reasons import fmt_duration
from engine.promise.registry import current_model
from engine.promise.rules import DETOUR, LOAD_S, SLOW_KMH, SNAP_H, slot_probability

__all__ = ["check"]


def _cdf(qrow: np.ndarray, levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """CDF read off a quantile row; linear between stored levels, to 1 at 1.5x the top one."""
    qs = np.concatenate([[0.0], qrow.astype(np.float64), [max(float(qrow[-1]) * 1.5, float(qrow[-1]) + 3600.0)]])
    ls = np.concatenate([[0.0], levels, [1.0]])
    qs = np.maximum.accumulate(qs + np.arange(qs.shape[0]) * 1e-6)
    return np.interp(x, qs, ls)


def _mixture_quantiles(times: np.ndarray, weights_cdf: np.ndarray, probs: Sequence[float]) -> list[float]:
    return [float(np.interp(p, weights_cdf, times)) for p in probs]


def _epoch(dt: datetime, item: str, field: str) -> float:
    try:
        return epoch_of(dt)
    except InputError as exc:
        raise QuoteError(f"{item}.{field}: {exc}", item=item, field=field) from None


def _past_idle_hours(m: EtaModel, ti: int, loc: float) -> float:
    """A local time at the end of a delivering hour, moved past the hours the carrier never delivers in.

    Quotes move a promise that falls in idle hours (a night, a Sunday) back
    to the end of the last delivering hour (``rules.snap_back``): nothing is
    delivered in between, so its probability is that of the later time.
    """
    if m.delivers is None:
        return loc
    h = math.floor(loc / 3600.0)
    dl = m.delivers[ti]
    j = h
    while j < h + SNAP_H and not dl[((j // 24) + 3) % 7, j % 24]:
        j += 1
    return loc if j == h or j >= h + SNAP_H else j * 3600.0 - 1.0


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
    except InputError as exc:
        raise QuoteError(f"now: {exc}", field="now") from None
    t_created = _epoch(promise.created_at, "promise", "created_at")
    t_prom = _epoch(promise.promised_by, "promise", "promised_by")
    if t_prom < t_created:
        raise QuoteError("promise.promised_by is before promise.created_at", item="promise", field="promised_by")
    try:
        status = PromiseStatus(st.status)
    except ValueError:
        known = ", ".join(s.value for s in PromiseStatus)
        raise QuoteError(f"state.status {st.status!r} is not one of {known}", item="state", field="status") from None
    key = f"{promise.carrier}:{promise.service}"
    target = promise.target

    def result(p: float, p50: float | None, p95: float | None, why: str) -> CheckResult:
        p = float(min(max(p, 0.0), 1.0))
        holds = p >= target - 1e-6  # p is scaled by ratios of stored levels: 0.95 must hold at 0.95
        lead = "still holds" if holds else "at risk"
        return CheckResult(
            promise.order_id, round(p, 4), holds,
            from_epoch(p50, tz) if p50 is not None else None,
            from_epoch(p95, tz) if p95 is not None else None,
            status, f"{lead}: {why}; P(on time)={p:.2f} (target {target:.2f})",
        )

    if status == PromiseStatus.DELIVERED:
        if st.delivered_at is None:
            raise QuoteError("state.delivered_at is required when status is 'delivered'", item="state", field="delivered_at")
        td = _epoch(st.delivered_at, "state", "delivered_at")
        ws = _epoch(promise.window_start, "promise", "window_start") if promise.window_start is not None else -math.inf
        ok = ws <= td <= t_prom
        # A booked slot delivered before its window was not kept either: nobody was home yet.
        return result(1.0 if ok else 0.0, td, td, "delivered " + ("on time" if ok else "late" if td > t_prom else "before the booked window"))
    if status == PromiseStatus.ON_ROUTE:
        if st.eta_samples is not None and len(st.eta_samples) > 0:
            s = np.array([_epoch(x, "state", "eta_samples") if isinstance(x, datetime) else float(x) for x in st.eta_samples])
            s = np.maximum(s, t_now)
            return result(float((s <= t_prom).mean()), float(np.quantile(s, 0.5)), float(np.quantile(s, 0.95)), f"on route, {s.shape[0]} ETA samples")
        if st.eta_p50 is None or st.eta_p95 is None:
            raise QuoteError(
                "state.eta_p50 and state.eta_p95 (or eta_samples) are required when status is 'on_route'",
                item="state", field="eta_p50" if st.eta_p50 is None else "eta_p95",
            )
        a50 = max(_epoch(st.eta_p50, "state", "eta_p50") - t_now, 1.0)
        a95 = max(_epoch(st.eta_p95, "state", "eta_p95") - t_now, 1.0)
        if a95 < a50:
            raise QuoteError("state.eta_p95 is before state.eta_p50", item="state", field="eta_p95")
        # Log-normal remaining time through the two given quantiles.
        sig = max(math.log(a95 / a50) / 1.6449, 1e-6)
        left = t_prom - t_now
        p = 0.0 if left <= 0 else 0.5 * math.erfc(-(math.log(left / a50) / sig) / math.sqrt(2))
        return result(p, t_now + a50, t_now + a95, "on route")
    if key not in m.base_keys:
        if promise.carrier == "own" and promise.window_start is not None:
            key = next((k for k in m.base_keys if k.startswith("own:")), key)
        if key not in m.base_keys:
            raise QuoteError(f"promise: no fitted history for {promise.carrier}:{promise.service}", item="promise", field="service")
    ti = int(m.table_index(key, np.array([t_created]))[0])
    km = 0.0
    if promise.dest_lat is not None and promise.dest_lon is not None:
        km = float(m.distance_km(np.array([promise.dest_lat]), np.array([promise.dest_lon]))[0])
    db = int(m.dband(np.array([km]))[0])
    levels = m.levels
    if status == PromiseStatus.HANDED_OVER:
        if st.handed_over_at is None:
            raise QuoteError("state.handed_over_at is required when status is 'handed_over'", item="state", field="handed_over_at")
        th = _epoch(st.handed_over_at, "state", "handed_over_at")
        if th < t_created:
            raise QuoteError("state.handed_over_at is before promise.created_at", item="state", field="handed_over_at")
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
        return result(p, float(rev[0]), float(rev[1]), f"handed over {fmt_duration(t_now - th)} ago")
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
        ws = _epoch(promise.window_start, "promise", "window_start")
        drive = km * DETOUR / SLOW_KMH * 3600.0 + LOAD_S
        if ws - drive <= t_now:
            p_ready = 0.0  # the van should have left: not handed over yet, the slot is being missed
        elif m.city.slot_lead_h:
            # Slots offered to the history's booking cut-offs: their kept share (the quote's probability)
            # already holds the parcels not ready in time.
            p_ready = 1.0
        else:
            f_e = float(_cdf(prow, levels, np.array([max(t_now - t_created, 0.0)]))[0])
            f_r = float(_cdf(prow, levels, np.array([ws - drive - t_created]))[0])
            p_ready = (f_r - f_e) / max(1.0 - f_e, 1e-9)
        p = max(p_ready, 0.0) * (slot_probability(m) if m.city.slot_lead_h else m.slot_on_time)
        return result(p, (ws + t_prom) / 2, t_prom, "slot booked, not handed over yet")
    p, p50, p95 = pending(t_now)
    # Delivery time never gets earlier when hand-over does not happen, so the
    # probability cannot rise as time passes: take the minimum over earlier
    # moments (smooths the jitter of the empirical hour cells).
    if t_now > t_created:
        for t in np.linspace(t_created, t_now, 8)[1:-1]:
            p = min(p, pending(float(t))[0])
    # The two-stage estimate and the due table the promise was made from are
    # fitted separately; scale so that at creation time both agree (and the
    # probability then only moves with what has been learned since).  The due
    # table is what quote() read: anchoring on the lead table instead said
    # "at risk" (P 0.86) for a next-day promise quoted at 0.955 a minute earlier.
    lwd, lhr, lday = weekday_hour(np.array([t_created]), tz)
    prom_local = _past_idle_hours(m, ti, float(local_seconds(np.array([t_prom]), tz)[0])) - float(lday[0]) * 86400.0
    # The quote's own reading: the highest stored level the promise covers (a step, not an interpolation
    # across the idle hours, where the quantiles say nothing).
    covered = int(np.count_nonzero(m.tables["due"][ti, lwd[0], lhr[0], db] <= prom_local))
    p_lead = float(levels[covered - 1]) if covered else 0.0
    p0 = pending(t_created)[0]
    if p0 > 0:
        p = p * min(p_lead / p0, 1.0 / max(p0, 1e-9))
    elapsed = max(t_now - t_created, 0.0)
    return result(p, p50, p95, f"not handed over yet, {fmt_duration(elapsed)} after the order")
