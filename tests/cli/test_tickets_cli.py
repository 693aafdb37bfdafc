"""``promise tickets ...``: a bad PROMISE_* setting is bad input (exit 2, the variable named), not a bug."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engine.cli import tickets as tickets_cli


def _app() -> typer.Typer:
    app = typer.Typer()
    tickets_cli.register(app)

    @app.callback()
    def _root() -> None:  # a group, so "tickets" stays a subcommand
        pass

    return app


@pytest.mark.parametrize(("env", "value"), [("PROMISE_DESK_TZ", "Mars/Olympus"), ("PROMISE_DESK_HOURS", "18:00-09:00"),
                                            ("PROMISE_SLA_RESOLUTION_H", "-1"), ("PROMISE_DESK_COUNTRY", "CN")])
def test_a_bad_desk_setting_is_named_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, value: str) -> None:
    monkeypatch.setenv(env, value)
    res = CliRunner().invoke(_app(), ["tickets", "sweep", "--db", f"sqlite:///{tmp_path / 't.db'}"])
    assert res.exit_code == 2, res.output
    assert env in res.output and "bug" not in res.output


def test_the_sweep_runs_on_a_business_hours_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMISE_DESK_TZ", "Asia/Shanghai")
    monkeypatch.setenv("PROMISE_DESK_COUNTRY", "CN")
    res = CliRunner().invoke(_app(), ["tickets", "sweep", "--db", f"sqlite:///{tmp_path / 't.db'}"])
    assert res.exit_code == 0, res.output
    assert "0 SLA event(s)" in res.output
