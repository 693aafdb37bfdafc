"""Calendar specs (country, subdivision, other categories' holidays) and the one a history keeps."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from engine.errors import InputError
from engine.eta.observance import country_calendar, learn_calendar, parse_calendar

_EPOCH = date(1970, 1, 1)


def _n(d: date) -> int:
    return (d - _EPOCH).days


def test_a_spec_reads_a_subdivision_and_holidays_of_other_categories() -> None:
    s = parse_calendar("br-sp+Corpus Christi")
    assert (s.country, s.subdiv, s.extra) == ("BR", "SP", ("Corpus Christi",)) and str(s) == "BR-SP+Corpus Christi"
    br, sp = country_calendar("BR", [2025]), country_calendar(str(s), [2025])
    # São Paulo keeps 9 July; Corpus Christi is optional in Brazil's calendar and kept here by name.
    assert date(2025, 7, 9) in sp and date(2025, 6, 19) in sp
    assert date(2025, 7, 9) not in br and date(2025, 6, 19) not in br
    assert set(br) <= set(sp)
    # China's make-up workdays come with the calendar whatever its spec.
    assert date(2025, 9, 28) in country_calendar("CN", [2025]).weekend_workdays


@pytest.mark.parametrize("spec, says", [("XX", "'XX' is not a country code"), ("AU-ZZ", "AU has no subdivision 'ZZ'"),
                                        ("BR+", "empty holiday name")])
def test_a_bad_spec_names_the_field(spec: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as e:
        parse_calendar(spec, "region.holidays")
    assert e.value.field == "region.holidays"


def _history(country_spec: str, stop_share: float, start: date = date(2025, 3, 3), days: int = 364,
             national_share: float | None = None) -> tuple[np.ndarray, int, int]:
    """Delivery day numbers of a year: 500 parcels a weekday, 300 a weekend day, ``stop_share`` of that on each
    holiday of ``country_spec`` beyond the country's own, ``national_share`` (default the same) on the country's."""
    years = range(start.year, start.year + 2)
    country = country_spec.split("-")[0].split("+")[0]
    national = {_n(d) for d in country_calendar(country, years)}
    kept = {_n(d) for d in country_calendar(country_spec, years)}
    out = []
    for i in range(days):
        d = _n(start + timedelta(days=i))
        n = 500 if (d + 3) % 7 < 5 else 300
        if d in national:
            n = int(n * (stop_share if national_share is None else national_share))
        elif d in kept:
            n = int(n * stop_share)
        out.append(np.full(n, d))
    day = np.concatenate(out)
    return day, _n(start), _n(start) + days - 1


def test_a_history_that_stops_on_a_states_holidays_keeps_that_states_calendar() -> None:
    day, a, b = _history("AU-NSW", 0.4)
    spec, why = learn_calendar("AU", day, a, b)
    assert spec == "AU-NSW" and why["subdivision"]["holidays_stopped"] >= 2  # King's Birthday, Labour Day
    # Parcels that stop on Brazil's national holidays, São Paulo's and Corpus Christi: all three learnt (São Paulo
    # city's calendar holds Corpus Christi as its own; a state's calendar names it after a '+').
    day, a, b = _history("BR-SP+Corpus Christi", 0.05)
    spec, _ = learn_calendar("BR", day, a, b)
    assert spec.startswith("BR-") and {date(2025, 7, 9), date(2025, 6, 19)} <= set(country_calendar(spec, [2025]))
    # A holiday of another category on its own: Brazil's calendar plus its name.
    day, a, b = _history("BR+Corpus Christi", 0.05)
    assert learn_calendar("BR", day, a, b)[0] == "BR+Corpus Christi"


def test_a_history_that_works_through_the_states_holidays_keeps_the_national_calendar() -> None:
    # The state's holidays at full volume: no subdivision is kept.
    day, a, b = _history("AU", 0.4)
    assert learn_calendar("AU", day, a, b)[0] == "AU"
    # Parcels that hardly notice even the national holidays teach nothing about the state's.
    day, a, b = _history("AU-NSW", 0.4, national_share=0.9)
    spec, why = learn_calendar("AU", day, a, b)
    assert spec == "AU" and why["national_holiday_share"] == pytest.approx(0.9, abs=0.01)
    # Too short a history, or no country: as given.
    day, a, b = _history("AU-NSW", 0.4, days=30)
    assert learn_calendar("AU", day, a, b)[0] == "AU"
    assert learn_calendar("", day, a, b)[0] == ""


def test_a_catalogue_takes_a_subdivision_and_names_a_bad_one(tmp_path) -> None:
    from engine.io.catalogue import _country

    assert _country("au-nsw", "region.holidays") == "AU-NSW"
    with pytest.raises(InputError, match="catalogue: region.holidays") as e:
        _country("AU-Narnia", "region.holidays")
    assert e.value.field == "region.holidays"


def test_one_stopped_day_does_not_make_a_subdivision() -> None:
    # Ninety days from April (Easter and ANZAC Day inside): of New South Wales' own holidays on weekdays only the
    # King's Birthday (9 June) falls inside; one day proves no state.
    day, a, b = _history("AU-NSW", 0.4, start=date(2025, 4, 7), days=90)
    spec, why = learn_calendar("AU", day, a, b)
    assert spec == "AU" and "subdivision" not in why
