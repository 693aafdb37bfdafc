"""Incidents known in advance widen checkout promises in their area and time, and say why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from api.incidents import widen
from engine.domain.monitor import Incident, IncidentKind, Scope

T = datetime(2026, 11, 30, 16, 0, tzinfo=timezone(timedelta(hours=2)))


def _quote(lat: float) -> dict:
    return {"options": [
        {"carrier": "own", "service": "same_day", "available": True, "promised_by": T.isoformat(),
         "p50": (T - timedelta(hours=1)).isoformat(), "reason": None},
        {"carrier": "own", "service": "slot", "available": False, "promised_by": None, "p50": None, "reason": "slot passed"},
    ]}


def test_a_storm_in_the_area_widens_the_promise_with_its_reason() -> None:
    storm = Incident("storm-1", IncidentKind("weather"), Scope(center=(60.17, 24.94), radius_m=5000),
                     start=T.timestamp() - 3600, end=T.timestamp() + 3600, speed_factor=0.6, text="snow storm in the centre")
    q = widen(_quote(60.17), 60.17, 24.94, [storm])
    opt = q["options"][0]
    later = datetime.fromisoformat(opt["promised_by"]) - T
    assert timedelta(minutes=15) <= later <= timedelta(minutes=25)  # a 30-min leg at 60% speed, in 5-min steps
    assert datetime.fromisoformat(opt["p50"]) - (T - timedelta(hours=1)) == later
    assert "snow storm in the centre" in opt["reason"] and opt["reason"].startswith("later by")
    assert q["options"][1]["reason"] == "slot passed"  # unavailable options are left alone


def test_outside_the_area_or_the_time_nothing_changes() -> None:
    far = Incident("storm-2", IncidentKind("weather"), Scope(center=(61.5, 23.8), radius_m=5000),
                   start=T.timestamp() - 3600, end=T.timestamp() + 3600, speed_factor=0.5)
    later = Incident("storm-3", IncidentKind("weather"), Scope(center=(60.17, 24.94), radius_m=5000),
                     start=T.timestamp() + 7200, end=T.timestamp() + 9000, speed_factor=0.5)
    for inc in (far, later):
        q = widen(_quote(60.17), 60.17, 24.94, [inc])
        assert q["options"][0]["promised_by"] == T.isoformat() and q["options"][0]["reason"] is None
