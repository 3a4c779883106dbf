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
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from reelgate_flows.records.on_loop import RecordsOnLoop
from reelgate_flows.records.record import JobRecord

T = TypeVar("T")


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
        self._on_loop = RecordsOnLoop(url)
        self._closing = False

    async def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._closing or not self._thread.is_alive():
            coroutine.close()
            raise RuntimeError("the job records are closed")
        # Shielded: a caller cancelled midway (a job being stopped) never cancels a transaction
        # on the records' loop, which would leave SQLite's write lock held.
        running = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return await asyncio.shield(asyncio.wrap_future(running))

    def close(self) -> None:
        """Refuse new operations, let those under way end (or roll them back), then close the
        database connections and the thread."""
        if not self._thread.is_alive():
            return
        self._closing = True
        done = asyncio.run_coroutine_threadsafe(self._on_loop.close(), self._loop)
        with contextlib.suppress(Exception):
            done.result(timeout=30)
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
        records (:mod:`reelgate_flows.records.spend`)."""
        return await self._run(self._on_loop.on_engine(work))

    async def of_customer(
        self, customer_id: str, after: str | None = None, limit: int = 20, newest_first: bool = True
    ) -> tuple[list[JobRecord], bool]:
        """A page of ``customer_id``'s undeleted records and whether more follow (see
        ``RecordsOnLoop.of_customer``)."""
        return await self._run(self._on_loop.of_customer(customer_id, after, limit, newest_first))

    async def delete(self, job_id: str) -> None:
        """Mark the job deleted by its customer."""
        await self._run(self._on_loop.delete(job_id))
