"""Checkout promises: quote every delivery option at the target level, check a promise against the live state.

``quote`` answers "when will it arrive?" for every delivery option of the
catalogue (same-day and next-day by the own fleet, standard per third-party
carrier, booked slots (1-hour, or the slots a history's customers booked), parcel lockers): the earliest time (or slot)
met with probability >= the target (0.95 by default), the p50, the
probability, the price and the cut-off.  An option that cannot be promised
(past the cut-off, plan full, outside the carrier's area, too heavy) stays in
the answer as unavailable with the reason.  ``quote_arrays`` is the
vectorised form for many orders; both compose the same rules
(:mod:`engine.promise.rules`).  Both take an optional ``drift``
(:class:`DriftState`, :mod:`engine.eta.drift`): a per carrier/service shift
learnt online from the recent deliveries, for a backlog the calendar cannot know.  ``check`` re-evaluates an existing promise
from the current state and returns the probability it is still met, with
revised p50/p95.

Modules: ``registry`` (the served models by region: ``model_for("shanghai")``), ``rules`` (each rule once, in a
vectorised and a scalar form), ``batch`` (the per-option composition and
``quote_arrays``), ``single`` (``quote``), ``checking`` (``check``),
``reasons`` (texts).  Tables of orders to JSON are a file format:
:mod:`engine.io.quote_table`.
"""

from __future__ import annotations

from engine.domain.promise import (
    BatchQuote,
    CheckResult,
    DeliveryOption,
    Item,
    Promise,
    PromiseState,
    PromiseStatus,
    Quote,
    QuoteOptions,
    UnavailableReason,
)
from engine.errors import QuoteError
from engine.eta.drift import DriftParams, DriftState
from engine.promise.batch import quote_arrays, rung_promises, widen_caps
from engine.promise.checking import check
from engine.promise.registry import current_model, model_for, regions, set_model
from engine.promise.single import quote

__all__ = [
    "BatchQuote",
    "CheckResult",
    "DeliveryOption",
    "DriftParams",
    "DriftState",
    "Item",
    "Promise",
    "PromiseState",
    "PromiseStatus",
    "Quote",
    "QuoteError",
    "QuoteOptions",
    "UnavailableReason",
    "check",
    "current_model",
    "model_for",
    "quote",
    "quote_arrays",
    "regions",
    "rung_promises",
    "set_model",
    "widen_caps",
]
