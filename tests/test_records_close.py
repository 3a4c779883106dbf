"""Closing the job records while writes are under way (an API process shutting down with jobs
still reporting) leaves no transaction open: the next writer, in any process, is never locked
out of the SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from reelgate.requests import GenerateRequest
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.record import JobRecord


def a_record() -> JobRecord:
    request = GenerateRequest.model_validate({"prompt": "p", "customer_id": "c"})
    return JobRecord.admit(request, None, "fake", "closing-test")


def writing_until(records: JobRecords, stop: threading.Event) -> threading.Thread:
    """A thread of 8 concurrent writers adding records until ``stop`` (or the records close)."""

    async def writer() -> None:
        while not stop.is_set():
            try:
                await records.add(a_record())
            except RuntimeError:  # closed
                return

    async def writers() -> None:
        await asyncio.gather(*(writer() for _ in range(8)))

    thread = threading.Thread(target=lambda: asyncio.run(writers()))
    thread.start()
    return thread


def test_closing_while_writing_leaves_the_database_writable(tmp_path: Path) -> None:
    database = tmp_path / "records.db"
    for _ in range(5):
        records = JobRecords(f"sqlite+aiosqlite:///{database}")
        stop = threading.Event()
        thread = writing_until(records, stop)
        time.sleep(0.3)
        records.close()
        stop.set()
        thread.join(timeout=30)
        other = sqlite3.connect(database, timeout=2)
        try:
            other.execute("BEGIN IMMEDIATE")  # a writer elsewhere
            other.rollback()
        finally:
            other.close()
    assert sqlite3.connect(database).execute("SELECT count(*) FROM reelgate_jobs").fetchone()[0]


async def test_an_operation_after_close_is_refused(tmp_path: Path) -> None:
    records = JobRecords(f"sqlite+aiosqlite:///{tmp_path / 'records.db'}")
    await records.add(a_record())
    records.close()
    with pytest.raises(RuntimeError, match="closed"):
        await records.add(a_record())
