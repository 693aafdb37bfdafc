"""Catalogue TOML: schema, overriding what the history implies, and clear errors naming the key or service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from engine.errors import HistoryError, InputError
from engine.eta.history import read_history
from engine.eta.model import season_label, season_labels
from engine.io.catalogue import apply_catalogue, read_catalogue
from tests.eta._region_history import shanghai_history

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "catalogue-shanghai.toml"


def test_example_catalogue_parses() -> None:
    cat = read_catalogue(EXAMPLE)
    c = cat.city
    assert c.name == "shanghai" and c.tz == "Asia/Shanghai" and c.depot == (31.2304, 121.4737)
    assert {s.key for s in c.services} == {"own:same_day", "own:next_day", "sf:standard", "sf:locker", "zto:standard"}
    sd = next(s for s in c.services if s.key == "own:same_day")
    assert (sd.base_cost, sd.cost_per_kg, sd.cost_per_km, sd.max_kg, sd.max_km) == (12.0, 1.0, 0.3, 30.0, 35.0)
    assert cat.info["services"]["own:next_day"]["cutoff"]["sat"] == "16:00"
    assert cat.info["services"]["sf:standard"]["holidays"] == "CN" and cat.info["currency"] == "CNY" == c.currency
    names = [n for n, _ in c.seasons]
    assert names == ["double11", "618", "spring_festival"]
    # Recurring ranges every year; Spring Festival only on its dated ranges.
    day = lambda d: (d - date(1970, 1, 1)).days  # noqa: E731
    assert season_label(day(date(2031, 11, 11)), c.seasons) == "double11"
    assert season_label(day(date(2027, 2, 1)), c.seasons) == "spring_festival"
    assert season_label(day(date(2028, 2, 1)), c.seasons) == ""
    days = np.array([day(date(2031, 6, 18)), day(date(2026, 2, 20)), day(date(2026, 3, 20))])
    assert season_labels(days, c.seasons).tolist() == ["618", "spring_festival", ""]


def test_catalogue_overrides_prices_and_keeps_history_services(tmp_path: Path) -> None:
    h = read_history(shanghai_history(weeks=3, seed=4))
    cat = read_catalogue(EXAMPLE)
    city, h2 = apply_catalogue(h, cat)
    assert city.services == cat.city.services and len(h2.frame) == len(h.frame)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


BASE = """
[region]
name = "x"
tz = "Asia/Shanghai"
radius_km = 100
[[depot]]
lat = 31.2304
lon = 121.4737
"""


@pytest.mark.parametrize(
    "extra, needle",
    [
        ('[carrier.own.service.same_day]\nkind = "drone"\n', "carrier.own.service.same_day.kind"),
        ('[[season]]\nname = "d11"\nfrom = "11-31"\nto = "11-12"\n', "season 'd11'.from"),
        ('[[season]]\nname = "sf"\nfrom = "2027-02-13"\nto = "2027-01-30"\n', "before"),
        ('[[season]]\nname = "sf"\nfrom = "2027-01-30"\nto = "02-13"\n', "both"),
        ('[carrier.own.service.same_day]\nkind = "same_day"\ncutoff = "25:00"\n', "carrier.own.service.same_day.cutoff"),
        ('[carrier.own.service.same_day]\nkind = "same_day"\nweekdays = ["funday"]\n', "funday"),
        ('[carrier.own.service.same_day]\nkind = "same_day"\nholidays = "XX"\n', "carrier.own.service.same_day.holidays"),
        ('[carrier.own.service.same_day]\nkind = "same_day"\nprise = 3\n', "prise"),
        ("", "region.currency"),
    ],
)
def test_bad_catalogue_names_the_key(tmp_path: Path, extra: str, needle: str) -> None:
    text = BASE + extra if extra else BASE.replace('tz = "Asia/Shanghai"', 'tz = "Asia/Shanghai"\ncurrency = "RMB"', 1)
    assert extra or "RMB" in text
    with pytest.raises(InputError) as e:
        read_catalogue(_write(tmp_path, text))
    assert needle in str(e.value)


def test_bad_time_zone_and_missing_region(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="region.tz"):
        read_catalogue(_write(tmp_path, BASE.replace("Asia/Shanghai", "Asia/Atlantis") + '[carrier.a.service.b]\nkind="standard"\n'))
    with pytest.raises(InputError, match="region is required"):
        read_catalogue(_write(tmp_path, '[[depot]]\nlat=1\nlon=1\n'))


def test_catalogue_service_without_history_is_an_error(tmp_path: Path) -> None:
    p = _write(tmp_path, BASE + '[carrier.own.service.same_day]\nkind = "same_day"\n[carrier.jd.service.express]\nkind = "next_day"\n')
    h = read_history(shanghai_history(weeks=1, seed=4))
    with pytest.raises(HistoryError, match="jd:express"):
        apply_catalogue(h, read_catalogue(p))


def test_catalogue_time_zone_must_fit_the_offsets(tmp_path: Path) -> None:
    p = _write(tmp_path, BASE.replace("Asia/Shanghai", "Europe/Helsinki") + '[carrier.own.service.same_day]\nkind = "same_day"\n')
    h = read_history(shanghai_history(weeks=1, seed=4))
    with pytest.raises(HistoryError, match="Europe/Helsinki"):
        apply_catalogue(h, read_catalogue(p))


def test_polygon_area_drops_rows_outside(tmp_path: Path) -> None:
    # A small square around the depot: rows outside it are "outside the map", and counted.
    poly = "[[121.3, 31.1], [121.65, 31.1], [121.65, 31.35], [121.3, 31.35]]"
    p = _write(tmp_path, BASE.replace("radius_km = 100", f"polygon = {poly}") + '[carrier.own.service.same_day]\nkind = "same_day"\n')
    h = read_history(shanghai_history(weeks=1, seed=4))
    city, h2 = apply_catalogue(h, read_catalogue(p), strict=False)
    assert 0 < len(h2.frame) < len(h.frame)
    assert h2.skipped["point outside the map"] == len(h.frame) - len(h2.frame)
    assert city.bbox == (31.1, 121.3, 31.35, 121.65)


def test_cli_fit_with_catalogue(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from engine.cli import quote as quote_cli
    from engine.eta.model import EtaModel

    csv = tmp_path / "h.csv"
    df = shanghai_history(weeks=4, seed=7)
    df.loc[df["carrier"] == "zto", "carrier"] = "yto"  # in the history, not in the catalogue
    df.to_csv(csv, index=False)
    app = typer.Typer()
    quote_cli.register(app)
    cat = tmp_path / "cat.toml"
    cat.write_text(EXAMPLE.read_text().split("[carrier.zto.service.standard]")[0])
    res = CliRunner().invoke(app, ["fit", "--history", str(csv), "--catalogue", str(cat), "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    m = EtaModel.load(tmp_path / "m")
    assert m.city.name == "shanghai" and m.meta["region"]["currency"] == "CNY"
    assert m.spec("own:same_day").base_cost == 12.0 and m.spec("yto:standard").kind == "standard"
    assert "yto:standard" in res.output
    # The full example names zto, which this history lacks: a clear error naming it.
    res = CliRunner().invoke(app, ["fit", "--history", str(csv), "--catalogue", str(EXAMPLE), "--out", str(tmp_path / "m2")])
    assert res.exit_code == 2 and "zto:standard" in res.output


def test_catalogue_currency_defaults_to_the_zones_money(tmp_path: Path) -> None:
    text = BASE + '[carrier.own.service.same_day]\nkind = "same_day"\n'
    assert read_catalogue(_write(tmp_path, text)).city.currency == "CNY"
    taipei = text.replace("Asia/Shanghai", "Asia/Taipei").replace("31.2304", "25.03").replace("121.4737", "121.56")
    assert read_catalogue(_write(tmp_path, taipei)).city.currency == "TWD"


def test_the_own_fleet_named_twice_is_an_error_naming_the_section(tmp_path: Path) -> None:
    # [carrier.own] and [carrier.own_fleet] both name the own fleet: one same-day twice is refused, not kept twice.
    extra = '[carrier.own_fleet.service.same_day]\nkind = "same_day"\n'
    p = _write(tmp_path, BASE + '[carrier.own.service.same_day]\nkind = "same_day"\n' + extra)
    with pytest.raises(InputError, match=r"carrier\.own_fleet\.service\.same_day"):
        read_catalogue(p)
