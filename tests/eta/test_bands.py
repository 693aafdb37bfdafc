"""Distance bands learnt from a history."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from engine.eta._city import HELSINKI, City
from engine.eta.bands import BAND, fit_band_edges, with_bands
from engine.eta.fit import fit
from engine.eta.history import read_history
from tests.eta._region_history import shanghai_history


def test_band_edges_part_a_country_from_its_metro() -> None:
    h = read_history(shanghai_history(weeks=4, seed=3))
    metro = h.frame
    # A metro alone keeps its edges inside the metro.
    assert max(fit_band_edges(metro)) <= 45.0
    # A tenth of the parcels go to cities 150-250 km out, two days slower, and a twentieth 1,100-1,300 km,
    # five days slower: the edges part the metro from the region and the region from the far country.
    rng = np.random.default_rng(0)
    far = []
    for share, (lo, hi), extra_h in ((0.10, (150, 250), 48.0), (0.05, (1100, 1300), 120.0)):
        f = metro.sample(frac=share, random_state=int(lo)).copy()
        km = rng.uniform(lo, hi, len(f))
        f["dest_lat"] = f["origin_lat"] + km / 111.2
        f["dest_lon"] = f["origin_lon"]
        f["delivered"] = f["delivered"] + extra_h * 3600.0
        far.append(f)
    mixed = pd.concat([metro, *far], ignore_index=True)
    a, b = fit_band_edges(mixed)
    assert 45.0 <= a <= 150.0 and 150.0 < b <= 1100.0, (a, b)  # the far cities never share the region's band
    banded = with_bands(mixed, (a, b))
    assert banded[BAND].to_numpy()[-len(far[1]):].tolist() == [2] * len(far[1])
    # The fitted model keeps them, reads distances with them, and round-trips them.
    m = fit(replace(h, frame=mixed), replace(HELSINKI, tz="Asia/Shanghai", bbox=(20.0, 110.0, 45.0, 130.0), depot=(31.2304, 121.4737)))
    assert m.city.band_edges_km == (a, b) and m.dband(np.array([10.0, 200.0, 1200.0])).tolist() == [0, 1, 2]
    assert City.from_json(m.city.to_json()).band_edges_km == (a, b)
