"""Checkout: quote every delivery option for one cart.

The same composition as the batch path (:func:`engine.promise.batch.quote_options`)
on the scalar forms of the rules: one cart per request, where numpy's
per-call overhead on 1-element arrays would cost more than the arithmetic.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterable, Mapping

import numpy as np

from engine.domain.promise import BatchQuote, DeliveryOption, Item, Quote, QuoteOptions
from engine.errors import InputError, QuoteError
from engine.eta._time import epoch_of, from_epoch
from engine.eta.drift import DriftState
from engine.eta.model import EtaModel
from engine.promise import rules
from engine.promise.batch import apply_booked_slots, quote_options, resolve_keys
from engine.promise.reasons import cutoff_text, reason_text
from engine.promise.registry import current_model

__all__ = ["quote", "cart_weight", "options_from_batch"]


def cart_weight(items: Iterable[Item | Mapping[str, Any] | float]) -> float:
    """Total kg of a cart given as ``Item``s, mappings with ``weight_kg``/``quantity``, or plain weights."""
    total = 0.0
    for i, it in enumerate(items):
        if isinstance(it, Item):
            w, qn = it.weight_kg, it.quantity
        elif isinstance(it, Mapping):
            w, qn = float(it.get("weight_kg", 0.0)), int(it.get("quantity", 1))
        else:
            w, qn = float(it), 1
        if not (math.isfinite(w) and w >= 0) or qn < 1:
            raise QuoteError(f"items[{i}]: weight_kg must be >= 0 and quantity >= 1", item=f"items[{i}]", field="weight_kg")
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
    drift: DriftState | None = None,
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
        Target probability, option filter, plan capacity, origin, a picked slot.
    model
        The model to quote with; the served one (:func:`current_model`) when ``None``.
    order_id
        Carried into the quote.
    drift
        Live correction per carrier/service from recent deliveries (:class:`engine.eta.drift.DriftState`);
        None: the model's promises unchanged.

    Returns
    -------
    Quote
        One :class:`DeliveryOption` per catalogue option, unavailable ones with a reason.
    """
    opts = options or QuoteOptions()
    m = model or current_model()
    lat, lon = float(destination[0]), float(destination[1])
    if not (math.isfinite(lat) and -90 <= lat <= 90 and math.isfinite(lon) and -180 <= lon <= 180):
        raise QuoteError(f"destination ({lat}, {lon}) is not a valid coordinate", field="destination")
    try:
        created = epoch_of(order_time)
    except InputError as exc:
        raise QuoteError(f"order_time: {exc}", field="order_time") from None
    if not (0 < opts.target < 1):
        raise QuoteError(f"target {opts.target} must be between 0 and 1", field="target")
    w = cart_weight(items)
    keys = resolve_keys(m, opts.only)
    o = rules.orders_one(m, lat, lon, created, w, opts.origin)
    b = quote_options(rules.SCALAR, m, o, keys, opts.target, dict(opts.capacity_left), drift)
    if opts.slot is not None:
        start, end = opts.slot
        try:
            window = np.array([epoch_of(start)]), np.array([epoch_of(end) if end is not None else np.nan])
        except InputError as exc:
            raise QuoteError(f"slot: {exc}", field="slot") from None
        apply_booked_slots(m, b, *window, np.array([created]), opts.target)
    return Quote(order_id, from_epoch(created, m.tz), m.source, m.name, opts.target, options_from_batch(m, b, 0, created),
                 currency=m.city.currency)


def options_from_batch(model: EtaModel, b: BatchQuote, i: int, created: float) -> list[DeliveryOption]:
    """The ``DeliveryOption`` records of row ``i`` of a batch quote."""
    tz = model.tz
    out = []

    def dt(x: float) -> datetime | None:
        return from_epoch(x, tz) if math.isfinite(x) else None

    for k, key in enumerate(b.keys):
        spec = model.spec(key)
        ok = bool(b.available[i, k])
        nominal = True if b.nominal is None else bool(b.nominal[i, k])
        promised, cut, prob, cost = (float(a[i, k]) for a in (b.promised, b.cutoff, b.probability, b.cost))
        promised_dt = dt(promised) if ok else None
        cut_text = None
        if ok and math.isfinite(cut):
            cut_text = cutoff_text(spec, cut, created, promised_dt.date().isoformat() if promised_dt else "")
        out.append(
            DeliveryOption(
                carrier=spec.carrier,
                service=spec.service,
                kind=spec.kind,
                label=spec.label,
                available=ok,
                promised_by=promised_dt,
                window_start=dt(float(b.window_start[i, k])) if ok else None,
                p50=dt(float(b.p50[i, k])) if ok else None,
                probability=prob if ok and math.isfinite(prob) else None,
                cost=cost if math.isfinite(cost) else None,
                cutoff=dt(cut) if ok else None,
                cutoff_text=cut_text,
                reason=None if ok and nominal else reason_text(model, b, i, k, created),
                nominal=nominal,
            )
        )
    return out
