"""The Prefect flows ``generate-video`` and ``extend-video``.

One flow run per request; its job id is the flow run id, or the id the API admitted it under
(:mod:`reelgate_flows.job_ids`). The flow returns the seed's success envelope
as a dict (persisted, so a later extend can find the video by job id; an inline video by
reference, :mod:`reelgate_flows.inline_videos`) or raises a core error
marked ``retryable`` when a re-run of the same run resumes it (:mod:`reelgate_flows.rerun`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.runtime import flow_run

from reelgate.envelope import Fallback
from reelgate.errors import (
    ReelgateError,
    StorageError,
)
from reelgate.jobs import ProviderJob, VideoRef
from reelgate.media import VideoInput
from reelgate.pricing import Price
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate_flows import delivery_steps, result_storage, steps, tracing
from reelgate_flows.admission import RUN_ADMITTER, RunGate, as_seen_here, run_gate
from reelgate_flows.billed import billed_verdict
from reelgate_flows.fair_gate import count_from_admission, uncount
from reelgate_flows.idempotency import model_tag, video_tag
from reelgate_flows.job_ids import job_id_of
from reelgate_flows.job_spans import (
    admitted_here,
    job_span,
    model_attributes,
    now_ns,
    video_attributes,
)
from reelgate_flows.metadata import cost_of_delivery, metadata
from reelgate_flows.pending import PendingJob
from reelgate_flows.progress import ProgressEvent, emit
from reelgate_flows.rerun import annotate
from reelgate_flows.settings import pinned_run_settings, run_settings
from reelgate_flows.sources import resolve_video
from reelgate_flows.spool import Spool
from reelgate_flows.storage import StoredObject
from reelgate_flows.submitting import Attempt, Reached, step, submit_first_taken, waited

COST_TAG = "cost-usd:"
logger = logging.getLogger("reelgate.flows")
result_storage.remember_server_default_storage()


async def _run(
    request: GenerateRequest,
    video: VideoInput | None,
    idempotency_key: str | None,
    allow_local_inputs: bool,
) -> dict[str, Any]:
    """The run's admission (:class:`~reelgate_flows.admission.RunGate`), then the steps; a
    core error leaves saying whether and how a re-run resumes the job."""
    reached = Reached()
    job_id, run_id = _job_id()
    gate = run_gate()
    started = now_ns()
    async with job_span(gate, request, job_id) as span:
        try:
            prices, record = await gate.admit(request, job_id, run_id)
            admitted_here(record, request, started)
            if record.admitted_by == RUN_ADMITTER:  # no API admitted it: its share counts here
                await count_from_admission(job_id, request.customer_id, None, run_settings())
            attempt = Attempt(job_id, idempotency_key, video, allow_local_inputs, record.key_id)
            envelope = await _steps(request, attempt, reached, prices)
        except BaseException as exc:
            as_seen_here(exc)
            if isinstance(exc, ReelgateError):
                annotate(exc, reached.job, reached.submitted, idempotency_key)
                billed = billed_verdict(exc, reached.job, reached.submitted, reached.finished)
                exc.details["billed"] = billed
                span.set_attribute("reelgate.billed", str(billed).lower())
            await _tell_gate(gate, job_id, None, exc, reached.submitted)
            raise
        span.set_attributes(_outcome_attributes(envelope))
    await _tell_gate(gate, job_id, envelope, None)
    return envelope


def _outcome_attributes(envelope: dict[str, Any]) -> dict[str, Any]:
    """What a finished job's span says of what it made and cost."""
    data = envelope.get("data") or {}
    cost = (data.get("cost") or {}).get("amount")
    return {
        key: value
        for key, value in {
            "gen_ai.provider.name": data.get("provider"),
            "gen_ai.response.model": data.get("model"),
            "reelgate.provider_job_id": data.get("provider_job_id"),
            "reelgate.cost_usd": cost,
            "reelgate.video_seconds": data.get("duration"),
            "reelgate.billed": "true",
        }.items()
        if value is not None
    }


async def _tell_gate(
    gate: RunGate,
    job_id: str,
    envelope: dict[str, Any] | None,
    error: BaseException | None,
    submitted: bool = True,
) -> None:
    """Settle or release the run's reservation, and count the job against its fair share no
    more; a failure to is logged, never the job's."""
    await asyncio.shield(uncount(job_id))  # a run cancelled again meanwhile still gives it back
    try:
        await gate.ended(job_id, envelope, error, submitted)
    except Exception:
        logger.exception("settling the reservation of job %s failed", job_id)


