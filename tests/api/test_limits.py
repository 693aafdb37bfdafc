"""The guard in front of every route: load shedding when the event loop falls behind, JSON depth."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from api.limits import Guard, deeper_than, json_depth
from engine.config import Settings


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _call(guard: Guard, method: str, path: str) -> tuple[int, dict[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    await guard({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"])


def test_requests_at_the_end_of_a_long_batch_are_shed_but_health_and_plan_submissions_are_not() -> None:
    guard = Guard(_ok, settings_fn=lambda: Settings(shed_lag_ms=40))

    async def main() -> list[tuple[int, dict[bytes, bytes]]]:
        first = await _call(guard, "POST", "/v1/quotes")  # starts the lag timer
        await asyncio.sleep(0.05)
        time.sleep(0.1)  # the loop busy for 100 ms (a long batch), its timer overdue
        during = [await _call(guard, "POST", "/v1/quotes"), await _call(guard, "GET", "/healthz"),
                  await _call(guard, "POST", "/v1/plans")]
        await asyncio.sleep(0.05)  # the loop catches up
        after = await _call(guard, "POST", "/v1/quotes")
        return [first, *during, after]

    (first, quote, health, plan, after) = asyncio.run(main())
    assert first[0] == 200
    assert quote[0] == 503 and quote[1][b"retry-after"] == b"1"
    assert health[0] == 200 and plan[0] == 200  # never shed; plans are admitted by the solve queue (429)
    assert after[0] == 200
    assert guard.timings.shed == 1 and guard.timings.count == 5
    assert b"app;dur=" in quote[1][b"server-timing"]


def test_depth_is_counted_outside_strings_and_small_bodies_are_not_scanned() -> None:
    deep = json.dumps({"a": [[[[{"s": '[[[[[[[[\\"]]'}]]]]}).encode()  # brackets and an escaped quote inside a string
    assert json_depth(deep) == 6
    assert json_depth(b'{"x": "\\\\"}') == 1 and json_depth(b'["\\\\\\"[[["]') == 1
    assert deeper_than(deep, 5) == 6 and deeper_than(deep, 6) == 0
    assert deeper_than(b"[" * 40 + b"]" * 40, 32) == 40
