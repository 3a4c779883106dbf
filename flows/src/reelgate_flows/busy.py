"""Slots for the busy part of a job: a process running flows bounds how many of its jobs use
CPU and the Prefect API at once, but never counts a job that only waits on its provider.

A runner gives each run a :class:`BusySlot` of a shared semaphore (:func:`holding`) and runs
the flow inside it; the flow's wait step hands the slot back while it polls
(:func:`released_while_waiting`) and takes it again before it downloads. A flow run without a
slot (the CLI, a test calling the flow) is not limited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from reelgate_flows.fair_turns import FairTurns

_CURRENT: ContextVar[BusySlot | None] = ContextVar("reelgate_busy_slot", default=None)


class BusySlot:
    """One run's claim on a process's busy slots (taken round-robin across customers, each
    customer's runs in order: :class:`~reelgate_flows.fair_turns.FairTurns`); knows whether it
    holds one."""

    def __init__(self, slots: FairTurns, customer: str = "") -> None:
        self._slots = slots
        self._customer = customer
        self.held = False

    async def take(self) -> None:
        if not self.held:
            await self._slots.acquire(self._customer)
            self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._slots.release()


@asynccontextmanager
async def holding(slots: FairTurns, customer: str = "") -> AsyncIterator[BusySlot]:
    """Take a slot of ``slots`` for the run (of ``customer``'s job) started inside; it is given
    back at the end whatever happened."""
    slot = BusySlot(slots, customer)
    await slot.take()
    token = _CURRENT.set(slot)
    try:
        yield slot
    finally:
        _CURRENT.reset(token)
        slot.give_back()


@asynccontextmanager
async def released_while_waiting() -> AsyncIterator[None]:
    """Give this run's slot back for the block (waiting on a provider), then take it again."""
    slot = _CURRENT.get()
    if slot is None:
        yield
        return
    slot.give_back()
    try:
        yield
    finally:
        await slot.take()
