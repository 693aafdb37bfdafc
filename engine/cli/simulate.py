"""``promise simulate``: replications of a peak-day scenario, variants, the fleet search and the report.

    promise simulate scenarios/metro-double11.toml --replications 20 --out report/
    promise simulate SCENARIO --set fleet.van.count=30,40,50 --set demand.surge=2,3   # 6 variants
    promise simulate SCENARIO --find-fleet van [--lo 20 --hi 80]                     # smallest fleet for 95% on time
    promise simulate SCENARIO --ray auto            # or --ray host:6379 / ray://host:10001 (pip install -e .[distributed])

Writes ``OUT/index.html`` (plots), ``OUT/kpis.json`` (every KPI; timings only
under ``timing`` keys, so two runs with one seed differ nowhere else).  A bad
scenario, key or value is one line naming the file and the key, exit 2.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer

from engine.cli._errors import cli_errors

#: The runner class the command builds (a module attribute so tests can hand it a fast stand-in day).
RUNNER: Any = None


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)


def _runner_class() -> Any:
    if RUNNER is not None:
        return RUNNER
    from engine.sim.runner import Runner

    return Runner


def simulate_cmd(
    scenario: Path = typer.Argument(..., help="A scenario TOML file (see scenarios/)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=1, max=100_000, help="Replications per variant (default: the scenario's)."),
    out: Path = typer.Option(Path("report"), "--out", help="Folder for index.html, kpis.json and the plots."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Root seed of every random stream (default: the scenario's)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=1024, help="Local worker processes (default: PROMISE_SOLVE_WORKERS, one per core)."),
    ray: Optional[str] = typer.Option(None, "--ray", help="Run on Ray: 'auto' (a running cluster, else a local one) or a cluster address."),
    sets: list[str] = typer.Option([], "--set", help="Override a scenario key: key=v1,v2,... (one variant per value; several --set: every combination)."),
    find_fleet: Optional[str] = typer.Option(None, "--find-fleet", help="Search the smallest count of this vehicle type that keeps the promise."),
    lo: Optional[int] = typer.Option(None, "--lo", min=1, help="Smallest count searched (default: half today's)."),
    hi: Optional[int] = typer.Option(None, "--hi", min=1, help="Largest count searched (default: twice today's)."),
    confidence: float = typer.Option(0.90, "--confidence", min=0.01, max=1.0, help="Share of replications that must reach the target."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Simulate a peak day many times and write the report (index.html, kpis.json)."""
    with cli_errors():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from engine.errors import InputError
        from engine.sim.aggregate import kpis_document, variant_document
        from engine.sim.fleet import fleet_count
        from engine.sim.runner import variants as make_variants
        from engine.sim.scenario import load_scenario

        t0 = time.perf_counter()
        base = load_scenario(scenario)
        todo = make_variants(base, sets)
        n = replications or base.replications
        root = base.seed if seed is None else seed
        if find_fleet is not None:
            if len(todo) > 1:
                raise InputError("--find-fleet searches one scenario: give each --set a single value", item="--find-fleet", field="--set")
            today = fleet_count(todo[0][1], find_fleet)
            lo_ = lo if lo is not None else max(1, today // 2)
            hi_ = hi if hi is not None else max(lo_, 2 * today, 1)
            if lo_ > hi_:
                raise InputError(f"--lo {lo_} is above --hi {hi_}", item="--find-fleet", field="--lo")
        elif lo is not None or hi is not None:
            raise InputError("--lo and --hi bound --find-fleet; give --find-fleet TYPE", item="--find-fleet", field="--lo")

        bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            disable=not progress, transient=False,
        )
        state: dict[str, Any] = {"task": None, "seen": 0}

        def on_progress(p: Any) -> None:
            if state["task"] is None:
                return
            if p.done == 1:
                # A new run (the fleet search starts one per count): its jobs join the bar's total.
                state["seen"] += p.total
                bar.update(state["task"], total=state["seen"])
            bar.advance(state["task"])

        runner_cls = _runner_class()
        with bar, runner_cls(workers=workers, ray=ray, progress=on_progress) as runner:
            where = runner.where
            state["task"] = bar.add_task(f"{base.name}: {len(todo)} variant(s) x {n} on {where}", total=len(todo) * n)
            t_run = time.perf_counter()
            results = runner.run([s for _, s in todo], n, root_seed=root)
            run_s = time.perf_counter() - t_run
            search = None
            search_s = 0.0
            if find_fleet is not None:
                from engine.sim.fleet import find_fleet as search_fleet

                state["task"] = bar.add_task(f"fleet search: {find_fleet} in [{lo_}, {hi_}]", total=None)
                state["seen"] = 0
                t_search = time.perf_counter()
                search = search_fleet(
                    todo[0][1], find_fleet, replications=n, target=todo[0][1].target, confidence=confidence,
                    lo=lo_, hi=hi_, runner=runner, root_seed=root, known={today: results[0]},
                )
                search_s = time.perf_counter() - t_search

        vdocs = [variant_document(o, r, target=s.target) for (o, s), r in zip(todo, results)]
        doc = kpis_document(
            base.name, root, n, vdocs,
            fleet_search=None if search is None else search.to_dict(),
            timing={"run_s": run_s, "fleet_search_s": search_s, "before_report_s": time.perf_counter() - t0, "where": where},
        )
        from engine.sim.report import write_report

        page = write_report(out, doc, results, where=where, scenario_path=str(scenario), today=today if search is not None else None)

        for (o, _), v in zip(todo, vdocs):
            h = v["headline"]
            ots = h["on_time_share"]
            label = ", ".join(f"{k}={x}" for k, x in o.items()) or base.name
            ci = f" (95% CI {100 * ots['ci_low']:.1f}-{100 * ots['ci_high']:.1f}%)" if ots["ci_low"] is not None else ""
            mean = "n/a" if ots["mean"] is None else f"{100 * ots['mean']:.1f}%"
            meets = "n/a" if h["meets_target"] is None else f"{100 * h['meets_target']:.0f}%"
            typer.echo(f"{label}: on time {mean}{ci}; {meets} of {n} replications reach {100 * h['target']:.0f}%")
        if search is not None:
            if search.recommended is None:
                typer.echo(f"fleet search: even {search.hi} {find_fleet}s miss the target in more than {100 * (1 - confidence):.0f}% of replications")
            else:
                typer.echo(f"fleet search: {search.recommended} {find_fleet}s (today {today}; evaluated {', '.join(str(c.count) for c in search.curve)})"
                           + ("" if search.monotone else f"; {len(search.violations)} replication(s) did worse with more {find_fleet}s: see the report"))
        typer.echo(f"report: {page}")
