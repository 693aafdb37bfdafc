"""``/v1/plans``: submit a delivery day, solve it in the background, fetch the plan.

``POST /v1/plans`` validates the problem (422 naming the field for a negative
size, a window ending before it starts, an unknown depot, ...), stores it as
``queued`` and returns ``{id, status}`` at once (429 when the solve queue is
full); the solve runs in a worker process of :class:`api.jobs.SolveService`
(``running`` -> ``done`` with the plan JSON, or ``failed`` with the error).
Bodies are validated in a parse process of their own and stay JSON text in
the API process.  ``GET /v1/plans/{id}`` returns the status and, when done, the
plan in the format of ``engine.io.problem_json.plan_to_dict``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.deps import get_settings, get_solve_service, get_store
from api.jobs import SolveService
from engine.config import Settings
from engine.domain.plan import JobStatus
from engine.errors import EngineError, InputError, NetworkError, NotFoundError, TooLargeError, UnavailableError
from engine.io.schema import ProblemDoc
from engine.store.repository import Store

router = APIRouter(prefix="/v1/plans", tags=["plans"])

#: One plan body validated at a time: validation holds the interpreter, and forty at once
#: (a burst of submissions) would starve the event loop that answers health checks and quotes.
_VALIDATING = asyncio.Semaphore(1)
log = logging.getLogger(__name__)



def _check_network(spec: str, settings: Settings) -> str:
    """The network sources a client may name; anything else is a 422 on ``network``."""
    from engine.network import check_source, parse_source

    checked = check_source(spec, allowed_dir=settings.network_dir, max_synthetic_nodes=settings.max_synthetic_nodes)
    src, seed = parse_source(checked)
    if src.lower().startswith("synthetic:") and not 0 <= seed <= settings.max_synthetic_seed:
        # Each seed is a new network to build and cache: bound what an anonymous caller can make us build.
        raise NetworkError(f"synthetic seed must be in 0..{settings.max_synthetic_seed} here, got {seed}", item="network", field="seed")
    return checked


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


@router.post(
    "",
    response_model=PlanCreated,
    status_code=202,
    responses={413: {"description": "Too many orders, or more memory than the solve budget"}, 429: {"description": "Solve queue full; see Retry-After"}},
    # The body is read and validated in the parse process (see below); documented here as the schema.
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemDoc"}}}}},
)
async def create_plan(
    request: Request,
    service: SolveService = Depends(get_solve_service),
    settings: Settings = Depends(get_settings),
    time_limit: float = Query(10.0, gt=0, le=600, description="Seconds for the whole request as the server handles it: validation, matrices, solve and writing the plan (time queued behind other plans not counted)."),
    seed: int = Query(0, ge=0, le=2**31 - 1),
    solution_limit: Optional[int] = Query(None, gt=0, le=10_000_000, description="Deterministic cap on search solutions."),
) -> PlanCreated:
    """Queue a plan (a ``ProblemDoc``); 422 names the bad field (unknown depot, negative size, window end before start).

    Validating 20,000 orders takes about a second of CPU: it runs in the parse
    process (a thread when solves run in threads), so health checks and quotes
    on the event loop are not held up.
    """
    arrived = time.monotonic()
    service.ensure_room()  # a full queue refuses before the body is even parsed: excess is cheap
    raw = await request.body()
    async with _VALIDATING:
        service.ensure_room()
        pool = getattr(request.app.state, "parse_pool", None)
        if pool is None:
            doc = await run_in_threadpool(_validated, raw, settings)
        else:
            try:
                outcome = await asyncio.wrap_future(pool.submit(validate_elsewhere, raw, settings))
            except BrokenProcessPool:
                # The parse process died (killed, out of memory on this body?): a new one for
                # the next request; this one is not retried, in case the body killed it.
                if request.app.state.parse_pool is pool:
                    request.app.state.parse_pool = parse_pool()
                pool.shutdown(wait=False, cancel_futures=True)
                raise UnavailableError("the validation process died; try again", retry_after_s=1) from None
            doc = _unpack(outcome)
    spent = time.monotonic() - arrived  # the time limit covers validation too (jobs.solve_budget)
    plan_id = await asyncio.wrap_future(
        service.submit_later(doc, time_limit=time_limit, seed=seed, solution_limit=solution_limit, spent=spent)
    )
    return PlanCreated(id=plan_id, status=JobStatus.QUEUED)


def parse_pool() -> ProcessPoolExecutor:
    """The one process that validates plan bodies (spawned now, warmed by :func:`warm_parser`)."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=warm_parser)
    pool.submit(parser_ready)  # spawn it now, not on the first submission
    return pool


