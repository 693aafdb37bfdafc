"""HTTP contract of /v1/quotes and /v1/promises/check: 422s name the field, nothing is a 500."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.store.repository import Store
from tests.api.server import client_for

_store = Store("sqlite://")
client = client_for(_store, "checkout")
CART = {"destination": {"lat": 60.17, "lon": 24.94}, "order_time": "2026-11-11T10:40:00+02:00", "items": [{"weight_kg": 2}]}


def test_quote_one_cart() -> None:
    r = client.post("/v1/quotes", json=CART)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["model"] == "default" and len(d["options"]) == 6 and d["currency"] == "EUR"
    sh = client.post("/v1/quotes", json={**CART, "destination": {"lat": 31.23, "lon": 121.47}, "region": "shanghai"})
    assert sh.status_code == 200 and sh.json()["currency"] == "CNY", sh.text
    same = next(o for o in d["options"] if o["service"] == "same_day")
    assert same["available"] and same["probability"] >= 0.95 and same["cutoff_text"].startswith("order within")


def test_quote_batch_and_filter() -> None:
    r = client.post("/v1/quotes", json={"orders": [CART, {**CART, "order_id": "x", "only": ["posti:locker"]}]})
    assert r.status_code == 200, r.text
    qs = r.json()["quotes"]
    assert len(qs) == 2 and qs[1]["order_id"] == "x" and len(qs[1]["options"]) == 1


def test_check_endpoint() -> None:
    q = client.post("/v1/quotes", json=CART).json()
    same = next(o for o in q["options"] if o["service"] == "same_day")
    body = {
        "promise": {"carrier": "own", "service": "same_day", "created_at": q["created_at"], "promised_by": same["promised_by"]},
        "now": "2026-11-11T16:00:00+02:00",
        "state": {"status": "handed_over", "handed_over_at": "2026-11-11T11:30:00+02:00"},
    }
    r = client.post("/v1/promises/check", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["holds"] and 0.9 <= d["probability"] <= 1 and d["model"] == "default"


@pytest.mark.parametrize(
    "body,loc_end",
    [
        ({**CART, "destination": {"lat": 1e308, "lon": 24.94}}, "lat"),
        ({**CART, "order_time": "9999-01-01T00:00:00+00:00"}, "order_time"),
        ({**CART, "order_time": "2026-11-11T10:40:00"}, "order_time"),
        ({**CART, "items": []}, "items"),
        ({**CART, "items": [{"weight_kg": -1}]}, "weight_kg"),
        ({**CART, "target": 1.5}, "target"),
        ({**CART, "only": ["dhl"]}, "only"),
        ({**CART, "destination": {"lat": True, "lon": 24.94}}, "lat"),
        ({**CART, "origin": {"lat": 60.2, "lon": "24.9"}}, "lon"),
        ({**CART, "items": [{"weight_kg": 2, "quantity": True}]}, "quantity"),
        ({**CART, "order_time": 1790000000}, "order_time"),
        ({**CART, "surprise": 1}, "surprise"),
        ({"orders": []}, "orders"),
    ],
)
def test_quote_422_names_the_field(body, loc_end: str) -> None:
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 422, r.text
    assert any(loc_end == str(e["loc"][-1]) or loc_end in map(str, e["loc"]) for e in r.json()["detail"]), r.text


def test_nan_and_broken_json_are_422() -> None:
    for raw in ('{"destination":{"lat":NaN,"lon":1},"items":[{}]}', '{"destination":{"lat":Infinity', "[]", "null", '"x"'):
        r = client.post("/v1/quotes", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (raw, r.text)


def test_check_422() -> None:
    base = {"promise": {"carrier": "own", "service": "same_day", "created_at": "2026-11-11T10:40:00+02:00", "promised_by": "2026-11-11T22:00:00+02:00"}}
    for body in (
        {**base, "state": {"status": "handed_over"}},
        {**base, "state": {"status": "teleported"}},
        {"promise": {**base["promise"], "carrier": "dhl"}},
        {"promise": {**base["promise"], "promised_by": "2026-11-10T22:00:00+02:00"}},
    ):
        r = client.post("/v1/promises/check", json=body)
        assert r.status_code == 422, (body, r.text)
    # Engine-side errors name the part and the field.
    r = client.post("/v1/promises/check", json={**base, "state": {"status": "handed_over"}})
    assert r.json()["detail"][0]["loc"] == ["body", "state", "handed_over_at"]
    r = client.post("/v1/promises/check", json={"promise": {**base["promise"], "carrier": "dhl"}})
    assert r.json()["detail"][0]["loc"] == ["body", "promise", "service"]


def test_integral_numbers_still_read() -> None:
    body = {**CART, "destination": {"lat": 60, "lon": 25}, "items": [{"weight_kg": 2, "quantity": 2.0}]}
    assert client.post("/v1/quotes", json=body).status_code == 200


def test_large_batch_is_answered_in_order() -> None:
    r = client.post("/v1/quotes", json={"orders": [{**CART, "order_id": f"o{i}"} for i in range(200)]})
    assert r.status_code == 200 and [q["order_id"] for q in r.json()["quotes"]] == [f"o{i}" for i in range(200)]


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["2026-11-11T10:40:00+02:00", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z", "2099-12-31T23:59:59-12:00", "2026-02-30T10:00:00+02:00"]),
)
_json = st.recursive(_scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=10), c, max_size=4)), max_leaves=12)
_cartish = st.fixed_dictionaries(
    {},
    optional={
        "destination": st.one_of(_json, st.fixed_dictionaries({"lat": _scalars, "lon": _scalars})),
        "order_time": _scalars,
        "items": st.one_of(_json, st.lists(st.fixed_dictionaries({}, optional={"weight_kg": _scalars, "quantity": _scalars}), max_size=3)),
        "target": _scalars,
        "only": _json,
        "capacity_left": _json,
        "origin": st.one_of(_json, st.fixed_dictionaries({"lat": _scalars, "lon": _scalars})),
    },
)


def _post(path: str, body) -> int:
    raw = json.dumps(body, allow_nan=True)
    return client.post(path, content=raw, headers={"content-type": "application/json"}).status_code


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_json, _cartish, st.fixed_dictionaries({"orders": st.lists(_cartish, max_size=3)})))
def test_quotes_never_500(body) -> None:
    assert _post("/v1/quotes", body) in (200, 422)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"promise": st.one_of(_json, st.fixed_dictionaries({"carrier": st.sampled_from(["own", "posti", "x"]), "service": st.sampled_from(["same_day", "standard", "slot"]), "created_at": _scalars, "promised_by": _scalars}, optional={"target": _scalars, "window_start": _scalars, "destination": _json}))},
        optional={"now": _scalars, "state": st.one_of(_json, st.fixed_dictionaries({"status": st.sampled_from(["pending", "handed_over", "on_route", "delivered", "x"])}, optional={"handed_over_at": _scalars, "delivered_at": _scalars, "eta_p50": _scalars, "eta_p95": _scalars, "eta_samples": st.lists(_scalars, max_size=3)}))},
    )
)
def test_check_never_500(body) -> None:
    assert _post("/v1/promises/check", body) in (200, 422)


# Well-formed bodies with extreme but valid values reach the engine itself (not just validation).
_dts = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 30), timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-11)), timezone(timedelta(hours=14))])).map(lambda d: d.isoformat())
_ll = st.fixed_dictionaries({"lat": st.floats(-90, 90), "lon": st.floats(-180, 180)})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"destination": _ll, "order_time": _dts, "items": st.lists(st.fixed_dictionaries({"weight_kg": st.floats(0, 10_000), "quantity": st.integers(1, 10_000)}), min_size=1, max_size=3)},
        optional={"target": st.floats(0.5, 0.99), "only": st.lists(st.sampled_from(["own", "posti", "slot", "own:slot", "locker"]), max_size=3), "capacity_left": st.dictionaries(st.sampled_from(["own", "posti", "own:same_day"]), st.integers(-5, 5)), "origin": _ll},
    )
)
def test_valid_extreme_quotes_never_500(body) -> None:
    assert _post("/v1/quotes", body) in (200, 422)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"promise": st.fixed_dictionaries(
            {"carrier": st.sampled_from(["own", "posti", "matkahuolto"]), "service": st.sampled_from(["same_day", "next_day", "standard", "locker", "slot"]), "created_at": _dts, "promised_by": _dts},
            optional={"target": st.floats(0.01, 0.99), "window_start": _dts, "destination": _ll},
        )},
        optional={"now": _dts, "state": st.fixed_dictionaries(
            {"status": st.sampled_from(["pending", "handed_over", "on_route", "delivered"])},
            optional={"handed_over_at": _dts, "delivered_at": _dts, "eta_p50": _dts, "eta_p95": _dts, "eta_samples": st.lists(_dts, max_size=5)},
        )},
    )
)
def test_valid_extreme_checks_never_500(body) -> None:
    assert _post("/v1/promises/check", body) in (200, 422)


def test_a_picked_slot_is_quoted_for_that_window_or_withdrawn() -> None:
    picked = {**CART, "slot": {"start": "2026-11-12T18:00:00+02:00"}}
    r = client.post("/v1/quotes", json=picked)
    assert r.status_code == 200, r.text
    slot = next(o for o in r.json()["options"] if o["kind"] == "slot")
    assert slot["available"] and slot["window_start"] == "2026-11-12T18:00:00+02:00" and slot["promised_by"] == "2026-11-12T19:00:00+02:00"
    # The other options are quoted as without a slot.
    plain = client.post("/v1/quotes", json=CART).json()
    assert [o for o in r.json()["options"] if o["kind"] != "slot"] == [o for o in plain["options"] if o["kind"] != "slot"]
    gone = client.post("/v1/quotes", json={**CART, "slot": {"start": "2026-11-11T09:00:00+02:00"}}).json()
    g = next(o for o in gone["options"] if o["kind"] == "slot")
    assert not g["available"] and "booking cut-off" in g["reason"] and g["promised_by"] is None
    # A window on a day the fleet does not drive (Helsinki's vans: Monday to Saturday) is withdrawn, naming the day.
    sunday = client.post("/v1/quotes", json={**CART, "slot": {"start": "2026-11-15T18:00:00+02:00"}}).json()
    s = next(o for o in sunday["options"] if o["kind"] == "slot")
    assert not s["available"] and s["reason"] == "the own fleet does not drive on Sun 15 Nov" and s["promised_by"] is None
    bad = client.post("/v1/quotes", json={**CART, "slot": {"start": "2026-11-12T18:00:00+02:00", "end": "2026-11-12T17:00:00+02:00"}})
    assert bad.status_code == 422 and "slot" in json.dumps(bad.json()["detail"][0]["loc"])
    naive = client.post("/v1/quotes", json={**CART, "slot": {"start": "2026-11-12T18:00:00"}})
    assert naive.status_code == 422 and "start" in json.dumps(naive.json()["detail"][0]["loc"])
