"""``reelgate schedule`` (create, ``--list``, ``--delete``) and ``reelgate limit`` (set,
``--remove``): standing orders kept on the Prefect server."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from reelgate.errors import NotFoundError, ValidationError
from reelgate.runtimes import get_runtime
from reelgate_flows.settings import Settings

SCHEDULE_TAG = "reelgate-schedule"
"""The tag of every deployment ``reelgate schedule`` made (what ``--list`` and ``--delete``
look at: reelgate's own deployments are never listed nor deleted)."""


def read_request(path: str) -> dict[str, Any]:
    """The request of a schedule, admitted as each of its runs will be (model, settings and
    the rules between them; the providers' credentials are the workers'), before anything is
    created."""
    from reelgate.requests import request_from_body
    from reelgate_flows.admission import prepare

    try:
        body = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read the request {path}: {exc}") from exc
    if not isinstance(body, dict):
        raise ValidationError(f"{path} is not a valid request: it must be a JSON object")
    try:
        request = request_from_body(body)
    except ValidationError as exc:
        raise ValidationError(
            f"{path} is not a valid request: {'; '.join(exc.details['problems'])}"
        ) from exc
    asyncio.run(prepare(request, configured=False))
    return dict(body)


def check_schedule_arguments(args: argparse.Namespace) -> None:
    """What each form of ``reelgate schedule`` needs; admits the request of a new schedule
    (``args.checked_request``) before anything is created."""
    if args.list:
        return
    if not args.name:
        raise ValidationError("schedule needs a NAME (or --list)")
    if args.delete:
        return
    if not args.request or not (args.cron or args.every):
        raise ValidationError("a new schedule needs --request FILE and --cron or --every")
    args.checked_request = read_request(args.request)


async def schedule(args: argparse.Namespace, console: Console) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        if args.list:
            return await _list_schedules(client)
        if args.delete:
            return await _delete_schedule(client, args.name)
        return await _create_schedule(client, args)


async def _create_schedule(client: Any, args: argparse.Namespace) -> int:
    from reelgate_flows.deployments import (
        cron_schedule,
        deploy_flow,
        ensure_work_pool,
        interval_schedule,
    )
    from reelgate_flows.flows import extend_video, generate_video

    body = args.checked_request
    flow = extend_video if "video_id" in body else generate_video
    when = cron_schedule(args.cron, args.timezone) if args.cron else interval_schedule(args.every)
    pool = args.pool or Settings.current().work_pool
    await ensure_work_pool(client, pool)
    deployment_id = await deploy_flow(
        client,
        flow,
        args.name,
        pool,
        schedules=[when],
        parameters={"request": body},
        description=f"scheduled {flow.name}: {body.get('prompt', '')[:80]}",
        tags=["reelgate", SCHEDULE_TAG],
    )
    print(f"scheduled {flow.name}/{args.name} on pool {pool} ({deployment_id})")
    return 0


async def _scheduled_deployments(client: Any, name: str | None = None) -> list[Any]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        DeploymentFilterTags,
    )

    wanted = DeploymentFilter(
        tags=DeploymentFilterTags(all_=[SCHEDULE_TAG]),
        name=DeploymentFilterName(any_=[name]) if name else None,
    )
    return list(await client.read_deployments(deployment_filter=wanted))


def _when(deployment: Any) -> str:
    parts = []
    for entry in deployment.schedules or []:
        plan = entry.schedule
        if getattr(plan, "cron", None):
            parts.append(f"cron '{plan.cron}' {plan.timezone or 'UTC'}")
        elif getattr(plan, "interval", None):
            parts.append(f"every {plan.interval.total_seconds():g} s")
    return ", ".join(parts) or "no schedule"


async def _list_schedules(client: Any) -> int:
    """One JSON object per schedule: name, flow, when, pool, customer, model, prompt."""
    rows = []
    for deployment in await _scheduled_deployments(client):
        request = (deployment.parameters or {}).get("request") or {}
        video = (request.get("settings") or {}).get("video") or {}
        rows.append(
            {
                "name": deployment.name,
                "when": _when(deployment),
                "active": any(entry.active for entry in deployment.schedules or []),
                "pool": deployment.work_pool_name,
                "customer_id": request.get("customer_id"),
                "model": video.get("model"),
                "prompt": request.get("prompt"),
            }
        )
    print(json.dumps(sorted(rows, key=lambda row: str(row["name"])), indent=2))
    return 0


async def _delete_schedule(client: Any, name: str) -> int:
    """Deletes the schedule (its deployment; runs already made keep their records)."""
    found = await _scheduled_deployments(client, name)
    if not found:
        raise NotFoundError(f"no schedule named {name!r} (see `reelgate schedule --list`)")
    for deployment in found:
        await client.delete_deployment(deployment.id)
    print(f"deleted schedule {name}")
    return 0


async def limit(args: argparse.Namespace, console: Console) -> int:
    """Set (or ``--remove``) the limit of jobs in flight at one provider across workers."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from reelgate_flows.limits import limit_name, set_provider_limit

    provider = get_runtime().registry.provider_named(args.provider)
    async with get_client() as client:
        if args.remove:
            try:
                await client.delete_global_concurrency_limit_by_name(limit_name(provider))
            except ObjectNotFound:
                raise NotFoundError(f"{provider} has no limit to remove") from None
            print(f"{limit_name(provider)} removed: jobs at {provider} are no longer limited")
            return 0
        if args.slots is None or args.slots < 0:
            raise ValidationError("limit needs SLOTS, a number 0 or more (or --remove)")
        await set_provider_limit(client, provider, args.slots)
    print(f"{limit_name(provider)}: {args.slots} job(s) in flight at once at {provider}")
    if args.slots == 0:
        console.print(
            f"[yellow]warning:[/yellow] 0 slots stops every new job at {provider}: they wait "
            f"until the limit is raised or removed (`reelgate limit {args.provider} --remove`)"
        )
    return 0
