"""Quotes on a model fitted with a catalogue honour its per-weekday cut-offs, weekdays, holidays, limits, prices and area."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.eta.fit import fit
from engine.eta.history import read_history
from engine.eta.model import EtaModel
from engine.io.catalogue import apply_catalogue, read_catalogue
from engine.promise import quote, quote_arrays
from engine.promise import rules
from engine.promise.reasons import reason_texts
from tests.eta._region_history import shanghai_history

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "catalogue-shanghai.toml"
TZ = ZoneInfo("Asia/Shanghai")
#: A pentagon around the depot (GeoJSON order, lon/lat): its bbox holds (31.80, 121.00), the polygon does not.
POLYGON = "[[120.9, 30.75], [122.0, 30.75], [122.0, 31.7], [121.45, 31.85], [120.9, 31.7]]"
INSIDE, OUTSIDE = (31.20, 121.50), (31.80, 121.00)
ZONES = "zones = [[10, 0.0], [30, 4.0], [200, 9.0]]"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> EtaModel:
    text = EXAMPLE.read_text().replace("radius_km = 120 ", f"polygon = {POLYGON} ")
    text = text.replace('price = { base = 6.0, per_kg = 1.5 }', "price = { base = 6.0, per_kg = 1.5, " + ZONES + " }")
    assert "polygon" in text and "zones" in text
    d = tmp_path_factory.mktemp("cat")
    (d / "c.toml").write_text(text)
    cat = read_catalogue(d / "c.toml")
    h = read_history(shanghai_history(weeks=6, seed=3, start=date(2026, 8, 24)))
    city, h2 = apply_catalogue(h, cat)
    m = fit(h2, city, name="catalogue", slot_on_time=0.97)
    m.save(d / "m")
    return EtaModel.load(d / "m")  # what `promise fit --catalogue` serves: the saved model


def _opt(m: EtaModel, when: datetime, key: str, weight: float = 2.0, dest: tuple[float, float] = INSIDE):
    c, s = key.split(":")
    return quote(dest, when, [weight], model=m).option(c, s)


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=TZ)


def test_model_keeps_the_catalogue(model: EtaModel) -> None:
    nd = model.spec("own:next_day")
    assert nd.weekdays == (0, 1, 2, 3, 4, 5) and nd.holidays == "CN"
    assert nd.cutoffs[4] == 20 * 3600 and nd.cutoffs[5] == 16 * 3600 and nd.cutoffs[6] == 86400
    assert model.spec("zto:standard").zones == ((10.0, 0.0), (30.0, 4.0), (200.0, 9.0))
    assert len(model.city.area_polygon) == 5


def test_per_weekday_cutoff(model: EtaModel) -> None:
    # Saturday's next-day cut-off is 16:00 (20:00 on weekdays).
    before, after = _opt(model, at(2026, 9, 12, 15, 30), "own:next_day"), _opt(model, at(2026, 9, 12, 16, 30), "own:next_day")
    assert after.available and not after.nominal and "next-day cut-off 16:00 passed" in after.reason
    # Taken in on Monday (no Sunday service): the promise of an order placed then.
    monday = _opt(model, at(2026, 9, 14, 0, 30), "own:next_day")
    assert after.promised_by == monday.promised_by and before.promised_by <= after.promised_by
    # Friday 20:30 is past the 20:00 cut-off: as if ordered on Saturday at midnight.
    fri = _opt(model, at(2026, 9, 11, 20, 30), "own:next_day")
    assert fri.promised_by == _opt(model, at(2026, 9, 12, 0, 30), "own:next_day").promised_by
    assert "20:00 passed" in fri.reason
    # Own-fleet same-day past its 14:00 cut-off is withdrawn, naming it.
    sd = _opt(model, at(2026, 9, 11, 14, 10), "own:same_day")
    assert not sd.available and "14:00" in sd.reason


def test_operating_weekdays(model: EtaModel) -> None:
    # sf:standard works Monday to Friday: a Sunday order is promised as Monday's first.
    sun = _opt(model, at(2026, 9, 13, 11, 0), "sf:standard")
    mon = _opt(model, at(2026, 9, 14, 0, 30), "sf:standard")
    assert sun.available and sun.promised_by == mon.promised_by
    # Its cut-off is Monday's 17:00 (or earlier where the history says the promise slips before it).
    assert at(2026, 9, 13, 11, 0) < sun.cutoff <= at(2026, 9, 14, 17, 0)


def test_holiday_calendar_and_make_up_workdays(model: EtaModel) -> None:
    # Golden Week: 1-7 October 2026 are public holidays; Saturday 10 October is a make-up workday.
    hol = _opt(model, at(2026, 10, 2, 10, 0), "sf:standard")
    assert hol.promised_by == _opt(model, at(2026, 10, 8, 0, 30), "sf:standard").promised_by
    nd = _opt(model, at(2026, 10, 2, 10, 0), "own:next_day")
    assert nd.available and not nd.nominal and "public holiday" in nd.reason
    spec = model.spec("sf:standard")
    for when, rolled in ((at(2026, 10, 10, 10, 0), False), (at(2026, 10, 10, 17, 30), True), (at(2026, 10, 11, 10, 0), True)):
        o = rules.orders_one(model, *INSIDE, when.timestamp(), 1.0)
        assert rules.taken_one(model, spec, o).rolled is rolled, when
    sat = _opt(model, at(2026, 10, 10, 10, 0), "sf:standard")
    sun = _opt(model, at(2026, 10, 11, 10, 0), "sf:standard")
    assert sat.cutoff <= at(2026, 10, 10, 17, 0) and sat.promised_by <= sun.promised_by
    assert sun.promised_by == _opt(model, at(2026, 10, 12, 0, 30), "sf:standard").promised_by


def test_limits_and_prices(model: EtaModel) -> None:
    when = at(2026, 9, 15, 10, 0)
    heavy = quote(INSIDE, when, [25.0], model=model)
    assert not heavy.option("sf", "locker").available and "max 20 kg" in heavy.option("sf", "locker").reason
    assert heavy.option("sf", "standard").available
    far = (31.2304 + 40 / 111.32, 121.4737)  # 40 km north: beyond same-day's 35 km, within next-day's 50
    q = quote(far, when, [2.0], model=model)
    assert not q.option("own", "same_day").available and "35 km" in q.option("own", "same_day").reason
    assert q.option("own", "next_day").available
    from engine.geo import haversine_km

    for dest, zone in ((INSIDE, 0.0), ((31.2304 + 20 / 111.32, 121.4737), 4.0), (far, 9.0)):
        km = float(haversine_km(31.2304, 121.4737, *dest))
        q = quote(dest, when, [3.0], model=model)
        assert q.option("own", "next_day").cost == round(8.0 + 1.0 * 3.0 + 0.1 * km, 2)
        assert q.option("sf", "standard").cost == 12.0 + 2.0 * 3.0
        assert q.option("zto", "standard").cost == 6.0 + 1.5 * 3.0 + zone


def test_outside_the_polygon_is_unavailable_naming_the_area(model: EtaModel) -> None:
    la0, lo0, la1, lo1 = model.city.bbox
    assert la0 <= OUTSIDE[0] <= la1 and lo0 <= OUTSIDE[1] <= lo1  # inside the box: only the polygon says no
    q = quote(OUTSIDE, at(2026, 9, 15, 10, 0), [1.0], model=model)
    assert all(not o.available and "service area 'shanghai'" in o.reason for o in q.options)
    assert any(o.available for o in quote(INSIDE, at(2026, 9, 15, 10, 0), [1.0], model=model).options)
    b = quote_arrays(model, np.array([OUTSIDE[0], INSIDE[0]]), np.array([OUTSIDE[1], INSIDE[1]]),
                     np.full(2, at(2026, 9, 15, 10, 0).timestamp()), np.ones(2))
    assert not b.available[0].any() and b.available[1].any()


def test_scalar_and_vector_quotes_agree_on_the_calendar(model: EtaModel) -> None:
    """quote() and quote_arrays compose the same rules: every field agrees across weekdays, cut-offs and Golden Week."""
    rng = np.random.default_rng(11)
    n = 300
    t0 = at(2026, 9, 25, 0, 0).timestamp()
    created = np.round(t0 + rng.uniform(0, 20 * 86400, n))
    lat = 31.23 + rng.normal(0, 0.15, n)
    lon = 121.47 + rng.normal(0, 0.15, n)
    w = rng.uniform(0.1, 28, n)
    b = quote_arrays(model, lat, lon, created, w)
    texts = reason_texts(model, b, created)
    for i in range(n):
        q = quote((float(lat[i]), float(lon[i])), datetime.fromtimestamp(float(created[i]), TZ), [float(w[i])], model=model)
        for k, o in enumerate(q.options):
            assert o.available == bool(b.available[i, k]) and o.nominal == bool(b.nominal[i, k]), (i, k)
            assert o.reason == texts[i, k], (i, k)
            assert o.cost == pytest.approx(float(b.cost[i, k]))
            if o.available:
                assert o.promised_by.timestamp() == b.promised[i, k], (i, k)
                c = float(b.cutoff[i, k])
                assert (o.cutoff is None and math.isnan(c)) or o.cutoff.timestamp() == c, (i, k)


def test_check_at_creation_agrees_with_the_quote(model: EtaModel) -> None:
    """A promise checked the moment it was quoted holds with the quote's probability (both read the due table)."""
    from engine.promise import Promise, check

    when = at(2026, 9, 15, 10, 40)
    for o in quote(INSIDE, when, [2.0], model=model).options:
        if not o.available or o.kind == "slot":
            continue
        r = check(Promise("x", o.carrier, o.service, when, o.promised_by, 0.95, None, None, *INSIDE), when, model=model)
        # At least the quote's probability: after a snap-back the check counts the levels delivered before the idle hours end.
        assert r.holds and r.probability >= o.probability - 0.005, (o.carrier, o.service, r.probability, o.probability)
