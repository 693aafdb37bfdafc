"""Checkout promises: quote every delivery option at the target level, check a promise against the live state."""

from __future__ import annotations

from engine.promise.quoting import (
    BatchQuote,
    CheckResult,
    DeliveryOption,
    Item,
    Promise,
    PromiseState,
    Quote,
    QuoteError,
    QuoteOptions,
    check,
    current_model,
    quote,
    quote_arrays,
    quote_table,
    quote_table_jsonl,
    set_model,
)

__all__ = [
    "BatchQuote",
    "CheckResult",
    "DeliveryOption",
    "Item",
    "Promise",
    "PromiseState",
    "Quote",
    "QuoteError",
    "QuoteOptions",
    "check",
    "current_model",
    "quote",
    "quote_arrays",
    "quote_table",
    "quote_table_jsonl",
    "set_model",
]
