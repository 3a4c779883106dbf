"""Keeping a server process's long-lived objects out of the garbage collector's way.

A reelgate server process (``reelgate serve``, ``reelgate worker``, the embedded Prefect API)
holds hundreds of thousands of objects from its imports and start-up (Prefect, pydantic, the
provider SDKs) for as long as it lives. Python's full collection walks every one of them: in
``reelgate serve`` one fell in the middle of a burst of 200 ``POST /video/jobs`` and paused
every request for 159 ms to collect 20 objects. :func:`freeze_startup_heap`, called once the
process is ready, moves what exists then into the collector's permanent generation
(:func:`gc.freeze`), which later collections skip; objects made afterwards are collected as
before, and frozen ones are still freed when their last reference goes.
"""

from __future__ import annotations

import gc
from typing import Any


def freeze_startup_heap() -> int:
    """Collect once, then freeze every object tracked now; returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class FreezeHeapAfterStartup:
    """An ASGI wrapper that calls :func:`freeze_startup_heap` once the app's lifespan startup
    completed (for servers started by uvicorn from an app factory)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_then_freeze(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                freeze_startup_heap()
            await send(message)

        await self.app(scope, receive, send_then_freeze)
