"""The paid step of a run: submit to the job's first model that takes it
(:func:`submit_first_taken`), in the order :func:`~reelgate_flows.routing.route_of` pinned for
the job, moving on only while a refusal proves nothing was taken; each outcome is recorded as
its model's health (:mod:`reelgate_flows.records.health`; an acceptance by the submit step
itself, so a run that reuses a cached submission counts it once)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reelgate.errors import (
    CapabilityNotSupportedError,
    ContentRejectedError,
    JobCancelledError,
    ProviderError,
    ReelgateError,
    ValidationError,
)
from reelgate.jobs import ProviderJob, VideoRef
from reelgate.media import VideoInput
from reelgate.requests import GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate_flows import steps, tracing
from reelgate_flows.job_spans import model_attributes
from reelgate_flows.limits import provider_slot
from reelgate_flows.progress import ProgressEvent, emit
from reelgate_flows.routing import observe, outcome_of, provider_health, route_of
from reelgate_flows.settings import run_settings


@dataclass
class Reached:
    """How far a run got: whether it submitted, the provider job once one was accepted, and
    whether the provider finished it."""

    submitted: bool = False
    job: ProviderJob | None = None
    finished: bool = False


@dataclass(frozen=True)
class Attempt:
    """Where one try of the submission stands: the job it is for, its scope and inputs."""

    job_id: str
    idempotency_key: str | None
    video: VideoInput | None
    allow_local_inputs: bool
    key_id: str | None = None
    """The API key it was admitted under (its fair share applies)."""


async def submit_first_taken(
    request: GenerateRequest,
    attempt: Attempt,
    reached: Reached,
    held: contextlib.AsyncExitStack,
) -> tuple[GenerateRequest, ProviderJob, list[dict[str, str]]]:
    """Submit to the request's model, or to its fallbacks in turn while a refusal proves
    nothing was taken; the request as submitted, its provider job, and the models tried
    before. The provider's slot is pushed on ``held`` (held until the wait ends)."""
    settings = run_settings()
    validate = steps.retrying(steps.validate, settings.step_retries, settings)
    submit = steps.retrying(steps.submit, settings.submit_retries, settings)
    scope = attempt.idempotency_key or f"run:{attempt.job_id}"
    candidates = await route_of(request, scope)
    tried: list[dict[str, str]] = []
    for index, model in enumerate(candidates):
        one = request if candidates == [request.video.model] else request.only_model(model)
        slot = contextlib.AsyncExitStack()
        provider = ""
        try:
            step(attempt.job_id, "validate", "checking the request")
            fetches = one.input_image_url or one.references
            checks = validate if fetches else steps.validate.fn
            prepared = await checks(one, attempt.video, attempt.allow_local_inputs)
            if prepared.aspect_ratio:
                one = one.with_video(aspect_ratio=prepared.aspect_ratio)
            cache_key = steps.submission_key(one, prepared, scope)
            step(attempt.job_id, "submit", f"submitting to {prepared.model}")
            provider = get_runtime().resolve(prepared.model).spec.provider.name
            fair_job = (attempt.job_id, request.customer_id, attempt.key_id)
            await slot.enter_async_context(provider_slot(provider, fair_job))
            reached.submitted = True
            with tracing.span(
                "reelgate.submit", **model_attributes(provider, prepared.model)
            ) as span:
                job = reached.job = await submit(one, prepared, attempt.job_id, cache_key)
                span.set_attribute("reelgate.provider_job_id", job.provider_job_id)
        except ReelgateError as exc:
            await slot.aclose()
            outcome = outcome_of(exc) if reached.submitted else None
            if outcome is not None:
                await observe(provider, get_runtime().resolve(model).spec.id, {outcome: None})
            if not proves_nothing_taken(exc):
                if reached.submitted and len(candidates) > 1:
                    await provider_health().pin_to(scope, model)  # never moves on, in any run
                raise
            if index == len(candidates) - 1:
                raise
            tried.append({"model": model, "reason": exc.type, "message": exc.message})
            reached.submitted = False
            continue
        held.push_async_exit(slot)
        return one, job, tried
    raise AssertionError("a request has at least one candidate model")


async def waited(
    job: ProviderJob, job_id: str, wait: Callable[[ProviderJob, str], Awaitable[list[VideoRef]]]
) -> list[VideoRef]:
    """``wait`` for the provider to finish ``job``, recording the time to a finished video
    (or that the provider failed the job, or refused its content) as the model's health."""
    started = time.monotonic()
    try:
        with tracing.span(
            "reelgate.poll",
            **model_attributes(job.provider, job.model),
            **{"reelgate.provider_job_id": job.provider_job_id},
        ):
            refs = await wait(job, job_id)
    except ReelgateError as exc:
        if isinstance(exc, ContentRejectedError):
            await observe(job.provider, job.model, {"moderated": None})
        elif isinstance(exc, ProviderError) and not isinstance(exc, JobCancelledError):
            await observe(job.provider, job.model, {"failed": None})
        raise
    await observe(job.provider, job.model, {"finished": time.monotonic() - started})
    return refs


def step(job_id: str, name: str, message: str) -> None:
    """Tell the job's watchers which step it entered."""
    emit(ProgressEvent(job_id, name, None, message))


def proves_nothing_taken(error: ReelgateError) -> bool:
    """Whether a failed attempt on one model proves that model took nothing, so the next may
    be tried without paying twice: it was refused before submission (not configured, not
    able to do the request) or refused the submission itself (rate limited, proven not
    accepted). An unclear submission never moves on."""
    return error.safe_to_resubmit or isinstance(
        error, ValidationError | CapabilityNotSupportedError
    )
