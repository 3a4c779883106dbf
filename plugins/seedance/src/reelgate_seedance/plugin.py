"""The hooks of the Seedance plugin: text-to-video, image-to-video (a first frame) and
extension by chaining (a new task from the source task's last frame, which every task is asked
to return), polled until the task ends (``expired`` is a failure of its own), downloaded at
once (an expired URL is read again from the task), cancelled while queued."""

from __future__ import annotations

import base64
import logging
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
    ReferenceInput,
    Running,
    Submission,
    Succeeded,
    VideoInput,
    VideoRef,
    hookimpl,
)
from reelgate.errors import ContentRejectedError, ProviderError, ReelgateError, ValidationError
from reelgate_seedance.client import error_of, send, stream
from reelgate_seedance.spec import MODELS
from reelgate_seedance.tasks import TASKS, create_once, seed_of

logger = logging.getLogger("reelgate.seedance")
UNKNOWN_STATUSES: Counter[str] = Counter()
"""Status strings Seedance answered that this plugin does not know (status drift)."""


@hookimpl
def reelgate_models() -> Sequence[ModelSpec]:
    return list(MODELS)


def _reference_parts(
    references: Sequence[ReferenceInput], frame: str | None
) -> list[dict[str, Any]]:
    """A ``{type}_url`` content part per reference (as a data: URI), in its role; Seedance
    takes frame roles or reference roles, not both."""
    if references and frame is not None:
        raise ValidationError(
            "Seedance takes a first frame or references, not both", field="references"
        )
    parts = []
    for reference in references:
        kind = f"{reference.type}_url"
        data = base64.b64encode(reference.data).decode("ascii")
        url = f"data:{reference.mime_type};base64,{data}"
        role = reference.role or f"reference_{reference.type}"
        parts.append({"type": kind, kind: {"url": url}, "role": role})
    return parts


def _body(
    model: ModelSpec,
    request: GenerateRequest,
    ctx: ProviderContext,
    frame: str | None,
    references: Sequence[ReferenceInput] = (),
) -> dict[str, Any]:
    video = request.video
    content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
    if frame is not None:
        content.append({"type": "image_url", "image_url": {"url": frame}, "role": "first_frame"})
    content.extend(_reference_parts(references, frame))
    body: dict[str, Any] = {
        "model": model.provider_model,
        "content": content,
        "resolution": video.resolution or model.default_resolution or "720p",
        "ratio": video.aspect_ratio,
        "duration": video.duration_seconds,
        "watermark": False,
        "return_last_frame": True,  # what an extension starts from
    }
    seed = seed_of(ctx.submission_id, video.seed)
    if seed is not None:
        body["seed"] = seed
    if model.capabilities.audio and video.generate_audio is not None:
        body["generate_audio"] = video.generate_audio
    return body


async def _submit(
    model: ModelSpec,
    request: GenerateRequest,
    ctx: ProviderContext,
    frame: str | None,
    references: Sequence[ReferenceInput] = (),
) -> Submission:
    body = _body(model, request, ctx, frame, references)
    return Submission(provider_job_id=await create_once(ctx, body))


@hookimpl
async def reelgate_generate(
    model: ModelSpec,
    request: GenerateRequest,
    ctx: ProviderContext,
    references: Sequence[ReferenceInput] = (),
) -> Submission:
    return await _submit(model, request, ctx, None, references)


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec,
    request: GenerateRequest,
    image: ImageInput,
    ctx: ProviderContext,
    references: Sequence[ReferenceInput] = (),
) -> Submission:
    data = base64.b64encode(image.data).decode("ascii")
    frame = f"data:{image.mime_type};base64,{data}"
    return await _submit(model, request, ctx, frame, references)


@hookimpl
async def reelgate_extend(
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Submission:
    """Chains a new task from the source task's last frame."""
    if not video.provider_video_id:
        raise ValidationError(
            "Seedance extends its own videos (from their last frame): give the job id of a "
            "Seedance result or a Seedance task id",
            field="video_id",
        )
    source = await _task(ctx, video.provider_video_id)
    frame = (source.get("content") or {}).get("last_frame_url")
    if source.get("status") != "succeeded" or not frame:
        raise ValidationError(
            f"Seedance task {video.provider_video_id} has no last frame to continue from",
            field="video_id",
        )
    return await _submit(model, request, ctx, str(frame))


async def _task(ctx: ProviderContext, task_id: str) -> dict[str, Any]:
    return await send(ctx, "GET", f"{TASKS}/{task_id}", "poll")


def _failure(task: dict[str, Any]) -> Failed:
    error = task.get("error") or {}
    code = error.get("code") or None
    message = str(error.get("message") or "the task failed")
    mapped = error_of(200, code, message)
    rejected = isinstance(mapped, ContentRejectedError)
    return Failed(
        error=JobError(
            error_class=ContentRejectedError if rejected else ProviderError,
            message=f"Seedance failed the task: {message}",
            provider_code=code,
            billed=False,  # Seedance bills only successful tasks (WIRE-NEXT.md §2, 3P)
        )
    )


EXPIRED = Failed(
    error=JobError(
        message="Seedance let the task expire before it ran (it waited past its "
        "execution_expires_after); it was not billed",
        provider_code="expired",
        billed=False,
    )
)


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    task = await _task(ctx, job.provider_job_id)
    status = str(task.get("status"))
    pause = float(ctx.setting("poll_seconds") or 5)
    if status == "succeeded":
        seconds = task.get("duration")
        ref = VideoRef(
            provider_video_id=job.provider_job_id,
            uri=(task.get("content") or {}).get("video_url"),
            duration_seconds=float(seconds) if seconds else None,
        )
        return Succeeded(videos=[ref])
    if status == "failed":
        return _failure(task)
    if status == "expired":
        return EXPIRED
    if status in ("cancelled", "canceled"):
        return Cancelled()
    if status == "running":
        return Running(poll_after_seconds=pause)
    if status != "queued":
        UNKNOWN_STATUSES[status] += 1
        logger.warning("Seedance task %s has an unknown status %r", job.provider_job_id, status)
    return Queued(poll_after_seconds=pause)


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Streams the task's video; an expired URL (403/404) is read again from the task."""
    url = video.uri or ((await _task(ctx, job.provider_job_id)).get("content") or {}).get(
        "video_url"
    )
    try:
        async for chunk in stream(ctx, str(url)):
            yield chunk
        return
    except ReelgateError as exc:
        if exc.details.get("provider_code") not in ("403", "404"):
            raise
    fresh = ((await _task(ctx, job.provider_job_id)).get("content") or {}).get("video_url")
    async for chunk in stream(ctx, str(fresh)):
        yield chunk


@hookimpl
async def reelgate_cancel(job: ProviderJob, ctx: ProviderContext) -> None:
    """Seedance cancels queued tasks only (a running one goes on: its cancel is refused)."""
    await send(ctx, "DELETE", f"{TASKS}/{job.provider_job_id}", "cancel")
