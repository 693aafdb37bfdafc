"""``POST /v1/promises/check``: is a promise still going to be met, given the order's state now?

A ``QuoteError`` from the engine names the part (``promise``/``state``) and
the field; the app's ``InputError`` handler turns it into a 422 with that
``loc``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends

from api.deps import get_model
from api.schemas.quote import CheckRequest, CheckResponse

router = APIRouter(tags=["promises"])


@router.post("/v1/promises/check", response_model=CheckResponse, summary="Probability an existing promise is met")
def post_check(req: CheckRequest, model: Any = Depends(get_model)) -> CheckResponse:
    from engine.promise import Promise, PromiseState, check  # noqa: PLC0415
    from engine.promise.registry import model_for  # noqa: PLC0415

    if req.region is not None:
        model = model_for(req.region)  # unknown: a QuoteError on field 'region', a 422 from the app's handler

    p = req.promise
    st = req.state
    promise = Promise(
        p.order_id, p.carrier, p.service, p.created_at, p.promised_by, p.target, None, p.window_start,
        p.destination.lat if p.destination else None, p.destination.lon if p.destination else None,
    )
    state = PromiseState(st.status, st.handed_over_at, st.delivered_at, st.eta_p50, st.eta_p95, st.eta_samples)
    r = check(promise, req.now or datetime.now(timezone.utc), state, model=model)
    return CheckResponse(r.order_id, r.probability, r.holds, r.p50, r.p95, r.status, r.reason, model.source, model.city.name)
