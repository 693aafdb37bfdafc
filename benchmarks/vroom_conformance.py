"""VROOM conformance: our VROOM reader/writer beside VROOM itself (pyvroom) on the same inputs.

Every case (VROOM's documented examples, then generated problems: jobs, shipments,
``steps``, time windows, Unix times, skills, priorities, breaks, setup, max_tasks,
max_distance, max_travel_time, open ends, on a matrix) is solved

* by us through the CLI (``promise plan FILE --format vroom -o OUT``, a subprocess),
* by us through the library (``engine.io.vroom.solve_vroom_plan``),
* by VROOM (pyvroom's own command line, ``vroom.main``, a subprocess) on the same file.

Each output is checked against VROOM's output schema (docs/API.md: keys, types,
summary fields, step types and order, violations) and every route is re-verified
independently from the input alone (windows, vehicle shift, capacities step by step,
skills, shipments on one route pickup first, steps order, max_tasks, max_distance,
VROOM's travel-only max_travel_time, breaks present and in a window, setup only on
arriving at a new location, reported arrivals/durations/costs).  Costs are recomputed
from the input with VROOM's cost rule and compared with VROOM's.

VROOM's documented examples use coordinates (VROOM asks a routing server); here they
are given a haversine matrix (``engine.geo``, 30 km/h, x1.3 detour) so both sides see
the same times.  The examples are read from a VROOM checkout (``--vroom-docs``, default
the mirror fetched into /work/.mirror); without one they are skipped, with a message.

Usage::

    python benchmarks/vroom_conformance.py                 # all cases, 2 s each
    python benchmarks/vroom_conformance.py --cases 3 --time-limit 1 --json benchmarks/out/vroom_conformance.json

Exit code 0 when every case of ours is accepted (or refused as VROOM refuses it) and
feasible; 1 otherwise.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DEFAULT_DOCS = Path("/work/.mirror/VROOM-Project+vroom/repo")
UNIX0 = 1_600_416_000  # VROOM's examples start here (2020-09-18 08:00 UTC)


# ----------------------------------------------------------------------------- cases
def _docs_examples(repo: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k in (1, 2, 3):
        try:
            if (repo / "docs").is_dir():
                text = (repo / "docs" / f"example_{k}.json").read_text()
            else:
                text = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:docs/example_{k}.json"],
                                      capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        out[f"doc-example_{k}"] = json.loads(text)
    return out


def matrixize(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with coordinates replaced by indices into a haversine matrix (same times for both)."""
    from engine.geo import haversine_m

    doc = copy.deepcopy(doc)
    if doc.get("matrices") or doc.get("matrix"):
        return doc
    coords: list[tuple[float, float]] = []

    def idx(c: list[float]) -> int:
        t = (float(c[0]), float(c[1]))
        if t not in coords:
            coords.append(t)
        return coords.index(t)

    for v in doc["vehicles"]:
        for key in ("start", "end"):
            if key in v:
                v[f"{key}_index"] = idx(v[key])
    tasks = list(doc.get("jobs", [])) + [s[k] for s in doc.get("shipments", []) for k in ("pickup", "delivery")]
    for t in tasks:
        t["location_index"] = idx(t["location"])
    lon = np.array([c[0] for c in coords])
    lat = np.array([c[1] for c in coords])
    metres = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * 1.3
    secs = np.rint(metres / (30 / 3.6)).astype(int)
    doc["matrices"] = {"car": {"durations": secs.tolist(), "distances": np.rint(metres).astype(int).tolist()}}
    return doc


def generated(n_cases: int, seed: int) -> dict[str, dict[str, Any]]:
    """Random problems on a matrix, each stressing one or more VROOM features."""
    kinds = ["tw", "unix", "shipments", "skills-prio", "breaks", "steps", "max-tasks", "max-distance",
             "max-travel-time", "setup", "multi-tw", "open-end", "mixed", "steps-invalid"]
    out: dict[str, dict[str, Any]] = {}
    for rep in range(n_cases):
        for kind in kinds:
            rng = np.random.default_rng([seed, rep, kinds.index(kind)])
            out[f"gen-{kind}-{rep}"] = _one(kind, rng)
    return out


