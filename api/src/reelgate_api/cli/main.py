"""The ``reelgate`` command: generate, extend and models (``serve``, ``mcp`` and the
operations commands live in their own modules).

``generate`` and ``extend`` run the same Prefect flows as the HTTP API, in-process on
Prefect's embedded API, show progress on stderr, and print the seed's response envelope as
JSON on stdout (exit status 0 on success, 1 on a failed job, 2 on a usage error). When a local
``reelgate serve`` is running (``local_service``) they send the job to it instead, unless
``--in-process`` is given or the request names a file of this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from reelgate.envelope import ErrorEnvelope
from reelgate.errors import ReelgateError
from reelgate.requests import ExtendRequest, GenerateRequest, request_from_body
from reelgate.runtimes import get_runtime
from reelgate_api.cli.args import build_parser
from reelgate_api.cli.remote import run_through_service
from reelgate_api.cli.running_service import current_fingerprint, running_service
from reelgate_flows.embedded_api import StartingApi, own_prefect_api
from reelgate_flows.prefect_env import apply_prefect_defaults

_VIDEO_FIELDS = (
    "model",
    "duration_seconds",
    "aspect_ratio",
    "resolution",
    "fps",
    "generate_audio",
    "number_of_videos",
    "seed",
    "negative_prompt",
)


OPERATIONS = ("deploy", "worker", "schedule", "limit", "drain-spool", "backfill", "storyboard")


def _request_body(args: argparse.Namespace) -> dict[str, Any]:
    video = {
        name: getattr(args, name) for name in _VIDEO_FIELDS if getattr(args, name, None) is not None
    }
    body: dict[str, Any] = {
        "prompt": args.prompt,
        "customer_id": args.customer_id,
        "save_to_db": not args.no_save,
        "settings": {"video": video},
    }
    if getattr(args, "input_image_url", None):
        body["input_image_url"] = args.input_image_url
    if args.command == "extend":
        body["video_id"] = args.video
    return body


def _names_local_files(args: argparse.Namespace) -> bool:
    """Whether the command reads a file of this machine (a service elsewhere could not)."""
    named = [getattr(args, "input_image_url", None)]
    if args.command == "extend":
        named.append(args.video)
    return any(
        value and (value.startswith("file:") or Path(value).exists())
        for value in named
        if not (value or "").startswith(("http://", "https://"))
    )


def _checked_request(args: argparse.Namespace) -> GenerateRequest:
    """The command's request, checked by ``Runtime.prepare`` before Prefect is imported. An
    extend of a job id without ``--model`` takes the job's model, so the flow checks it."""
    request = request_from_body(_request_body(args), extend=args.command == "extend")
    if not (isinstance(request, ExtendRequest) and request.model_from_job) and not args.estimate:
        get_runtime().prepare(request)
    return request


def _estimate(request: GenerateRequest) -> dict[str, Any]:
    """The request's cost, admitted as if it ran (no provider credentials needed; an
    extension of a job id without ``--model``: on the default model, the job's being unknown
    here)."""
    from reelgate_flows.admission import prepare

    admitted = asyncio.run(prepare(request, configured=False))
    return {
        "model": admitted.model,
        "provider": admitted.provider,
        "cost": admitted.estimate.model_dump(mode="json"),
    }


async def _run_job(
    request: GenerateRequest, args: argparse.Namespace, starting: StartingApi | None
) -> dict[str, Any]:
    from reelgate_flows.flows import extend_video, generate_video

    if starting is not None:
        await asyncio.to_thread(starting.ready)
    if not args.verbose:
        _silence_run_loggers()
    if isinstance(request, ExtendRequest):
        return await extend_video(request, args.idempotency_key, allow_local_inputs=True)
    return await generate_video(request, args.idempotency_key, allow_local_inputs=True)


def _copy_out(envelope: dict[str, Any], out: str, console: Console) -> None:
    from reelgate_flows.sources import stored_video_bytes

    data = envelope["data"]
    target = Path(out)
    if data["video_url"].startswith("file://"):
        shutil.copyfile(Path(data["video_url"][len("file://") :]), target)
    else:
        target.write_bytes(asyncio.run(stored_video_bytes(data)))
    console.print(f"copied to {target.resolve()}")


