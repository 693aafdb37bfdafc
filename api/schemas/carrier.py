"""Pydantic models of ``/v1/carrier-events`` (carrier tracking in) and ``/v1/backlog`` (the live correction out)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from api.schemas.quote import AwareDatetime, LatLon, Number, _Strict

__all__ = ["CarrierEventIn", "CarrierEventsIn", "CarrierEventsOut", "IgnoredOut", "BacklogService", "BacklogOut"]

MAX_EVENTS = 5000


class CarrierEventIn(_Strict):
    """A carrier took a parcel (``accepted``: where it goes and what it weighs price its promise) or delivered it."""

    order_id: str = Field(min_length=1, max_length=128)
    kind: Literal["accepted", "delivered"]
    at: AwareDatetime
    carrier: str = Field(min_length=1, max_length=64)
    service: str = Field(min_length=1, max_length=64)
    #: the model's region (the served default when absent)
    region: str | None = Field(None, min_length=1, max_length=64)
    #: required for ``accepted``
    destination: LatLon | None = None
    origin: LatLon | None = None
    weight_kg: Annotated[float, Number] = Field(0.0, ge=0, le=10_000, allow_inf_nan=False)


class CarrierEventsIn(_Strict):
    events: list[CarrierEventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class IgnoredOut(_Strict):
    index: int
    order_id: str
    reason: str


class CarrierEventsOut(_Strict):
    stored: int
    #: accepted parcels the model gives no promise for (outside the area, ...): not stored, as there is no promise to measure
    ignored: list[IgnoredOut]


class BacklogService(_Strict):
    #: hours added to this service's ordinary promises now (a late carrier)
    shift_h: float
    #: the lower promise level its ordinary promises are read at now (an early carrier; None: their own)
    level: float | None = None
    #: share of the window's uncorrected promises met, recent days weighing more (None: too few outcomes yet)
    coverage: float | None
    #: share the corrected promises (shifted, or at the lower level) would have met
    coverage_at_shift: float | None
    open: int
    #: orders created in a season or on a holiday are measured apart: their hours, by label
    seasons: dict[str, float] = {}
    #: and the lower level those read at, by label (only the labels narrowed by level)
    season_levels: dict[str, float] = {}


class BacklogOut(_Strict):
    region: str
    as_of: str | None
    events: int
    #: deliveries whose acceptance has not arrived yet (closed when it does)
    waiting_for_acceptance: int
    #: deliveries whose acceptance never arrived within 30 days
    orphans: int
    services: dict[str, BacklogService]