def warm_parser() -> None:
    """The parse process's initializer: validate a small day once, then take only idle CPU.

    A burst of submissions then pays neither the imports (pydantic's schemas, the
    domain) nor a share of the cores that answer health checks and quotes.
    """
    from api.jobs import WARM_DAY, idle_priority

    _validated(json.dumps(WARM_DAY).encode(), Settings())
    idle_priority()


def parser_ready() -> bool:
    """A no-op task: it runs once :func:`warm_parser` has finished."""
    return True


def validate_elsewhere(raw: bytes, settings: Settings) -> tuple[Any, ...]:
    """``_validated`` in the parse process, with its outcome as plain picklable values.

    Why another process: validating a large day is tens to hundreds of milliseconds of
    CPU that would hold the API process's interpreter, and health checks and checkout
    quotes would wait behind it during a burst of submissions.
    """
    try:
        return ("ok", _validated(raw, settings))
    except RequestValidationError as exc:
        return ("invalid", [
            {"loc": tuple(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", "value_error")),
             "ctx": {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, (int, float, str))}}
            for e in list(exc.errors())[:20]
        ])
    except EngineError as exc:
        return ("engine", exc.http_status, getattr(exc, "item", None), getattr(exc, "field", None), str(exc),
                getattr(exc, "retry_after_s", None))


def _unpack(outcome: tuple[Any, ...]) -> str:
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "invalid":
        raise RequestValidationError(outcome[1])
    _, status, item, field, message, retry = outcome
    if status >= 500:
        raise UnavailableError(message, retry_after_s=retry)
    err = InputError(message, item=item, field=field)
    err.http_status = status  # 413 for a too-large problem, 422 otherwise
    raise err


def _validated(raw: bytes, settings: Settings) -> str:
    """The stored document of a valid, affordable problem, as JSON text; errors as the API reports them.

    Text, not a dict: the API process stores it and hands it to a solver as it is,
    without building (and later garbage-collecting) tens of thousands of objects.
    """
    try:
        # Python's parser, not pydantic's: it keeps a lone surrogate ("\\ud800") as text,
        # so the schema can refuse it naming the field rather than "invalid JSON".
        parsed = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RequestValidationError([{"loc": ("body",), "msg": f"not valid JSON: {str(exc)[:200]}", "type": "json_invalid"}]) from None
    try:
        body = ProblemDoc.model_validate(parsed)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=True)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
    if body.network is not None:
        body = body.model_copy(update={"network": _check_network(body.network, settings)})
    problem = body.to_problem()  # ProblemError -> 422 (unknown depot, zero vehicles, ...) before anything is stored
    _within_budget(problem, settings)
    return body.model_dump_json()


def _within_budget(problem: Any, settings: Settings) -> None:
    """413 before any work when the solve would need more memory than the budget."""
    from engine.dispatch.budget import memory_estimate

    need = memory_estimate(problem)
    budget = settings.memory_budget_gb * 1e9
    if need > budget:
        raise TooLargeError(
            f"{len(problem.orders):,} orders would need about {need / 1e9:.1f} GB to solve; this server's budget is "
            f"{settings.memory_budget_gb:g} GB (split the day by depot or region)",
            item="problem",
            field="orders",
        )


@router.get("/{plan_id}", response_model=PlanStatus, responses={404: {"description": "No plan with that id"}})
def get_plan(plan_id: str, store: Store = Depends(get_store)) -> PlanStatus:
    job = store.get_plan(plan_id)
    if job is None:
        raise NotFoundError(f"no plan with id {plan_id[:100]!r}")
    return PlanStatus(
        id=job.plan_id, status=job.status, plan=job.result, error=job.error,
        created_at=job.created_at.isoformat() if job.created_at else None,
        updated_at=job.updated_at.isoformat() if job.updated_at else None,
    )
