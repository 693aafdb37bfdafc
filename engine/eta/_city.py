"""The embedded city's delivery set-up: map area, depot and service catalogue.

The catalogue is what checkout can offer (prices, areas, weight limits); the
fitted model says *when* each offer arrives.  A model fitted on a customer's
own history keeps this catalogue for prices unless it brings its own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import InputError

#: (name, ((month, day, month, day), ...)) per season: recurring every year; a
#: range of two ints is one dated range of local day numbers (days since 1970-01-01).
Seasons = tuple[tuple[str, tuple[tuple[int, ...], ...]], ...]

#: The carrier name of the own fleet (its same-day and slots are time-critical).
OWN_FLEET = "own"
#: How histories and catalogues write the own fleet (compared without case): each is read as :data:`OWN_FLEET`.
#: A fleet with a brand name is named with ``promise fit --own-carrier NAME``.
OWN_ALIASES = frozenset({
    "own", "own fleet", "own_fleet", "own-fleet", "ownfleet", "own delivery", "own_delivery", "own-delivery",
    "in-house", "in house", "in_house", "inhouse", "self delivery", "self_delivery", "self-delivery",
    "platform fleet", "platform_fleet",
    # As platforms write it at home: Chinese, Portuguese, Spanish, German, French, Indonesian.
    "自营", "自营配送", "自营物流", "自营车队", "自配送", "自有车队", "自有运力", "平台配送",
    "frota própria", "frota propria", "entrega própria", "entrega propria", "flota propia", "reparto propio",
    "eigene flotte", "eigenzustellung", "flotte propre", "livraison propre", "armada sendiri", "kurir sendiri",
})


def canonical_carrier(name: str, own: str | None = None) -> str:
    """``name`` as the engine keys it: :data:`OWN_FLEET` for the own fleet, else as written.

    The own fleet is ``own`` (any case) or one of :data:`OWN_ALIASES`; when its name is given (``own``,
    from ``--own-carrier``), that name and ``own`` itself, and no alias: ``own_fleet`` and a named brand are
    never merged into one.
    """
    n = name.strip()
    low = n.lower()
    if low == OWN_FLEET or (low == own.strip().lower() if own is not None else low in OWN_ALIASES):
        return OWN_FLEET
    return n

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
    #: Weekdays (Mon = 0) on which the service takes orders in; () with no
    #: ``cutoffs`` and no ``holidays``: no calendar of its own (the history's times alone).
    weekdays: tuple[int, ...] = ()
    #: Cut-off per weekday (7 values, seconds after local midnight; 86400: none that day); () for none.
    cutoffs: tuple[float, ...] = ()
    #: Country code (the ``holidays`` package) of the public holidays the service
    #: takes no orders in on (make-up workdays it does); "" for none.
    holidays: str = ""
    #: Distance zones ``((up_to_km, surcharge), ...)``, ascending: the first zone
    #: holding the distance adds its surcharge (beyond the last: the last one's).
    zones: tuple[tuple[float, float], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.carrier}:{self.service}"

    @property
    def has_calendar(self) -> bool:
        """True when orders must respect the service's own weekdays, cut-offs or holidays."""
        return bool(self.weekdays or self.cutoffs or self.holidays)

    @staticmethod
    def from_json(d: dict[str, Any]) -> "ServiceSpec":
        d = dict(d)
        d["weekdays"] = tuple(int(x) for x in d.get("weekdays", ()))
        d["cutoffs"] = tuple(float(x) for x in d.get("cutoffs", ()))
        d["zones"] = tuple((float(a), float(b)) for a, b in d.get("zones", ()))
        return ServiceSpec(**d)


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
    #: Length of a booked slot (seconds) and the times of day (hours) slots start at; empty: every whole hour
    #: of ``slot_hours``.  A fit learns both from a history's booked slots.
    slot_len_s: float = 3600.0
    slot_times: tuple[float, ...] = ()
    #: Per slot time (aligned with ``slot_times``): the shortest time before its start a customer could still
    #: book it (hours; the history's booking cut-off, "22:00 the day before" for a 07:00 slot).  Empty: a slot
    #: is offered once the parcel can be ready for it (``engine.promise.rules.slot_start``).
    slot_lead_h: tuple[float, ...] = ()
    #: Own fleet drives on weekdays < this (6: Monday to Saturday).
    fleet_weekdays: int = 6
    #: Seasons as (name, ((month, day, month, day), ...)), inclusive local
    #: dates, first match wins: the model keeps separate tables for a season
    #: when the history has enough rows of it.  Only the peak (Black Friday to
    #: Christmas) by default: a separate winter table did not improve held-out
    #: coverage (benchmarks/calibration.py), the peak table took it from 92% to 95%.
    seasons: Seasons = (("peak", ((11, 20, 12, 22),)),)
    #: Country code of the public-holiday calendar (the ``holidays`` package):
    #: the fit labels holidays and make-up workdays and learns their own
    #: tables when the history has enough of them.  "" for none.
    holidays: str = ""
    #: Local day numbers (days since 1970-01-01) the own fleet does not drive:
    #: the public holidays on which the history shows it idle (booked slots skip them).
    closed_days: tuple[int, ...] = ()
    #: Local day numbers of the public holidays that close a carrier/service of ``holiday_idle``
    #: (``engine.promise.rules.holiday_days`` moves its promises past them): every holiday when its
    #: tables learnt with the holidays taken out of its times (``engine.eta.warp``, fits since 2026-12-02),
    #: else the breaks the history never saw (``engine.eta.calendar.new_holidays``; its holiday table held the rest).
    new_holidays: tuple[int, ...] = ()
    #: Days of the longest public-holiday break inside the history (``engine.eta.calendar.seen_break_days``):
    #: what a holiday table (``@holiday``) learnt already holds of a longer new one.
    seen_break_days: int = 0
    #: Carrier/services (``carrier:service``) the history shows idle on its public holidays: they are taken
    #: to stop on the ``new_holidays`` (``engine.promise.rules.holiday_days``).
    holiday_idle: tuple[str, ...] = ()
    #: Carrier/services not in ``holiday_idle`` that the history shows idle on some holidays (by name, every
    #: date of it the history holds: Chuseok for an own fleet that works other holidays): ``(key, local day
    #: numbers of those holidays, history years and three after)``.  A promise moves past them like past
    #: ``new_holidays`` (``engine.promise.rules.holiday_days``).
    holiday_stops: tuple[tuple[str, tuple[int, ...]], ...] = ()
    #: The service area inside ``bbox``: a polygon ``((lon, lat), ...)`` (GeoJSON
    #: order), or a radius (km) around ``area_centres`` (lat, lon); neither: the bbox.
    area_polygon: tuple[tuple[float, float], ...] = ()
    area_radius_km: float = 0.0
    area_centres: tuple[tuple[float, float], ...] = ()
    #: ISO 4217 code the services' prices are in ("" unknown): a checkout shows the price with it.
    currency: str = ""
    #: Edges (km from the origin) of the three distance bands the tables keep apart: a metro's (15, 45) by
    #: default; a fit learns a region's own (a metro and a country's far cities, ``engine.eta.bands.fit_band_edges``).
    band_edges_km: tuple[float, float] = (15.0, 45.0)

    def __post_init__(self) -> None:
        # The learnt fields are read by index at quote time: checked here, where a hand-edited model.json says
        # which key is wrong, not as an IndexError in a quote.
        e = self.band_edges_km
        if len(e) != 2 or not all(math.isfinite(x) for x in e) or not (0.0 <= e[0] < e[1]):
            raise InputError(f"band_edges_km {list(e)} must be two ascending distances (km)", field="band_edges_km")
        if len(self.slot_lead_h) not in (0, len(self.slot_times)):
            raise InputError(f"slot_lead_h has {len(self.slot_lead_h)} values for {len(self.slot_times)} slot_times", field="slot_lead_h")
        if not (self.slot_len_s > 0) or any(not (0.0 <= t < 24.0) for t in self.slot_times) or any(not (x >= 0.0) for x in self.slot_lead_h):
            raise InputError("slot_len_s must be > 0, slot_times hours in [0, 24), slot_lead_h >= 0", field="slot_times")

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
            services=tuple(ServiceSpec.from_json(s) for s in d["services"]),
            slot_hours=tuple(d.get("slot_hours", (9, 21))),  # type: ignore[arg-type]
            slot_len_s=float(d.get("slot_len_s", 3600.0)),
            band_edges_km=tuple(float(x) for x in d.get("band_edges_km", (15.0, 45.0))),  # type: ignore[arg-type]
            slot_times=tuple(float(x) for x in d.get("slot_times", ())),
            slot_lead_h=tuple(float(x) for x in d.get("slot_lead_h", ())),
            fleet_weekdays=int(d.get("fleet_weekdays", 6)),
            seasons=tuple((n, tuple(tuple(r) for r in rs)) for n, rs in d.get("seasons", ())),  # type: ignore[misc]
            holidays=str(d.get("holidays", "")),
            closed_days=tuple(int(x) for x in d.get("closed_days", ())),
            new_holidays=tuple(int(x) for x in d.get("new_holidays", ())),
            seen_break_days=int(d.get("seen_break_days", 0)),
            holiday_idle=tuple(str(x) for x in d.get("holiday_idle", ())),
            holiday_stops=tuple((str(k), tuple(int(x) for x in days)) for k, days in d.get("holiday_stops", ())),
            area_polygon=tuple((float(a), float(b)) for a, b in d.get("area_polygon", ())),
            area_radius_km=float(d.get("area_radius_km", 0.0)),
            area_centres=tuple((float(a), float(b)) for a, b in d.get("area_centres", ())),
            currency=str(d.get("currency") or "") if "currency" in d else _currency_of(str(d["tz"])),
        )


