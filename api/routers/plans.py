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
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from api.deps import get_settings, get_store
from engine.config import Settings
from engine.domain.plan import JobStatus
from engine.errors import InputError, NetworkError, NotFoundError
from engine.io.schema import MAX_ORDERS, ProblemDoc
from engine.store.repository import Store

router = APIRouter(prefix="/v1/plans", tags=["plans"])
log = logging.getLogger(__name__)

#: Largest request body: 20,000 orders at a few hundred bytes each, with room to spare.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: Bodies above this size have their order count checked before validation.
_COUNT_ORDERS_ABOVE = 256 * 1024


def _check_network(spec: str, settings: Settings) -> str:
    """The network sources a client may name; anything else is a 422 on ``network``."""
    from engine.network import parse_source as split_network_spec
    from engine.network import synthetic_size

    src, _ = split_network_spec(spec)
    low = src.strip().lower()
    if low == "helsinki":
        return spec
    if low.startswith("synthetic:"):
        n = synthetic_size(src)
        if not 50 <= n <= settings.max_synthetic_nodes:
            raise NetworkError(
                f"synthetic network size must be in 50..{settings.max_synthetic_nodes:,} here, got {n:,}", item="network"
            )
        return spec
    root = settings.network_dir
    if root is not None and "\0" not in src:
        path = (Path(root) / src).resolve()
        if path.is_relative_to(Path(root).resolve()) and path.is_file():
            return str(path)
    raise NetworkError(
        f"unknown network {spec[:200]!r}: the API serves 'helsinki', 'synthetic:<n_nodes>[@seed]' "
        f"(n_nodes <= {settings.max_synthetic_nodes:,}) or an OSM file inside $PROMISE_NETWORK_DIR",
        item="network",
    )


class PlanCreated(BaseModel):
    id: str
    status: JobStatus


class PlanStatus(BaseModel):
    id: str
    status: JobStatus
    plan: Optional[dict[str, Any]] = None
    error: Optional[str] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None


@functools.lru_cache(maxsize=4)
def _network(spec: str) -> Any:
    from engine.network import load as load_network

    return load_network(spec)


def _solve_job(store: Store, plan_id: str, doc: dict[str, Any], time_limit: float, seed: int, solution_limit: int | None) -> None:
    """Background task: solve and store the result (never raises: failures are stored)."""
    from engine.dispatch import solve
    from engine.io.problem_json import plan_to_dict, problem_from_dict

    try:
        store.update_plan(plan_id, JobStatus.RUNNING)
        problem = problem_from_dict(doc)
        net = _network(problem.network) if problem.network else None
        plan = solve(problem, network=net, time_limit=time_limit, seed=seed, solution_limit=solution_limit)
        store.update_plan(plan_id, JobStatus.DONE, result=plan_to_dict(plan))
    except InputError as exc:
        # Input the POST could not see without the network (a depot off its roads): the
        # client's mistake, told in the status; no traceback in the server log.
        log.warning("plan %s failed: %s", plan_id, exc)
        store.update_plan(plan_id, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a failed solve must end as "failed", not as a stuck "running"
        log.exception("plan %s failed", plan_id)
        store.update_plan(plan_id, JobStatus.FAILED, error=f"internal error ({type(exc).__name__}): {exc}")


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
    body: ProblemDoc,
    background: BackgroundTasks,
    store: Store = Depends(get_store),
    settings: Settings = Depends(get_settings),
    time_limit: float = Query(10.0, gt=0, le=600, description="Seconds for the solve."),
    seed: int = Query(0),
    solution_limit: Optional[int] = Query(None, gt=0, description="Deterministic cap on search solutions."),
) -> PlanCreated:
    """Queue a plan; 422 names the bad field (unknown depot, negative size, window end before start)."""
    if body.network is not None:
        body = body.model_copy(update={"network": _check_network(body.network, settings)})
    body.to_problem()  # ProblemError -> 422 (unknown depot, zero vehicles, ...) before anything is stored
    doc = body.model_dump(mode="json")
    plan_id = store.create_plan(doc)
    background.add_task(_solve_job, store, plan_id, doc, time_limit, seed, solution_limit)
    return PlanCreated(id=plan_id, status=JobStatus.QUEUED)


@router.get("/{plan_id}", response_model=PlanStatus)
def get_plan(plan_id: str, store: Store = Depends(get_store)) -> PlanStatus:
    job = store.get_plan(plan_id)
    if job is None:
        raise NotFoundError(f"no plan with id {plan_id[:100]!r}")
    return PlanStatus(
        id=job.plan_id, status=job.status, plan=job.result, error=job.error,
        created_at=job.created_at.isoformat() if job.created_at else None,
        updated_at=job.updated_at.isoformat() if job.updated_at else None,
    )
