"""The checks every face makes before it starts a job, the same for the HTTP app and the
in-process :class:`~reelgate_api.service.VideoGenerationService`."""

from __future__ import annotations

from typing import Any

from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import PreparedRequest, get_runtime
from reelgate_api.runner import JobRunner
from reelgate_flows.sources import source_job


async def as_it_will_run(runner: JobRunner, request: GenerateRequest) -> GenerateRequest:
    """The request with the model its run will use. The source of an extension must be the
    request's customer's (404 otherwise, as for an unknown video); an extension of a job
    without an explicit model continues with that job's model (as the flow does)."""
    if not isinstance(request, ExtendRequest):
        return request
    source = await runner.call(source_job(request.video_id, request.customer_id, runner.records))
    if source is not None and request.model_from_job:
        return request.with_model(str(source["model"]))
    return request


async def check_request(runner: JobRunner, request: GenerateRequest) -> PreparedRequest:
    """Raise the core error a run of ``request`` would fail with before it reaches a
    provider (unknown model, unsupported setting, someone else's source video); else the
    request as it will run."""
    return get_runtime().prepare(await as_it_will_run(runner, request))


async def estimate(runner: JobRunner, request: GenerateRequest) -> dict[str, Any]:
    """What ``request`` would cost, checked as if it were started: ``{"model", "provider",
    "cost": {"amount", "currency", "basis"}}`` (``amount`` null when the price is unknown)."""
    prepared = await check_request(runner, request)
    cost = get_runtime().estimate(prepared.request, prepared.model)
    return {
        "model": prepared.model,
        "provider": prepared.entry.spec.provider.name,
        "cost": cost.model_dump(mode="json"),
    }
