"""API keys: create (shown once), verify in constant time, list, revoke.

A key reads ``pe_<key_id>_<secret>``.  Only ``HMAC-SHA256(pepper, secret)``
is stored, so a copy of the database does not give working keys; the pepper
comes from ``Settings.key_pepper`` or, unset, from a random file created once
in ``Settings.secrets_dir`` (mode 600).  Digests are compared with
``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from engine.config import Settings
from engine.domain.access import Role
from engine.errors import InputError, NotFoundError
from engine.store.repository import Store, _db_faults
from engine.store.tables import ApiKeyRow

__all__ = ["ApiKey", "create_key", "verify_key", "list_keys", "revoke_key", "pepper"]

_PREFIX = "pe_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    role: Role
    name: str
    created_at: datetime
    revoked_at: datetime | None = None


def pepper(settings: Settings) -> bytes:
    """The secret mixed into every key digest."""
    if settings.key_pepper is not None:
        return settings.key_pepper.get_secret_value().encode()
    path = Path(settings.secrets_dir).expanduser() / "pepper"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(32).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, value)
        finally:
            os.close(fd)
        return value
    except FileExistsError:  # pragma: no cover - another process created it just now
        return path.read_bytes()


def _digest(secret: str, pep: bytes) -> str:
    return hmac.new(pep, secret.encode(), hashlib.sha256).hexdigest()


def create_key(store: Store, role: Role | str, name: str, settings: Settings) -> tuple[ApiKey, str]:
    """A new key: its record and the key text, which is shown once and never stored."""
    try:
        role = Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}", field="role") from None
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKeyRow(key_id=key_id, digest=_digest(secret, pepper(settings)), role=role.value, name=name[:200],
                    created_at=datetime.now(timezone.utc))
    with _db_faults(), store._session.begin() as s:
        s.add(row)
    return ApiKey(key_id, role, row.name, row.created_at), f"{_PREFIX}{key_id}_{secret}"


def verify_key(store: Store, text: str, settings: Settings) -> ApiKey | None:
    """The key's record if ``text`` is a valid, unrevoked key; else ``None``."""
    if not text.startswith(_PREFIX) or text.count("_") < 2 or len(text) > 200:
        return None
    key_id, _, secret = text[len(_PREFIX):].partition("_")
    with _db_faults(), store._session() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            _digest(secret, pepper(settings))  # same work either way: no timing hint that the id exists
            return None
        ok = hmac.compare_digest(row.digest, _digest(secret, pepper(settings)))
        if not ok or row.revoked_at is not None:
            return None
        return ApiKey(row.key_id, Role(row.role), row.name, row.created_at, row.revoked_at)


def list_keys(store: Store) -> list[ApiKey]:
    with _db_faults(), store._session() as s:
        rows = s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at)).all()
        return [ApiKey(r.key_id, Role(r.role), r.name, r.created_at, r.revoked_at) for r in rows]


def revoke_key(store: Store, key_id: str) -> None:
    with _db_faults(), store._session.begin() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFoundError(f"no key with id {key_id[:40]!r}")
        row.revoked_at = datetime.now(timezone.utc)
