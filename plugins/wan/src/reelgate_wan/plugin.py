"""The hooks of the Wan plugin: text-to-video, image-to-video (a first frame) and extension
(wan2.7's ``first_clip``, a Wan task's video), polled until the task ends, downloaded at once
(its URL lives 24 h: an expired one is read again from the task), cancelled while PENDING."""

from __future__ import annotations

import base64
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

from reelgate import (
    Cancelled,
    ExtendRequest,
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
    VideoInput,
    VideoRef,
    hookimpl,
)
from reelgate.errors import ContentRejectedError, ProviderError, ReelgateError, ValidationError
from reelgate_wan.client import error_of, send, stream
from reelgate_wan.spec import MODELS
from reelgate_wan.tasks import create_once, seed_of

logger = logging.getLogger("reelgate.wan")
TASK_LIFE_SECONDS = 24 * 3600
UNKNOWN_STATUSES: Counter[str] = Counter()
"""Status strings Wan answered that this plugin does not know, by string (status drift)."""
SIZES = {
    ("16:9", "720p"): "1280*720",
    ("9:16", "720p"): "720*1280",
    ("1:1", "720p"): "960*960",
    ("16:9", "1080p"): "1920*1080",
    ("9:16", "1080p"): "1080*1920",
    ("1:1", "1080p"): "1440*1440",
}


@hookimpl
def reelgate_models() -> Sequence[ModelSpec]:
    return list(MODELS)


def _body(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext, media: list[dict[str, str]]
) -> dict[str, Any]:
    video = request.video
    resolution = video.resolution or model.default_resolution or "720p"
    parameters: dict[str, Any] = {
        "duration": video.duration_seconds,
        "prompt_extend": video.enhance_prompt,
        "watermark": False,
    }
    if video.generate_audio is not None:
        parameters["audio"] = video.generate_audio
    seed = seed_of(ctx.submission_id, video.seed)
    if seed is not None:
        parameters["seed"] = seed
    inputs: dict[str, Any] = {"prompt": request.prompt}
    if video.negative_prompt:
        inputs["negative_prompt"] = video.negative_prompt
    if not media:
        parameters["size"] = SIZES[(video.aspect_ratio, resolution)]
    elif model.provider_model.startswith("wan2.6"):
        inputs["img_url"] = media[0]["url"]
        parameters["resolution"] = resolution.upper()
    else:
        inputs["media"] = media
        parameters |= {"resolution": resolution.upper(), "ratio": video.aspect_ratio}
    return {"model": model.provider_model, "input": inputs, "parameters": parameters}


async def _submit(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext, media: list[dict[str, str]]
) -> Submission:
    task_id = await create_once(ctx, _body(model, request, ctx, media))
    return Submission(provider_job_id=task_id, state={"submitted_at": time.time()})


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    return await _submit(model, request, ctx, [])


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Submission:
    data = base64.b64encode(image.data).decode("ascii")
    frame = {"type": "first_frame", "url": f"data:{image.mime_type};base64,{data}"}
    return await _submit(model, request, ctx, [frame])


@hookimpl
async def reelgate_extend(
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Submission:
    """Continues a Wan video (its task's fresh URL as the ``first_clip``)."""
    if not video.provider_video_id:
        raise ValidationError(
            "Wan extends its own videos: give the job id of a Wan result or a Wan task id",
            field="video_id",
        )
    source = await _task(ctx, video.provider_video_id)
    url = source.get("video_url")
    if source.get("task_status") != "SUCCEEDED" or not url:
        raise ValidationError(
            f"Wan task {video.provider_video_id} has no video to extend", field="video_id"
        )
    return await _submit(model, request, ctx, [{"type": "first_clip", "url": str(url)}])


async def _task(ctx: ProviderContext, task_id: str) -> dict[str, Any]:
    answer = await send(ctx, "GET", f"/tasks/{task_id}", "poll")
    return dict(answer.get("output") or {}) | {"usage": answer.get("usage") or {}}


def _failure(task: dict[str, Any]) -> Failed:
    code = task.get("code") or None
    message = str(task.get("message") or "the task failed")
    mapped = error_of(200, code, message)
    error_class = ContentRejectedError if isinstance(mapped, ContentRejectedError) else None
    return Failed(
        error=JobError(
            error_class=error_class or ProviderError,
            message=f"Wan failed the task: {message}",
            provider_code=code,
        )
    )


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    """``UNKNOWN`` (no such task yet, or one past its 24 h) proves nothing: polling goes on
    until the deadline; an unknown status string is logged, counted and polled again."""
    task = await _task(ctx, job.provider_job_id)
    status = str(task.get("task_status"))
    pause = float(ctx.setting("poll_seconds") or 5)
    if status == "SUCCEEDED":
        seconds = task["usage"].get("video_duration") or task["usage"].get("duration")
        ref = VideoRef(
            provider_video_id=job.provider_job_id,
            uri=task.get("video_url"),
            duration_seconds=float(seconds) if seconds else None,
        )
        return Succeeded(videos=[ref])
    if status == "FAILED":
        return _failure(task)
    if status in ("CANCELED", "CANCELLED"):
        return Cancelled()
    if status == "RUNNING":
        return Running(poll_after_seconds=pause)
    if status == "UNKNOWN" and _forgotten(job):
        return Failed(
            error=JobError(
                message=f"Wan knows no task {job.provider_job_id} (it keeps tasks 24 h)",
                provider_code="UNKNOWN",
            )
        )
    if status not in ("PENDING", "UNKNOWN"):
        UNKNOWN_STATUSES[status] += 1
        logger.warning("Wan task %s has an unknown status %r", job.provider_job_id, status)
    return Queued(poll_after_seconds=pause)


def _forgotten(job: ProviderJob) -> bool:
    """Whether ``UNKNOWN`` means the task is gone: it is older than Wan keeps tasks, or it is
    no task this plugin submitted (no submit time). A task of ours younger than that may not
    be visible yet: polling goes on until the job's deadline."""
    submitted = job.state.get("submitted_at")
    return not isinstance(submitted, int | float) or time.time() - submitted > TASK_LIFE_SECONDS


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Streams the task's video; an expired URL (403/404) is read again from the task."""
    url = video.uri or (await _task(ctx, job.provider_job_id)).get("video_url")
    try:
        async for chunk in stream(ctx, str(url)):
            yield chunk
        return
    except ReelgateError as exc:
        if exc.details.get("provider_code") not in ("403", "404", "AccessDenied"):
            raise
    fresh = (await _task(ctx, job.provider_job_id)).get("video_url")
    async for chunk in stream(ctx, str(fresh)):
        yield chunk


@hookimpl
async def reelgate_cancel(job: ProviderJob, ctx: ProviderContext) -> None:
    """Wan cancels PENDING tasks only: a running one goes on (its cancel is refused)."""
    await send(ctx, "POST", f"/tasks/{job.provider_job_id}/cancel", "cancel")
