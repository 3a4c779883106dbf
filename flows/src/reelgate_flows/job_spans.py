"""The spans of one job's run (:mod:`reelgate_flows.tracing`) and the attributes they carry:
the GenAI conventions' ``gen_ai.*`` where they fit, ``reelgate.*`` for the rest."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from reelgate.jobs import VideoRef
from reelgate.requests import GenerateRequest
from reelgate_flows import tracing
from reelgate_flows.admission import RUN_ADMITTER, RunGate, run_gate
from reelgate_flows.records.record import JobRecord

OPERATION = "generate_content"
"""``gen_ai.operation.name`` of a video generation (the conventions' multimodal operation)."""


def request_attributes(request: GenerateRequest, job_id: str) -> dict[str, Any]:
    """What every span of ``request``'s job says of it."""
    video = request.video
    return {
        "gen_ai.operation.name": OPERATION,
        "gen_ai.request.model": video.model,
        "reelgate.job_id": job_id,
        "reelgate.customer_id": request.customer_id,
        "reelgate.duration_seconds": video.duration_seconds,
        "reelgate.resolution": video.resolution,
        "reelgate.aspect_ratio": video.aspect_ratio,
    }


def model_attributes(provider: str, model: str) -> dict[str, Any]:
    return {"gen_ai.provider.name": provider, "gen_ai.request.model": model}


def video_attributes(video: VideoRef) -> dict[str, Any]:
    """What the media check measured of a downloaded video."""
    measured = {
        "reelgate.video_seconds": video.duration_seconds,
        "reelgate.width": video.width,
        "reelgate.height": video.height,
        "reelgate.provider_video_id": video.provider_video_id,
    }
    return {key: value for key, value in measured.items() if value is not None}


@asynccontextmanager
async def job_span(gate: RunGate, request: GenerateRequest, job_id: str) -> AsyncIterator[Any]:
    """The ``reelgate.job`` span of a run, continuing the trace its admission began (read from
    the job's record, only when tracing is on)."""
    if not tracing.enabled():
        yield tracing.NO_SPAN
        return
    record = await gate.records.get(job_id)
    parent = None if record is None else record.trace
    with tracing.span("reelgate.job", parent=parent, **request_attributes(request, job_id)) as span:
        yield span


@asynccontextmanager
async def plan_span(customer_id: str, shots: int, job_id: str) -> AsyncIterator[Any]:
    """The ``reelgate.storyboard`` span of a storyboard's run, continuing its admission's
    trace; its shots' runs (subflows, recorded without a trace of their own) are its
    children."""
    if not tracing.enabled():
        yield tracing.NO_SPAN
        return
    record = await run_gate().records.get(job_id)
    parent = None if record is None else record.trace
    attributes = {
        "gen_ai.operation.name": OPERATION,
        "reelgate.job_id": job_id,
        "reelgate.customer_id": customer_id,
        "reelgate.shots": shots,
    }
    with tracing.span("reelgate.storyboard", parent=parent, **attributes) as span:
        yield span


def admitted_here(record: JobRecord, request: GenerateRequest, started_ns: int) -> None:
    """A ``reelgate.admit`` span for a run that admitted its job itself (no API process did:
    the CLI, a backfill item, a schedule), from ``started_ns`` to now."""
    if record.admitted_by == RUN_ADMITTER:
        tracing.record_span(
            "reelgate.admit", started_ns, **request_attributes(request, record.job_id)
        )


def now_ns() -> int:
    return time.time_ns()
