"""``reelgate serve``: the HTTP API under uvicorn, with the embedded defaults."""

from __future__ import annotations

import ipaddress
from typing import Any

import uvicorn
from rich.console import Console

from reelgate_api.app import create_app
from reelgate_api.auth import ApiKeys
from reelgate_api.settings import ApiSettings


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, console: Console) -> int:
    """Serve until interrupted. Without API keys only loopback is bound."""
    settings = ApiSettings.current()
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        settings = settings.model_copy(update={"allowed_hosts": f"{settings.allowed_hosts},{host}"})
    if not is_loopback(host) and not ApiKeys.from_settings(settings).enabled:
        console.print(
            f"[red]refusing to bind {host}:[/red] the API has no API keys configured, "
            "so it only listens on loopback (127.0.0.1 or ::1)"
        )
        return 2
    uvicorn.run(create_app(settings), host=host, port=port, **uvicorn_options(settings))
    return 0


def uvicorn_options(settings: ApiSettings) -> dict[str, Any]:
    """How ``reelgate serve`` runs uvicorn: requests whose headers are as large as a body may
    be are read whole, so an oversized header (an Idempotency-Key of a megabyte) gets the
    API's clear 400 instead of a reset connection."""
    return {
        "log_level": "warning",
        "h11_max_incomplete_event_size": settings.max_body_bytes + 64 * 1024,
    }
