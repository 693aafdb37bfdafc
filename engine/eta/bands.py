"""Distance bands of a region: the edges a history's carriers slow down at, and each row's band.

The tables keep three distance bands apart (``engine.eta.cells.N_BANDS``).  A
metro's 15 and 45 km are the default; a region whose history ships to far
cities gets its own edges (:func:`fit_band_edges`), kept in
``City.band_edges_km`` and read by ``EtaModel.dband`` at quote time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.eta.model import DBAND_EDGES_KM, distance_band
from engine.geo import haversine_km

__all__ = ["BAND", "band_of_rows", "fit_band_edges", "row_km", "with_bands"]

#: Column holding each row's distance band, set once by :func:`with_bands` at the region's edges; a frame
#: without it is banded at the default edges.
BAND = "_band"


def row_km(frame: pd.DataFrame) -> np.ndarray:
    """Great-circle km from each row's origin to its destination."""
    return haversine_km(frame["origin_lat"].to_numpy(), frame["origin_lon"].to_numpy(), frame["dest_lat"].to_numpy(), frame["dest_lon"].to_numpy())


def with_bands(frame: pd.DataFrame, edges: tuple[float, ...]) -> pd.DataFrame:
    """``frame`` with each row's distance band at ``edges`` (the column every table of a fit reads)."""
    return frame.assign(**{BAND: distance_band(row_km(frame), edges)})


def band_of_rows(frame: pd.DataFrame) -> np.ndarray:
    """Each row's distance band: the column :func:`with_bands` set, else at the default edges."""
    return frame[BAND].to_numpy() if BAND in frame else distance_band(row_km(frame))


#: Distance quantiles tried as band edges (plus the default edges), and the share of rows each band needs.
EDGE_QUANTILES = (*np.round(np.arange(0.05, 0.951, 0.05), 2).tolist(), 0.97, 0.98, 0.99)
EDGE_MIN_SHARE = 0.005
#: Learnt edges replace the given ones only when they shorten the bands' p95 by this share at least.
EDGE_MIN_GAIN = 0.01


def fit_band_edges(frame: pd.DataFrame, given: tuple[float, float] = tuple(DBAND_EDGES_KM), n_min: int = 100) -> tuple[float, float]:
    """The two distance-band edges (km) that most shorten a history's promises, else ``given``.

    A metro's 15 and 45 km put a country's far cities in one band with the
    suburbs 50 km out: São Paulo's carriers then promised an order to
    Campinas the p95 of one to Manaus.  Among edges at the history's
    distance quantiles, the pair minimising the mean of each carrier/service's
    p95 lead time within each band (a band with fewer than ``n_min`` of a
    service's rows counts its service's p95 over every distance, as the fit
    would read it) wins when it is at least ``EDGE_MIN_GAIN`` shorter than
    ``given``'s; each band holds at least ``EDGE_MIN_SHARE`` of the rows.
    """
    given = (float(given[0]), float(given[1]))
    km = row_km(frame)
    if km.shape[0] < 2 * n_min:
        return given
    lead = (frame["delivered"] - frame["created"]).to_numpy(dtype=np.float64)
    key = (frame["carrier"] + ":" + frame["service"]).to_numpy()
    cand = np.unique(np.round(np.concatenate([np.quantile(km, EDGE_QUANTILES), given]), 1))
    edges = np.concatenate([[-np.inf], cand[cand > 0], [np.inf]])
    E = edges.shape[0]
    # cost[i, j]: the rows between edges i and j times their p95, summed over carrier/services.
    cost = np.zeros((E, E))
    for k in np.unique(key):
        m = key == k
        o = np.argsort(km[m], kind="stable")
        kk, ll = km[m][o], lead[m][o]
        pos = np.searchsorted(kk, edges, side="left")
        p_all = float(np.quantile(ll, 0.95))
        for i in range(E - 1):
            for j in range(i + 1, E):
                n = int(pos[j] - pos[i])
                if n:
                    cost[i, j] += n * (float(np.quantile(ll[pos[i] : pos[j]], 0.95)) if n >= n_min else p_all)
    pos = np.searchsorted(np.sort(km), edges, side="left")
    N, need = km.shape[0], EDGE_MIN_SHARE * km.shape[0]
    best, arg = np.inf, given
    for a in range(1, E - 1):
        for b in range(a + 1, E - 1):
            if min(pos[a], pos[b] - pos[a], N - pos[b]) < need:
                continue
            c = cost[0, a] + cost[a, b] + cost[b, E - 1]
            if c < best:
                best, arg = c, (float(edges[a]), float(edges[b]))
    ia, ib = (int(np.searchsorted(edges, round(g, 1))) for g in given)
    now = cost[0, ia] + cost[ia, ib] + cost[ib, E - 1]
    return arg if best < (1.0 - EDGE_MIN_GAIN) * now else given
