"""Region per request: POST /v1/quotes and /v1/promises/check choose the model by ``region``; unknown is a 422 naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import reset_settings
from engine.eta.model import default_model
from engine.promise import set_model
from engine.store.repository import Store
from tests.api.server import client_for

_store = Store("sqlite://")
client = client_for(_store, "checkout")
HEL = {"destination": {"lat": 60.17, "lon": 24.94}, "order_time": "2026-11-11T10:40:00+02:00", "items": [{"weight_kg": 2}]}
SHA = {"destination": {"lat": 31.20, "lon": 121.50}, "order_time": "2026-09-15T10:40:00+08:00", "items": [{"weight_kg": 2}], "region": "shanghai"}


def test_shanghai_quoted_by_the_same_server() -> None:
    r = client.post("/v1/quotes", json=SHA)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["region"] == "shanghai" and d["created_at"].endswith("+08:00")
    assert {o["carrier"] for o in d["options"]} == {"own", "sf", "zto"}
    assert any(o["available"] for o in d["options"])
    # The default region (Settings.default_region: helsinki) when none is named; Shanghai's address is off its map.
    d = client.post("/v1/quotes", json={k: v for k, v in SHA.items() if k != "region"}).json()
    assert d["region"] == "helsinki" and not any(o["available"] for o in d["options"])


def test_batch_mixes_regions() -> None:
    r = client.post("/v1/quotes", json={"orders": [HEL, SHA, {**HEL, "region": "Helsinki"}]})
    assert r.status_code == 200, r.text
    assert [q["region"] for q in r.json()["quotes"]] == ["helsinki", "shanghai", "helsinki"]
    r = client.post("/v1/quotes", json={"region": "shanghai", "orders": [{k: v for k, v in SHA.items() if k != "region"}, {**HEL, "region": "helsinki"}]})
    assert [q["region"] for q in r.json()["quotes"]] == ["shanghai", "helsinki"]


@pytest.mark.parametrize("body, loc", [
    ({**HEL, "region": "atlantis"}, ["body", "region"]),
    ({"orders": [HEL, {**HEL, "region": "atlantis"}]}, ["body", "orders", 1, "region"]),
    ({"region": "atlantis", "orders": [HEL]}, ["body", "region"]),
])
def test_unknown_region_is_422_naming_the_field(body: dict, loc: list) -> None:
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 422, r.text
    d = r.json()["detail"][0]
    assert d["loc"] == loc and "atlantis" in d["msg"] and "shanghai" in d["msg"]


def test_check_in_a_region() -> None:
    q = client.post("/v1/quotes", json=SHA).json()
    nd = next(o for o in q["options"] if o["service"] == "next_day")
    body = {"promise": {"carrier": "own", "service": "next_day", "created_at": q["created_at"], "promised_by": nd["promised_by"]},
            "now": "2026-09-15T12:00:00+08:00", "region": "shanghai"}
    r = client.post("/v1/promises/check", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["region"] == "shanghai" and 0 < r.json()["probability"] <= 1
    r = client.post("/v1/promises/check", json={**body, "region": "atlantis"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "region"


def test_models_from_settings_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory of fitted models: each served under its directory's name, without a restart of the app."""
    default_model("shanghai").save(tmp_path / "suzhou")
    monkeypatch.setenv("PROMISE_MODEL_DIR", str(tmp_path))
    reset_settings()
    set_model(None)
    try:
        r = client.post("/v1/quotes", json={**SHA, "region": "suzhou"})
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "default" and r.json()["region"] == "shanghai"
        assert client.post("/v1/quotes", json=HEL).json()["region"] == "helsinki"  # the default region still
    finally:
        monkeypatch.delenv("PROMISE_MODEL_DIR")
        reset_settings()
        set_model(None)
