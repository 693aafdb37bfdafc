"""``POST /v1/quotes``: delivery options with their 95%-on-time promise for a cart or a batch.

The hot path is a table lookup in the loaded model (no graph search); the
response is serialised straight to JSON without a second pydantic pass.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from api import backlog
from api.deps import get_clock, get_model, get_store
from engine.clock import Clock
from api.incidents import incidents_from, widen
from engine.store.repository import Store
from api.schemas.quote import BatchQuoteRequest, BatchQuoteResponse, QuoteBody, QuoteRequest, QuoteResponse


router = APIRouter(tags=["quotes"])

#: Carts of a batch quoted between yields to the event loop (~0.1 ms each): a
#: 1,000-cart batch must not stall the loop for 100 ms (other requests, and
#: the overload probe in api.limits, would read that as a saturated server).
_CARTS_PER_YIELD = 16



def _live(store: Store, model: Any, now: float) -> Any:
    """The region's live backlog correction: a library-registered state, else the one fed by ``/v1/carrier-events``."""
    from engine.promise.registry import drift_for  # noqa: PLC0415

    name = model.city.name
    return drift_for(name) or backlog.drift(store, name.lower(), now)


def _backlog_reason(opt: dict[str, Any], drift: Any) -> None:
    # Say why a carrier option moved later: checkout shows it, support reads it.
    from engine.promise.batch import strict_cutoff  # noqa: PLC0415
    from engine.promise.reasons import fmt_duration  # noqa: PLC0415

    if drift is None or not opt.get("available") or opt.get("kind") == "slot" or strict_cutoff(opt["carrier"], opt["kind"]):
        return
    key = f"{opt['carrier']}:{opt['service']}"
    extra = drift.shift(key)
    if extra > 0:
        weighted = ", recent ones weighing more" if drift.params.half_life_days is not None else ""
        why = (f"later by {fmt_duration(extra)}: {opt['carrier']} is running behind"
               f" (last {drift.params.window_days} days{weighted}: {drift.coverage(key):.0%} of its parcels on time)")
        opt["reason"] = f"{opt['reason']}; {why}" if opt.get("reason") else why


def _quote_one(req: QuoteRequest, loc: list[Any], model: Any, incidents: list[Any], store: Store, now: float) -> dict[str, Any]:
    from engine.promise import Item, QuoteError, QuoteOptions, quote  # noqa: PLC0415

    when = req.order_time or datetime.now(timezone.utc)
    drift = _live(store, model, now)
    opts = QuoteOptions(
        target=req.target,
        only=tuple(req.only) if req.only else None,
        capacity_left=req.capacity_left or {},
        origin=(req.origin.lat, req.origin.lon) if req.origin else None,
        slot=(req.slot.start, req.slot.end) if req.slot else None,
    )
    try:
        q = quote(
            (req.destination.lat, req.destination.lon), when,
            [Item(i.weight_kg, i.quantity) for i in req.items], opts, order_id=req.order_id, model=model,
            # The region's live backlog correction, when something feeds one (api.backlog, registry.set_drift).
            drift=drift,
        )
    except QuoteError as exc:
        # Re-raised here, not left to the app's handler: a batch's loc carries the order's index.
        raise HTTPException(422, detail=[{"loc": ["body", *loc, exc.field or "body"], "msg": str(exc), "type": "value_error"}]) from None
    # Incidents known in advance (a storm warning for the afternoon) push promises out, with the reason.
    out = q.to_json()
    if drift is not None:
        for opt in out.get("options", ()):
            _backlog_reason(opt, drift)
    out = widen(out, req.destination.lat, req.destination.lon, list(incidents))
    out["region"] = model.city.name
    return out


def _model(region: str | None, default: Any, loc: list[Any]) -> Any:
    """The model of the request's region (the served default when it names none); 422 naming the field when unknown."""
    if region is None:
        return default
    from engine.promise import QuoteError  # noqa: PLC0415
    from engine.promise.registry import model_for  # noqa: PLC0415

    try:
        return model_for(region)
    except QuoteError as exc:
        raise HTTPException(422, detail=[{"loc": ["body", *loc, "region"], "msg": str(exc), "type": "value_error"}]) from None


@router.post(
    "/v1/quotes",
    response_model=None,
    responses={200: {"model": QuoteResponse | BatchQuoteResponse, "description": "A quote, or {'quotes': [...]} for a batch."}},
    summary="Quote delivery options (one cart, or {'orders': [...]})",
)
async def post_quotes(body: QuoteBody, store: Store = Depends(get_store), model: Any = Depends(get_model),
                      clock: Clock = Depends(get_clock)) -> Response:
    # async on purpose: a quote is ~0.1 ms of CPU, cheaper run inline than via the threadpool hop.
    incidents = incidents_from(store)
    now = clock.now()
    if isinstance(body, BatchQuoteRequest):
        quotes = []
        batch_model = _model(body.region, model, [])
        for i, r in enumerate(body.orders):
            if i and i % _CARTS_PER_YIELD == 0:
                await asyncio.sleep(0)
            m = batch_model if r.region is None else _model(r.region, model, ["orders", i])
            quotes.append(_quote_one(r, ["orders", i], m, incidents, store, now))
        out: dict[str, Any] = {"quotes": quotes}
    else:
        out = _quote_one(body, [], _model(body.region, model, []), incidents, store, now)
    return Response(json.dumps(out), media_type="application/json")

