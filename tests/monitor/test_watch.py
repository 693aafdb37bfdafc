"""The monitor on its own: idempotence, event-time order, silence, hysteresis, broken promises, determinism."""

from __future__ import annotations

import dataclasses

import pytest

from engine.domain.monitor import (
    Incident,
    IncidentKind,
    NoticeKind,
    Scope,
    Severity,
    TrackingEvent,
    TrackKind,
    WatchState,
)
from engine.monitor import Monitor, MonitorParams
from engine.monitor.incidents import quote_adjustment, withdraw
from tests.monitor.helpers import small_day


def _mon(day, **kw):
    m = Monitor(day.plan, day.promises, MonitorParams(**kw), seed=1, plan_key="t")
    m.start()
    return m


def _first_van(day):
    r = day.plan.routes[0]
    return r, r.vehicle_id, r.stops[0].departure + day.plan.day_start.timestamp()


def test_repeated_id_is_a_no_op_and_results_follow_the_batch():
    day = small_day()
    mon = _mon(day)
    r, vid, t0 = _first_van(day)
    ev = TrackingEvent("p1", TrackKind.POSITION, t0 + 60, vehicle_id=vid, lat=r.stops[0].lat, lon=r.stops[0].lon)
    res, _ = mon.ingest([ev, ev])
    assert [x.status for x in res] == ["accepted", "duplicate"]
    res, _ = mon.ingest([ev])
    assert [x.status for x in res] == ["duplicate"]
    assert mon.applied == 1


def test_an_older_position_does_not_move_the_van_back():
    day = small_day()
    mon = _mon(day)
    r, vid, t0 = _first_van(day)
    s1 = r.stops[1]
    mon.ingest([TrackingEvent("a", TrackKind.POSITION, t0 + 600, vehicle_id=vid, lat=s1.lat, lon=s1.lon)])
    mon.ingest([TrackingEvent("b", TrackKind.POSITION, t0 + 300, vehicle_id=vid, lat=r.stops[0].lat, lon=r.stops[0].lon)])
    v = mon.vehicles[vid]
    assert (v.pos_lat, v.pos_lon, v.pos_t) == (s1.lat, s1.lon, t0 + 600)
    # A late stop completion is still a fact: it is applied even after newer positions.
    mon.ingest([TrackingEvent("c", TrackKind.STOP_COMPLETED, t0 + 500, vehicle_id=vid, order_id=s1.order_id)])
    assert mon.orders[s1.order_id].state == WatchState.DELIVERED
    assert v.next_idx == 1


def test_bad_events_name_the_field_and_spare_the_rest():
    day = small_day()
    mon = _mon(day)
    r, vid, t0 = _first_van(day)
    evs = [
        TrackingEvent("ok", TrackKind.POSITION, t0 + 30, vehicle_id=vid, lat=60.1, lon=24.9),
        TrackingEvent("v", TrackKind.POSITION, t0 + 30, vehicle_id="nobody", lat=60.1, lon=24.9),
        TrackingEvent("o", TrackKind.STOP_COMPLETED, t0 + 30, order_id="no-such-order"),
        TrackingEvent("f", TrackKind.POSITION, t0 + 10 * 86400, vehicle_id=vid, lat=60.1, lon=24.9),
        TrackingEvent("c", TrackKind.POSITION, t0 + 30, vehicle_id=vid, lat=91.0, lon=24.9),
        TrackingEvent("s", TrackKind.INCIDENT, t0 + 30, incident=Incident("i", IncidentKind.OTHER, Scope(), t0, t0 + 60, 0.5)),
    ]
    res, _ = mon.ingest(evs)
    got = {x.event_id: (x.status, x.field) for x in res}
    assert got == {
        "ok": ("accepted", None), "v": ("rejected", "vehicle_id"), "o": ("rejected", "order_id"),
        "f": ("rejected", "at"), "c": ("rejected", "lat"), "s": ("rejected", "incident.scope"),
    }


