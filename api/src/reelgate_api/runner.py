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
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.exceptions import ObjectNotFound
from prefect.flow_engine import run_flow_async
from prefect.states import Cancelled

from reelgate.errors import (
    CapabilityNotSupportedError,
    ConflictError,
    NotFoundError,
    ReelgateError,
)
from reelgate.jobs import Job
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import get_runtime
from reelgate_api.metrics import JobMetrics
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.progress import ProgressEvent, subscribe

T = TypeVar("T")


def _provider_of(request: GenerateRequest) -> str:
    try:
        return get_runtime().resolve(request.video.model).spec.provider.name
    except ReelgateError:
        return "unknown"


def _provider_of_body(body: dict[str, Any]) -> str:
    try:
        return _provider_of(
            GenerateRequest.model_validate({k: v for k, v in body.items() if k != "video_id"})
        )
    except ValueError:
        return "unknown"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


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
    def __init__(self, max_running: int, metrics: JobMetrics | None = None) -> None:
        self.max_running = max_running
        self.metrics = metrics or JobMetrics()
        self._latest: dict[str, ProgressEvent] = {}
        self._provider_jobs: dict[str, Job] = {}
        self.on_end: list[Callable[[str], Coroutine[Any, Any, None]]] = []
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="reelgate-job-runner"
        )
        self._runs: dict[str, asyncio.Task[State]] = {}
        self._customers: dict[str, str] = {}
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
        """Start (or reach) the Prefect API before the first job needs it."""

        async def ping() -> None:
            async with get_client() as client:
                await client.api_healthcheck()

        await self._on_runner(ping())

    async def start_job(self, request: GenerateRequest, idempotency_key: str | None) -> str:
        """Create the job's flow run and queue it; returns the job id."""
        return await self._on_runner(self._create(request, idempotency_key))

    async def _create(self, request: GenerateRequest, idempotency_key: str | None) -> str:
        if idempotency_key is None:
            return await self._create_run(request, None, [])
        key_tag = f"reelgate-key:{_digest(idempotency_key)}"
        body_tag = f"reelgate-body:{_digest(request.model_dump_json())}"
        lock = self._key_locks.setdefault(key_tag, asyncio.Lock())
        async with lock:
            async with get_client() as client:
                earlier = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[key_tag])), limit=1
                )
            if earlier:
                if body_tag not in earlier[0].tags:
                    raise ConflictError(
                        "this Idempotency-Key was used with another request body",
                        job_id=str(earlier[0].id),
                    )
                return str(earlier[0].id)
            return await self._create_run(request, idempotency_key, [key_tag, body_tag])

    async def _create_run(
        self, request: GenerateRequest, idempotency_key: str | None, tags: list[str]
    ) -> str:
        flow = extend_video if isinstance(request, ExtendRequest) else generate_video
        parameters = {"request": request, "idempotency_key": idempotency_key}
        async with get_client() as client:
            flow_run = await client.create_flow_run(flow, parameters=parameters, tags=tags)
        job_id = str(flow_run.id)
        self._customers[job_id] = request.customer_id
        self._providers[job_id] = _provider_of(request)
        self._runs[job_id] = self._loop.create_task(self._run(flow, flow_run, parameters))
        return job_id

    async def _run(self, flow: Any, flow_run: FlowRun, parameters: dict[str, Any]) -> State:
        assert self._slots is not None
        provider = _provider_of(parameters["request"])
        async with self._slots:
            self._started.add(str(flow_run.id))
            self.metrics.job_started(provider)
            began = time.monotonic()
            state = await run_flow_async(
                flow, flow_run=flow_run, parameters=parameters, return_type="state"
            )
        assert isinstance(state, State)
        self.metrics.job_ended(
            provider, STATUS_OF_STATE.get(state.type, "failed"), time.monotonic() - began
        )
        for hook in self.on_end:
            task = self._loop.create_task(hook(str(flow_run.id)))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)
        return state

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
        view = await self._view(job_id)
        if view is None:
            raise NotFoundError(f"no job {job_id}")
        if view.status in ("succeeded", "failed", "cancelled"):
            raise ConflictError(f"job {job_id} already ended ({view.status})", status=view.status)
        provider_job = self._provider_jobs.get(job_id)
        if provider_job is not None:
            runtime = get_runtime()
            with contextlib.suppress(CapabilityNotSupportedError):
                await runtime.cancel(provider_job, runtime.context(provider_job.provider))
        task = self._runs.get(job_id)
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        async with get_client() as client:
            await client.set_flow_run_state(
                uuid.UUID(job_id), Cancelled(message="cancelled through the API"), force=True
            )
        return "cancelled"

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
        if task is not None and not task.cancelled():
            state: State = task.result()
        else:
            async with get_client() as client:
                try:
                    run = await client.read_flow_run(run_id)
                except ObjectNotFound:
                    return None
            request = run.parameters.get("request")
            customer = request.get("customer_id") if isinstance(request, dict) else customer
            if isinstance(request, dict) and job_id not in self._providers:
                self._providers[job_id] = _provider_of_body(request)
            if run.state is None:
                return JobView(job_id, "queued", customer)
            state = run.state
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
        return JobView(job_id, status, customer)
