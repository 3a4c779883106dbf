"""What the HTTP app needs of whatever runs its jobs, and the parts every runner shares.

Two runners implement :class:`JobRunner`: :class:`~reelgate_api.executor.InProcessExecutor`
(this process runs the flows, on a thread with its own event loop; also the engine of
``reelgate worker``) and :class:`~reelgate_api.deployment_runner.DeploymentRunner` (workers run
them; this process creates runs and watches their states). Every Prefect call of a runner goes
through its :class:`LoopThread`; the API's own loop only awaits futures (DESIGN §2).
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

from reelgate.errors import ConflictError
from reelgate.requests import GenerateRequest
from reelgate_api.job_views import JobView, read_view
from reelgate_api.metrics import JobMetrics
from reelgate_flows.idempotency import body_tag, key_tag

T = TypeVar("T")
EndHook = Callable[[str], Coroutine[Any, Any, None]]
CreateRun = Callable[[GenerateRequest, str | None, list[str]], Awaitable[str]]
"""Creates a job's run from its request, idempotency key and tags; returns the job id."""
Rerun = Callable[[str], Awaitable[None]]
"""Runs a failed job's run again (its provider job, when it has one, is reused)."""


class JobRunner(Protocol):
    """Starts, watches and cancels jobs for the HTTP app."""

    metrics: JobMetrics
    on_end: list[EndHook]
    """Called (on the runner's loop) with the id of each job of this process that ended."""

    def start(self) -> None: ...
    def stop(self) -> None: ...

    async def warm_up(self) -> None:
        """Reach the Prefect API (and resume what this process owns)."""

    async def start_job(self, request: GenerateRequest, idempotency_key: str | None) -> str:
        """Create the job (once per idempotency key) and return its id."""

    async def wait(self, job_id: str, timeout_seconds: float) -> bool:
        """Wait until a job of this process ended; False once ``timeout_seconds`` passed."""

    async def view(self, job_id: str) -> JobView | None:
        """The job's view; None when there is no such job."""

    async def view_here(self, job_id: str) -> JobView | None:
        """:meth:`view`, for code already running on the runner's loop (end hooks)."""

    async def cancel(self, job_id: str) -> str:
        """Cancel a job; returns its new status. ConflictError once it ended."""

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` (Prefect calls) on the runner's loop and return its result."""


class LoopThread:
    """A thread running its own asyncio loop, the end hooks fired on it, and idempotent
    admission of jobs (one run per Idempotency-Key in this process)."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.on_end: list[EndHook] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name=name)
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._key_locks: dict[str, asyncio.Lock] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    def run_now(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and block until it is done (from another thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop; await its result from another loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def fire_end_hooks(self, job_id: str) -> None:
        """Run every end hook for a job that ended (call on the loop)."""
        for hook in self.on_end:
            task = self.loop.create_task(hook(job_id))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)

    async def ping_prefect(self) -> None:
        """Reach (or start) the Prefect API, from the loop."""

        async def ping() -> None:
            async with get_client() as client:
                await client.api_healthcheck()

        await self.run(ping())

    async def start_job(
        self,
        request: GenerateRequest,
        idempotency_key: str | None,
        create: CreateRun,
        rerun: Rerun,
    ) -> str:
        """:meth:`admit` on the loop, awaited from another loop."""
        return await self.run(self.admit(request, idempotency_key, create, rerun))

    async def admit(
        self,
        request: GenerateRequest,
        idempotency_key: str | None,
        create: CreateRun,
        rerun: Rerun,
    ) -> str:
        """The job of ``idempotency_key`` if one exists (ConflictError if it was made from
        another body), else the id of ``create(request, idempotency_key, tags)``'s new job.
        An existing job that failed in a way a re-run resumes (``JobView.retryable``) is run
        again first (``rerun``). Call on the loop."""
        if idempotency_key is None:
            return await create(request, None, [])
        tag_of_key, tag_of_body = key_tag(idempotency_key), body_tag(request)
        lock = self._key_locks.setdefault(tag_of_key, asyncio.Lock())
        async with lock:
            async with get_client() as client:
                earlier = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag_of_key])),
                    limit=1,
                )
                if earlier and tag_of_body not in earlier[0].tags:
                    raise ConflictError(
                        "this Idempotency-Key was used with another request body",
                        job_id=str(earlier[0].id),
                    )
                view = await read_view(client, str(earlier[0].id)) if earlier else None
            if view is None:
                return await create(request, idempotency_key, [tag_of_key, tag_of_body])
            if view.retryable:
                await rerun(view.job_id)
            return view.job_id


class ThreadedRunner(ABC):
    """What both runners do alike: every call runs on their :class:`LoopThread`."""

    _thread: LoopThread

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await self._thread.run(coroutine)

    async def view(self, job_id: str) -> JobView | None:
        return await self._thread.run(self.view_here(job_id))

    @abstractmethod
    async def view_here(self, job_id: str) -> JobView | None: ...

    async def start_job(self, request: GenerateRequest, idempotency_key: str | None) -> str:
        """Create the job's run (once per idempotency key; a resumable failed one is run
        again); returns its id."""
        return await self._thread.start_job(request, idempotency_key, self._create_run, self._rerun)

    @abstractmethod
    async def _create_run(
        self, request: GenerateRequest, idempotency_key: str | None, tags: list[str]
    ) -> str: ...

    @abstractmethod
    async def _rerun(self, job_id: str) -> None:
        """Run the failed run ``job_id`` again. Call on the loop."""