def _quiet_prefect(verbose: bool) -> None:
    """The CLI reports outcomes itself; Prefect's own run logs appear only with --verbose.
    Must run before Prefect is imported; explicit user settings win."""
    level = "INFO" if verbose else "CRITICAL"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", level)
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", level)


def _silence_run_loggers() -> None:
    """Failed runs are reported as error envelopes; drop Prefect's tracebacks of them."""
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    apply_prefect_defaults()  # the entry point: before anything imports Prefect
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    _quiet_prefect(getattr(args, "verbose", False))
    if args.command == "serve":
        # The embedded API starts while this process imports the app (two cores at once).
        starting = own_prefect_api(wait=False, avoid_ports=(args.port,))
        from reelgate_api.cli.serve import serve

        if starting is not None:
            starting.ready()
        return serve(args.host, args.port, console, embedded=starting is not None)
    if args.command == "mcp":
        from reelgate_api.cli.mcp import run_mcp

        return run_mcp(args)
    if args.command in OPERATIONS:
        from reelgate_api.cli.ops import run_operation

        try:
            return run_operation(args, console)
        except ReelgateError as exc:
            console.print(f"[red]{args.command} failed:[/red] {exc.message}", soft_wrap=True)
            return 2 if exc.status == 400 else 1
    if args.command in ("install", "uninstall"):
        from reelgate_api.cli.plugins import run_plugins_command

        return run_plugins_command(args, console)
    if args.command == "models":
        return _print_models(args, console)
    return _generate(args, console)


def _print_models(args: argparse.Namespace, console: Console) -> int:
    from reelgate_api.cli.models import print_models
    from reelgate_api.service.models_report import models_report

    try:
        runtime = get_runtime()
    except ReelgateError as exc:
        console.print(f"[red]reelgate cannot start:[/red] {exc.message}")
        return 1
    health = _fleet_health(console)
    if args.json:
        print(json.dumps(models_report(runtime, health), indent=2))
    else:
        print_models(runtime, console, health)
    return 0


def _fleet_health(console: Console) -> dict[str, Any] | None:
    """The fleet's provider health from the job records (None, said, when unreadable)."""
    from reelgate_flows.routing import health_report
    from reelgate_flows.settings import Settings

    try:
        return asyncio.run(health_report(Settings.current()))
    except Exception as exc:
        console.print(f"[yellow]provider health unknown:[/yellow] {exc}", soft_wrap=True)
        return None


def _generate(args: argparse.Namespace, console: Console) -> int:
    """``generate`` / ``extend``: through a running local server when there is one, else in
    this process; the envelope on stdout (exit 1 with an error envelope)."""
    from reelgate_api.cli.progress import ProgressDisplay

    display = ProgressDisplay(console, enabled=not args.quiet and console.is_terminal)
    try:
        request = _checked_request(args)
        if args.estimate:
            print(json.dumps(_estimate(request), indent=2))
            return 0
        service = None
        if not (args.in_process or _names_local_files(args)):
            service, elsewhere = running_service(current_fingerprint())
            if elsewhere:
                console.print(elsewhere, soft_wrap=True, highlight=False)
        if service is not None:
            return run_through_service(
                service,
                _request_body(args),
                args.command == "extend",
                args.idempotency_key,
                args.out,
                console,
            )
        # The embedded API starts while the flows are imported (two cores at once).
        starting = own_prefect_api(wait=False)
        with display:
            envelope = asyncio.run(_run_job(request, args, starting))
    except ReelgateError as exc:
        print(json.dumps(ErrorEnvelope.from_exception(exc).model_dump(mode="json"), indent=2))
        return 1
    except Exception as exc:
        console.print(f"[red]unexpected error:[/red] {type(exc).__name__}: {exc}")
        print(json.dumps(ErrorEnvelope.from_exception(exc).model_dump(mode="json"), indent=2))
        return 1
    print(json.dumps(envelope, indent=2))
    url = envelope["data"]["video_url"]
    if url.startswith("file://"):
        print(f"video: {url[len('file://') :]}", file=sys.stderr)
    if args.out:
        _copy_out(envelope, args.out, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
