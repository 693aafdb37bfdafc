"""The embedded city's delivery set-up: map area, depot and service catalogue.

The catalogue is what checkout can offer (prices, areas, weight limits); the
fitted model says *when* each offer arrives.  A model fitted on a customer's
own history keeps this catalogue for prices unless it brings its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import InputError

#: (name, ((month, day, month, day), ...)) per season: recurring every year; a
#: range of two ints is one dated range of local day numbers (days since 1970-01-01).
Seasons = tuple[tuple[str, tuple[tuple[int, ...], ...]], ...]

#: Kinds of delivery option; ``kind`` decides how a promise is phrased.
KINDS = ("same_day", "next_day", "standard", "locker", "slot")


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One delivery option that checkout can offer."""

    carrier: str
    service: str
    kind: str
    base_cost: float
    cost_per_kg: float = 0.0
    cost_per_km: float = 0.0
    max_km: float = 1000.0
    max_kg: float = 35.0
    label: str = ""

    @property
    def key(self) -> str:
        return f"{self.carrier}:{self.service}"


@dataclass(frozen=True, slots=True)
class City:
    name: str
    tz: str
    #: (min_lat, min_lon, max_lat, max_lon): rows outside are "outside the map".
    bbox: tuple[float, float, float, float]
    depot: tuple[float, float]
    services: tuple[ServiceSpec, ...] = field(default_factory=tuple)
    #: Own-fleet delivery hours (local, hours) for scheduled slots.
    slot_hours: tuple[int, int] = (9, 21)
    #: Own fleet drives on weekdays < this (6: Monday to Saturday).
    fleet_weekdays: int = 6
    #: Seasons as (name, ((month, day, month, day), ...)), inclusive local
    #: dates, first match wins: the model keeps separate tables for a season
    #: when the history has enough rows of it.  Only the peak (Black Friday to
    #: Christmas) by default: a separate winter table did not improve held-out
    #: coverage (benchmarks/calibration.py), the peak table took it from 92% to 95%.
    seasons: Seasons = (("peak", ((11, 20, 12, 22),)),)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["services"] = [asdict(s) for s in self.services]
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> "City":
        return City(
            name=d["name"],
            tz=d["tz"],
            bbox=tuple(d["bbox"]),  # type: ignore[arg-type]
            depot=tuple(d["depot"]),  # type: ignore[arg-type]
            services=tuple(ServiceSpec(**s) for s in d["services"]),
            slot_hours=tuple(d.get("slot_hours", (9, 21))),  # type: ignore[arg-type]
            fleet_weekdays=int(d.get("fleet_weekdays", 6)),
            seasons=tuple((n, tuple(tuple(r) for r in rs)) for n, rs in d.get("seasons", ())),  # type: ignore[misc]
        )


HELSINKI = City(
    name="helsinki",
    tz="Europe/Helsinki",
    # Capital region plus the commuter belt: third-party carriers deliver
    # across it, the own fleet only within its max_km of the depot.
    bbox=(59.90, 23.80, 60.90, 26.00),
    depot=(60.2520, 24.9950),  # a warehouse by Ring III, north Helsinki/Vantaa
    services=(
        ServiceSpec("own", "same_day", "same_day", 6.5, 0.05, 0.10, max_km=30.0, max_kg=30.0, label="Same-day delivery"),
        ServiceSpec("own", "next_day", "next_day", 4.9, 0.05, 0.05, max_km=45.0, max_kg=30.0, label="Next-day delivery"),
        ServiceSpec("own", "slot", "slot", 7.9, 0.05, 0.10, max_km=30.0, max_kg=30.0, label="Scheduled 1-hour slot"),
        ServiceSpec("posti", "standard", "standard", 5.9, 0.20, 0.0, max_km=1000.0, max_kg=35.0, label="Posti home delivery"),
        ServiceSpec("posti", "locker", "locker", 3.9, 0.10, 0.0, max_km=1000.0, max_kg=20.0, label="Posti parcel locker"),
        ServiceSpec("matkahuolto", "standard", "standard", 5.5, 0.15, 0.0, max_km=1000.0, max_kg=35.0, label="Matkahuolto home delivery"),
    ),
)

CITIES: dict[str, City] = {"helsinki": HELSINKI}


def city(name: str) -> City:
    try:
        return CITIES[name.lower()]
    except KeyError:
        raise InputError(f"unknown city {name!r}; known: {', '.join(sorted(CITIES))}", field="city") from None


def infer_kind(service: str) -> str:
    """Kind of a service name seen in a customer's history (default ``standard``)."""
    s = service.lower()
    for k in KINDS:
        if k in s:
            return k
    if "express" in s or "sameday" in s:
        return "same_day"
    if "pickup" in s or "parcel_point" in s:
        return "locker"
    return "standard"
