"""What the HTTP app needs of whatever runs its jobs, and the parts every runner shares.

Two runners implement :class:`JobRunner`: :class:`~reelgate_api.jobs.executor.InProcessExecutor`
(this process runs the flows, on a thread with its own event loop; also the engine of
``reelgate worker``) and :class:`~reelgate_api.jobs.deployment_runner.DeploymentRunner` (workers run
them; this process creates runs and watches their states). Every Prefect call of a runner goes
through its :class:`LoopThread`; the API's own loop only awaits futures (DESIGN §2).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from prefect.client.orchestration import PrefectClient, get_client

from reelgate.errors import ConflictError
from reelgate.pricing import prices_to_json
from reelgate.storyboards import JobRequest
from reelgate_api.jobs.metrics import JobMetrics
from reelgate_api.jobs.views import JobView, read_view
from reelgate_flows.admission import AdmittedJob
from reelgate_flows.idempotency import key_digest
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.record import JobRecord

T = TypeVar("T")
EndHook = Callable[[str], Coroutine[Any, Any, None]]
logger = logging.getLogger("reelgate.api")


class JobRunner(Protocol):
    """Starts, watches and cancels jobs for the HTTP app."""

    metrics: JobMetrics
    records: JobRecords | None
    """Where admitted jobs are recorded."""
    on_end: list[EndHook]
    """Called (on the runner's loop) with the id of each job of this process that ended."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    async def shutdown(self) -> None:
        """:meth:`stop`, from the app's loop."""

    async def warm_up(self) -> None:
        """Reach the Prefect API (and resume what this process owns)."""

    async def start_job(
        self,
        admitted: AdmittedJob,
        idempotency_key: str | None,
        notify_base_url: str | None = None,
        key_id: str | None = None,
    ) -> str:
        """Create the job (once per idempotency key, under ``admitted.job_id``) and return its
        id; with ``notify_base_url``, its ``webhook_url`` delivery enters the outbox with it;
        ``key_id``: the API key it was admitted for."""

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
    """A thread running its own asyncio loop, and the end hooks fired on it."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.on_end: list[EndHook] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name=name)
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._prefect: PrefectClient | None = None
        self._opening = asyncio.Lock()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._prefect is not None:
            closing = asyncio.run_coroutine_threadsafe(self._close_prefect(), self.loop)
            with contextlib.suppress(Exception):
                closing.result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    async def prefect(self) -> PrefectClient:
        """One Prefect client for this loop, its connections reused by every call that takes
        it (run creations: a client per creation cost a TLS context and a connection each);
        opened at first use, closed by :meth:`stop`. Call on the loop."""
        async with self._opening:  # concurrent first callers share one client
            if self._prefect is None:
                self._prefect = await get_client().__aenter__()
        return self._prefect

    async def _close_prefect(self) -> None:
        if self._prefect is not None:
            client, self._prefect = self._prefect, None
            await client.__aexit__(None, None, None)

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


class KeyedLocks:
    """One asyncio lock per key while anyone holds or waits for it; a key nobody uses any
    more holds no memory."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def holding(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class ThreadedRunner(ABC):
    """What both runners do alike: every call runs on their :class:`LoopThread`, and jobs
    are admitted through durable :class:`~reelgate_flows.records.jobs.JobRecords` (one record
    per scoped Idempotency-Key, for every process sharing them); each admitted job's run is
    created afterwards by :meth:`_launch_admitted`, off the request path."""

    _thread: LoopThread
    name: str
    """This process's name in the records it admits (``admitted_by``)."""
    records: JobRecords | None
    """None for a runner that only adopts runs (a worker's)."""

    def _init_admissions(self, name: str, records: JobRecords | None) -> None:
        self.name = name
        self.records = records
        self._key_locks = KeyedLocks()

    def _records(self) -> JobRecords:
        if self.records is None:
            raise RuntimeError(f"{type(self).__name__} {self.name!r} admits no jobs")
        return self.records

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await self._thread.run(coroutine)

    async def view(self, job_id: str) -> JobView | None:
        return await self._thread.run(self.view_here(job_id))

    @abstractmethod
    async def view_here(self, job_id: str) -> JobView | None: ...

    async def read_view(self, job_id: str) -> JobView | None:
        """The job's view from its record and the Prefect API (on the loop)."""
        async with get_client() as client:
            return await read_view(client, job_id, self.records)

    async def start_job(
        self,
        admitted: AdmittedJob,
        idempotency_key: str | None,
        notify_base_url: str | None = None,
        key_id: str | None = None,
    ) -> str:
        """Record the admitted job and return its id: the job of ``idempotency_key`` if one exists
        (ConflictError if it was made from another body; one that failed in a way a re-run
        resumes, ``JobView.retryable``, is run again first), else a new job once its record is
        written. Runs on the caller's loop: an admission never waits for the runner's loop,
        which only hears of the new job."""
        records = self._records()
        request = admitted.request
        record = JobRecord.admit(
            request,
            idempotency_key,
            admitted.provider,
            self.name,
            job_id=admitted.job_id,
            model=admitted.model,
            key_id=key_id,
            prices=prices_to_json(admitted.prices),
            trace=admitted.trace,
        )
        record = dataclasses.replace(record, notify_base_url=notify_base_url)
        if idempotency_key is None:
            await records.add(record)
            self._thread.loop.call_soon_threadsafe(self._launch_admitted, record, request)
            return record.job_id
        async with self._key_locks.holding(key_digest(idempotency_key)):
            kept = await records.add(record)
            if kept.body_digest != record.body_digest:
                raise ConflictError(
                    "this Idempotency-Key was used with another request body", job_id=kept.job_id
                )
            if kept.job_id == record.job_id:
                self._thread.loop.call_soon_threadsafe(self._launch_admitted, record, request)
                return record.job_id
            view = await self.view(kept.job_id)
            if view is not None and view.retryable:
                await self._thread.run(self._rerun(kept.job_id))
            return kept.job_id

    async def shutdown(self) -> None:
        """:meth:`stop` (from the app's loop)."""
        await asyncio.to_thread(self.stop)

    @abstractmethod
    def stop(self) -> None: ...

    async def _withdrawn(self, job_id: str) -> bool:
        """True when an admitted job was cancelled before its run was created."""
        record = await self._records().get(job_id)
        return record is None or record.withdrawn

    async def _resume_admitted(self) -> None:
        """Create the runs of this process's admitted jobs that a crash left without one."""
        if self.records is None:
            return
        for record in await self.records.unstarted(self.name):
            if record.job_id not in self._admitted_here():
                self._launch_admitted(record, record.request())

    @abstractmethod
    def _admitted_here(self) -> set[str]:
        """Ids of the jobs this process is creating, running or watching."""

    @abstractmethod
    def _launch_admitted(self, record: JobRecord, request: JobRequest) -> None:
        """Start creating (then running or watching) an admitted job's run, on the loop."""

    @abstractmethod
    async def _rerun(self, job_id: str) -> None:
        """Run the failed run ``job_id`` again. Call on the loop."""


async def create_until_done(
    what: str, create: Callable[[], Awaitable[T]], longest_pause: float = 30.0
) -> T:
    """``create()`` until it succeeds: an admitted job's run must exist eventually, and
    creating it again is safe (its Prefect idempotency key finds the earlier one)."""
    pause = 0.5
    while True:
        try:
            return await create()
        except Exception:
            logger.exception("creating the run of %s failed; trying again in %.1f s", what, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, longest_pause)
