"""Prefect defaults for reelgate: lean settings that cut the engine's cost per run.

:func:`apply_prefect_defaults` only sets variables the user has not set, and must run before
``prefect`` is first imported (``reelgate_flows/__init__.py`` calls it). Services that the
embedded (ephemeral) API does not need are off; a real ``prefect server`` keeps its own.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

LEAN_DEFAULTS: dict[str, str] = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "false",
    "PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def apply_prefect_defaults(environ: MutableMapping[str, str] | None = None) -> None:
    """Set each lean default that ``environ`` (default ``os.environ``) does not already set.
    ``REELGATE_PREFECT_LEAN=false`` keeps Prefect's own defaults."""
    env = os.environ if environ is None else environ
    if env.get("REELGATE_PREFECT_LEAN", "true").lower() in ("0", "false", "no", "off"):
        return
    for name, value in LEAN_DEFAULTS.items():
        env.setdefault(name, value)
