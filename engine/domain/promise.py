"""What checkout asks and is told: carts, quotes, delivery options, promises and their checks.

Plain records: ``engine.promise`` fills them, the API and the CLI write them.
``PromiseStatus`` is a ``str`` enum (equal to its JSON string, ``"pending"``);
``UnavailableReason`` is an ``int`` enum because batch quotes hold one per
order and option in an integer array, and its JSON form is its ``text`` (with
the figures that decide it, written by ``engine.promise.reasons``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from engine.errors import QuoteError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "PromiseStatus",
    "UnavailableReason",
    "Item",
    "QuoteOptions",
    "DeliveryOption",
    "Quote",
    "Promise",
    "PromiseState",
    "CheckResult",
    "BatchQuote",
]


class PromiseStatus(StrEnum):
    """Where an order is on its way to the customer (``PromiseState.status``, ``CheckResult.status``)."""

    #: not handed over to the carrier yet
    PENDING = "pending"
    #: left the warehouse at ``handed_over_at``
    HANDED_OVER = "handed_over"
    #: on a van whose route gives an ETA distribution for the stop
    ON_ROUTE = "on_route"
    #: delivered at ``delivered_at``
    DELIVERED = "delivered"


class UnavailableReason(IntEnum):
    """Why a delivery option cannot be promised; ``NONE`` (0) when it can.

    The value is the code ``BatchQuote.reason`` holds; ``text`` is what a
    customer reads.  When several apply, the one listed in
    ``engine.promise.rules.PRECEDENCE`` first is given.
    """

    text: str

    def __new__(cls, code: int, text: str) -> "UnavailableReason":
        obj = int.__new__(cls, code)
        obj._value_ = code
        obj.text = text
        return obj

    NONE = 0, ""
    OFF_MAP = 1, "destination is outside the map"
    OUT_OF_AREA = 2, "destination is outside the carrier's delivery area"
    TOO_HEAVY = 3, "parcel is too heavy for this option"
    SAME_DAY_CUTOFF = 4, "same-day cut-off passed (cannot promise today at the target probability)"
    NEXT_DAY_CUTOFF = 5, "next-day cut-off passed (cannot promise tomorrow at the target probability)"
    NO_CAPACITY = 6, "capacity of today's plan is exhausted"
    NO_HISTORY = 7, "no fitted history for this option"
    SLOT_PROBABILITY = 8, "slot on-time probability is below the target"
    NO_SLOT = 9, "no delivery slot in the next two days"
    SLOT_BOOKING_CLOSED = 10, "the slot asked for is past its booking cut-off"
    SLOT_FLEET_OFF = 11, "the own fleet does not drive on the slot's day"


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
    today's plan can still take.  ``slot`` is the window ``(start, end)`` the
    customer picked (``end`` None: the region's slot length): slot options are
    quoted for it.
    """

    target: float = 0.95
    only: tuple[str, ...] | None = None
    capacity_left: Mapping[str, int] = field(default_factory=dict)
    origin: tuple[float, float] | None = None
    slot: tuple[datetime, datetime | None] | None = None


@dataclass(slots=True)
class DeliveryOption:
    """One option of a quote; unavailable ones have no times and say why in ``reason`` (so do non-nominal ones)."""

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
    #: False when the option is quoted later than its kind promises (next-day
    #: past its cut-off: ``reason`` then says so, e.g. "next-day cut-off 18:00
    #: passed: arrives by Sat 18:00").
    nominal: bool = True

    def to_json(self) -> dict[str, Any]:
        # Shallow on purpose: every field is a scalar, and dataclasses.asdict's deep copy
        # cost more than the quote itself on the checkout path.
        d = {f.name: getattr(self, f.name) for f in fields(self)}
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
    #: ISO 4217 code of every option's ``cost`` ("" when the region does not say).
    currency: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "created_at": self.created_at.isoformat(),
            "model": self.model,
            "model_name": self.model_name,
            "target": self.target,
            "currency": self.currency,
            "options": [o.to_json() for o in self.options],
        }

    def option(self, carrier: str, service: str) -> DeliveryOption:
        """The option ``carrier:service``; a ``KeyError`` (a lookup, like a mapping's) when the quote has none."""
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
            raise QuoteError(
                f"option {option.carrier}:{option.service} is unavailable: {option.reason}",
                item=f"{option.carrier}:{option.service}", field="available",
            )
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
    seconds) or ``delivered`` (at ``delivered_at``); a plain string is read
    as its :class:`PromiseStatus`.
    """

    status: PromiseStatus | str = PromiseStatus.PENDING
    handed_over_at: datetime | None = None
    delivered_at: datetime | None = None
    eta_p50: datetime | None = None
    eta_p95: datetime | None = None
    eta_samples: Sequence[datetime | float] | None = None


@dataclass(slots=True)
class CheckResult:
    order_id: str
    probability: float
    holds: bool
    p50: datetime | None
    p95: datetime | None
    status: PromiseStatus
    reason: str

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["p50"] = self.p50.isoformat() if self.p50 else None
        d["p95"] = self.p95.isoformat() if self.p95 else None
        d["status"] = PromiseStatus(self.status).value
        return d


@dataclass(slots=True)
class BatchQuote:
    """Quotes for ``N`` orders x ``K`` options as arrays (epoch seconds, NaN = none)."""

    keys: list[str]
    available: np.ndarray  # (N, K) bool
    reason: np.ndarray  # (N, K) int: UnavailableReason codes
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
    #: ``(N, K)`` bool: False where an available option cannot keep its kind's
    #: day (next-day past its cut-off, a weekend) and is quoted for the earliest
    #: time it can be kept instead; None means all nominal.
    nominal: np.ndarray | None = None
