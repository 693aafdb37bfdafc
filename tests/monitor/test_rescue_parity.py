"""The array-based rescue search proposes exactly what the one-point-at-a-time loop did.

``_reference_candidates`` is the candidate loop of ``engine.monitor.rescue.propose``
as it was before the distances became numpy arrays (one ``haversine_m`` call per
point, every insertion rebuilt); ``_reference_propose`` ranks its candidates as
``propose`` does.  Every ``propose`` call of a few replayed days (rescues only
proposed, then applied as they come) runs both ways and must agree to the last
bit: the same candidates (van, insert index, extra metres, new stops) in the same
order and the same proposal.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from engine.domain.monitor import Proposal, WatchState
from engine.geo import haversine_m
from engine.monitor import rescue
from engine.monitor.forecast import forecast_vehicles
from engine.monitor.params import MonitorParams
from engine.monitor.score import replay_day
from engine.monitor.tracks import StopRef, VehicleTrack
from engine.monitor.watch import Monitor
from tests.monitor.helpers import small_day


def _reference_candidates(mon: Monitor, a: VehicleTrack, stop: StopRef, meet: tuple[float, float] | None) -> list[Any]:
    lim = mon.params.neighbour_km * 1000.0
    cands = []
    for b in mon.vehicles.values():
        if b.vehicle_id == a.vehicle_id or not b.remaining() or b.taken >= mon.params.max_takeovers:
            continue
        if any(mon.orders[s.order_id].state == WatchState.AT_RISK for s in b.remaining() if s.order_id in mon.orders):
            continue
        if any(inc.scope.vehicle_id == b.vehicle_id and inc.extra_s > 0 and inc.active(mon.now) for inc in mon.incidents.values()):
            continue
        idle = b.next_idx == 0 and not b.at_stop and (b.pos_t is None or b.pos_t <= b.departure) and b.departure > mon.now + 1800
        if idle:
            stops, extra = rescue._pretrip(b, meet, stop)
            if float(haversine_m(b.start_lat, b.start_lon, stop.lat, stop.lon)) <= 4 * lim:
                cands.append((extra, b.vehicle_id, 0, stops, meet, mon.now))
            continue
        if b.silent:
            continue
        first = b.next_idx + (1 if b.at_stop else 0)
        done = all(s.order_id is None for s in b.stops[first:])
        near = lim * (4 if done else 1)
        here = rescue._here(b)
        close = float(haversine_m(here[0], here[1], stop.lat, stop.lon)) <= near or any(
            float(haversine_m(b.stops[k].lat, b.stops[k].lon, stop.lat, stop.lon)) <= near for k in range(first, len(b.stops)))
        if not close:
            continue
        b_meet = meet if meet is not None else ((a.start_lat, a.start_lon) if b.next_idx > 0 or b.depot != a.depot else None)
        tries = sorted((rescue._insert(b, k, b_meet, stop)[::-1] + (k,) for k in range(first, len(b.stops))), key=lambda x: x[0])
        cands += [(extra, b.vehicle_id, k, stops, b_meet, None) for extra, stops, k in tries[:rescue._PER_VAN]]
    return cands


def _reference_propose(mon: Monitor, order_id: str, cands: list[Any]) -> Proposal | None:
    w = mon.orders[order_id]
    a = mon.vehicles[w.vehicle_id or ""]
    if not cands:
        return None
    cands = sorted(cands, key=lambda c: c[0])[:rescue._MAX_CANDIDATES]
    trial = [dataclasses.replace(mon.vehicles[vid], stops=stops, departure=dep if dep is not None else mon.vehicles[vid].departure)
             for _, vid, _, stops, _, dep in cands]
    fcs = forecast_vehicles(trial, list(mon.incidents.values()), mon.params, day0=mon.day0, hour0=mon.hour0,
                            seed=mon.seed, index=mon._index, promises=mon._promise, not_before=mon.now)
    best = None
    for (extra, vid, k, _, b_meet, dep), fc in zip(cands, fcs):
        p_after = fc.orders.get(order_id, (0.0, 0.0, 0.0))[0]
        if p_after < mon.params.clear_above or p_after <= w.p_on_time + 0.1:
            continue
        hurt = any(
            oid != order_id and (o := mon.orders.get(oid)) is not None
            and o.state not in (WatchState.DELIVERED, WatchState.FAILED, WatchState.BROKEN)
            and p < min(o.p_on_time, mon.params.clear_above) - 0.02
            for oid, (p, _p50, _p95) in fc.orders.items())
        if hurt:
            continue
        prop = Proposal(order_id, a.vehicle_id, vid, k, round(w.p_on_time, 3), round(p_after, 3), round(extra / 1000.0, 2),
                        None if b_meet is None else b_meet[0], None if b_meet is None else b_meet[1], depart_at=dep)
        if best is None or (prop.p_after, -prop.extra_km) > (best.p_after, -best.extra_km):
            best = prop
    return best


@pytest.mark.parametrize("seed", [5, 21])
def test_proposals_match_the_one_point_loop(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    day = small_day(240, 14, seed=seed)
    new_propose = rescue.propose
    seen = {"calls": 0, "with_cands": 0, "proposals": 0, "cands": 0}

    def both(mon: Monitor, order_id: str) -> Proposal | None:
        got = new_propose(mon, order_id)
        w = mon.orders[order_id]
        a = mon.vehicles.get(w.vehicle_id or "")
        i = None if a is None else a.index_of(order_id)
        if a is None or i is None or i < a.next_idx or (a.at_stop and i == a.next_idx) or w.moved:
            assert got is None
            return got
        stop = a.stops[i]
        departed = a.next_idx > 0 or (a.pos_t is not None and a.pos_t > a.departure)
        meet = rescue._here(a) if departed else None
        ref = _reference_candidates(mon, a, stop, meet)
        assert rescue._candidates(mon, a, stop, meet) == ref, (order_id, mon.now)
        assert got == _reference_propose(mon, order_id, ref), (order_id, mon.now)
        seen["calls"] += 1
        seen["with_cands"] += bool(ref)
        seen["cands"] += len(ref)
        seen["proposals"] += got is not None
        return got

    monkeypatch.setattr(rescue, "propose", both)
    for auto_apply in (False, True):
        replay_day(day, MonitorParams(auto_apply=auto_apply, samples=100), seed=0)
    # The comparison ran on real work: searches with candidates, some of them proposing a move.
    assert seen["calls"] >= 10 and seen["with_cands"] >= 5 and seen["proposals"] >= 2, seen


def _track(pts: list[tuple[float, float]], **kw: object) -> VehicleTrack:
    stops = [StopRef(f"x{i}", la, lo, 1000.0 * i, 300.0, 120.0) for i, (la, lo) in enumerate(pts)]
    return VehicleTrack("b", "north", 60.2, 24.9, 0.0, stops, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("meet", [None, (60.21, 24.93)])
@pytest.mark.parametrize("next_idx,at_stop", [(0, False), (2, False), (2, True)])
def test_cheapest_keeps_ties_in_index_order(meet: tuple[float, float] | None, next_idx: int, at_stop: bool) -> None:
    # Repeated places make exact ties: the cheapest four must be the old ones, earlier index first.
    pts = [(60.2 + 0.01 * (i % 3), 24.9 + 0.01 * (i % 2)) for i in range(12)]
    b = _track(pts, next_idx=next_idx, at_stop=at_stop, pos_lat=60.205, pos_lon=24.905, pos_t=10.0)
    stop = StopRef("o", 60.21, 24.91, 5000.0, 0.0, 120.0)
    first = next_idx + (1 if at_stop else 0)
    old = sorted((rescue._insert(b, k, meet, stop)[::-1] + (k,) for k in range(first, len(b.stops))), key=lambda x: x[0])
    new = sorted((rescue._insert(b, k, meet, stop)[::-1] + (k,) for k in rescue._cheapest(b, first, meet, stop)), key=lambda x: x[0])
    assert [(e, k) for e, _, k in new[:rescue._PER_VAN]] == [(e, k) for e, _, k in old[:rescue._PER_VAN]]
    assert len({e for e, _, _ in old}) < len(old)  # the ties are there


def test_any_within_decides_a_borderline_point_as_one_point_haversine_does() -> None:
    import numpy as np

    stop = StopRef("o", 60.21, 24.91, 0.0, 0.0, 0.0)
    lat, lon = [60.2, 60.23, 60.19], [24.9, 24.95, 24.88]
    d = haversine_m(np.asarray(lat), np.asarray(lon), stop.lat, stop.lon)
    for i in range(3):
        exact = float(haversine_m(lat[i], lon[i], stop.lat, stop.lon))
        for limit in (exact, math.nextafter(exact, 0.0), exact + 1.0, exact - 1.0):
            # A limit on the point itself: the answer is the one-point comparison, whatever the array rounding.
            want = any(float(haversine_m(la, lo, stop.lat, stop.lon)) <= limit for la, lo in zip(lat, lon))
            assert rescue._any_within(d, lat, lon, stop, limit) == want
