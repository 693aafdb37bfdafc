"""A day where a carrier costs less than opening a route for one order.

300 orders around Helsinki (haversine matrix), 10 vans with a fixed cost of 50, one carrier at
10 + 0.5/kg.  Routing them all is far cheaper than handing them all off, but no single insertion
into an empty route pays for itself.  Prints the plan cost three ways:

- ``solve`` as shipped (the search races a start with every order mandatory against one built
  with the real drop penalties);
- the search with only the real-penalty start (how it was before);
- OR-Tools alone (its constructions and guided local search).

    .venv/bin/python benchmarks/cheap_carrier_day.py --time-limit 8
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from engine.dispatch import MaxRuntime, SearchParams, SolveParams, solve
from engine.domain.problem import Carrier, Depot, Order, Problem, VehicleType

LAT, LON = 60.17, 24.94


def day(n: int = 300, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    orders = [
        Order(f"o{i}", LAT + rng.normal(0, 0.01), LON + rng.normal(0, 0.02), size={"parcels": 1, "kg": 2.5})
        for i in range(n)
    ]
    vans = [VehicleType("van", 10, "D1", capacity={"parcels": 40, "kg": 200})]
    return Problem([Depot("D1", LAT, LON)], vans, orders, carriers=[Carrier("parcelco", base_cost=10, cost_per_kg=0.5)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=8.0)
    args = ap.parse_args()
    p = day()
    rows = [
        ("solve (shipped)", SolveParams()),
        # 0: no order's penalty is below it, so no forced start is built
        ("search, real-penalty start only", SolveParams(search=SearchParams(construction_penalty=0))),
        ("OR-Tools alone", SolveParams(use_improve=False)),
    ]
    print(f"{'variant':34} {'cost':>9} {'routed':>7} {'handed off':>10} {'s':>5}")
    for name, params in rows:
        t = time.perf_counter()
        plan = solve(p, params=params, stop=MaxRuntime(args.time_limit))
        routed = sum(len(r.order_ids) for r in plan.routes)
        print(f"{name:34} {plan.cost:9.2f} {routed:7d} {len(plan.handoffs):10d} {time.perf_counter() - t:5.1f}")


if __name__ == "__main__":
    main()
