"""Runs reelgate's flows off the API's event loop.

The :class:`JobRunner` owns a thread with its own asyncio loop. A job is created as a Prefect
flow run at once (its id is the job id) and then runs when one of ``max_running`` slots is
free, so a burst is queued rather than thrown at the Prefect API. Every Prefect call of the API
process goes through this loop; the API's own loop only awaits futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from prefect import Flow
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.client.schemas.sorting import TaskRunSort
from prefect.exceptions import ObjectNotFound
from prefect.flow_engine import run_flow_async
from prefect.states import Cancelled, Pending, Scheduled

from reelgate.errors import (
    CapabilityNotSupportedError,
    ConflictError,
    NotFoundError,
    ReelgateError,
)
from reelgate.jobs import Job
from reelgate.requests import GenerateRequest
from reelgate.runtime import get_runtime
from reelgate_api.metrics import JobMetrics
from reelgate_flows.catalog import flow_for, flow_named, owner_tag, unfinished_runs
from reelgate_flows.idempotency import body_tag, key_tag
from reelgate_flows.progress import ProgressEvent, subscribe

T = TypeVar("T")


def _provider_of(request: GenerateRequest) -> str:
    try:
        return get_runtime().resolve(request.video.model).spec.provider.name
    except ReelgateError:
        return "unknown"


def _provider_of_body(body: Any) -> str:
    if isinstance(body, GenerateRequest):
        return _provider_of(body)
    if not isinstance(body, dict):
        return "unknown"
    try:
        return _provider_of(
            GenerateRequest.model_validate({k: v for k, v in body.items() if k != "video_id"})
        )
    except ValueError:
        return "unknown"


def _customer_of_body(body: Any) -> str | None:
    if isinstance(body, GenerateRequest):
        return body.customer_id
    customer = body.get("customer_id") if isinstance(body, dict) else None
    return customer if isinstance(customer, str) else None


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


async def _current_step(client: PrefectClient, run_id: uuid.UUID) -> str | None:
    """The name of the run's latest task run (its current step), if any."""
    from prefect.client.schemas.filters import FlowRunFilterId

    task_runs = await client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])),
        sort=TaskRunSort.EXPECTED_START_TIME_DESC,
        limit=1,
    )
    return task_runs[0].name.split("-")[0] if task_runs else None