async def _steps(
    request: GenerateRequest,
    attempt: Attempt,
    reached: Reached,
    prices: dict[str, Price | None] | None = None,
) -> dict[str, Any]:
    """Submit, wait, deliver; the success envelope, costed at ``prices`` (the admission's)
    when given."""
    job_id = _job_id()[0]
    settings = run_settings()
    wait = steps.retrying(steps.wait, settings.step_retries, settings)
    several = len(get_runtime().candidates(request)) > 1
    async with contextlib.AsyncExitStack() as held:
        request, job, tried = await submit_first_taken(request, attempt, reached, held)
        accepted = f"{job.provider} job {job.provider_job_id} accepted"
        emit(ProgressEvent(job_id, "wait", None, accepted, provider_job=job))
        refs = await waited(job, job_id, wait)
        reached.finished = True
    fallback = Fallback(served_by=job.model, tried=tried) if several else None
    cost = cost_of_delivery(request, job, refs, prices)
    tagged = asyncio.ensure_future(_tag_run(refs, job.model, cost.amount))  # while the videos come
    try:
        stored, refs, signed = await _deliver(request, job, job_id, refs, attempt.video)
    except BaseException:
        await asyncio.wait([tagged])
        failed = None if tagged.cancelled() else tagged.exception()
        if failed is not None:  # the delivery's error is the one raised
            logger.warning("tagging the run of job %s failed too: %s", job_id, failed)
        raise
    await tagged
    return metadata(request, job, job_id, refs, stored, fallback, prices, signed)


async def _deliver(
    request: GenerateRequest,
    job: ProviderJob,
    job_id: str,
    refs: list[VideoRef],
    source: VideoInput | None,
) -> tuple[list[StoredObject], list[VideoRef], dict[str, Any] | None]:
    """Download, check, sign (when configured) and store every video of the finished
    ``job``; the stored objects, ``refs`` completed with what the check measured where the
    provider told nothing, and what the content credentials say."""
    settings = run_settings()
    download = steps.retrying(delivery_steps.download, settings.step_retries, settings)
    spooled = []
    measured: list[VideoRef] = []
    for ref in refs:
        step(job_id, "download", f"downloading video {ref.provider_video_id}")
        expected = delivery_steps.expected_seconds(job, ref, request)
        with tracing.span("reelgate.download", **model_attributes(job.provider, job.model)) as span:
            done = await download(job, ref, job_id, request.customer_id, expected)
            measured.append(delivery_steps.with_facts(ref, done["facts"]))
            span.set_attributes(video_attributes(measured[-1]))
        spooled.append(done["path"])
    refs = measured
    signed = await delivery_steps.sign(spooled, request, job, job_id, source)
    stored: list[StoredObject] = []
    for ref, spool_path in zip(refs, spooled, strict=True):
        step(job_id, "store", f"storing video {ref.provider_video_id}")
        try:
            with tracing.span("reelgate.store", **model_attributes(job.provider, job.model)):
                stored.append(
                    await delivery_steps.store(spool_path, request.customer_id, request.save_to_db)
                )
        except StorageError as exc:
            pending = PendingJob(request, job, refs, spooled, stored)
            path = Spool(settings.spool_dir).record_pending(job_id, pending.to_record())
            exc.message += f"; drain-spool will store it and complete job {job_id}"
            exc.details["pending_record"] = str(path)
            raise
    return stored, refs, signed


def _job_id() -> tuple[str, uuid.UUID]:
    """The running flow run's job id and run id."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("reelgate's flows run as Prefect flow runs")
    return job_id_of(context.flow_run), context.flow_run.id


async def _tag_run(refs: list[VideoRef], model: str, amount: float | None) -> None:
    """Mark the run with the provider videos it made (see ``idempotency.video_tag``), their
    model and what they cost (``cost-usd:0.8``, or ``cost-usd:unknown``), in one update."""
    spent = f"{COST_TAG}{'unknown' if amount is None else f'{amount:g}'}"
    videos = (video_tag(ref.provider_video_id) for ref in refs)
    tags = sorted({*flow_run.get_tags(), *videos, model_tag(model), spent})
    async with get_client() as client:
        await client.update_flow_run(uuid.UUID(flow_run.get_id()), tags=tags)


@flow(name="generate-video", persist_result=True, validate_parameters=True, log_prints=False)
async def generate_video(
    request: GenerateRequest,
    idempotency_key: str | None = None,
    allow_local_inputs: bool = False,
) -> dict[str, Any]:
    """Text-to-video, or image-to-video when ``request.input_image_url`` is set.

    ``idempotency_key``: runs with the same key and request reuse one provider job.
    ``allow_local_inputs``: let ``input_image_url`` be a local path (the CLI only).
    """
    with pinned_run_settings():
        return await _run(request, None, idempotency_key, allow_local_inputs)


@flow(name="extend-video", persist_result=True, validate_parameters=True, log_prints=False)
async def extend_video(
    request: ExtendRequest,
    idempotency_key: str | None = None,
    allow_local_inputs: bool = False,
) -> dict[str, Any]:
    """Continue the video named by ``request.video_id`` (a job id, provider video id, URL, or a
    local path when ``allow_local_inputs``). Without an explicit model, a job id's own model
    is used."""
    with pinned_run_settings() as settings:
        source = await resolve_video(
            request.video_id, request.customer_id, settings, allow_local_inputs
        )
        if source.model and "model" not in request.video.model_fields_set:
            request = request.with_model(source.model)
        return await _run(request, source.video, idempotency_key, allow_local_inputs)


__all__ = ["extend_video", "generate_video"]
