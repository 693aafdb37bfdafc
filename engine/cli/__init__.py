"""The ``promise`` command-line tool: the front door to the engine.

Each concern registers its own commands from a module of this package
(``network.py``, ``plan.py``, ``quote.py``, ...), included explicitly below.
Heavy engine modules are imported inside the commands, which keeps
``promise --help`` fast.
"""

from __future__ import annotations

import typer

from engine.cli import demo, keys, matrix, monitor, network, plan, quote, serve, simulate, tickets, warm, worker

app = typer.Typer(
    name="promise",
    help="promise-engine: road networks, travel-time matrices, dispatch and 95%-on-time delivery promises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each concern registers its own commands, explicitly.
for _mod in (network, matrix, plan, quote, serve, demo, warm, monitor, keys, tickets, worker, simulate):
    _mod.register(app)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an internal error."),
) -> None:
    """promise-engine: road networks, travel-time matrices, dispatch and 95%-on-time delivery promises."""
    from engine.cli._errors import set_debug

    set_debug(debug)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
