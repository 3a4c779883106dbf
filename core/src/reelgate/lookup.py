"""Looking for a submission whose answer was lost: ask the provider again and again until it
shows the job or a window has passed (the proof, for most providers, that it never will)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from reelgate.errors import ReelgateError, SubmissionNotAcceptedError

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


async def adopt_or_prove_absent(
    matches: Callable[[], Awaitable[list[T] | None]],
    window_seconds: float,
    error: ReelgateError,
    absent: str,
) -> T:
    """The submission a create with an unclear answer (``error``) made, found by
    ``matches()`` (the provider's recent jobs like it; None when they cannot be read):

    - exactly one: it is adopted;
    - none for ``window_seconds``: nothing was made, ``SubmissionNotAcceptedError`` (safe to
      submit again), its message ``error``'s and ``absent``;
    - two or more, or a list that cannot be read: nothing is proven, ``error`` stands (the job
      is never submitted again)."""

    async def look() -> T | None:
        found = await matches()
        if found is None or len(found) > 1:
            raise error
        return found[0] if found else None

    adopted = await look_until(look, window_seconds, longest_pause_seconds=2.0)
    if adopted is None:
        raise SubmissionNotAcceptedError(f"{error.message}; {absent}", **error.details) from error
    return adopted
