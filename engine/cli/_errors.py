"""Turn engine errors into one clear CLI message and exit code 2, never a traceback."""

from __future__ import annotations

import contextlib
from typing import Iterator

import typer
from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Catch the engine's input errors (ValueError and friends, OSError) and exit 2."""
    try:
        yield
    except (ValueError, LookupError, OSError) as exc:
        # Escaped: messages quote JSON like "[lon, lat]", which rich would read as markup.
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(code=2) from None
