"""Pydantic models of the quote / promise-check contract (``/v1/quotes``, ``/v1/promises/check``).

Every number is a JSON number (not ``true`` or ``"1"``, which pydantic's lax
mode would read as one), finite and range-checked, and every time is an
ISO-8601 string with a UTC offset in 2000-2099, so bad input is a 422 naming
the field rather than an error deep in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, model_validator

from engine.domain.promise import CheckResult, DeliveryOption, PromiseStatus
from engine.eta._time import MAX_YEAR, MIN_YEAR


def _aware(v: datetime) -> datetime:
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueError("time needs a UTC offset, e.g. 2026-11-11T10:40:00+02:00")
    if not (MIN_YEAR <= v.year < MAX_YEAR):
        raise ValueError(f"year {v.year} is outside {MIN_YEAR}-{MAX_YEAR - 1}")
    try:
        v.timestamp()
    except (OverflowError, ValueError) as exc:  # pragma: no cover - guarded by the year check
        raise ValueError(f"time out of range: {exc}") from None
    return v


def _json_number(v: Any) -> Any:
    if isinstance(v, (bool, str)):
        raise ValueError("must be a JSON number")
    return v


def _json_time(v: Any) -> Any:
    if isinstance(v, (bool, int, float)):
        raise ValueError("time must be an ISO-8601 string with a UTC offset, e.g. 2026-11-11T10:40:00+02:00")
    return v


AwareDatetime = Annotated[datetime, BeforeValidator(_json_time), AfterValidator(_aware)]
Number = BeforeValidator(_json_number)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LatLon(_Strict):
    lat: Annotated[float, Number] = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: Annotated[float, Number] = Field(ge=-180, le=180, allow_inf_nan=False)


class ItemIn(_Strict):
    weight_kg: Annotated[float, Number] = Field(0.0, ge=0, le=10_000, allow_inf_nan=False)
    quantity: Annotated[int, Number] = Field(1, ge=1, le=10_000)


class SlotIn(_Strict):
    """The delivery window the customer picked: its slot option is quoted for it."""

    start: AwareDatetime
    end: AwareDatetime | None = Field(None, description="Default: start plus the region's slot length.")

    @model_validator(mode="after")
    def _ordered(self) -> "SlotIn":
        if self.end is not None and self.end <= self.start:
            raise ValueError("slot end must be after its start")
        return self


class QuoteRequest(_Strict):
    """One cart to quote."""

    order_id: str = Field("", max_length=200)
    destination: LatLon
    order_time: AwareDatetime | None = Field(None, description="When the order is created (default: now).")
    items: list[ItemIn] = Field(min_length=1, max_length=1000)
    target: Annotated[float, Number] = Field(0.95, ge=0.5, le=0.99, allow_inf_nan=False, description="Probability the promise must be met with.")
    only: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=50, description="Restrict to options: 'carrier:service', a carrier or a service."
    )
    capacity_left: dict[Annotated[str, Field(max_length=100)], Annotated[int, Number, Field(ge=-10**9, le=10**9)]] | None = Field(
        None, max_length=50, description="Orders today's plan can still take, per option key or 'own'."
    )
    origin: LatLon | None = None
    slot: SlotIn | None = Field(None, description="A window the customer picked: slot options are quoted for it, or withdrawn past its booking cut-off.")
    region: str | None = Field(
        None, min_length=1, max_length=100,
        description="Region whose model quotes (e.g. 'helsinki', 'shanghai', or a fitted model's region); default: the server's (PROMISE_DEFAULT_REGION).",
    )


class BatchQuoteRequest(_Strict):
    """Several carts in one call."""

    orders: list[QuoteRequest] = Field(min_length=1, max_length=1000)
    region: str | None = Field(None, min_length=1, max_length=100, description="Region of every order that names none.")


def _which(v: Any) -> str:
    return "batch" if isinstance(v, dict) and "orders" in v else "single"


QuoteBody = Annotated[
    Union[Annotated[QuoteRequest, Tag("single")], Annotated[BatchQuoteRequest, Tag("batch")]],
    Discriminator(_which),
]


class QuoteResponse(BaseModel):
    order_id: str
    created_at: datetime
    model: str = Field(description="'default' (shipped simulated-history model) or 'fitted'.")
    model_name: str
    region: str = Field(description="Region of the model that quoted.")
    target: float
    currency: str = Field(description="ISO 4217 code of every option's cost ('' when the region's model does not say).")
    # The engine's record itself (pydantic reads a dataclass's fields): the documented option cannot drift from it.
    options: list[DeliveryOption]


class BatchQuoteResponse(BaseModel):
    quotes: list[QuoteResponse]


class PromiseIn(_Strict):
    order_id: str = Field("", max_length=200)
    carrier: str = Field(min_length=1, max_length=100)
    service: str = Field(min_length=1, max_length=100)
    created_at: AwareDatetime
    promised_by: AwareDatetime
    target: Annotated[float, Number] = Field(0.95, gt=0, lt=1, allow_inf_nan=False)
    window_start: AwareDatetime | None = None
    destination: LatLon | None = None


class StateIn(_Strict):
    status: PromiseStatus = PromiseStatus.PENDING
    handed_over_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    eta_p50: AwareDatetime | None = None
    eta_p95: AwareDatetime | None = None
    eta_samples: list[AwareDatetime] | None = Field(None, max_length=10_000)


class CheckRequest(_Strict):
    promise: PromiseIn
    now: AwareDatetime | None = Field(None, description="Default: now.")
    state: StateIn = StateIn()
    region: str | None = Field(
        None, min_length=1, max_length=100,
        description="Region whose model checks the promise (e.g. 'helsinki', 'shanghai', or a fitted model's region); default: the server's (PROMISE_DEFAULT_REGION).",
    )


@dataclass
class CheckResponse(CheckResult):
    """The engine's check result (its fields, so the contract cannot drift from it) and the model that gave it."""

    model: str
    region: str = ""
