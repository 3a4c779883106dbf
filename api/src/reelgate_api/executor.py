"""Runs reelgate's flow runs in this process: the engine of the API's in-process mode and of
``reelgate worker``.

An admitted job's flow run is created off the request path, one creation at a time (the rate
the embedded SQLite sustains), and then runs when one of ``max_running`` busy slots is free, so
a burst is queued rather than thrown at the Prefect API. A job waiting on its provider gives its
slot back (:mod:`reelgate_flows.busy`): the slots bound work, not waiting.
Runs execute on a :class:`~reelgate_api.runner.LoopThread`, never on the caller's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import time
import uuid
from typing import Any

from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.flow_engine import run_flow_async
from prefect.states import Cancelled, Cancelling, Pending, Scheduled

from reelgate.errors import CapabilityNotSupportedError
from reelgate.jobs import ProviderJob
from reelgate.requests import GenerateRequest
from reelgate.runtime import get_runtime
from reelgate_api.job_views import (
    STATUS_OF_STATE,
    JobView,
    check_cancellable,
    provider_of_body,
    view_of_state,
)
from reelgate_api.metrics import JobMetrics, count_spend
from reelgate_api.runner import EndHook, LoopThread, ThreadedRunner, create_until_done
from reelgate_flows import busy
from reelgate_flows.catalog import (
    flow_for,
    flow_named,
    owner_tag,
    runs_in_states,
    unfinished_runs,
)
from reelgate_flows.job_ids import create_job_run, find_job_run, job_id_of
from reelgate_flows.job_records import JobRecord, JobRecords
from reelgate_flows.progress import ProgressEvent, subscribe
from reelgate_flows.sources import customer_of

logger = logging.getLogger("reelgate.api")


def _ran_elsewhere(local: _LocalRun) -> bool:
    """True when a finished local task did not run the job here."""
    return local.task.done() and not local.task.cancelled() and local.task.result() is None


def _without_deployment(flow_run: FlowRun) -> FlowRun:
    """The run as the engine should see it here.

    For a deployment's run, Prefect's engine watches for suspension (``suspend_flow_run``) with
    a thread, an event loop ticking five times a second and an events websocket per run; at
    hundreds of runs per process that was most of a worker's CPU while jobs waited. reelgate's
    flows never suspend, so the engine gets the run without its deployment id (the run itself,
    in the Prefect API, keeps it).
    """
    if flow_run.deployment_id is None:
        return flow_run
    return flow_run.model_copy(update={"deployment_id": None})


@dataclasses.dataclass
class _LocalRun:
    """A job of this process: the task creating and running its run, and what is known of it
    without asking Prefect. The task's result is None when the run does not run here (it was
    withdrawn, or another process created it)."""

    task: asyncio.Task[State | None]
    customer: str | None
    provider: str
    flow_run_id: uuid.UUID | None = None
    started: bool = False
    withdrawn: bool = False
    stopping: bool = False
    """Being cancelled here: it reads as cancelled while its run is stopped."""


class InProcessExecutor(ThreadedRunner):
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
    ) -> None:
        """``cancel_check_seconds``: how often to look for this process's runs cancelled
        elsewhere (None: never; a worker checks on its own schedule)."""
        self._init_admissions(owner or f"executor-{uuid.uuid4()}", records)
        self.max_running = max_running
        self.metrics = metrics or JobMetrics()
        self.owner = owner
        self._thread = LoopThread("reelgate-executor")
        self.on_end: list[EndHook] = self._thread.on_end
        self._latest: dict[str, ProgressEvent] = {}
        self._provider_jobs: dict[str, ProviderJob] = {}
        self._runs: dict[str, _LocalRun] = {}
        self._unsubscribe: Any = None
        self._slots: asyncio.Semaphore | None = None
        self.cancel_check_seconds = cancel_check_seconds
        self._watcher: concurrent.futures.Future[None] | None = None
        self._admissions: asyncio.Semaphore | None = None
        """One flow-run creation at a time: concurrent creations collide on the embedded
        SQLite (bench/peers.py: 20 jobs x 5 s took 8.7-10.4 s without, 7.9 s with)."""

    # lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._unsubscribe = subscribe(self._remember)
        self._thread.start()
        self._thread.run_now(self._init())

    async def _init(self) -> None:
        self._slots = asyncio.Semaphore(self.max_running)
        self._admissions = asyncio.Semaphore(1)

    def stop(self) -> None:
        if self._watcher is not None:
            watcher, self._watcher = self._watcher, None
            watcher.cancel()
            with contextlib.suppress(Exception):  # let the loop finish the watcher first
                self._thread.run_now(asyncio.sleep(0.01))
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._thread.stop()
        if self.records is not None:
            self.records.close()

    def _remember(self, event: ProgressEvent) -> None:
        self._latest[event.job_id] = event
        if event.provider_job is not None:
            self._provider_jobs[event.job_id] = event.provider_job

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
                if job_id_of(run) in self._runs:
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
            customer_of(request),
            provider_of_body(request),
        )

    def active_jobs(self) -> list[str]:
        """Ids of the jobs this process is running or about to run."""
        return [job_id for job_id, run in self._runs.items() if not run.task.done()]

    def active_runs(self) -> dict[uuid.UUID, str]:
        """The flow run ids of :meth:`active_jobs` whose runs exist, with their job ids."""
        return {
            run.flow_run_id: job_id
            for job_id, run in self._runs.items()
            if not run.task.done() and run.flow_run_id is not None
        }

    def _admitted_here(self) -> set[str]:
        return set(self.active_jobs())

    def _launch_admitted(self, record: JobRecord, request: GenerateRequest) -> None:
        flow = flow_for(request)
        parameters = {"request": request, "idempotency_key": record.idempotency_key}
        task = self._thread.loop.create_task(self._create_and_run(record, flow, parameters))
        self._runs[record.job_id] = _LocalRun(task, record.customer_id, record.provider)

    async def _create_and_run(
        self, record: JobRecord, flow: Flow[..., Any], parameters: dict[str, Any]
    ) -> State | None:
        """Create the admitted job's run (one creation at a time), then run it here unless it
        was withdrawn meanwhile or another process created it first."""
        local = self._runs[record.job_id]
        records = self._records()
        tags = [owner_tag(self.owner)] if self.owner else []

        async def create() -> tuple[FlowRun, bool]:
            client = await self._thread.prefect()
            return await create_job_run(client, flow, record.job_id, parameters, tags)

        assert self._admissions is not None
        async with self._admissions:
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
            self._latest.pop(job_id, None)
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
        self._runs[job_id] = _LocalRun(task, customer, provider, flow_run.id)

    async def _run(
        self, flow: Flow[..., Any], flow_run: FlowRun, parameters: dict[str, Any]
    ) -> State | None:
        assert self._slots is not None
        job_id = job_id_of(flow_run)
        local = self._runs[job_id]
        async with busy.holding(self._slots):
            local.started = True
            self.metrics.job_started(local.provider)
            began = time.monotonic()
            state = await run_flow_async(
                flow,
                flow_run=_without_deployment(flow_run),
                parameters=parameters,
                return_type="state",
            )
        assert isinstance(state, State)
        self.metrics.job_ended(
            local.provider, STATUS_OF_STATE.get(state.type, "failed"), time.monotonic() - began
        )
        if state.is_completed():
            await count_spend(self.metrics, state)
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
        if local is not None and (local.withdrawn or local.stopping):
            return JobView(job_id, "cancelled", local.customer, local.provider)
        if local is None or local.task.cancelled() or _ran_elsewhere(local):
            return await self.read_view(job_id)
        if not local.task.done():
            # A job of this process: its status is known here, without asking the Prefect API.
            latest = self._latest.get(job_id)
            return JobView(
                job_id,
                "running" if local.started else "queued",
                local.customer,
                local.provider,
                step=latest.step if latest else None,
                progress=latest.fraction if latest else None,
            )
        state = local.task.result()
        assert state is not None
        return await view_of_state(job_id, state, local.customer, local.provider, None)

    # stopping jobs -------------------------------------------------------------------

    async def cancel(self, job_id: str) -> str:
        async def cancel_here() -> str:
            check_cancellable(job_id, await self.view_here(job_id))
            local = self._runs.get(job_id)
            if local is not None and local.flow_run_id is None:
                local.withdrawn = True  # its task cancels the run if it is being created
                if self.records is not None:
                    await self.records.withdraw(job_id)
                return "cancelled"
            if local is None and self.records is not None and await self.records.withdraw(job_id):
                return "cancelled"  # admitted by another process, its run not created yet
            if local is None:
                await self._ask_owner_to_stop(job_id)
                return "cancelled"
            await self.stop_run(job_id, "cancelled through the API")
            return "cancelled"

        return await self._thread.run(cancel_here())

    async def stop_run(self, job_id: str, message: str) -> None:
        """Cancel the job at its provider (where it can), stop its run here, and mark the run
        Cancelled. Call on the runner's loop."""
        provider_job = self._provider_jobs.get(job_id)
        if provider_job is not None:
            runtime = get_runtime()
            with contextlib.suppress(CapabilityNotSupportedError):
                await runtime.cancel(provider_job, runtime.context(provider_job.provider))
        async with get_client() as client:
            local = self._runs.get(job_id)
            run_id = local.flow_run_id if local is not None else None
            if run_id is None:
                run = await find_job_run(client, job_id, self.records)
                if run is None:
                    return
                run_id = run.id
            await client.set_flow_run_state(run_id, Cancelled(message=message), force=True)
            if local is not None:
                # Stopped, the engine forces its run Crashed (it never saw the Cancelled
                # above); the run is made Cancelled again after, and reads as cancelled here
                # meanwhile. It may also have ended on its own (the provider's cancel seen by a
                # poll): either way its final state is Cancelled.
                local.stopping = True
                local.task.cancel()
                await asyncio.wait({local.task})
                await client.set_flow_run_state(run_id, Cancelled(message=message), force=True)
                self._runs.pop(job_id, None)

    async def stop_run_from_elsewhere(self, job_id: str, message: str) -> None:
        """:meth:`stop_run`, from another loop."""
        await self._thread.run(self.stop_run(job_id, message))

    async def _ask_owner_to_stop(self, job_id: str) -> None:
        """Cancel a job that runs in another process: its run goes Cancelling, which the
        process running it honours (:meth:`honour_cancellations`: at the provider too, then
        Cancelled); an owner that died marks it Cancelled when it resumes. Call on the loop."""
        async with get_client() as client:
            run = await find_job_run(client, job_id, self.records)
            if run is not None:
                message = f"cancelled through the API of {self.name}"
                await client.set_flow_run_state(run.id, Cancelling(message=message), force=True)

    async def honour_cancellations(self, who: str) -> list[str]:
        """Stop the runs of this process that were moved to Cancelling elsewhere (another API
        process, the Prefect UI); returns their job ids. From any loop."""

        async def here() -> list[str]:
            jobs_of_runs = self.active_runs()
            active, stopped = list(jobs_of_runs), []
            async with get_client() as client:
                cancelling = await runs_in_states(client, active, [StateType.CANCELLING])
                for run in cancelling:
                    await self.stop_run(jobs_of_runs[run.id], f"cancelled on {who}")
                    stopped.append(jobs_of_runs[run.id])
            return stopped

        return await self._thread.run(here())

    async def _watch_cancellations(self) -> None:
        """Every ``cancel_check_seconds``, :meth:`honour_cancellations` (on the loop)."""
        assert self.cancel_check_seconds is not None
        while True:
            await asyncio.sleep(self.cancel_check_seconds)
            if not self.active_runs():
                continue
            try:
                await self.honour_cancellations(self.name)
            except Exception:  # the Prefect API may be restarting: try again next round
                logger.exception("checking for cancelled runs failed")

    async def hand_back(self, message: str) -> list[str]:
        """Stop every run of this process and reschedule it for any executor to resume (its
        provider job is reused). Returns the ids handed back."""

        async def hand_back_here() -> list[str]:
            active = self.active_jobs()
            runs = self.active_runs()
            for job_id in active:
                self._runs[job_id].task.cancel()
            if active:
                await asyncio.wait({self._runs[job_id].task for job_id in active})
            async with get_client() as client:
                for run_id in runs:
                    await client.set_flow_run_state(run_id, Scheduled(message=message), force=True)
            return list(runs.values())

        return await self._thread.run(hand_back_here())
