"""``reelgate generate``/``extend`` through a running local service (``local_service``):
the request is sent to its HTTP API, a 202 is followed to the end, and the envelope is
printed as the in-process path prints it."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

TERMINAL = ("succeeded", "failed", "cancelled")


def _headers(idempotency_key: str | None) -> dict[str, str]:
    headers = {}
    if key := os.environ.get("REELGATE_API_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def run_through_service(
    url: str,
    body: dict[str, Any],
    extend: bool,
    idempotency_key: str | None,
    out: str | None,
    console: Console,
) -> int:
    """Run the job on the service at ``url``; prints the envelope, returns the exit status."""
    console.print(f"using the reelgate service at {url}")
    path = "/video/extend" if extend else "/video/generate"
    with httpx.Client(base_url=url, timeout=httpx.Timeout(900, connect=10)) as client:
        answer = client.post(path, json=body, headers=_headers(idempotency_key))
        envelope: dict[str, Any] = answer.json()
        status_url = (
            envelope.get("data", {}).get("status_url") if answer.status_code == 202 else None
        )
        while status_url:
            time.sleep(1.0)
            status = client.get(status_url, headers=_headers(None))
            envelope = status.json()
            if status.status_code != 200 or envelope.get("status") in TERMINAL:
                break  # an error envelope (the job gone, the key refused) is printed as it is
        print(json.dumps(envelope, indent=2))
        if not envelope.get("success"):
            return 1
        video_url = envelope["data"]["video_url"]
        if video_url.startswith("file://"):
            print(f"video: {video_url[len('file://') :]}", file=sys.stderr)
        if out:
            _download(client, video_url, Path(out), console)
    return 0


def _download(client: httpx.Client, video_url: str, target: Path, console: Console) -> None:
    if video_url.startswith("data:"):
        target.write_bytes(base64.b64decode(video_url.partition(",")[2]))
    elif video_url.startswith("file://"):
        target.write_bytes(Path(video_url[len("file://") :]).read_bytes())
    else:
        with client.stream("GET", video_url, headers=_headers(None)) as response:
            response.raise_for_status()
            with target.open("wb") as handle:
                for chunk in response.iter_bytes(1 << 20):
                    handle.write(chunk)
    console.print(f"copied to {target.resolve()}")
