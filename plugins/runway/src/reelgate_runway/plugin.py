"""The hooks of the Runway plugin: text-to-video and image-to-video (a first frame), polled on
``/v1/tasks/{id}`` until the task ends, its output fetched from URLs that expire (an expired
one is replaced by reading the task again), and cancel by DELETE.

A create is sent once. When its answer is lost, nothing can prove whether Runway made the
task, so it is never sent again: the job ends in a final error naming where to look
(``reelgate.sent_once``). A DELETE of a finished task deletes it and
its output, so a cancel never deletes a task that has ended."""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

from reelgate import (
    Cancelled,
    Failed,
    GenerateRequest,
    ImageInput,
    JobError,
    JobStatus,
    ModelSpec,
    ProviderContext,
    ProviderJob,
    Queued,
    Running,
    Submission,
    Succeeded,
    VideoRef,
    hookimpl,
)
from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderUnavailableError,
    ReelgateError,
)
from reelgate.sent_once import sent_once
from reelgate_runway.client import delete, send, stream
from reelgate_runway.spec import MODELS, RATIOS, RUNWAY, VEO_RATIOS

logger = logging.getLogger("reelgate.runway")
UNKNOWN_STATUSES: Counter[str] = Counter()
"""Status strings Runway answered that this plugin does not know, by string (status drift)."""
ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")
THROTTLED = "throttled by Runway: the organisation's concurrent generations are all in use"


@hookimpl
def reelgate_models() -> Sequence[ModelSpec]:
    return list(MODELS)


def _ratio(model: ModelSpec, request: GenerateRequest) -> str:
    video = request.video
    if model.capabilities.resolutions is None:
        return RATIOS[video.aspect_ratio]
    resolution = video.resolution or model.default_resolution or "720p"
    return VEO_RATIOS[(video.aspect_ratio, resolution)]


def _body(model: ModelSpec, request: GenerateRequest) -> dict[str, Any]:
    video = request.video
    body: dict[str, Any] = {
        "model": model.provider_model,
        "promptText": request.prompt,
        "ratio": _ratio(model, request),
        "duration": video.duration_seconds,
    }
    if video.seed is not None:
        body["seed"] = video.seed
    if model.capabilities.audio:
        body["audio"] = bool(video.generate_audio)
        if video.negative_prompt:
            body["negativePrompt"] = video.negative_prompt
    return body


async def _create(ctx: ProviderContext, path: str, body: dict[str, Any]) -> Submission:
    async with sent_once(RUNWAY, "Runway") as sent_at:
        answer = await send(ctx, "POST", path, "create", json=body)
        task_id = answer.get("id")
        if not task_id:
            raise ProviderUnavailableError(
                "Runway answered the create without a task id", provider="runway"
            )
    state: dict[str, Any] = {"created_at": sent_at.isoformat()}
    if isinstance(answer.get("estimatedCost"), int | float):
        state["estimated_credits"] = answer["estimatedCost"]
    return Submission(provider_job_id=str(task_id), state=state)


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    return await _create(ctx, "/v1/text_to_video", _body(model, request))


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Submission:
    data = base64.b64encode(image.data).decode("ascii")
    body = _body(model, request)
    body["promptImage"] = [{"uri": f"data:{image.mime_type};base64,{data}", "position": "first"}]
    return await _create(ctx, "/v1/image_to_video", body)


async def _task(ctx: ProviderContext, task_id: str) -> dict[str, Any]:
    return await send(ctx, "GET", f"/v1/tasks/{task_id}", "poll")


def _failure(task: dict[str, Any]) -> Failed:
    code = str(task.get("failureCode") or "") or None
    reason = str(task.get("failure") or "no reason given")
    if code and code.startswith("SAFETY."):
        error_class: type[ReelgateError] = ContentRejectedError
        message = f"Runway refused the content ({code}): {reason}"
    elif code and code.startswith("INTERNAL.BAD_OUTPUT"):
        error_class = ProviderError
        message = f"Runway failed the task ({code}): {reason}; only a new, paid task can retry"
    else:
        error_class = ProviderError
        message = f"Runway failed the task: {reason}"
    return Failed(error=JobError(error_class=error_class, message=message, provider_code=code))


def _videos(task: dict[str, Any]) -> list[VideoRef]:
    outputs = [str(url) for url in task.get("output") or [] if url]
    task_id = str(task["id"])
    return [
        VideoRef(provider_video_id=task_id if index == 0 else f"{task_id}/{index}", uri=url)
        for index, url in enumerate(outputs)
    ]


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    """``THROTTLED`` is queued (the progress message says so); a status string this plugin
    does not know is logged, counted and polled again, never a failure."""
    task = await _task(ctx, job.provider_job_id)
    status = str(task.get("status"))
    pause = float(ctx.setting("poll_seconds") or 5)
    if status == "SUCCEEDED":
        videos = _videos(task | {"id": job.provider_job_id})
        if videos:
            return Succeeded(videos=videos)
        raise ProviderError(
            f"Runway task {job.provider_job_id} succeeded with no output", provider="runway"
        )
    if status == "FAILED":
        return _failure(task)
    if status == "CANCELLED":
        return Cancelled()
    if status == "RUNNING":
        progress = task.get("progress")
        fraction = (
            min(1.0, max(0.0, float(progress))) if isinstance(progress, int | float) else None
        )
        ctx.progress(fraction, "rendering at Runway")
        return Running(progress=fraction, poll_after_seconds=pause)
    if status == "THROTTLED":
        ctx.progress(None, THROTTLED)
    elif status == "PENDING":
        ctx.progress(None, "queued at Runway")
    else:
        UNKNOWN_STATUSES[status] += 1
        logger.warning("Runway task %s has an unknown status %r", job.provider_job_id, status)
    return Queued(poll_after_seconds=pause)


async def _fresh_url(ctx: ProviderContext, job: ProviderJob, video: VideoRef) -> str:
    task = await _task(ctx, job.provider_job_id)
    fresh = {ref.provider_video_id: ref.uri for ref in _videos(task | {"id": job.provider_job_id})}
    url = fresh.get(video.provider_video_id)
    if not url:
        raise ProviderError(
            f"Runway task {job.provider_job_id} no longer has output {video.provider_video_id}",
            provider="runway",
        )
    return url


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Streams the output; an expired URL (403/404) is replaced by reading the task again."""
    url = video.uri or await _fresh_url(ctx, job, video)
    try:
        async for chunk in stream(ctx, url):
            yield chunk
        return
    except ReelgateError as exc:
        if exc.details.get("provider_code") not in ("403", "404"):
            raise
    async for chunk in stream(ctx, await _fresh_url(ctx, job, video)):
        yield chunk


@hookimpl
async def reelgate_cancel(job: ProviderJob, ctx: ProviderContext) -> None:
    """DELETEs a task that has not ended. An ended task is left alone: a DELETE would delete
    it and its output (a finished video is never thrown away)."""
    task = await _task(ctx, job.provider_job_id)
    if str(task.get("status")) in ENDED:
        return
    await delete(ctx, f"/v1/tasks/{job.provider_job_id}")
