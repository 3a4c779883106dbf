"""Looking for a submission whose answer was lost: ask the provider again and again until it
shows the job or a window has passed (the proof, for most providers, that it never will)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def look_until(
    look: Callable[[], Awaitable[T | None]],
    window_seconds: float,
    first_pause_seconds: float = 0.25,
    longest_pause_seconds: float = 10.0,
) -> T | None:
    """What ``look()`` finds, asked at once and then with doubling pauses until it finds
    something (not None) or ``window_seconds`` have passed (then None). What ``look`` raises
    is raised: it decides which failures prove nothing."""
    deadline = time.monotonic() + window_seconds
    pause = first_pause_seconds
    while True:
        found = await look()
        remaining = deadline - time.monotonic()
        if found is not None or remaining <= 0:
            return found
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 2, longest_pause_seconds)
