"""The operations commands of ``reelgate``: deploy, worker, schedule, limit, drain-spool and
backfill. Each talks to the Prefect API of ``PREFECT_API_URL`` (or the embedded one)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError
from rich.console import Console

from reelgate.errors import ValidationError
from reelgate.storyboards import StoryboardRequest
from reelgate_api.cli import schedules
from reelgate_flows.embedded_api import api_configured, own_prefect_api
from reelgate_flows.settings import Settings
from reelgate_flows.whereabouts import uses_line


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
    from reelgate_api.jobs.worker import Worker

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


async def _drain(args: argparse.Namespace, console: Console) -> int:
    from reelgate_flows.drain import drain_spool

    report = await drain_spool()
    print(json.dumps(report, indent=2))
    return 0 if not report["waiting"] else 1


async def _backfill(args: argparse.Namespace, console: Console) -> int:
    """Checks every item first: when none is valid, the report says why and no run starts."""
    from reelgate_flows.backfill_items import outcome, parse_items, read_source

    items = parse_items(read_source(args.source), args.customer_id)
    if all(item.request is None for item in items):
        invalid = [outcome(item, "invalid", error=item.problem) for item in items]
        report = {"name": args.name, "counts": {"invalid": len(items)}, "items": invalid}
        print(json.dumps(report, indent=2))
        return 2

    own_prefect_api()
    from reelgate_flows.backfill import backfill

    report = await backfill(
        source=args.source,
        name=args.name,
        max_concurrent=args.max_concurrent,
        customer_id=args.customer_id,
    )
    print(json.dumps(report, indent=2))
    return 0 if set(report["counts"]) <= {"succeeded", "skipped"} else 1


async def _storyboard(args: argparse.Namespace, console: Console) -> int:
    """The storyboard of ``args.file`` made in this process; its envelope on stdout."""
    request = storyboard_request(Path(args.file), args.customer_id)
    own_prefect_api()
    from reelgate_flows.storyboard import generate_storyboard

    envelope = await generate_storyboard(request, args.key)
    print(json.dumps(envelope, indent=2))
    return 0


def storyboard_request(path: Path, customer_id: str) -> StoryboardRequest:
    """The storyboard in the JSON file ``path`` (its customer ``customer_id`` when it names
    none); ValidationError saying what is wrong with it."""
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{path} is not a readable JSON file: {exc}") from None
    if not isinstance(body, dict):
        raise ValidationError(f"{path} must hold a JSON object (a storyboard)")
    body.setdefault("customer_id", customer_id)
    try:
        return StoryboardRequest.model_validate(body)
    except PydanticValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "storyboard"
        raise ValidationError(f"{path}: {where}: {problem['msg']}", field=where) from None


COMMANDS = {
    "storyboard": _storyboard,
    "deploy": _deploy,
    "worker": _worker,
    "schedule": schedules.schedule,
    "limit": schedules.limit,
    "drain-spool": _drain,
    "backfill": _backfill,
}


NEEDS_A_SERVER = ("deploy", "worker", "schedule", "limit")
"""What only makes sense on a Prefect server shared with others: an embedded API would be
this process's alone and gone when it exits."""


def run_operation(args: argparse.Namespace, console: Console) -> int:
    """Run an operations command. ``deploy``, ``worker``, ``schedule`` and ``limit`` need a
    Prefect server (``PREFECT_API_URL``) and refuse to run without one; ``drain-spool``,
    ``backfill`` and ``storyboard`` start an owned embedded API when none is configured. Each
    says at start which Prefect API and job records it uses."""
    if args.command == "schedule":
        schedules.check_schedule_arguments(args)
    if args.command in NEEDS_A_SERVER and not api_configured(os.environ):
        raise ValidationError(
            f"`reelgate {args.command}` needs a Prefect server that workers and the API share: "
            "start one (`prefect server start`) and set PREFECT_API_URL (e.g. "
            "http://127.0.0.1:4200/api); an embedded API would be this process's alone and "
            "gone when it exits"
        )
    if args.command not in ("backfill", "storyboard"):
        embedded = own_prefect_api() is not None
        console.print(f"{args.command}: {uses_line(Settings.current(), embedded)}", soft_wrap=True)
    return asyncio.run(COMMANDS[args.command](args, console))
