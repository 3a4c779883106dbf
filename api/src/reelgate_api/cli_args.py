"""Argument parsing of the ``reelgate`` command."""

from __future__ import annotations

import argparse
import socket
from typing import Any

from reelgate_flows.settings import Settings


def _add_generation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what the video should show")
    parser.add_argument("--model", help="model id, alias or name (see `reelgate models`)")
    parser.add_argument("--duration", type=int, dest="duration_seconds", help="length in seconds")
    parser.add_argument("--aspect-ratio", help="16:9, 9:16 or 1:1 (as the model allows)")
    parser.add_argument("--resolution", help="e.g. 480p, 720p, 1080p")
    parser.add_argument("--fps", type=int, help="frames per second")
    parser.add_argument(
        "--audio",
        action=argparse.BooleanOptionalAction,
        default=None,
        dest="generate_audio",
        help="generate an audio track",
    )
    parser.add_argument("--number-of-videos", type=int, help="videos to make (default 1)")
    parser.add_argument("--seed", type=int, help="seed for a repeatable result")
    parser.add_argument("--negative-prompt", help="what the video should not show")
    parser.add_argument(
        "--customer-id",
        default=Settings.current().customer_id,
        help="customer the video belongs to (default: $REELGATE_CUSTOMER_ID or 'local')",
    )
    parser.add_argument(
        "--no-save",
        action="store_true",
        help="answer a data: URI instead of storing the video (save_to_db false)",
    )
    parser.add_argument("--out", help="also copy the (first) video to this file")
    parser.add_argument(
        "--idempotency-key", help="runs with the same key and request reuse one provider job"
    )
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="print what the request would cost (checked, never submitted) and stop",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--verbose", action="store_true", help="show Prefect's run logs")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the job in this process even when a local `reelgate serve` is running",
    )


def _add_operations_commands(commands: Any) -> None:
    pool_help = "work pool (default: $REELGATE_WORK_POOL or 'reelgate')"
    deploy = commands.add_parser(
        "deploy", help="register reelgate's flows as Prefect deployments on a work pool"
    )
    deploy.add_argument("--pool", help=pool_help)
    deploy.add_argument("--name", help="deployment name (default: $REELGATE_DEPLOYMENT_NAME)")
    deploy.add_argument(
        "--drain-every",
        type=float,
        default=300.0,
        help="seconds between scheduled drain-spool runs (0: no schedule; default 300)",
    )

    worker = commands.add_parser("worker", help="run deployment runs of a work pool")
    worker.add_argument("--pool", help=pool_help)
    worker.add_argument(
        "--name",
        default=f"worker@{socket.gethostname()}",
        help="this worker's stable name; a restarted worker resumes its name's runs",
    )
    worker.add_argument(
        "--max-running",
        type=int,
        default=50,
        help="runs busy at once, not counting runs waiting on a provider (default 50)",
    )
    worker.add_argument(
        "--max-in-flight",
        type=int,
        default=500,
        help="runs claimed at once, waiting on a provider or not (default 500)",
    )
    worker.add_argument(
        "--poll-seconds", type=float, default=0.5, help="how often to look for new runs"
    )

    schedule = commands.add_parser(
        "schedule", help="a deployment that generates a request on a cron or interval schedule"
    )
    schedule.add_argument("name", help="the deployment's name, e.g. daily-acme")
    schedule.add_argument("--request", required=True, help="a JSON file with the request body")
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help="cron expression, e.g. '0 9 * * *'")
    when.add_argument("--every", type=float, help="interval in seconds")
    schedule.add_argument("--timezone", default="UTC", help="time zone of --cron (default UTC)")
    schedule.add_argument("--pool", help=pool_help)

    limit = commands.add_parser(
        "limit", help="set how many jobs may be in flight at a provider across all workers"
    )
    limit.add_argument(
        "provider", help="a provider (klingai), its plugin (kling) or one of its models"
    )
    limit.add_argument("slots", type=int, help="jobs in flight at once")

    commands.add_parser("drain-spool", help="store spooled videos and complete their jobs")

    backfill = commands.add_parser("backfill", help="generate every request of a JSONL/CSV file")
    backfill.add_argument("source", help="a .jsonl or .csv file: a path or s3://bucket/key")
    backfill.add_argument("--name", default="backfill", help="re-run with the same name to resume")
    backfill.add_argument("--max-concurrent", type=int, default=4)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelgate",
        description="Generate videos with any installed provider through reelgate's flows.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="text-to-video or image-to-video")
    _add_generation_options(generate)
    generate.add_argument(
        "--image", dest="input_image_url", help="first frame: a local image file or an http(s) URL"
    )

    extend = commands.add_parser("extend", help="continue an existing video")
    extend.add_argument("video", help="a reelgate job id, a provider video id, a URL or a file")
    _add_generation_options(extend)

    serve = commands.add_parser("serve", help="run the HTTP API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--verbose", action="store_true", help="show Prefect's run logs")

    mcp = commands.add_parser("mcp", help="serve the video tools to an MCP client over stdio")
    mcp.add_argument(
        "--customer", help="act for this customer only (the tools then never ask for one)"
    )
    mcp.add_argument(
        "--service-url",
        help="run jobs on this reelgate server (default REELGATE_SERVICE_URL; unset: here)",
    )

    _add_operations_commands(commands)

    models = commands.add_parser("models", help="list models, providers and plugin problems")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser
