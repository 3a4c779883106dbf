"""Jobs started as runs of reelgate's deployments (``REELGATE_EXECUTION=deployment``).

The API process only creates flow runs from deployments and reads their states back from the
Prefect API; ``reelgate worker`` processes on any machine execute them. A watcher on the
runner's loop polls the states of the jobs this process started, to finish sync requests,
count metrics and deliver webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelled, Cancelling, Scheduled

from reelgate.requests import GenerateRequest
from reelgate_api.job_views import (
    FINAL_STATE_TYPES,
    STATUS_OF_STATE,
    JobView,
    check_cancellable,
    provider_of,
    provider_of_body,
    read_view,
)
from reelgate_api.metrics import JobMetrics
from reelgate_api.runner import EndHook, LoopThread, ThreadedRunner
from reelgate_flows.catalog import PAGE_SIZE, flow_for

logger = logging.getLogger("reelgate.api")


class DeploymentRunner(ThreadedRunner):
    """Creates runs of ``<flow>/<deployment_name>`` and watches them (a :class:`JobRunner`)."""

    def __init__(
        self, deployment_name: str, metrics: JobMetrics | None = None, poll_seconds: float = 0.2
    ) -> None:
        self.deployment_name = deployment_name
        self.metrics = metrics or JobMetrics()
        self.poll_seconds = poll_seconds
        self._thread = LoopThread("reelgate-deployment-runner")
        self.on_end: list[EndHook] = self._thread.on_end
        self._deployment_ids: dict[str, uuid.UUID] = {}
        self._watched: dict[str, tuple[asyncio.Event, float, str]] = {}
        self._watcher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._thread.start()
        self._thread.run_now(self._init())

    async def _init(self) -> None:
        self._watcher = self._thread.loop.create_task(self._watch())

    def stop(self) -> None:
        if self._watcher is not None:
            self._thread.loop.call_soon_threadsafe(self._watcher.cancel)
        self._thread.stop()

    async def warm_up(self) -> None:
        await self._thread.ping_prefect()

    async def _deployment_id(self, flow_name: str) -> uuid.UUID:
        if flow_name not in self._deployment_ids:
            async with get_client() as client:
                deployment = await client.read_deployment_by_name(
                    f"{flow_name}/{self.deployment_name}"
                )
            self._deployment_ids[flow_name] = deployment.id
        return self._deployment_ids[flow_name]

    async def _create_run(
        self, request: GenerateRequest, idempotency_key: str | None, tags: list[str]
    ) -> str:
        flow = flow_for(request)
        deployment_id = await self._deployment_id(flow.name)
        parameters: dict[str, Any] = {
            "request": request.model_dump(mode="json", exclude_unset=True),
            "idempotency_key": idempotency_key,
        }
        async with get_client() as client:
            flow_run = await client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters, tags=tags
            )
        job_id = str(flow_run.id)
        self._watch_job(job_id, provider_of(request))
        return job_id

    async def _rerun(self, job_id: str) -> None:
        """Schedule the failed run again: a worker of its deployment picks it up."""
        async with get_client() as client:
            await client.set_flow_run_state(
                uuid.UUID(job_id),
                Scheduled(message="run again under its Idempotency-Key"),
                force=True,
            )
            run = await client.read_flow_run(uuid.UUID(job_id))
        self._watch_job(job_id, provider_of_body(run.parameters.get("request")))

    def _watch_job(self, job_id: str, provider: str) -> None:
        self.metrics.job_started(provider)
        self._watched[job_id] = (asyncio.Event(), time.monotonic(), provider)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds + len(self._watched) / 500)
            if not self._watched:
                continue
            ids = [uuid.UUID(job_id) for job_id in self._watched]
            try:
                async with get_client() as client:
                    for start in range(0, len(ids), PAGE_SIZE):
                        ended = await client.read_flow_runs(
                            flow_run_filter=FlowRunFilter(
                                id=FlowRunFilterId(any_=ids[start : start + PAGE_SIZE]),
                                state=FlowRunFilterState(
                                    type=FlowRunFilterStateType(any_=FINAL_STATE_TYPES)
                                ),
                            ),
                            limit=PAGE_SIZE,
                        )
                        for run in ended:
                            if str(run.id) in self._watched:
                                self._ended(str(run.id), run.state_type or StateType.FAILED)
            except Exception:
                logger.exception("reading the states of running jobs failed")

    def _ended(self, job_id: str, state_type: StateType) -> None:
        event, began, provider = self._watched.pop(job_id)
        event.set()
        self.metrics.job_ended(
            provider, STATUS_OF_STATE.get(state_type, "failed"), time.monotonic() - began
        )
        self._thread.fire_end_hooks(job_id)

    async def wait(self, job_id: str, timeout_seconds: float) -> bool:
        async def wait_here() -> bool:
            watched = self._watched.get(job_id)
            if watched is None:
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watched[0].wait(), timeout_seconds)
            return watched[0].is_set()

        return await self._thread.run(wait_here())

    async def view_here(self, job_id: str) -> JobView | None:
        async with get_client() as client:
            return await read_view(client, job_id)

    async def cancel(self, job_id: str) -> str:
        return await self._thread.run(self._cancel(job_id))

    async def _cancel(self, job_id: str) -> str:
        check_cancellable(job_id, await self.view_here(job_id))
        async with get_client() as client:
            run = await client.read_flow_run(uuid.UUID(job_id))
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
