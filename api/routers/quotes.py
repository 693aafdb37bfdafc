"""``POST /v1/quotes``: delivery options with their 95%-on-time promise for a cart or a batch.

The hot path is a table lookup in the loaded model (no graph search); the
response is serialised straight to JSON without a second pydantic pass.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, Callable, Coroutine

from fastapi import APIRouter, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from api.schemas_quote import BatchQuoteRequest, BatchQuoteResponse, QuoteBody, QuoteRequest, QuoteResponse


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


class SafeRoute(APIRoute):
    """Validation errors as 422 even when the offending input is NaN or infinite.

    FastAPI's default handler echoes the input back and fails to serialise a
    NaN (``{"lat": NaN}`` is accepted by Python's JSON parser), turning a
    client error into a 500.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def safe(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors = _json_safe(jsonable_encoder(exc.errors()))
                return JSONResponse(status_code=422, content={"detail": errors})

        return safe


router = APIRouter(tags=["quotes"], route_class=SafeRoute)


def _model():
    from engine.promise import current_model  # noqa: PLC0415

    return current_model()


def _quote_one(req: QuoteRequest, loc: list[Any]) -> dict[str, Any]:
    from engine.promise import Item, QuoteError, QuoteOptions, quote  # noqa: PLC0415

    when = req.order_time or datetime.now(timezone.utc)
    opts = QuoteOptions(
        target=req.target,
        only=tuple(req.only) if req.only else None,
        capacity_left=req.capacity_left or {},
        origin=(req.origin.lat, req.origin.lon) if req.origin else None,
    )
    try:
        q = quote(
            (req.destination.lat, req.destination.lon), when,
            [Item(i.weight_kg, i.quantity) for i in req.items], opts, order_id=req.order_id, model=_model(),
        )
    except (QuoteError, ValueError, KeyError, OverflowError) as exc:
        field = "only" if "option" in str(exc) else "body"
        raise HTTPException(422, detail=[{"loc": ["body", *loc, field], "msg": str(exc).strip("'\""), "type": "value_error"}]) from None
    return q.to_json()


@router.post(
    "/v1/quotes",
    response_model=None,
    responses={200: {"model": QuoteResponse | BatchQuoteResponse, "description": "A quote, or {'quotes': [...]} for a batch."}},
    summary="Quote delivery options (one cart, or {'orders': [...]})",
)
async def post_quotes(body: QuoteBody) -> Response:
    # async on purpose: a quote is ~1 ms of CPU, cheaper run inline than via the threadpool hop.
    if isinstance(body, BatchQuoteRequest):
        out: dict[str, Any] = {"quotes": [_quote_one(r, ["orders", i]) for i, r in enumerate(body.orders)]}
    else:
        out = _quote_one(body, [])
    return Response(json.dumps(out), media_type="application/json")


# Load (and so validate) the served model when the API starts, not on the first checkout.
try:  # pragma: no cover - a broken model dir is reported on the first request instead
    _model()
except Exception:  # noqa: BLE001
    pass
