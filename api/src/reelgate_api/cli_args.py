"""Argument parsing of the ``reelgate`` command."""

from __future__ import annotations

import argparse
import os


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
        default=os.environ.get("REELGATE_CUSTOMER_ID", "local"),
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
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--verbose", action="store_true", help="show Prefect's run logs")


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

    models = commands.add_parser("models", help="list models, providers and plugin problems")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser
