"""The webhook outbox: one delivery per job that named a ``webhook_url``, written with the job's
admission record (:data:`~reelgate_flows.records.jobs.WEBHOOKS`), so any process sharing the
records can deliver it — the one that admitted the job may be gone.

A process *claims* a due delivery for a while (an atomic conditional update), and marks it
delivered, or due again later, or failed after its last attempt. A process that dies between
sending and marking leaves a claim that expires: the delivery is sent again with the same
event id (receivers deduplicate on ``webhook-id``), never dropped.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.schema import WEBHOOKS


@dataclass(frozen=True)
class Delivery:
    event_id: str
    job_id: str
    url: str
    base_url: str
    attempts: int


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Outbox:
    """The deliveries in the records at ``records``; ``owner`` names this process's claims."""

    def __init__(self, records: JobRecords, owner: str) -> None:
        self.records = records
        self.owner = owner

    async def claim_due(self, limit: int, hold_seconds: float) -> list[Delivery]:
        """Up to ``limit`` waiting deliveries that are due and claimed by no live claim, now
        claimed by this process for ``hold_seconds``."""

        async def claim(engine: AsyncEngine) -> list[Delivery]:
            now = _now()
            free = sa.or_(WEBHOOKS.c.claimed_until.is_(None), WEBHOOKS.c.claimed_until < now)
            due = sa.and_(WEBHOOKS.c.state == "waiting", WEBHOOKS.c.next_at <= now, free)
            claimed = []
            async with engine.connect() as conn:
                rows = (
                    (
                        await conn.execute(
                            sa.select(WEBHOOKS).where(due).order_by(WEBHOOKS.c.next_at).limit(limit)
                        )
                    )
                    .mappings()
                    .all()
                )
            for row in rows:
                until = now + datetime.timedelta(seconds=hold_seconds)
                async with engine.begin() as conn:
                    taken = await conn.execute(
                        sa.update(WEBHOOKS)
                        .where(WEBHOOKS.c.event_id == row["event_id"], due)
                        .values(claimed_by=self.owner, claimed_until=until)
                    )
                if taken.rowcount == 1:
                    claimed.append(
                        Delivery(
                            row["event_id"],
                            row["job_id"],
                            row["url"],
                            row["base_url"],
                            row["attempts"],
                        )
                    )
            return claimed

        return await self.records.on_engine(claim)

    async def later(self, delivery: Delivery, seconds: float, attempted: bool) -> None:
        """Due again in ``seconds`` (counting an attempt when one was made)."""
        await self._set(
            delivery,
            next_at=_now() + datetime.timedelta(seconds=seconds),
            attempts=delivery.attempts + (1 if attempted else 0),
            claimed_by=None,
            claimed_until=None,
        )

    async def delivered(self, delivery: Delivery) -> None:
        await self._set(delivery, state="delivered", attempts=delivery.attempts + 1)

    async def failed(self, delivery: Delivery) -> None:
        await self._set(delivery, state="failed", attempts=delivery.attempts + 1)

    async def state_of(self, job_id: str) -> dict[str, Any] | None:
        """The delivery of ``job_id`` as stored (for operators and tests)."""

        async def read(engine: AsyncEngine) -> dict[str, Any] | None:
            async with engine.connect() as conn:
                row = (
                    (await conn.execute(sa.select(WEBHOOKS).where(WEBHOOKS.c.job_id == job_id)))
                    .mappings()
                    .first()
                )
            return dict(row) if row is not None else None

        return await self.records.on_engine(read)

    async def _set(self, delivery: Delivery, **values: Any) -> None:
        async def update(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.update(WEBHOOKS)
                    .where(
                        WEBHOOKS.c.event_id == delivery.event_id,
                        WEBHOOKS.c.claimed_by == self.owner,
                    )
                    .values(**values)
                )

        await self.records.on_engine(update)
