"""``/v1/tickets``: list, open, read, note, assign, move, resolve; ``/v1/tickets/kpis``.

Every change and the customer notification it causes are written in one
unit of work (the transactional outbox).  Time comes from the app's Clock.
"""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_clock, get_sla, get_store
from api.schemas.tickets import (
    AssignIn, Category, InstantText, KpisOut, NoteIn, PriorityName, ResolveIn, Status, StatusIn, TicketIn, TicketOut, TicketPage,
    epoch, iso,
)
from engine.clock import Clock
from engine.errors import InputError
from engine.tickets.sla import SlaPolicies

TicketId = Path(..., min_length=1, max_length=36)
from engine.store.aftersales import unit
from engine.store.repository import Store

router = APIRouter(prefix="/v1/tickets", tags=["tickets"])
_NOT_FOUND = {404: {"description": "No such ticket"}}
_CONFLICT = {409: {"description": "The ticket's status does not allow it"}}


def _out(t, clock: Clock, sla: SlaPolicies, *, history: bool = True) -> TicketOut:  # type: ignore[no-untyped-def]
    from engine.tickets import clock_states  # noqa: PLC0415

    return TicketOut.of(t, clock_states(t, sla.for_ticket(t.category, t.priority), clock.now()), history=history)


@router.get("", response_model=TicketPage, summary="Tickets, newest first, filtered and paged")
def list_tickets(
    status: Optional[list[Status]] = Query(None), queue: Optional[str] = Query(None, max_length=100),
    category: Optional[Category] = None, order_id: Optional[str] = Query(None, max_length=128),
    customer_id: Optional[str] = Query(None, max_length=128), agent: Optional[str] = Query(None, max_length=64),
    since: Optional[InstantText] = Query(None, description="Opened at or after (ISO 8601 or epoch seconds)."),
    until: Optional[InstantText] = Query(None, description="Opened before."),
    offset: int = Query(0, ge=0, le=1_000_000), limit: int = Query(50, ge=1, le=500),
    store: Store = Depends(get_store), clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla),
) -> TicketPage:
    from engine.tickets import TicketQuery  # noqa: PLC0415

    q = TicketQuery(status=status, queue=queue, category=category, order_id=order_id, customer_id=customer_id, agent=agent,
                    since=epoch(since, field="since"), until=epoch(until, field="until"))
    with unit(store) as u:
        rows = u.list_tickets(q, offset=offset, limit=limit)
        total = u.count_tickets(q)
    return TicketPage(items=[_out(t, clock, sla, history=False) for t in rows], total=total, offset=offset, limit=limit)


@router.post("", response_model=TicketOut, status_code=201, summary="Open a ticket (any channel)")
def create_ticket(body: TicketIn, store: Store = Depends(get_store),
        clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla)) -> TicketOut:
    from engine.notify import on_ticket_change  # noqa: PLC0415
    from engine.tickets import open_ticket  # noqa: PLC0415

    with unit(store) as u:
        t = open_ticket(u, category=body.category, now=clock.now(), order_id=body.order_id, customer_id=body.customer_id,
                        channel=body.channel, priority=body.priority, subject=body.subject, text=body.text,
                        region=body.region, source="api", actor=body.actor)
        on_ticket_change(u, t, t.history[-1])
    return _out(t, clock, sla)


@router.get("/kpis", response_model=KpisOut, summary="Ticket KPIs over a time range")
def get_kpis(
    since: InstantText = Query(..., description="Tickets opened at or after (ISO 8601 or epoch seconds)."),
    until: Optional[InstantText] = Query(None, description="... and before (default: now)."),
    store: Store = Depends(get_store), clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla),
) -> KpisOut:
    from engine.tickets import TicketQuery, kpis  # noqa: PLC0415

    t0 = epoch(since, field="since")
    t1 = epoch(until, field="until") if until is not None else clock.now()
    if t1 <= t0:
        raise InputError("until must be after since", item="kpis", field="until")
    with unit(store) as u:
        rows = u.list_tickets(TicketQuery(since=t0, until=t1), limit=10**7)
    k = kpis(rows, since=t0, until=t1, now=min(t1, clock.now()) if until is None else t1, policies=sla)
    d = k.to_dict()
    d["since"], d["until"] = iso(t0), iso(t1)
    return KpisOut(**d)


@router.get("/{ticket_id}", response_model=TicketOut, responses=_NOT_FOUND, summary="One ticket with its full history")
def get_ticket(ticket_id: str = TicketId, store: Store = Depends(get_store),
        clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla)) -> TicketOut:
    from engine.tickets.desk import load  # noqa: PLC0415

    with unit(store) as u:
        return _out(load(u, ticket_id), clock, sla)


def _change(store: Store, clock: Clock, sla: SlaPolicies, fn, ticket_id: str, *args,  # type: ignore[no-untyped-def]
            **kw) -> TicketOut:
    from engine.notify import on_ticket_change  # noqa: PLC0415

    with unit(store) as u:
        t, ch = fn(u, ticket_id, *args, now=clock.now(), **kw)
        on_ticket_change(u, t, ch)
    return _out(t, clock, sla)


@router.post("/{ticket_id}/notes", response_model=TicketOut, responses={**_NOT_FOUND, **_CONFLICT}, summary="Add a note")
def post_note(body: NoteIn, ticket_id: str = TicketId, store: Store = Depends(get_store),
        clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla)) -> TicketOut:
    from engine.tickets import add_note  # noqa: PLC0415

    return _change(store, clock, sla, add_note, ticket_id, body.text, actor=body.actor, public=body.public)


@router.post("/{ticket_id}/assign", response_model=TicketOut, responses={**_NOT_FOUND, **_CONFLICT}, summary="Assign an agent")
def post_assign(body: AssignIn, ticket_id: str = TicketId, store: Store = Depends(get_store),
        clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla)) -> TicketOut:
    from engine.tickets import assign  # noqa: PLC0415

    return _change(store, clock, sla, assign, ticket_id, body.agent, actor=body.actor)


@router.post("/{ticket_id}/status", response_model=TicketOut, responses={**_NOT_FOUND, **_CONFLICT}, summary="Change the status")
def post_status(body: StatusIn, ticket_id: str = TicketId, store: Store = Depends(get_store),
        clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla)) -> TicketOut:
    from engine.tickets import set_status  # noqa: PLC0415

    return _change(store, clock, sla, set_status, ticket_id, body.status, actor=body.actor, text=body.text)


@router.post("/{ticket_id}/resolve", response_model=TicketOut, responses={**_NOT_FOUND, **_CONFLICT}, summary="Resolve")
def post_resolve(body: ResolveIn, ticket_id: str = TicketId, store: Store = Depends(get_store),
        clock: Clock = Depends(get_clock), sla: SlaPolicies = Depends(get_sla)) -> TicketOut:
    from engine.tickets import resolve  # noqa: PLC0415

    return _change(store, clock, sla, resolve, ticket_id, actor=body.actor, text=body.text)


__all__ = ["router", "PriorityName"]
