"""The ``promise`` command-line tool: the front door to the engine.

Each concern registers its own commands from a module of this package
(``network.py``, ``plan.py``, ``quote.py``, ...), so that one file has one
writer.  Heavy engine modules are imported inside the commands, which keeps
``promise --help`` fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="promise",
    help="promise-engine: road networks, travel-time matrices, dispatch and 95%-on-time delivery promises.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Modules that define ``register(app)``; a module that is not there yet is skipped.
_COMMAND_MODULES = ("network", "matrix", "plan", "quote", "serve", "demo", "warm")

for _name in _COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a module is missing
        if exc.name != f"{__name__}.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