STATUS_OF_STATE = {
    StateType.SCHEDULED: "queued",
    StateType.PENDING: "queued",
    StateType.PAUSED: "queued",
    StateType.RUNNING: "running",
    StateType.COMPLETED: "succeeded",
    StateType.FAILED: "failed",
    StateType.CRASHED: "failed",
    StateType.CANCELLING: "cancelled",
    StateType.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class JobView:
    """What the API tells of a job: its status and, once it ended, its envelope or error."""

    job_id: str
    status: str
    customer_id: str | None = None
    provider: str | None = None
    step: str | None = None
    progress: float | None = None
    result: dict[str, Any] | None = None
    error: BaseException | None = None


class JobRunner:
    """Runs jobs' flow runs in this process, ``max_running`` at a time.

    ``owner`` names this executor: every run it starts or adopts carries the owner tag, and
    :meth:`start` resumes the owner's runs that a crash left unfinished (their provider jobs
    are reused, never submitted again). Give each process its own stable name.
    """

    resumes_at_start = True

    def __init__(
        self, max_running: int, metrics: JobMetrics | None = None, owner: str | None = None
    ) -> None:
        self.max_running = max_running
        self.metrics = metrics or JobMetrics()
        self.owner = owner
        self._latest: dict[str, ProgressEvent] = {}
        self._provider_jobs: dict[str, Job] = {}
        self.on_end: list[Callable[[str], Coroutine[Any, Any, None]]] = []
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="reelgate-job-runner"
        )
        self._runs: dict[str, asyncio.Task[State | None]] = {}
        self._customers: dict[str, str | None] = {}
        self._providers: dict[str, str] = {}
        self._started: set[str] = set()
        self._key_locks: dict[str, asyncio.Lock] = {}
        self._slots: asyncio.Semaphore | None = None

    def start(self) -> None:
        self._unsubscribe = subscribe(self._remember)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._init(), self._loop).result()

    async def _init(self) -> None:
        self._slots = asyncio.Semaphore(self.max_running)

    def _remember(self, event: ProgressEvent) -> None:
        self._latest[event.job_id] = event
        if event.provider_job is not None:
            self._provider_jobs[event.job_id] = event.provider_job

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _on_runner(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    async def warm_up(self) -> None:
        """Reach (or start) the Prefect API, then resume this owner's unfinished runs."""

        async def ping() -> None:
            async with get_client() as client:
                await client.api_healthcheck()

        await self._on_runner(ping())
        if self.owner and self.resumes_at_start:
            await self.resume()

    async def resume(self) -> list[str]:
        """Run again this owner's runs left unfinished by an earlier process; returns their
        ids. A run that was being cancelled is marked Cancelled instead."""
        return await self._on_runner(self._resume())

    async def _resume(self) -> list[str]:
        assert self.owner is not None
        resumed = []
        async with get_client() as client:
            claimed = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
            for run in await unfinished_runs(client, self.owner, claimed):
                if run.state_type is StateType.CANCELLING:
                    await client.set_flow_run_state(run.id, Cancelled(), force=True)
                    continue
                if str(run.id) in self._runs:
                    continue
                await client.set_flow_run_state(
                    run.id, Pending(message=f"resumed by {self.owner}"), force=True
                )
                await self._adopt(client, await client.read_flow_run(run.id))
                resumed.append(str(run.id))
        return resumed

    async def adopt(self, flow_run: FlowRun) -> None:
        """Run an existing (claimed, Pending) flow run here."""

        async def adopt_here() -> None:
            async with get_client() as client:
                await self._adopt(client, flow_run)

        await self._on_runner(adopt_here())

    async def _adopt(self, client: PrefectClient, flow_run: FlowRun) -> None:
        flow = await flow_named(client, flow_run.flow_id)
        parameters = dict(flow_run.parameters)
        job_id = str(flow_run.id)
        self._customers[job_id] = _customer_of_body(parameters.get("request"))
        self._providers[job_id] = _provider_of_body(parameters.get("request"))
        self._launch(flow, flow_run, parameters)

    def active_jobs(self) -> list[str]:
        """Ids of the runs this process is running or about to run."""
        return [job_id for job_id, task in self._runs.items() if not task.done()]

    async def start_job(self, request: GenerateRequest, idempotency_key: str | None) -> str:
        """Create the job's flow run and queue it; returns the job id."""
        return await self._on_runner(self._create(request, idempotency_key))

    async def _create(self, request: GenerateRequest, idempotency_key: str | None) -> str:
        if idempotency_key is None:
            return await self._create_run(request, None, [])
        tag_of_key, tag_of_body = key_tag(idempotency_key), body_tag(request)
        lock = self._key_locks.setdefault(tag_of_key, asyncio.Lock())
        async with lock:
            async with get_client() as client:
                earlier = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag_of_key])),
                    limit=1,
                )
            if earlier:
                if tag_of_body not in earlier[0].tags:
                    raise ConflictError(
                        "this Idempotency-Key was used with another request body",
                        job_id=str(earlier[0].id),
                    )
                return str(earlier[0].id)
            return await self._create_run(request, idempotency_key, [tag_of_key, tag_of_body])

    def _owner_tags(self) -> list[str]:
        return [owner_tag(self.owner)] if self.owner else []

    async def _create_run(
        self, request: GenerateRequest, idempotency_key: str | None, tags: list[str]
    ) -> str:
        flow = flow_for(request)
        parameters = {"request": request, "idempotency_key": idempotency_key}
        async with get_client() as client:
            flow_run = await client.create_flow_run(
                flow, parameters=parameters, tags=[*tags, *self._owner_tags()]
            )
        job_id = str(flow_run.id)
        self._customers[job_id] = request.customer_id
        self._providers[job_id] = _provider_of(request)
        self._launch(flow, flow_run, parameters)
        return job_id

    def _launch(self, flow: Flow[..., Any], flow_run: FlowRun, parameters: dict[str, Any]) -> None:
        self._runs[str(flow_run.id)] = self._loop.create_task(self._run(flow, flow_run, parameters))

    async def _run(
        self, flow: Flow[..., Any], flow_run: FlowRun, parameters: dict[str, Any]
    ) -> State | None:
        assert self._slots is not None
        job_id = str(flow_run.id)
        provider = self._providers.get(job_id, "unknown")
        async with self._slots:
            self._started.add(job_id)
            self.metrics.job_started(provider)
            began = time.monotonic()
            state = await run_flow_async(
                flow,
                flow_run=_without_deployment(flow_run),
                parameters=parameters,
                return_type="state",
            )
        assert isinstance(state, State)
        self.metrics.job_ended(
            provider, STATUS_OF_STATE.get(state.type, "failed"), time.monotonic() - began
        )
        self._fire_end_hooks(job_id)
        return state

    def _fire_end_hooks(self, job_id: str) -> None:
        """Run every ``on_end`` hook for a job that ended (on the runner's loop)."""
        for hook in self.on_end:
            task = self._loop.create_task(hook(job_id))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)

    async def wait(self, job_id: str, timeout_seconds: float) -> bool:
        """Wait until a job started by this process ends; False once ``timeout_seconds``
        passed."""

        async def wait_here() -> bool:
            task = self._runs.get(job_id)
            if task is None:
                return False
            done, _ = await asyncio.wait({task}, timeout=timeout_seconds)
            return bool(done)

        return await self._on_runner(wait_here())

    async def view(self, job_id: str) -> JobView | None:
        """The job's status from Prefect (None when no such job exists)."""
        return await self._on_runner(self._view(job_id))

    async def cancel(self, job_id: str) -> str:
        """Cancel a job: at the provider where it can, then its run. Returns the new status;
        raises ConflictError when the job already ended."""
        return await self._on_runner(self._cancel(job_id))

    async def _cancel(self, job_id: str) -> str:
        await self._check_cancellable(job_id)
        await self.stop_run(job_id, "cancelled through the API")
        return "cancelled"

    async def _check_cancellable(self, job_id: str) -> None:
        """NotFoundError for an unknown job, ConflictError for one that already ended."""
        view = await self._view(job_id)
        if view is None:
            raise NotFoundError(f"no job {job_id}")
        if view.status in ("succeeded", "failed", "cancelled"):
            raise ConflictError(f"job {job_id} already ended ({view.status})", status=view.status)

    async def stop_run(self, job_id: str, message: str) -> None:
        """Cancel the job at its provider (where it can), stop its run here, and mark the run
        Cancelled. Call on the runner's loop."""
        provider_job = self._provider_jobs.get(job_id)
        if provider_job is not None:
            runtime = get_runtime()
            with contextlib.suppress(CapabilityNotSupportedError):
                await runtime.cancel(provider_job, runtime.context(provider_job.provider))
        async with get_client() as client:
            # Cancelled first: the engine, stopped next, would otherwise record the run as
            # Crashed for a moment (and a terminal state refuses that proposal).
            await client.set_flow_run_state(
                uuid.UUID(job_id), Cancelled(message=message), force=True
            )
            task = self._runs.pop(job_id, None)
            if task is not None:
                # The run may also have ended on its own meanwhile (the provider's cancel seen
                # by a poll): either way its final state is Cancelled, read from the API.
                task.cancel()
                await asyncio.wait({task})
                await client.set_flow_run_state(
                    uuid.UUID(job_id), Cancelled(message=message), force=True
                )

    async def stop_run_from_elsewhere(self, job_id: str, message: str) -> None:
        """:meth:`stop_run`, from another loop."""
        await self._on_runner(self.stop_run(job_id, message))

    async def hand_back(self, message: str) -> list[str]:
        """Stop every run of this process and reschedule it for any executor to resume (its
        provider job is reused). Returns the ids handed back."""

        async def hand_back_here() -> list[str]:
            active = self.active_jobs()
            for job_id in active:
                self._runs[job_id].cancel()
            if active:
                await asyncio.wait({self._runs[job_id] for job_id in active})
            async with get_client() as client:
                for job_id in active:
                    await client.set_flow_run_state(
                        uuid.UUID(job_id), Scheduled(message=message), force=True
                    )
            return active

        return await self._on_runner(hand_back_here())

    async def view_here(self, job_id: str) -> JobView | None:
        """Like :meth:`view`, for code already running on the runner's loop."""
        return await self._view(job_id)

    async def _view(self, job_id: str) -> JobView | None:
        view = await self._bare_view(job_id)
        if view is None or view.provider is not None:
            return view
        return dataclasses.replace(view, provider=self._providers.get(job_id))

    async def _bare_view(self, job_id: str) -> JobView | None:
        try:
            run_id = uuid.UUID(job_id)
        except ValueError:
            return None
        task = self._runs.get(job_id)
        customer = self._customers.get(job_id)
        if task is not None and not task.done():
            # A job of this process: its status is known here, without asking the Prefect API.
            latest = self._latest.get(job_id)
            return JobView(
                job_id,
                "running" if job_id in self._started else "queued",
                customer,
                step=latest.step if latest else None,
                progress=latest.fraction if latest else None,
            )
        state = task.result() if task is not None and not task.cancelled() else None
        step = None
        if state is None:
            async with get_client() as client:
                try:
                    run = await client.read_flow_run(run_id)
                except ObjectNotFound:
                    return None
                if run.state_type is StateType.RUNNING:
                    step = await _current_step(client, run_id)
            request = run.parameters.get("request")
            customer = _customer_of_body(request) or customer
            if job_id not in self._providers:
                self._providers[job_id] = _provider_of_body(request)
            if run.state is None:
                return JobView(job_id, "queued", customer)
            state = run.state
        return await _view_of_state(job_id, state, customer, step)


async def _view_of_state(
    job_id: str, state: State, customer: str | None, step: str | None
) -> JobView:
    status = STATUS_OF_STATE.get(state.type, "queued")
    if status == "succeeded":
        result = await state.aresult()
        return JobView(
            job_id, status, customer, result=result if isinstance(result, dict) else None
        )
    if status == "failed":
        error = await state.aresult(raise_on_failure=False)
        return JobView(
            job_id,
            status,
            customer,
            error=error
            if isinstance(error, BaseException)
            else RuntimeError(state.message or "the job failed"),
        )
    return JobView(job_id, status, customer, step=step)
