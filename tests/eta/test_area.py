"""The service area: polygon or radius, the vectorised and the scalar test agree (and with the great-circle distance)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.eta._city import SHANGHAI
from engine.eta.area import in_polygon, in_polygon_one, inside_area, inside_area_one
from engine.geo import haversine_km

POLY = ((120.9, 30.75), (122.0, 30.75), (122.0, 31.7), (121.45, 31.85), (120.9, 31.7))


def test_radius_and_polygon_agree_in_both_forms() -> None:
    rng = np.random.default_rng(0)
    lat = 31.23 + rng.normal(0, 0.6, 5000)
    lon = 121.47 + rng.normal(0, 0.7, 5000)
    radius = replace(SHANGHAI, area_radius_km=40.0, area_centres=((31.2304, 121.4737), (31.0, 121.2)))
    poly = replace(SHANGHAI, area_polygon=POLY)
    for city in (radius, poly, SHANGHAI):
        v = inside_area(city, lat, lon)
        s = np.array([inside_area_one(city, float(a), float(b)) for a, b in zip(lat, lon)])
        assert (v == s).all() and 0.05 < v.mean() < 1.0
    near = (haversine_km(31.2304, 121.4737, lat, lon) <= 40.0) | (haversine_km(31.0, 121.2, lat, lon) <= 40.0)
    la0, lo0, la1, lo1 = SHANGHAI.bbox
    box = (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
    assert (inside_area(radius, lat, lon) == (near & box)).all()
    assert (in_polygon(lon, lat, POLY) == np.array([in_polygon_one(float(x), float(y), POLY) for x, y in zip(lon, lat)])).all()
    assert inside_area_one(poly, 31.2, 121.5) and not inside_area_one(poly, 31.80, 121.0)
