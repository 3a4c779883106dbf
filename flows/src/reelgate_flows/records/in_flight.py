"""The jobs counted against fair shares, in the job records' database (shared by every process
of a fleet): one row per job that is ``admitted`` (counted from admission, where a full share
refuses), ``waiting`` for a slot, or ``holding`` one while its provider makes the video.

Every row has a lease: a process renews the leases of its jobs while they wait or hold, and a
row whose lease ran out (its process died) counts no more. A slot is taken in one transaction
that reads every live row under a lock (PostgreSQL: an advisory lock; SQLite: the write lock,
taken by the first statement), so two processes never both take the last slot.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.schema import IN_FLIGHT, aware

TAKE_LOCK = 0x7265656C  # "reel": the advisory lock of taking slots on PostgreSQL


@dataclass(frozen=True)
class Counted:
    """One job counted against fair shares."""

    job_id: str
    customer_id: str
    key_id: str | None
    provider: str | None
    state: str
    since: datetime.datetime


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class InFlight:
    """The counted jobs in ``records``' database; leases last ``lease_seconds``."""

    def __init__(self, records: JobRecords, lease_seconds: float = 300.0) -> None:
        self.records = records
        self.lease = datetime.timedelta(seconds=lease_seconds)

    async def admit(
        self,
        job_id: str,
        customer_id: str,
        key_id: str | None,
        fits: Callable[[list[Counted]], bool],
    ) -> bool:
        """Count ``job_id`` from its admission when ``fits`` says the live rows leave room for
        it (a job counted already stays counted); False when they do not."""
        row = {"job_id": job_id, "customer_id": customer_id, "key_id": key_id}

        async def write(engine: AsyncEngine) -> bool:
            now = _now()
            async with engine.begin() as conn:
                await _lock(conn)
                rows = await _live(conn, now)
                if any(counted.job_id == job_id for counted in rows):
                    return True
                if not fits(rows):
                    return False
                values = {**row, "state": "admitted", "since": now, "lease_until": now + self.lease}
                await conn.execute(IN_FLIGHT.insert().values(**values))
            return True

        return await self.records.on_engine(write)

    async def enqueue(
        self, job_id: str, customer_id: str, key_id: str | None, provider: str
    ) -> bool:
        """Count ``job_id`` as waiting for a slot at ``provider`` (from its admission's place,
        when it was counted then); True when it holds one already (an earlier run of the job
        took it: the job resumes where it was)."""

        async def write(engine: AsyncEngine) -> bool:
            now = _now()
            try:
                async with engine.begin() as conn:
                    values = {
                        "job_id": job_id,
                        "customer_id": customer_id,
                        "key_id": key_id,
                        "provider": provider,
                        "state": "waiting",
                        "since": now,
                        "lease_until": now + self.lease,
                    }
                    await conn.execute(IN_FLIGHT.insert().values(**values))
                return False
            except IntegrityError:
                async with engine.begin() as conn:
                    done = await conn.execute(
                        sa.update(IN_FLIGHT)
                        .where(IN_FLIGHT.c.job_id == job_id, IN_FLIGHT.c.state != "holding")
                        .values(provider=provider, state="waiting", lease_until=now + self.lease)
                    )
                return done.rowcount == 0

        return await self.records.on_engine(write)

    async def live(self) -> list[Counted]:
        """Every counted job whose lease has not run out."""

        async def read(engine: AsyncEngine) -> list[Counted]:
            async with engine.connect() as conn:
                return await _live(conn, _now())

        return await self.records.on_engine(read)

    async def take(self, job_id: str, may_take: Callable[[list[Counted]], bool]) -> bool:
        """Mark waiting ``job_id`` holding when ``may_take`` says so of the live rows, read
        under the lock; whether it holds a slot now."""

        async def write(engine: AsyncEngine) -> bool:
            now = _now()
            async with engine.begin() as conn:
                await _lock(conn)  # SQLite: the update below would take it too
                mine = (
                    sa.update(IN_FLIGHT)
                    .where(IN_FLIGHT.c.job_id == job_id)
                    .values(lease_until=now + self.lease)
                )
                if (await conn.execute(mine)).rowcount != 1:
                    return False  # released meanwhile (the job was stopped)
                rows = await _live(conn, now)
                if not may_take(rows):
                    return False
                await conn.execute(
                    sa.update(IN_FLIGHT).where(IN_FLIGHT.c.job_id == job_id).values(state="holding")
                )
            return True

        return await self.records.on_engine(write)

    async def renew(self, job_ids: list[str]) -> None:
        """Extend the leases of these jobs (this process's, waiting or holding)."""
        if not job_ids:
            return
        until = _now() + self.lease
        statement = (
            sa.update(IN_FLIGHT).where(IN_FLIGHT.c.job_id.in_(job_ids)).values(lease_until=until)
        )
        await self._write(statement)

    async def release(self, job_id: str) -> None:
        """Count ``job_id`` no more (its provider finished, or it ended)."""
        await self._write(sa.delete(IN_FLIGHT).where(IN_FLIGHT.c.job_id == job_id))

    async def _write(self, statement: sa.Executable) -> None:
        async def run(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                await conn.execute(statement)

        await self.records.on_engine(run)


async def _live(conn: AsyncConnection, now: datetime.datetime) -> list[Counted]:
    rows = (await conn.execute(sa.select(IN_FLIGHT).where(IN_FLIGHT.c.lease_until > now))).all()
    return [
        Counted(
            row.job_id,
            row.customer_id,
            row.key_id,
            row.provider,
            row.state,
            aware(row.since) or now,
        )
        for row in rows
    ]


async def _lock(conn: AsyncConnection) -> None:
    """Serialise the transactions that count: on PostgreSQL an advisory lock, on SQLite its
    one write lock (taken by a write that changes nothing, before anything is read)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(TAKE_LOCK)))
    else:
        await conn.execute(sa.update(IN_FLIGHT).where(sa.false()).values(state=IN_FLIGHT.c.state))