def test_a_breakdown_warns_the_vans_later_orders_with_its_reason():
    day = small_day()
    mon = _mon(day)
    r, vid, t0 = _first_van(day)
    at = t0 + 1200
    inc = Incident("bd", IncidentKind.VEHICLE_BREAKDOWN, Scope(vehicle_id=vid), at, at + 4 * 3600, extra_s=3 * 3600)
    _, notices = mon.ingest([TrackingEvent("bd-ev", TrackKind.INCIDENT, at, incident=inc)])
    delays = [n for n in notices if n.kind == NoticeKind.DELAY]
    assert delays, "a three-hour breakdown must put the van's orders at risk"
    assert all(n.vehicle_id == vid or n.proposal is not None for n in delays)
    assert all("broke down at" in n.reason for n in delays)
    assert all("bd-ev" in n.cause_event_ids for n in delays)
    assert all(n.severity in (Severity.MAJOR, Severity.CRITICAL) for n in delays)
    assert all(n.revised_p95 >= n.revised_p50 > 0 for n in delays)


def test_hysteresis_one_warning_then_recovered_only_above_the_clear_level():
    day = small_day()
    mon = _mon(day, rescue=False, confirm_s=0)
    oid = next(o for o, w in mon.orders.items() if w.vehicle_id)
    w = mon.orders[oid]
    pb = w.promised_by
    kinds = []
    for p in (0.95, 0.79, 0.85, 0.78, 0.86, 0.91, 0.85):
        kinds += [n.kind for n in mon._judge(w, p, pb - 600, pb + 60, "why", [], propose=False)]
    assert kinds == [NoticeKind.DELAY, NoticeKind.RECOVERED]


def test_a_silent_van_goes_unknown_and_a_passed_promise_broken():
    day = small_day()
    mon = _mon(day, silent_after_s=300)
    r, vid, t0 = _first_van(day)
    other = day.plan.routes[1]
    ovid = other.vehicle_id
    # Only the other van reports; the first goes silent.
    evs = [TrackingEvent(f"q{k}", TrackKind.POSITION, t0 + 60 * k, vehicle_id=ovid, lat=other.stops[0].lat, lon=other.stops[0].lon) for k in range(1, 12)]
    _, notices = mon.ingest(evs)
    unk = [n for n in notices if n.kind == NoticeKind.UNKNOWN]
    assert {n.order_id for n in unk if n.vehicle_id == vid} == set(r.order_ids)
    assert not any(n.vehicle_id == ovid for n in unk)
    assert all(mon.orders[o].state == WatchState.UNKNOWN for o in r.order_ids)
    assert "no signal from" in unk[0].reason
    # Back on air: its orders leave unknown.
    mon.ingest([TrackingEvent("back", TrackKind.POSITION, t0 + 700, vehicle_id=vid, lat=r.stops[0].lat, lon=r.stops[0].lon)])
    assert all(mon.orders[o].state != WatchState.UNKNOWN for o in r.order_ids)
    late = max(w.promised_by for w in mon.orders.values()) + 60
    broken = [n for n in mon.tick(late) if n.kind == NoticeKind.BROKEN]
    assert {n.order_id for n in broken} == {o for o, w in mon.orders.items() if w.state == WatchState.BROKEN}
    assert len(broken) == len(mon.orders)


