"""``POST /v1/carrier-events`` (carrier tracking: accepted, delivered) and ``GET /v1/backlog`` (what checkout adds for it).

Quotes for a carrier service whose recent parcels run late move later, by the
smallest step that would have kept the last week's promises (see
:mod:`engine.eta.drift` and :mod:`api.backlog`); this is the feed.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from api import backlog
from api.deps import get_clock, get_store
from api.schemas.carrier import BacklogOut, CarrierEventsIn, CarrierEventsOut, IgnoredOut
from engine.clock import Clock
from engine.store.repository import Store

router = APIRouter(tags=["carriers"])

#: Clocks differ: an event this far ahead of the server's clock is taken as now; further is refused.
FUTURE_S = 300.0


def _bad(i: int, field: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", "events", i, field), "msg": msg, "type": "value_error"}])


@router.post("/v1/carrier-events", response_model=CarrierEventsOut, responses={422: {"description": "An invalid event (the field is named); nothing is stored"}})
def ingest(body: CarrierEventsIn, store: Store = Depends(get_store), clock: Clock = Depends(get_clock)) -> CarrierEventsOut:
    """Carrier tracking events, stored in one transaction; each ``accepted`` parcel is priced with the uncorrected model."""
    from engine.promise import QuoteError, quote_arrays, rung_promises, widen_caps  # noqa: PLC0415
    from engine.promise.reasons import reason_text  # noqa: PLC0415
    from engine.promise.registry import model_for  # noqa: PLC0415

    now = clock.now()
    models, groups = {}, {}
    for i, ev in enumerate(body.events):
        if ev.at.timestamp() > now + FUTURE_S:
            raise _bad(i, "at", f"{ev.at.isoformat()} is in the future (server time {datetime.fromtimestamp(now, timezone.utc).isoformat()})")
        try:
            model = models.get(ev.region) or models.setdefault(ev.region, model_for(ev.region))
        except QuoteError as exc:
            raise _bad(i, "region", str(exc)) from None
        key = f"{ev.carrier}:{ev.service}"
        if key not in model.base_keys:
            raise _bad(i, "service", f"{key!r} is not a service of region {model.city.name!r}; known: {', '.join(model.base_keys)}")
        if ev.kind == "accepted":
            if ev.destination is None:
                raise _bad(i, "destination", "an accepted parcel needs its destination (its promise is priced from it)")
            groups.setdefault((model.city.name.lower(), key), []).append(i)
    region_of = {i: models[ev.region].city.name.lower() for i, ev in enumerate(body.events)}
    promised: dict[int, float] = {}
    season: dict[int, str] = {}
    median: dict[int, float] = {}
    rungs: dict[int, list[float | None]] = {}
    caps_of: dict[int, float | None] = {}
    levels = backlog.PARAMS.narrow_levels  # the state api.backlog keeps
    ignored: list[IgnoredOut] = []
    for (region, key), idx in groups.items():
        evs = [body.events[i] for i in idx]
        model = models[evs[0].region]
        has_origin = all(e.origin is not None for e in evs)
        created = np.array([e.at.timestamp() for e in evs])
        parcels = (np.array([e.destination.lat for e in evs]), np.array([e.destination.lon for e in evs]), created,
                   np.array([e.weight_kg for e in evs]),
                   np.array([e.origin.lat for e in evs]) if has_origin else None,
                   np.array([e.origin.lon for e in evs]) if has_origin else None)
        b = quote_arrays(model, *parcels, keys=[key])
        labels = model.seasons_of(created)
        low = rung_promises(model, *parcels, key, levels)
        caps = widen_caps(model, key, np.where(b.available[:, 0], b.promised[:, 0], np.nan))
        for j, i in enumerate(idx):
            if b.available[j, 0]:
                promised[i] = float(b.promised[j, 0])
                median[i] = float(b.p50[j, 0])
                season[i] = str(labels[j])
                rungs[i] = [float(x) if np.isfinite(x) else None for x in low[j]]
                caps_of[i] = float(caps[j]) if math.isfinite(caps[j]) else None
            else:
                ignored.append(IgnoredOut(index=i, order_id=evs[j].order_id, reason=reason_text(model, b, j, 0, float(created[j]))))
    rows = []
    for i, ev in enumerate(body.events):
        p = {"region": region_of[i], "key": f"{ev.carrier}:{ev.service}"}
        if ev.kind == "accepted":
            if i not in promised:
                continue  # no promise to measure; reported in ``ignored``
            p["promised"] = promised[i]
            p["season"] = season[i]  # a season's or holiday's promise is measured apart (engine.eta.drift)
            p["p50"] = median[i]  # the median channel: a backlog shows at the p50, days before the promise
            p["rungs"] = {"levels": list(levels), "promised": rungs[i]}  # what narrowing by level is measured on
            p["cap"] = caps_of[i]  # same-day is widened only within its day, and measured so (None: no cap)
        at = min(ev.at.timestamp(), now)
        rows.append((f"carrier_{ev.kind}", datetime.fromtimestamp(at, timezone.utc), ev.order_id, p))
    store.add_events(rows)
    for region in set(region_of.values()):
        backlog.refresh(store, region, now)
    return CarrierEventsOut(stored=len(rows), ignored=sorted(ignored, key=lambda x: x.index))


@router.get("/v1/backlog", response_model=BacklogOut)
def get_backlog(region: str | None = Query(None, min_length=1, max_length=64), store: Store = Depends(get_store),
                clock: Clock = Depends(get_clock)) -> BacklogOut:
    """Per carrier/service of ``region``: the hours quotes move by now, the last week's coverage, parcels open."""
    from engine.promise import QuoteError  # noqa: PLC0415
    from engine.promise.registry import model_for  # noqa: PLC0415

    try:
        name = model_for(region).city.name.lower()
    except QuoteError as exc:
        raise RequestValidationError([{"loc": ("query", "region"), "msg": str(exc), "type": "value_error"}]) from None
    return BacklogOut(**backlog.summary(store, name, clock.now()))
