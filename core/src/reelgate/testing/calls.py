"""Blocking shortcuts for plugin tests: submit, poll until the job ends, download."""

from __future__ import annotations

import asyncio
from typing import Any

from reelgate.jobs import JobStatus, ProviderJob, Queued, Running, VideoRef
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime


def submit_now(
    runtime: Runtime, request: GenerateRequest, *, submission_id: str | None = None, **inputs: Any
) -> ProviderJob:
    """Submit ``request`` (with ``image=`` or ``video=`` inputs) through the runtime."""
    provider = runtime.resolve(request.video.model).spec.provider.name
    ctx = runtime.context(provider, submission_id=submission_id)
    return asyncio.run(runtime.submit(request, ctx, **inputs))


def poll_until_done(runtime: Runtime, job: ProviderJob, polls: int = 10) -> JobStatus:
    """Poll at most ``polls`` times, without waiting; the first status that is not queued or
    running, or the last one."""

    async def poll() -> JobStatus:
        ctx = runtime.context(job.provider)
        status: JobStatus = Queued()
        for _ in range(polls):
            status = await runtime.poll(job, ctx)
            if not isinstance(status, Queued | Running):
                break
        return status

    return asyncio.run(poll())


def download_now(runtime: Runtime, job: ProviderJob, video: VideoRef) -> bytes:
    """Every byte of a finished video."""

    async def download() -> bytes:
        ctx = runtime.context(job.provider)
        return b"".join([chunk async for chunk in runtime.download(job, video, ctx)])

    return asyncio.run(download())