def test_same_seed_same_notices_and_a_reloaded_state_continues_identically():
    day = small_day()
    evs = day.events[: len(day.events) // 2]
    rest = day.events[len(day.events) // 2:]
    a = _mon(day)
    a.ingest(evs, checked=True)
    b = Monitor(day.plan, day.promises, MonitorParams(), seed=1, plan_key="t")
    b.load(a.dump())
    na = a.ingest(rest, checked=True)[1]
    nb = b.ingest(rest, checked=True)[1]
    assert [dataclasses.astuple(x) for x in na] == [dataclasses.astuple(x) for x in nb]
    c = _mon(day)
    c.ingest(evs, checked=True)
    assert [x.warning_id for x in c.ingest(rest, checked=True)[1]] == [x.warning_id for x in na]


def test_rescue_moves_an_order_off_a_broken_van():
    day = small_day(orders=120, vehicles=8, seed=5)
    mon = _mon(day)
    r, vid, t0 = _first_van(day)
    at = t0 + 900
    # Every van reports (a silent van is never asked to help).
    mon.ingest([TrackingEvent(f"p-{x.vehicle_id}", TrackKind.POSITION, at - 30, vehicle_id=x.vehicle_id, lat=x.stops[0].lat, lon=x.stops[0].lon)
                for x in day.plan.routes])
    inc = Incident("bd", IncidentKind.VEHICLE_BREAKDOWN, Scope(vehicle_id=vid), at, at + 5 * 3600, extra_s=4 * 3600)
    _, notices = mon.ingest([TrackingEvent("bd", TrackKind.INCIDENT, at, incident=inc)])
    props = [n for n in notices if n.proposal is not None]
    assert props, "some order of the broken van must be movable"
    n = props[0]
    p = n.proposal
    assert p.from_vehicle == vid and p.to_vehicle != vid and p.p_after >= 0.9 > p.p_before
    assert "move " in p.text and "->" in p.text
    mon.accept(n.warning_id)
    assert mon.orders[p.order_id].vehicle_id == p.to_vehicle
    assert mon.vehicles[p.to_vehicle].index_of(p.order_id) is not None
    assert mon.vehicles[vid].index_of(p.order_id) is None
    with pytest.raises(Exception):
        mon.accept(n.warning_id)


def test_known_incident_widens_quotes_in_its_area_only():
    withdraw()
    storm = Incident("storm", IncidentKind.WEATHER, Scope(center=(60.25, 24.94), radius_m=5000), 1000.0, 5000.0, 0.6, text="storm warning")
    extra, why = quote_adjustment(60.25, 24.95, 2000.0, incidents=[storm])
    assert extra > 0 and why == "storm warning"
    assert quote_adjustment(60.10, 24.95, 2000.0, incidents=[storm]) == (0.0, "")
    assert quote_adjustment(60.25, 24.95, 9000.0, incidents=[storm]) == (0.0, "")
    poly = Incident("p", IncidentKind.TRAFFIC, Scope(polygon=((60.0, 24.0), (60.0, 25.0), (61.0, 25.0), (61.0, 24.0))), 0.0, 1e9, 0.5)
    assert quote_adjustment(60.5, 24.5, 10.0, incidents=[poly])[0] > 0
    assert "speeds -50%" in quote_adjustment(60.5, 24.5, 10.0, incidents=[poly])[1]


def test_a_minor_risk_waits_for_confirmation_a_major_one_does_not():
    day = small_day()
    mon = _mon(day, rescue=False, confirm_s=600)
    a, b = [o for o, w in mon.orders.items() if w.vehicle_id][:2]
    wa, wb = mon.orders[a], mon.orders[b]
    t = mon.now
    assert mon._judge(wa, 0.7, wa.promised_by - 900, wa.promised_by + 60, "wobble", [], propose=False) == []
    assert wa.state == WatchState.ON_TRACK and wa.risk_since == t
    # Still minor ten minutes later: now it is a warning, and it says why.
    mon.now = t + 600
    got = mon.tick(t + 600)
    assert [(n.order_id, n.kind, n.reason) for n in got if n.order_id == a] == [(a, NoticeKind.DELAY, "wobble")]
    # A major risk is warned at once.
    got = mon._judge(wb, 0.3, wb.promised_by - 60, wb.promised_by + 900, "jam", [], propose=False)
    assert [n.kind for n in got] == [NoticeKind.DELAY] and got[0].severity == Severity.MAJOR
