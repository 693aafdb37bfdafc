"""The repository: the one door to the database for plans, promises and events.

``Settings.db_url`` selects the database (a SQLite file by default,
``postgresql+psycopg://...`` the same way); tables are in
:mod:`engine.store.tables`.  Methods take and return domain records or plain
JSON documents, never ORM rows, so callers do not hold sessions.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from engine.domain.plan import JobStatus, SolveJob
from engine.errors import NotFoundError
from engine.store.tables import Base, EventRow, PlanRow, PromiseRow

__all__ = ["Store", "make_engine"]


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
            s.add(PlanRow(plan_id=plan_id, status=str(JobStatus.QUEUED), problem=_jsonable(problem)))
        return plan_id

    def update_plan(
        self, plan_id: str, status: JobStatus | str, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self._session.begin() as s:
            row = s.get(PlanRow, plan_id)
            if row is None:
                raise NotFoundError(f"no plan with id {plan_id!r}")
            row.status = str(JobStatus(status))
            if result is not None:
                row.result = _jsonable(result)
            row.error = error

    def get_plan(self, plan_id: str) -> SolveJob | None:
        with self._session() as s:
            row = s.get(PlanRow, plan_id)
            if row is None:
                return None
            return SolveJob(
                plan_id=row.plan_id,
                status=JobStatus(row.status),
                problem=row.problem,
                result=row.result,
                error=row.error,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )

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
