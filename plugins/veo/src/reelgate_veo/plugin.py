"""Hook implementations of the Veo provider (entry point ``veo`` in group ``reelgate``),
through google-genai's async client in Vertex AI mode.

Results come back inline (base64 in the operation) unless ``REELGATE_VEO_OUTPUT_GCS_URI`` is
set; downloads fetch the operation again (inline) or the object from Cloud Storage (gs://).
google-genai does not retry by default, so no submission is ever sent twice by the SDK.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Sequence
from typing import Any

from google import genai
from google.genai import types

from reelgate import (
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
    ReferenceInput,
    Running,
    Submission,
    Succeeded,
    VideoInput,
    VideoRef,
    hookimpl,
)
from reelgate.errors import ContentRejectedError, ProviderError, ProviderNotConfiguredError
from reelgate_veo import gcs, mapping, reconcile
from reelgate_veo.errors import PROVIDER, is_content_message, translate

CHUNK_BYTES = 1 << 20
_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str | None, ...], genai.Client]
]
_clients = weakref.WeakKeyDictionary()


def _client(ctx: ProviderContext) -> genai.Client:
    """One google-genai client per event loop and settings."""
    base_url = ctx.setting("base_url") or ctx.setting("vertex_base_url")
    api_key, project = ctx.setting("api_key"), ctx.setting("project")
    location, token = ctx.setting("location"), ctx.setting("access_token")
    key = (api_key, project, location, token, base_url)
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(key)
    if client is None:
        http_options = types.HttpOptions(base_url=base_url) if base_url else None
        if api_key:
            client = genai.Client(vertexai=True, api_key=api_key, http_options=http_options)
        elif project and location:
            credentials = _token_credentials(token) if token else None
            client = genai.Client(
                vertexai=True,
                project=project,
                location=location,
                credentials=credentials,
                http_options=http_options,
            )
        else:
            raise ProviderNotConfiguredError(
                "Veo needs GOOGLE_API_KEY, or GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION",
                provider=PROVIDER,
            )
        per_loop[key] = client
    return client


def _token_credentials(token: str) -> Any:
    import google.oauth2.credentials

    return google.oauth2.credentials.Credentials(token=token)  # type: ignore[no-untyped-call]


def output_prefix(ctx: ProviderContext) -> str | None:
    """Where this submission's videos go in Cloud Storage: ``REELGATE_VEO_OUTPUT_GCS_URI``
    with a folder of the submission's own, so an object under it proves the submission was
    accepted (None in inline mode)."""
    base = ctx.setting("output_gcs_uri")
    if not base:
        return None
    folder = ctx.submission_id or ctx.job_id
    return f"{base.rstrip('/')}/{folder}/" if folder else base


async def _submit(
    model: ModelSpec,
    request: GenerateRequest,
    kind: JobKind,
    ctx: ProviderContext,
    image: ImageInput | None = None,
    video: VideoInput | None = None,
    references: Sequence[ReferenceInput] = (),
) -> Submission:
    prefix = output_prefix(ctx)
    config = mapping.config(
        request,
        extending=video is not None,
        output_gcs_uri=prefix,
        references=references,
        first_frame=image is not None,
    )
    source = mapping.source(request, image, video)
    # Veo's answer carries no duration: the one asked for is what it renders (4/6/8 s). An
    # extension is the input plus about seven seconds, which only the video itself tells.
    state: dict[str, Any] = (
        {} if video is not None else {"duration_seconds": request.video.duration_seconds}
    )
    try:
        operation = await _client(ctx).aio.models.generate_videos(
            model=model.provider_model, source=source, config=config
        )
    except Exception as exc:
        error = translate(exc, "submit")
        if not error.retryable or error.safe_to_resubmit:
            raise error from exc
        if prefix is None:
            error.message += (
                "; with inline results nothing can prove whether Veo accepted it, so it is not "
                "submitted again (set REELGATE_VEO_OUTPUT_GCS_URI to make this provable)"
            )
            raise error from exc
        return await reconcile.by_output_prefix(
            prefix, request.video.number_of_videos, state, error, ctx
        )
    if not operation.name:
        raise ProviderError(
            "Vertex AI accepted the job without an operation name", provider=PROVIDER
        )
    return Submission(provider_job_id=operation.name, state=state)


@hookimpl
async def reelgate_generate(
    model: ModelSpec,
    request: GenerateRequest,
    ctx: ProviderContext,
    references: Sequence[ReferenceInput] = (),
) -> Submission:
    return await _submit(model, request, JobKind.TEXT, ctx, references=references)


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec,
    request: GenerateRequest,
    image: ImageInput,
    ctx: ProviderContext,
    references: Sequence[ReferenceInput] = (),
) -> Submission:
    return await _submit(model, request, JobKind.IMAGE, ctx, image=image, references=references)


@hookimpl
async def reelgate_extend(
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Submission:
    return await _submit(model, request, JobKind.EXTEND, ctx, video=video)


async def _operation(job: ProviderJob, ctx: ProviderContext) -> types.GenerateVideosOperation:
    try:
        return await _client(ctx).aio.operations.get(
            types.GenerateVideosOperation.model_validate({"name": job.provider_job_id})
        )
    except Exception as exc:
        raise translate(exc, "poll") from exc


def _generated(operation: types.GenerateVideosOperation) -> list[types.GeneratedVideo]:
    response = operation.response or operation.result
    return list(response.generated_videos or []) if response is not None else []


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    if reconcile.is_adopted(job):
        return await reconcile.poll_adopted(job, ctx)
    operation = await _operation(job, ctx)
    if not operation.done:
        return Running()
    if operation.error:
        message = str(operation.error.get("message", "the operation failed"))
        error_class = ContentRejectedError if is_content_message(message) else ProviderError
        return Failed(
            error=JobError(
                error_class=error_class,
                message=message,
                provider_code=str(operation.error.get("code", "")),
            )
        )
    videos = _generated(operation)
    response = operation.response or operation.result
    if not videos:
        filtered = response.rai_media_filtered_count if response is not None else None
        reasons = (response.rai_media_filtered_reasons or []) if response is not None else []
        if filtered:
            return Failed(
                error=JobError(
                    error_class=ContentRejectedError,
                    provider_code="raiMediaFiltered",
                    message=f"Veo's safety filter removed {filtered} video(s): "
                    f"{'; '.join(reasons) or 'no reason given'}",
                )
            )
        return Failed(
            error=JobError(
                error_class=ProviderError,
                provider_code="no_video",
                message="Veo finished without a video",
            )
        )
    return Succeeded(
        videos=[
            VideoRef(
                provider_video_id=f"{job.provider_job_id}#{index}",
                uri=generated.video.uri if generated.video else None,
                mime_type=(generated.video.mime_type if generated.video else None) or "video/mp4",
                duration_seconds=_float_or_none(job.state.get("duration_seconds")),
            )
            for index, generated in enumerate(videos)
        ]
    )


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    if video.uri and video.uri.startswith("gs://"):
        async for chunk in gcs.stream_object(video.uri, ctx):
            yield chunk
        return
    index = int(video.provider_video_id.rpartition("#")[2] or 0)
    videos = _generated(await _operation(job, ctx))
    sdk_video = videos[index].video if index < len(videos) else None
    data = sdk_video.video_bytes if sdk_video is not None else None
    if not data:
        raise ProviderError(
            f"Veo operation {job.provider_job_id} holds no bytes for video {index}",
            provider=PROVIDER,
        )
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def _float_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