def _currency_of(tz: str) -> str:
    # Models saved before cities had a currency: the money of their zone's country.
    from engine.eta.calendar import currency_of_tz  # noqa: PLC0415

    return currency_of_tz(tz)


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
    currency="EUR",
)

#: The second embedded region: a synthetic metro centred on Shanghai, priced in
#: CNY, on China's calendar (public holidays, make-up workdays) with its two
#: shopping peaks.  Its history comes from ``engine.eta.simulate`` with those
#: holidays closing the carriers; travel times are great-circle based (no road
#: network of the region ships with the engine).
SHANGHAI = City(
    name="shanghai",
    tz="Asia/Shanghai",
    bbox=(30.70, 120.85, 31.85, 122.10),
    depot=(31.2304, 121.4737),  # a warehouse in Pudong
    services=(
        ServiceSpec("own", "same_day", "same_day", 12.0, 1.0, 0.3, max_km=30.0, max_kg=30.0, label="当日达 Same-day"),
        ServiceSpec("own", "next_day", "next_day", 8.0, 1.0, 0.1, max_km=45.0, max_kg=30.0, label="次日达 Next-day"),
        ServiceSpec("own", "slot", "slot", 15.0, 1.0, 0.3, max_km=30.0, max_kg=30.0, label="预约 1-hour slot"),
        ServiceSpec("sf", "standard", "standard", 12.0, 2.0, 0.0, max_km=1000.0, max_kg=35.0, label="SF Express"),
        ServiceSpec("sf", "locker", "locker", 8.0, 1.0, 0.0, max_km=1000.0, max_kg=20.0, label="SF parcel locker"),
        ServiceSpec("zto", "standard", "standard", 6.0, 1.5, 0.0, max_km=1000.0, max_kg=35.0, label="ZTO Express"),
    ),
    seasons=(("double11", ((10, 31, 11, 13),)), ("618", ((6, 1, 6, 20),))),
    holidays="CN",
    currency="CNY",
)

