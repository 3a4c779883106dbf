"""A worker's publishing of its jobs' progress: each job's step and progress go to its record
(:mod:`reelgate_flows.records.progress`) at every new step and at most once a second in
between, where every API process reads them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from reelgate_flows.admission import run_gate
from reelgate_flows.progress import ProgressEvent
from reelgate_flows.records.progress import set_progress

logger = logging.getLogger("reelgate.api")


class ProgressPublisher:
    """A progress listener (:func:`reelgate_flows.progress.subscribe`); writes on ``loop``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, every_seconds: float = 1.0) -> None:
        self.loop = loop
        self.every_seconds = every_seconds
        self._last: dict[str, tuple[str, float | None, str, float]] = {}

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        last = self._last.get(event.job_id)
        if last is not None:
            step, fraction, message, at = last
            same = (step, fraction, message) == (event.step, event.fraction, event.message)
            if same or (step == event.step and now - at < self.every_seconds):
                return
        self._last[event.job_id] = (event.step, event.fraction, event.message, now)
        asyncio.run_coroutine_threadsafe(self._write(event), self.loop)

    async def _write(self, event: ProgressEvent) -> None:
        with contextlib.suppress(Exception):  # progress is news, never a failure of the job
            await set_progress(
                run_gate().records, event.job_id, event.step, event.fraction, event.message
            )
