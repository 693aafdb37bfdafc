"""``/v1/customers``: notification preferences, order links, and one history per customer across channels."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_clock, get_sla, get_store
from api.schemas.tickets import CustomerIn, CustomerOut, HistoryOut, NotificationOut, OrderLinkIn, TicketOut
from engine.clock import Clock
from engine.errors import NotFoundError
from engine.store.aftersales import unit
from engine.store.repository import Store
from engine.tickets.sla import SlaPolicies

CustomerId = Path(..., min_length=1, max_length=128)

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.put("/{customer_id}", response_model=CustomerOut, summary="Create or replace a customer's preferences")
def put_customer(body: CustomerIn, customer_id: str = CustomerId, store: Store = Depends(get_store)) -> CustomerOut:
    from engine.domain.notification import ChannelKind, Customer  # noqa: PLC0415

    c = Customer(customer_id, name=body.name, language=body.language, timezone=body.timezone,
                 channels=tuple(ChannelKind(x) for x in dict.fromkeys(body.channels)),
                 addresses={str(k): v for k, v in body.addresses.items()}, quiet_start=body.quiet_start,
                 quiet_end=body.quiet_end, rate_per_hour=body.rate_per_hour, opted_out=body.opted_out)
    with unit(store) as u:
        u.put_customer(c)
    return CustomerOut.of(c)


@router.post("/{customer_id}/orders", status_code=204, responses={404: {"description": "No such customer"}},
             summary="Say whose an order is (its notifications and tickets follow)")
def link_order(body: OrderLinkIn, customer_id: str = CustomerId, store: Store = Depends(get_store)) -> None:
    with unit(store) as u:
        if u.get_customer(customer_id) is None:
            raise NotFoundError(f"no customer with id {customer_id!r}")
        u.link_order(body.order_id, customer_id, body.region)


@router.get("/{customer_id}/history", response_model=HistoryOut, summary="Tickets, notifications and promises of one customer")
def history(customer_id: str = CustomerId, limit: int = Query(100, ge=1, le=1000), store: Store = Depends(get_store),
            clock: Clock = Depends(get_clock), pol: SlaPolicies = Depends(get_sla)) -> HistoryOut:
    from engine.tickets import TicketQuery, clock_states  # noqa: PLC0415

    with unit(store) as u:
        c = u.get_customer(customer_id)
        ts = u.list_tickets(TicketQuery(customer_id=customer_id), limit=limit)
        ns = u.notifications_for(customer_id=customer_id, limit=limit)
        orders = u.orders_of(customer_id, limit=limit)
    if c is None and not ts and not ns:
        raise NotFoundError(f"no customer with id {customer_id!r}")
    promises = [p for o in orders for p in store.promises_for(o)][:limit]
    return HistoryOut(
        customer=CustomerOut.of(c) if c else None,
        tickets=[TicketOut.of(t, clock_states(t, pol.for_ticket(t.category, t.priority), clock.now())) for t in ts],
        notifications=[NotificationOut.of(n) for n in ns], promises=promises,
    )
