"""Prefect defaults for reelgate: lean settings that cut the engine's cost per run.

:func:`apply_prefect_defaults` only sets variables the user has not set, and must run before
``prefect`` is first imported: each entry point calls it (``reelgate_api.cli.main``, the
tests' conftest, the benches that run flows in their own process). Services that the
embedded (ephemeral) API does not need are off; a real ``prefect server`` keeps its own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from reelgate_flows.settings import Settings

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
    """Set each lean default that ``environ`` (default ``os.environ``) does not already set,
    unless the settings say ``prefect_lean`` false (``REELGATE_PREFECT_LEAN=false``)."""
    env = os.environ if environ is None else environ
    if not Settings.current().prefect_lean:
        return
    for name, value in LEAN_DEFAULTS.items():
        env.setdefault(name, value)
    if "PREFECT_API_SSL_CERT_FILE" not in env and _api_is_plain_http(env):
        with contextlib.suppress(OSError):
            env["PREFECT_API_SSL_CERT_FILE"] = str(_one_certificate_file())


def _api_is_plain_http(env: MutableMapping[str, str]) -> bool:
    """True when the Prefect API is reached without TLS: an ``http://`` URL, or the embedded
    API (no URL in the environment nor in a Prefect profile)."""
    url = env.get("PREFECT_API_URL")
    if url is not None:
        return url.startswith("http://")
    home = Path(env.get("PREFECT_HOME", Path.home() / ".prefect"))
    try:
        profiles = (home / "profiles.toml").read_text()
    except OSError:
        return True
    return "PREFECT_API_URL" not in profiles


def _one_certificate_file() -> Path:
    """A CA file holding one certificate of certifi's bundle.

    The Prefect client builds a verifying TLS context for every client it makes, even for a
    plain-http API, parsing the whole CA bundle each time (~20 ms, twice per flow run on these
    machines). Where no TLS is used, a one-certificate file makes that ~0.4 ms and verifies
    nothing, since nothing is encrypted.
    """
    import certifi

    target = Path(tempfile.gettempdir()) / "reelgate-plain-http-ca.pem"
    if not target.is_file():
        bundle = Path(certifi.where()).read_text()
        end = "-----END CERTIFICATE-----"
        first = bundle[bundle.index("-----BEGIN CERTIFICATE-----") : bundle.index(end) + len(end)]
        partial = target.with_name(f"{target.name}.{os.getpid()}")
        partial.write_text(first + "\n")
        os.replace(partial, target)
    return target
