"""API keys on every route but health and the docs: 401 without a valid key, 403 for the wrong role.

Keys are sent as ``Authorization: Bearer pe_...`` or ``X-API-Key: pe_...``.
A verified key is remembered for a few seconds, so a quote does not pay a
database round trip and an HMAC each time; once that has passed it is
re-checked in the background while requests still use the last verdict (a
revoked key stops working within twice that time).  Plan solves are also limited per key (``Settings.plans_per_minute``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from typing import Any, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import get_settings, store_of
from engine.config import Settings
from engine.domain.access import GRANTS, Role
from engine.errors import BusyError
from engine.store.keys import ApiKey, verify_key

__all__ = ["require", "get_key", "limit_plans", "SECURITY_SCHEMES"]

#: The two ways to send a key, as OpenAPI security schemes (``api.main`` documents them on
#: every route that needs a key); ``get_key`` reads the headers itself.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "HTTPBearer": {"type": "http", "scheme": "bearer", "description": "An API key: `promise keys create --role ROLE`"},
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The same key, as a header"},
}

_CACHE_S = 10.0
_cache: dict[str, tuple[float, ApiKey]] = {}
_cache_lock = threading.Lock()
_checking: set[str] = set()  # keys being verified right now
_background: set[asyncio.Task[Any]] = set()
log = logging.getLogger(__name__)
_OPEN = ApiKey("open", Role.ADMIN, "auth disabled", created_at=None)  # type: ignore[arg-type]


def _key_text(request: Request) -> str | None:
    """The key sent as ``Authorization: Bearer <key>``, else as ``X-API-Key``."""
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, credentials = auth.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return request.headers.get("x-api-key") or None


async def get_key(request: Request) -> ApiKey:
    """The caller's key, or 401.

    One dependency reading the headers, not FastAPI's security classes: every
    dependency costs each request its resolution, and on the checkout path the
    four that this replaces cost as much as the quote.
    """
    settings: Settings = request.app.state.settings
    if not settings.auth:
        return _OPEN
    text = _key_text(request)
    if not text:
        raise HTTPException(401, "an API key is required (Authorization: Bearer <key> or X-API-Key)", headers={"WWW-Authenticate": "Bearer"})
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(text)
        if hit is not None and hit[0] > now:
            return hit[1]
        stale = hit is not None and hit[0] + _CACHE_S > now
        if stale and text in _checking:
            return hit[1]  # being re-checked already
        _checking.add(text)
    if stale:
        # Recently verified: re-check it in the background and answer with the last verdict
        # meanwhile.  Otherwise, when it expires, every request of a busy client would wait
        # for (or make) the re-check: a hundred HMACs and database reads fighting the event
        # loop for the interpreter, or one request waiting on a thread for a database read.
        task = asyncio.get_running_loop().create_task(_check(request.app, text, settings, background=True))
        _background.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(_background.discard)
        return hit[1]
    key = await _check(request.app, text, settings, background=False)
    if key is None:
        raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    return key


async def _check(app: Any, text: str, settings: Settings, *, background: bool) -> ApiKey | None:
    """Verify a key against the store (off the loop) and remember the verdict.

    A background re-check that fails (the database unavailable) keeps the last verdict
    until it is too old; a request's own check lets the error answer (503).
    """
    now = time.monotonic()
    try:
        key = await run_in_threadpool(verify_key, store_of(app), text, settings)
    except Exception:
        with _cache_lock:
            _checking.discard(text)
        if background:
            log.warning("re-checking an API key failed; its last verdict stands for now", exc_info=True)
            return None
        raise
    with _cache_lock:
        _checking.discard(text)
        if key is None:
            _cache.pop(text, None)
        else:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[text] = (now + _CACHE_S, key)
    return key


def require(role: Role) -> Callable[[ApiKey], ApiKey]:
    """A dependency that admits keys whose role may use a route of ``role``."""
    allowed = GRANTS[role]

    async def check(key: ApiKey = Depends(get_key)) -> ApiKey:
        if key.role not in allowed:
            raise HTTPException(403, f"a {key.role.value} key may not use this route (needs {role.value})")
        return key

    return check


_windows: dict[str, deque[float]] = {}
_windows_lock = threading.Lock()


async def limit_plans(request: Request, key: ApiKey = Depends(get_key), settings: Settings = Depends(get_settings)) -> None:
    """At most ``Settings.plans_per_minute`` plan submissions per key per minute."""
    if request.method != "POST":
        return
    now = time.monotonic()
    with _windows_lock:
        q = _windows.setdefault(key.key_id, deque())
        while q and q[0] < now - 60.0:
            q.popleft()
        if len(q) >= settings.plans_per_minute:
            raise BusyError(f"at most {settings.plans_per_minute} plans per minute per key", retry_after_s=60.0 - (now - q[0]))
        q.append(now)
