"""Where a job waits for its fair share of a provider (:mod:`reelgate_flows.fair_shares`).

Each process keeps one gate per event loop: its waiting jobs register there, and one poller
reads the shared rows (:mod:`reelgate_flows.records.in_flight`) for all of them at once, every
``POLL_SECONDS`` or as soon as a job of this process gives a slot back, and lets each job the
round-robin grants take its slot. The poller also renews the leases of the jobs this process
counts, so a row outlives its process by one lease at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from reelgate.errors import TooManyInFlightError
from reelgate_flows.admission import run_gate
from reelgate_flows.fair_shares import InFlightLimits, granted
from reelgate_flows.records.in_flight import Counted, InFlight
from reelgate_flows.server_secret import server_secret
from reelgate_flows.settings import Settings, run_settings

POLL_SECONDS = 0.25
LEASE_SECONDS = 300.0
REJECT_RETRY_AFTER_SECONDS = 30
logger = logging.getLogger("reelgate.flows")


@dataclass(frozen=True)
class _Waiter:
    done: asyncio.Future[None]
    provider: str
    provider_limit: int | None


class FairGate:
    """This loop's jobs waiting for, or holding, a fair share (see the module docstring)."""

    def __init__(self, in_flight: InFlight, limits: InFlightLimits) -> None:
        self.in_flight = in_flight
        self.limits = limits
        self._waiting: dict[str, _Waiter] = {}
        self._holding: set[str] = set()
        self._wake = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def slot(
        self, job_id: str, customer_id: str, key_id: str | None, provider: str, limit: int | None
    ) -> AsyncIterator[None]:
        """Hold ``job_id``'s fair share at ``provider`` (whose limit is ``limit`` slots, None:
        unlimited) for the block, waiting for it first."""
        held = await self.in_flight.enqueue(job_id, customer_id, key_id, provider)
        done = asyncio.get_running_loop().create_future()
        if held:
            done.set_result(None)
        else:
            self._waiting[job_id] = _Waiter(done, provider, limit)
        self._start()
        try:
            await done
            self._holding.add(job_id)
            yield
        finally:
            self._waiting.pop(job_id, None)
            self._holding.discard(job_id)
            await asyncio.shield(self.in_flight.release(job_id))
            self._wake.set()

    def _start(self) -> None:
        self._wake.set()
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        renewed = time.monotonic()
        while self._waiting or self._holding:
            self._wake.clear()  # a release during this round wakes the next one at once
            try:
                await self._grant()
                if time.monotonic() - renewed > LEASE_SECONDS / 3:
                    await self.in_flight.renew([*self._waiting, *self._holding])
                    renewed = time.monotonic()
            except Exception:
                logger.exception("reading the fair shares failed; trying again")
            timeout = POLL_SECONDS if self._waiting else LEASE_SECONDS / 3
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _grant(self) -> None:
        if not self._waiting:
            return
        counted = await self.in_flight.live()
        for job_id, waiter in list(self._waiting.items()):
            if waiter.done.done() or job_id not in self._granted(counted, waiter):
                continue

            def may_take(
                rows: list[Counted], waiter: _Waiter = waiter, job_id: str = job_id
            ) -> bool:
                return job_id in self._granted(rows, waiter)

            if await self.in_flight.take(job_id, may_take):
                self._waiting.pop(job_id, None)
                if not waiter.done.done():
                    waiter.done.set_result(None)
                counted = await self.in_flight.live()

    def _granted(self, counted: list[Counted], waiter: _Waiter) -> set[str]:
        return granted(counted, waiter.provider, waiter.provider_limit, self.limits)


_LOCK = threading.Lock()


_LIMITS: dict[tuple[str, str | None, str], InFlightLimits] = {}


def in_flight_limits(settings: Settings) -> InFlightLimits:
    """The shares ``settings`` configure (none without ``REELGATE_IN_FLIGHT``), parsed once per
    configuration: the server's secret, which API key ids are made with, is read only then."""
    if not settings.in_flight:
        return InFlightLimits()
    key = (settings.in_flight, settings.file_url_secret, str(settings.spool_dir))
    with _LOCK:
        limits = _LIMITS.get(key)
    if limits is None:
        limits = InFlightLimits.load(settings.in_flight, server_secret(settings))
        with _LOCK:
            _LIMITS[key] = limits
    return limits


_GATES: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str | None], FairGate]
] = weakref.WeakKeyDictionary()


def fair_gate(settings: Settings | None = None) -> FairGate:
    """This loop's gate for ``settings`` (default: the run's). Gates belong to their loop: a
    loop that ended takes its gates with it."""
    settings = settings or run_settings()
    records = run_gate(settings).records
    key = (records.url, settings.in_flight)
    loop = asyncio.get_running_loop()
    limits = in_flight_limits(settings)  # before taking the lock, which it takes too
    with _LOCK:
        gates = _GATES.setdefault(loop, {})
        gate = gates.get(key)
        if gate is None:
            gate = gates[key] = FairGate(InFlight(records, LEASE_SECONDS), limits)
        return gate


async def count_from_admission(
    job_id: str, customer_id: str, key_id: str | None, settings: Settings
) -> None:
    """With shares that refuse when full: count ``job_id`` from its admission, or refuse it
    (TooManyInFlightError, a 429 with ``Retry-After``) when its customer's or key's share is
    full. Nothing with shares that queue."""
    limits = in_flight_limits(settings)
    if limits.when_full != "reject" or not limits.any:
        return
    in_flight = InFlight(run_gate(settings).records, LEASE_SECONDS)

    def fits(counted: list[Counted]) -> bool:
        return limits.room_for(customer_id, key_id, counted)

    if await in_flight.admit(job_id, customer_id, key_id, fits):
        return
    customer_full = not limits.room_for(customer_id, None, await in_flight.live())
    whose = f"customer {customer_id}" if customer_full else "this API key"
    limit = limits.of_customer(customer_id) if customer_full else limits.of_key(key_id)
    raise TooManyInFlightError(
        f"{whose} has as many jobs in flight as its share allows ({limit}); "
        f"try again in {REJECT_RETRY_AFTER_SECONDS} s",
        limit=limit,
        retry_after=REJECT_RETRY_AFTER_SECONDS,
    )


async def uncount(job_id: str, settings: Settings | None = None) -> None:
    """Count ``job_id`` no more (it ended); a failure to is logged, never raised."""
    settings = settings or run_settings()
    if not in_flight_limits(settings).any:
        return
    try:
        await InFlight(run_gate(settings).records, LEASE_SECONDS).release(job_id)
    except Exception:
        logger.exception("releasing the fair share of job %s failed", job_id)
