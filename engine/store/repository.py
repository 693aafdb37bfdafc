"""The repository: the one door to the database for plans, promises and events.

``Settings.db_url`` selects the database (a SQLite file by default,
``postgresql+psycopg://...`` the same way); tables are in
:mod:`engine.store.tables` and the schema is brought up to date by the
Alembic migrations in :mod:`engine.store.migrations` when a ``Store`` opens.
Methods take and return domain records or plain JSON documents, never ORM
rows, so callers do not hold sessions.

A database that fails (locked, read-only, deleted, unreachable) surfaces as
:class:`~engine.errors.UnavailableError` (HTTP 503), never as a bare driver
error, so the API can say "try again" instead of "internal error".
"""

from __future__ import annotations

import contextlib
import threading
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, delete, event, func, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from engine.domain.plan import JobStatus, SolveJob
from engine.errors import NotFoundError, UnavailableError
from engine.store.tables import EventRow, PlanRow, PromiseRow

__all__ = ["Store", "RawJSON", "make_engine", "migrate"]


class RawJSON(str):
    """JSON text to store as it is, in a JSON column (a plan's problem or result).

    Why: the API process receives a plan's problem already serialised (from its parse
    process) and its result already serialised (from the solver process).  Parsing
    100 kB documents there only to serialise them again costs the event loop's
    interpreter milliseconds each and leaves tens of thousands of objects for the
    garbage collector, whose full passes then stall every request.  The text must be
    valid JSON; it is read back as a document like any other.
    """

    __slots__ = ()


def _dumps(doc: Any) -> str:
    """The engines' JSON serialiser: ``RawJSON`` as it is, anything else as SQLAlchemy would."""
    return str.__str__(doc) if isinstance(doc, RawJSON) else json.dumps(doc)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision that matches databases created before migrations existed.
_BASELINE = "0001"


def make_engine(url: str | None = None) -> Engine:
    if url is None:
        from engine.config import get_settings

        url = get_settings().db_url
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 5}, "json_serializer": _dumps}
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or every session would see its own empty database.
            kwargs["poolclass"] = StaticPool
            return create_engine(url, **kwargs)
        engine = create_engine(url, **kwargs)
        path = engine.url.database

        @event.listens_for(engine, "begin")
        def _file_intact(conn: Any) -> None:
            # An open connection keeps working on a file deleted or overwritten under it;
            # a server must notice instead of writing where nobody will read.
            if path and not _sqlite_header_ok(path):
                raise UnavailableError(f"database unavailable: the SQLite file {path} is gone or not a database", retry_after_s=5)


        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_dumps)


def _sqlite_header_ok(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head == b"SQLite format 3\x00" or head == b""  # empty: a new database about to be created


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a pre-migration database is adopted first)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "plans" in tables and "alembic_version" not in tables:
            command.stamp(cfg, _BASELINE)
        command.upgrade(cfg, "head")


