"""One clear line and the right exit code for every failure, never a traceback (unless ``--debug``).

Exit codes (``engine.errors``): 0 success, 1 an internal error (a bug: please
report it; ``promise --debug ...`` shows the traceback), 2 bad input (the
message names the item and field), 3 a service the command needs is down.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from engine.errors import EXIT_BUG, EXIT_INPUT, EngineError

err_console = Console(stderr=True)

#: Set by ``promise --debug``: let exceptions through with their traceback.
DEBUG = False


def set_debug(on: bool) -> None:
    global DEBUG
    DEBUG = on


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Turn engine errors into one line and their exit code; anything else is reported as a bug."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
        raise
    except EngineError as exc:
        if DEBUG:
            raise
        _say(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    except ValidationError as exc:
        if DEBUG:
            raise
        # The operator's environment (PROMISE_*) is bad input; any other model failing to validate is our bug.
        if exc.title != "Settings":
            _bug(exc)
        _say(settings_message(exc))
        raise typer.Exit(code=EXIT_INPUT) from None
    except OSError as exc:
        # A path the user gave cannot be read or written: their environment, not our bug.
        if DEBUG:
            raise
        _say(str(exc))
        raise typer.Exit(code=EXIT_INPUT) from None
    except Exception as exc:
        if DEBUG:
            raise
        _bug(exc)


def _bug(exc: BaseException) -> NoReturn:
    _say(f"({type(exc).__name__}: {exc}); this is a bug, run again with 'promise --debug' for the traceback", "internal error")
    raise typer.Exit(code=EXIT_BUG) from None


def settings_message(exc: ValidationError) -> str:
    """One line naming the environment variable of each bad setting."""
    parts = []
    for e in exc.errors():
        msg = e["msg"].removeprefix("Value error, ")
        # A check across several settings has no one field: its message names them.
        parts.append(f"PROMISE_{'_'.join(str(x) for x in e['loc']).upper()}: {msg}" if e["loc"] else msg)
    return "bad setting: " + "; ".join(parts)


def _say(message: str, label: str = "error") -> None:
    # Escaped: messages quote JSON like "[lon, lat]", which rich would read as markup.
    err_console.print(f"[bold red]{label}:[/] {escape(message)}")
