"""Finding a running ``reelgate serve`` on this machine, so a CLI call can use it.

``reelgate serve`` writes ``reelgate-service.json`` (its URL and process id) under
``PREFECT_HOME`` once it listens and removes it when it stops. ``reelgate generate`` and
``extend`` look for it first: a live process that answers ``/healthz`` takes the job over HTTP,
which saves starting Prefect's embedded API (most of a cold CLI call's time). The file holds no
secret: a service with API keys needs ``REELGATE_API_KEY`` in the CLI's environment.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import httpx

FILE_NAME = "reelgate-service.json"


def state_file(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("PREFECT_HOME") or Path.home() / ".prefect") / FILE_NAME


def announce(url: str) -> Path:
    """Record this process as the machine's reelgate service at ``url``."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    os.replace(partial, path)
    return path


def withdraw() -> None:
    """Remove the record when it is this process's."""
    path = state_file()
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_service(timeout_seconds: float = 1.0) -> str | None:
    """The URL of a live local reelgate service that answers its health check, else None."""
    try:
        record = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return None
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(url, str) or not _alive(record.get("pid")):
        return None
    try:
        answer = httpx.get(f"{url}/healthz", timeout=timeout_seconds)
    except httpx.HTTPError:
        return None
    return url if answer.status_code == 200 else None
