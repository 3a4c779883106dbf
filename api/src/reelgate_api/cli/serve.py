"""``reelgate serve``: the HTTP API under uvicorn, with the embedded defaults. Once it listens
it is recorded for local CLI calls (:mod:`reelgate_api.cli.running_service`)."""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Any

import uvicorn
from rich.console import Console

from reelgate_api.cli import running_service
from reelgate_api.http.app import create_app
from reelgate_api.http.auth import ApiKeys
from reelgate_api.http.read_timeouts import header_deadline_protocol
from reelgate_api.settings import ApiSettings
from reelgate_flows.heap import freeze_startup_heap
from reelgate_flows.whereabouts import uses_line


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, console: Console, embedded: bool = False) -> int:
    """Serve until interrupted. Without API keys only loopback is bound. Says once it listens
    where (the API, the playground, the docs) and which Prefect API (``embedded``: this
    process's own) and job records it uses."""
    settings = ApiSettings.current()
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        settings = settings.model_copy(update={"allowed_hosts": f"{settings.allowed_hosts},{host}"})
    if not is_loopback(host) and not ApiKeys.from_settings(settings).enabled:
        console.print(
            f"[red]refusing to bind {host}:[/red] the API has no API keys configured, "
            "so it only listens on loopback (127.0.0.1 or ::1)"
        )
        return 2
    config = uvicorn.Config(create_app(settings), host=host, port=port, **uvicorn_options(settings))
    server = _AnnouncedServer(config)
    console.print(f"reelgate serve: {uses_line(settings, embedded)}", soft_wrap=True)
    threading.Thread(
        target=_announce_when_started, args=(server, host, port, console), daemon=True
    ).start()
    server.run()
    return 0


class _AnnouncedServer(uvicorn.Server):
    """Withdraws the local service record as it shuts down (uvicorn re-raises SIGTERM once
    shut down, so nothing after ``run`` would run)."""

    async def shutdown(self, sockets: Any = None) -> None:
        running_service.withdraw()
        await super().shutdown(sockets)


def _announce_when_started(server: uvicorn.Server, host: str, port: int, console: Console) -> None:
    """Once it listens (its start-up, the runner's warm-up included, is done): freeze the
    start-up heap (:mod:`reelgate_flows.heap`) and record the service for local CLI calls
    (:mod:`reelgate_api.cli.running_service`)."""
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    freeze_startup_heap()
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host  # noqa: S104
    if ":" in reachable:
        reachable = f"[{reachable}]"
    url = f"http://{reachable}:{port}"
    running_service.announce(url, running_service.current_fingerprint())
    console.print(
        f"reelgate serve: listening on {url} (bound to {host}): the playground at {url}/, "
        f"the API docs at {url}/docs; Ctrl+C stops it",
        soft_wrap=True,
        highlight=False,
    )


def uvicorn_options(settings: ApiSettings) -> dict[str, Any]:
    """How ``reelgate serve`` runs uvicorn: requests whose headers are as large as a body may
    be are read whole, so an oversized header (an Idempotency-Key of a megabyte) gets the
    API's clear 400 instead of a reset connection."""
    return {
        "log_level": "warning",
        "http": header_deadline_protocol(settings.header_read_timeout_seconds),
        "h11_max_incomplete_event_size": settings.max_body_bytes + 64 * 1024,
    }
