"""Runs reelgate's flow runs in this process: the engine of the API's in-process mode and of
``reelgate worker``. An admitted job's flow run is created off the request path, one at a time
(the rate the embedded SQLite sustains; customers take turns: ``reelgate_flows.fair_turns``),
then runs when one of ``max_running`` busy slots is free, so a burst is queued rather than
thrown at the Prefect API. A job waiting on its provider gives its slot back
(:mod:`reelgate_flows.busy`): the slots bound work, not waiting. Runs execute on a
:class:`~reelgate_api.jobs.runner.LoopThread`, never on the caller's loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
import uuid
from typing import Any

from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.states import Cancelled, Pending

from reelgate.storyboards import JobRequest
from reelgate_api.jobs.flow_engine import run_flow_here
from reelgate_api.jobs.local_runs import LocalRun, LocalRuns
from reelgate_api.jobs.metrics import JobMetrics, count_failure, count_spend
from reelgate_api.jobs.progress_out import ProgressPublisher
from reelgate_api.jobs.run_logs import quiet_run_logs
from reelgate_api.jobs.runner import EndHook, LoopThread, create_until_done
from reelgate_api.jobs.stopping import StoppingRuns
from reelgate_api.jobs.views import STATUS_OF_STATE, JobView, provider_of_body, view_of_state
from reelgate_flows import busy
from reelgate_flows.admission import RUN_WORKER, never_ran
from reelgate_flows.catalog import flow_for, flow_named, owner_tag, unfinished_runs
from reelgate_flows.fair_gate import uncount
from reelgate_flows.fair_turns import FairTurns
from reelgate_flows.job_ids import create_job_run, find_job_run, job_id_of
from reelgate_flows.progress import subscribe
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.record import JobRecord
from reelgate_flows.settings import RUN_SETTINGS, Settings
from reelgate_flows.sources import customer_of_request

logger = logging.getLogger("reelgate.api")


class InProcessExecutor(StoppingRuns):
    """Runs jobs' flow runs in this process, ``max_running`` of them busy at a time (a
    :class:`JobRunner`); any number may wait on their providers.

    ``owner`` names this executor: every run it starts or adopts carries the owner tag, and
    :meth:`warm_up` resumes the owner's runs that a crash left unfinished (their provider jobs
    are reused, never submitted again). Give each process its own stable name.
    """

    def __init__(
        self,
        max_running: int,
        metrics: JobMetrics | None = None,
        owner: str | None = None,
        records: JobRecords | None = None,
        cancel_check_seconds: float | None = 2.0,
        settings: Settings | None = None,
        worker: str | None = None,
    ) -> None:
        """``cancel_check_seconds``: how often to look for this process's runs cancelled
        elsewhere (None: never; a worker checks on its own schedule). ``settings``: the
        records and budgets its runs answer to (default: the environment's). ``worker``: the
        name of the ``reelgate worker`` it runs for."""
        self.settings = settings
        self.worker = worker
        self._init_admissions(owner or f"executor-{uuid.uuid4()}", records)
        self.max_running = max_running
        self.metrics = metrics or JobMetrics()
        self.owner = owner
        self._thread = LoopThread("reelgate-executor")
        self.on_end: list[EndHook] = self._thread.on_end
        self._runs = LocalRuns()
        self._unsubscribe: Any = None
        self._unpublish: Any = None
        self._slots: FairTurns | None = None
        self.cancel_check_seconds = cancel_check_seconds
        self._watcher: concurrent.futures.Future[None] | None = None
        self._admissions: FairTurns | None = None
        """One flow-run creation at a time: concurrent creations collide on the embedded
        SQLite (bench/peers.py: 20 jobs x 5 s took 8.7-10.4 s without, 7.9 s with)."""

    # lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        quiet_run_logs()
        self._unsubscribe = subscribe(self._runs.remember)
        if self.worker is not None:  # the fleet's API processes read progress from records
            self._unpublish = subscribe(ProgressPublisher(self._thread.loop))
        self._thread.start()
        self._thread.run_now(self._init())

    async def _init(self) -> None:
        self._slots = FairTurns(self.max_running)
        self._admissions = FairTurns(1)

    def stop(self) -> None:
        if self._watcher is not None:
            watcher, self._watcher = self._watcher, None
            watcher.cancel()
            with contextlib.suppress(Exception):  # let the loop finish the watcher first
                self._thread.run_now(asyncio.sleep(0.01))
        for unsubscribe in (self._unsubscribe, self._unpublish):
            if unsubscribe is not None:
                unsubscribe()
        self._thread.stop()
        if self.records is not None:
            self.records.close()

    async def warm_up(self) -> None:
        """Reach (or start) the Prefect API, then resume this owner's unfinished runs, and
        start honouring cancellations made elsewhere (when ``cancel_check_seconds``)."""
        await self._thread.ping_prefect()
        if self.cancel_check_seconds is not None and self._watcher is None:
            self._watcher = asyncio.run_coroutine_threadsafe(
                self._watch_cancellations(), self._thread.loop
            )
        if self.owner:
            await self.resume()
        await self._thread.run(self._resume_admitted())

    async def resume(self) -> list[str]:
        """Run again this owner's runs left unfinished by an earlier process; returns their
        ids. A run that was being cancelled is marked Cancelled instead."""
        return await self._thread.run(self._resume())

    async def _resume(self) -> list[str]:
        assert self.owner is not None
        resumed = []
        async with get_client() as client:
            claimed = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
            for run in await unfinished_runs(client, self.owner, claimed):
                if run.state_type is StateType.CANCELLING:
                    await client.set_flow_run_state(run.id, Cancelled(), force=True)
                    continue
                if self._runs.get(job_id_of(run)) is not None:
                    continue
                await client.set_flow_run_state(
                    run.id, Pending(message=f"resumed by {self.owner}"), force=True
                )
                await self._adopt(client, await client.read_flow_run(run.id))
                resumed.append(job_id_of(run))
        return resumed

    # starting jobs -------------------------------------------------------------------

    async def adopt(self, flow_run: FlowRun) -> None:
        """Run an existing (claimed, Pending) flow run here."""

        async def adopt_here() -> None:
            async with get_client() as client:
                await self._adopt(client, flow_run)

        await self._thread.run(adopt_here())

    async def _adopt(self, client: PrefectClient, flow_run: FlowRun) -> None:
        flow = await flow_named(client, flow_run.flow_id)
        request = flow_run.parameters.get("request")
        self._launch(
            flow,
            flow_run,
            dict(flow_run.parameters),
            customer_of_request(request),
            provider_of_body(request),
        )

    def active_jobs(self) -> list[str]:
        """Ids of the jobs this process is running or about to run."""
        return self._runs.active_jobs()

    def active_runs(self) -> dict[uuid.UUID, str]:
        """The flow run ids of :meth:`active_jobs` whose runs exist, with their job ids."""
        return self._runs.active_runs()

    def _admitted_here(self) -> set[str]:
        return set(self.active_jobs())

    def _launch_admitted(self, record: JobRecord, request: JobRequest) -> None:
        flow = flow_for(request)
        parameters = {"request": request, "idempotency_key": record.idempotency_key}
        task = self._thread.loop.create_task(self._create_and_run(record, flow, parameters))
        self._runs.add(record.job_id, LocalRun(task, record.customer_id, record.provider))

    async def _create_and_run(
        self, record: JobRecord, flow: Flow[..., Any], parameters: dict[str, Any]
    ) -> State | None:
        """Create the admitted job's run (one creation at a time), then run it here unless it
        was withdrawn meanwhile or another process created it first."""
        local = self._runs.get(record.job_id)
        assert local is not None, "a launched job is tracked until it ends"
        records = self._records()
        tags = [owner_tag(self.owner)] if self.owner else []

        async def create() -> tuple[FlowRun, bool]:
            client = await self._thread.prefect()
            return await create_job_run(client, flow, record.job_id, parameters, tags)

        assert self._admissions is not None
        async with self._admissions.turn(record.customer_id or ""):
            if local.withdrawn or await self._withdrawn(record.job_id):
                local.withdrawn = True
                return None
            flow_run, created = await create_until_done(f"job {record.job_id}", create)
            withdrawn = await records.set_run(record.job_id, flow_run.id)
        local.flow_run_id = flow_run.id
        if withdrawn or local.withdrawn:
            local.withdrawn = True
            async with get_client() as client:
                await client.set_flow_run_state(
                    flow_run.id, Cancelled(message="cancelled through the API"), force=True
                )
            return None
        if not created:
            return None
        return await self._run(flow, flow_run, parameters)

    async def _rerun(self, job_id: str) -> None:
        async with get_client() as client:
            run = await find_job_run(client, job_id, self.records)
            assert run is not None, f"job {job_id} has a run to run again"
            await client.set_flow_run_state(
                run.id, Pending(message="run again under its Idempotency-Key"), force=True
            )
            await self._adopt(client, await client.read_flow_run(run.id))

    def _launch(
        self,
        flow: Flow[..., Any],
        flow_run: FlowRun,
        parameters: dict[str, Any],
        customer: str | None,
        provider: str,
    ) -> None:
        job_id = job_id_of(flow_run)
        task = self._thread.loop.create_task(self._run(flow, flow_run, parameters))
        self._runs.add(job_id, LocalRun(task, customer, provider, flow_run.id))

    async def _run(
        self, flow: Flow[..., Any], flow_run: FlowRun, parameters: dict[str, Any]
    ) -> State | None:
        assert self._slots is not None
        job_id = job_id_of(flow_run)
        local = self._runs.get(job_id)
        assert local is not None, "a launched job is tracked until it ends"
        if self.settings is not None:
            RUN_SETTINGS.set(self.settings)  # this task's context: the flow run reads it
        if self.worker is not None:
            RUN_WORKER.set(self.worker)
        began = time.monotonic()
        try:
            async with busy.holding(self._slots, local.customer or ""):
                local.started = True
                self.metrics.job_started(local.provider)
                began = time.monotonic()
                state = await run_flow_here(flow, flow_run, parameters)
        except asyncio.CancelledError:
            if local.started:
                self.metrics.job_ended(local.provider, "cancelled", time.monotonic() - began)
            if local.latest is None:  # stopped before its flow began: nothing was submitted
                await never_ran(job_id)
                await uncount(job_id, self.settings)
            raise
        outcome = "cancelled" if local.stopping else STATUS_OF_STATE.get(state.type, "failed")
        self.metrics.job_ended(local.provider, outcome, time.monotonic() - began)
        if state.is_completed():
            await count_spend(self.metrics, state)
        elif outcome == "failed":
            await count_failure(self.metrics, state)
        self._thread.fire_end_hooks(job_id)
        return state

    # watching jobs -------------------------------------------------------------------

    async def wait(self, job_id: str, timeout_seconds: float) -> bool:
        async def wait_here() -> bool:
            local = self._runs.get(job_id)
            if local is None:
                return False
            done, _ = await asyncio.wait({local.task}, timeout=timeout_seconds)
            return bool(done)

        return await self._thread.run(wait_here())

    async def view_here(self, job_id: str) -> JobView | None:
        local = self._runs.get(job_id)
        here = local.view_while_here(job_id) if local is not None else None
        if here is not None:  # cancelled, queued or running here
            return here
        if local is None or local.task.cancelled() or local.task.exception() is not None:
            return await self.read_view(job_id)  # its run's state tells
        state = local.task.result()
        if state is None:  # withdrawn, or another process created its run
            return await self.read_view(job_id)
        return await view_of_state(job_id, state, local.customer, local.provider, None)
