"""The hooks of the MiniMax plugin: text-to-video and image-to-video (a first frame) on the v1
API, polled until the task ends, its video fetched through ``/v1/files/retrieve`` (whose
``download_url`` expires: an expired one is retrieved again). MiniMax has no cancel.

A create is sent once. When its answer is lost, nothing can prove whether MiniMax made the
task, so it is never sent again: the job ends in a final error naming where to look
(``reelgate.sent_once``)."""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

from reelgate import (
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
from reelgate.errors import ProviderError, ProviderUnavailableError, ReelgateError
from reelgate.sent_once import sent_once
from reelgate_minimax.client import checked_answer, error_of, send, stream
from reelgate_minimax.spec import MINIMAX, MODELS

logger = logging.getLogger("reelgate.minimax")
UNKNOWN_STATUSES: Counter[str] = Counter()
"""Status strings MiniMax answered that this plugin does not know, by string (status drift)."""
QUEUED = ("Preparing", "Queueing", "Unknown")
FAILED = ("Fail", "Failed")


@hookimpl
def reelgate_models() -> Sequence[ModelSpec]:
    return list(MODELS)


def _body(model: ModelSpec, request: GenerateRequest, frame: str | None) -> dict[str, Any]:
    video = request.video
    resolution = (video.resolution or model.default_resolution or "768p").upper()
    body: dict[str, Any] = {
        "model": model.provider_model,
        "prompt": request.prompt,
        "duration": video.duration_seconds,
        "resolution": resolution,
        "prompt_optimizer": video.enhance_prompt,
    }
    if frame is not None:
        body["first_frame_image"] = frame
    return body


async def _create(ctx: ProviderContext, body: dict[str, Any]) -> Submission:
    async with sent_once(MINIMAX, "MiniMax") as sent_at:
        answer = await send(ctx, "POST", "/v1/video_generation", "create", json=body)
        task_id = answer.get("task_id")
        if not task_id:
            raise ProviderUnavailableError(
                "MiniMax answered the create without a task id", provider="minimax"
            )
    return Submission(provider_job_id=str(task_id), state={"created_at": sent_at.isoformat()})


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    return await _create(ctx, _body(model, request, None))


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Submission:
    data = base64.b64encode(image.data).decode("ascii")
    return await _create(ctx, _body(model, request, f"data:{image.mime_type};base64,{data}"))


def _failure(task: dict[str, Any]) -> Failed:
    base = task.get("base_resp") or {}
    code = base.get("status_code") if isinstance(base, dict) else None
    message = str((base or {}).get("status_msg") or task.get("error_message") or "")
    mapped = error_of(code, message) if isinstance(code, int) and code else None
    return Failed(
        error=JobError(
            error_class=type(mapped) if mapped is not None else ProviderError,
            message=f"MiniMax failed the task: {message or 'no reason given'}",
            provider_code=str(code) if code else None,
            billed=False,  # failed and blocked tasks are not billed (WIRE-NEXT.md §2, 3P)
        )
    )


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    """``Fail`` and ``Failed`` end the job; ``Unknown`` proves nothing (polling goes on until
    the deadline), and so does a status string this plugin does not know (logged, counted)."""
    task = await send(
        ctx,
        "GET",
        "/v1/query/video_generation",
        "poll",
        params={"task_id": job.provider_job_id},
        checked=False,
    )
    status = str(task.get("status"))
    if status in FAILED:
        return _failure(task)
    checked_answer(task)  # an error of the query itself
    pause = float(ctx.setting("poll_seconds") or 10)
    if status == "Success" and task.get("file_id"):
        return Succeeded(videos=[VideoRef(provider_video_id=str(task["file_id"]), uri=None)])
    if status == "Processing":
        return Running(poll_after_seconds=pause)
    if status not in QUEUED:
        UNKNOWN_STATUSES[status] += 1
        logger.warning("MiniMax task %s has an unknown status %r", job.provider_job_id, status)
    return Queued(poll_after_seconds=pause)


async def _download_url(ctx: ProviderContext, file_id: str) -> str:
    answer = await send(ctx, "GET", "/v1/files/retrieve", "download", params={"file_id": file_id})
    file = answer.get("file") or {}
    url = file.get("download_url") or file.get("backup_download_url")
    if not url:
        raise ProviderError(f"MiniMax file {file_id} has no download URL", provider="minimax")
    return str(url)


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Streams the task's file; an expired URL (403/404) is retrieved again once."""
    url = await _download_url(ctx, video.provider_video_id)
    try:
        async for chunk in stream(ctx, url):
            yield chunk
        return
    except ReelgateError as exc:
        if exc.details.get("provider_code") not in ("403", "404"):
            raise
    async for chunk in stream(ctx, await _download_url(ctx, video.provider_video_id)):
        yield chunk
