"""What a scenario's replications share: the road network, the promise model, the depots and the day.

Loaded once per process and cached (a pool worker or a Ray actor pays for it
on its first replication only): the network (a synthetic one moved to the
scenario's ``centre``, so a generated metro can sit where the region's
promise model lives), the region's promise model (the embedded default, or a
fitted model directory, with a catalogue's prices when one is given) and the
depots snapped to the network.  Nothing here is random.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from engine.errors import InputError, ScenarioError
from engine.eta._city import City
from engine.eta.model import DEFAULT_DIRS, EtaModel, default_model
from engine.network import RoadNetwork, from_arrays, load
from engine.network import synthetic as _synthetic
from engine.sim.scenario import Scenario

__all__ = ["World", "world"]

#: Farthest a depot may lie from the network's nearest node.
MAX_DEPOT_SNAP_M = 1000.0


@dataclass(frozen=True, slots=True)
class World:
    """The fixed part of a scenario's day."""

    network: RoadNetwork
    model: EtaModel
    tz: ZoneInfo
    #: epoch seconds of the simulated day's local midnight
    day0: float
    day_start: datetime
    depot_ids: tuple[str, ...]
    depot_lat: np.ndarray
    depot_lon: np.ndarray
    depot_node: np.ndarray


@lru_cache(maxsize=4)
def _network(source: str, centre: tuple[float, float] | None) -> RoadNetwork:
    net = load(source)
    if centre is None:
        return net
    # Move the generated region: the same roads, metres and travel times, centred elsewhere
    # (longitudes rescaled so east-west distances survive the change of latitude).
    lat0, lon0 = _synthetic.CENTRE
    scale = math.cos(math.radians(lat0)) / math.cos(math.radians(centre[0]))
    lat = net.lat - lat0 + centre[0]
    lon = (net.lon - lon0) * scale + centre[1]
    return from_arrays(net.indptr, net.indices, net.travel_time_s, net.length_m, lat, lon, net.road_class,
                       source=f"{source} at {centre[0]:.4f},{centre[1]:.4f}")


@lru_cache(maxsize=4)
def _model(spec: str, catalogue: str | None, where: str) -> EtaModel:
    if spec.lower() in DEFAULT_DIRS:
        model = default_model(spec.lower())
    else:
        p = Path(spec)
        if not p.is_dir():
            raise ScenarioError(
                f"{where}: region.model: expected {', '.join(sorted(DEFAULT_DIRS))} or a fitted model directory, got {spec!r}",
                item=where, field="region.model")
        model = EtaModel.load(p)
    if catalogue is None:
        return model
    from engine.io.catalogue import (
        read_catalogue,  # an edge like this one; only when a catalogue is named
    )

    cat = read_catalogue(catalogue)
    missing = [s.key for s in cat.city.services if s.kind != "slot" and s.key not in model.keys]
    if missing:
        raise ScenarioError(
            f"{where}: region.catalogue: service(s) {', '.join(missing)} have no table in the model "
            f"(it has {', '.join(model.base_keys)})", item=where, field="region.catalogue")
    return dataclasses.replace(model, city=with_calendar_of(cat.city, model.city))


#: What a fitted model's city learnt (its tables are labelled by these seasons and holidays) rather than
#: what a catalogue offers: a catalogue named in a scenario changes the offer, not the calendar.
FITTED_CALENDAR = ("seasons", "holidays", "closed_days", "new_holidays", "seen_break_days", "holiday_idle", "holiday_stops")


def with_calendar_of(offer: City, fitted: City) -> City:
    """``offer`` (a catalogue's city: services, prices, area) with ``fitted``'s calendar (:data:`FITTED_CALENDAR`).

    Replacing the model's city whole dropped the holidays the history never saw
    and the days the fleet is idle, and gave the model's season tables labels
    they were not fitted under.
    """
    return dataclasses.replace(offer, **{f: getattr(fitted, f) for f in FITTED_CALENDAR})


def _source(s: Scenario) -> str:
    """The network source with a file path resolved against the scenario's folder."""
    src = s.network.source
    if src.lower() == "helsinki" or src.lower().startswith(("synthetic:", "place:")):
        return src
    return str(s.resolve(src))


def world(s: Scenario) -> World:
    """The scenario's network, promise model and depots (cached per process).

    Raises ``ScenarioError`` naming the scenario file and the key when the
    network, the model or the catalogue cannot be loaded, a carrier has no
    service in the model, or a depot is off the network.
    """
    where = s.path or s.name
    centre = tuple(s.network.centre) if s.network.centre is not None else None
    try:
        net = _network(_source(s), centre)  # type: ignore[arg-type]
    except InputError as exc:
        raise ScenarioError(f"{where}: network.source: {exc}", item=where, field="network.source") from None
    model_spec = s.region.model if s.region.model.lower() in DEFAULT_DIRS else str(s.resolve(s.region.model))
    cat = str(s.resolve(s.region.catalogue)) if s.region.catalogue else None
    try:
        model = _model(model_spec, cat, where)
    except ScenarioError:
        raise
    except InputError as exc:
        key = "region.catalogue" if cat is not None and cat in str(exc) else "region.model"
        raise ScenarioError(f"{where}: {key}: {exc}", item=where, field=key) from None
    known = sorted({k.split(":")[0] for k in model.base_keys})
    for c in s.carriers:
        if c not in known:
            raise ScenarioError(f"{where}: carriers.{c}: the promise model has no service of carrier {c!r} "
                                f"(it has {', '.join(known)})", item=where, field=f"carriers.{c}")
    tz = model.tz
    day_start = datetime.combine(date.fromisoformat(s.date), dtime(0, 0), tzinfo=tz)
    lat = np.array([d.lat for d in s.depots])
    lon = np.array([d.lon for d in s.depots])
    nodes, dist = net.snap(lat, lon, max_distance_m=math.inf, on_far="mask")
    far = np.flatnonzero(dist > MAX_DEPOT_SNAP_M)
    if far.size:
        i = int(far[0])
        raise ScenarioError(
            f"{where}: depots.{i}: ({lat[i]:.5f}, {lon[i]:.5f}) is {dist[i] / 1000:,.1f} km from the road network "
            f"{net.source!r} (at most {MAX_DEPOT_SNAP_M:,.0f} m)", item=where, field=f"depots.{i}")
    return World(net, model, tz, day_start.timestamp(), day_start, tuple(d.id for d in s.depots), lat, lon,
                 np.asarray(nodes, dtype=np.int64))
