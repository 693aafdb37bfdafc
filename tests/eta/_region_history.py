"""A Shanghai-like history for the region tests: +08:00 offsets, own fleet plus two carriers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.eta._city import HELSINKI, City
from engine.eta.simulate import simulate_history
from engine.geo import haversine_km

SHANGHAI = City(
    name="shanghai-test", tz="Asia/Shanghai", bbox=(30.6, 120.8, 31.9, 122.2), depot=(31.2304, 121.4737),
    services=HELSINKI.services,
)
CARRIERS = {"posti": "sf", "matkahuolto": "zto"}


def _travel(city: City, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, str]:
    return haversine_km(city.depot[0], city.depot[1], lat, lon) * 1.35 / 28.0 * 3600.0, "haversine"


def shanghai_history(weeks: int = 13, seed: int = 0, start: date = date(2026, 3, 2)) -> pd.DataFrame:
    """~90 days of simulated deliveries around a Shanghai depot, carriers renamed to sf and zto."""
    df = simulate_history(SHANGHAI, start=start, weeks=weeks, seed=seed, travel=_travel)
    df["carrier"] = df["carrier"].replace(CARRIERS)
    return df
