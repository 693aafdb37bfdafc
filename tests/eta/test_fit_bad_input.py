"""Bad input to ``promise fit`` through the command line: exit 2 and one line naming the row, key or service."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engine.cli import quote as quote_cli
from tests.eta._region_history import shanghai_history

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "catalogue-shanghai.toml"


def _app() -> typer.Typer:
    app = typer.Typer()
    quote_cli.register(app)

    @app.callback()
    def _root() -> None:
        pass

    return app


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("h") / "h.csv"
    df = shanghai_history(weeks=2, seed=5)
    df.to_csv(p, index=False)
    return p


def _fit(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(_app(), ["fit", *args])
    return r.exit_code, r.output


def test_mixed_offsets_name_the_rows(tmp_path: Path) -> None:
    df = shanghai_history(weeks=2, seed=5)
    df.loc[3, "delivered_at"] = df.loc[3, "delivered_at"].replace("+08:00", "+05:30")
    p = tmp_path / "mixed.csv"
    df.to_csv(p, index=False)
    code, out = _fit("--history", str(p), "--out", str(tmp_path / "m"))
    assert code == 2 and df.loc[3, "order_id"] in out and "+05:30" in out and "Traceback" not in out


@pytest.mark.parametrize("edit, needle", [
    (('kind = "locker"', 'kind = "drone"'), "carrier.sf.service.locker.kind"),
    (('from = "11-01"', 'from = "11-31"'), "season 'double11'.from"),
    (('to = "2027-02-13"', 'to = "2027-01-13"'), "before"),
    (('cutoff = "16:00"', 'cutoff = "4pm"'), "carrier.zto.service.standard.cutoff"),
    (('price = { base = 6.0, per_kg = 1.5 }', 'price = { base = 6.0, zones = [[30, 1.0], [10, 2.0]] }'), "zones"),
])
def test_bad_catalogue_names_the_key(csv: Path, tmp_path: Path, edit: tuple[str, str], needle: str) -> None:
    text = EXAMPLE.read_text()
    assert edit[0] in text
    cat = tmp_path / "cat.toml"
    cat.write_text(text.replace(edit[0], edit[1], 1))
    code, out = _fit("--history", str(csv), "--catalogue", str(cat), "--out", str(tmp_path / "m"))
    assert code == 2 and needle in out and "Traceback" not in out, out


def test_catalogue_service_without_history_names_it(csv: Path, tmp_path: Path) -> None:
    cat = tmp_path / "cat.toml"
    cat.write_text(EXAMPLE.read_text() + '\n[carrier.jd.service.express]\nkind = "next_day"\n')
    code, out = _fit("--history", str(csv), "--catalogue", str(cat), "--out", str(tmp_path / "m"))
    assert code == 2 and "jd:express" in out
