"""The scalar twins of the vectorised time and model lookups agree with them (checkout quotes one cart with them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.errors import InputError
from engine.eta._time import (
    epoch_of,
    local_seconds,
    local_seconds_one,
    local_to_epoch,
    local_to_epoch_one,
    utc_offset_one,
    utc_offsets,
    weekday_hour,
    weekday_hour_one,
)
from engine.eta.model import EtaModel, default_model, season_label, season_labels

TZ = ZoneInfo("Europe/Helsinki")


def _times(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = 1.7e9 + rng.uniform(0, 4 * 365 * 86400, n)
    # Every hour around the 2026 DST changes (spring gap, autumn fold).
    around = [datetime(2026, 3, 29, tzinfo=TZ).timestamp(), datetime(2026, 10, 25, tzinfo=TZ).timestamp()]
    edges = np.concatenate([a + np.arange(-6, 7) * 1800.0 for a in around])
    return np.concatenate([t, edges, np.round(t[:500] / 3600.0) * 3600.0])


def test_time_twins_agree() -> None:
    t = _times(5000, 1)  # > 32 values: the np.unique path of utc_offsets
    assert utc_offsets(t, TZ).tolist() == [utc_offset_one(float(x), TZ) for x in t]
    loc = local_seconds(t, TZ)
    assert loc.tolist() == [local_seconds_one(float(x), TZ) for x in t]
    back = local_to_epoch(loc, TZ)
    assert back.tolist() == [local_to_epoch_one(float(x), TZ) for x in loc]
    wd, hr, day = weekday_hour(t, TZ)
    assert list(zip(wd.tolist(), hr.tolist(), day.tolist())) == [weekday_hour_one(float(x), TZ) for x in t]
    for x in t[:200]:
        d = datetime.fromtimestamp(float(x), TZ)
        assert weekday_hour_one(float(x), TZ)[:2] == (d.weekday(), d.hour)


def test_model_twins_agree() -> None:
    m = default_model()
    days = np.arange(18_000, 22_000)  # 2019-2030
    assert season_labels(days, m.city.seasons).tolist() == [season_label(int(d), m.city.seasons) for d in days]
    km = np.concatenate([np.linspace(0, 100, 2001), [15.0, 45.0, np.nextafter(15.0, 0), np.nextafter(45.0, 100)]])
    assert m.dband(km).tolist() == [m.dband_one(float(k)) for k in km]
    seasons = season_labels(days, m.city.seasons)
    epochs = days * 86400.0 + 12 * 3600.0
    for key in m.base_keys + ["nobody:nothing"]:
        v = m.table_index(key, epochs, seasons)
        one = [m.table_index_one(key, s) for s in seasons.tolist()]
        assert (v is None and all(x is None for x in one)) or v.tolist() == one


def test_bad_times_are_input_errors() -> None:
    with pytest.raises(InputError, match="no UTC offset"):
        epoch_of(datetime(2026, 1, 1))
    with pytest.raises(InputError, match="supported years"):
        epoch_of(datetime(2150, 1, 1, tzinfo=TZ))
