"""How a job's progress is followed: :func:`view_changes` yields each new view of a job (the
SSE stream of the HTTP face and the service's job iterators both read it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable

from reelgate_api.jobs.views import JobView

EVENT_POLL_SECONDS = 0.2


async def view_changes(
    first: JobView, read: Callable[[str], Awaitable[JobView | None]]
) -> AsyncGenerator[JobView]:
    """``first``, then every view of the job whose status, step, progress (to hundredths) or
    message differs from the last one yielded, read every ``EVENT_POLL_SECONDS``; the last
    one yielded has ended."""
    view, last = first, None
    while True:
        progress = None if view.progress is None else round(view.progress, 2)
        snapshot = (view.status, view.step, progress, view.message)
        if snapshot != last:
            last = snapshot
            yield view
        if view.ended:
            return
        await asyncio.sleep(EVENT_POLL_SECONDS)
        view = await read(view.job_id) or view
