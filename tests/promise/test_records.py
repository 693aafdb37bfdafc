"""The promise records and enums: their JSON stays what clients read."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.domain.promise import CheckResult, DeliveryOption, PromiseState, PromiseStatus, UnavailableReason as R
from engine.promise import Promise, QuoteError, check, quote

TZ = ZoneInfo("Europe/Helsinki")


def test_statuses_are_their_json_strings() -> None:
    assert [s.value for s in PromiseStatus] == ["pending", "handed_over", "on_route", "delivered"]
    assert PromiseStatus.ON_ROUTE == "on_route" and json.dumps(PromiseStatus.DELIVERED) == '"delivered"'
    r = CheckResult("o1", 0.5, False, None, None, PromiseStatus.PENDING, "x")
    assert json.dumps(r.to_json()) == json.dumps(
        {"order_id": "o1", "probability": 0.5, "holds": False, "p50": None, "p95": None, "status": "pending", "reason": "x"}
    )


def test_reason_codes_and_texts_are_fixed() -> None:
    # Codes index BatchQuote.reason; texts are what the API and CLI print.
    assert [(int(c), c.text) for c in R] == [
        (0, ""),
        (1, "destination is outside the map"),
        (2, "destination is outside the carrier's delivery area"),
        (3, "parcel is too heavy for this option"),
        (4, "same-day cut-off passed (cannot promise today at the target probability)"),
        (5, "next-day cut-off passed (cannot promise tomorrow at the target probability)"),
        (6, "capacity of today's plan is exhausted"),
        (7, "no fitted history for this option"),
        (8, "slot on-time probability is below the target"),
        (9, "no delivery slot in the next two days"),
        (10, "the slot asked for is past its booking cut-off"),
        (11, "the own fleet does not drive on the slot's day"),
    ]


def test_check_takes_a_status_string_and_names_a_bad_one() -> None:
    q = quote((60.17, 24.94), datetime(2026, 11, 11, 9, 30, tzinfo=TZ), [1.0])
    p = Promise.from_option(q, q.option("own", "same_day"))
    r = check(p, p.created_at + timedelta(hours=3), PromiseState("handed_over", handed_over_at=p.created_at + timedelta(hours=1)))
    assert r.status is PromiseStatus.HANDED_OVER and r.to_json()["status"] == "handed_over"
    with pytest.raises(QuoteError, match="not one of pending, handed_over, on_route, delivered") as err:
        check(p, p.created_at, PromiseState("teleported"))
    assert err.value.loc == ["state", "status"]


def test_unavailable_option_cannot_become_a_promise() -> None:
    q = quote((48.85, 2.35), datetime(2026, 11, 11, 9, 30, tzinfo=TZ), [1.0])  # off the map
    with pytest.raises(QuoteError, match="unavailable: destination is outside the map"):
        Promise.from_option(q, q.options[0])


def test_the_api_documents_the_option_record_itself() -> None:
    from api.schemas.quote import QuoteResponse

    schema = QuoteResponse.model_json_schema()
    props = schema["$defs"]["DeliveryOption"]["properties"]
    assert list(props) == [f.name for f in fields(DeliveryOption)]
