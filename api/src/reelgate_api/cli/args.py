"""Argument parsing of the ``reelgate`` command."""

from __future__ import annotations

import argparse
import socket
from typing import Any

from reelgate.requests import VideoSettings
from reelgate_api.version import reelgate_version
from reelgate_flows.settings import Settings


def _add_generation_options(parser: argparse.ArgumentParser, settings: Settings) -> None:
    video = VideoSettings.model_fields
    parser.add_argument("prompt", help="what the video should show")
    parser.add_argument(
        "--model",
        help="model id, alias or name (see `reelgate models`; "
        f"default: {settings.default_model}, or the only configured model)",
    )
    parser.add_argument(
        "--duration",
        type=int,
        dest="duration_seconds",
        help=f"length in seconds (default: {video['duration_seconds'].default})",
    )
    parser.add_argument(
        "--aspect-ratio",
        help="16:9, 9:16 or 1:1, as the model allows (default: the first frame's, else "
        f"{video['aspect_ratio'].default})",
    )
    parser.add_argument("--resolution", help="e.g. 480p, 720p, 1080p (default: the model's)")
    parser.add_argument("--fps", type=int, help="frames per second (default: the model's)")
    parser.add_argument(
        "--audio",
        action=argparse.BooleanOptionalAction,
        default=None,
        dest="generate_audio",
        help="generate an audio track (default: the model's)",
    )
    parser.add_argument("--number-of-videos", type=int, help="videos to make (default 1)")
    parser.add_argument("--seed", type=int, help="seed for a repeatable result")
    parser.add_argument("--negative-prompt", help="what the video should not show")
    parser.add_argument(
        "--customer-id",
        default=settings.customer_id,
        help="customer the video belongs to ($REELGATE_CUSTOMER_ID)",
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


def _add_operations_commands(commands: Any, settings: Settings) -> None:
    pool_help = "work pool (default: $REELGATE_WORK_POOL or 'reelgate')"
    deploy = command(
        commands, "deploy", "register reelgate's flows as Prefect deployments on a work pool"
    )
    deploy.add_argument("--pool", help=pool_help)
    deploy.add_argument("--name", help="deployment name (default: $REELGATE_DEPLOYMENT_NAME)")
    deploy.add_argument(
        "--drain-every",
        type=float,
        default=300.0,
        help="seconds between scheduled drain-spool runs (0: no schedule)",
    )

    worker = command(commands, "worker", "run deployment runs of a work pool")
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
        help="runs busy at once, not counting runs waiting on a provider",
    )
    worker.add_argument(
        "--max-in-flight",
        type=int,
        default=500,
        help="runs claimed at once, waiting on a provider or not",
    )
    worker.add_argument(
        "--poll-seconds", type=float, default=0.5, help="how often to look for new runs"
    )

    _add_batch_commands(commands, pool_help, settings)


def _add_batch_commands(commands: Any, pool_help: str, settings: Settings) -> None:
    """``schedule``, ``limit``, ``drain-spool`` and ``backfill``."""
    schedule = command(
        commands,
        "schedule",
        "a deployment that generates a request on a cron or interval schedule; "
        "--list shows them, NAME --delete removes one",
    )
    schedule.add_argument("name", nargs="?", help="the schedule's name, e.g. daily-acme")
    schedule.add_argument("--request", help="a JSON file with the request body")
    when = schedule.add_mutually_exclusive_group()
    when.add_argument("--cron", help="cron expression, e.g. '0 9 * * *'")
    when.add_argument("--every", type=float, help="interval in seconds")
    schedule.add_argument("--timezone", default="UTC", help="time zone of --cron")
    schedule.add_argument("--pool", help=pool_help)
    schedule.add_argument("--list", action="store_true", help="print every schedule as JSON")
    schedule.add_argument("--delete", action="store_true", help="delete the schedule NAME")

    limit = command(
        commands,
        "limit",
        "set how many jobs may be in flight at a provider across all workers (0 stops them "
        "all), or --remove the limit",
    )
    limit.add_argument(
        "provider", help="a provider (klingai), its plugin (kling) or one of its models"
    )
    limit.add_argument("slots", type=int, nargs="?", help="jobs in flight at once")
    limit.add_argument("--remove", action="store_true", help="remove the provider's limit")

    command(commands, "drain-spool", "store spooled videos and complete their jobs")

    _add_storyboard_command(commands, settings)

    backfill = command(
        commands,
        "backfill",
        "generate every request of a JSONL or CSV file, each admitted like an API request",
        epilog=BACKFILL_EXAMPLE,
    )
    backfill.add_argument("source", help="a .jsonl or .csv file: a path or s3://bucket/key")
    backfill.add_argument("--name", default="backfill", help="re-run with the same name to resume")
    backfill.add_argument("--max-concurrent", type=int, default=4, help="items generated at once")
    backfill.add_argument(
        "--customer-id",
        default=settings.customer_id,
        help="the customer of items that name none ($REELGATE_CUSTOMER_ID)",
    )


