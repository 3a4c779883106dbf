"""Hook implementations of the local provider (entry point ``local`` in group ``reelgate``)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from reelgate import (
    Cancelled,
    ExtendRequest,
    Failed,
    GenerateRequest,
    ImageInput,
    JobError,
    JobKind,
    JobStatus,
    ModelSpec,
    ProviderContext,
    ProviderJob,
    Running,
    Submission,
    Succeeded,
    VideoInput,
    VideoRef,
    hookimpl,
)
from reelgate.errors import ContentRejectedError, ProviderError, ValidationError
from reelgate_local.geometry import OutputFormat, frame_size
from reelgate_local.media_io import decode_image, probe_video
from reelgate_local.store import JobStore

CHUNK_BYTES = 1 << 20
_stores: dict[tuple[Path, int], JobStore] = {}
_stores_lock = threading.Lock()


def _store(ctx: ProviderContext) -> JobStore:
    root = Path(ctx.require("work_dir")).resolve()
    workers = int(ctx.setting("render_workers") or 1)
    with _stores_lock:
        store = _stores.get((root, workers))
        if store is None:
            store = _stores[(root, workers)] = JobStore(root, workers)
        return store


def _check_prompt(prompt: str, ctx: ProviderContext) -> None:
    blocked = [w.strip().lower() for w in (ctx.setting("blocked_words") or "").split(",")]
    hits = [w for w in blocked if w and w in prompt.lower()]
    if hits:
        raise ContentRejectedError(
            "the prompt was rejected by the local safety filter",
            provider="local",
            provider_code="blocked_word",
        )


def _format(model: ModelSpec, request: GenerateRequest) -> OutputFormat:
    video = request.video
    resolution = video.resolution or model.default_resolution or "720p"
    width, height = frame_size(video.aspect_ratio, resolution)
    return OutputFormat(
        width=width,
        height=height,
        fps=video.fps or model.default_fps or 24,
        duration_seconds=float(video.duration_seconds),
        audio=bool(video.generate_audio),
    )


async def _submit(
    model: ModelSpec,
    request: GenerateRequest,
    kind: JobKind,
    ctx: ProviderContext,
    input_bytes: bytes | None = None,
    input_name: str | None = None,
) -> Submission:
    _check_prompt(request.prompt, ctx)
    store = _store(ctx)
    job_id = uuid.uuid4().hex
    fmt = _format(model, request)
    description: dict[str, Any] = {
        "kind": kind.value,
        "prompt": request.prompt,
        "seed": request.video.seed,
        "count": request.video.number_of_videos,
        "format": fmt.__dict__,
        "input": input_name,
    }
    await asyncio.to_thread(store.create, job_id, description, input_bytes, input_name)
    store.render_state(job_id)
    return Submission(
        provider_job_id=job_id,
        state={"count": request.video.number_of_videos},
    )


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    return await _submit(model, request, JobKind.TEXT, ctx)


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Submission:
    try:
        await asyncio.to_thread(decode_image, image.data)
    except Exception as exc:
        raise ValidationError(
            f"the input image could not be decoded ({image.mime_type})", field="input_image_url"
        ) from exc
    return await _submit(model, request, JobKind.IMAGE, ctx, image.data, "input_image")


@hookimpl
async def reelgate_extend(
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Submission:
    store = _store(ctx)
    data = video.data
    if data is None and video.provider_video_id:
        data = await asyncio.to_thread(_local_video_bytes, store, video.provider_video_id)
    if data is None:
        raise ValidationError(
            "the local provider needs the bytes of the video to extend", field="video_id"
        )
    job = await _submit(model, request, JobKind.EXTEND, ctx, data, "input_video.mp4")
    try:
        await asyncio.to_thread(probe_video, store.folder(job.provider_job_id) / "input_video.mp4")
    except Exception as exc:
        store.cancel(job.provider_job_id)
        raise ValidationError(
            "the video to extend is not a readable video", field="video_id"
        ) from exc
    return job


def _local_video_bytes(store: JobStore, provider_video_id: str) -> bytes | None:
    job_id, _, index = provider_video_id.rpartition("-")
    if not job_id or not (index.isascii() and index.isdigit()) or not store.exists(job_id):
        return None
    path = store.video_path(job_id, int(index))
    return path.read_bytes() if path.is_file() else None


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    store = _store(ctx)
    job_id = job.provider_job_id
    if not await asyncio.to_thread(store.exists, job_id):
        return Failed(
            error=JobError(
                error_class=ProviderError,
                provider_code="not_found",
                message=f"local job {job_id} does not exist",
            )
        )
    if store.cancelled(job_id):
        return Cancelled()
    if await asyncio.to_thread(store.finished, job_id):
        store.forget(job_id)
        return Succeeded(videos=await asyncio.to_thread(_video_refs, store, job_id))
    future, progress = store.render_state(job_id)
    if future.done() and not future.cancelled() and future.exception() is not None:
        store.forget(job_id)
        error = future.exception()
        return Failed(
            error=JobError(
                error_class=ProviderError,
                provider_code="render_failed",
                message=f"rendering failed: {error}",
            )
        )
    ctx.progress(progress, "rendering")
    return Running(progress=progress, poll_after_seconds=0.2)


def _video_refs(store: JobStore, job_id: str) -> list[VideoRef]:
    desc = store.description(job_id)
    refs = []
    for index in range(int(desc["count"])):
        path = store.video_path(job_id, index)
        width, height, rate, frames = probe_video(path)
        refs.append(
            VideoRef(
                provider_video_id=f"{job_id}-{index}",
                uri=path.as_uri(),
                duration_seconds=frames / float(rate),
                width=width,
                height=height,
                has_audio=bool(desc["format"]["audio"]),
            )
        )
    return refs


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    store = _store(ctx)
    job_id, _, index = video.provider_video_id.rpartition("-")
    if job_id != job.provider_job_id or not (index.isascii() and index.isdigit()):
        raise ProviderError(f"video {video.provider_video_id} is not part of job {job_id}")
    path = store.video_path(job_id, int(index))
    if not path.is_file():
        raise ProviderError(
            f"video {video.provider_video_id} is not finished", provider_code="not_ready"
        )
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk


@hookimpl
async def reelgate_cancel(job: ProviderJob, ctx: ProviderContext) -> None:
    await asyncio.to_thread(_store(ctx).cancel, job.provider_job_id)
