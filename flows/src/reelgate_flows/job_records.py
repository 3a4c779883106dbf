"""Durable admission records of the API's jobs.

A job exists once its record is written: ``POST /video/jobs`` answers after one insert, and the
job's Prefect flow run is created afterwards, off the request path, at the rate the Prefect API
sustains (see :mod:`reelgate_flows.job_ids` for how the record's job id names that run). A
record holds what is needed to create the run again after a crash (the request), the digest of
its scoped Idempotency-Key (unique: one key, one job, for every process sharing the database)
and, once created, the run's id.

Backed by SQLAlchemy's asyncio engine: SQLite (WAL) on one machine, PostgreSQL when several
API processes share the records. An instance belongs to the event loop that first uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reelgate.requests import ExtendRequest, GenerateRequest, request_from_body
from reelgate_flows.idempotency import body_digest, key_digest

T = TypeVar("T")
_METADATA = sa.MetaData()
JOBS = sa.Table(
    "reelgate_jobs",
    _METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("key_digest", sa.String(64), unique=True),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("body_digest", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("customer_id", sa.String(255)),
    sa.Column("provider", sa.String(255), nullable=False),
    sa.Column("admitted_by", sa.String(255), nullable=False),
    sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("flow_run_id", sa.String(36)),
    sa.Column("withdrawn", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_reelgate_jobs_unstarted", "admitted_by", "flow_run_id"),
    sa.Index("ix_reelgate_jobs_customer", "customer_id", "admitted_at"),
)
WEBHOOKS = sa.Table(
    "reelgate_webhooks",
    _METADATA,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("job_id", sa.String(36), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("base_url", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_by", sa.String(255)),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Index("ix_reelgate_webhooks_due", "state", "next_at"),
)
"""The webhook outbox (:mod:`reelgate_flows.outbox`): one delivery per job that named a
``webhook_url``, written in the transaction that admits the job."""
DELETED = sa.Table(
    "reelgate_deleted_jobs",
    _METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
)
"""Jobs their customer deleted (``DELETE /v1/videos/{id}``): kept apart so that the records of
an installation made before deletion existed need no migration."""


@dataclass(frozen=True)
class JobRecord:
    """One admitted job."""

    job_id: str
    body_digest: str
    kind: str
    body: dict[str, Any]
    customer_id: str | None
    provider: str
    admitted_by: str
    idempotency_key: str | None = None
    """The scoped Idempotency-Key (the flow run's ``idempotency_key`` parameter)."""
    flow_run_id: uuid.UUID | None = None
    withdrawn: bool = False
    """Cancelled before its run was created: it never runs."""
    admitted_at: datetime.datetime | None = None
    notify_base_url: str | None = None
    """Where the job's ``webhook_url`` delivery builds its URLs from (admission only)."""
    deleted: bool = False
    """Deleted by its customer: listed and served no more."""

    @classmethod
    def admit(
        cls,
        request: GenerateRequest,
        idempotency_key: str | None,
        provider: str,
        admitted_by: str,
    ) -> JobRecord:
        """A new record (with a new job id) for ``request``."""
        return cls(
            job_id=str(uuid.uuid4()),
            body_digest=body_digest(request),
            kind="extend" if isinstance(request, ExtendRequest) else "generate",
            body=request.model_dump(mode="json", exclude_unset=True),
            customer_id=request.customer_id,
            provider=provider,
            admitted_by=admitted_by,
            idempotency_key=idempotency_key,
        )

    def request(self) -> GenerateRequest:
        """The request, as it was admitted (its unset fields unset)."""
        return request_from_body(self.body, extend=self.kind == "extend")

    @classmethod
    def _of_row(cls, row: sa.RowMapping) -> JobRecord:
        run_id = row["flow_run_id"]
        return cls(
            job_id=row["job_id"],
            body_digest=row["body_digest"],
            kind=row["kind"],
            body=dict(row["request"]),
            customer_id=row["customer_id"],
            provider=row["provider"],
            admitted_by=row["admitted_by"],
            idempotency_key=row["idempotency_key"],
            flow_run_id=uuid.UUID(run_id) if run_id else None,
            withdrawn=bool(row["withdrawn"]),
            admitted_at=_aware(row["admitted_at"]),
            deleted=bool(row.get("deleted_at")),
        )


class JobRecords:
    """The records at ``url`` (a SQLAlchemy async URL); the table is created on first use.

    Usable from any thread and event loop: every operation runs on the records' own thread
    and loop, so a transaction always ends even when the loop of its caller stops midway
    (a lock left held would stop every later admission). :meth:`close` ends the thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="reelgate-job-records"
        )
        self._thread.start()
        self._on_loop = _RecordsOnLoop(url)

    async def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if not self._thread.is_alive():
            coroutine.close()
            raise RuntimeError("the job records are closed")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def close(self) -> None:
        """Close the database connections (after the operations under way) and the thread."""
        if not self._thread.is_alive():
            return
        done = asyncio.run_coroutine_threadsafe(self._on_loop.close(), self._loop)
        with contextlib.suppress(Exception):
            done.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def add(self, record: JobRecord) -> JobRecord:
        """Write ``record``; with an Idempotency-Key, the record already written under that
        key (by any process) when there is one, else ``record``. Records added at the same
        moment are written in one transaction (a burst costs a few commits, not one each)."""
        return await self._run(self._on_loop.add(record))

    async def get(self, job_id: str) -> JobRecord | None:
        return await self._run(self._on_loop.get(job_id))

    async def set_run(self, job_id: str, flow_run_id: uuid.UUID) -> bool:
        """Record the flow run created for ``job_id``; True when the job was withdrawn before
        (its run must then be cancelled: :meth:`withdraw` and this exclude each other)."""
        return await self._run(self._on_loop.set_run(job_id, flow_run_id))

    async def withdraw(self, job_id: str) -> bool:
        """Mark a job whose run was not created yet as never to run; False when its run
        exists already (cancel the run instead)."""
        return await self._run(self._on_loop.withdraw(job_id))

    async def unstarted(self, admitted_by: str) -> list[JobRecord]:
        """``admitted_by``'s records whose run was never created (oldest first), as a crash
        left them."""
        return await self._run(self._on_loop.unstarted(admitted_by))

    async def of_key(self, idempotency_key: str) -> JobRecord | None:
        """The record admitted under a scoped Idempotency-Key, if any."""
        return await self._run(self._on_loop.of_key(idempotency_key))

    async def on_engine(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        """Run ``work`` with the records' engine on their loop: for tables kept beside the
        records (:mod:`reelgate_flows.spend`)."""
        return await self._run(self._on_loop.on_engine(work))

    async def of_customer(
        self, customer_id: str, after: str | None = None, limit: int = 20, newest_first: bool = True
    ) -> tuple[list[JobRecord], bool]:
        """A page of ``customer_id``'s undeleted records and whether more follow (see
        ``_RecordsOnLoop.of_customer``)."""
        return await self._run(self._on_loop.of_customer(customer_id, after, limit, newest_first))

    async def delete(self, job_id: str) -> None:
        """Mark the job deleted by its customer."""
        await self._run(self._on_loop.delete(job_id))


class _RecordsOnLoop:
    """:class:`JobRecords`' operations, on its loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None
        self._waiting: list[tuple[JobRecord, asyncio.Future[JobRecord]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def _ready(self) -> AsyncEngine:
        if self._engine is None:
            engine = _engine_for(self.url)
            for attempt in range(3):
                try:
                    async with engine.begin() as conn:
                        await conn.run_sync(_METADATA.create_all)
                    break
                except (IntegrityError, OperationalError, ProgrammingError):
                    # another process created the table at the same moment
                    if attempt == 2:
                        raise
            self._engine = engine
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def add(self, record: JobRecord) -> JobRecord:
        """Write ``record``; with an Idempotency-Key, the record already written under that
        key (by any process) when there is one, else ``record``. Records added at the same
        moment are written in one transaction (a burst costs a few commits, not one each)."""
        done: asyncio.Future[JobRecord] = asyncio.get_running_loop().create_future()
        self._waiting.append((record, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await done

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                kept = await self._insert([record for record, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for record, done in batch:
                if not done.done():
                    done.set_result(kept[record.job_id])

    async def _insert(self, batch: list[JobRecord]) -> dict[str, JobRecord]:
        """Insert ``batch``; returns, by job id, the record each one stands for (itself, or
        the earlier record of its key)."""
        engine = await self._ready()
        now = datetime.datetime.now(datetime.UTC)
        # One order of unique keys for every process: two batches inserting the same keys in
        # different orders would each wait on the other (PostgreSQL: deadlock detected).
        batch = sorted(batch, key=lambda record: (record.idempotency_key or "", record.job_id))
        rows = [_row_of(record, now) for record in batch]
        insert = (
            postgresql.insert(JOBS) if engine.dialect.name == "postgresql" else sqlite.insert(JOBS)
        )
        digests = {row["key_digest"] for row in rows if row["key_digest"] is not None}
        async with engine.begin() as conn:
            await conn.execute(insert.on_conflict_do_nothing(), rows)
            found = (
                (await conn.execute(sa.select(JOBS).where(JOBS.c.key_digest.in_(digests))))
                .mappings()
                .all()
                if digests
                else []
            )
            by_digest = {row["key_digest"]: JobRecord._of_row(row) for row in found}
            written = [
                record
                for record, row in zip(batch, rows, strict=True)
                if not row["key_digest"] or by_digest[row["key_digest"]].job_id == record.job_id
            ]
            deliveries = [_delivery_of(record, now) for record in written if _notifies(record)]
            if deliveries:
                await conn.execute(WEBHOOKS.insert(), deliveries)
        return {
            record.job_id: by_digest[row["key_digest"]] if row["key_digest"] else record
            for record, row in zip(batch, rows, strict=True)
        }

    async def get(self, job_id: str) -> JobRecord | None:
        return await self._one(JOBS.c.job_id == job_id)

    async def of_key(self, idempotency_key: str) -> JobRecord | None:
        return await self._one(JOBS.c.key_digest == key_digest(idempotency_key))

    async def on_engine(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        return await work(await self._ready())

    async def _one(self, where: sa.ColumnElement[bool]) -> JobRecord | None:
        engine = await self._ready()
        async with engine.connect() as conn:
            row = (await conn.execute(_WITH_DELETED.where(where))).mappings().first()
        return JobRecord._of_row(row) if row is not None else None

    async def of_customer(
        self, customer_id: str, after: str | None, limit: int, newest_first: bool
    ) -> tuple[list[JobRecord], bool]:
        """Up to ``limit`` undeleted records of ``customer_id`` in admission order (newest
        first or oldest first), starting after the job ``after``; and whether more follow."""
        engine = await self._ready()
        order = (JOBS.c.admitted_at, JOBS.c.job_id)
        query = _WITH_DELETED.where(JOBS.c.customer_id == customer_id, DELETED.c.job_id.is_(None))
        async with engine.connect() as conn:
            if after is not None:
                cursor = (
                    await conn.execute(sa.select(*order).where(JOBS.c.job_id == after))
                ).first()
                if cursor is not None:
                    pair = sa.tuple_(*order)
                    query = query.where(
                        pair < tuple(cursor) if newest_first else pair > tuple(cursor)
                    )
            ordered = [c.desc() for c in order] if newest_first else list(order)
            rows = (await conn.execute(query.order_by(*ordered).limit(limit + 1))).mappings().all()
        return [JobRecord._of_row(row) for row in rows[:limit]], len(rows) > limit

    async def delete(self, job_id: str) -> None:
        """Mark ``job_id`` deleted (again: nothing changes)."""
        engine = await self._ready()
        row = {"job_id": job_id, "deleted_at": datetime.datetime.now(datetime.UTC)}
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        async with engine.begin() as conn:
            await conn.execute(dialect.insert(DELETED).values(row).on_conflict_do_nothing())

    async def set_run(self, job_id: str, flow_run_id: uuid.UUID) -> bool:
        """Record the flow run created for ``job_id``; True when the job was withdrawn before
        (its run must then be cancelled: :meth:`withdraw` and this exclude each other)."""
        engine = await self._ready()
        async with engine.begin() as conn:
            await conn.execute(
                JOBS.update().where(JOBS.c.job_id == job_id).values(flow_run_id=str(flow_run_id))
            )
            withdrawn = await conn.scalar(
                sa.select(JOBS.c.withdrawn).where(JOBS.c.job_id == job_id)
            )
        return bool(withdrawn)

    async def withdraw(self, job_id: str) -> bool:
        """Mark a job whose run was not created yet as never to run; False when its run
        exists already (cancel the run instead)."""
        engine = await self._ready()
        async with engine.begin() as conn:
            result = await conn.execute(
                JOBS.update()
                .where(JOBS.c.job_id == job_id, JOBS.c.flow_run_id.is_(None))
                .values(withdrawn=True)
            )
        return bool(result.rowcount)

    async def unstarted(self, admitted_by: str) -> list[JobRecord]:
        """``admitted_by``'s records whose run was never created (oldest first), as a crash
        left them."""
        engine = await self._ready()
        query = (
            sa.select(JOBS)
            .where(
                JOBS.c.admitted_by == admitted_by,
                JOBS.c.flow_run_id.is_(None),
                JOBS.c.withdrawn.is_(False),
            )
            .order_by(JOBS.c.admitted_at)
        )
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [JobRecord._of_row(row) for row in rows]


_WITH_DELETED = sa.select(JOBS, DELETED.c.deleted_at).select_from(
    JOBS.outerjoin(DELETED, DELETED.c.job_id == JOBS.c.job_id)
)


def _aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    """SQLite hands back naive datetimes of what was written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=datetime.UTC)


def _notifies(record: JobRecord) -> bool:
    return bool(record.body.get("webhook_url")) and record.notify_base_url is not None


def _delivery_of(record: JobRecord, now: datetime.datetime) -> dict[str, Any]:
    return {
        "event_id": f"msg_{record.job_id.replace('-', '')}",
        "job_id": record.job_id,
        "url": record.body["webhook_url"],
        "base_url": record.notify_base_url,
        "state": "waiting",
        "attempts": 0,
        "next_at": now,
        "claimed_by": None,
        "claimed_until": None,
    }


def _row_of(record: JobRecord, now: datetime.datetime) -> dict[str, Any]:
    key = record.idempotency_key
    return {
        "job_id": record.job_id,
        "key_digest": key_digest(key) if key else None,
        "idempotency_key": key,
        "body_digest": record.body_digest,
        "kind": record.kind,
        "request": record.body,
        "customer_id": record.customer_id,
        "provider": record.provider,
        "admitted_by": record.admitted_by,
        "admitted_at": now,
        "flow_run_id": None,
        "withdrawn": False,
    }


def _engine_for(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # WAL: readers never wait for the writer, a commit survives a killed process.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
