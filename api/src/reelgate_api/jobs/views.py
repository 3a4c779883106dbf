"""What the API tells of a job (its record and its flow run): its status words, and views
read from Prefect.

The one table from Prefect state types to the API's statuses lives here, with the statuses
that end a job and the Prefect states that end a run.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import State, StateType
from prefect.client.schemas.sorting import TaskRunSort

from reelgate.errors import ConflictError, NotFoundError, ReelgateError
from reelgate.requests import GenerateRequest, is_job_id
from reelgate.runtimes import get_runtime
from reelgate_flows.inline_videos import inflated
from reelgate_flows.job_ids import find_job_run
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.sources import customer_of_request

STATUS_OF_STATE = {
    StateType.SCHEDULED: "queued",
    StateType.PENDING: "queued",
    StateType.PAUSED: "queued",
    StateType.RUNNING: "running",
    StateType.COMPLETED: "succeeded",
    StateType.FAILED: "failed",
    StateType.CRASHED: "failed",
    StateType.CANCELLING: "cancelled",
    StateType.CANCELLED: "cancelled",
}
"""The API status of each Prefect state type."""

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
"""Statuses after which a job never changes."""

FINAL_STATE_TYPES = [
    StateType.COMPLETED,
    StateType.FAILED,
    StateType.CRASHED,
    StateType.CANCELLED,
]
"""Prefect states that end a run (Cancelling reads as cancelled but has not ended yet)."""


@dataclass(frozen=True)
class JobView:
    """What the API tells of a job: its status and, once it ended, its envelope or error."""

    job_id: str
    status: str
    customer_id: str | None = None
    provider: str | None = None
    step: str | None = None
    progress: float | None = None
    message: str | None = None
    """The latest word on a running job (the provider's, e.g. that it is throttled)."""
    result: dict[str, Any] | None = None
    error: BaseException | None = None
    ended_at: datetime.datetime | None = None
    """When it entered its final state (as its Prefect run says), once it ended."""

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def retryable(self) -> bool | None:
        """For a failed job: whether sending its request again under its Idempotency-Key
        resumes it (see ``reelgate_flows.rerun``); None while it has not failed."""
        if self.status != "failed":
            return None
        return isinstance(self.error, ReelgateError) and self.error.details.get("retryable") is True


def provider_of(request: GenerateRequest) -> str:
    """The provider serving a request's model ("unknown" when none does)."""
    try:
        return get_runtime().resolve(request.video.model).spec.provider.name
    except ReelgateError:
        return "unknown"


def provider_of_body(body: Any) -> str:
    """:func:`provider_of` for a flow run's ``request`` parameter (a model or its JSON)."""
    if isinstance(body, GenerateRequest):
        return provider_of(body)
    if not isinstance(body, dict):
        return "unknown"
    try:
        return provider_of(
            GenerateRequest.model_validate({k: v for k, v in body.items() if k != "video_id"})
        )
    except ValueError:
        return "unknown"


async def current_step(client: PrefectClient, run_id: uuid.UUID) -> str | None:
    """The name of the run's latest task run (its current step), if any."""
    task_runs = await client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
        sort=TaskRunSort.EXPECTED_START_TIME_DESC,
        limit=1,
    )
    return task_runs[0].name.split("-")[0] if task_runs else None


async def read_view(
    client: PrefectClient, job_id: str, records: JobRecords | None = None
) -> JobView | None:
    """The job's view from its admission record (when ``records`` hold one) and the Prefect
    API; None when there is no such job (job ids are canonical UUIDs: another spelling of one
    names no job)."""
    if not is_job_id(job_id):
        return None
    record = await records.get(job_id) if records is not None else None
    if record is not None and record.flow_run_id is None:
        status = "cancelled" if record.withdrawn else "queued"
        return JobView(job_id, status, record.customer_id, record.provider)
    run = await find_job_run(client, job_id, records)
    if run is None:
        return None
    if record is not None:
        customer, provider = record.customer_id, record.provider
    else:
        request = run.parameters.get("request")
        customer, provider = customer_of_request(request), provider_of_body(request)
    if run.state is None:
        return JobView(job_id, "queued", customer, provider)
    if run.state_type is not StateType.RUNNING:
        return await view_of_state(job_id, run.state, customer, provider, None)
    published = record.progress if record is not None and record.progress else None
    if published is None:  # no worker wrote it (yet): the run's current task tells the step
        return JobView(
            job_id, "running", customer, provider, step=await current_step(client, run.id)
        )
    return JobView(
        job_id,
        "running",
        customer,
        provider,
        published.get("step"),
        published.get("fraction"),
        published.get("message"),
    )


async def view_of_state(
    job_id: str, state: State, customer: str | None, provider: str | None, step: str | None
) -> JobView:
    """The view of a job whose run is in ``state`` (its result or error read when ended)."""
    status = STATUS_OF_STATE.get(state.type, "queued")
    if status == "succeeded":
        result = await inflated(await state.aresult())
        return JobView(
            job_id,
            status,
            customer,
            provider,
            result=result if isinstance(result, dict) else None,
            ended_at=state.timestamp,
        )
    if status == "failed":
        error = await state.aresult(raise_on_failure=False)
        if not isinstance(error, BaseException):
            error = RuntimeError(state.message or "the job failed")
        return JobView(job_id, status, customer, provider, error=error, ended_at=state.timestamp)
    ended_at = state.timestamp if status in TERMINAL_STATUSES else None
    return JobView(job_id, status, customer, provider, step=step, ended_at=ended_at)


def check_cancellable(job_id: str, view: JobView | None) -> JobView:
    """NotFoundError for an unknown job, ConflictError for one that already ended."""
    if view is None:
        raise NotFoundError(f"no job {job_id}")
    if view.ended:
        raise ConflictError(f"job {job_id} already ended ({view.status})", status=view.status)
    return view
