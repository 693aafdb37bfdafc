"""Third-party carriers: which may take an order, at what price, and who gets the hand-offs.

A carrier's price for an order is ``base_cost + cost_per_kg * kg +
zone_surcharge_per_km * km`` where ``km`` is the straight-line distance from
the pick-up depot; it refuses orders beyond ``max_km``, orders needing skills
it lacks, orders whose goods sit at another depot, and everything once the
day's pick-up cut-off has passed.  For the solver the price of handing an
order over is the cheapest eligible quote plus ``risk_weight * (1 -
on_time_probability)``: that is the disjunction penalty, so OR-Tools drops an
order from the fleet exactly when a carrier is cheaper.  When a carrier's daily
capacity could bind, ``with_carriers`` puts the carriers into the model
itself (``engine.dispatch.cost``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from engine.dispatch.arrays import VrpArrays
from engine.dispatch.convert import MUST_SERVE_PENALTY
from engine.geo import haversine_m
from engine.domain.problem import Carrier, Order, Problem
from engine.domain.plan import Handoff


#: Why an order that a carrier would take was not handed over.
CAPACITY_FULL = "every eligible carrier is at its daily capacity"


@dataclass(frozen=True, slots=True)
class Quote:
    """One carrier's offer for one order."""

    carrier_id: str
    depot: str
    cost: float
    on_time_probability: float

    def effective_cost(self, risk_weight: float) -> float:
        """Price plus the lateness-risk charge the solver weighs it with."""
        return self.cost + risk_weight * (1.0 - self.on_time_probability)


def quotes(problem: Problem, order: Order, *, now: int = 0) -> list[Quote]:
    """Every eligible carrier's offer for ``order``, cheapest (risk included) first.

    Empty when the order may not go to a carrier or none will take it.
    """
    if not order.allow_carrier:
        return []
    out: list[Quote] = []
    kg = float(order.size.get("kg", 0.0))
    for c in problem.carriers:
        if now > c.cutoff or c.capacity <= 0:
            continue
        if not order.skills <= c.skills:
            continue
        depot_id = _pickup_depot(problem, order, c)
        if depot_id is None:
            continue
        d = problem.depot(depot_id)
        km = float(haversine_m(d.lat, d.lon, order.lat, order.lon)) / 1000.0
        if km > c.max_km:
            continue
        cost = c.base_cost + c.cost_per_kg * kg + c.zone_surcharge_per_km * km
        out.append(Quote(c.carrier_id, depot_id, float(cost), float(c.on_time_probability)))
    out.sort(key=lambda q: (q.effective_cost(problem.risk_weight), q.carrier_id))
    return out


def _pickup_depot(problem: Problem, order: Order, c: Carrier) -> str | None:
    """The depot the carrier collects ``order`` from, or None when they cannot meet."""
    if order.depot is not None:
        if c.pickup_depot is not None and c.pickup_depot != order.depot:
            return None
        return order.depot
    if c.pickup_depot is not None:
        return c.pickup_depot
    # Goods can leave from any depot: the carrier collects at the nearest one.
    lat = np.array([d.lat for d in problem.depots])
    lon = np.array([d.lon for d in problem.depots])
    return problem.depots[int(np.argmin(haversine_m(lat, lon, order.lat, order.lon)))].depot_id


def assign_handoffs(
    problem: Problem,
    dropped: list[Order],
    order_quotes: dict[str, list[Quote]],
    *,
    used: dict[str, int] | None = None,
) -> tuple[list[Handoff], list[tuple[Order, str]]]:
    """Give dropped orders to carriers, respecting each carrier's daily capacity.

    Orders with the largest regret (second-best minus best price) choose
    first, so that capacity goes where it saves the most.  Returns the
    hand-offs and the orders no carrier could take, with a detail string.
    ``used`` counts orders already given to each carrier (updated in place).
    """
    cap = {c.carrier_id: c.capacity for c in problem.carriers}
    used = used if used is not None else {}
    rw = problem.risk_weight

    def regret(o: Order) -> float:
        qs = order_quotes.get(o.order_id, [])
        if len(qs) < 2:
            return float("inf") if qs else -1.0
        return qs[1].effective_cost(rw) - qs[0].effective_cost(rw)

    handoffs: list[Handoff] = []
    left: list[tuple[Order, str]] = []
    for o in sorted(dropped, key=lambda o: (-regret(o), -o.priority, o.order_id)):
        qs = order_quotes.get(o.order_id, [])
        if not qs:
            why = "not allowed to go to a carrier" if not o.allow_carrier else "no carrier serves it"
            left.append((o, why))
            continue
        for q in qs:
            if used.get(q.carrier_id, 0) < cap[q.carrier_id]:
                used[q.carrier_id] = used.get(q.carrier_id, 0) + 1
                handoffs.append(Handoff(o.order_id, q.carrier_id, q.depot, q.cost, q.on_time_probability))
                break
        else:
            left.append((o, CAPACITY_FULL))
    return handoffs, left


def with_carriers(
    problem: Problem, a: VrpArrays, order_quotes: dict[str, list[Quote]], used: dict[str, int], priority_step: float
) -> VrpArrays:
    """``a`` with the carriers in the model when a daily capacity could bind.

    Each carrier's price for a job is its quote (with the risk charge and the
    priority bonus, as in ``order_penalties``); its room is its capacity less
    ``used``.  A job then pays ``MUST_SERVE_PENALTY`` only when it is on no
    route and no carrier with room takes it (``engine.dispatch.cost``).  When
    every carrier has room for every job it quotes, ``a`` is returned as is:
    its penalties (each job's cheapest price) already say everything.
    """
    if not problem.carriers or a.n_jobs == 0:
        return a
    rw = problem.risk_weight
    ids = tuple(c.carrier_id for c in problem.carriers)
    col = {cid: k for k, cid in enumerate(ids)}
    room = np.array([max(0, int(c.capacity) - used.get(c.carrier_id, 0)) for c in problem.carriers], dtype=np.int64)
    price = np.full((len(ids), a.n_nodes), np.inf)
    by_id = {o.order_id: o for o in problem.orders}
    for j, oid in enumerate(a.job_ids):
        o = by_id[oid]
        for q in order_quotes.get(oid, []):
            price[col[q.carrier_id], a.n_depots + j] = (q.effective_cost(rw) + priority_step * max(0, o.priority)) * a.cost_scale
    takers = np.isfinite(price).sum(axis=1)
    if np.all(room >= takers):
        return a
    penalty = a.penalty.copy()
    for j, oid in enumerate(a.job_ids):
        penalty[a.n_depots + j] = int(MUST_SERVE_PENALTY * (1 + max(0, by_id[oid].priority)) * a.cost_scale)
    keep = takers > 0
    return dataclasses.replace(
        a,
        penalty=penalty,
        carrier_ids=tuple(cid for cid, k in zip(ids, keep) if k),
        carrier_capacity=room[keep],
        carrier_price=np.ascontiguousarray(price[keep]),
    )
