"""``promise warm``: compile every numba kernel once so later runs (and tests) start fast."""

from __future__ import annotations

import importlib
import time

import typer

# Modules that expose ``warm()``; compiled results land in numba's on-disk cache.
_WARM_MODULES = ("engine.matrix", "engine.dispatch.search.improve", "engine.eta")


def register(app: typer.Typer) -> None:
    @app.command()
    def warm() -> None:
        """Compile and cache the numba kernels (run once after install)."""
        from rich.console import Console

        console = Console()
        for name in _WARM_MODULES:
            t0 = time.perf_counter()
            try:
                mod = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name and name.startswith(exc.name):
                    console.print(f"[yellow]skip[/] {name} (not installed)")
                    continue
                raise
            mod.warm()
            console.print(f"[green]warm[/] {name} in {time.perf_counter() - t0:.1f} s")
