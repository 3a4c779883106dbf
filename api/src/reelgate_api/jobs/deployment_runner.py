"""Jobs started as runs of reelgate's deployments (``REELGATE_EXECUTION=deployment``).

The API process only creates flow runs from deployments and reads their states back from the
Prefect API; ``reelgate worker`` processes on any machine execute them. A watcher on the
runner's loop polls the states of the jobs this process started, to finish sync requests,
count metrics and deliver webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelled, Cancelling, Scheduled

from reelgate.storyboards import JobRequest
from reelgate_api.jobs.metrics import JobMetrics, count_failure, count_spend
from reelgate_api.jobs.runner import EndHook, LoopThread, ThreadedRunner, create_until_done
from reelgate_api.jobs.views import (
    FINAL_STATE_TYPES,
    STATUS_OF_STATE,
    JobView,
    check_cancellable,
    provider_of_body,
)
from reelgate_flows.admission import AdmittedJob
from reelgate_flows.catalog import flow_for, runs_in_states
from reelgate_flows.fair_turns import FairTurns
from reelgate_flows.job_ids import create_deployment_job_run, find_job_run
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.record import JobRecord

logger = logging.getLogger("reelgate.api")


@dataclasses.dataclass
class _Watched:
    """A job this process started: set ``ended`` when its run ends."""

    ended: asyncio.Event
    began: float
    provider: str
    run_id: uuid.UUID | None
    """None until its run is created."""


class DeploymentRunner(ThreadedRunner):
    """Creates runs of ``<flow>/<deployment_name>`` and watches them (a :class:`JobRunner`)."""

    CREATIONS_AT_ONCE = 8
    """Runs created concurrently: a real Prefect server (PostgreSQL) takes them in parallel."""

    def __init__(
        self,
        deployment_name: str,
        metrics: JobMetrics | None = None,
        poll_seconds: float = 0.2,
        name: str | None = None,
        records: JobRecords | None = None,
    ) -> None:
        self._init_admissions(name or f"api-{uuid.uuid4()}", records)
        self.deployment_name = deployment_name
        self.metrics = metrics or JobMetrics()
        self.poll_seconds = poll_seconds
        self._thread = LoopThread("reelgate-deployment-runner")
        self.on_end: list[EndHook] = self._thread.on_end
        self._deployment_ids: dict[str, uuid.UUID] = {}
        self._watched: dict[str, _Watched] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._creations: FairTurns | None = None
        self._creating: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._thread.start()
        self._thread.run_now(self._init())

    async def _init(self) -> None:
        self._watcher = self._thread.loop.create_task(self._watch())
        self._creations = FairTurns(self.CREATIONS_AT_ONCE)

    def stop(self) -> None:
        if self._watcher is not None:
            self._thread.loop.call_soon_threadsafe(self._watcher.cancel)
        self._thread.stop()
        if self.records is not None:
            self.records.close()

    async def warm_up(self) -> None:
        await self._thread.ping_prefect()
        await self._thread.run(self._resume_admitted())

    async def start_job(
        self,
        admitted: AdmittedJob,
        idempotency_key: str | None,
        notify_base_url: str | None = None,
        key_id: str | None = None,
    ) -> str:
        """:meth:`ThreadedRunner.start_job`, once the request's deployment is known to exist
        (looked up once per flow): a job is never admitted that no worker could run."""
        flow_name = flow_for(admitted.request).name
        if flow_name not in self._deployment_ids:
            await self._thread.run(self._deployment_id(flow_name))
        return await super().start_job(admitted, idempotency_key, notify_base_url, key_id)

    async def _deployment_id(self, flow_name: str) -> uuid.UUID:
        if flow_name not in self._deployment_ids:
            async with get_client() as client:
                deployment = await client.read_deployment_by_name(
                    f"{flow_name}/{self.deployment_name}"
                )
            self._deployment_ids[flow_name] = deployment.id
        return self._deployment_ids[flow_name]

    def _admitted_here(self) -> set[str]:
        return set(self._watched)

    def _launch_admitted(self, record: JobRecord, request: JobRequest) -> None:
        self._watch_job(record.job_id, record.provider, None)
        task = self._thread.loop.create_task(self._create(record, request))
        self._creating.add(task)
        task.add_done_callback(self._creating.discard)

    async def _create(self, record: JobRecord, request: JobRequest) -> None:
        """Create the admitted job's run from its deployment; a worker runs it."""
        flow_name = flow_for(request).name
        parameters: dict[str, Any] = {
            "request": request.model_dump(mode="json", exclude_unset=True),
            "idempotency_key": record.idempotency_key,
        }

        async def create() -> uuid.UUID:
            deployment_id = await self._deployment_id(flow_name)
            flow_run = await create_deployment_job_run(
                await self._thread.prefect(), deployment_id, record.job_id, parameters
            )
            return flow_run.id

        assert self._creations is not None
        async with self._creations.turn(record.customer_id or ""):
            if await self._withdrawn(record.job_id):
                self._ended(record.job_id, StateType.CANCELLED)
                return
            run_id = await create_until_done(f"job {record.job_id}", create)
        if await self._records().set_run(record.job_id, run_id):
            async with get_client() as client:
                await client.set_flow_run_state(
                    run_id, Cancelled(message="cancelled through the API"), force=True
                )
        watched = self._watched.get(record.job_id)
        if watched is not None:
            watched.run_id = run_id

    async def _rerun(self, job_id: str) -> None:
        """Schedule the failed run again: a worker of its deployment picks it up."""
        async with get_client() as client:
            run = await find_job_run(client, job_id, self.records)
            assert run is not None, f"job {job_id} has a run to run again"
            await client.set_flow_run_state(
                run.id, Scheduled(message="run again under its Idempotency-Key"), force=True
            )
        self._watch_job(job_id, provider_of_body(run.parameters.get("request")), run.id)

    def _watch_job(self, job_id: str, provider: str, run_id: uuid.UUID | None) -> None:
        self.metrics.job_started(provider)
        self._watched[job_id] = _Watched(asyncio.Event(), time.monotonic(), provider, run_id)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds + len(self._watched) / 500)
            if not self._watched:
                continue
            jobs_of_runs = {
                watched.run_id: job_id
                for job_id, watched in self._watched.items()
                if watched.run_id is not None
            }
            ids = list(jobs_of_runs)
            try:
                async with get_client() as client:
                    for run in await runs_in_states(client, ids, FINAL_STATE_TYPES):
                        job_id = jobs_of_runs.get(run.id)
                        if job_id is not None and job_id in self._watched:
                            self._ended(job_id, run.state_type or StateType.FAILED)
                            if run.state is not None and run.state.is_completed():
                                await count_spend(self.metrics, run.state)
                            elif run.state is not None and run.state.is_failed():
                                await count_failure(self.metrics, run.state)
            except Exception:
                logger.exception("reading the states of running jobs failed")

    def _ended(self, job_id: str, state_type: StateType) -> None:
        watched = self._watched.pop(job_id)
        watched.ended.set()
        self.metrics.job_ended(
            watched.provider,
            STATUS_OF_STATE.get(state_type, "failed"),
            time.monotonic() - watched.began,
        )
        self._thread.fire_end_hooks(job_id)

    async def wait(self, job_id: str, timeout_seconds: float) -> bool:
        async def wait_here() -> bool:
            watched = self._watched.get(job_id)
            if watched is None:
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watched.ended.wait(), timeout_seconds)
            return watched.ended.is_set()

        return await self._thread.run(wait_here())

    async def view_here(self, job_id: str) -> JobView | None:
        return await self.read_view(job_id)

    async def cancel(self, job_id: str) -> str:
        return await self._thread.run(self._cancel(job_id))

    async def _cancel(self, job_id: str) -> str:
        check_cancellable(job_id, await self.view_here(job_id))
        if self.records is not None and await self.records.withdraw(job_id):
            return "cancelled"  # its run was not created yet: it never will be
        async with get_client() as client:
            run = await find_job_run(client, job_id, self.records)
            if run is None:
                return "cancelled"
            if run.state_type is StateType.SCHEDULED:
                # No worker has it yet: nothing was submitted.
                await client.set_flow_run_state(
                    run.id, Cancelled(message="cancelled through the API"), force=True
                )
            else:
                # The worker running it cancels at the provider and ends the run.
                await client.set_flow_run_state(
                    run.id, Cancelling(message="cancelled through the API"), force=True
                )
        return "cancelled"
