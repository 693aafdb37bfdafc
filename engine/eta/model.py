"""The fitted transit-time quantile model: tables, lookup, save and load.

Four conditional-quantile tables, each ``(key, weekday, hour, distance band,
level)`` in seconds, float32:

* ``due``: the promise checkout gives, as the local wall-clock delivery time
  counted from the local midnight of the creation day; one absolute time per
  hour cell ("ordered Tue 10-11 -> by Wed 17:35"), pooled by cut-off period
  and non-decreasing in order time (see ``engine.eta.due.fit_due_table``);
* ``lead``: created -> delivered (includes warehouse processing, hand-over
  and transit), the checkout distribution ``check`` starts from;
* ``transit``: handed over -> delivered, for re-checking a promise once the
  parcel has left;
* ``processing``: created -> handed over, for re-checking before it leaves.

Weekday and hour are local (the model's time zone) of the start event.  A
quote is a table lookup (no graph search), so checkout answers in microseconds.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from engine.errors import InputError, ModelLoadError, QuoteError
from engine.eta._city import City, Seasons, ServiceSpec
from engine.geo import haversine_km

#: Quantile levels stored per cell (dense enough to read a CDF off them).
LEVELS = np.array(
    [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8,
     0.85, 0.875, 0.9, 0.925, 0.94, 0.95, 0.955, 0.96, 0.965, 0.97, 0.975, 0.98, 0.99],
    dtype=np.float64,
)
#: Distance bands (km from origin): near, mid, far; a region's own are ``City.band_edges_km`` (a fit learns them).
DBAND_EDGES_KM = np.array([15.0, 45.0])
_ORDINAL_1970 = date(1970, 1, 1).toordinal()


def distance_band(km: np.ndarray, edges: tuple[float, ...] | np.ndarray = tuple(DBAND_EDGES_KM)) -> np.ndarray:
    """Distance band of each distance (km) between ``edges`` (ascending): 0 below the first, 1 up to the second..."""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), np.asarray(km, dtype=np.float64), side="right")


TABLES = ("lead", "transit", "processing", "due")
#: Separates a carrier/service from its season in a table key ("own:same_day@winter").
SEASON_SEP = "@"


def season_labels(local_day: np.ndarray, seasons: "Seasons") -> np.ndarray:
    """Season name of each local day number (days since 1970-01-01); "" outside all seasons."""
    d = np.asarray(local_day, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    md = (month.astype(np.int64) % 12 + 1) * 100 + (d - month).astype(np.int64) + 1
    out = np.full(md.shape, "", dtype=object)
    for name, ranges in reversed(seasons):  # first listed wins
        hit = np.zeros(md.shape, dtype=bool)
        for r in ranges:
            if len(r) == 2:  # one dated range: local day numbers, inclusive
                hit |= (d.astype(np.int64) >= r[0]) & (d.astype(np.int64) <= r[1])
                continue
            m0, d0, m1, d1 = r
            a, b = m0 * 100 + d0, m1 * 100 + d1
            hit |= ((md >= a) & (md <= b)) if a <= b else ((md >= a) | (md <= b))
        out[hit] = name
    return out


def season_label(local_day: int, seasons: "Seasons") -> str:
    """Scalar :func:`season_labels` for one local day number."""
    d = date.fromordinal(_ORDINAL_1970 + int(local_day))
    md = d.month * 100 + d.day
    for name, ranges in seasons:  # first listed wins
        for r in ranges:
            if len(r) == 2:  # one dated range: local day numbers, inclusive
                if r[0] <= local_day <= r[1]:
                    return name
                continue
            m0, d0, m1, d1 = r
            a, b = m0 * 100 + d0, m1 * 100 + d1
            if (a <= md <= b) if a <= b else (md >= a or md <= b):
                return name
    return ""


FORMAT_VERSION = 1


def _first_reaching(cov: np.ndarray, goal: float) -> int | None:
    """Index of the first held-out coverage in ``cov`` that reaches ``goal`` (None: none does)."""
    ok = np.flatnonzero(cov >= goal - 1e-12)
    return int(ok[0]) if ok.size else None


class BoundedCache(OrderedDict):
    """A dict that forgets its oldest entries beyond ``maxsize``.

    Checkout may ask for any target probability, and each one's promise
    table is kept (about 100 kB as Python lists, four entries per target);
    without a bound, a client cycling through targets would grow the server
    without end.  Least recently used entries go first.
    """

    def __init__(self, maxsize: int = 256) -> None:
        super().__init__()
        self.maxsize = maxsize

    def get(self, key: Any, default: Any = None) -> Any:
        """The entry, now the most recently used (the 0.95 tables stay while odd targets come and go)."""
        try:
            self.move_to_end(key)
        except KeyError:
            return default
        return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        if len(self) > self.maxsize:
            self.popitem(last=False)


@dataclass(slots=True)
class EtaModel:
    """Conditional transit-time quantiles per carrier/service and the offer catalogue."""

    name: str
    source: str  # "default" or "fitted"
    city: City
    keys: list[str]  # "carrier:service" with a fitted table, index = table axis 0
    levels: np.ndarray
    tables: dict[str, np.ndarray]
    counts: dict[str, int]
    #: Probability an own-fleet van keeps a booked slot: the share of the history's booked slots kept, else a route Monte Carlo.
    slot_on_time: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    #: Promises use the quantile at ``target + margin``: rows delivered on the
    #: same day share its weather and peaks, so the effective sample is days,
    #: not rows, and a promise aimed exactly at 95% lands below it about half
    #: the time.  The margin centres held-out coverage in the 95-97% band.
    margin: float = 0.005
    #: ``(key, weekday, hour)``: True where the history has deliveries in
    #: that local hour.  A promise falling in an hour nobody delivers (a
    #: Sunday for a Mon-Fri carrier) moves back to the end of the last
    #: delivering hour: same probability, a time a customer can use.
    delivers: np.ndarray | None = None
    #: ``(key, level)``: share of held-out rows (alternate weeks, whole days)
    #: the due table covered at each level; promises read the lowest level
    #: whose held-out coverage reaches ``target + margin`` (None: the level
    #: ``target + margin`` itself).
    cv_coverage: np.ndarray | None = None
    #: ``(key, level, price)``: held-out coverage (as ``cv_coverage``) when
    #: each cell is read at its own level, not below ``levels[level]``, at
    #: the price ``lambdas[price]`` (``engine.eta.due.allocate_levels``).
    cv_alloc: np.ndarray | None = None
    #: ``(G,)`` the prices (seconds per unit of probability) of ``cv_alloc``.
    lambdas: np.ndarray | None = None
    _levels_cache: BoundedCache = field(default_factory=BoundedCache, init=False, repr=False, compare=False)
    _specs: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # ---- lookups -----------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.city.tz)

    @property
    def base_keys(self) -> list[str]:
        """Carrier/services with a fitted table (without their seasonal variants)."""
        return [k for k in self.keys if SEASON_SEP not in k]

    def seasons_of(self, epoch: np.ndarray) -> np.ndarray:
        from engine.eta._time import local_seconds  # noqa: PLC0415

        day = np.floor(local_seconds(np.asarray(epoch, dtype=np.float64), self.tz) / 86400.0)
        return season_labels(day, self.city.seasons)

    def table_index(self, key: str, epoch: np.ndarray, seasons: np.ndarray | None = None) -> np.ndarray | None:
        """Per-order table row for ``key``: its season's table when one was fitted, else the all-year one.

        ``seasons`` may pass ``seasons_of(epoch)`` when it is already known.
        """
        if key not in self.keys:
            return None
        epoch = np.asarray(epoch, dtype=np.float64)
        out = np.full(epoch.shape, self.keys.index(key), dtype=np.int64)
        fitted = [(n, self.keys.index(key + SEASON_SEP + n)) for n, _ in self.city.seasons if key + SEASON_SEP + n in self.keys]
        if fitted:
            lab = self.seasons_of(epoch) if seasons is None else seasons
            for n, i in fitted:
                out[lab == n] = i
        return out

    def table_index_one(self, key: str, season: str) -> int | None:
        """Scalar :meth:`table_index` for one order whose creation day is in ``season``."""
        if key not in self.keys:
            return None
        sk = key + SEASON_SEP + season
        return self.keys.index(sk) if season and sk in self.keys else self.keys.index(key)

    def key_index(self, key: str) -> int:
        try:
            return self.keys.index(key)
        except ValueError:
            raise QuoteError(f"no fitted history for {key!r}; fitted: {', '.join(self.keys)}", item=key) from None

    def spec(self, key: str) -> ServiceSpec:
        hit = self._specs.get(key)
        if hit is not None:
            return hit
        for s in self.city.services:
            if s.key == key:
                self._specs[key] = s
                return s
        raise QuoteError(f"unknown delivery option {key!r}; known: {', '.join(s.key for s in self.city.services)}", item=key)

    def promise_goal(self, target: float) -> float:
        """Coverage a promise with probability ``target`` aims at: ``target + margin``, at most the top level."""
        return min(target + self.margin, float(self.levels[-1]))

    def promise_level_index(self, target: float) -> int:
        """Index of the level a promise with probability ``target`` is read at (``target + margin``)."""
        self.level_index(target)  # validates the target itself
        return self.level_index(self.promise_goal(target))

    def promise_levels(self, target: float) -> np.ndarray:
        """Per table key, the level index a promise with probability ``target`` is read at.

        With ``cv_coverage``: the lowest level, not below ``target`` itself,
        whose held-out coverage reaches ``target + margin`` (the top level if
        none does); without: :meth:`promise_level_index` for every key.
        """
        hit = self._levels_cache.get(target)
        if hit is not None:
            return hit
        base = self.promise_level_index(target)
        out = np.full(len(self.keys), base, dtype=np.int64)
        if self.cv_coverage is not None:
            lo = self.level_index(target)
            goal = self.promise_goal(target)
            for i in range(len(self.keys)):
                cov = self.cv_coverage[i]
                if not np.isfinite(cov).all():
                    continue
                j = _first_reaching(cov[lo:], goal)
                out[i] = self.levels.shape[0] - 1 if j is None else lo + j
        out.setflags(write=False)
        self._levels_cache[target] = out
        return out

    def promise_lambdas(self, target: float) -> np.ndarray:
        """Per table key, the price at which its cells are read (:func:`engine.eta.due.allocate_levels`); NaN: one level.

        The lowest price whose held-out coverage, no cell below ``target``,
        reaches ``target + margin``; NaN where none does, or without
        ``cv_alloc`` (then :meth:`promise_levels` gives one level per key).
        """
        ck = ("lambdas", target)
        hit = self._levels_cache.get(ck)
        if hit is not None:
            return hit
        out = np.full(len(self.keys), np.nan)
        if self.cv_alloc is not None and self.lambdas is not None:
            lo = self.level_index(target)
            goal = self.promise_goal(target)
            for i in range(len(self.keys)):
                cov = self.cv_alloc[i, lo]
                if not np.isfinite(cov).all():
                    continue
                j = _first_reaching(cov, goal)
                if j is not None:
                    out[i] = float(self.lambdas[j])
        out.setflags(write=False)
        self._levels_cache[ck] = out
        return out

    def level_index(self, p: float) -> int:
        """Index of the smallest stored level >= ``p`` (conservative)."""
        if not (0.0 < p < 1.0):
            raise QuoteError(f"target probability {p} must be in (0, 1)", field="target")
        i = int(np.searchsorted(self.levels, p - 1e-12, side="left"))
        if i >= self.levels.shape[0]:
            raise QuoteError(f"target probability {p} is above the highest fitted level {self.levels[-1]}", field="target")
        return i

    def dband(self, km: np.ndarray) -> np.ndarray:
        """Distance band of each distance (index into the tables' band axis), at the region's edges."""
        return distance_band(km, self.city.band_edges_km)

    def dband_one(self, km: float) -> int:
        """Scalar :meth:`dband`."""
        return bisect_right(self.city.band_edges_km, km)

    def distance_km(self, dest_lat: np.ndarray, dest_lon: np.ndarray, origin_lat=None, origin_lon=None) -> np.ndarray:
        olat = self.city.depot[0] if origin_lat is None else origin_lat
        olon = self.city.depot[1] if origin_lon is None else origin_lon
        return haversine_km(olat, olon, dest_lat, dest_lon)

    def lookup(self, table: str, k: np.ndarray, wd: np.ndarray, hr: np.ndarray, db: np.ndarray) -> np.ndarray:
        """Quantile rows ``(N, L)`` in seconds for cells given as index arrays."""
        return self.tables[table][k, wd, hr, db]

    # ---- persistence ---------------------------------------------------------------
    def save(self, out_dir: str | Path) -> Path:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        extra = {} if self.delivers is None else {"delivers": self.delivers}
        if self.cv_coverage is not None:
            extra["cv_coverage"] = self.cv_coverage
        if self.cv_alloc is not None and self.lambdas is not None:
            extra["cv_alloc"], extra["lambdas"] = self.cv_alloc, self.lambdas
        np.savez_compressed(d / "tables.npz", levels=self.levels, **{t: self.tables[t] for t in TABLES}, **extra)
        info = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "source": self.source,
            "city": self.city.to_json(),
            "keys": self.keys,
            "counts": self.counts,
            "slot_on_time": self.slot_on_time,
            "margin": self.margin,
            "dband_edges_km": list(self.city.band_edges_km),
            "meta": self.meta,
        }
        (d / "model.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        return d

    @classmethod
    def load(cls, model_dir: str | Path, source: str | None = None) -> "EtaModel":
        d = Path(model_dir)
        mj, tz = d / "model.json", d / "tables.npz"
        if not mj.is_file() or not tz.is_file():
            raise ModelLoadError(f"{str(d)!r} is not a model directory (needs model.json and tables.npz; make one with `promise fit`)")
        try:
            info = json.loads(mj.read_text())
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"{mj}: not valid JSON: {exc}") from None
        if info.get("format_version") != FORMAT_VERSION:
            raise ModelLoadError(f"{mj}: format version {info.get('format_version')} != {FORMAT_VERSION}; refit the model")
        with np.load(tz) as z:
            levels = z["levels"].astype(np.float64)
            tables = {t: z[t].astype(np.float32) for t in TABLES if t in z.files}
            delivers = z["delivers"].astype(bool) if "delivers" in z.files else None
            cv = z["cv_coverage"].astype(np.float64) if "cv_coverage" in z.files else None
            cv_alloc = z["cv_alloc"].astype(np.float64) if "cv_alloc" in z.files else None
            lambdas = z["lambdas"].astype(np.float64) if "lambdas" in z.files else None
        missing = [t for t in TABLES if t not in tables and t != "due"]
        if missing:
            raise ModelLoadError(f"{tz}: table(s) {', '.join(missing)} missing; refit the model")
        if "due" not in tables:
            # A model fitted before promised times were tabled: the latest
            # creation minute of each hour plus its lead is a safe promise.
            hr_end = (np.arange(24, dtype=np.float32) + 1.0) * 3600.0
            tables["due"] = tables["lead"] + hr_end[None, None, :, None, None]
        keys = list(info["keys"])
        for t, arr in tables.items():
            if arr.ndim != 5 or arr.shape[0] != len(keys) or arr.shape[-1] != levels.shape[0]:
                raise ModelLoadError(f"{tz}: table {t!r} has shape {arr.shape}, inconsistent with model.json")
        if delivers is not None and delivers.shape != (len(keys), 7, 24):
            raise ModelLoadError(f"{tz}: 'delivers' has shape {delivers.shape}, expected {(len(keys), 7, 24)}")
        if cv is not None and cv.shape != (len(keys), levels.shape[0]):
            # Read without it, quotes would silently move to another level than the one the model was fitted to give.
            raise ModelLoadError(f"{tz}: 'cv_coverage' has shape {cv.shape}, expected {(len(keys), levels.shape[0])}; refit the model")
        if (cv_alloc is not None or lambdas is not None) and (
            cv_alloc is None or lambdas is None or lambdas.ndim != 1 or cv_alloc.shape != (len(keys), levels.shape[0], lambdas.shape[0])
            or not np.isfinite(lambdas).all() or (np.diff(lambdas) <= 0).any()
        ):
            raise ModelLoadError(f"{tz}: 'cv_alloc'/'lambdas' missing, of a shape inconsistent with model.json, or prices not increasing; refit the model")
        return cls(
            name=info["name"],
            source=source or info["source"],
            city=_city_of(info, mj),
            keys=keys,
            levels=levels,
            tables=tables,
            delivers=delivers,
            cv_coverage=cv,
            cv_alloc=cv_alloc,
            lambdas=lambdas,
            counts={k: int(v) for k, v in info["counts"].items()},
            slot_on_time=float(info.get("slot_on_time", 0.0)),
            meta=info.get("meta", {}),
            margin=float(info.get("margin", 0.0)),
        )


def _city_of(info: dict[str, Any], path: Path) -> City:
    try:
        return City.from_json(info["city"])
    except InputError as exc:
        raise ModelLoadError(f"{path}: city: {exc}; refit the model") from None


DEFAULT_DIR = Path(__file__).resolve().parent / "default"
#: Shipped models by embedded region, each fitted on a simulated year of its history.
DEFAULT_DIRS = {"helsinki": DEFAULT_DIR, "shanghai": Path(__file__).resolve().parent / "default_shanghai"}
_defaults: dict[str, EtaModel] = {}


def default_model(region: str = "helsinki") -> EtaModel:
    """The shipped model of an embedded region (cached): Helsinki, or Shanghai on China's calendar."""
    key = region.lower()
    hit = _defaults.get(key)
    if hit is None:
        d = DEFAULT_DIRS.get(key)
        if d is None:
            raise QuoteError(f"no default model for region {region!r}; known: {', '.join(sorted(DEFAULT_DIRS))}", field="region")
        hit = _defaults[key] = EtaModel.load(d, source="default")
    return hit
