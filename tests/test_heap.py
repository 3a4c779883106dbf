"""Server processes freeze their start-up heap once started (``reelgate_flows.heap``)."""

from __future__ import annotations

import gc
from typing import Any

from reelgate_flows.heap import FreezeHeapAfterStartup


async def test_the_heap_is_frozen_when_the_lifespan_startup_completes() -> None:
    frozen_at: list[int] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "lifespan.startup"
        frozen_at.append(gc.get_freeze_count())  # the app's own start-up: not frozen yet
        await send({"type": "lifespan.startup.complete"})
        frozen_at.append(gc.get_freeze_count())

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    gc.unfreeze()
    try:
        await FreezeHeapAfterStartup(app)({"type": "lifespan"}, receive, send)
        assert frozen_at[0] == 0 and frozen_at[1] > 1000
        assert sent == [{"type": "lifespan.startup.complete"}]
    finally:
        gc.unfreeze()


async def test_requests_pass_through_untouched() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    gc.unfreeze()
    await FreezeHeapAfterStartup(app)({"type": "http"}, None, None)
    assert seen == ["http"] and gc.get_freeze_count() == 0
