"""Read a carrier catalogue (TOML): region, depots, seasons, carriers and their services.

``promise fit --history FILE.csv --catalogue FILE.toml`` fits on the history
and takes from the catalogue what the history cannot tell: prices, limits,
the region's name and service area, named peak seasons.  Schema (every key
is checked; an unknown key, kind, weekday or a bad date is an
:class:`~engine.errors.InputError` naming it)::

    [region]
    name = "shanghai"                 # required
    tz = "Asia/Shanghai"              # required, IANA name
    currency = "CNY"                  # optional (default: the money of the zone's country); quotes carry it
    holidays = "CN"                   # optional calendar (the `holidays` package): "CN", "AU-NSW" (a subdivision),
                                      # "BR-SP+Corpus Christi" (+ holidays of other categories by name); default for carriers
    radius_km = 60                    # service area: a circle of this radius around every depot ...
    # polygon = [[lon, lat], ...]     # ... or a polygon (GeoJSON order), or
    # polygon_file = "area.geojson"   # a GeoJSON Polygon/Feature file (relative to the catalogue)

    [[depot]]                         # at least one; the first is where quotes leave from
    name = "pudong"
    lat = 31.2304
    lon = 121.4737

    [[season]]                        # named peak seasons; first listed wins where they overlap
    name = "double11"
    from = "11-01"                    # MM-DD (every year) ...
    to = "11-13"
    # from = "2027-01-20"             # ... or YYYY-MM-DD (that year only: Spring Festival moves)

    [carrier.own]
    holidays = "CN"                   # optional, else the region's

    [carrier.own.service.same_day]
    kind = "same_day"                 # same_day, next_day, standard, locker, slot, pickup_point
    label = "Same-day delivery"
    price = { base = 12.0, per_kg = 1.0, per_km = 0.3 }   # optional zones = [[up_to_km, surcharge], ...]
    max_kg = 30
    max_km = 30
    weekdays = ["mon", "tue", "wed", "thu", "fri", "sat"]
    cutoff = "14:00"                  # or { mon = "14:00", sat = "12:00" }

What the quote uses: the region (time zone; the service area: a point
outside the polygon, or farther than ``radius_km`` from every depot, gets
no option, with a reason naming the area), each service's kind, prices
(``base + per_kg * kg + per_km * km`` plus the surcharge of its distance
zone: ``zones = [[10, 0.0], [30, 4.0]]`` as ``[up_to_km, surcharge]``),
weight and distance limits, and its calendar: an order after the day's
cut-off, on a weekday the service does not work or on a public holiday of
its country waits for the next day it takes orders (China's make-up
workdays included) and is promised as one placed then
(:func:`engine.promise.rules.taken`); the seasons get their own tables when
the history has enough of them.  The promised times themselves are learnt
from the history.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from engine.errors import FormatError, HistoryError, InputError
from engine.eta._city import KINDS, City, ServiceSpec, canonical_carrier
from engine.eta.calendar import NO_CUTOFF
from engine.eta.history import History

__all__ = ["Catalogue", "read_catalogue", "apply_catalogue", "CATALOGUE_KINDS"]

#: Kinds a catalogue may name (``pickup_point`` is quoted like a locker).
CATALOGUE_KINDS = tuple(KINDS) + ("pickup_point",)
_WD = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_REGION_KEYS = {"name", "tz", "currency", "holidays", "radius_km", "polygon", "polygon_file"}
_SERVICE_KEYS = {"kind", "label", "price", "max_kg", "max_km", "weekdays", "cutoff", "holidays"}


@dataclass(slots=True)
class Catalogue:
    """A parsed catalogue: the :class:`City` it describes plus what the model records."""

    city: City
    depots: list[tuple[str, float, float]]
    radius_km: float | None
    polygon: np.ndarray | None  # (P, 2) lon, lat
    info: dict[str, Any] = field(default_factory=dict)

    def inside(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """True for points in the service area."""
        from engine.eta.area import inside_area  # noqa: PLC0415

        return inside_area(self.city, lat, lon)


def _seconds(hhmm: str) -> float:
    return int(hhmm[:2]) * 3600.0 + int(hhmm[3:]) * 60.0


def _zones(v: Any, where: str) -> tuple[tuple[float, float], ...]:
    """``[[up_to_km, surcharge], ...]`` with ascending limits."""
    if not isinstance(v, list) or not all(isinstance(z, list) and len(z) == 2 for z in v):
        raise InputError(f"catalogue: {where} must be a list of [up_to_km, surcharge] pairs", field=where)
    out = tuple((_num(a, f"{where}[{i}][0]", 0.0), _num(b, f"{where}[{i}][1]", 0.0)) for i, (a, b) in enumerate(v))
    if any(out[i][0] >= out[i + 1][0] for i in range(len(out) - 1)):
        raise InputError(f"catalogue: {where}: zone limits must increase ({[z[0] for z in out]})", field=where)
    return out


def _need(d: dict, key: str, where: str) -> Any:
    if key not in d:
        raise InputError(f"catalogue: {where}.{key} is required", field=f"{where}.{key}")
    return d[key]


def _num(v: Any, where: str, lo: float = 0.0) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < lo:
        raise InputError(f"catalogue: {where} must be a number >= {lo:g}, got {v!r}", field=where)
    return float(v)


def _country(code: Any, where: str) -> str:
    """A calendar spec (``CN``, ``AU-NSW``, ``BR-SP+Corpus Christi``: :mod:`engine.eta.observance`) as written."""
    from engine.eta.observance import parse_calendar  # noqa: PLC0415 - only catalogues with calendars need holidays

    if not isinstance(code, str):
        raise InputError(f"catalogue: {where} = {code!r} is not a country code the holidays package knows (e.g. CN, FI, US)", field=where)
    try:
        return str(parse_calendar(code, where))
    except InputError as e:
        raise InputError(f"catalogue: {e}", field=where) from None


def _hhmm(v: Any, where: str) -> str:
    ok = isinstance(v, str) and len(v) == 5 and v[2] == ":" and v[:2].isdigit() and v[3:].isdigit()
    if not ok or int(v[:2]) > 23 or int(v[3:]) > 59:
        raise InputError(f"catalogue: {where} = {v!r} is not a time HH:MM", field=where)
    return v


def _season_range(a: Any, b: Any, where: str) -> tuple[int, ...]:
    def parse(v: Any, k: str) -> tuple[int | None, int, int]:
        try:
            if isinstance(v, date):
                return v.year, v.month, v.day
            if isinstance(v, str) and len(v) == 5:
                d = date(2024, int(v[:2]), int(v[3:]))  # a leap year: 02-29 is a valid recurring day
                return None, d.month, d.day
            if isinstance(v, str):
                d = date.fromisoformat(v)
                return d.year, d.month, d.day
        except ValueError:
            pass
        raise InputError(f"catalogue: {where}.{k} = {v!r} is not a date (MM-DD or YYYY-MM-DD)", field=f"{where}.{k}")

    (y0, m0, d0), (y1, m1, d1) = parse(a, "from"), parse(b, "to")
    if (y0 is None) != (y1 is None):
        raise InputError(f"catalogue: {where}: from and to must both be MM-DD or both YYYY-MM-DD", field=where)
    if y0 is None:
        return (m0, d0, m1, d1)  # recurring; may wrap the year end
    n0 = (date(y0, m0, d0) - date(1970, 1, 1)).days
    n1 = (date(y1, m1, d1) - date(1970, 1, 1)).days  # type: ignore[arg-type]
    if n1 < n0:
        raise InputError(f"catalogue: {where}: to ({b}) is before from ({a})", field=where)
    if n1 - n0 > 366:
        raise InputError(f"catalogue: {where}: a season longer than a year ({a} to {b})", field=where)
    return (n0, n1)


def read_catalogue(path: str | Path, own_carrier: str | None = None) -> Catalogue:
    """Parse and validate a catalogue TOML file (see the module docstring for the schema).

    ``own_carrier``: the own fleet's brand name, keyed ``own`` like ``own_fleet`` or ``in-house``
    (:func:`engine.eta._city.canonical_carrier`).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"catalogue file {str(p)!r} not found", field="catalogue")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"catalogue {str(p)!r} is not valid TOML: {exc}", field="catalogue") from None
    unknown = set(doc) - {"region", "depot", "season", "carrier"}
    if unknown:
        raise InputError(f"catalogue: unknown top-level key(s) {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    reg = _need(doc, "region", "catalogue")
    bad = set(reg) - _REGION_KEYS
    if bad:
        raise InputError(f"catalogue: unknown key(s) region.{', region.'.join(sorted(bad))}", field=f"region.{sorted(bad)[0]}")
    name = str(_need(reg, "name", "region"))
    tz = str(_need(reg, "tz", "region"))
    try:
        ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - zoneinfo raises several types for a bad key
        raise InputError(f"catalogue: region.tz = {tz!r} is not an IANA time zone (e.g. Asia/Shanghai)", field="region.tz") from None
    currency = reg.get("currency")
    if currency is None:
        from engine.eta.calendar import currency_of_tz  # noqa: PLC0415

        currency = currency_of_tz(tz)
    else:
        from babel.numbers import is_currency  # noqa: PLC0415

        if not isinstance(currency, str) or not is_currency(currency):
            raise InputError(f"catalogue: region.currency: {currency!r} is not an ISO 4217 code such as CNY", field="region.currency")
    region_cal = _country(reg["holidays"], "region.holidays") if "holidays" in reg else None

    depots = []
    for i, d in enumerate(_need(doc, "depot", "catalogue")):
        la, lo = _num(_need(d, "lat", f"depot[{i}]"), f"depot[{i}].lat", -90), _num(_need(d, "lon", f"depot[{i}]"), f"depot[{i}].lon", -180)
        if la > 90 or lo > 180:
            raise InputError(f"catalogue: depot[{i}] ({la}, {lo}) is not a coordinate", field=f"depot[{i}]")
        depots.append((str(d.get("name", f"depot{i}")), la, lo))
    if not depots:
        raise InputError("catalogue: at least one [[depot]] is required", field="depot")

    polygon = None
    radius = None
    if "polygon" in reg or "polygon_file" in reg:
        raw = reg.get("polygon")
        if "polygon_file" in reg:
            gp = p.parent / str(reg["polygon_file"])
            try:
                gj = json.loads(gp.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"catalogue: region.polygon_file {str(gp)!r} cannot be read as GeoJSON: {exc}", field="region.polygon_file") from None
            geom = gj.get("geometry", gj) if isinstance(gj, dict) else None
            if not isinstance(geom, dict) or geom.get("type") != "Polygon" or not geom.get("coordinates"):
                raise InputError("catalogue: region.polygon_file must hold a GeoJSON Polygon", field="region.polygon_file")
            raw = geom["coordinates"][0]
        try:
            polygon = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            polygon = None
        if polygon is None or polygon.ndim != 2 or polygon.shape[1] != 2 or polygon.shape[0] < 3:
            raise InputError("catalogue: region.polygon must be >= 3 [lon, lat] pairs", field="region.polygon")
        if not (np.isfinite(polygon).all() and (np.abs(polygon[:, 0]) <= 180).all() and (np.abs(polygon[:, 1]) <= 90).all()):
            raise InputError("catalogue: region.polygon has a vertex that is not a [lon, lat] coordinate", field="region.polygon")
        bbox = (float(polygon[:, 1].min()), float(polygon[:, 0].min()), float(polygon[:, 1].max()), float(polygon[:, 0].max()))
    else:
        radius = _num(_need(reg, "radius_km", "region"), "region.radius_km", 0.1)
        from engine.eta.region import bbox_around  # noqa: PLC0415

        boxes = [bbox_around((la, lo), radius) for _, la, lo in depots]
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    seasons = []
    for i, s in enumerate(doc.get("season", [])):
        where = f"season[{i}]"
        sname = str(_need(s, "name", where))
        if not sname or "@" in sname or ":" in sname:
            raise InputError(f"catalogue: {where}.name = {sname!r} must be non-empty without '@' or ':'", field=f"{where}.name")
        rng = _season_range(_need(s, "from", where), _need(s, "to", where), f"season {sname!r}")
        seasons.append((sname, (rng,)))
    merged: dict[str, list[tuple[int, ...]]] = {}
    for sname, rs in seasons:  # a name listed twice (one range per year) is one season
        merged.setdefault(sname, []).extend(rs)

    services: list[ServiceSpec] = []
    calendars: dict[str, Any] = {}
    own_days: list[int] = []
    for cname_written, c in (doc.get("carrier") or {}).items():
        cname = canonical_carrier(cname_written, own_carrier)  # [carrier.own_fleet] is the own fleet, as in a history
        cal = _country(c["holidays"], f"carrier.{cname_written}.holidays") if "holidays" in c else region_cal
        bad = set(c) - {"holidays", "service"}
        if bad:
            raise InputError(f"catalogue: unknown key(s) carrier.{cname_written}.{sorted(bad)[0]}", field=f"carrier.{cname_written}.{sorted(bad)[0]}")
        for sname, s in (c.get("service") or {}).items():
            where = f"carrier.{cname_written}.service.{sname}"
            bad = set(s) - _SERVICE_KEYS
            if bad:
                raise InputError(f"catalogue: unknown key {where}.{sorted(bad)[0]}", field=f"{where}.{sorted(bad)[0]}")
            kind = _need(s, "kind", where)
            if kind not in CATALOGUE_KINDS:
                raise InputError(f"catalogue: {where}.kind = {kind!r} is not one of {', '.join(CATALOGUE_KINDS)}", field=f"{where}.kind")
            price = s.get("price", {})
            if not isinstance(price, dict):
                raise InputError(f"catalogue: {where}.price must be a table (base, per_kg, per_km, zones)", field=f"{where}.price")
            bad = set(price) - {"base", "per_kg", "per_km", "zones"}
            if bad:
                raise InputError(f"catalogue: unknown key {where}.price.{sorted(bad)[0]}", field=f"{where}.price")
            zones = _zones(price.get("zones", []), f"{where}.price.zones")
            wds = s.get("weekdays", list(_WD[:6] if kind in ("same_day", "next_day", "slot") else _WD[:5]))
            if not isinstance(wds, list) or not wds:
                raise InputError(f"catalogue: {where}.weekdays must be a non-empty list such as [\"mon\", \"fri\"]", field=f"{where}.weekdays")
            for w in wds:
                if w not in _WD:
                    raise InputError(f"catalogue: {where}.weekdays: {w!r} is not one of {', '.join(_WD)}", field=f"{where}.weekdays")
            cut = s.get("cutoff")
            cuts: dict[str, str] = {}
            if isinstance(cut, str):
                cuts = {w: _hhmm(cut, f"{where}.cutoff") for w in wds}
            elif isinstance(cut, dict):
                for w, v in cut.items():
                    if w not in _WD:
                        raise InputError(f"catalogue: {where}.cutoff: {w!r} is not one of {', '.join(_WD)}", field=f"{where}.cutoff")
                    if w not in wds:
                        raise InputError(f"catalogue: {where}.cutoff.{w}: the service does not work on {w} (weekdays = {wds})", field=f"{where}.cutoff.{w}")
                    cuts[w] = _hhmm(v, f"{where}.cutoff.{w}")
            elif cut is not None:
                raise InputError(f"catalogue: {where}.cutoff must be HH:MM or a table of weekday = HH:MM", field=f"{where}.cutoff")
            scal = _country(s["holidays"], f"{where}.holidays") if "holidays" in s else cal
            services.append(ServiceSpec(
                cname, sname, "locker" if kind == "pickup_point" else kind,
                _num(price.get("base", 0.0), f"{where}.price.base"), _num(price.get("per_kg", 0.0), f"{where}.price.per_kg"),
                _num(price.get("per_km", 0.0), f"{where}.price.per_km"),
                max_km=_num(s.get("max_km", 1000.0), f"{where}.max_km"), max_kg=_num(s.get("max_kg", 35.0), f"{where}.max_kg"),
                label=str(s.get("label", f"{cname} {sname}")),
                weekdays=tuple(sorted({_WD.index(w) for w in wds})),
                cutoffs=tuple(_seconds(cuts[w]) if w in cuts else NO_CUTOFF for w in _WD) if cuts else (),
                holidays=scal or "", zones=zones,
            ))
            if f"{cname}:{sname}" in calendars:
                raise InputError(f"catalogue: {where} is the own fleet's {sname!r} a second time ([carrier.{cname_written}] and another"
                                 f" section both name the own fleet)", field=where)
            calendars[f"{cname}:{sname}"] = {"kind": kind, "weekdays": list(wds), "cutoff": cuts, "holidays": scal}
            if cname == "own" and wds:
                own_days.append(max(_WD.index(w) for w in wds) + 1)
    if not services:
        raise InputError("catalogue: no [carrier.<name>.service.<name>] given", field="carrier")
    city = City(
        currency=currency,
        name=name, tz=tz, bbox=bbox, depot=(depots[0][1], depots[0][2]), services=tuple(services),
        area_polygon=tuple((float(x), float(y)) for x, y in polygon.tolist()) if polygon is not None else (),
        area_radius_km=radius or 0.0, area_centres=tuple((la, lo) for _, la, lo in depots) if polygon is None else (),
        fleet_weekdays=max(own_days) if own_days else 6, holidays=region_cal or "", seasons=tuple((n, tuple(rs)) for n, rs in merged.items()),  # type: ignore[arg-type]
    )
    info = {
        "catalogue": str(p), "region": name, "tz": tz, "currency": currency or None, "holidays": region_cal,
        "area": {"radius_km": radius, "depots": [list(d) for d in depots]} if polygon is None else {"polygon": polygon.tolist()},
        "services": calendars, "seasons": [n for n in merged],
    }
    return Catalogue(city, depots, radius, polygon, info)


def apply_catalogue(history: History, cat: Catalogue, strict: bool = True) -> tuple[City, History]:
    """The catalogue's city and the history restricted to its service area, checked against each other.

    The history's offsets must fit the catalogue's time zone; a catalogue
    service with no row in the history is an error (nothing to learn its
    times from) when ``strict``.
    """
    from engine.eta.region import infer_tz  # noqa: PLC0415

    f = history.frame
    if len(f) == 0:
        raise HistoryError("no usable rows in the history: " + str(history.summary()["skipped_by_reason"]))
    infer_tz(f, cat.city.tz)
    ok = cat.inside(f["dest_lat"].to_numpy(), f["dest_lon"].to_numpy())
    h = history
    if not ok.all():
        from collections import Counter  # noqa: PLC0415

        sk = Counter(history.skipped)
        sk["point outside the map"] += int((~ok).sum())
        h = replace(history, frame=f[ok].reset_index(drop=True), skipped=sk)
    seen = set((h.frame["carrier"] + ":" + h.frame["service"]).tolist())
    # A slot reads its carrier's next-day table: it needs no rows of its own.
    missing = [s.key for s in cat.city.services if s.key not in seen and s.kind != "slot"]
    if missing and strict:
        raise HistoryError(
            f"catalogue service(s) {', '.join(missing)} have no rows in the history (inside the service area): "
            "nothing to learn their delivery times from; remove them or add their history"
        )
    return cat.city, h
