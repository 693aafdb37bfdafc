"""Road classes, default speeds, ``maxspeed`` parsing and the time-of-day profile.

Every directed edge carries an ``int8`` road-class code (an index into
``ROAD_CLASSES``) so that the congestion profile is one fancy-indexing
operation over all edges: ``free_flow_time / SPEED_FACTOR[period, road_class]``.

The profile is piecewise constant over a handful of periods (``PERIODS``), so a
matrix layer that preprocesses the network per departure time needs one
preprocessing per period, not per hour; ``profile_id(hour)`` names the period.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from engine.errors import NetworkError

#: Road classes in code order.  ``*_link`` ramps get their own codes because
#: their free-flow speed differs from the road they join.  ``road`` is the
#: catch-all for OSM ``highway`` values we accept as drivable but don't model.
ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "service",
    "living_street",
    "road",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
)
CLASS_CODE: dict[str, int] = {name: i for i, name in enumerate(ROAD_CLASSES)}
UNKNOWN_CLASS: int = CLASS_CODE["road"]

#: Free-flow speed (km/h) when an edge has no usable ``maxspeed``; the same
#: orders of magnitude as osmnx's fallbacks.
DEFAULT_SPEED_KMH: np.ndarray = np.array(
    [110.0, 90.0, 60.0, 50.0, 40.0, 40.0, 30.0, 20.0, 10.0, 30.0, 60.0, 50.0, 40.0, 40.0, 30.0],
    dtype=np.float64,
)

#: Periods of the day: (name, [start_hour, end_hour) spans).  Night is free
#: flow; 6-7 is a shoulder priced like midday.
PERIODS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("night", ((0, 6), (22, 24))),
    ("morning_peak", ((7, 10),)),
    ("midday", ((6, 7), (10, 16))),
    ("evening_peak", ((16, 19),)),
    ("evening", ((19, 22),)),
)
PERIOD_NAMES: tuple[str, ...] = tuple(name for name, _ in PERIODS)


def _hour_table() -> np.ndarray:
    table = np.full(24, -1, dtype=np.int8)
    for pid, (_, spans) in enumerate(PERIODS):
        for a, b in spans:
            table[a:b] = pid
    assert (table >= 0).all(), "PERIODS must cover every hour"
    return table


#: Period id for each whole hour 0..23.
HOUR_TO_PERIOD: np.ndarray = _hour_table()

# Speed multipliers (<= 1) per period (rows, PERIODS order) and base class
# (columns, first nine ROAD_CLASSES).  Big roads lose the most in the peaks,
# quiet residential streets barely change.
_BASE_FACTORS = np.array(
    [
        # motorway trunk primary secondary tertiary unclass resid service living
        [1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00],  # night
        [0.60, 0.62, 0.65, 0.70, 0.75, 0.85, 0.88, 0.92, 0.95],  # morning peak
        [0.85, 0.85, 0.82, 0.85, 0.88, 0.92, 0.93, 0.95, 0.97],  # midday
        [0.55, 0.58, 0.60, 0.65, 0.72, 0.82, 0.85, 0.90, 0.94],  # evening peak
        [0.90, 0.90, 0.90, 0.92, 0.94, 0.96, 0.97, 0.98, 0.99],  # evening
    ],
    dtype=np.float64,
)
# "road" behaves like an unclassified road; links like the road they join.
_FACTOR_COLUMN = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 5, 0, 1, 2, 3, 4])
#: ``SPEED_FACTOR[period, road_class]``: speed multiplier in that period.
SPEED_FACTOR: np.ndarray = _BASE_FACTORS[:, _FACTOR_COLUMN].copy()
SPEED_FACTOR.setflags(write=False)
DEFAULT_SPEED_KMH.setflags(write=False)


def profile_id(hour: float) -> int:
    """Period id (index into ``PERIOD_NAMES``) for a departure ``hour``.

    Hours wrap around midnight (25.5 is 01:30 next day).  Raises ``NetworkError``
    for a non-finite hour.
    """
    try:
        h = float(hour)
    except (TypeError, ValueError):
        h = math.nan
    if not math.isfinite(h):
        raise NetworkError(f"departure hour must be a finite number, got {hour!r}", field="hour")
    return int(HOUR_TO_PERIOD[int(math.floor(h)) % 24])


def class_code(highway: Any) -> int:
    """Road-class code for an OSM ``highway`` value (a list takes its first known class)."""
    if isinstance(highway, (list, tuple)):
        for h in highway:
            code = CLASS_CODE.get(str(h))
            if code is not None:
                return code
        return UNKNOWN_CLASS
    return CLASS_CODE.get(str(highway), UNKNOWN_CLASS)


# Implicit national limits ("DE:urban"); zone names that aren't a number.
_ZONE_KMH: dict[str, float] = {
    "urban": 50.0,
    "rural": 90.0,
    "motorway": 120.0,
    "trunk": 100.0,
    "living_street": 10.0,
    "walk": 7.0,
    "school": 30.0,
    "zone30": 30.0,
    "zone:30": 30.0,
    "bicycle_road": 30.0,
    "nsl_single": 96.6,  # GB national speed limit, single carriageway (60 mph)
    "nsl_dual": 112.7,  # GB, dual carriageway (70 mph)
    "nsl_restricted": 48.3,  # GB, 30 mph
}
# Country-specific exceptions to the zone table above.
_COUNTRY_ZONE_KMH: dict[tuple[str, str], float] = {
    ("RU", "urban"): 60.0,
    ("RU", "rural"): 90.0,
    ("DE", "rural"): 100.0,
    ("AT", "rural"): 100.0,
    ("FR", "rural"): 80.0,
    ("FI", "rural"): 80.0,
    ("DE", "motorway"): 130.0,
    ("FR", "motorway"): 130.0,
    ("IT", "motorway"): 130.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$", re.IGNORECASE)
_MPH = 1.609344


def _parse_one(text: str) -> float:
    text = text.strip()
    if not text:
        return math.nan
    m = _NUMBER.match(text)
    if m:
        value = float(m.group(1).replace(",", "."))
        unit = (m.group(2) or "").lower()
        if unit == "mph":
            value *= _MPH
        elif unit == "knots":
            value *= 1.852
        return value if value > 0 else math.nan
    low = text.lower()
    if ":" in text:
        country, zone = text.split(":", 1)
        zone = zone.strip().lower()
        key = (country.strip().upper(), zone)
        if key in _COUNTRY_ZONE_KMH:
            return _COUNTRY_ZONE_KMH[key]
        return _ZONE_KMH.get(zone, math.nan)
    if low in ("walk", "living_street"):
        return _ZONE_KMH[low]
    # "none" (no limit), "signals", "variable", ...: no number to use.
    return math.nan


def parse_maxspeed(value: Any) -> float:
    """Parse an OSM ``maxspeed`` value to km/h, ``nan`` when it has no usable number.

    Handles plain numbers (``"50"``, ``50``), units (``"30 mph"``, ``"25mph"``),
    implicit zones (``"RU:urban"``, ``"DE:zone30"``, ``"GB:nsl_single"``) and
    lists (``"50;70"``, ``["50", "70"]`` from merged edges), whose known values
    are averaged like osmnx does.
    """
    if value is None:
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else math.nan
    if isinstance(value, (list, tuple, np.ndarray)):
        parts = [parse_maxspeed(v) for v in value]
    else:
        parts = [_parse_one(p) for p in str(value).replace("|", ";").split(";")]
    good = [p for p in parts if math.isfinite(p)]
    return float(sum(good) / len(good)) if good else math.nan


def edge_speed_kmh(maxspeed: Any, road_class: int) -> float:
    """Free-flow speed of one edge: its ``maxspeed`` when usable, else the class default."""
    v = parse_maxspeed(maxspeed)
    return v if math.isfinite(v) else float(DEFAULT_SPEED_KMH[road_class])


def speed_factors(hour: float, road_class: np.ndarray) -> np.ndarray:
    """Per-edge speed multiplier at a departure ``hour`` (vectorised over ``road_class``)."""
    return SPEED_FACTOR[profile_id(hour)][road_class.astype(np.intp, copy=False)]
