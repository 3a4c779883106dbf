"""How a job's progress is followed: :func:`view_changes` yields each new view of a job, and
:func:`job_event_stream` turns them into the Server-Sent Events of ``/video/jobs/{id}/events``:
``status`` on every change of status, step or progress, then one ``result`` event holding the
envelope (or error envelope) when the job ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar.response import ServerSentEventMessage

from reelgate_api.job_views import JobView

EVENT_POLL_SECONDS = 0.2


async def view_changes(
    first: JobView, read: Callable[[str], Awaitable[JobView | None]]
) -> AsyncIterator[JobView]:
    """``first``, then every view of the job whose status, step or progress differs from the
    last one yielded, read every ``EVENT_POLL_SECONDS``; the last one yielded has ended."""
    view, last = first, None
    while True:
        snapshot = (view.status, view.step, view.progress)
        if snapshot != last:
            last = snapshot
            yield view
        if view.ended:
            return
        await asyncio.sleep(EVENT_POLL_SECONDS)
        view = await read(view.job_id) or view


async def job_event_stream(
    first: JobView,
    read: Callable[[str], Awaitable[JobView | None]],
    envelope_of: Callable[[JobView], Any],
) -> AsyncIterator[ServerSentEventMessage]:
    async for view in view_changes(first, read):
        status = {
            "job_id": view.job_id,
            "status": view.status,
            "step": view.step,
            "progress": view.progress,
        }
        yield ServerSentEventMessage(event="status", data=json.dumps(status))
        if view.ended:
            yield ServerSentEventMessage(event="result", data=json.dumps(envelope_of(view)))
