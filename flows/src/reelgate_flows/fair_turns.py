"""Turns taken round-robin across customers: a process's queue of work that must be done a few
at a time (creating flow runs at the pace the Prefect API takes) serves one waiting customer,
then the next, each customer's callers in order, so one customer's burst of 500 never delays
another customer's single job by 500 turns."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairTurns:
    """At most ``at_once`` holders; waiters served round-robin by key (a customer). Belongs to
    the event loop that first uses it."""

    def __init__(self, at_once: int = 1) -> None:
        self.free = at_once
        self._queues: dict[str, collections.deque[asyncio.Future[None]]] = {}
        self._ring: collections.deque[str] = collections.deque()

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Hold one turn for the block, waiting for it in ``key``'s place in the ring."""
        await self.acquire(key)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, key: str) -> None:
        """Take one turn, waiting for it in ``key``'s place in the ring."""
        if self.free > 0 and not self._ring:
            self.free -= 1
            return
        waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if key not in self._queues:
            self._queues[key] = collections.deque()
            self._ring.append(key)
        self._queues[key].append(waiting)
        try:
            await waiting
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled():
                self._hand_on()  # granted as it was cancelled: the turn goes on
            else:
                self._forget(key, waiting)
            raise

    def release(self) -> None:
        """Give a turn back (to the next key of the ring)."""
        self._hand_on()

    def _hand_on(self) -> None:
        """Give a freed turn to the next key of the ring (its oldest waiter)."""
        while self._ring:
            key = self._ring.popleft()
            queue = self._queues[key]
            waiting = queue.popleft()
            if queue:
                self._ring.append(key)
            else:
                del self._queues[key]
            if not waiting.done():
                waiting.set_result(None)
                return
        self.free += 1

    def _forget(self, key: str, waiting: asyncio.Future[None]) -> None:
        queue = self._queues.get(key)
        if queue is None or waiting not in queue:
            return
        queue.remove(waiting)
        if not queue:
            del self._queues[key]
            self._ring.remove(key)
