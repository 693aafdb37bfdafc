"""``/v1/keys``: API keys (admin only). A new key is shown once, in the response that creates it."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import get_settings, get_store
from engine.config import Settings
from engine.domain.access import Role
from engine.io.schema import Text
from engine.store.keys import create_key, list_keys, revoke_key
from engine.store.repository import Store

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class KeyIn(BaseModel):
    role: Role
    name: Text = Field("api", description="What the key is for")


class KeyOut(BaseModel):
    id: str
    role: Role
    name: str
    created_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself: shown this once, never stored")


@router.post("", response_model=KeyCreated, status_code=201)
def post_key(body: KeyIn, store: Store = Depends(get_store), settings: Settings = Depends(get_settings)) -> KeyCreated:
    rec, text = create_key(store, body.role, body.name, settings)
    return KeyCreated(id=rec.key_id, role=rec.role, name=rec.name, created_at=rec.created_at, key=text)


@router.get("", response_model=list[KeyOut])
def get_keys(store: Store = Depends(get_store)) -> list[KeyOut]:
    return [KeyOut(id=k.key_id, role=k.role, name=k.name, created_at=k.created_at, revoked_at=k.revoked_at) for k in list_keys(store)]


@router.delete("/{key_id}", status_code=204)
def delete_key(key_id: str, store: Store = Depends(get_store)) -> None:
    revoke_key(store, key_id)