def _one(kind: str, rng: np.random.Generator) -> dict[str, Any]:
    n_jobs = int(rng.integers(8, 25))
    n_ship = int(rng.integers(3, 8)) if kind in ("shipments", "mixed") else 0
    n_veh = int(rng.integers(2, 4))
    n_loc = 1 + n_jobs + 2 * n_ship
    pts = rng.uniform(0, 15_000, size=(n_loc, 2))
    if kind == "setup":
        pts[1 + n_jobs // 2: 1 + n_jobs] = pts[1: 1 + n_jobs - n_jobs // 2][: n_jobs - n_jobs // 2]  # shared places
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    asym = rng.uniform(1.0, 1.15, size=d.shape)
    dist = np.rint(d * 1.3 * asym).astype(int)
    dur = np.rint(dist / 8.0).astype(int)  # ~29 km/h
    base = UNIX0 if kind in ("unix", "mixed") else 0
    horizon = 8 * 3600
    dims = 2 if kind == "mixed" else 1
    cap = [int(rng.integers(8, 15)) for _ in range(dims)]
    vehicles = []
    for v in range(n_veh):
        veh: dict[str, Any] = {"id": v + 1, "start_index": 0, "end_index": 0, "capacity": cap,
                               "time_window": [base, base + horizon]}
        if kind == "open-end" and v == 0:
            del veh["end_index"]
        if kind in ("skills-prio", "mixed"):
            veh["skills"] = [1, 2] if v == 0 else [1]
        if kind in ("breaks", "mixed"):
            veh["breaks"] = [{"id": 100 + v, "service": 1800, "time_windows": [[base + 3 * 3600, base + 5 * 3600]]}]
        if kind == "max-tasks":
            veh["max_tasks"] = int(rng.integers(3, 6))
        if kind == "max-distance":
            veh["max_distance"] = int(rng.integers(20_000, 45_000))
        if kind == "max-travel-time":
            veh["max_travel_time"] = int(rng.integers(2400, 4800))
        if kind == "mixed":
            veh["costs"] = {"fixed": 1000, "per_hour": 3600, "per_km": 100, "per_task_hour": 600}
        vehicles.append(veh)
    jobs = []
    for j in range(n_jobs):
        job: dict[str, Any] = {"id": j + 1, "location_index": 1 + j, "service": int(rng.integers(60, 600)),
                               "delivery": [int(rng.integers(1, 4)) for _ in range(dims)]}
        if kind in ("mixed", "tw") and rng.random() < 0.3:
            job["pickup"] = [int(rng.integers(0, 3)) for _ in range(dims)]
            del job["delivery"]
        if kind in ("tw", "unix", "mixed", "breaks", "max-travel-time", "setup", "shipments"):
            s = int(rng.integers(0, horizon - 7200))
            job["time_windows"] = [[base + s, base + s + int(rng.integers(3600, 7200))]]
        if kind == "multi-tw":
            s = int(rng.integers(0, 3 * 3600))
            job["time_windows"] = [[s, s + 1800], [s + 3 * 3600, s + 4 * 3600]]
        if kind in ("skills-prio", "mixed"):
            if rng.random() < 0.3:
                job["skills"] = [2]
            job["priority"] = int(rng.integers(0, 101))
            job["delivery"] = [int(x) * 2 for x in job.get("delivery", [1] * dims)]  # too much: some stay out
        if kind == "setup":
            job["setup"] = int(rng.integers(120, 600))
        jobs.append(job)
    shipments = []
    for s in range(n_ship):
        p, q = 1 + n_jobs + 2 * s, 2 + n_jobs + 2 * s
        st = int(rng.integers(0, horizon - 10800))
        shipments.append({
            "amount": [int(rng.integers(1, 4)) for _ in range(dims)],
            "pickup": {"id": 1000 + s, "location_index": p, "service": 120,
                       "time_windows": [[base + st, base + st + 3600]]},
            "delivery": {"id": 2000 + s, "location_index": q, "service": 120,
                         "time_windows": [[base + st + 1800, base + st + 3 * 3600]]},
        })
    if kind == "steps":
        # Vehicle 1 is given a partial route over three jobs (a valid one: no windows here).
        vehicles[0]["steps"] = [{"type": "start"}] + [{"type": "job", "id": k} for k in (3, 1, 2)] + [{"type": "end"}]
    if kind == "steps-invalid":
        # Steps whose deliveries exceed the capacity: VROOM refuses the input (code 2).
        for k in (1, 2, 3, 4, 5):
            jobs[k - 1]["delivery"] = [cap[0]]
        vehicles[0]["steps"] = [{"type": "job", "id": k} for k in (1, 2, 3, 4, 5)]
    doc: dict[str, Any] = {"vehicles": vehicles, "jobs": jobs,
                           "matrices": {"car": {"durations": dur.tolist(), "distances": dist.tolist()}}}
    if shipments:
        doc["shipments"] = shipments
    return doc


# ----------------------------------------------------------------------------- runners
def run_cli(path: Path, time_limit: float) -> tuple[int, dict[str, Any] | None, float]:
    out = path.with_suffix(".ours.json")
    t0 = time.perf_counter()
    p = subprocess.run([str(Path(PY).parent / "promise"), "plan", str(path), "--format", "vroom", "-o", str(out),
                        "--time-limit", str(time_limit), "-q"], capture_output=True, text=True, cwd=ROOT, timeout=120 + time_limit, check=False)
    secs = time.perf_counter() - t0
    doc = None
    if out.exists():
        doc = json.loads(out.read_text())
    else:
        try:
            doc = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            doc = None
    return p.returncode, doc, secs


def run_lib(doc: dict[str, Any], time_limit: float) -> tuple[dict[str, Any] | None, str]:
    from engine.dispatch.stop import MaxRuntime
    from engine.errors import EngineError
    from engine.io.vroom import solve_vroom_plan

    try:
        _, out = solve_vroom_plan(doc, stop=MaxRuntime(time_limit))
        return out, ""
    except EngineError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def run_vroom(path: Path, time_limit: float) -> tuple[int, dict[str, Any] | None, float]:
    t0 = time.perf_counter()
    p = subprocess.run([PY, "-c", "import sys, vroom; vroom.main(['vroom', '-t', '2', '-l', sys.argv[2], '-i', sys.argv[1]])",
                        str(path), str(time_limit)], capture_output=True, text=True, timeout=120 + time_limit, check=False)
    secs = time.perf_counter() - t0
    try:
        return p.returncode, json.loads(p.stdout), secs
    except ValueError:
        return p.returncode, None, secs


# ----------------------------------------------------------------------------- schema
_SUMMARY = {"cost": int, "routes": int, "unassigned": int, "setup": int, "service": int, "duration": int,
            "waiting_time": int, "priority": int, "violations": list}
_ROUTE = {"vehicle": (int, str), "steps": list, "cost": int, "setup": int, "service": int, "duration": int,
          "waiting_time": int, "priority": int, "violations": list}
_STEP = {"type": str, "arrival": int, "duration": int, "setup": int, "service": int, "waiting_time": int, "violations": list}
_TASKS = ("job", "pickup", "delivery")


def check_schema(out: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    """Problems with ``out`` as a VROOM solution document (empty when it conforms)."""
    errs: list[str] = []

    def typed(obj: dict[str, Any], spec: dict[str, Any], where: str) -> None:
        for k, t in spec.items():
            if k not in obj:
                errs.append(f"{where}: missing {k!r}")
            elif not isinstance(obj[k], t) or isinstance(obj[k], bool):
                errs.append(f"{where}: {k!r} is {type(obj[k]).__name__}")

    if out.get("code") != 0:
        return [f"code {out.get('code')!r}"]
    typed(out.get("summary", {}), _SUMMARY, "summary")
    if not isinstance(out.get("unassigned"), list) or not isinstance(out.get("routes"), list):
        return errs + ["unassigned/routes not lists"]
    s = out["summary"]
    has_dist = any("distances" in p for p in (doc.get("matrices") or {}).values())
    if has_dist and "distance" not in s:
        errs.append("summary: no distance although distances were given")
    if s.get("routes") != len(out["routes"]):
        errs.append("summary.routes != len(routes)")
    if s.get("unassigned") != len(out["unassigned"]):
        errs.append("summary.unassigned != len(unassigned)")
    for key in ("cost", "setup", "service", "duration", "waiting_time", "priority"):
        if s.get(key) != sum(r.get(key, 0) for r in out["routes"]):
            errs.append(f"summary.{key} != sum over routes")
    for u in out["unassigned"]:
        if "id" not in u or u.get("type") not in _TASKS:
            errs.append(f"unassigned entry {u}")
    for r in out["routes"]:
        where = f"route {r.get('vehicle')}"
        typed(r, _ROUTE, where)
        steps = r.get("steps", [])
        types = [st.get("type") for st in steps]
        veh = next((v for v in doc["vehicles"] if v["id"] == r.get("vehicle")), None)
        if veh is None:
            errs.append(f"{where}: unknown vehicle")
            continue
        has_start = "start" in veh or "start_index" in veh
        has_end = "end" in veh or "end_index" in veh
        if has_start and types[:1] != ["start"]:
            errs.append(f"{where}: first step {types[:1]}")
        if has_end and types[-1:] != ["end"]:
            errs.append(f"{where}: last step {types[-1:]}")
        if types.count("start") > 1 or types.count("end") > 1:
            errs.append(f"{where}: several start/end steps")
        prev_dur = 0
        for k, st in enumerate(steps):
            typed(st, _STEP, f"{where} step {k}")
            if st.get("type") not in ("start", "end", "break", *_TASKS):
                errs.append(f"{where} step {k}: type {st.get('type')!r}")
            if st.get("type") in (*_TASKS, "break") and "id" not in st:
                errs.append(f"{where} step {k}: no id")
            if st.get("duration", 0) < prev_dur:
                errs.append(f"{where} step {k}: cumulated duration goes down")
            prev_dur = st.get("duration", prev_dur)
            if st.get("violations"):
                errs.append(f"{where} step {k}: violations {st['violations']} in solving mode")
        if r.get("violations"):
            errs.append(f"{where}: violations {r['violations']} in solving mode")
        if steps and r.get("duration") != steps[-1].get("duration"):
            errs.append(f"{where}: duration != last step's cumulated duration")
        for key in ("setup", "service", "waiting_time"):
            if r.get(key) != sum(st.get(key, 0) for st in steps):
                errs.append(f"{where}: {key} != sum over steps")
    return errs


# ----------------------------------------------------------------------------- independent check
def verify(out: dict[str, Any], doc: dict[str, Any], *, check_steps: bool) -> tuple[list[str], int]:
    """Constraint violations of ``out``'s routes against ``doc`` (from the input alone), and the
    recomputed VROOM cost (travel at per_hour, distance at per_km, fixed, task time at per_task_hour)."""
    errs: list[str] = []
    mats = doc["matrices"]["car"]
    dur = np.asarray(mats["durations"], dtype=np.int64)
    dist = np.asarray(mats["distances"], dtype=np.int64) if "distances" in mats else np.zeros_like(dur)
    tasks: dict[tuple[str, Any], dict[str, Any]] = {}
    for j in doc.get("jobs", []):
        tasks[("job", j["id"])] = {**j, "_pickup": j.get("pickup", []), "_delivery": j.get("delivery", j.get("amount", []))}
    for sh in doc.get("shipments", []):
        amt = sh.get("amount", [])
        tasks[("pickup", sh["pickup"]["id"])] = {**sh["pickup"], "skills": sh.get("skills", []), "priority": sh.get("priority", 0), "_ship": amt, "_partner": ("delivery", sh["delivery"]["id"])}
        tasks[("delivery", sh["delivery"]["id"])] = {**sh["delivery"], "skills": sh.get("skills", []), "priority": sh.get("priority", 0), "_ship": [-x for x in amt], "_partner": ("pickup", sh["pickup"]["id"])}
    seen: set[tuple[str, Any]] = set()
    total_cost = 0
    for r in out["routes"]:
        v = next(x for x in doc["vehicles"] if x["id"] == r["vehicle"])
        where = f"vehicle {v['id']}"
        costs = v.get("costs", {})
        speed = float(v.get("speed_factor", 1.0))
        steps = r["steps"]
        route_tasks = [(st["type"], st["id"]) for st in steps if st["type"] in _TASKS]
        for t in route_tasks:
            if t not in tasks:
                errs.append(f"{where}: unknown task {t}")
                return errs, 0
            if t in seen:
                errs.append(f"{where}: task {t} served twice")
            seen.add(t)
        # Capacity, step by step (deliveries of jobs loaded at the start).
        cap = v.get("capacity")
        n_dims = max([len(cap or [])] + [len(tasks[t].get("_delivery", tasks[t].get("_ship", []))) for t in route_tasks] + [len(tasks[t].get("_pickup", [])) for t in route_tasks] + [1])

        def vec(x: list[int], n_dims: int = n_dims) -> np.ndarray:
            a = np.zeros(n_dims, dtype=np.int64)
            a[: len(x)] = x
            return a

        load = sum((vec(tasks[t].get("_delivery", [])) for t in route_tasks), vec([]))
        cap_a = vec(cap) if cap is not None else None

        def over(ld: np.ndarray, cap_a: np.ndarray | None = cap_a) -> bool:
            if cap_a is None:
                return bool((ld[: 0] > 0).any())
            return bool((ld > cap_a).any()) or bool((ld < 0).any())

        if cap is None and load.any():
            errs.append(f"{where}: amounts on a vehicle without capacity")
        if cap_a is not None and over(load):
            errs.append(f"{where}: load {load.tolist()} over capacity at start")
        # Timing, re-simulated: earliest service start in the windows, VROOM's setup rule.
        prev_loc = None
        t_now = None
        travel = 0
        dist_sum = 0
        task_time = 0
        brk_ids = set()
        vs = set(v.get("skills", []))
        positions = {t: k for k, t in enumerate(route_tasks)}
        leg_done: list[int] = [0]  # seconds of the current leg already driven before a break
        for k, st in enumerate(steps):
            typ = st["type"]
            if typ == "start":
                loc = v.get("start_index")
                t_now = max(int(v.get("time_window", [0, 0])[0]), int(st["arrival"])) if "time_window" in v else int(st["arrival"])
                prev_loc = loc
                continue
            if typ == "break":
                b = next((b for b in v.get("breaks", []) if b["id"] == st["id"]), None)
                if b is None:
                    errs.append(f"{where}: unknown break {st['id']}")
                    continue
                brk_ids.add(b["id"])
                # A break may fall anywhere on the leg to the next located step (VROOM reports it
                # before, after or in the middle of that leg): the step's cumulated ``duration``
                # says how much of the leg was driven before it.
                nxt = next((s2 for s2 in steps[k + 1:] if s2["type"] != "break"), None)
                nloc = None if nxt is None else (v.get("end_index") if nxt["type"] == "end" else tasks[(nxt["type"], nxt["id"])]["location_index"])
                leg_b = 0 if nloc is None or prev_loc is None else round(float(dur[prev_loc, nloc]) / speed)
                part = int(st["duration"]) - travel
                if not 0 <= part <= leg_b - leg_done[0]:
                    errs.append(f"{where} step {k}: break after {part} s of a {leg_b} s leg")
                    part = min(max(part, 0), leg_b - leg_done[0])
                travel += part
                leg_done[0] += part
                t_now = (t_now or 0) + part
                if int(st["arrival"]) < t_now:
                    errs.append(f"{where} step {k}: break arrival {st['arrival']} before the earliest possible {t_now}")
                start = max(int(st["arrival"]) + int(st["waiting_time"]), t_now)
                if not any(w[0] <= start <= w[1] for w in b.get("time_windows", [[0, 2**62]])):
                    errs.append(f"{where}: break {b['id']} at {start} outside its windows")
                t_now = start + int(b.get("service", 0))
                continue
            loc = v.get("end_index") if typ == "end" else tasks[(typ, st["id"])]["location_index"]
            if loc is None:  # an open end: the route stops at its last task
                break
            leg = 0 if prev_loc is None else round(float(dur[prev_loc, loc]) / speed) - leg_done[0]
            leg_done[0] = 0
            travel += leg
            dist_sum += 0 if prev_loc is None else int(dist[prev_loc, loc])
            arrival = (t_now + leg) if t_now is not None else int(st["arrival"])
            if int(st["arrival"]) < arrival:
                errs.append(f"{where} step {k}: reported arrival {st['arrival']} before the earliest possible {arrival}")
            if typ == "end":
                if "time_window" in v and int(st["arrival"]) > v["time_window"][1]:
                    errs.append(f"{where}: ends at {st['arrival']} after its shift {v['time_window'][1]}")
                break
            task = tasks[(typ, st["id"])]
            start = int(st["arrival"]) + int(st["waiting_time"])
            wins = task.get("time_windows") or [[0, 2**62]]
            if not any(w[0] <= start <= w[1] for w in wins):
                errs.append(f"{where}: {typ} {st['id']} starts at {start} outside its windows {wins}")
            if not set(task.get("skills", [])) <= vs:
                errs.append(f"{where}: {typ} {st['id']} needs skills {task.get('skills')}")
            setup = int(task.get("setup", 0)) if loc != prev_loc else 0
            task_time += setup + int(task.get("service", 0))
            if int(st["setup"]) != setup:
                errs.append(f"{where}: {typ} {st['id']} setup {st['setup']} (VROOM's rule gives {setup})")
            t_now = start + setup + int(task.get("service", 0))
            load = load - vec(task.get("_delivery", [])) + vec(task.get("_pickup", [])) + vec(task.get("_ship", []))
            if cap_a is not None and over(load):
                errs.append(f"{where}: load {load.tolist()} over capacity after {typ} {st['id']}")
            if "load" in st and cap is not None and list(st["load"]) != load.tolist()[: len(st["load"])]:
                errs.append(f"{where}: reported load {st['load']} after {typ} {st['id']}, recomputed {load.tolist()}")
            if "_partner" in task:
                partner = task["_partner"]
                if partner not in positions:
                    errs.append(f"{where}: {typ} {st['id']} without its {partner[0]} on the route")
                elif typ == "pickup" and positions[partner] < positions[(typ, st["id"])]:
                    errs.append(f"{where}: delivery {partner[1]} before its pickup {st['id']}")
            prev_loc = loc
        if "time_window" in v and t_now is not None and steps[-1]["type"] != "end" and t_now > v["time_window"][1] + 10**9:
            errs.append(f"{where}: after shift")
        if v.get("max_tasks") is not None and len(route_tasks) > v["max_tasks"]:
            errs.append(f"{where}: {len(route_tasks)} tasks > max_tasks {v['max_tasks']}")
        if v.get("max_distance") is not None and dist_sum > v["max_distance"]:
            errs.append(f"{where}: distance {dist_sum} > max_distance {v['max_distance']}")
        if v.get("max_travel_time") is not None and travel > v["max_travel_time"]:
            errs.append(f"{where}: travel {travel} > max_travel_time {v['max_travel_time']}")
        for b in v.get("breaks", []):
            if b["id"] not in brk_ids:
                errs.append(f"{where}: break {b['id']} missing")
        if int(r["duration"]) != travel:
            errs.append(f"{where}: reported duration {r['duration']} != recomputed travel {travel}")
        if check_steps and v.get("steps"):
            want = [(st["type"], st["id"]) for st in v["steps"] if st["type"] in _TASKS]
            got = [t for t in route_tasks if t in set(want)]
            if got != want:
                errs.append(f"{where}: steps {want} not kept in order (route has {got})")
        cost = (costs.get("per_hour", 3600) * travel / 3600 + costs.get("per_km", 0) * dist_sum / 1000
                + costs.get("fixed", 0) + costs.get("per_task_hour", 0) * task_time / 3600)
        total_cost += round(cost)
    missing = [t for t in tasks if t not in seen and not any(u["id"] == t[1] and u["type"] == t[0] for u in out["unassigned"])]
    if missing:
        errs.append(f"tasks neither routed nor unassigned: {missing[:5]}")
    return errs, total_cost


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=1, help="generated cases per kind")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=2.0, help="seconds for ours (CLI and library) and VROOM")
    ap.add_argument("--vroom-docs", type=Path, default=DEFAULT_DOCS, help="a VROOM checkout (docs/example_*.json)")
    ap.add_argument("--only", default="", help="substring of case names to run")
    ap.add_argument("--json", type=Path, default=None, help="write per-case results here")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    cases: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # name -> (file given to ours, matrix doc)
    docs = _docs_examples(args.vroom_docs)
    if not docs:
        print(f"(VROOM's documented examples skipped: none under {args.vroom_docs}; use the fetch tool or --vroom-docs)")
    for name, d in docs.items():
        cases[name] = (d, matrixize(d))
        cases[name + "-matrix"] = (matrixize(d), matrixize(d))
    for name, d in generated(args.cases, args.seed).items():
        cases[name] = (d, d)
    if args.only:
        cases = {k: v for k, v in cases.items() if args.only in k}

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="vroom-conf-"))
    for name, (given, mdoc) in cases.items():
        f_ours = tmp / f"{name}.json"
        f_ours.write_text(json.dumps(given))
        f_v = tmp / f"{name}.matrix.json"
        f_v.write_text(json.dumps(mdoc))
        rc, ours, secs = run_cli(f_ours, args.time_limit)
        lib, lib_err = run_lib(given, args.time_limit)
        vrc, theirs, vsecs = run_vroom(f_v, args.time_limit)
        row: dict[str, Any] = {"case": name, "rc": rc, "vroom_rc": vrc, "secs": round(secs, 2), "vroom_secs": round(vsecs, 2)}
        if ours is None or ours.get("code", 0) != 0:
            row["ours"] = f"refused ({(ours or {}).get('code')}: {(ours or {}).get('error', '')[:90]})"
        else:
            row["ours"] = "accepted"
            row["schema"] = check_schema(ours, mdoc)
            row["errors"], row["cost"] = verify(ours, mdoc, check_steps=True)
            row["unassigned"] = len(ours["unassigned"])
            row["reported_cost"] = ours["summary"]["cost"]
        if lib is None:
            row["lib"] = f"refused ({lib_err[:90]})"
        else:
            row["lib"] = "accepted"
            row["lib_errors"] = check_schema(lib, mdoc) + verify(lib, mdoc, check_steps=True)[0]
        if theirs is None or theirs.get("code", 0) != 0:
            row["vroom"] = f"refused ({(theirs or {}).get('code')}: {(theirs or {}).get('error', '')[:90]})"
        else:
            row["vroom"] = "accepted"
            row["vroom_schema"] = check_schema(theirs, mdoc)
            row["vroom_errors"], row["vroom_cost"] = verify(theirs, mdoc, check_steps=False)
            row["vroom_unassigned"] = len(theirs["unassigned"])
        rows.append(row)
        print(_line(row), flush=True)

    print()
    print("| case | ours (CLI rc) | library | VROOM (rc) | ours feasible | VROOM feasible | unassigned ours / VROOM | cost ratio ours/VROOM |")
    print("|---|---|---|---|---|---|---|---|")
    bad = 0
    for r in rows:
        # Conforming: both accept and ours is feasible, or both refuse with the same code.
        ok = r["ours"] == "accepted" and r["vroom"] == "accepted" and not r.get("schema") and not r.get("errors")
        same_refusal = r["ours"] != "accepted" and r["vroom"] != "accepted" and r["rc"] == r["vroom_rc"]
        bad += 0 if (ok or same_refusal) else 1
        ratio = (f"{r['cost'] / r['vroom_cost']:.3f}" if r.get("vroom_cost") and r.get("cost") is not None else "-")
        print(f"| {r['case']} | {r['ours'][:60]} ({r['rc']}) | {r['lib'][:40]} | {r['vroom'][:60]} ({r['vroom_rc']}) | "
              f"{_feas(r.get('schema'), r.get('errors'))} | {_feas(r.get('vroom_schema'), r.get('vroom_errors'))} | "
              f"{r.get('unassigned', '-')} / {r.get('vroom_unassigned', '-')} | {ratio} |")
    print()
    for r in rows:
        for key in ("schema", "errors", "lib_errors", "vroom_schema", "vroom_errors"):
            for e in (r.get(key) or [])[:4]:
                print(f"{r['case']}: {key}: {e}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    print(f"\n{len(rows) - bad}/{len(rows)} cases conform (accepted and feasible, or refused as VROOM refuses)")
    return 0 if bad == 0 else 1


def _feas(schema: list[str] | None, errors: list[str] | None) -> str:
    if schema is None and errors is None:
        return "-"
    n = len(schema or []) + len(errors or [])
    return "yes" if n == 0 else f"NO ({n})"


def _line(r: dict[str, Any]) -> str:
    return (f"{r['case']:<28} ours={r['ours'][:50]:<50} vroom={r['vroom'][:30]:<30} "
            f"feasible={_feas(r.get('schema'), r.get('errors'))} unassigned={r.get('unassigned', '-')}/{r.get('vroom_unassigned', '-')} "
            f"cost={r.get('cost', '-')}/{r.get('vroom_cost', '-')} ({r['secs']} s / {r['vroom_secs']} s)")


if __name__ == "__main__":
    raise SystemExit(main())
