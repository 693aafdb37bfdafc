"""``promise plan``: solve a delivery day and write the plan, a map and GeoJSON."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Optional

import typer

from engine.cli._errors import cli_errors
from engine.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_cmd(
        scenario: str = typer.Argument(..., help="Scenario name (helsinki-day, metro-day) or a problem / VROOM JSON file."),
        time_limit: float = typer.Option(30.0, "--time-limit", "-t", help="Seconds for the whole solve, matrix included."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the plan JSON here."),
        map_png: Optional[Path] = typer.Option(None, "--map", help="Draw the plan over the road network to this PNG."),
        geojson: Optional[Path] = typer.Option(None, "--geojson", help="Write routes and stops as GeoJSON."),
        fmt: str = typer.Option("plan", "--format", help="Output shape of --out: 'plan' or 'vroom' (VROOM's solution format)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the search (and of a named scenario)."),
        orders: Optional[int] = typer.Option(None, "--orders", help="Orders in a named scenario (default: its stored size)."),
        network_src: Optional[str] = typer.Option(None, "--network", help="Road network source; default: the problem's own, else straight-line."),
        straight: bool = typer.Option(False, "--straight-line", help="Ignore any road network: haversine matrices."),
        no_improvement: Optional[float] = typer.Option(None, "--no-improvement", help="Stop after this many seconds without a better plan."),
        solution_limit: Optional[int] = typer.Option(None, "--solution-limit", help="Cap on search solutions (machine-independent, deterministic)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
        params_file: Optional[Path] = typer.Option(
            None, "--params", help="Solver parameters as TOML (SolveParams: top-level keys, search tunables under [search]); default: the shipped values."),
    ) -> None:
        """Plan a day: fleet routes, carrier hand-offs, unassigned orders with reasons."""
        with (vroom_errors(out) if fmt in ("vroom", "vroom-out") else cli_errors()):
            _run(scenario, time_limit, out, map_png, geojson, fmt, seed, orders, network_src, straight, no_improvement, solution_limit, quiet,
                 params_file)


def _run(
    scenario: str, time_limit: float, out: Path | None, map_png: Path | None, geojson: Path | None, fmt: str,
    seed: int, orders: int | None, network_src: str | None, straight: bool, no_improvement: float | None,
    solution_limit: int | None, quiet: bool, params_file: Path | None = None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from engine.dispatch import SolveParams
    from engine.dispatch.stop import from_limits
    from engine.io.scenarios import scenario as resolve
    from engine.network import load as load_network

    console = Console(stderr=True)
    # Every option is checked before the network loads and the search runs, so a typo
    # costs a second, not the whole time limit.
    if fmt not in ("plan", "vroom", "vroom-out"):
        raise InputError(f"--format must be 'plan' or 'vroom', got {fmt!r}", item="--format")
    try:
        stop = from_limits(time_limit, solution_limit, no_improvement)
    except InputError as exc:
        option = f"--{(exc.field or 'time_limit').replace('_', '-')}"
        raise InputError(f"--{str(exc).replace('_', '-', 1)}", item=option) from None
    for opt, path in (("--out", out), ("--map", map_png), ("--geojson", geojson)):
        if path is not None:
            _check_writable(opt, path)
    base = SolveParams.from_toml(params_file) if params_file is not None else SolveParams()
    kind, obj = resolve(scenario, n_orders=orders, seed=seed)
    if kind == "vroom" and (map_png or geojson) and not any("location" in j for j in obj.get("jobs") or []):
        raise InputError("--map/--geojson need coordinates, and this VROOM problem has only matrix indices", item="--map")
    net_spec = None if straight else (network_src or (obj.network if kind == "problem" else None))
    t_net = time.perf_counter()
    network = load_network(net_spec) if net_spec else None
    if network is not None and not quiet:
        console.print(f"road network {network!r} loaded in {time.perf_counter() - t_net:.1f} s")

    # Load the numba search's kernels before the clock starts (solve does it too, once per
    # process); said here because a cold cache compiles them for ~20 s.
    from engine.dispatch.pipeline import ready_kernels

    t_warm = time.perf_counter()
    ready_kernels(base)
    if not quiet and time.perf_counter() - t_warm > 2.0:
        console.print(f"search kernels compiled in {time.perf_counter() - t_warm:.1f} s (cached for the next run)")

    with _ProgressBar(time_limit, console, enabled=not quiet) as bar:
        if kind == "vroom":
            from engine.io.vroom import solve_vroom_plan

            plan, vroom_out = solve_vroom_plan(obj, network=network, params=base, stop=stop, seed=seed, progress=bar.update)
            problem = None
        else:
            from engine.dispatch import solve
            from engine.io.vroom import plan_to_vroom

            problem = obj
            # "auto" (the default) is resolved by the solve: the network when one is loaded
            plan = solve(problem, network=network, params=base, stop=stop, seed=seed, progress=bar.update)
            vroom_out = plan_to_vroom(plan)

    from collections import Counter

    t = Table(title=f"plan {plan.problem_name}", show_header=False)
    t.add_row("status", plan.status)
    t.add_row("cost", f"{plan.cost:,.2f}")
    t.add_row("vehicles used", str(plan.vehicles_used))
    t.add_row("orders on routes", str(sum(len(r.order_ids) for r in plan.routes)))
    t.add_row("carrier hand-offs", str(len(plan.handoffs)))
    reasons = Counter(u.reason.name for u in plan.unassigned)
    t.add_row("unassigned", str(len(plan.unassigned)) + (f"  ({', '.join(f'{k}: {v}' for k, v in reasons.items())})" if reasons else ""))
    t.add_row("distance", f"{plan.distance_m / 1000:,.1f} km")
    t.add_row("solve time", f"{plan.solve_seconds:.1f} s")
    Console().print(t)

    if out is not None:
        from engine.io.problem_json import plan_to_dict

        doc: Any = vroom_out if fmt in ("vroom", "vroom-out") else plan_to_dict(plan)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1))
        console.print(f"plan written to {out}")
    if map_png is not None:
        from engine.plot.plan_map import save_png

        save_png(plan, map_png, problem=problem, network=network)
        console.print(f"map written to {map_png}")
    if geojson is not None:
        from engine.plot.plan_map import save_geojson

        save_geojson(plan, geojson, problem=problem, network=network)
        console.print(f"GeoJSON written to {geojson}")


#: VROOM's exit codes (docs/API.md): 1 internal error, 2 input error, 3 routing error.
VROOM_INTERNAL, VROOM_INPUT, VROOM_ROUTING = 1, 2, 3


def vroom_error(exc: BaseException) -> dict[str, Any]:
    """VROOM's error output ``{"code": ..., "error": ...}`` for an exception."""
    from engine.errors import MatrixError, NetworkError

    if isinstance(exc, (NetworkError, MatrixError)):
        return {"code": VROOM_ROUTING, "error": str(exc)}
    if isinstance(exc, (InputError, OSError)):
        return {"code": VROOM_INPUT, "error": str(exc)}
    return {"code": VROOM_INTERNAL, "error": f"internal error ({type(exc).__name__}: {exc})"}