@contextlib.contextmanager
def _db_faults() -> Iterator[None]:
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0][:200]
        raise UnavailableError(f"database unavailable: {reason}", retry_after_s=5) from exc


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(t: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone=True columns; they were stored as UTC.
    return t.replace(tzinfo=timezone.utc) if t is not None and t.tzinfo is None else t


class _OneAtATime:
    """A ``sessionmaker`` whose sessions hold one lock while open.

    An in-memory SQLite database is a single shared connection (``StaticPool``):
    two threads with a session each would run one transaction inside the other
    ("cannot start a transaction within a transaction").  Files and PostgreSQL
    have a connection per session and do not need this.
    """

    def __init__(self, maker: sessionmaker) -> None:
        self._maker = maker
        self.lock = threading.RLock()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[Any]:
        with self.lock, self._maker() as s:
            yield s

    @contextlib.contextmanager
    def begin(self) -> Iterator[Any]:
        with self.lock, self._maker.begin() as s:
            yield s


class Store:
    """Repository over the tables; safe to share between threads."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        with _db_faults():
            migrate(self.engine)
        maker = sessionmaker(self.engine, expire_on_commit=False)
        self._session: Any = _OneAtATime(maker) if isinstance(self.engine.pool, StaticPool) else maker

    def ping(self) -> None:
        """Raise ``UnavailableError`` unless the database answers and accepts writes."""
        one = getattr(self._session, "lock", None)
        # A SQLite file deleted or overwritten under us is caught when the transaction begins (make_engine).
        with _db_faults(), one if one is not None else contextlib.nullcontext(), self.engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            # A read-only or deleted SQLite file still answers SELECT: try a write that changes nothing.
            conn.execute(update(PlanRow).where(PlanRow.plan_id == "").values(status=PlanRow.status))

    # plans ---------------------------------------------------------------
    def create_plan(self, problem: dict[str, Any] | RawJSON, params: dict[str, Any] | None = None) -> str:
        """Store a plan as ``queued``; ``problem`` is a document, or its JSON text as ``RawJSON``."""
        plan_id = str(uuid.uuid4())
        with _db_faults(), self._session.begin() as s:
            s.add(PlanRow(
                plan_id=plan_id, status=str(JobStatus.QUEUED), problem=_as_stored(problem),
                params=_jsonable(params or {}), attempts=0,
            ))
        return plan_id

    def update_plan(
        self, plan_id: str, status: JobStatus | str, result: dict[str, Any] | RawJSON | None = None, error: str | None = None
    ) -> None:
        """Set a plan's status (``running`` counts an attempt and beats), its result or its error.

        One UPDATE statement: the stored problem and result are not read back.
        """
        status = JobStatus(status)
        values: dict[str, Any] = {"status": str(status), "error": error}
        if status == JobStatus.RUNNING:
            values["attempts"] = func.coalesce(PlanRow.attempts, 0) + 1
            values["heartbeat_at"] = _now()
        if result is not None:
            values["result"] = _as_stored(result)
        with _db_faults(), self._session.begin() as s:
            n = s.execute(update(PlanRow).where(PlanRow.plan_id == plan_id).values(**values)).rowcount
        if not n:
            raise NotFoundError(f"no plan with id {plan_id!r}")

    def heartbeat(self, plan_ids: list[str]) -> None:
        """Mark running solves as alive (the server writes this every few seconds)."""
        if not plan_ids:
            return
        with _db_faults(), self._session.begin() as s:
            s.execute(update(PlanRow).where(PlanRow.plan_id.in_(plan_ids)).values(heartbeat_at=_now()))

    def get_plan(self, plan_id: str) -> SolveJob | None:
        with _db_faults(), self._session() as s:
            row = s.get(PlanRow, plan_id)
            return None if row is None else _job(row)

    def plans_with_status(self, *statuses: JobStatus) -> list[SolveJob]:
        with _db_faults(), self._session() as s:
            rows = s.scalars(
                select(PlanRow).where(PlanRow.status.in_([str(x) for x in statuses])).order_by(PlanRow.created_at)
            ).all()
            return [_job(r) for r in rows]

    def recover(self, *, max_attempts: int) -> list[SolveJob]:
        """After a restart: plans left ``running`` go back to ``queued`` (or ``failed`` once they
        have died ``max_attempts`` times); return every plan to queue again, oldest first."""
        with _db_faults(), self._session.begin() as s:
            for row in s.scalars(select(PlanRow).where(PlanRow.status == str(JobStatus.RUNNING))).all():
                if (row.attempts or 0) >= max_attempts:
                    row.status = str(JobStatus.FAILED)
                    row.error = (
                        f"server restarted during the solve ({row.attempts} attempt(s)); "
                        "not retried again: submit it anew, with a shorter time_limit or fewer orders"
                    )
                else:
                    row.status = str(JobStatus.QUEUED)
                    row.error = None
        return self.plans_with_status(JobStatus.QUEUED)

    def requeue(self, plan_ids: list[str], reason: str) -> None:
        """Put interrupted solves back in the queue (a graceful shutdown), without counting an attempt."""
        if not plan_ids:
            return
        with _db_faults(), self._session.begin() as s:
            for row in s.scalars(select(PlanRow).where(PlanRow.plan_id.in_(plan_ids))).all():
                if row.status == str(JobStatus.RUNNING):
                    row.status = str(JobStatus.QUEUED)
                    row.attempts = max(0, (row.attempts or 0) - 1)
                    row.error = reason

    def prune(self, *, keep_days: float, max_plans: int) -> int:
        """Delete finished plans older than ``keep_days``, then the oldest finished beyond ``max_plans``."""
        finished = PlanRow.status.in_([str(JobStatus.DONE), str(JobStatus.FAILED)])
        with _db_faults(), self._session.begin() as s:
            n = s.execute(delete(PlanRow).where(finished, PlanRow.created_at < _now() - timedelta(days=keep_days))).rowcount or 0
            total = s.scalar(select(func.count()).select_from(PlanRow)) or 0
            excess = total - max_plans
            if excess > 0:
                old = s.scalars(select(PlanRow.plan_id).where(finished).order_by(PlanRow.created_at).limit(excess)).all()
                if old:
                    n += s.execute(delete(PlanRow).where(PlanRow.plan_id.in_(old))).rowcount or 0
        return int(n)

    def count_plans(self) -> int:
        with _db_faults(), self._session() as s:
            return int(s.scalar(select(func.count()).select_from(PlanRow)) or 0)

    # promises ------------------------------------------------------------
    def save_promise(
        self, order_id: str, carrier: str, service: str, promised_by: datetime, probability: float,
        document: dict[str, Any],
    ) -> str:
        promise_id = str(uuid.uuid4())
        with _db_faults(), self._session.begin() as s:
            s.add(PromiseRow(
                promise_id=promise_id, order_id=order_id, carrier=carrier, service=service,
                promised_by=promised_by, probability=probability, document=_jsonable(document),
            ))
        return promise_id

    def promises_for(self, order_id: str) -> list[dict[str, Any]]:
        with _db_faults(), self._session() as s:
            rows = s.scalars(select(PromiseRow).where(PromiseRow.order_id == order_id)).all()
            return [dict(r.document, promise_id=r.promise_id) for r in rows]

    # events --------------------------------------------------------------
    def add_event(
        self, kind: str, at: datetime, order_id: str | None = None, vehicle_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        with _db_faults(), self._session.begin() as s:
            row = EventRow(kind=kind, at=at, order_id=order_id, vehicle_id=vehicle_id, payload=_jsonable(payload or {}))
            s.add(row)
            s.flush()
            return row.event_id

    def events_for(self, order_id: str) -> list[dict[str, Any]]:
        with _db_faults(), self._session() as s:
            rows = s.scalars(select(EventRow).where(EventRow.order_id == order_id).order_by(EventRow.at)).all()
            return [
                {"kind": r.kind, "at": r.at.isoformat(), "order_id": r.order_id, "vehicle_id": r.vehicle_id,
                 "payload": r.payload}
                for r in rows
            ]

    def add_events(self, rows: list[tuple[str, datetime, str | None, dict[str, Any]]]) -> int:
        """Many ``(kind, at, order_id, payload)`` events in one transaction; returns the last event id."""
        if not rows:
            return 0
        with _db_faults(), self._session.begin() as s:
            objs = [EventRow(kind=k, at=at, order_id=o, payload=_jsonable(p)) for k, at, o, p in rows]
            s.add_all(objs)
            s.flush()
            return max(r.event_id for r in objs)

    def events_after(self, kinds: list[str], *, after_id: int, since: datetime | None = None,
                     limit: int = 100_000) -> list[tuple[int, str, datetime, str | None, dict[str, Any]]]:
        """Events of ``kinds`` with an id above ``after_id`` (and at or after ``since``), in id order: ``(id, kind, at, order_id, payload)``."""
        q = select(EventRow.event_id, EventRow.kind, EventRow.at, EventRow.order_id, EventRow.payload).where(
            EventRow.kind.in_(kinds), EventRow.event_id > after_id)
        if since is not None:
            q = q.where(EventRow.at >= since)
        with _db_faults(), self._session() as s:
            return [(int(r[0]), r[1], r[2] if r[2].tzinfo else r[2].replace(tzinfo=timezone.utc), r[3], r[4])
                    for r in s.execute(q.order_by(EventRow.event_id).limit(limit)).all()]

    # live monitor (issue 12) -----------------------------------------------
    def monitor_start(self, plan_key: str, plan: dict[str, Any], promises: dict[str, Any], params: dict[str, Any],
                      state: dict[str, Any] | None = None) -> None:
        """Watch ``plan`` and make it the active one; a plan of the same key is replaced, its events and warnings dropped."""
        from engine.store.tables import MonitorEventRow, MonitorPlanRow, MonitorWarningRow

        with _db_faults(), self._session.begin() as s:
            # A fresh watch: old rows would make its events look repeated and its warning ids collide.
            s.execute(delete(MonitorEventRow).where(MonitorEventRow.plan_key == plan_key))
            s.execute(delete(MonitorWarningRow).where(MonitorWarningRow.plan_key == plan_key))
            s.execute(update(MonitorPlanRow).where(MonitorPlanRow.active.is_(True)).values(active=False))
            row = s.get(MonitorPlanRow, plan_key)
            if row is None:
                row = MonitorPlanRow(plan_key=plan_key, version=0)
                s.add(row)
            row.active = True
            row.plan, row.promises, row.params = _jsonable(plan), _jsonable(promises), _jsonable(params)
            row.state = _jsonable(state) if state is not None else None
            row.version = (row.version or 0) + 1

    def monitor_active(self) -> dict[str, Any] | None:
        """The active watched plan: ``plan_key``, ``plan``, ``promises``, ``params``, ``version`` (no state)."""
        from engine.store.tables import MonitorPlanRow

        with _db_faults(), self._session() as s:
            row = s.scalars(select(MonitorPlanRow).where(MonitorPlanRow.active.is_(True))).first()
            if row is None:
                return None
            return {"plan_key": row.plan_key, "plan": row.plan, "promises": row.promises, "params": row.params,
                    "version": row.version}

    def monitor_transaction(self, plan_key: str, work: Any) -> Any:
        """Run ``work`` on a watched plan's state under its write lock, and store what it returns.

        ``work(version, load_state, existing)`` gets the version before this write,
        ``load_state()`` (the stored state, read only when called) and
        ``existing(ids)`` (which of these event ids are stored already); it returns
        a dict with ``state`` (new state or None to keep), ``events`` (documents
        with ``event_id``, ``kind``, ``at``), ``warnings`` (documents with
        ``warning_id``, ``order_id``, ``kind``, ``severity``, ``at``),
        ``records`` (the same warnings as ``DelayWarning``: the new ones go to
        tickets and notifications, :func:`engine.store.aftersales.after_warnings`),
        ``delivered`` ((order id, time) pairs: ``after_delivered``),
        ``accepted`` (warning ids) and ``result`` (returned to the caller with
        the new version).  One writer at a time per plan: the version bump comes
        first, so a second worker waits for the first (SQLite's write lock, a row
        lock on PostgreSQL) and then sees its state.
        """
        from engine.store.tables import MonitorEventRow, MonitorPlanRow, MonitorWarningRow

        with _db_faults(), self._session.begin() as s:
            n = s.execute(update(MonitorPlanRow).where(MonitorPlanRow.plan_key == plan_key)
                          .values(version=MonitorPlanRow.version + 1)).rowcount
            if not n:
                raise NotFoundError(f"no watched plan {plan_key!r}: start the monitor first")
            version = int(s.scalar(select(MonitorPlanRow.version).where(MonitorPlanRow.plan_key == plan_key)) or 0)

            def load_state() -> dict[str, Any] | None:
                return s.scalar(select(MonitorPlanRow.state).where(MonitorPlanRow.plan_key == plan_key))

            def existing(ids: list[str]) -> set[str]:
                found: set[str] = set()
                for i in range(0, len(ids), 500):
                    found.update(s.scalars(select(MonitorEventRow.event_id).where(
                        MonitorEventRow.plan_key == plan_key, MonitorEventRow.event_id.in_(ids[i:i + 500]))).all())
                return found

            out = work(version - 1, load_state, existing)
            # Documents arrive JSON-ready (the monitor's records): no round trip through json here,
            # and executemany rather than one statement with thousands of parameters.
            now = _now()
            evs = out.get("events") or []
            if evs:
                s.execute(_insert_ignore(s, MonitorEventRow.__table__, "plan_key", "event_id"), [
                    {"event_id": d["event_id"], "plan_key": plan_key, "kind": d["kind"], "at": float(d["at"]),
                     "document": d, "received_at": now} for d in evs])
            fresh_ids: set[str] = set()
            if out.get("warnings"):
                ids = [d["warning_id"] for d in out["warnings"]]
                fresh_ids = set(ids) - set(s.scalars(select(MonitorWarningRow.warning_id).where(MonitorWarningRow.warning_id.in_(ids))).all())
                s.execute(_insert_ignore(s, MonitorWarningRow.__table__, "warning_id"), [
                    {"warning_id": d["warning_id"], "plan_key": plan_key, "order_id": d["order_id"], "kind": d["kind"],
                     "severity": d["severity"], "at": float(d["at"]), "accepted": bool(d.get("accepted", False)),
                     "document": d, "created_at": now} for d in out["warnings"]])
            # Tickets and notifications commit with the warnings that cause them (each warning once).
            if out.get("records") or out.get("delivered"):
                from engine.store.aftersales import after_delivered, after_warnings

                records = [r for r in out.get("records") or () if r.warning_id in fresh_ids]
                if records:
                    after_warnings(s, records)
                for order_id, at in out.get("delivered") or ():
                    after_delivered(s, order_id, at)
            for wid in out.get("accepted", ()):
                row = s.scalars(select(MonitorWarningRow).where(MonitorWarningRow.warning_id == wid)).first()
                if row is not None:
                    row.accepted = True
                    row.document = dict(row.document, accepted=True)
            if out.get("state") is not None:
                s.execute(update(MonitorPlanRow).where(MonitorPlanRow.plan_key == plan_key).values(state=out["state"]))
        return out.get("result"), version

    def monitor_version(self, plan_key: str) -> int | None:
        from engine.store.tables import MonitorPlanRow

        with _db_faults(), self._session() as s:
            v = s.scalar(select(MonitorPlanRow.version).where(MonitorPlanRow.plan_key == plan_key))
            return None if v is None else int(v)

    def monitor_warnings(self, *, plan_key: str | None = None, since: float | None = None, severity: list[str] | None = None,
                         order_id: str | None = None, kind: str | None = None, after: int = 0,
                         limit: int = 100) -> list[dict[str, Any]]:
        """Stored notices in arrival order (``row_no``), filtered; ``after`` pages past a ``row_no``."""
        from engine.store.tables import MonitorWarningRow as W

        q = select(W).where(W.row_no > after)
        if plan_key is not None:
            q = q.where(W.plan_key == plan_key)
        if since is not None:
            q = q.where(W.at >= since)
        if severity:
            q = q.where(W.severity.in_(severity))
        if order_id is not None:
            q = q.where(W.order_id == order_id)
        if kind is not None:
            q = q.where(W.kind == kind)
        with _db_faults(), self._session() as s:
            rows = s.scalars(q.order_by(W.row_no).limit(limit)).all()
            return [dict(r.document, row_no=r.row_no, accepted=r.accepted) for r in rows]

    def monitor_warning(self, warning_id: str) -> dict[str, Any] | None:
        from engine.store.tables import MonitorWarningRow as W

        with _db_faults(), self._session() as s:
            r = s.scalars(select(W).where(W.warning_id == warning_id)).first()
            return None if r is None else dict(r.document, row_no=r.row_no, accepted=r.accepted)

    def monitor_event_count(self, plan_key: str) -> int:
        from engine.store.tables import MonitorEventRow

        with _db_faults(), self._session() as s:
            return int(s.scalar(select(func.count()).select_from(MonitorEventRow).where(MonitorEventRow.plan_key == plan_key)) or 0)

    def monitor_state(self, plan_key: str) -> dict[str, Any] | None:
        """A watched plan's last written monitor state (read without the write lock)."""
        from engine.store.tables import MonitorPlanRow

        with _db_faults(), self._session() as s:
            return s.scalar(select(MonitorPlanRow.state).where(MonitorPlanRow.plan_key == plan_key))



def _job(row: PlanRow) -> SolveJob:
    return SolveJob(
        plan_id=row.plan_id,
        status=JobStatus(row.status),
        problem=row.problem,
        result=row.result,
        error=row.error,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        params=dict(row.params or {}),
        attempts=int(row.attempts or 0),
        heartbeat_at=_aware(row.heartbeat_at),
    )


def _jsonable(doc: Any) -> Any:
    """Round-trip through json so datetimes and numpy scalars are stored as plain values."""
    return json.loads(json.dumps(doc, default=_default))


def _as_stored(doc: Any) -> Any:
    return doc if isinstance(doc, RawJSON) else _jsonable(doc)


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy scalar
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _insert_ignore(session: Any, table: Any, *key: str) -> Any:
    """INSERT (run with a list of rows) that skips rows whose ``key`` is already stored (SQLite and PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(key))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(key))
