"""``/v1/plans``: submit a delivery day, solve it in the background, fetch the plan.

``POST /v1/plans`` validates the problem (422 naming the field for a negative
size, a window ending before it starts, an unknown depot, ...), stores it as
``queued`` and returns ``{id, status}`` at once; the solve runs as a FastAPI
background task (``running`` -> ``done`` with the plan JSON, or ``failed``
with the error).  ``GET /v1/plans/{id}`` returns the status and, when done, the
plan in the format of ``engine.io.problem_json.plan_to_dict``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Literal, Optional, Union

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.deps import get_store
from engine.store.repository import Store
from engine.io.problem_json import MAX_ORDERS

router = APIRouter(prefix="/v1/plans", tags=["plans"])
log = logging.getLogger(__name__)

#: Largest request body: 20,000 orders at a few hundred bytes each, with room to spare.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Bodies above this size have their order count checked before validation.
_COUNT_ORDERS_ABOVE = 256 * 1024

#: Largest synthetic network a client may ask for (metro-day uses 250,000 nodes); bigger
#: ones take minutes and gigabytes to build inside the server.
MAX_SYNTHETIC_NODES = 300_000
#: OSM files the API may load: only inside this directory (a client must not make the
#: server read arbitrary paths); unset, only 'helsinki' and synthetic networks are served.
NETWORK_DIR_ENV = "PROMISE_NETWORK_DIR"

Time = Union[int, float, str]


def _secs(v: Any) -> int:
    from engine.io.problem_json import parse_time
    from engine.domain.problem import ModelError

    try:
        return parse_time(v, "time", "value")
    except ModelError as exc:
        raise ValueError(str(exc).split(": ", 2)[-1]) from None


class _Window(BaseModel):
    """``[start, end]`` given as a two-item list."""

    start: Time
    end: Time

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise ValueError("a window is [start, end]")
            return {"start": v[0], "end": v[1]}
        return v

    @model_validator(mode="after")
    def _order(self) -> "_Window":
        s, e = _secs(self.start), _secs(self.end)
        if e < s:
            raise ValueError(f"window end {self.end!r} is before its start {self.start!r}")
        return self

    def as_list(self) -> list[Time]:
        return [self.start, self.end]


def _nonneg_sizes(v: dict[str, float]) -> dict[str, float]:
    for k, x in v.items():
        if x < 0:
            raise ValueError(f"negative size {k}={x:g}")
    return v


class DepotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    opening: Optional[_Window] = None


class BreakIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window: _Window
    duration: int = Field(ge=0)


class VehicleTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    count: int = Field(ge=0)
    start_depot: str
    end_depot: Optional[str] = None
    capacity: dict[str, float] = Field(default_factory=lambda: {"parcels": 100})
    shift: Optional[_Window] = None
    max_duration: Optional[Time] = None
    breaks: list[BreakIn] = Field(default_factory=list)
    cost_per_hour: float = Field(25.0, ge=0)
    cost_per_km: float = Field(0.4, ge=0)
    fixed_cost: float = Field(50.0, ge=0)
    skills: list[str] = Field(default_factory=list)
    speed_factor: float = Field(1.0, gt=0)

    @field_validator("capacity")
    @classmethod
    def _caps(cls, v: dict[str, float]) -> dict[str, float]:
        return _nonneg_sizes(v)


class CarrierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    base_cost: float = Field(5.0, ge=0)
    cost_per_kg: float = Field(0.5, ge=0)
    max_km: float = Field(100.0, ge=0)
    zone_surcharge_per_km: float = Field(0.0, ge=0)
    cutoff: Time = 17 * 3600
    capacity: int = Field(10**9, ge=0)
    on_time_probability: float = Field(0.93, ge=0, le=1)
    services: list[str] = Field(default_factory=lambda: ["standard"])
    pickup_depot: Optional[str] = None
    skills: list[str] = Field(default_factory=list)


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    size: dict[str, float] = Field(default_factory=lambda: {"parcels": 1})
    windows: list[_Window] = Field(default_factory=list)
    promised_by: Optional[Time] = None
    service_time: int = Field(120, ge=0)
    priority: int = 0
    skills: list[str] = Field(default_factory=list)
    allow_carrier: bool = True
    depot: Optional[str] = None

    @field_validator("size")
    @classmethod
    def _sizes(cls, v: dict[str, float]) -> dict[str, float]:
        return _nonneg_sizes(v)


def _check_network(spec: str) -> str:
    """The network sources a client may name (a ValueError here becomes a 422 on ``network``)."""
    import os
    from pathlib import Path

    from engine.network import NetworkError, synthetic_size
    from engine.io.scenarios import split_network_spec

    src, _ = split_network_spec(spec)
    low = src.strip().lower()
    if low == "helsinki":
        return spec
    if low.startswith("synthetic:"):
        try:
            n = synthetic_size(src)
        except NetworkError as exc:
            raise ValueError(str(exc)) from None
        if not 50 <= n <= MAX_SYNTHETIC_NODES:
            raise ValueError(f"synthetic network size must be in 50..{MAX_SYNTHETIC_NODES:,} here, got {n:,}")
        return spec
    root = os.environ.get(NETWORK_DIR_ENV)
    if root:
        path = (Path(root) / src).resolve()
        if path.is_relative_to(Path(root).resolve()) and path.is_file():
            return str(path)
    raise ValueError(
        f"unknown network {spec!r}: the API serves 'helsinki', 'synthetic:<n_nodes>[@seed]' "
        f"(n_nodes <= {MAX_SYNTHETIC_NODES:,}) or an OSM file inside ${NETWORK_DIR_ENV}"
    )


class ProblemIn(BaseModel):
    """A delivery day (same document as ``promise plan`` reads; see ``engine.io.problem_json``)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "problem"
    network: Optional[str] = None
    day_start: Optional[str] = None
    horizon: Time = 24 * 3600
    lateness_cost_per_min: Optional[float] = Field(None, ge=0)
    risk_weight: float = Field(0.0, ge=0)
    depots: list[DepotIn] = Field(min_length=1, max_length=1000)
    vehicle_types: list[VehicleTypeIn] = Field(max_length=1000)
    carriers: list[CarrierIn] = Field(default_factory=list, max_length=1000)
    orders: list[OrderIn] = Field(max_length=MAX_ORDERS)

    @field_validator("network")
    @classmethod
    def _network_source(cls, v: Optional[str]) -> Optional[str]:
        return None if v is None else _check_network(v)

    def to_doc(self) -> dict[str, Any]:
        d = self.model_dump(mode="json")
        for o, oi in zip(d["orders"], self.orders):
            o["windows"] = [w.as_list() for w in oi.windows]
        for dep, di in zip(d["depots"], self.depots):
            dep["opening"] = di.opening.as_list() if di.opening else None
        for v, vi in zip(d["vehicle_types"], self.vehicle_types):
            v["shift"] = vi.shift.as_list() if vi.shift else None
            v["breaks"] = [{"window": b.window.as_list(), "duration": b.duration} for b in vi.breaks]
        return d


