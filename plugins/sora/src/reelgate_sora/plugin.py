"""Hook implementations of the Sora provider (entry point ``sora`` in group ``reelgate``),
through ``openai.AsyncOpenAI().videos``.

Submissions are sent with ``max_retries=0``: the Videos API takes no idempotency key, so an
SDK retry of a create could pay twice. Polls and downloads keep the SDK's retries.
The SDK warns (DeprecationWarning) on every Videos call since OpenAI retired the API; the
warning is silenced around each call only.
"""

from __future__ import annotations

import asyncio
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import openai

from reelgate import (
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
from reelgate.errors import (
    ContentRejectedError,
    JobTimeoutError,
    ProviderError,
    ReelgateError,
    ValidationError,
)
from reelgate.lookup import adopt_or_prove_absent
from reelgate_sora.errors import is_content_code, translate
from reelgate_sora.images import fit_image
from reelgate_sora.spec import DEFAULT_BASE_URL, PROVIDER_OPTIONS, SIZES

MIN_POLL_INTERVAL_SECONDS = 0.1


@contextmanager
def _sora_notice_silenced() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The Sora API", category=DeprecationWarning)
        yield


_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str, int], openai.AsyncOpenAI]
] = weakref.WeakKeyDictionary()


def _client(ctx: ProviderContext, *, max_retries: int = 2) -> openai.AsyncOpenAI:
    """One SDK client per event loop and settings (its connection pool is bound to a loop)."""
    key = (ctx.require("api_key"), ctx.setting("base_url") or DEFAULT_BASE_URL, max_retries)
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(key)
    if client is None:
        client = per_loop[key] = openai.AsyncOpenAI(
            api_key=key[0], base_url=key[1], max_retries=max_retries
        )
    return client


def _upstream_model(model: ModelSpec, ctx: ProviderContext) -> str:
    return (
        (ctx.setting("model") or model.provider_model)
        if model.id == "sora-2"
        else (model.provider_model)
    )


def _size(request: GenerateRequest, model: ModelSpec) -> str:
    options = request.video.provider_options
    unknown = sorted(set(options) - set(PROVIDER_OPTIONS))
    if unknown:
        raise ValidationError(
            f"unknown Sora provider_options {unknown}; known: size",
            field="settings.video.provider_options",
        )
    if "size" in options:
        size = str(options["size"])
        if (
            not all(part.isascii() and part.isdigit() for part in size.split("x"))
            or size.count("x") != 1
        ):
            raise ValidationError(
                "provider_options.size must look like 1792x1024",
                field="settings.video.provider_options.size",
            )
        return size
    resolution = request.video.resolution or model.default_resolution or "720p"
    return SIZES[(request.video.aspect_ratio, resolution)]


def _submission(video: Any) -> Submission:
    return Submission(
        provider_job_id=str(video.id),
        state={"submitted_at": time.time()},
    )


RECONCILE_WINDOW_SECONDS = 10
"""How long before the create a matching video may have been made and still be this one."""
DEFAULT_LOOKUP_SECONDS = 10.0
"""How long the list of videos is watched for a lost create's video (it shows at once on the
Videos API; the margin covers a slow listing)."""


async def _create(
    model: ModelSpec,
    request: GenerateRequest,
    ctx: ProviderContext,
    input_reference: tuple[str, bytes, str] | None,
) -> Any:
    client = _client(ctx, max_retries=0)
    kwargs: dict[str, Any] = {
        "prompt": request.prompt,
        "model": _upstream_model(model, ctx),
        "seconds": str(request.video.duration_seconds),
        "size": _size(request, model),
    }
    if input_reference is not None:
        kwargs["input_reference"] = input_reference
    started = time.time()
    try:
        with _sora_notice_silenced():
            call = client.videos.create(**kwargs)
        return await call
    except (openai.OpenAIError, ValueError) as exc:
        error = translate(exc, "submit")
        if error.retryable and not error.safe_to_resubmit:
            return await _reconcile(ctx, kwargs, started, error)
        raise error from exc