@contextlib.contextmanager
def vroom_errors(out: Path | None) -> Iterator[None]:
    """With ``--format vroom``, failures answer as VROOM does: its error JSON on stdout (and in
    ``--out``), and its exit code."""
    from engine.cli import _errors

    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if _errors.DEBUG:
            raise
        doc = vroom_error(exc)
        text = json.dumps(doc)
        print(text)
        if out is not None:
            with contextlib.suppress(OSError):
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(text)
        raise typer.Exit(code=doc["code"]) from None


def _check_writable(opt: str, path: Path) -> None:
    """Raise ``InputError`` when ``path`` cannot be written as a file (a directory, no permission)."""
    import os

    if path.is_dir():
        raise InputError(f"{opt} {path} is a directory; give a file name", item=opt)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the first existing ancestor is where the directories get made
    if not parent.is_dir():
        raise InputError(f"{opt} {path}: {parent} is not a directory", item=opt)
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{opt} {path}: no permission to write there", item=opt)
    if parent == path.parent and not path.exists():
        # os.access says yes to root everywhere; creating the file is the only honest test.
        try:
            path.open("x").close()
        except OSError as exc:
            raise InputError(f"{opt} {path}: cannot write there ({exc.strerror or exc})", item=opt) from None
        path.unlink()


class _ProgressBar:
    """A rich progress bar over the time limit, labelled with the best cost so far.

    The solver reports improvements through ``update``; a small thread moves the
    bar with the clock in between (it only touches the bar, never the solver).
    """

    def __init__(self, time_limit: float, console: Any, *, enabled: bool) -> None:
        self.time_limit = time_limit
        self.enabled = enabled
        self.console = console
        self.best: float | None = None
        self._stop = threading.Event()

    def __enter__(self) -> _ProgressBar:
        if not self.enabled:
            return self
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]searching[/]"), BarColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
            console=self.console, transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task("no plan yet", total=self.time_limit)
        self.t0 = time.perf_counter()

        def tick() -> None:
            while not self._stop.wait(0.25):
                self.progress.update(self.task, completed=min(self.time_limit, time.perf_counter() - self.t0))

        self._thread = threading.Thread(target=tick, daemon=True)
        self._thread.start()
        return self

    def update(self, seconds: float, cost: float) -> None:
        self.best = cost
        if self.enabled:
            self.progress.update(self.task, description=f"best cost {cost:,.2f} at {seconds:.1f} s")

    def __exit__(self, *exc: object) -> None:
        if not self.enabled:
            return
        self._stop.set()
        self._thread.join(timeout=1)
        self.progress.update(self.task, completed=self.time_limit)
        self.progress.stop()
