"""VROOM's JSON formats: read a VROOM problem, write a solution in VROOM's output shape.

Why this module is long: the reader's checks and the writers share one
mapping of VROOM's ids, locations and units, kept in one place.

Input (https://github.com/VROOM-Project/vroom/blob/master/docs/API.md): ``jobs``
with ``location`` ([lon, lat]) or ``location_index``, ``delivery`` /
``pickup`` / ``amount``, ``service``, ``time_windows``, ``skills``,
``priority``; ``vehicles`` with ``start``/``end`` (or ``*_index``),
``capacity``, ``time_window``, ``skills``, ``breaks``, ``costs``,
``speed_factor``, ``max_travel_time``; durations from ``matrices.<profile>.durations``
or a top-level ``matrix``, otherwise from coordinates (haversine, or a road
network when one is given).

What differs from VROOM, on purpose and documented (``benchmarks/vroom_conformance.py``
runs VROOM's documented examples and generated cases through this module and pyvroom,
and re-checks every route from the input):

* ``shipments`` (pickup-and-delivery pairs: same route, pickup first) are
  searched by the numba search, which inserts and removes a pair as one, and
  re-checked and polished by OR-Tools' pickup-and-delivery model; delivery jobs
  beside them load at the start (``VrpArrays.preload``).
* Jobs' ``delivery`` is loaded at the start and ``pickup`` brought back to the
  end, as in VROOM (a signed load dimension, ``VrpArrays.preload``); the numba
  search checks that load at every stop of a route.
* ``max_travel_time`` bounds the driving time of the route only (service and
  waiting are not counted), as VROOM does: the numba search keeps each route's
  driving time (and distance, for ``max_distance``), and OR-Tools a dimension of its own.
* ``setup`` is reserved on every task while solving; the output charges it only
  on arriving at a new location, as VROOM does, so reported times are never
  later than the solver planned (the saved time shows as waiting).
* ``max_tasks`` is one more capacity (each task takes one unit), ``max_distance``
  an OR-Tools distance dimension.  ``steps``: as in VROOM, steps whose tasks do
  not form a valid route on their own (capacity, max_tasks, windows, shift,
  max_travel_time, max_distance) are an input error; unlike VROOM's solving
  mode, which only starts from them, their tasks stay bound to the vehicle in
  that order (other tasks may come between: re-planning's fixed stops) and
  their ``service_at`` / ``_after`` / ``_before`` narrow the task's windows;
  ``start``, ``end`` and ``break`` steps are not constrained (VROOM ignores
  them when solving too).
* Breaks: every break of a used route is in the output, after the leg to the
  next step (VROOM may also report one before or during that leg).  One the
  solver placed after the route's end is taken before the end.
* Refused rather than ignored: custom ``costs`` matrices, ``setup_per_type`` /
  ``service_per_type`` and vehicle ``type``, a break's ``max_load``, and
  vehicles of several profiles with different matrices.
* Jobs VROOM would leave unassigned are left out at a penalty proportional to
  ``priority + 1``, so higher-priority jobs are served first, as in VROOM.

Costs follow VROOM (``engine.dispatch.cost``): ``per_hour`` (default 3600,
i.e. cost = seconds of travel) on travel time only, ``per_task_hour`` (default
0) on service time, ``per_km`` (default 0) and ``fixed``; waiting is free.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.dispatch import cost as _cost
from engine.dispatch.arrays import (
    INT_INF,
    VrpArrays,
    haversine_matrices,
    network_matrices,
    speed_profiles,
)
from engine.dispatch.params import SolveParams
from engine.dispatch.stop import MaxRuntime, StoppingCriterion
from engine.errors import VroomFormatError

if TYPE_CHECKING:  # pragma: no cover
    from engine.dispatch.model import ProgressFn
    from engine.domain.plan import Plan
    from engine.network import RoadNetwork

#: Jobs farther than this (metres) from the road network are left out as OFF_NETWORK.
MAX_SNAP_M = 1000.0
#: Penalty (cost units) for leaving a VROOM job out, per priority level + 1.
JOB_PENALTY = 10**9


def is_vroom(doc: Any) -> bool:
    """True for a VROOM problem document (``jobs`` and ``vehicles`` keys)."""
    return isinstance(doc, dict) and "vehicles" in doc and ("jobs" in doc or "shipments" in doc)


def _err(item: str, key: str, msg: str) -> VroomFormatError:
    return VroomFormatError(f"{item}: {key}: {msg}", item=item, field=key)


def _loc(d: dict[str, Any], key: str, item: str) -> tuple[tuple[float, float] | None, int | None]:
    coord = d.get(key)
    idx = d.get(f"{key}_index" if key != "location" else "location_index")
    if coord is not None:
        coord = _location(coord, item, key)
    if idx is not None and (not isinstance(idx, int) or isinstance(idx, bool) or idx < 0):
        raise _err(item, f"{key}_index", f"expected a non-negative integer, got {idx!r}")
    return coord, idx


#: Keys read from each VROOM object.  Keys VROOM knows but this engine does not model are
#: refused (a silently ignored ``max_tasks`` would give plans that break it); keys VROOM
#: itself does not know are refused too, so a typo does not fall back to a default.
_TOP_KEYS = {"jobs", "shipments", "vehicles", "matrices", "matrix", "distances", "name", "options"}
_JOB_KEYS = {"id", "description", "location", "location_index", "setup", "service", "delivery", "pickup", "amount", "skills", "priority", "time_windows"}
_VEHICLE_KEYS = {"id", "profile", "description", "start", "start_index", "end", "end_index", "capacity", "costs", "skills", "time_window", "breaks", "speed_factor", "max_travel_time", "max_tasks", "max_distance", "steps"}
_STEP_KEYS = {"type", "id", "service_at", "service_after", "service_before"}
_BREAK_KEYS = {"id", "description", "time_windows", "service"}
_SHIPMENT_KEYS = {"pickup", "delivery", "amount", "skills", "priority"}
_TASK_KEYS = {"id", "description", "location", "location_index", "setup", "service", "time_windows"}
_COST_KEYS = {"fixed", "per_hour", "per_km", "per_task_hour"}
_UNSUPPORTED = {
    "max_load": "a load cap during breaks",
    "setup_per_type": "setup times by vehicle type",
    "service_per_type": "service times by vehicle type",
    "type": "vehicle types (used only by setup_per_type / service_per_type)",
}


def _keys(obj: Any, item: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _err(item, "-", f"expected an object, got {type(obj).__name__}")
    for k in obj:
        if k in allowed:
            continue
        if k in _UNSUPPORTED:
            raise _err(item, k, f"not supported by this engine ({_UNSUPPORTED[k]}); remove it to solve without it")
        else:
            raise _err(item, k, f"unknown key (allowed: {', '.join(sorted(allowed))})")
    return obj


def _whole(value: Any, item: str, key: str, *, lo: int = 0, hi: int = INT_INF - 1) -> int:
    """A whole number in ``lo..hi`` (the solver keeps times and amounts in 32-bit integers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or int(value) != value:
        raise _err(item, key, f"expected a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise _err(item, key, f"must be in {lo}..{hi}, got {value!r}")
    return int(value)


def _number(value: Any, item: str, key: str, *, lo: float = 0.0, hi: float = 1e12) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise _err(item, key, f"expected a finite number, got {value!r}")
    if not lo <= value <= hi:
        raise _err(item, key, f"must be in {lo:g}..{hi:g}, got {value!r}")
    return float(value)


def _wholes(value: Any, item: str, key: str, **bounds: int) -> list[int]:
    if not isinstance(value, list):
        raise _err(item, key, f"expected a list of whole numbers, got {value!r}")
    return [_whole(x, item, key, **bounds) for x in value]


def _windows(value: Any, item: str, key: str) -> None:
    if not isinstance(value, list) or not value:
        raise _err(item, key, f"expected a non-empty list of [start, end], got {value!r}")
    for w in value:
        w = _wholes(w, item, key, hi=2**62)
        if len(w) != 2:
            raise _err(item, key, f"expected [start, end], got {w!r}")
        if w[1] < w[0]:
            raise _err(item, key, f"end {w[1]} before start {w[0]}")
        if w[0] >= INT_INF:
            raise _err(item, key, f"start {w[0]} is beyond the largest time this engine handles ({INT_INF - 1})")


def _name(kind: str, obj: Any, index: int) -> str:
    """``job 7`` when the object has a usable id, else ``job #index``."""
    v = obj.get("id") if isinstance(obj, dict) else None
    return f"{kind} {v!r}" if isinstance(v, (int, str)) and not isinstance(v, bool) else f"{kind} #{index}"


def _vroom_id(obj: dict[str, Any], item: str) -> Any:
    v = obj.get("id")
    if v is None:
        raise _err(item, "id", "missing")
    if isinstance(v, bool) or not isinstance(v, (int, str)) or v == "":
        raise _err(item, "id", f"expected an integer (VROOM) or a non-empty string, got {v!r}")
    return v


def _check_matrix(m: Any, where: str) -> np.ndarray:
    if not isinstance(m, list) or not m or not all(isinstance(r, list) and len(r) == len(m) for r in m):
        raise VroomFormatError(f"{where}: expected a square list of lists of numbers", item="problem", field=where)
    try:
        arr = np.asarray(m, dtype=np.float64)
    except (TypeError, ValueError):
        raise VroomFormatError(f"{where}: every entry must be a number", item="problem", field=where) from None
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise VroomFormatError(f"{where}: entries must be finite and >= 0", item="problem", field=where)
    return arr


def check_document(doc: Any) -> None:
    """Raise ``VroomFormatError`` naming the first malformed job, vehicle, break or matrix field."""
    if not is_vroom(doc):
        raise VroomFormatError("not a VROOM problem: expected top-level 'jobs' and 'vehicles'", item="problem", field="vehicles")
    _keys(doc, "problem", _TOP_KEYS)
    jobs, vehicles = doc.get("jobs") or [], doc["vehicles"]
    for key, value in (("jobs", jobs), ("vehicles", vehicles)):
        if not isinstance(value, list):
            raise _err("problem", key, f"expected a list, got {type(value).__name__}")
    mats = doc.get("matrices")
    if mats is not None:
        if not isinstance(mats, dict) or not all(isinstance(p, dict) for p in mats.values()):
            raise _err("problem", "matrices", "expected {profile: {\"durations\": [[...]], \"distances\": [[...]]}}")
        for prof, pm in mats.items():
            for kind in pm:
                if kind not in ("durations", "distances"):
                    # A custom cost matrix would silently not be the objective: refuse it.
                    what = "custom cost matrices (costs follow per_hour / per_km)" if kind == "costs" else None
                    raise _err("problem", f"matrices.{prof}.{kind}", f"not supported by this engine ({what})" if what else "unknown key (allowed: distances, durations)")
                _check_matrix(pm[kind], f"matrices.{prof}.{kind}")
        used = {str(v.get("profile", "car")) for v in vehicles if isinstance(v, dict)} if isinstance(vehicles, list) else set()
        if mats:
            missing = sorted(used - set(mats))
            if missing:
                raise _err("problem", "matrices", f"no matrix for profile {missing[0]!r} (give matrices.{missing[0]})")
            if len({json.dumps(mats[p].get("durations")) + json.dumps(mats[p].get("distances")) for p in used}) > 1:
                raise _err("problem", "matrices", "vehicles of several profiles with different matrices are not supported by this engine; use one profile (speed_factor scales a vehicle's times)")
    for key in ("matrix", "distances"):
        if key in doc:
            _check_matrix(doc[key], key)
    for item, v in _entries(vehicles, "vehicle", _VEHICLE_KEYS):
        for loc in ("start", "end"):
            if loc in v:
                _location(v[loc], item, loc)
        if "capacity" in v:
            _wholes(v["capacity"], item, "capacity")
        if "time_window" in v:
            _windows([v["time_window"]], item, "time_window")
        for key in ("max_travel_time", "max_distance", "max_tasks"):
            if v.get(key) is not None:
                _whole(v[key], item, key)
        if "steps" in v:
            if not isinstance(v["steps"], list):
                raise _err(item, "steps", f"expected a list, got {v['steps']!r}")
            for k, st in enumerate(v["steps"]):
                _keys(st, f"{item} step #{k}", _STEP_KEYS)
                if st.get("type") not in ("start", "end", "break", "job", "pickup", "delivery"):
                    raise _err(item, f"steps[{k}].type", f"expected start, end, break, job, pickup or delivery, got {st.get('type')!r}")
                for key in ("service_at", "service_after", "service_before"):
                    if key in st:
                        _whole(st[key], item, f"steps[{k}].{key}", hi=2**62)
        if "speed_factor" in v:
            _number(v["speed_factor"], item, "speed_factor", lo=1e-3, hi=5)
        if "skills" in v:
            _wholes(v["skills"], item, "skills", hi=2**62)
        costs = v.get("costs")
        if costs is not None:
            _keys(costs, f"{item} costs", _COST_KEYS)
            for k, x in costs.items():
                _number(x, item, f"costs.{k}")
        breaks = v.get("breaks")
        if breaks is not None:
            if not isinstance(breaks, list):
                raise _err(item, "breaks", f"expected a list, got {breaks!r}")
            for j, b in enumerate(breaks):
                _keys(b, f"{item} break #{j}", _BREAK_KEYS)
                if "time_windows" in b:
                    _windows(b["time_windows"], item, f"breaks[{j}].time_windows")
                if "service" in b:
                    _whole(b["service"], item, f"breaks[{j}].service")
    for item, j in _entries(jobs, "job", _JOB_KEYS):
        if "location" in j:
            _location(j["location"], item, "location")
        for key in ("delivery", "pickup", "amount"):
            if key in j:
                _wholes(j[key], item, key)
        for key in ("service", "setup"):
            if key in j:
                _whole(j[key], item, key)
        if "priority" in j:
            _whole(j["priority"], item, "priority", hi=100)
        if "time_windows" in j:
            _windows(j["time_windows"], item, "time_windows")
        if "skills" in j:
            _wholes(j["skills"], item, "skills", hi=2**62)
    shipments = doc.get("shipments") or []
    if not isinstance(shipments, list):
        raise _err("problem", "shipments", f"expected a list, got {type(shipments).__name__}")
    seen: dict[str, set[str]] = {"pickup": set(), "delivery": set()}
    for i, sh in enumerate(shipments):
        item = f"shipments[{i}]"
        _keys(sh, item, _SHIPMENT_KEYS)
        for kind in ("pickup", "delivery"):
            if kind not in sh:
                raise _err(item, kind, "missing")
            t = _keys(sh[kind], f"{item} {kind}", _TASK_KEYS)
            oid = str(_vroom_id(t, f"{item} {kind}"))
            if oid in seen[kind]:
                raise _err(f"{kind} {t['id']!r}", "id", f"duplicate {kind} id")
            seen[kind].add(oid)
            if "location" in t:
                _location(t["location"], f"{kind} {t['id']!r}", "location")
            for key in ("service", "setup"):
                if key in t:
                    _whole(t[key], f"{kind} {t['id']!r}", key)
            if "time_windows" in t:
                _windows(t["time_windows"], f"{kind} {t['id']!r}", "time_windows")
        if "amount" in sh:
            _wholes(sh["amount"], item, "amount")
        if "priority" in sh:
            _whole(sh["priority"], item, "priority", hi=100)
        if "skills" in sh:
            _wholes(sh["skills"], item, "skills", hi=2**62)


def _tasks(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """Jobs, then each shipment's pickup and delivery as job-like tasks; and the (pickup, delivery) pairs.

    A task carries ``_type`` ("job", "pickup", "delivery") and, for shipments,
    ``_amount`` (loaded at the pickup, unloaded at the delivery).
    """
    jobs = [{**j, "_type": "job"} for j in doc.get("jobs") or []]
    pairs: list[tuple[int, int]] = []
    shipments = doc.get("shipments") or []
    for sh in shipments:
        amount = np.asarray(sh.get("amount", []), dtype=np.int64)
        common = {"skills": sh.get("skills", []), "priority": sh.get("priority", 0)}
        pairs.append((len(jobs), len(jobs) + 1))
        jobs.append({**sh["pickup"], **common, "_type": "pickup", "_amount": amount})
        jobs.append({**sh["delivery"], **common, "_type": "delivery", "_amount": -amount})
    return jobs, pairs


def _entries(objs: list[Any], kind: str, allowed: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, object)`` for each job or vehicle, after checking its keys and that its id is unique."""
    ids: set[str] = set()
    for i, obj in enumerate(objs):
        item = _name(kind, obj, i)
        _keys(obj, item, allowed)
        oid = _vroom_id(obj, item)
        item = f"{kind} {oid!r}"
        if str(oid) in ids:
            raise _err(item, "id", f"duplicate {kind} id")
        ids.add(str(oid))
        yield item, obj


def _location(coord: Any, item: str, key: str) -> tuple[float, float]:
    if not isinstance(coord, list) or len(coord) != 2:
        raise _err(item, key, f"expected [lon, lat], got {coord!r}")
    lon = _number(coord[0], item, f"{key} longitude", lo=-180, hi=180)
    lat = _number(coord[1], item, f"{key} latitude", lo=-90, hi=90)
    return lon, lat


def _matrix(doc: dict[str, Any], kind: str) -> np.ndarray | None:
    mats = doc.get("matrices")
    if isinstance(mats, dict) and mats:
        # check_document made sure every vehicle's profile has the same matrices.
        prof = mats.get(str(doc["vehicles"][0].get("profile", "car")))
        if isinstance(prof, dict) and kind in prof:
            return np.asarray(prof[kind], dtype=np.float64)
    if kind == "durations" and "matrix" in doc:
        return np.asarray(doc["matrix"], dtype=np.float64)
    if kind == "distances" and "distances" in doc:
        return np.asarray(doc["distances"], dtype=np.float64)
    return None


def shift_times(doc: Any) -> tuple[Any, int]:
    """``doc`` with every time window moved back by its earliest start, and that offset.

    VROOM problems often give Unix timestamps, beyond the engine's 32-bit times;
    shifted to the earliest window start they fit, and the output adds the
    offset back (``meta["time_offset"]``).  A document whose times already fit
    is returned as is, with offset 0.
    """
    if not is_vroom(doc):
        return doc, 0
    windows: list[list[Any]] = []
    for v in doc.get("vehicles") or []:
        if isinstance(v, dict):
            if isinstance(v.get("time_window"), list):
                windows.append(v["time_window"])
            for b in v.get("breaks") or [] if isinstance(v.get("breaks"), list) else []:
                if isinstance(b, dict) and isinstance(b.get("time_windows"), list):
                    windows += [w for w in b["time_windows"] if isinstance(w, list)]
    for key in ("jobs", "shipments"):
        for j in doc.get(key) or [] if isinstance(doc.get(key), list) else []:
            tasks = [j] if key == "jobs" else [j.get("pickup"), j.get("delivery")] if isinstance(j, dict) else []
            for t in tasks:
                if isinstance(t, dict) and isinstance(t.get("time_windows"), list):
                    windows += [w for w in t["time_windows"] if isinstance(w, list)]
    starts = [w[0] for w in windows if len(w) == 2 and isinstance(w[0], int) and not isinstance(w[0], bool)]
    ends = [w[1] for w in windows if len(w) == 2 and isinstance(w[1], int) and not isinstance(w[1], bool)]
    if not starts or max(starts + ends) < INT_INF - 1:
        return doc, 0
    offset = min(starts)

    def moved(w: Any) -> Any:
        if isinstance(w, list) and len(w) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in w):
            return [max(0, w[0] - offset), max(0, w[1] - offset)]
        return w

    out = dict(doc)
    vehicles = []
    for v in doc.get("vehicles") or []:
        if isinstance(v, dict):
            v = dict(v)
            if "time_window" in v:
                v["time_window"] = moved(v["time_window"])
            if isinstance(v.get("breaks"), list):
                v["breaks"] = [
                    {**b, "time_windows": [moved(w) for w in b["time_windows"]]} if isinstance(b, dict) and isinstance(b.get("time_windows"), list) else b
                    for b in v["breaks"]
                ]
        vehicles.append(v)
    out["vehicles"] = vehicles

    def task(t: Any) -> Any:
        if isinstance(t, dict) and isinstance(t.get("time_windows"), list):
            return {**t, "time_windows": [moved(w) for w in t["time_windows"]]}
        return t

    if isinstance(doc.get("jobs"), list):
        out["jobs"] = [task(j) for j in doc["jobs"]]
    if isinstance(doc.get("shipments"), list):
        out["shipments"] = [
            {**s, "pickup": task(s.get("pickup")), "delivery": task(s.get("delivery"))} if isinstance(s, dict) else s
            for s in doc["shipments"]
        ]
    return out, int(offset)


def arrays_from_vroom(doc: Any, *, network: object | None = None, speed_kmh: float = 30.0) -> VrpArrays:
    """A VROOM problem document as ``VrpArrays`` (see the module docstring for the mapping)."""
    doc, time_offset = shift_times(doc)
    check_document(doc)
    jobs, pairs = _tasks(doc)
    vehicles = doc["vehicles"]  # a list: checked by check_document
    if not vehicles:
        raise _err("problem", "vehicles", "at least one vehicle is needed")

    # Collect locations: vehicle start/end sites first, then jobs (the VrpArrays layout).
    site_locs: list[tuple[tuple[float, float] | None, int | None]] = []
    site_key: dict[tuple, int] = {}
    OPEN = ("open",)

    def site(loc: tuple[tuple[float, float] | None, int | None]) -> int:
        key = (loc[0], loc[1])
        if key not in site_key:
            site_key[key] = len(site_locs)
            site_locs.append(loc)
        return site_key[key]

    v_start, v_end = [], []
    # Field types and ranges were checked by check_document: this only converts.
    for v in vehicles:
        item = f"vehicle {v['id']!r}"
        s, e = _loc(v, "start", item), _loc(v, "end", item)
        if s == (None, None) and e == (None, None):
            raise _err(item, "start", "a vehicle needs a start or an end")
        # An open start or end (VROOM allows them) becomes a free dummy site.
        v_start.append(site(s) if s != (None, None) else site((None, OPEN)))  # type: ignore[arg-type]
        v_end.append(site(e) if e != (None, None) else site((None, OPEN)))  # type: ignore[arg-type]
    n_sites = len(site_locs)
    job_locs = []
    for j in jobs:
        item = f"{j['_type']} {j['id']!r}"
        loc = _loc(j, "location", item)
        if loc == (None, None):
            raise _err(item, "location", "missing (give location [lon, lat] or location_index)")
        job_locs.append(loc)
    locs = site_locs + job_locs
    n = len(locs)
    ids = [j["id"] for j in jobs]

    def owner(k: int) -> tuple[str, str]:
        """The job or vehicle (and its key) that location ``k`` comes from, for messages."""
        if k >= n_sites:
            return f"{jobs[k - n_sites]['_type']} {ids[k - n_sites]!r}", "location"
        v = next(i for i in range(len(vehicles)) if k in (v_start[i], v_end[i]))
        return f"vehicle {vehicles[v]['id']!r}", "start" if v_start[v] == k else "end"

    # Matrices.
    dmat, lmat = _matrix(doc, "durations"), _matrix(doc, "distances")
    off_network: np.ndarray | None = None  # jobs too far from the road network (pre-check reports them)
    is_open = np.array([loc[1] is OPEN for loc in locs])
    if dmat is not None:
        ix = []
        for k, (coord, idx) in enumerate(locs):
            if is_open[k]:
                ix.append(0)
                continue
            if idx is None:
                item, key = owner(k)
                raise _err(item, f"{key}_index", "missing: with a matrix every location needs an index into it")
            if idx >= dmat.shape[0]:
                item, key = owner(k)
                raise _err(item, f"{key}_index", f"{idx} is outside the {dmat.shape[0]}x{dmat.shape[0]} matrix")
            ix.append(idx)
        ixa = np.asarray(ix)
        if lmat is not None and lmat.shape != dmat.shape:
            raise _err("problem", "distances", f"a {lmat.shape[0]}x{lmat.shape[1]} matrix for {dmat.shape[0]}x{dmat.shape[1]} durations")
        durations = dmat[np.ix_(ixa, ixa)]
        distances = lmat[np.ix_(ixa, ixa)] if lmat is not None else np.zeros_like(durations)
        lat = np.array([c[1] if c else np.nan for c, _ in locs])
        lon = np.array([c[0] if c else np.nan for c, _ in locs])
    else:
        missing = [k for k, (c, _) in enumerate(locs) if c is None and not is_open[k]]
        if missing:
            raise _err(*owner(missing[0]), "no matrix given, so every location needs coordinates [lon, lat]")
        lat = np.array([c[1] if c else 0.0 for c, _ in locs])
        lon = np.array([c[0] if c else 0.0 for c, _ in locs])
        if network is not None:
            nodes, snap_m = network.snap(lat, lon, max_distance_m=float("inf"), on_far="mask")  # type: ignore[attr-defined]
            snap_m = np.where(is_open, 0.0, np.asarray(snap_m, dtype=np.float64))
            far_sites = np.flatnonzero(snap_m[:n_sites] > MAX_SNAP_M)
            if far_sites.size:
                k = int(far_sites[0])
                raise _err(
                    *owner(k),
                    f"[lon, lat] {list(locs[k][0])} is {snap_m[k] / 1000:,.1f} km from the nearest road of the network "
                    f"(at most {MAX_SNAP_M:,.0f} m)",
                )
            off_network = snap_m > MAX_SNAP_M
            durations, distances = network_matrices(network, np.asarray(nodes))
        else:
            durations, distances = haversine_matrices(lat, lon, speed_kmh=speed_kmh)
        lat = np.where(is_open, np.nan, lat)
        lon = np.where(is_open, np.nan, lon)
    durations = np.asarray(durations, dtype=np.float64)
    distances = np.asarray(distances, dtype=np.float64)
    if off_network is None:
        off_network = np.zeros(n, dtype=bool)
    durations[is_open, :] = 0
    durations[:, is_open] = 0
    distances[is_open, :] = 0
    distances[:, is_open] = 0
    durations = np.minimum(np.rint(durations), INT_INF).astype(np.int32)
    distances = np.minimum(np.rint(distances), INT_INF).astype(np.int32)

    # Amounts.
    def amounts(j: dict[str, Any]) -> np.ndarray:
        if "_amount" in j:
            return j["_amount"]
        tot = None
        for key in ("delivery", "pickup", "amount"):
            if key in j:
                a = np.asarray(j[key], dtype=np.int64)
                tot = a if tot is None else _pad_add(tot, a)
        return np.zeros(0, dtype=np.int64) if tot is None else tot

    job_amounts = [amounts(j) for j in jobs]
    caps = []
    for v in vehicles:
        caps.append(np.asarray(v["capacity"], dtype=np.int64) if "capacity" in v else None)
    n_dims = max([a.size for a in job_amounts] + [c.size for c in caps if c is not None] + [1])
    demand = np.zeros((n, n_dims), dtype=np.int64)
    for k, a in enumerate(job_amounts):
        demand[n_sites + k, : a.size] = a
    preload = None
    if pairs or any(j["_type"] == "job" and "pickup" in j for j in jobs):
        # With shipments or pickups the load goes up and down (VROOM: deliveries are loaded at
        # the start, pickups brought back to the end): demand is the change at each task and
        # ``preload`` what a delivery job puts on the vehicle at the start.
        demand = _load_change(jobs, n_sites, n_dims)
        preload = _load_start(jobs, n_sites, n_dims)
    m = len(vehicles)
    v_capacity = np.full((m, n_dims), INT_INF, dtype=np.int64)
    for i, c in enumerate(caps):
        if c is not None:
            v_capacity[i, : c.size] = c
            v_capacity[i, c.size :] = 0 if c.size < n_dims else INT_INF
    vroom_dims = n_dims
    if any(v.get("max_tasks") is not None for v in vehicles):
        # max_tasks is one more capacity: every task (job, pickup, delivery) takes one unit.
        ones = np.zeros((n, 1), dtype=np.int64)
        ones[n_sites:] = 1
        demand = np.hstack([demand, ones])
        if preload is not None:
            preload = np.hstack([preload, np.zeros((n, 1), dtype=np.int64)])
        limit = [[int(v["max_tasks"]) if v.get("max_tasks") is not None else INT_INF] for v in vehicles]
        v_capacity = np.hstack([v_capacity, np.asarray(limit, dtype=np.int64)])
        n_dims += 1

    # Windows and service.
    service = np.zeros(n, dtype=np.int32)
    tw_start = np.zeros(n, dtype=np.int32)
    tw_end = np.full(n, INT_INF - 1, dtype=np.int32)
    windows: list[tuple[tuple[int, int], ...]] = [((0, INT_INF - 1),)] * n_sites
    penalty = np.zeros(n, dtype=np.int64)
    for k, j in enumerate(jobs):
        node = n_sites + k
        service[node] = int(j.get("service", 0)) + int(j.get("setup", 0))
        tws = j.get("time_windows") or [[0, INT_INF - 1]]
        wins = []
        for w in tws:
            wins.append((int(w[0]), min(int(w[1]), INT_INF - 1)))
        wins.sort()
        windows.append(tuple(wins))
        tw_start[node], tw_end[node] = wins[0][0], wins[-1][1]
        prio = int(j.get("priority", 0))
        penalty[node] = JOB_PENALTY * (prio + 1)

    v_tws = np.zeros(m, dtype=np.int32)
    v_twe = np.full(m, INT_INF - 1, dtype=np.int32)
    v_maxd = np.full(m, INT_INF, dtype=np.int32)
    v_fixed = np.zeros(m)
    v_pm = np.zeros(m)
    v_ps = np.ones(m)
    v_pss = np.zeros(m)  # VROOM charges per_hour on travel only; service at per_task_hour
    v_factor = np.ones(m)
    v_breaks = []
    compat = np.ones((m, n), dtype=bool)
    job_skills = [set(j.get("skills", [])) for j in jobs]
    for i, v in enumerate(vehicles):
        if "time_window" in v:
            tw = [int(x) for x in v["time_window"]]
            v_tws[i], v_twe[i] = tw[0], min(tw[1], INT_INF - 1)
        costs = v.get("costs") or {}
        v_fixed[i] = float(costs.get("fixed", 0))
        v_ps[i] = float(costs.get("per_hour", 3600)) / 3600.0
        v_pss[i] = float(costs.get("per_task_hour", 0)) / 3600.0
        v_pm[i] = float(costs.get("per_km", 0)) / 1000.0
        # VROOM's speed_factor speeds a vehicle up (durations divided by it).
        v_factor[i] = 1.0 / float(v.get("speed_factor", 1.0))
        brs = []
        for b in v.get("breaks") or []:
            tws = b.get("time_windows") or [[0, INT_INF - 1]]
            lo = min(int(w[0]) for w in tws)
            hi = max(int(w[1]) for w in tws)
            brs.append((lo, min(hi, INT_INF - 1), int(b.get("service", 0))))
        v_breaks.append(tuple(brs))
        vs = set(v.get("skills", []))
        for k in range(len(jobs)):
            compat[i, n_sites + k] = job_skills[k] <= vs
    v_maxdist = np.array([int(v["max_distance"]) if v.get("max_distance") is not None else INT_INF for v in vehicles], dtype=np.int64)
    v_maxdist = np.minimum(v_maxdist, INT_INF).astype(np.int32)
    # VROOM's max_travel_time counts driving only (service and waiting are free): a travel dimension.
    v_maxtravel = np.array([int(v["max_travel_time"]) if v.get("max_travel_time") is not None else INT_INF for v in vehicles], dtype=np.int64)
    v_maxtravel = np.minimum(v_maxtravel, INT_INF).astype(np.int32)
    # Steps: the tasks a vehicle's route must contain, in this order (VROOM's partial routes);
    # their service_at / _after / _before narrow the task's windows.
    node_of = {(j["_type"], str(j["id"])): n_sites + k for k, j in enumerate(jobs)}
    fixed: list[tuple[int, ...]] = []
    bound: dict[int, str] = {}
    for i, v in enumerate(vehicles):
        item = f"vehicle {v['id']!r}"
        seq: list[int] = []
        for k, st in enumerate(v.get("steps") or []):
            if st["type"] in ("start", "end", "break"):
                continue
            node = node_of.get((st["type"], str(st.get("id"))))
            if node is None:
                raise _err(item, f"steps[{k}].id", f"no {st['type']} with id {st.get('id')!r}")
            if node in bound:
                raise _err(item, f"steps[{k}].id", f"{st['type']} {st.get('id')!r} is already a step of vehicle {bound[node]}")
            bound[node] = str(v["id"])
            if not compat[i, node]:
                raise _err(item, f"steps[{k}].id", f"{st['type']} {st.get('id')!r} needs skills this vehicle lacks")
            lo = int(st.get("service_at", st.get("service_after", 0))) - time_offset
            hi = int(st.get("service_at", st.get("service_before", INT_INF - 1 + time_offset))) - time_offset
            wins = [(max(a, lo), min(b, hi)) for a, b in windows[node] if max(a, lo) <= min(b, hi)]
            if not wins:
                raise _err(item, f"steps[{k}]", f"service_at/after/before leave {st['type']} {st.get('id')!r} no time in its windows")
            windows[node] = tuple(wins)
            tw_start[node], tw_end[node] = wins[0][0], wins[-1][1]
            compat[:, node] = False
            compat[i, node] = True
            seq.append(node)
        fixed.append(tuple(seq))
    for p_, d_ in pairs:
        # A shipment's two tasks share a vehicle: a step on one binds the other.
        for x, y in ((n_sites + p_, n_sites + d_), (n_sites + d_, n_sites + p_)):
            if x in bound and y not in bound:
                compat[:, y] = compat[:, x]
    v_prof, profiles = speed_profiles(durations, v_factor.tolist())
    for i, seq in enumerate(fixed):
        if seq:
            _check_steps_route(
                f"vehicle {vehicles[i]['id']!r}", list(seq), profiles[v_prof[i]], distances, int(v_start[i]), int(v_end[i]),
                (int(v_tws[i]), int(v_twe[i])), windows, service,
                _load_start(jobs, n_sites, vroom_dims), _load_change(jobs, n_sites, vroom_dims), v_capacity[i, :vroom_dims],
                vehicles[i],
            )
    return VrpArrays(
        n_depots=n_sites,
        durations=profiles[0],
        distances=distances,
        service=service,
        tw_start=tw_start,
        tw_end=tw_end,
        demand=np.minimum(demand, INT_INF).astype(np.int32),
        v_start=np.asarray(v_start, dtype=np.int32),
        v_end=np.asarray(v_end, dtype=np.int32),
        v_capacity=v_capacity.astype(np.int32),
        v_tw_start=v_tws,
        v_tw_end=v_twe,
        v_max_duration=v_maxd,
        v_fixed_cost=v_fixed,
        v_cost_per_m=v_pm,
        v_cost_per_s=v_ps,
        v_cost_per_service_s=v_pss,
        v_max_distance=v_maxdist if np.any(v_maxdist < INT_INF) else None,
        v_max_travel=v_maxtravel if np.any(v_maxtravel < INT_INF) else None,
        v_fixed=tuple(fixed),
        preload=None if preload is None else np.minimum(preload, INT_INF).astype(np.int32),
        compat=compat,
        penalty=penalty,
        v_profile=v_prof,
        profile_durations=profiles,
        windows=tuple(windows),
        v_breaks=tuple(v_breaks),
        cost_scale=1.0,
        job_ids=tuple(str(j["id"]) if j["_type"] == "job" else f"{j['_type']}-{j['id']}" for j in jobs),
        pairs=np.asarray([(n_sites + p, n_sites + d) for p, d in pairs], dtype=np.int32).reshape(-1, 2),
        vehicle_ids=tuple(str(v["id"]) for v in vehicles),
        name=str(doc.get("name", "vroom")),
        meta={
            "time_offset": time_offset,
            "setup": np.concatenate([np.zeros(n_sites, dtype=np.int64), [int(j.get("setup", 0)) for j in jobs]]).astype(np.int64),
            "priority": np.concatenate([np.zeros(n_sites, dtype=np.int64), [int(j.get("priority", 0)) for j in jobs]]).astype(np.int64),
            "lat": lat,
            "lon": lon,
            "net_node": np.full(n, -1, dtype=np.int64),
            "dims": tuple(f"amount{k}" for k in range(vroom_dims)) + (("tasks",) if n_dims > vroom_dims else ()),
            "vroom_dims": vroom_dims,
            "dim_scale": 1,
            "site_names": tuple(f"site{k}" for k in range(n_sites)),
            "vehicle_type": tuple(str(v.get("profile", "car")) for v in vehicles),
            "vroom_job_ids": tuple(ids),
            "task_type": ("start",) * n_sites + tuple(j["_type"] for j in jobs),
            "load_start": _load_start(jobs, n_sites, vroom_dims),
            "load_change": _load_change(jobs, n_sites, vroom_dims),
            "vroom_delivery": _moved(jobs, n_sites, vroom_dims, "delivery"),
            "vroom_pickup": _moved(jobs, n_sites, vroom_dims, "pickup"),
            "descriptions": (None,) * n_sites + tuple(j.get("description") for j in jobs),
            "vehicle_descriptions": tuple(v.get("description") for v in vehicles),
            "break_descriptions": tuple(tuple(b.get("description") for b in v.get("breaks") or []) for v in vehicles),
            "break_ids": tuple(tuple(b["id"] for b in v.get("breaks") or []) for v in vehicles),
            "vroom_vehicle_ids": tuple(v["id"] for v in vehicles),
            "vroom_locations": tuple(
                (list(c) if c else None, None if (i is None or i is OPEN) else i) for c, i in locs
            ),
            "open_sites": is_open,
            "order_index": np.concatenate([np.full(n_sites, -1), np.arange(len(jobs))]),
            "off_network": off_network,
            "snap_m": snap_m if network is not None and dmat is None else np.zeros(n),
            "matrix_source": "matrix" if dmat is not None else ("network" if network is not None else "haversine"),
        },
    )


def _check_steps_route(
    item: str,
    seq: list[int],
    dur: np.ndarray,
    dist: np.ndarray,
    start: int,
    end: int,
    shift: tuple[int, int],
    windows: list[tuple[tuple[int, int], ...]],
    service: np.ndarray,
    load_start: np.ndarray,
    load_change: np.ndarray,
    capacity: np.ndarray,
    vehicle: dict[str, Any],
) -> None:
    """Refuse a vehicle's ``steps`` that describe an invalid route on their own, as VROOM does.

    VROOM raises an input error (code 2) when the tasks of a vehicle's steps, in
    that order, break a constraint: load over capacity at some step, more
    tasks than ``max_tasks``, a task that cannot start inside its windows, an
    end after the shift, or over ``max_travel_time`` (travel only) /
    ``max_distance``.  Breaks are not placed here (they only make a route later).
    """
    load = load_start[seq].sum(axis=0)
    if (load > capacity).any():
        raise _err(item, "steps", "the steps describe a route over capacity (at its start)")
    for node in seq:
        load = load + load_change[node]
        if (load > capacity).any():
            raise _err(item, "steps", "the steps describe a route over capacity")
    if vehicle.get("max_tasks") is not None and len(seq) > int(vehicle["max_tasks"]):
        raise _err(item, "steps", f"the steps hold {len(seq)} tasks, over max_tasks {vehicle['max_tasks']}")
    t, prev, travel, metres = shift[0], start, 0, 0
    for node in seq:
        t += int(dur[prev, node])
        travel += int(dur[prev, node])
        metres += int(dist[prev, node])
        begin = next((max(t, lo) for lo, hi in windows[node] if max(t, lo) <= hi), None)
        if begin is None:
            raise _err(item, "steps", "the steps describe a route that misses a task's time windows")
        t = begin + int(service[node])
        prev = node
    t += int(dur[prev, end])
    travel += int(dur[prev, end])
    metres += int(dist[prev, end])
    if t > shift[1]:
        raise _err(item, "steps", "the steps describe a route that ends after the vehicle's time_window")
    if vehicle.get("max_travel_time") is not None and travel > int(vehicle["max_travel_time"]):
        raise _err(item, "steps", f"the steps describe {travel} s of travel, over max_travel_time {vehicle['max_travel_time']}")
    if vehicle.get("max_distance") is not None and metres > int(vehicle["max_distance"]):
        raise _err(item, "steps", f"the steps describe {metres} m, over max_distance {vehicle['max_distance']}")


def _vec(x: Any, n_dims: int) -> np.ndarray:
    out = np.zeros(n_dims, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64).ravel()
    out[: x.size] = x
    return out


def _load_start(jobs: list[dict[str, Any]], n_sites: int, n_dims: int) -> np.ndarray:
    """[n, n_dims] what each task puts on the vehicle at the start (a job's delivery)."""
    out = np.zeros((n_sites + len(jobs), n_dims), dtype=np.int64)
    for k, j in enumerate(jobs):
        if j["_type"] == "job":
            out[n_sites + k] = _vec(j.get("delivery", j.get("amount", [])), n_dims)
    return out


def _load_change(jobs: list[dict[str, Any]], n_sites: int, n_dims: int) -> np.ndarray:
    """[n, n_dims] how each task changes the load (VROOM's step ``load`` is the load after it)."""
    out = np.zeros((n_sites + len(jobs), n_dims), dtype=np.int64)
    for k, j in enumerate(jobs):
        if j["_type"] == "job":
            out[n_sites + k] = _vec(j.get("pickup", []), n_dims) - _vec(j.get("delivery", j.get("amount", [])), n_dims)
        else:
            out[n_sites + k] = _vec(j["_amount"], n_dims)
    return out


def _moved(jobs: list[dict[str, Any]], n_sites: int, n_dims: int, kind: str) -> np.ndarray:
    """[n, n_dims] what each task delivers (``kind="delivery"``) or picks up: VROOM's route totals."""
    out = np.zeros((n_sites + len(jobs), n_dims), dtype=np.int64)
    for k, j in enumerate(jobs):
        if j["_type"] == "job":
            out[n_sites + k] = _vec(j.get(kind, j.get("amount", []) if kind == "delivery" else []), n_dims)
        elif j["_type"] == kind:
            out[n_sites + k] = np.abs(_vec(j["_amount"], n_dims))
    return out


def _pad_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(max(a.size, b.size), dtype=np.int64)
    out[: a.size] += a
    out[: b.size] += b
    return out


def read_vroom(path: str | Path, *, network: RoadNetwork | None = None, speed_kmh: float = 30.0) -> VrpArrays:
    """A VROOM problem file as ``VrpArrays`` (see ``arrays_from_vroom``)."""
    from engine.io.problem_json import read_json

    return arrays_from_vroom(read_json(path, "VROOM file"), network=network, speed_kmh=speed_kmh)


def solution_to_vroom(
    a: VrpArrays,
    routes: list[list[int]],
    times: list[list[int]] | None = None,
    breaks: list[list[tuple[int, int]]] | None = None,
) -> dict[str, Any]:
    """A solution (job nodes per vehicle) in VROOM's output shape.

    ``times[v]`` are the service-start times at start, each job and end (as
    from ``OrToolsModel.times``); when omitted each route is scheduled as early
    as its windows allow.  ``breaks[v]`` are the (start, duration) of vehicle
    ``v``'s breaks (``OrToolsModel.break_times``).  As in VROOM's output, a
    break comes after the travel to the next task (its ``duration`` already
    counts that leg, the next task is reached when the break ends), and a
    task's ``setup`` is charged only on arriving at a new location (the solver
    reserves it every time, so the times here are never later than planned).
    Arrival is previous departure plus travel; ``waiting_time`` is service
    start minus arrival.
    """
    meta = a.meta
    vroom_jobs = meta.get("vroom_job_ids", a.job_ids)
    vroom_veh = meta.get("vroom_vehicle_ids", a.vehicle_ids)
    locs = meta.get("vroom_locations")
    open_sites = meta.get("open_sites", np.zeros(a.n_nodes, dtype=bool))
    offset = int(meta.get("time_offset", 0))
    setups = meta.get("setup", np.zeros(a.n_nodes, dtype=np.int64))
    priorities = meta.get("priority", np.zeros(a.n_nodes, dtype=np.int64))
    task_type = meta.get("task_type", ("start",) * a.n_depots + ("job",) * a.n_jobs)
    load_start = np.asarray(meta.get("load_start", a.demand), dtype=np.int64)
    load_change = np.asarray(meta.get("load_change", -np.asarray(a.demand, dtype=np.int64)), dtype=np.int64)
    delivered = np.asarray(meta.get("vroom_delivery", load_start), dtype=np.int64)
    picked = np.asarray(meta.get("vroom_pickup", np.zeros_like(load_start)), dtype=np.int64)
    break_ids = meta.get("break_ids", ())
    descriptions = meta.get("descriptions", (None,) * a.n_nodes)
    v_descriptions = meta.get("vehicle_descriptions", ())

    def loc_fields(node: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if locs is not None:
            c, i = locs[node]
            if c is not None:
                out["location"] = c
            if i is not None:
                out["location_index"] = i
        elif "lon" in meta:
            out["location"] = [float(meta["lon"][node]), float(meta["lat"][node])]
        return out

    def same_place(x: int, y: int) -> bool:
        if locs is not None:
            return bool(locs[x] == locs[y])
        return x == y

    def break_id(v: int, start: int, dur: int, used: set[int]) -> Any:
        """The id of vehicle ``v``'s break with this duration whose window holds ``start``."""
        ids = break_ids[v] if v < len(break_ids) else ()
        spec = a.v_breaks[v] if v < len(a.v_breaks) else ()
        fits = [b for b in range(len(spec)) if b not in used and spec[b][2] == dur and spec[b][0] <= start <= spec[b][1]]
        rest = [b for b in range(len(spec)) if b not in used]
        pick = (fits or rest or [None])[0]
        if pick is None or pick >= len(ids):
            return len(used)
        used.add(pick)
        return ids[pick]

    dims = load_start.shape[1]
    out_routes = []
    served: set[int] = set()
    keys = ("cost", "setup", "service", "duration", "waiting_time", "priority", "distance")
    sums = dict.fromkeys(keys, 0)
    tot_delivery = np.zeros(dims, dtype=np.int64)
    tot_pickup = np.zeros(dims, dtype=np.int64)
    for v, jobs in enumerate(routes):
        if not jobs:
            continue
        dur = a.profile_durations[a.v_profile[v]]
        path = [int(a.v_start[v]), *jobs, int(a.v_end[v])]
        ts = times[v] if times is not None else a.route_schedule(v, list(jobs))[0]
        pending = sorted(breaks[v]) if breaks is not None and v < len(breaks) else []
        used: set[int] = set()
        jx = np.asarray(jobs)
        load = load_start[jx].sum(axis=0)
        steps = []
        t_travel = dist = wait_sum = serv_sum = setup_sum = 0
        prev_dep = int(ts[0])
        if pending and pending[0][0] < prev_dep:
            # The solver may place a break before the route's (latest possible) start: the
            # vehicle then starts earlier and takes it at its start, as VROOM would report it.
            prev_dep = max(int(pending[0][0]), int(a.v_tw_start[v]))
        prev_node = path[0]
        for k, node in enumerate(path):
            leg_t = int(dur[path[k - 1], node]) if k else 0
            leg_d = int(a.distances[path[k - 1], node]) if k else 0
            arrival = prev_dep + leg_t if k else prev_dep
            t_travel += leg_t
            dist += leg_d
            if k == len(path) - 1:
                # VROOM keeps every break inside a used route: a break the solver put after the
                # end (or left out) is taken before the end, which then comes later.
                spec = a.v_breaks[v] if v < len(a.v_breaks) else ()
                n_left = len(spec) - len(used) - len(pending)
                if n_left > 0:
                    taken = {b for b, (lo, hi, d) in enumerate(spec) if any(lo <= bs <= hi and d == bd for bs, bd in pending)}
                    extra = [(max(int(lo), arrival), int(d)) for b, (lo, hi, d) in enumerate(spec) if b not in used and b not in taken]
                    pending = sorted(pending + extra[:n_left])
            # Breaks that start before this node's service.  The solver may start one while
            # driving: the leg is then split around it (VROOM reports breaks the same way, its
            # ``duration`` counting the part driven before); otherwise it comes after the leg.
            cur, driven = arrival - leg_t, 0
            while k and pending and (pending[0][0] < int(ts[k]) or k == len(path) - 1):
                bs, bd = pending.pop(0)
                part = min(max(int(bs) - cur, 0), leg_t - driven)
                cur += part
                driven += part
                b_start = max(int(bs), cur)
                step = {"type": "break", "id": break_id(v, int(bs), int(bd), used), "setup": 0, "service": int(bd),
                        "waiting_time": b_start - cur, "load": [int(x) for x in load], "arrival": cur + offset,
                        "duration": t_travel - leg_t + driven, "violations": []}
                if a.distances.any():
                    step["distance"] = dist - leg_d + (leg_d * driven // leg_t if leg_t else leg_d)
                steps.append(step)
                wait_sum += b_start - cur
                serv_sum += int(bd)
                cur = b_start + int(bd)
                arrival = cur + leg_t - driven
            start = max(int(ts[k]), arrival) if k else arrival
            wait = start - arrival
            kind = "start" if k == 0 else "end" if k == len(path) - 1 else task_type[node]
            task = kind not in ("start", "end")
            # The solver reserves setup on every task; VROOM charges it only on arriving at a new place.
            setup = int(setups[node]) if task and not (k > 1 and same_place(prev_node, node)) else 0
            svc = int(a.service[node]) - int(setups[node]) if task else 0
            if task:
                load = load + load_change[node]
                served.add(node)
            prev_dep = start + svc + setup
            if (kind == "start" or kind == "end") and bool(open_sites[node]):
                continue
            step = {
                "type": kind, **loc_fields(node), "setup": setup, "service": svc, "waiting_time": wait,
                "load": [int(x) for x in load], "arrival": arrival + offset, "duration": t_travel, "violations": [],
            }
            if task:
                step["id"] = vroom_jobs[node - a.n_depots]
                if descriptions[node] is not None:
                    step["description"] = descriptions[node]
            if kind == "job":
                step["job"] = vroom_jobs[node - a.n_depots]
            if a.distances.any():
                step["distance"] = dist
            steps.append(step)
            wait_sum += wait
            serv_sum += svc
            setup_sum += setup
            prev_node = node
        cost = int(round(_cost.route_cost(a, v, jobs)))
        r_delivery = delivered[jx].sum(axis=0)
        r_pickup = picked[jx].sum(axis=0)
        route = {
            "vehicle": vroom_veh[v],
            "cost": cost,
            "steps": steps,
            "setup": setup_sum,
            "service": serv_sum,
            "duration": t_travel,
            "waiting_time": wait_sum,
            "priority": int(sum(int(priorities[j]) for j in jobs)),
            "violations": [],
            "delivery": [int(x) for x in r_delivery],
            "pickup": [int(x) for x in r_pickup],
            "amount": [int(x) for x in r_delivery],  # VROOM's deprecated name for delivery
        }
        if a.distances.any():
            route["distance"] = dist
        if v < len(v_descriptions) and v_descriptions[v] is not None:
            route["description"] = v_descriptions[v]
        out_routes.append(route)
        tot_delivery += r_delivery
        tot_pickup += r_pickup
        for key, val in (("cost", cost), ("setup", setup_sum), ("service", serv_sum), ("duration", t_travel),
                         ("waiting_time", wait_sum), ("priority", route["priority"]), ("distance", dist)):
            sums[key] += val
    unassigned = []
    for node in range(a.n_depots, a.n_nodes):
        if node not in served:
            extra = {"description": descriptions[node]} if descriptions[node] is not None else {}
            unassigned.append({"id": vroom_jobs[node - a.n_depots], "type": task_type[node], **extra, **loc_fields(node)})
    summary = {
        "cost": sums["cost"],
        "routes": len(out_routes),
        "unassigned": len(unassigned),
        "delivery": [int(x) for x in tot_delivery],
        "pickup": [int(x) for x in tot_pickup],
        "amount": [int(x) for x in tot_delivery],
        "setup": sums["setup"],
        "service": sums["service"],
        "duration": sums["duration"],
        "waiting_time": sums["waiting_time"],
        "priority": sums["priority"],
        "violations": [],
    }
    if a.distances.any():
        summary["distance"] = sums["distance"]
    return {"code": 0, "summary": summary, "unassigned": unassigned, "routes": out_routes}


def plan_to_vroom(plan: Any) -> dict[str, Any]:
    """A ``Plan`` (from a lat/lon problem) in VROOM's output shape; locations are [lon, lat]."""
    routes = []
    tot = {"cost": 0.0, "service": 0, "duration": 0, "waiting_time": 0, "distance": 0.0}
    for r in plan.routes:
        steps = []
        travel = 0.0
        dist = 0.0
        wait_sum = 0
        serv_sum = 0
        prev_dep = None
        for s in r.stops:
            if s.kind == "break":
                steps.append({"type": "break", "arrival": s.arrival, "service": s.departure - s.arrival, "duration": int(travel), "waiting_time": 0})
                prev_dep = s.departure if prev_dep is None else max(prev_dep, s.departure)
                continue
            travel += s.leg_time_s
            dist += s.leg_distance_m
            arrival = s.arrival if prev_dep is None else int(min(s.arrival, prev_dep + s.leg_time_s))
            svc = s.departure - s.arrival
            wait = s.arrival - arrival
            step = {
                "type": {"start": "start", "end": "end"}.get(s.kind, "job"),
                "location": [s.lon, s.lat],
                "arrival": arrival,
                "duration": int(travel),
                "distance": int(dist),
                "service": svc,
                "waiting_time": wait,
                "load": [v for v in s.load.values()],
            }
            if s.order_id is not None:
                step["id"] = s.order_id
            steps.append(step)
            prev_dep = s.departure
            wait_sum += wait
            serv_sum += svc
        routes.append({"vehicle": r.vehicle_id, "cost": r.cost, "steps": steps, "service": serv_sum, "duration": int(travel), "waiting_time": wait_sum, "distance": int(dist)})
        tot["cost"] += r.cost
        tot["service"] += serv_sum
        tot["duration"] += int(travel)
        tot["waiting_time"] += wait_sum
        tot["distance"] += dist
    unassigned = [{"id": u.order_id, "type": "job", "reason": u.reason.name, "description": u.detail} for u in plan.unassigned]
    return {
        "code": 0,
        "summary": {
            "cost": round(plan.cost, 4),
            "routes": len(routes),
            "unassigned": len(unassigned),
            "service": tot["service"],
            "duration": tot["duration"],
            "waiting_time": tot["waiting_time"],
            "distance": int(tot["distance"]),
            "handoffs": len(plan.handoffs),
        },
        "unassigned": unassigned,
        "routes": routes,
        "handoffs": [{"id": h.order_id, "carrier": h.carrier_id, "cost": h.cost} for h in plan.handoffs],
    }


def solve_vroom_plan(
    doc: Any,
    *,
    network: RoadNetwork | None = None,
    params: SolveParams = SolveParams(),
    stop: StoppingCriterion = MaxRuntime(10.0),
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> tuple[Plan, dict[str, Any]]:
    """Solve a VROOM problem document: ``(Plan, VROOM-shaped output)``.

    ``params``, ``stop``, ``seed`` and ``progress`` mean what they mean for
    ``engine.dispatch.solve`` (``params.matrix_source`` does not apply: the
    document's matrix is used when it has one, else ``network``, else haversine).
    """
    import dataclasses
    import time

    from engine.dispatch import precheck
    from engine.dispatch.model import build_routes
    from engine.dispatch.pipeline import ready_kernels, solve_arrays
    from engine.domain.plan import Plan, Unassigned, UnassignedReason

    ready_kernels(params)  # once per process, outside the limit (as a server's warm workers)
    t0 = time.perf_counter()
    a = arrays_from_vroom(doc, network=network)
    pre = precheck.run(a)
    a = dataclasses.replace(a, compat=pre.compat)
    # Steps (fixed or partial routes) are the warm start, like re-planning's current routes.
    init = [list(f) for f in a.v_fixed] if any(a.v_fixed) else None
    res = solve_arrays(a, params=params, stop=stop, seed=seed, progress=progress, initial_routes=init, t0=t0)
    times = breaks = None
    if res.model is not None and res.assignment is not None:
        times = [res.model.times(res.assignment, v) for v in range(a.n_vehicles)]
        breaks = [res.model.break_times(res.assignment, v) for v in range(a.n_vehicles)]
    elif res.search_only and res.schedules:
        # The search alone timed its routes with their breaks (engine.dispatch.schedule):
        # re-timing them here without the breaks would report arrivals earlier than planned.
        times = [res.schedules[v].times if v in res.schedules else [] for v in range(a.n_vehicles)]
    routes = build_routes(a, res)
    if breaks is None and any(a.v_breaks):
        # The numba search's own schedule: its break stops, by vehicle.
        by_vehicle = {r.vehicle_id: r for r in routes}
        breaks = [
            [(s.arrival, s.departure - s.arrival) for s in by_vehicle[vid].stops if s.kind == "break"] if vid in by_vehicle else []
            for vid in a.vehicle_ids
        ]
    out = solution_to_vroom(a, res.routes, times, breaks)
    served = {j for r in res.routes for j in r}
    unassigned = []
    for node in range(a.n_depots, a.n_nodes):
        if node in served:
            continue
        reason, detail = pre.fleet_reasons.get(node, (UnassignedReason.NOT_PLANNED, "the solver could not fit it"))
        unassigned.append(Unassigned(a.job_ids[node - a.n_depots], reason, detail))
    # Both lists follow the job nodes in order.
    for u, x in zip(out["unassigned"], unassigned):
        u["reason"] = x.reason.name
    plan = Plan(
        problem_name=a.name,
        routes=routes,
        handoffs=[],
        unassigned=unassigned,
        cost=float(out["summary"]["cost"]),
        distance_m=float(sum(r.distance_m for r in routes)),
        duration_s=float(sum(r.duration_s for r in routes)),
        solve_seconds=round(time.perf_counter() - t0, 3),
        trajectory=list(res.trajectory),
        status="ok" if not unassigned else "partial",
        stats={"phases": [(n, round(t, 3), c) for n, t, c in res.phases], "format": "vroom"},
    )
    out["summary"]["computing_times"] = {"solving": int(plan.solve_seconds * 1000)}
    return plan, out
