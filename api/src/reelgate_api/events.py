"""The Server-Sent Events of a job: ``status`` on every change of status, step or progress,
then one ``result`` event holding the envelope (or error envelope) when the job ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar.response import ServerSentEventMessage

from reelgate_api.job_views import JobView
from reelgate_api.runner import JobRunner

EVENT_POLL_SECONDS = 0.2


async def job_event_stream(
    first: JobView, runner: JobRunner, envelope_of: Callable[[JobView], Any]
) -> AsyncIterator[ServerSentEventMessage]:
    view, last = first, None
    while True:
        snapshot = (view.status, view.step, view.progress)
        if snapshot != last:
            last = snapshot
            status = {
                "job_id": view.job_id,
                "status": view.status,
                "step": view.step,
                "progress": view.progress,
            }
            yield ServerSentEventMessage(event="status", data=json.dumps(status))
        if view.ended:
            yield ServerSentEventMessage(event="result", data=json.dumps(envelope_of(view)))
            return
        await asyncio.sleep(EVENT_POLL_SECONDS)
        view = await runner.view(view.job_id) or view
