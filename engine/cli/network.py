"""``promise network ...``: load a road network and describe it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer

from engine.cli._errors import cli_errors

if TYPE_CHECKING:  # pragma: no cover
    from rich.table import Table

#: Help of the SOURCE argument (``engine.network.SOURCES``, without importing numpy at startup).
SOURCE_HELP = "'helsinki', a .osm.pbf/.osm/.osm.gz/.osm.bz2 path, 'place:<name>' or 'synthetic:<n_nodes>[@seed]'."
#: Help of ``--seed``.
SEED_HELP = "Seed of a synthetic network (default: the '@seed' of SOURCE, else 0)."


def summary_table(title: str) -> "Table":
    """A two-column what/value table, the way the CLI reports a result."""
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    return table


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Road networks: load, inspect, cache.", no_args_is_help=True)

    @sub.command("info")
    def info(
        source: str = typer.Argument("helsinki", help=SOURCE_HELP),
        seed: Optional[int] = typer.Option(None, "--seed", help=SEED_HELP),
        no_cache: bool = typer.Option(False, "--no-cache", help="Build from scratch; don't read or write the cache."),
    ) -> None:
        """Load SOURCE and print its size, what was dropped, speeds by class and load time."""
        with cli_errors():
            from rich.console import Console
            from rich.table import Table

            from engine import network
            from engine.network.speeds import PERIOD_NAMES, SPEED_FACTOR, CLASS_CODE

            net = network.load(source, seed=seed, use_cache=not no_cache)
            i = net.info
            console = Console()
            summary = summary_table(f"road network: {i.get('name', net.source)}")
            summary.add_row("nodes", f"{net.n_nodes:,}")
            summary.add_row("edges (directed)", f"{net.n_edges:,}")
            summary.add_row("mean out-degree", f"{net.n_edges / max(net.n_nodes, 1):.2f}")
            if i.get("oneway_edges") is not None:
                summary.add_row("one-way edges", f"{i['oneway_edges']:,}")
            summary.add_row("dropped nodes (outside largest SCC)", f"{i.get('dropped_nodes', 0):,}")
            summary.add_row("dropped edges (outside largest SCC)", f"{i.get('dropped_edges', 0):,}")
            summary.add_row("parallel edges merged", f"{i.get('duplicate_edges', 0):,}")
            bbox = i.get("bbox")
            if bbox:
                summary.add_row("bbox (lat, lon)", f"{bbox[0]:.5f}, {bbox[1]:.5f} .. {bbox[2]:.5f}, {bbox[3]:.5f}")
            summary.add_row("directed edge length", f"{net.length_m.sum() / 1000:,.1f} km")
            summary.add_row("load time", f"{i['load_seconds']:.3f} s")
            summary.add_row("cache hit", "yes" if i.get("from_cache") else "no")
            console.print(summary)

            speeds = Table(title="free-flow speed by road class (length-weighted)")
            speeds.add_column("class")
            speeds.add_column("km/h", justify="right")
            for name in PERIOD_NAMES[1:]:
                speeds.add_column(name.replace("_", " "), justify="right")
            import numpy as np

            counts = np.bincount(net.road_class.astype(np.intp), minlength=len(CLASS_CODE))
            speeds.add_column("edges", justify="right")
            for cls, kmh in net.mean_speed_kmh_by_class().items():
                code = CLASS_CODE[cls]
                peaks = [f"{kmh * SPEED_FACTOR[p, code]:.0f}" for p in range(1, len(PERIOD_NAMES))]
                speeds.add_row(cls, f"{kmh:.0f}", *peaks, f"{counts[code]:,}")
            console.print(speeds)

    @sub.command("clear-cache")
    def clear_cache() -> None:
        """Delete the compiled road networks from the on-disk cache."""
        with cli_errors():
            from engine.network import cache as _cache
            from engine.network import CACHE_NAMESPACE

            n = _cache.clear(CACHE_NAMESPACE)
            typer.echo(f"removed {n} cached network(s) from {_cache.cache_dir(CACHE_NAMESPACE)}")

    app.add_typer(sub, name="network")