class PlanCreated(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]


class PlanStatus(BaseModel):
    id: str
    status: str
    plan: Optional[dict[str, Any]] = None
    error: Optional[str] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None


@functools.lru_cache(maxsize=4)
def _network(spec: str) -> Any:
    from engine.io.scenarios import load_network

    return load_network(spec)


def _solve_job(store: Store, plan_id: str, doc: dict[str, Any], time_limit: float, seed: int, solution_limit: int | None) -> None:
    """Background task: solve and store the result (never raises: failures are stored)."""
    from engine.dispatch import solve
    from engine.io.problem_json import plan_to_dict, problem_from_dict

    try:
        store.update_plan(plan_id, "running")
        problem = problem_from_dict(doc)
        net = _network(problem.network) if problem.network else None
        plan = solve(problem, network=net, time_limit=time_limit, seed=seed, solution_limit=solution_limit)
        store.update_plan(plan_id, "done", result=plan_to_dict(plan))
    except (ValueError, LookupError) as exc:
        # Input the POST could not see without the network (a depot off its roads): the
        # client's mistake, told in the status; no traceback in the server log.
        log.warning("plan %s failed: %s", plan_id, exc)
        store.update_plan(plan_id, "failed", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a failed solve must end as "failed", not as a stuck "running"
        log.exception("plan %s failed", plan_id)
        store.update_plan(plan_id, "failed", error=f"{type(exc).__name__}: {exc}")


async def _within_limits(request: Request) -> None:
    """413 for a body too big to plan, before pydantic builds 10^6 objects and echoes them in a 422."""
    try:
        size = int(request.headers.get("content-length", "0"))
    except ValueError:
        size = 0
    if size > MAX_BODY_BYTES:
        raise HTTPException(413, detail=f"request body of {size:,} bytes; at most {MAX_BODY_BYTES:,} bytes per plan")
    if size > _COUNT_ORDERS_ABOVE:
        try:
            doc = await request.json()  # the body is cached by Starlette: no second read
        except ValueError:
            return  # malformed JSON: FastAPI's own 422 says where
        orders = doc.get("orders") if isinstance(doc, dict) else None
        if isinstance(orders, list) and len(orders) > MAX_ORDERS:
            raise HTTPException(
                413, detail=f"{len(orders):,} orders; at most {MAX_ORDERS:,} per plan (split the day by depot or region)"
            )


@router.post("", response_model=PlanCreated, status_code=202, dependencies=[Depends(_within_limits)])
def create_plan(
    body: ProblemIn,
    background: BackgroundTasks,
    store: Store = Depends(get_store),
    time_limit: float = Query(10.0, gt=0, le=600, description="Seconds for the solve."),
    seed: int = Query(0),
    solution_limit: Optional[int] = Query(None, gt=0, description="Deterministic cap on search solutions."),
) -> PlanCreated:
    """Queue a plan; 422 names the bad field (unknown depot, negative size, window end before start)."""
    from engine.io.problem_json import problem_from_dict

    doc = body.to_doc()
    problem_from_dict(doc)  # ModelError -> 422 (unknown depot, zero vehicles, ...) before anything is stored
    plan_id = store.create_plan(doc)
    background.add_task(_solve_job, store, plan_id, doc, time_limit, seed, solution_limit)
    return PlanCreated(id=plan_id, status="queued")


@router.get("/{plan_id}", response_model=PlanStatus)
def get_plan(plan_id: str, store: Store = Depends(get_store)) -> PlanStatus:
    row = store.get_plan(plan_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no plan with id {plan_id!r}")
    return PlanStatus(
        id=row["id"], status=row["status"], plan=row.get("result"), error=row.get("error"),
        created_at=row.get("created_at"), updated_at=row.get("updated_at"),
    )
