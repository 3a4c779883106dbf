"""How a reelgate job id names its Prefect flow run.

A job admitted through the API gets its id when it is admitted, before its flow run exists;
the run is then created with the Prefect idempotency key ``reelgate-job:<job id>`` (so a
creation repeated after a crash finds the same run). A run started any other way (the CLI in
process, a backfill item, the Prefect UI) has no such key: its job id is its flow run id.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from prefect import Flow
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentFlowRunCreate, FlowRunCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterIdempotencyKey
from prefect.client.schemas.objects import FlowRun, FlowRunPolicy
from prefect.exceptions import ObjectNotFound
from prefect.states import Pending, Scheduled, to_state_create

from reelgate.requests import is_job_id
from reelgate_flows.records.jobs import JobRecords

JOB_KEY_PREFIX = "reelgate-job:"


def run_key(job_id: str) -> str:
    """The Prefect idempotency key of the flow run of an admitted job."""
    return f"{JOB_KEY_PREFIX}{job_id}"


def run_name(job_id: str) -> str:
    """The name of a job's flow run: the job id, so the Prefect UI finds the run by it."""
    return f"job-{job_id}"


def job_id_of(flow_run: FlowRun) -> str:
    """The job id of a flow run."""
    key = flow_run.idempotency_key
    if key and key.startswith(JOB_KEY_PREFIX):
        return key.removeprefix(JOB_KEY_PREFIX)
    return str(flow_run.id)


async def find_run(client: PrefectClient, job_id: str) -> FlowRun | None:
    """The flow run of ``job_id``; None when there is none (or ``job_id`` is not a canonical
    job id). A run created for an admitted job answers only to that job's id."""
    if not is_job_id(job_id):
        return None
    admitted = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            idempotency_key=FlowRunFilterIdempotencyKey(any_=[run_key(job_id)])
        ),
        limit=1,
    )
    if admitted:
        return admitted[0]
    try:
        run = await client.read_flow_run(uuid.UUID(job_id))
    except ObjectNotFound:
        return None
    return run if job_id_of(run) == job_id else None


async def find_job_run(
    client: PrefectClient, job_id: str, records: JobRecords | None
) -> FlowRun | None:
    """:func:`find_run`, through the job's admission record when ``records`` hold one (None
    while an admitted job's run is not created yet)."""
    record = await records.get(job_id) if records is not None and is_job_id(job_id) else None
    if record is None:
        return await find_run(client, job_id)
    if record.flow_run_id is None:
        return None
    try:
        return await client.read_flow_run(record.flow_run_id)
    except ObjectNotFound:
        return None


_FLOW_IDS: dict[tuple[str, str], uuid.UUID] = {}
"""Prefect flow ids by (API URL, flow name)."""


async def create_job_run(
    client: PrefectClient,
    flow: Flow[..., Any],
    job_id: str,
    parameters: dict[str, Any],
    tags: list[str],
) -> tuple[FlowRun, bool]:
    """Create the Pending flow run of admitted job ``job_id``, or find the one created before
    (by this or another process); returns it and whether this call created it."""
    where = (str(client.api_url), flow.name)
    if where not in _FLOW_IDS:
        _FLOW_IDS[where] = await client.create_flow(flow)
    create = FlowRunCreate(
        name=run_name(job_id),
        flow_id=_FLOW_IDS[where],
        flow_version=flow.version,
        parameters=parameters,
        tags=tags,
        idempotency_key=run_key(job_id),
        state=to_state_create(Pending()),
        empirical_policy=FlowRunPolicy(
            retries=flow.retries, retry_delay=int(flow.retry_delay_seconds or 0)
        ),
    )
    response = await client.request(
        "POST", "/flow_runs/", json=create.model_dump(mode="json", exclude_unset=True)
    )
    flow_run = FlowRun.model_validate(response.json())
    flow_run.parameters = parameters
    return flow_run, response.status_code == httpx.codes.CREATED


async def create_deployment_job_run(
    client: PrefectClient, deployment_id: uuid.UUID, job_id: str, parameters: dict[str, Any]
) -> FlowRun:
    """Create the Scheduled run of admitted job ``job_id`` from a deployment (any worker of its
    pool runs it), or find the one created before.

    The server does not check ``parameters`` against the deployment's JSON schema for these
    runs: the API built them from the flow's own request model, and the flow validates them
    again when it runs. That check was ~40 % of a creation's cost on a Prefect server on
    PostgreSQL (25.7 -> 42.1 creations/s, 8 at once); runs created by anyone else (the UI, the
    Prefect API) are still checked.
    """
    create = DeploymentFlowRunCreate(
        name=run_name(job_id),
        tags=["reelgate", f"job:{job_id}"],
        parameters=parameters,
        state=to_state_create(Scheduled()),
        idempotency_key=run_key(job_id),
        enforce_parameter_schema=False,
    )
    response = await client.request(
        "POST",
        "/deployments/{id}/create_flow_run",
        path_params={"id": deployment_id},
        json=create.model_dump(mode="json", exclude_unset=True),
    )
    return FlowRun.model_validate(response.json())