async def _reconcile(
    ctx: ProviderContext, sent: dict[str, Any], started: float, error: ReelgateError
) -> Any:
    """The video a create with an unclear answer made: the one recent video with the same
    prompt, model, seconds and size (the Videos API takes no idempotency key). No such video
    within the lookup window proves nothing was made: the error becomes safe to resubmit.
    Two candidates, or a listing that fails, prove nothing: the error stands."""
    window = float(ctx.setting("lookup_seconds") or DEFAULT_LOOKUP_SECONDS)
    found = await adopt_or_prove_absent(
        lambda: _matching_videos(ctx, sent, started),
        window,
        error,
        f"no matching video appeared in the list within {window:g} s, "
        "so the endpoint made none and it is submitted again",
    )
    ctx.logger.info("reconciled a lost Sora answer: video %s", found.id)
    return found


async def _matching_videos(
    ctx: ProviderContext, sent: dict[str, Any], started: float
) -> list[Any] | None:
    """Recent videos made from what was sent (None when the list cannot be read)."""
    try:
        with _sora_notice_silenced():
            call = _client(ctx).videos.list(order="desc", limit=20)
        page = await call
    except openai.OpenAIError:
        return None
    return [
        v
        for v in page.data
        if (v.prompt, v.model, v.seconds, v.size)
        == (sent["prompt"], sent["model"], sent["seconds"], sent["size"])
        and v.created_at >= started - RECONCILE_WINDOW_SECONDS
    ]


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    return _submission(await _create(model, request, ctx, None))


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Submission:
    fitted = fit_image(image.data, _size(request, model))
    video = await _create(model, request, ctx, ("reference.png", fitted, "image/png"))
    return _submission(video)


@hookimpl
async def reelgate_extend(
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Submission:
    if not video.provider_video_id:
        raise ValidationError(
            "Sora extends (remixes) only its own finished videos: give a "
            "Sora video id or the job id of a Sora result",
            field="video_id",
        )
    client = _client(ctx, max_retries=0)
    try:
        with _sora_notice_silenced():
            call = client.videos.remix(video.provider_video_id, prompt=request.prompt)
        remixed = await call
    except (openai.OpenAIError, ValueError) as exc:
        raise translate(exc, "submit") from exc
    return _submission(remixed)


def _poll_interval(ctx: ProviderContext, header: str | None) -> float:
    if header is not None:
        try:
            return max(MIN_POLL_INTERVAL_SECONDS, float(header) / 1000)
        except ValueError:
            pass
    return max(MIN_POLL_INTERVAL_SECONDS, float(ctx.setting("poll_interval_seconds") or 1.0))


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    client = _client(ctx)
    try:
        with _sora_notice_silenced():
            raw = await client.videos.with_raw_response.retrieve(job.provider_job_id)
        video = raw.parse()
    except openai.NotFoundError:
        return Failed(
            error=JobError(
                error_class=ProviderError,
                provider_code="404",
                message=f"Sora has no video {job.provider_job_id}",
            )
        )
    except (openai.OpenAIError, ValueError) as exc:
        raise translate(exc, "poll") from exc
    hint = _poll_interval(ctx, raw.headers.get("openai-poll-after-ms"))
    if video.status == "completed":
        return Succeeded(
            videos=[VideoRef(provider_video_id=video.id, duration_seconds=float(video.seconds))]
        )
    if video.status == "failed":
        code = video.error.code if video.error else None
        message = video.error.message if video.error else "the video generation failed"
        error_class = ContentRejectedError if is_content_code(code, message) else ProviderError
        return Failed(error=JobError(error_class=error_class, message=message, provider_code=code))
    timeout = float(ctx.setting("poll_timeout_seconds") or 1800)
    submitted = float(str(job.state.get("submitted_at", time.time())))
    if time.time() - submitted > timeout:
        return Failed(
            error=JobError(
                error_class=JobTimeoutError,
                provider_code=video.status,
                message=f"Sora video {video.id} still {video.status} after {timeout:g} s",
            )
        )
    if video.status == "queued":
        return Queued(poll_after_seconds=hint)
    progress = min(1.0, max(0.0, (video.progress or 0) / 100))
    ctx.progress(progress, f"Sora {video.status}")
    return Running(progress=progress, poll_after_seconds=hint)


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    client = _client(ctx)
    try:
        with _sora_notice_silenced():
            streamed = client.videos.with_streaming_response.download_content(
                video.provider_video_id, variant="video"
            )
        async with streamed as response:
            async for chunk in response.iter_bytes():  # as received: no re-chunking copies
                yield chunk
    except (openai.OpenAIError, ValueError) as exc:
        raise translate(exc, "download") from exc
