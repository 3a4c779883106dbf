"""``reelgate worker``: a Prefect worker for reelgate's work pool that runs flow runs
in-process.

It polls the pool every ``poll_seconds`` (so a run starts within about that long of its
request) and claims its share of the runs offered (1/N of them with N workers polling; several
at once, each worker in its own order) by moving each to Pending (Prefect's orchestration lets
only one worker win). It tags each with its own name and runs it on an
:class:`InProcessExecutor`, at most ``max_running`` at once. It heartbeats so the Prefect UI
lists it, cancels runs moved to Cancelling (at the provider too), and on start resumes the
runs a crash of the same-named worker left unfinished. On a graceful stop it hands its running
runs back to the pool (Scheduled) for any worker to resume. No run is ever submitted to its
provider twice: resumed runs reuse their provider job (the submit step's persisted cache).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import math
import random
import time

from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterNextScheduledStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
    WorkPoolFilter,
    WorkPoolFilterName,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.exceptions import Abort
from prefect.states import Failed, Pending
from prefect.utilities.engine import propose_state

from reelgate_api.jobs.executor import InProcessExecutor
from reelgate_flows.catalog import OWNER_TAG_PREFIX, owner_tag
from reelgate_flows.deployments import ensure_work_pool
from reelgate_flows.heap import freeze_startup_heap

logger = logging.getLogger("reelgate.worker")


class Worker:
    CLAIMS_AT_ONCE = 8
    """Runs claimed concurrently (each claim is two requests to the Prefect API)."""
    PEERS_TTL_SECONDS = 2.0

    def __init__(
        self,
        pool: str,
        name: str,
        max_running: int,
        poll_seconds: float = 0.5,
        heartbeat_seconds: float = 10.0,
        cancel_check_seconds: float = 2.0,
        max_in_flight: int | None = None,
    ) -> None:
        """``max_running``: runs busy at once (not counting those waiting on a provider);
        ``max_in_flight``: runs claimed at once, waiting or not (default ``max_running``)."""
        self.pool = pool
        self.name = name
        self.max_running = max_running
        self.max_in_flight = max(max_in_flight or max_running, max_running)
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.cancel_check_seconds = cancel_check_seconds
        self.runner = InProcessExecutor(
            max_running, owner=name, cancel_check_seconds=None, worker=name
        )
        self.peers = 1
        """Workers of the pool seen polling lately."""
        self._peers_read_at = -self.PEERS_TTL_SECONDS
        self._polled_at = -heartbeat_seconds
        """When the pool was last polled (``get_scheduled_flow_runs``)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then hand running runs back to the pool."""
        self.runner.start()
        try:
            async with get_client() as client:
                if not await self._connect(client, stop):
                    return
                freeze_startup_heap()
                await self._loop(client, stop)
            await self.runner.hand_back(f"worker {self.name} stopped")
        finally:
            self.runner.stop()

    async def _connect(self, client: PrefectClient, stop: asyncio.Event) -> bool:
        """Reach the Prefect API (retrying while it is down), make sure the pool exists and
        resume this worker's unfinished runs. False when stopped first."""
        while not stop.is_set():
            try:
                await ensure_work_pool(client, self.pool)
                await self.runner.warm_up()
                return True
            except Exception as exc:
                logger.warning(
                    "worker %s: the Prefect API is not reachable yet: %s", self.name, exc
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)
        return False

    async def _loop(self, client: PrefectClient, stop: asyncio.Event) -> None:
        last_beat = last_cancel_check = -self.heartbeat_seconds
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                if loop.time() - last_beat >= self.heartbeat_seconds:
                    await client.send_worker_heartbeat(
                        self.pool, self.name, heartbeat_interval_seconds=self.heartbeat_seconds
                    )
                    last_beat = loop.time()
                await self._claim(client)
                if loop.time() - last_cancel_check >= self.cancel_check_seconds:
                    await self._honour_cancellations(client)
                    last_cancel_check = loop.time()
            except Exception:  # the Prefect API may be restarting: try again next round
                logger.exception("worker %s: polling the Prefect API failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)

    async def _count_peers(self, client: PrefectClient) -> None:
        """How many workers (this one included) polled the pool lately; read again when runs
        are offered and the last count is over ``PEERS_TTL_SECONDS`` old."""
        if time.monotonic() - self._peers_read_at < self.PEERS_TTL_SECONDS:
            return
        self._peers_read_at = time.monotonic()
        now = datetime.datetime.now(datetime.UTC)
        recent = 3 * self.heartbeat_seconds
        workers = await client.read_workers_for_work_pool(self.pool)
        self.peers = max(
            1,
            sum(
                1
                for w in workers
                if w.last_heartbeat_time is not None
                and (now - w.last_heartbeat_time).total_seconds() <= recent
            ),
        )

    async def _claim(self, client: PrefectClient) -> None:
        """Claim this worker's share of the runs offered now: at most 1/``peers`` of them
        (so a burst spreads over the pool's workers), within ``max_in_flight``."""
        free = self.max_in_flight - len(self.runner.active_jobs())
        if free <= 0:
            return
        runs = await self._offered(client)
        if not runs:
            return
        await self._count_peers(client)
        random.shuffle(runs)  # workers offered the same runs try different ones first
        free = min(free, math.ceil(len(runs) / self.peers))
        claims = asyncio.Semaphore(self.CLAIMS_AT_ONCE)

        async def claim(flow_run: FlowRun) -> None:
            nonlocal free
            async with claims:
                if free <= 0:
                    return
                free -= 1
                if not await self._claim_one(client, flow_run):
                    free += 1

        await asyncio.gather(*(claim(run) for run in runs))

    async def _offered(self, client: PrefectClient) -> list[FlowRun]:
        """The runs the pool offers now (due within a second).

        The pool's own poll (which also marks its queues as polled, so the Prefect UI shows
        them ready) costs the server ~13 ms even when nothing is offered; a count of the
        pool's due Scheduled runs costs ~3 ms. So the worker counts first and polls the pool
        only when something is due, or when its last poll is ``heartbeat_seconds`` old."""
        horizon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
        if time.monotonic() - self._polled_at < self.heartbeat_seconds:
            due = await client.count_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    ),
                    next_scheduled_start_time=FlowRunFilterNextScheduledStartTime(before_=horizon),
                ),
                work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[self.pool])),
            )
            if not due:
                return []
        self._polled_at = time.monotonic()
        offered = await client.get_scheduled_flow_runs_for_work_pool(
            self.pool, scheduled_before=horizon
        )
        return [response.flow_run for response in offered]

    async def _claim_one(self, client: PrefectClient, flow_run: FlowRun) -> bool:
        try:
            state = await propose_state(client, Pending(), flow_run_id=flow_run.id)
        except Abort:
            return False
        if not state.is_pending():
            return False
        tags = [t for t in flow_run.tags if not t.startswith(OWNER_TAG_PREFIX)]
        tags.append(owner_tag(self.name))
        await client.update_flow_run(flow_run.id, tags=tags)
        claimed = flow_run.model_copy(update={"tags": tags, "state": state})
        try:
            await self.runner.adopt(claimed)
        except LookupError as exc:
            await propose_state(client, Failed(message=str(exc)), flow_run_id=flow_run.id)
            return False
        return True

    async def _honour_cancellations(self, client: PrefectClient) -> None:
        await self.runner.honour_cancellations(self.name)
