"""Registers reelgate's flows as Prefect deployments on a work pool (``reelgate deploy``).

Each flow of :data:`~reelgate_flows.catalog.FLOWS` becomes ``<flow>/<name>`` with its typed
parameter schema (the Prefect UI's run form) and its entrypoint in the installed package, so
any ``reelgate worker`` polling the pool can run it. ``drain-spool`` carries an interval
schedule. Deploying again updates the deployments in place.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import DeploymentScheduleCreate, WorkPoolCreate
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.utilities.callables import parameter_schema

from reelgate_flows.catalog import FLOWS
from reelgate_flows.drain import drain_spool

WORK_POOL_TYPE = "reelgate"
"""Runs of this pool are executed in-process by ``reelgate worker``."""


async def ensure_work_pool(client: PrefectClient, pool: str) -> None:
    """Create the work pool unless it exists."""
    try:
        await client.read_work_pool(pool)
    except ObjectNotFound:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(
                WorkPoolCreate(
                    name=pool,
                    type=WORK_POOL_TYPE,
                    description="reelgate video jobs, run by `reelgate worker`",
                )
            )


def _entrypoint(flow: Flow[..., Any]) -> str:
    return f"{flow.fn.__module__}:{flow.fn.__name__}"


async def deploy_flow(
    client: PrefectClient,
    flow: Flow[..., Any],
    name: str,
    pool: str,
    *,
    schedules: list[DeploymentScheduleCreate] | None = None,
    parameters: dict[str, Any] | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
) -> UUID:
    """Create or update the deployment ``<flow>/<name>`` (tagged ``reelgate`` unless ``tags``
    says otherwise); returns its id."""
    flow_id = await client.create_flow_from_name(flow.name)
    deployment_id = await client.create_deployment(
        flow_id,
        name,
        work_pool_name=pool,
        entrypoint=_entrypoint(flow),
        parameter_openapi_schema=parameter_schema(flow).model_dump_for_openapi(),
        enforce_parameter_schema=True,
        parameters=parameters or {},
        description=description or flow.description,
        tags=tags or ["reelgate"],
    )
    if schedules is not None:
        for existing in await client.read_deployment_schedules(deployment_id):
            await client.delete_deployment_schedule(deployment_id, existing.id)
        if schedules:
            await client.create_deployment_schedules(deployment_id, schedules)
    return deployment_id


async def deploy_all(
    client: PrefectClient, pool: str, name: str, drain_every_seconds: float | None
) -> dict[str, UUID]:
    """Deploy every reelgate flow on ``pool``; ``drain-spool`` runs every
    ``drain_every_seconds`` (None: no schedule). Returns deployment ids by flow name."""
    await ensure_work_pool(client, pool)
    ids = {}
    for flow in FLOWS.values():
        schedules: list[DeploymentScheduleCreate] | None = None
        if flow is drain_spool:
            schedules = [interval_schedule(drain_every_seconds)] if drain_every_seconds else []
        ids[flow.name] = await deploy_flow(client, flow, name, pool, schedules=schedules)
    return ids


def interval_schedule(seconds: float) -> DeploymentScheduleCreate:
    return DeploymentScheduleCreate(schedule=IntervalSchedule(interval=timedelta(seconds=seconds)))


def cron_schedule(cron: str, timezone: str = "UTC") -> DeploymentScheduleCreate:
    return DeploymentScheduleCreate(schedule=CronSchedule(cron=cron, timezone=timezone))
