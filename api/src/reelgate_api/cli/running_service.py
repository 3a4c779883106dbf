"""Finding a running ``reelgate serve`` on this machine, so a CLI call can use it.

``reelgate serve`` writes ``reelgate-service.json`` (its URL and process id) under
``PREFECT_HOME`` once it listens and removes it when it stops. ``reelgate generate`` and
``extend`` look for it first: a live process that answers ``/healthz`` takes the job over HTTP,
which saves starting Prefect's embedded API (most of a cold CLI call's time) -- but only when
the service runs with the settings the call would use (:func:`settings_fingerprint`: storage,
provider credentials and base URLs, prices, customer). The file holds no secret, only a digest
of those settings; a service with API keys needs ``REELGATE_API_KEY`` in the CLI's
environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import httpx

FILE_NAME = "reelgate-service.json"


def state_file(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("PREFECT_HOME") or Path.home() / ".prefect") / FILE_NAME


NOT_SETTINGS = frozenset(
    {"REELGATE_API_KEY", "REELGATE_SERVICE_URL", "REELGATE_EXECUTOR_NAME", "REELGATE_API_KEYS"}
)
"""Variables that name a process or its caller, not how jobs run."""


def settings_fingerprint(environ: Mapping[str, str], provider_variables: Iterable[str]) -> str:
    """A digest of what decides how a job runs: every ``REELGATE_`` and ``AWS_`` variable
    (storage, prices, routes, customer, ...), the providers' own variables
    (``provider_variables``: credentials and base URLs), and the prices file's content."""
    names = {n for n in environ if n.startswith(("REELGATE_", "AWS_")) and n not in NOT_SETTINGS}
    names |= {n for n in provider_variables if n in environ}
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(f"{name}={environ[name]}\0".encode())
    with contextlib.suppress(OSError, KeyError):
        digest.update(Path(environ["REELGATE_PRICES_FILE"]).read_bytes())
    return digest.hexdigest()


def current_fingerprint() -> str:
    """:func:`settings_fingerprint` of this process (its environment and installed providers)."""
    from reelgate.runtimes import get_runtime

    variables = [
        setting.env
        for status in get_runtime().registry.providers()
        for setting in status.spec.settings
    ]
    return settings_fingerprint(os.environ, variables)


def announce(url: str, fingerprint: str) -> Path:
    """Record this process as the machine's reelgate service at ``url``, running with the
    settings of ``fingerprint``."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    record = {"url": url, "pid": os.getpid(), "settings": fingerprint}
    partial.write_text(json.dumps(record))
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


def running_service(fingerprint: str, timeout_seconds: float = 1.0) -> tuple[str | None, str]:
    """The URL of a live local reelgate service that answers its health check and runs with
    the settings of ``fingerprint``, else None; and, when there is one that may not take the
    job, why (else "")."""
    try:
        record = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return None, ""
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(url, str) or not _alive(record.get("pid")):
        return None, ""
    try:
        answer = httpx.get(f"{url}/healthz", timeout=timeout_seconds)
    except httpx.HTTPError:
        return None, ""
    if answer.status_code != 200:
        return None, ""
    if record.get("settings") != fingerprint:
        return None, (
            f"the reelgate serve at {url} runs with other settings (storage, provider "
            "credentials or base URLs, prices or customer): running the job here instead"
        )
    return url, ""
