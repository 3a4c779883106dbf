"""``look_until``: found at once, found late, or not within the window."""

from __future__ import annotations

import asyncio
import time

import pytest

from reelgate.lookup import look_until


def test_found_at_the_first_look_is_answered_without_waiting() -> None:
    began = time.monotonic()
    assert asyncio.run(look_until(_answers([7]), 5.0)) == 7
    assert time.monotonic() - began < 0.2


def test_a_late_answer_is_found_within_the_window() -> None:
    looks = _answers([None, None, "late"])
    assert asyncio.run(look_until(looks, 5.0, first_pause_seconds=0.01)) == "late"


def test_nothing_within_the_window_is_none_after_about_the_window() -> None:
    began = time.monotonic()
    assert asyncio.run(look_until(_answers([None] * 100), 0.3, first_pause_seconds=0.05)) is None
    assert 0.3 <= time.monotonic() - began < 1.0


def test_what_the_look_raises_is_raised() -> None:
    async def look() -> None:
        raise LookupError("two candidates")

    with pytest.raises(LookupError):
        asyncio.run(look_until(look, 5.0))


def _answers(values: list[object]):  # type: ignore[no-untyped-def]
    pending = list(values)

    async def look() -> object:
        return pending.pop(0)

    return look
