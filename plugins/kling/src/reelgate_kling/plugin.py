"""Hook implementations of the KlingAI provider (entry point ``kling`` in group ``reelgate``).

Every submission carries ``external_task_id`` (reelgate's job id). When a submission fails
without a clear answer (timeout, reset, 5xx), the task is looked up by that id before anything
else: found, it is the job; proven absent, the failure is marked safe to resubmit.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

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
    ProviderError,
    ProviderUnavailableError,
    SubmissionNotAcceptedError,
    ValidationError,
)
from reelgate.lookup import look_until
from reelgate_kling.client import KlingClient, KlingCredentials
from reelgate_kling.errors import PROVIDER, is_content_failure
from reelgate_kling.mapping import KIND_PATHS, extend_body, image_body, text_body
from reelgate_kling.spec import DEFAULT_BASE_URL

_credentials: dict[tuple[str, str], KlingCredentials] = {}
_credentials_lock = threading.Lock()


def _client(ctx: ProviderContext) -> KlingClient:
    access, secret = ctx.require("access_key"), ctx.require("secret_key")
    with _credentials_lock:
        credentials = _credentials.setdefault((access, secret), KlingCredentials(access, secret))
    return KlingClient(ctx.setting("base_url") or DEFAULT_BASE_URL, credentials, ctx.http_client)


async def _lookup(client: KlingClient, path: str, task_id: str) -> dict[str, Any] | None:
    """The task, or None when Kling says it does not exist."""
    try:
        return await client.request("GET", f"/v1/videos/{path}/{task_id}", during="lookup")
    except ProviderError as exc:
        if exc.details.get("provider_code") in ("1203", "404"):
            return None
        raise


RECONCILE_DELAYS_SECONDS = (0.25, 1.0, 3.0)


async def _reconcile(
    client: KlingClient, path: str, external_id: str, late_window_seconds: float = 0.0
) -> dict[str, Any] | None:
    """Look the submission up by its external id, riding out transient failures: the lookup
    is idempotent, and giving up early would leave a paid task unaccounted for. When the
    answer timed out the task may appear late: look again for ``late_window_seconds``."""

    async def look() -> dict[str, Any] | None:
        for delay in (*RECONCILE_DELAYS_SECONDS, None):
            try:
                return await _lookup(client, path, external_id)
            except ProviderUnavailableError:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        return None

    return await look_until(look, late_window_seconds, longest_pause_seconds=1.0)


async def _submit(
    model: ModelSpec, kind: JobKind, body: dict[str, Any], ctx: ProviderContext
) -> Submission:
    client = _client(ctx)
    path = KIND_PATHS[kind.value]
    external_id = body["external_task_id"]
    timeout = float(ctx.setting("submit_timeout_seconds") or 180)
    try:
        data = await client.request(
            "POST", f"/v1/videos/{path}", json=body, during="submit", timeout_seconds=timeout
        )
    except ValidationError as exc:
        # The same submission was accepted earlier (a re-run after a lost answer): adopt it.
        found = (
            await _lookup(client, path, external_id)
            if "external_task_id" in str(exc.message)
            else None
        )
        if found is None:
            raise
        data = found
    except ProviderUnavailableError as exc:
        if exc.safe_to_resubmit:
            raise
        window = (
            float(ctx.setting("late_task_seconds") or 30) if exc.details.get("timed_out") else 0
        )
        found = await _reconcile(client, path, external_id, window)
        if found is None:
            # Kling keeps external_task_id unique per account: submitting again with the same
            # id can never make a second task, so "no such task" makes a resubmission safe.
            raise SubmissionNotAcceptedError(
                f"{exc.message}; KlingAI has no task {external_id}, so it is submitted again "
                "under the same external_task_id",
                provider=PROVIDER,
                provider_code=exc.details.get("provider_code"),
                external_task_id=external_id,
            ) from exc
        ctx.logger.info("reconciled submission %s after %s", external_id, exc.message)
        data = found
    return Submission(
        provider_job_id=str(data["task_id"]),
        state={"path": path, "external_task_id": body["external_task_id"]},
    )


def _external_id(ctx: ProviderContext) -> str:
    return ctx.submission_id or ctx.job_id or uuid.uuid4().hex


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    return await _submit(model, JobKind.TEXT, text_body(model, request, _external_id(ctx)), ctx)


@hookimpl
async def reelgate_generate_from_image(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, ctx: ProviderContext
) -> Submission:
    body = image_body(model, request, image, _external_id(ctx))
    return await _submit(model, JobKind.IMAGE, body, ctx)


@hookimpl
async def reelgate_extend(
    model: ModelSpec, request: ExtendRequest, video: VideoInput, ctx: ProviderContext
) -> Submission:
    body = extend_body(request, video, _external_id(ctx))
    return await _submit(model, JobKind.EXTEND, body, ctx)


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    path = str(job.state.get("path", KIND_PATHS[job.kind.value]))
    data = await _lookup(_client(ctx), path, job.provider_job_id)
    if data is None:
        return Failed(
            error=JobError(
                error_class=ProviderError,
                provider_code="1203",
                message=f"KlingAI has no task {job.provider_job_id}",
            )
        )
    status = data.get("task_status")
    if status == "submitted":
        return Queued()
    if status == "processing":
        return Running()
    if status == "succeed":
        videos = (data.get("task_result") or {}).get("videos") or []
        if not videos:
            return Failed(
                error=JobError(
                    error_class=ProviderError,
                    provider_code="no_video",
                    message="KlingAI finished the task without a video",
                )
            )
        return Succeeded(
            videos=[
                VideoRef(
                    provider_video_id=str(v["id"]),
                    uri=v["url"],
                    duration_seconds=float(v["duration"]) if v.get("duration") else None,
                )
                for v in videos
            ]
        )
    message = str(data.get("task_status_msg") or f"task status {status!r}")
    error_class = ContentRejectedError if is_content_failure(message) else ProviderError
    return Failed(
        error=JobError(error_class=error_class, message=message, provider_code=str(status))
    )


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    if not video.uri:
        raise ProviderError(
            f"KlingAI video {video.provider_video_id} has no URL", provider=PROVIDER
        )
    async for chunk in _client(ctx).stream(video.uri):
        yield chunk
