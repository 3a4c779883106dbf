"""The job records' operations, on the records' own loop
(:class:`~reelgate_flows.records.jobs.JobRecords` runs them there)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from reelgate_flows.idempotency import key_digest
from reelgate_flows.records.record import JobRecord, delivery_of, notifies, row_of
from reelgate_flows.records.schema import (
    DELETED,
    JOBS,
    WEBHOOKS,
    WITH_DELETED,
    create_schema,
    engine_for,
)

T = TypeVar("T")


class RecordsOnLoop:
    """:class:`JobRecords`' operations, on its loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None
        self._waiting: list[tuple[JobRecord, asyncio.Future[JobRecord]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def _ready(self) -> AsyncEngine:
        if self._engine is None:
            engine = engine_for(self.url)
            for attempt in range(3):
                try:
                    async with engine.begin() as conn:
                        await conn.run_sync(create_schema)
                    break
                except (IntegrityError, OperationalError, ProgrammingError):
                    # another process created the table at the same moment
                    if attempt == 2:
                        raise
            self._engine = engine
        return self._engine

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Let the operations under way on this loop end (cancelling those still running
        after ``grace_seconds``, which rolls their transactions back), then close the
        connections. A transaction left open on a stopped loop would hold SQLite's write
        lock for as long as the process lives."""
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if others:
            _, late = await asyncio.wait(others, timeout=grace_seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=grace_seconds)
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
        rows = [row_of(record, now) for record in batch]
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
            deliveries = [delivery_of(record, now) for record in written if notifies(record)]
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
            row = (await conn.execute(WITH_DELETED.where(where))).mappings().first()
        return JobRecord._of_row(row) if row is not None else None

    async def of_customer(
        self, customer_id: str, after: str | None, limit: int, newest_first: bool
    ) -> tuple[list[JobRecord], bool]:
        """Up to ``limit`` undeleted records of ``customer_id`` in admission order (newest
        first or oldest first), starting after the job ``after`` (a job of the same customer;
        any other cursor starts at the beginning, as an unknown one does); and whether more
        follow."""
        engine = await self._ready()
        order = (JOBS.c.admitted_at, JOBS.c.job_id)
        query = WITH_DELETED.where(JOBS.c.customer_id == customer_id, DELETED.c.job_id.is_(None))
        async with engine.connect() as conn:
            if after is not None:
                cursor = (
                    await conn.execute(
                        sa.select(*order).where(
                            JOBS.c.job_id == after, JOBS.c.customer_id == customer_id
                        )
                    )
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
