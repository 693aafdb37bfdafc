"""Where and when incidents bite: area tests, leg slow-downs, and the checkout's quote adjustment.

An incident slows the legs it touches: a leg whose end point lies in the area
(or that belongs to the vehicle, or leaves from the depot in scope) while the
incident is active takes ``1 / speed_factor`` as long, plus ``extra_s`` once.

Incidents known in advance (a storm warning for tomorrow afternoon) also
reach checkout through :func:`quote_adjustment`: the promise path asks for the
extra time at a destination and time, and gets the reason to show with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

from engine.domain.monitor import Incident, IncidentKind, Scope
from engine.geo import haversine_m

__all__ = ["in_area", "known_incidents", "leg_factor", "publish", "quote_adjustment", "touches_point", "withdraw"]


@lru_cache(maxsize=1 << 16)
def in_area(scope: Scope, lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies in the scope's area (polygon or circle); False when it has none.

    Cached: stops do not move, and a forecast asks again for every batch.
    """
    if scope.center is not None and scope.radius_m:
        if float(haversine_m(scope.center[0], scope.center[1], lat, lon)) <= scope.radius_m:
            return True
    if scope.polygon:
        return _in_polygon(scope.polygon, lat, lon)
    return False


def _in_polygon(poly: tuple[tuple[float, float], ...], lat: float, lon: float) -> bool:
    # Ray casting on (lon, lat): good enough for city-sized areas away from the poles and the date line.
    inside = False
    n = len(poly)
    for i in range(n):
        y1, x1 = poly[i]
        y2, x2 = poly[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x:
                inside = not inside
    return inside


def touches_point(inc: Incident, lat: float, lon: float, t: float, *, vehicle_id: str | None = None,
                  depot: str | None = None, carrier_id: str | None = None) -> bool:
    """Whether ``inc`` applies to a leg ending at (lat, lon) driven at ``t`` by this vehicle/depot/carrier."""
    if not inc.active(t):
        return False
    sc = inc.scope
    if sc.vehicle_id is not None and sc.vehicle_id == vehicle_id:
        return True
    if sc.depot is not None and sc.depot == depot:
        return True
    if sc.carrier_id is not None and sc.carrier_id == carrier_id:
        return True
    return sc.is_area and in_area(sc, lat, lon)


def leg_factor(incidents: Iterable[Incident], lat: float, lon: float, t: float, *, vehicle_id: str | None = None,
               depot: str | None = None) -> tuple[float, list[Incident]]:
    """Travel-time multiplier for a leg ending at (lat, lon) driven at ``t`` and the area incidents that cause it."""
    f = 1.0
    hit: list[Incident] = []
    for inc in incidents:
        if inc.speed_factor < 1.0 and inc.scope.is_area and inc.active(t) and in_area(inc.scope, lat, lon) or inc.speed_factor < 1.0 and inc.active(t) and (
            (inc.scope.vehicle_id and inc.scope.vehicle_id == vehicle_id) or (inc.scope.depot and inc.scope.depot == depot)
        ):
            f /= max(inc.speed_factor, 0.05)
            hit.append(inc)
    return f, hit


# -- known incidents for checkout ------------------------------------------------
_BOARD: dict[str, Incident] = {}
_LOCK = threading.Lock()


def publish(incidents: Iterable[Incident]) -> None:
    """Make incidents known to checkout (the monitor publishes every area incident it ingests)."""
    with _LOCK:
        for inc in incidents:
            _BOARD[inc.incident_id] = inc


def withdraw(incident_id: str | None = None) -> None:
    """Forget one published incident, or all of them."""
    with _LOCK:
        if incident_id is None:
            _BOARD.clear()
        else:
            _BOARD.pop(incident_id, None)


def known_incidents() -> list[Incident]:
    with _LOCK:
        return list(_BOARD.values())


def quote_adjustment(lat: float, lon: float, at: float, *, incidents: Iterable[Incident] | None = None,
                     leg_s: float = 1800.0) -> tuple[float, str]:
    """Extra seconds to add to a promise for a delivery at (lat, lon) around ``at`` (epoch s), and why.

    ``incidents`` defaults to the published ones.  An area incident that covers the
    destination at that time adds ``leg_s * (1 / speed_factor - 1) + extra_s``
    (``leg_s``: the typical last-mile drive the slow-down stretches); several
    add up.  Returns ``(0.0, "")`` when nothing applies.
    """
    pool = known_incidents() if incidents is None else list(incidents)
    extra = 0.0
    reasons: list[str] = []
    for inc in pool:
        if not (inc.scope.is_area and inc.active(at) and in_area(inc.scope, lat, lon)):
            continue
        add = leg_s * (1.0 / max(inc.speed_factor, 0.05) - 1.0) + inc.extra_s
        if add <= 0:
            continue
        extra += add
        reasons.append(describe(inc))
    return extra, "; ".join(reasons)


def describe(inc: Incident) -> str:
    """A short reason for a customer: the incident's own text, else its kind and effect."""
    if inc.text:
        return inc.text
    parts = [str(inc.kind).replace("_", " ")]
    if inc.speed_factor < 1.0:
        parts.append(f"speeds -{round(100 * (1 - inc.speed_factor))}%")
    if inc.extra_s > 0:
        parts.append(f"+{round(inc.extra_s / 60)} min")
    return ", ".join(parts)


__all__ += ["IncidentKind", "describe"]