def _add_storyboard_command(commands: Any, settings: Settings) -> None:
    """``storyboard``."""
    story = command(
        commands,
        "storyboard",
        "one video from the shots of a storyboard JSON file (each shot a job, then joined); "
        "run it again with the same --key to resume it without paying again for its shots",
    )
    story.add_argument(
        "file", help="a JSON file: {customer_id, title, settings, continuity, shots}"
    )
    story.add_argument("--key", help="an idempotency key: the same key resumes the storyboard")
    story.add_argument(
        "--customer-id",
        default=settings.customer_id,
        help="the customer when the file names none ($REELGATE_CUSTOMER_ID)",
    )


BACKFILL_EXAMPLE = """
a JSONL file holds one request per line, as POST /video/generate takes it (an item that
names no customer_id is --customer-id's):

  {"prompt": "a red kite over dunes", "settings": {"video": {"model": "local"}}}
  {"prompt": "waves at dusk", "customer_id": "acme", "settings": {"video": {"duration_seconds": 4}}}

a CSV file has a header row: prompt, customer_id and any settings.video field as a column
(model, duration_seconds, aspect_ratio, resolution, ...)."""


def command(commands: Any, name: str, summary: str, **options: Any) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` starts with ``summary`` and shows each option's default."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=summary,
        formatter_class=_HelpFormatter,
        **options,
    )
    return parser


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each option's default after its help (unless it has none or says it already);
    descriptions and examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return f"{text} (default: {default})"


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The ``reelgate`` command line; its defaults come from ``settings`` (the environment's)."""
    settings = settings or Settings.current()
    parser = argparse.ArgumentParser(
        prog="reelgate",
        description="Generate videos with any installed provider through reelgate's flows.",
    )
    parser.add_argument("--version", action="version", version=f"reelgate {reelgate_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = command(commands, "generate", "text-to-video or image-to-video")
    _add_generation_options(generate, settings)
    generate.add_argument(
        "--image", dest="input_image_url", help="first frame: a local image file or an http(s) URL"
    )

    extend = command(commands, "extend", "continue an existing video")
    extend.add_argument("video", help="a reelgate job id, a provider video id, a URL or a file")
    _add_generation_options(extend, settings)

    serve = command(commands, "serve", "run the HTTP API, the playground and /mcp (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--verbose", action="store_true", help="show Prefect's run logs")

    mcp = command(commands, "mcp", "serve the video tools to an MCP client over stdio")
    mcp.add_argument(
        "--customer", help="act for this customer only (the tools then never ask for one)"
    )
    mcp.add_argument(
        "--service-url",
        help="run jobs on this reelgate server (default REELGATE_SERVICE_URL; unset: here)",
    )

    _add_operations_commands(commands, settings)

    install = command(
        commands,
        "install",
        "install provider plugins into reelgate's own environment (then restart serve and workers)",
    )
    install.add_argument("packages", nargs="+", help="package names, wheels or project folders")
    uninstall = command(
        commands, "uninstall", "remove provider plugins from reelgate's environment"
    )
    uninstall.add_argument("packages", nargs="+", help="distribution names")

    models = command(commands, "models", "list models, providers and plugin problems")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser
