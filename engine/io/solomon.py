"""Solomon / Homberger-Gehring VRPTW instances: read the text format, build ``VrpArrays``.

The format: a name line, a ``VEHICLE`` section (``NUMBER  CAPACITY`` then the
two numbers) and a ``CUSTOMER`` section of rows ``CUST NO.  XCOORD.  YCOORD.
DEMAND  READY TIME  DUE DATE  SERVICE TIME``, customer 0 being the depot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.dispatch.arrays import INT_INF, VrpArrays
from engine.errors import FormatError

#: Drop penalty of every customer: every one must be served.  Equal to the default
#: ``SearchParams.construction_penalty``, so the numba search builds no second,
#: forced start for these instances (nothing is cheaper to leave out).
MUST_SERVE = 10**12


def read_solomon(path: str | Path) -> dict[str, Any]:
    """Parse a Solomon/Homberger-Gehring text file into plain numbers.

    Returns ``{"name", "n_vehicles", "capacity", "xy" [n,2], "demand" [n],
    "ready" [n], "due" [n], "service" [n]}`` with customer 0 the depot.
    Raises ``FormatError`` naming the file when it cannot be read or is not
    in the format.
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise FormatError(f"cannot read Solomon file {path}: {exc}", item=str(path)) from None
    name = lines[0].strip() if lines else path.stem
    n_veh = cap = None
    rows: list[list[float]] = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("NUMBER") and n_veh is None and i + 1 < len(lines):
            parts = lines[i + 1].split()
            try:
                n_veh, cap = int(parts[0]), int(parts[1])
            except (IndexError, ValueError):
                raise FormatError(f"{path}: line {i + 2}: expected the vehicle number and capacity", item=str(path), field="VEHICLE") from None
        parts = line.split()
        if len(parts) == 7 and all(_is_number(p) for p in parts):
            rows.append([float(p) for p in parts])
    if n_veh is None or cap is None or not rows:
        raise FormatError(f"{path}: not a Solomon file (missing VEHICLE section or customer rows)", item=str(path))
    arr = np.asarray(rows)
    if int(arr[0, 0]) != 0:
        raise FormatError(f"{path}: first customer row must be the depot (number 0)", item=str(path), field="CUSTOMER")
    return {
        "name": name,
        "n_vehicles": n_veh,
        "capacity": cap,
        "xy": arr[:, 1:3],
        "demand": arr[:, 3].astype(np.int64),
        "ready": arr[:, 4],
        "due": arr[:, 5],
        "service": arr[:, 6],
    }


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def from_solomon(path: str | Path, *, scale: int = 1000, n_vehicles: int | None = None) -> VrpArrays:
    """Solomon / Homberger instance as ``VrpArrays``.

    Euclidean distance times ``scale``, rounded to int; travel time equals
    distance; windows and service times scaled the same way; identical
    vehicles with cost = distance only and no fixed cost.  Penalty for
    leaving a customer out is ``MUST_SERVE`` (every customer must be served).
    """
    d = read_solomon(path)
    xy = d["xy"]
    n = xy.shape[0]
    diff = xy[:, None, :] - xy[None, :, :]
    dist = np.rint(np.sqrt((diff**2).sum(axis=2)) * scale).astype(np.int32)
    m = int(n_vehicles if n_vehicles is not None else d["n_vehicles"])
    tw_start = np.rint(d["ready"] * scale).astype(np.int32)
    tw_end = np.rint(d["due"] * scale).astype(np.int32)
    service = np.rint(d["service"] * scale).astype(np.int32)
    service[0] = 0
    demand = d["demand"].astype(np.int32)[:, None].copy()
    demand[0] = 0
    penalty = np.full(n, MUST_SERVE, dtype=np.int64)
    penalty[0] = 0
    return VrpArrays(
        n_depots=1,
        durations=dist,
        distances=dist.copy(),
        service=service,
        tw_start=tw_start,
        tw_end=tw_end,
        demand=demand,
        v_start=np.zeros(m, dtype=np.int32),
        v_end=np.zeros(m, dtype=np.int32),
        v_capacity=np.full((m, 1), d["capacity"], dtype=np.int32),
        v_tw_start=np.full(m, tw_start[0], dtype=np.int32),
        v_tw_end=np.full(m, tw_end[0], dtype=np.int32),
        v_max_duration=np.full(m, INT_INF, dtype=np.int32),
        v_fixed_cost=np.zeros(m, dtype=np.float64),
        v_cost_per_m=np.ones(m, dtype=np.float64),
        v_cost_per_s=np.zeros(m, dtype=np.float64),
        compat=np.ones((m, n), dtype=bool),
        penalty=penalty,
        scale=scale,
        job_ids=tuple(str(i) for i in range(1, n)),
        name=str(d["name"]),
    )


def li_lim_to_vroom(path: str | Path, *, scale: int = 1000) -> dict[str, Any]:
    """A Li & Lim PDPTW instance as a VROOM problem with ``shipments``.

    The format: a line ``VEHICLES CAPACITY SPEED``, then rows ``TASK X Y DEMAND
    EARLY LATE SERVICE PICKUP DELIVERY`` (task 0 the depot; a pickup names its
    delivery, a delivery its pickup).  Distances and travel times are the
    Euclidean distances times ``scale``, rounded (as ``from_solomon``), so the
    VROOM cost (travel seconds) divided by ``scale`` is the literature's distance.
    """
    path = Path(path)
    try:
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    except OSError as exc:
        raise FormatError(f"cannot read Li & Lim file {path}: {exc}", item=str(path)) from None
    try:
        n_veh, cap = int(rows[0][0]), int(rows[0][1])
        table = np.array([[float(x) for x in r[:9]] for r in rows[1:]])
    except (IndexError, ValueError):
        raise FormatError(f"{path}: not a Li & Lim PDPTW file", item=str(path)) from None
    if table.ndim != 2 or table.shape[1] != 9 or table[0, 0] != 0:
        raise FormatError(f"{path}: not a Li & Lim PDPTW file (task 0 must be the depot)", item=str(path))
    xy = table[:, 1:3]
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * scale).astype(np.int64)
    task = {int(r[0]): r for r in table}
    horizon = int(round(table[0, 5] * scale))

    def stop(i: int) -> dict[str, Any]:
        r = task[i]
        return {"id": i, "location_index": i, "service": int(round(r[6] * scale)),
                "time_windows": [[int(round(r[4] * scale)), int(round(r[5] * scale))]]}

    shipments = [
        {"pickup": stop(int(r[0])), "delivery": stop(int(r[8])), "amount": [int(r[3])]}
        for r in table[1:] if int(r[7]) == 0 and int(r[8]) > 0
    ]
    vehicles = [{"id": v, "start_index": 0, "end_index": 0, "capacity": [cap], "time_window": [0, horizon]} for v in range(n_veh)]
    return {"vehicles": vehicles, "shipments": shipments, "matrices": {"car": {"durations": dist.tolist()}}, "name": path.stem}


__all__ = ["MUST_SERVE", "from_solomon", "li_lim_to_vroom", "read_solomon"]
