"""How a job's progress is streamed: :func:`job_event_stream` turns the views that
:func:`~reelgate_api.jobs.changes.view_changes` yields into the Server-Sent Events of
``/video/jobs/{id}/events``: ``status`` on every change of status, step or progress, then one
``result`` event holding the envelope (or error envelope) when the job ends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar.response import ServerSentEventMessage

from reelgate_api.jobs.changes import view_changes
from reelgate_api.jobs.views import JobView


def event_id(view: JobView) -> str:
    """The ``id:`` of a status event: the snapshot it reports (status, step, progress), so a
    client reconnecting with ``Last-Event-ID`` is not sent the snapshot it has again."""
    progress = "" if view.progress is None else f"{view.progress:.2f}"
    return f"{view.status}.{view.step or ''}.{progress}"


async def job_event_stream(
    first: JobView,
    read: Callable[[str], Awaitable[JobView | None]],
    envelope_of: Callable[[JobView], Any],
    last_event_id: str | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The events of a job from ``first`` on; progress is rounded to hundredths (a change
    smaller than that is no event). ``last_event_id``: what a reconnecting client last had."""
    async for view in view_changes(first, read):
        status = {
            "job_id": view.job_id,
            "status": view.status,
            "step": view.step,
            "progress": None if view.progress is None else round(view.progress, 2),
            "message": view.message,
        }
        ident = event_id(view)
        if ident != last_event_id:
            yield ServerSentEventMessage(event="status", data=json.dumps(status), id=ident)
        last_event_id = None
        if view.ended:
            yield ServerSentEventMessage(
                event="result", data=json.dumps(envelope_of(view)), id=f"{ident}.result"
            )
