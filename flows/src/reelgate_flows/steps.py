"""The steps of a generation up to the provider's finished videos: validate → submit → wait
(DESIGN §2; download → store are :mod:`reelgate_flows.delivery_steps`). Steps that buy
something from Prefect are tasks: ``submit`` (its cached result), ``wait`` (retries),
``validate`` when it fetches an input image (retries); the others are plain functions, each task
run costing the engine and its API a few milliseconds.

``submit`` is the only step that spends money. Its result is persisted under a cache key made
of the idempotency key (or the flow run id) and a digest of the request, so a retried flow, a
second run with the same key, or a run resumed in another process reuses the job the provider
already accepted instead of paying again. It is retried only on failures that prove nothing
was accepted (rate limits). Every other step is idempotent and retried on transient errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.tasks import exponential_backoff

from reelgate import errors
from reelgate.context import ProgressCallback
from reelgate.defaults import aspect_ratio_of
from reelgate.errors import ReelgateError
from reelgate.jobs import Cancelled, Failed, JobKind, ProviderJob, Queued, Succeeded, VideoRef
from reelgate.media import ImageInput, ReferenceInput, VideoInput
from reelgate.requests import GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate_flows.busy import released_while_waiting
from reelgate_flows.http import shared_client
from reelgate_flows.image_checks import checked_image_type, image_size
from reelgate_flows.inputs import fetch
from reelgate_flows.progress import ProgressEvent, emit
from reelgate_flows.reference_inputs import fetched_references
from reelgate_flows.retry import retry_if_retryable, retry_if_safe_to_resubmit
from reelgate_flows.routing import observe
from reelgate_flows.settings import Settings, run_settings
from reelgate_flows.uploads import UPLOAD_SCHEME, upload_bytes

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Prepared:
    """A validated request: the resolved model id and the fetched inputs."""

    model: str
    image: ImageInput | None = None
    video: VideoInput | None = None
    aspect_ratio: str | None = None
    """The first frame's aspect ratio, for a request that set none (the model's nearest)."""
    references: tuple[ReferenceInput, ...] = ()


_RETRYING: dict[tuple[str, int, float], Task[..., Any]] = {}


def retrying(step: Task[P, R], retries: int, settings: Settings) -> Task[P, R]:
    """``step`` with ``retries`` attempts more, backing off from ``settings.retry_base_seconds``
    (read at call time, so the settings of the running process apply)."""
    key = (step.name, retries, settings.retry_base_seconds)
    if key not in _RETRYING:
        _RETRYING[key] = step.with_options(
            retries=retries,
            retry_delay_seconds=exponential_backoff(backoff_factor=settings.retry_base_seconds),
        )
    return _RETRYING[key]  # type: ignore[return-value]


def step_progress(job_id: str, step: str) -> ProgressCallback:
    def report(fraction: float | None, message: str) -> None:
        emit(ProgressEvent(job_id, step, fraction, message))

    return report


@task(name="validate", cache_policy=NO_CACHE, retry_condition_fn=retry_if_retryable)
async def validate(
    request: GenerateRequest, video: VideoInput | None, allow_local_inputs: bool
) -> Prepared:
    """Check the request (``Runtime.prepare``, as every face did before the run), fetch and
    check the input image (whose aspect ratio the video takes when the request set none) and
    the references (:mod:`reelgate_flows.reference_inputs`)."""
    settings = run_settings()
    runtime = get_runtime()
    prepared = runtime.prepare(request, video=video)
    capabilities = runtime.resolve(prepared.model).spec.capabilities
    references = await fetched_references(
        request, capabilities.reference_roles, settings, allow_local_inputs
    )
    image: ImageInput | None = None
    aspect: str | None = None
    if prepared.kind is JobKind.IMAGE and request.input_image_url:
        data = await _image_bytes(request, settings, allow_local_inputs)
        mime = checked_image_type(data, settings.image_max_pixels)
        image = ImageInput(data=data, mime_type=mime)
        runtime.prepare(request, image=image)
        if "aspect_ratio" not in request.video.model_fields_set:
            aspect = aspect_ratio_of(*image_size(data), capabilities.aspect_ratios)
    return Prepared(prepared.model, image, video, aspect, tuple(references))


async def _image_bytes(
    request: GenerateRequest, settings: Settings, allow_local_inputs: bool
) -> bytes:
    """The input image: an upload kept at admission, or fetched from its URL."""
    url = request.input_image_url or ""
    if url.startswith(UPLOAD_SCHEME):
        return await upload_bytes(url, request.customer_id, settings)
    return await fetch(
        url,
        field="input_image_url",
        max_bytes=settings.image_max_bytes,
        timeout_seconds=settings.fetch_timeout_seconds,
        allow_private=settings.private_allowance(),
        allow_local_files=allow_local_inputs,
    )


def submission_key(request: GenerateRequest, prepared: Prepared, scope: str) -> str:
    """The cache key of a paid submission: one per (scope, request, inputs)."""
    digest = hashlib.sha256()
    digest.update(scope.encode())
    digest.update(json.dumps(request.model_dump(mode="json"), sort_keys=True).encode())
    for blob in (
        prepared.image.data if prepared.image else b"",
        prepared.video.data if prepared.video and prepared.video.data else b"",
        (prepared.video.provider_video_id or "").encode() if prepared.video else b"",
        *(reference.data for reference in prepared.references),  # none: the digest as before
    ):
        digest.update(hashlib.sha256(blob).digest())
    return f"reelgate-submit-{digest.hexdigest()}"


def _submit_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    return str(parameters["cache_key"])


@task(
    name="submit",
    cache_key_fn=_submit_cache_key,
    persist_result=True,
    cache_expiration=timedelta(days=7),
    retry_condition_fn=retry_if_safe_to_resubmit,
)
async def submit(
    request: GenerateRequest, prepared: Prepared, job_id: str, cache_key: str
) -> ProviderJob:
    """Submit the job to its provider. Spends money; see the module docstring."""
    runtime = get_runtime()
    pinned = request.with_model(prepared.model)
    ctx = runtime.context(
        runtime.resolve(prepared.model).spec.provider.name,
        job_id=job_id,
        submission_id=cache_key.removeprefix("reelgate-submit-")[:32],
        progress=step_progress(job_id, "submit"),
        http_client=shared_client(),
    )
    job = await runtime.submit(
        pinned, ctx, image=prepared.image, video=prepared.video, references=prepared.references
    )
    await observe(job.provider, job.model, {"accepted": None})  # not for a cached submission
    return job


class _QueuedClock:
    """How long the provider kept a job queued: recorded as its model's health once the job
    leaves the queue (nothing for a job never seen queued)."""

    def __init__(self, job: ProviderJob) -> None:
        self.job = job
        self.since: float | None = None
        self.done = False

    async def saw(self, status: object) -> None:
        if self.done or status is None:
            return
        if isinstance(status, Queued):
            self.since = self.since or time.monotonic()
            return
        self.done = True
        if self.since is not None:
            seconds = time.monotonic() - self.since
            await observe(self.job.provider, self.job.model, {"queued": seconds})


@task(name="wait", cache_policy=NO_CACHE, retry_condition_fn=retry_if_retryable)
async def wait(job: ProviderJob, job_id: str) -> list[VideoRef]:
    """Poll until the job ends or the deadline passes, honouring the provider's poll hints.
    Transient poll failures are retried within the deadline. The run's busy slot is given
    back meanwhile (:mod:`reelgate_flows.busy`)."""
    async with released_while_waiting():
        return await _poll_until_done(job, job_id)


async def _poll_until_done(job: ProviderJob, job_id: str) -> list[VideoRef]:
    settings = run_settings()
    runtime = get_runtime()
    ctx = runtime.context(
        job.provider,
        job_id=job_id,
        progress=step_progress(job_id, "wait"),
        http_client=shared_client(),
    )
    deadline = time.monotonic() + settings.wait_timeout_seconds
    interval = settings.poll_min_seconds
    queued = _QueuedClock(job)
    while True:
        try:
            status = await runtime.poll(job, ctx)
        except ReelgateError as exc:
            if not exc.retryable or time.monotonic() >= deadline:
                raise
            status = None
        await queued.saw(status)
        if isinstance(status, Succeeded):
            ctx.progress(1.0, "finished")
            return list(status.videos)
        if isinstance(status, Failed):
            raise status.error.to_exception(job)
        if isinstance(status, Cancelled):
            raise errors.JobCancelledError(
                f"{job.provider} job {job.provider_job_id} was cancelled",
                provider=job.provider,
                provider_job_id=job.provider_job_id,
            )
        hint = getattr(status, "poll_after_seconds", None)
        interval = min(
            settings.poll_max_seconds,
            max(settings.poll_min_seconds, hint if hint else interval * 1.5),
        )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise errors.JobTimeoutError(
                f"{job.provider} job {job.provider_job_id} did not finish within "
                f"{settings.wait_timeout_seconds:g} s; it was not cancelled",
                provider=job.provider,
                provider_job_id=job.provider_job_id,
                job_id=job_id,
            )
        await asyncio.sleep(min(interval, remaining))