CITIES: dict[str, City] = {"helsinki": HELSINKI, "shanghai": SHANGHAI}


def city(name: str) -> City:
    try:
        return CITIES[name.lower()]
    except KeyError:
        raise InputError(f"unknown city {name!r}; known: {', '.join(sorted(CITIES))}", field="city") from None


def infer_kind(service: str) -> str:
    """Kind of a service name seen in a customer's history (default ``standard``)."""
    # "Same Day", "next-day" and "Pickup Point" are written as the kinds are.
    s = "_".join(service.lower().replace("-", " ").split())
    # How it is delivered before how fast: a "Same Day Slot" is a slot, a "Same-Day Locker" a locker.
    for k in ("slot", "locker", "same_day", "next_day"):
        if k in s:
            return k
    # The same order in the languages platforms write service names in (substrings of the spaced-out name),
    # before "standard": FedEx's "Standard Overnight" is next day.
    for k, words in _KIND_WORDS:
        if any(w in s for w in words):
            return k
    if "standard" in s:
        return "standard"
    if "express" in s or "sameday" in s:
        return "same_day"
    if "pickup" in s or "parcel_point" in s:
        return "locker"
    return "standard"


#: Service-name words per kind beyond the English ones, checked in this order (how before how fast).
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("slot", ("预约", "定时", "时段", "agendad", "janela", "franja", "wunschzeit", "créneau", "creneau")),
    ("locker", ("柜", "驿站", "自提", "armário", "armario", "ponto_de_retirada", "casillero", "packstation",
                "paketshop", "abholstation", "consigne", "point_relais", "loker")),
    ("same_day", ("当日", "当天", "同城急送", "mesmo_dia", "mismo_día", "mismo_dia", "gleicher_tag", "même_jour",
                  "meme_jour", "hari_ini", "sameday")),
    ("next_day", ("次日", "隔日", "次晨", "明日达", "dia_seguinte", "próximo_dia", "proximo_dia", "día_siguiente",
                  "dia_siguiente", "nächster_tag", "naechster_tag", "lendemain", "besok", "overnight")),
)
