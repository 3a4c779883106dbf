"""The hooks of the example provider. Settings come from the context, never the environment;
every httpx failure and error answer becomes a core error at one boundary (:func:`_send`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from reelgate import (
    Cancelled,
    Failed,
    GenerateRequest,
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
    ProviderNotConfiguredError,
    ReelgateError,
    ValidationError,
)
from reelgate.http_errors import http_boundary, status_error
from reelgate_example.spec import EXAMPLE_VIDEO

PROVIDER = "example"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@hookimpl
def reelgate_models() -> Sequence[ModelSpec]:
    return [EXAMPLE_VIDEO]


def _error_for(response: httpx.Response) -> ReelgateError:
    """The one place where the provider's error answers become core errors."""
    try:
        message = str(response.json().get("error", {}).get("message", response.text))
    except ValueError:
        message = response.text[:200]
    generic = status_error(response, provider=PROVIDER, message=message)
    if generic is not None:
        return generic
    if response.status_code == 401:
        return ProviderNotConfiguredError(
            "Example Video refused the key: check EXAMPLE_API_KEY", provider=PROVIDER
        )
    if response.status_code == 422 and "policy" in message.lower():
        return ContentRejectedError(f"Example Video refused the content: {message}")
    if response.status_code in (400, 422):
        return ValidationError(f"Example Video refused the request: {message}")
    return ProviderError(f"Example Video answered {response.status_code}: {message}")


@asynccontextmanager
async def _client(ctx: ProviderContext) -> AsyncIterator[httpx.AsyncClient]:
    """The process's shared client when the core gives one, else a client for this call."""
    if ctx.http_client is not None:
        yield ctx.http_client
        return
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        yield client


def _target(ctx: ProviderContext, path: str) -> tuple[str, dict[str, str]]:
    """The URL of ``path`` and the auth header (settings come from the context)."""
    url = f"{ctx.require('base_url').rstrip('/')}{path}"
    return url, {"Authorization": f"Bearer {ctx.require('api_key')}"}


async def _send(
    ctx: ProviderContext,
    method: str,
    path: str,
    during: str,
    *,
    json: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request to the API; the answer, or the core error of any failure (a 404 is
    returned: only the caller knows what it means)."""
    url, auth = _target(ctx, path)
    async with _client(ctx) as client:
        with http_boundary(PROVIDER, during):
            response = await client.request(
                method, url, json=json, headers={**auth, **(headers or {})}
            )
    if response.status_code >= 400 and response.status_code != 404:
        raise _error_for(response)
    return response


@hookimpl
async def reelgate_generate(
    model: ModelSpec, request: GenerateRequest, ctx: ProviderContext
) -> Submission:
    """Submits once per ``ctx.submission_id``: the API answers a repeated Idempotency-Key with
    the job it already accepted, so a re-run after a lost answer never pays twice."""
    body = {
        "model": model.provider_model,
        "prompt": request.prompt,
        "seconds": request.video.duration_seconds,
        "aspect_ratio": request.video.aspect_ratio,
    }
    headers = {"Idempotency-Key": ctx.submission_id} if ctx.submission_id else {}
    response = await _send(ctx, "POST", "/v1/jobs", "create", json=body, headers=headers)
    if response.status_code == 404:
        raise _error_for(response)
    return Submission(provider_job_id=str(response.json()["id"]))


@hookimpl
async def reelgate_poll(job: ProviderJob, ctx: ProviderContext) -> JobStatus:
    response = await _send(ctx, "GET", f"/v1/jobs/{job.provider_job_id}", "poll")
    if response.status_code == 404:
        return Failed(error=JobError(message=f"Example Video has no job {job.provider_job_id}"))
    data = response.json()
    status = data["status"]
    if status == "queued":
        return Queued(poll_after_seconds=0.1)
    if status == "running":
        return Running(progress=data.get("progress"), poll_after_seconds=0.1)
    if status == "cancelled":
        return Cancelled()
    if status == "failed":
        reason = str(data.get("error") or "the job failed")
        error_class = ContentRejectedError if "policy" in reason else ProviderError
        return Failed(error=JobError(error_class=error_class, message=reason))
    return Succeeded(
        videos=[
            VideoRef(
                provider_video_id=job.provider_job_id,
                duration_seconds=float(data["seconds"]),
            )
        ]
    )


@hookimpl
async def reelgate_download(
    job: ProviderJob, video: VideoRef, ctx: ProviderContext
) -> AsyncIterator[bytes]:
    """Streams the video: it is never held in memory whole."""
    url, auth = _target(ctx, f"/v1/jobs/{job.provider_job_id}/content")
    async with _client(ctx) as client:
        with http_boundary(PROVIDER, "download"):
            async with client.stream("GET", url, headers=auth) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_for(response)
                async for chunk in response.aiter_bytes(1 << 16):
                    yield chunk


@hookimpl
async def reelgate_cancel(job: ProviderJob, ctx: ProviderContext) -> None:
    response = await _send(ctx, "POST", f"/v1/jobs/{job.provider_job_id}/cancel", "cancel")
    if response.status_code == 404:
        raise _error_for(response)
