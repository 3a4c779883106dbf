"""A job's step and progress kept in its record by the worker running it, so the API processes
of a fleet (deployment mode) report what an in-process API reports from its own runs."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.schema import JOBS


async def set_progress(
    records: JobRecords, job_id: str, step: str, fraction: float | None, message: str = ""
) -> None:
    """Write ``job_id``'s current step, progress (0-1, None: unknown) and the provider's
    latest word on it (``message``, e.g. that it is throttled) to its record."""
    value = {
        "step": step,
        "fraction": None if fraction is None else round(fraction, 4),
        "message": message or None,
    }

    async def write(engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                sa.update(JOBS).where(JOBS.c.job_id == job_id).values(progress=value)
            )

    await records.on_engine(write)
