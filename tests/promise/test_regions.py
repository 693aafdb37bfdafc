"""The region registry: embedded defaults, fitted models under Settings.model_dir, the default region; ``promise quote --region``."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engine.cli import quote as quote_cli
from engine.config import reset_settings
from engine.errors import ModelLoadError, QuoteError
from engine.eta.model import default_model
from engine.promise import current_model, set_model
from engine.promise.registry import model_for, regions


@pytest.fixture()
def settings_env(monkeypatch: pytest.MonkeyPatch):
    def use(**env: str) -> None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        reset_settings()
        set_model(None)

    yield use
    reset_settings()
    set_model(None)


def test_embedded_regions_and_the_default() -> None:
    assert model_for("shanghai").city.tz == "Asia/Shanghai" and model_for(" Helsinki ").city.name == "helsinki"
    assert model_for(None) is current_model()
    assert {"helsinki", "shanghai"} <= set(regions())
    with pytest.raises(QuoteError) as e:
        model_for("atlantis")
    assert e.value.field == "region" and "shanghai" in str(e.value)


def test_default_region_and_model_dir(tmp_path: Path, settings_env) -> None:
    settings_env(PROMISE_DEFAULT_REGION="shanghai")
    assert current_model().city.name == "shanghai"
    default_model("helsinki").save(tmp_path / "espoo")
    settings_env(PROMISE_MODEL_DIR=str(tmp_path), PROMISE_DEFAULT_REGION="espoo")
    assert current_model().city.name == "helsinki" and "espoo" in regions()
    assert model_for("shanghai").city.name == "shanghai"
    # One model directory: it is the default, also under its region's name.
    settings_env(PROMISE_MODEL_DIR=str(tmp_path / "espoo"))
    assert current_model().city.name == "helsinki" and model_for("helsinki") is current_model()
    settings_env(PROMISE_MODEL_DIR=str(tmp_path), PROMISE_DEFAULT_REGION="nowhere")
    with pytest.raises(ModelLoadError, match="nowhere"):
        current_model()


def test_cli_quote_region() -> None:
    app = typer.Typer()
    quote_cli.register(app)

    @app.callback()
    def _root() -> None:  # a group, so the command name is parsed
        pass

    r = CliRunner().invoke(app, ["quote", "--region", "shanghai", "--lat", "31.2", "--lon", "121.5", "--at", "2026-09-15T10:40:00+08:00", "--json"])
    assert r.exit_code == 0, r.output
    assert '"carrier": "sf"' in r.output and "+08:00" in r.output
    r = CliRunner().invoke(app, ["quote", "--region", "atlantis", "--lat", "31.2", "--lon", "121.5"])
    assert r.exit_code == 2 and "atlantis" in r.output
