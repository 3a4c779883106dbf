"""The operations commands of ``reelgate``: deploy, worker, schedule, limit, drain-spool and
backfill. Each talks to the Prefect API of ``PREFECT_API_URL`` (or the embedded one)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

from rich.console import Console

from reelgate.errors import ValidationError
from reelgate.runtime import get_runtime
from reelgate_flows.embedded_api import own_prefect_api
from reelgate_flows.settings import Settings


async def _deploy(args: argparse.Namespace, console: Console) -> int:
    from prefect.client.orchestration import get_client

    from reelgate_flows.deployments import deploy_all
    from reelgate_flows.result_storage import RESULTS_FOLDER, use_object_store_for_results

    settings = Settings.current()
    pool = args.pool or settings.work_pool
    name = args.name or settings.deployment_name
    async with get_client() as client:
        ids = await deploy_all(client, pool, name, args.drain_every or None)
        results = await use_object_store_for_results(client, settings.storage_url)
    for flow_name, deployment_id in ids.items():
        print(f"deployed {flow_name}/{name} on pool {pool} ({deployment_id})")
    if results is not None:
        where = f"{settings.storage_url.rstrip('/')}/{RESULTS_FOLDER}"
        print(f"job results and the submission cache: {where} (the server's result storage)")
    return 0


async def _worker(args: argparse.Namespace, console: Console) -> int:
    from reelgate_api.worker import Worker

    os.environ.setdefault("REELGATE_PROVIDER_LIMITS", "true")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    worker = Worker(
        args.pool or Settings.current().work_pool,
        args.name,
        args.max_running,
        poll_seconds=args.poll_seconds,
        max_in_flight=args.max_in_flight,
    )
    console.print(f"worker {worker.name} polling pool {worker.pool}")
    await worker.run(stop)
    return 0


def _read_request(path: str) -> dict[str, Any]:
    from pydantic import ValidationError as PydanticValidationError

    from reelgate.requests import ExtendRequest, GenerateRequest

    try:
        body = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read the request {path}: {exc}") from exc
    model = ExtendRequest if isinstance(body, dict) and "video_id" in body else GenerateRequest
    try:
        model.model_validate(body)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise ValidationError(f"{path} is not a valid request: {problems}") from exc
    return dict(body)


async def _schedule(args: argparse.Namespace, console: Console) -> int:
    from prefect.client.orchestration import get_client

    from reelgate_flows.deployments import (
        cron_schedule,
        deploy_flow,
        ensure_work_pool,
        interval_schedule,
    )
    from reelgate_flows.flows import extend_video, generate_video

    body = _read_request(args.request)
    flow = extend_video if "video_id" in body else generate_video
    when = cron_schedule(args.cron, args.timezone) if args.cron else interval_schedule(args.every)
    pool = args.pool or Settings.current().work_pool
    async with get_client() as client:
        await ensure_work_pool(client, pool)
        deployment_id = await deploy_flow(
            client,
            flow,
            args.name,
            pool,
            schedules=[when],
            parameters={"request": body},
            description=f"scheduled {flow.name}: {body.get('prompt', '')[:80]}",
        )
    print(f"scheduled {flow.name}/{args.name} on pool {pool} ({deployment_id})")
    return 0


async def _limit(args: argparse.Namespace, console: Console) -> int:
    from prefect.client.orchestration import get_client

    from reelgate_flows.limits import limit_name, set_provider_limit

    if args.slots < 0:
        raise ValidationError("slots must be 0 or more")
    provider = get_runtime().registry.provider_named(args.provider)
    async with get_client() as client:
        await set_provider_limit(client, provider, args.slots)
    print(f"{limit_name(provider)}: {args.slots} job(s) in flight at once at {provider}")
    return 0


async def _drain(args: argparse.Namespace, console: Console) -> int:
    from reelgate_flows.drain import drain_spool

    report = await drain_spool()
    print(json.dumps(report, indent=2))
    return 0 if not report["waiting"] else 1


async def _backfill(args: argparse.Namespace, console: Console) -> int:
    """Checks every item first: when none is valid, the report says why and no run starts."""
    from reelgate_flows.backfill_items import outcome, parse_items, read_source

    items = parse_items(read_source(args.source))
    if all(item.request is None for item in items):
        invalid = [outcome(item, "invalid", error=item.problem) for item in items]
        report = {"name": args.name, "counts": {"invalid": len(items)}, "items": invalid}
        print(json.dumps(report, indent=2))
        return 2

    own_prefect_api()
    from reelgate_flows.backfill import backfill

    report = await backfill(source=args.source, name=args.name, max_concurrent=args.max_concurrent)
    print(json.dumps(report, indent=2))
    return 0 if set(report["counts"]) <= {"succeeded", "skipped"} else 1


COMMANDS = {
    "deploy": _deploy,
    "worker": _worker,
    "schedule": _schedule,
    "limit": _limit,
    "drain-spool": _drain,
    "backfill": _backfill,
}


def run_operation(args: argparse.Namespace, console: Console) -> int:
    """Run an operations command; every one but ``backfill`` (which checks its items first)
    needs the Prefect API, so an owned embedded one starts when none is configured."""
    if args.command != "backfill":
        own_prefect_api()
    return asyncio.run(COMMANDS[args.command](args, console))
