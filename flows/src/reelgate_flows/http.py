"""The shared ``httpx.AsyncClient`` handed to provider plugins (``ProviderContext.http_client``).

One client per event loop: its connection pool is reused by every call of every job on that
loop, instead of each call building a client (and a TLS context, ~20 ms of CPU). Used only for
provider APIs, never to fetch user-supplied URLs (those go through ``inputs.fetch``).
"""

from __future__ import annotations

import asyncio
import weakref

import httpx

_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def shared_client() -> httpx.AsyncClient:
    """The running loop's provider client (created on first use)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=15.0),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        _CLIENTS[loop] = client
    return client
