"""The service area: is a point inside the region's polygon, or within its radius of a depot?

A catalogue gives the area as a GeoJSON polygon or as a radius around its
depots; an inferred region as a radius around the history's depot.  The
bounding box (``City.bbox``) is a cheap first test; this module is the exact
one.  Polygons use :class:`matplotlib.path.Path` (C, vectorised) for arrays
and an even-odd ray cast in plain Python for one checkout cart (a 1-point
``contains_points`` costs more than the ray cast of a city-sized polygon).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from engine.eta._city import City
from engine.geo import EARTH_RADIUS_M, haversine_km

__all__ = ["in_polygon", "in_polygon_one", "inside_area", "inside_area_one", "area_text"]


@lru_cache(maxsize=16)
def _path(polygon: tuple[tuple[float, float], ...]):  # noqa: ANN202 - matplotlib is imported lazily
    from matplotlib.path import Path  # noqa: PLC0415

    return Path(np.asarray(polygon, dtype=np.float64), closed=False)


def in_polygon(lon: np.ndarray, lat: np.ndarray, polygon: tuple[tuple[float, float], ...]) -> np.ndarray:
    """True for points inside ``polygon`` ((lon, lat) vertices; GeoJSON order), vectorised."""
    pts = np.column_stack([np.asarray(lon, dtype=np.float64).ravel(), np.asarray(lat, dtype=np.float64).ravel()])
    return _path(polygon).contains_points(pts).reshape(np.shape(lon))


def in_polygon_one(lon: float, lat: float, polygon: tuple[tuple[float, float], ...]) -> bool:
    """Scalar :func:`in_polygon` (even-odd ray cast)."""
    inside = False
    x0, y0 = polygon[-1]
    for x1, y1 in polygon:
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
        x0, y0 = x1, y1
    return inside


def inside_area(city: City, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """True for destinations inside the city's service area (its bbox, then its polygon or radius)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    la0, lo0, la1, lo1 = city.bbox
    ok = (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
    if city.area_polygon and ok.any():
        ok[ok] = in_polygon(lon[ok], lat[ok], city.area_polygon)
    elif city.area_radius_km > 0 and city.area_centres and ok.any():
        near = np.zeros(int(ok.sum()), dtype=bool)
        for cla, clo in city.area_centres:
            near |= haversine_km(cla, clo, lat[ok], lon[ok]) <= city.area_radius_km
        ok[ok] = near
    return ok


def inside_area_one(city: City, lat: float, lon: float) -> bool:
    """Scalar :func:`inside_area`."""
    la0, lo0, la1, lo1 = city.bbox
    if not (la0 <= lat <= la1 and lo0 <= lon <= lo1):
        return False
    if city.area_polygon:
        return in_polygon_one(lon, lat, city.area_polygon)
    if city.area_radius_km > 0 and city.area_centres:
        return any(_within_one(cla, clo, lat, lon, city.area_radius_km) for cla, clo in city.area_centres)
    return True


_R_KM = EARTH_RADIUS_M / 1000.0


def _within_one(lat1: float, lon1: float, lat2: float, lon2: float, radius_km: float) -> bool:
    """Great-circle distance <= ``radius_km``, with numpy's haversine (~10 us a call) only where two bounds disagree.

    Below: the meridian arc ``|dlat| R``.  Above: that arc plus the parallel
    at the destination, ``(|dlat| + |dlon| cos lat2) R`` (a path on the
    sphere, so no shorter than the great circle).
    """
    dphi = abs(math.radians(lat2 - lat1)) * _R_KM
    if dphi > radius_km:
        return False
    dl = abs(lon2 - lon1) % 360.0
    if dphi + math.radians(min(dl, 360.0 - dl)) * math.cos(math.radians(lat2)) * _R_KM <= radius_km:
        return True
    return float(haversine_km(lat1, lon1, lat2, lon2)) <= radius_km


def area_text(city: City) -> str:
    """What the area is, for a reason text: ``service area 'shanghai' (the catalogue's polygon)``, ``... (60 km around its depots)``."""
    name = f"service area {city.name!r}"
    if city.area_polygon:
        return f"{name} (its polygon)"
    if city.area_radius_km > 0 and city.area_centres:
        return f"{name} ({city.area_radius_km:.0f} km around its depot{'s' if len(city.area_centres) > 1 else ''})"
    return f"{name} (its map {city.bbox[0]:.2f},{city.bbox[1]:.2f} to {city.bbox[2]:.2f},{city.bbox[3]:.2f})"
