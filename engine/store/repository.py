"""Persistence for plans, promises and events (SQLAlchemy; SQLite by default).

``PROMISE_DB_URL`` selects the database (``postgresql+psycopg://...`` works
the same way); the default is a SQLite file in the working directory.  Plans
and promises are stored as JSON documents next to the columns that later
capabilities query on (status, order id, promised-by time), so delay warnings
and tickets can be added as new tables without migrating these.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool



def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class PlanRow(Base):
    __tablename__ = "plans"

    plan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class PromiseRow(Base):
    __tablename__ = "promises"

    promise_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    carrier: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(64))
    promised_by: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    probability: Mapped[float] = mapped_column(Float)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class EventRow(Base):
    __tablename__ = "events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    order_id: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def make_engine(url: str | None = None) -> Engine:
    if url is None:
        from engine.config import get_settings

        url = get_settings().db_url
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or every session would see its own empty database.
            kwargs["poolclass"] = StaticPool
        return create_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True)


class Store:
    """Small repository over the three tables; safe to share between threads."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    # plans ---------------------------------------------------------------
    def create_plan(self, problem: dict[str, Any]) -> str:
        plan_id = str(uuid.uuid4())
        with self._session.begin() as s:
            s.add(PlanRow(plan_id=plan_id, status="queued", problem=_jsonable(problem)))
        return plan_id

    def update_plan(
        self, plan_id: str, status: str, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self._session.begin() as s:
            row = s.get(PlanRow, plan_id)
            if row is None:
                raise KeyError(plan_id)
            row.status = status
            if result is not None:
                row.result = _jsonable(result)
            row.error = error

    def get_plan(self, plan_id: str) -> dict[str, Any] | None:
        with self._session() as s:
            row = s.get(PlanRow, plan_id)
            if row is None:
                return None
            return {
                "id": row.plan_id,
                "status": row.status,
                "result": row.result,
                "error": row.error,
                "created_at": row.created_at.isoformat() if row.created_at else None,
                "updated_at": row.updated_at.isoformat() if row.updated_at else None,
            }

    # promises ------------------------------------------------------------
    def save_promise(
        self, order_id: str, carrier: str, service: str, promised_by: datetime, probability: float,
        document: dict[str, Any],
    ) -> str:
        promise_id = str(uuid.uuid4())
        with self._session.begin() as s:
            s.add(PromiseRow(
                promise_id=promise_id, order_id=order_id, carrier=carrier, service=service,
                promised_by=promised_by, probability=probability, document=_jsonable(document),
            ))
        return promise_id

    def promises_for(self, order_id: str) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(select(PromiseRow).where(PromiseRow.order_id == order_id)).all()
            return [dict(r.document, promise_id=r.promise_id) for r in rows]

    # events --------------------------------------------------------------
    def add_event(
        self, kind: str, at: datetime, order_id: str | None = None, vehicle_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        with self._session.begin() as s:
            row = EventRow(kind=kind, at=at, order_id=order_id, vehicle_id=vehicle_id, payload=_jsonable(payload or {}))
            s.add(row)
            s.flush()
            return row.event_id

    def events_for(self, order_id: str) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(select(EventRow).where(EventRow.order_id == order_id).order_by(EventRow.at)).all()
            return [
                {"kind": r.kind, "at": r.at.isoformat(), "order_id": r.order_id, "vehicle_id": r.vehicle_id,
                 "payload": r.payload}
                for r in rows
            ]


def _jsonable(doc: Any) -> Any:
    """Round-trip through json so datetimes and numpy scalars are stored as plain values."""
    return json.loads(json.dumps(doc, default=_default))


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy scalar
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
