"""The jobs an executor runs in this process, and what is known of them without asking the
Prefect API: their task, customer, provider, latest progress and provider job.

A job's entry stays while it runs and for ``keep_ended_seconds`` after it ended (long enough
for a waiting request to read its result from memory); then it is dropped, and its view comes
from its record and run like any other job's. Memory is bounded by the jobs running and ended
recently, never by every job this process ever ran.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from prefect.client.schemas.objects import State

from reelgate.jobs import ProviderJob
from reelgate_api.jobs.views import JobView
from reelgate_flows.progress import ProgressEvent

KEEP_ENDED_SECONDS = 120.0


@dataclasses.dataclass
class LocalRun:
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
    latest: ProgressEvent | None = None
    provider_job: ProviderJob | None = None

    def view_while_here(self, job_id: str) -> JobView | None:
        """Its view while it is cancelled, queued or running here; None once its task ended
        (then its state, record or run tell)."""
        if self.withdrawn or self.stopping:
            return JobView(job_id, "cancelled", self.customer, self.provider)
        if self.task.done():
            return None
        latest = self.latest
        return JobView(
            job_id,
            "running" if self.started else "queued",
            self.customer,
            self.provider,
            step=latest.step if latest else None,
            progress=latest.fraction if latest else None,
            message=(latest.message or None) if latest else None,
        )


class LocalRuns:
    """The :class:`LocalRun` of each job of this process, by job id. Use on one loop only
    (progress events may come from any thread of the process: :meth:`remember` only sets
    attributes)."""

    def __init__(self, keep_ended_seconds: float = KEEP_ENDED_SECONDS) -> None:
        self.keep_ended_seconds = keep_ended_seconds
        self._runs: dict[str, LocalRun] = {}

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, job_id: str) -> LocalRun | None:
        return self._runs.get(job_id)

    def add(self, job_id: str, run: LocalRun) -> None:
        """Track ``run``; it is dropped ``keep_ended_seconds`` after its task ends."""
        self._runs[job_id] = run
        loop = asyncio.get_running_loop()

        def ended(task: asyncio.Task[State | None]) -> None:
            loop.call_later(self.keep_ended_seconds, self._drop_ended, job_id, task)

        run.task.add_done_callback(ended)

    def _drop_ended(self, job_id: str, task: asyncio.Task[State | None]) -> None:
        current = self._runs.get(job_id)
        if current is not None and current.task is task:
            del self._runs[job_id]

    def drop(self, job_id: str) -> None:
        self._runs.pop(job_id, None)

    def remember(self, event: ProgressEvent) -> None:
        """Keep a job's latest progress and its provider job (jobs of this process only)."""
        run = self._runs.get(event.job_id)
        if run is None:
            return
        run.latest = event
        if event.provider_job is not None:
            run.provider_job = event.provider_job

    def active_jobs(self) -> list[str]:
        """Ids of the jobs running or about to run here."""
        return [job_id for job_id, run in self._runs.items() if not run.task.done()]

    def active_runs(self) -> dict[uuid.UUID, str]:
        """The flow run ids of :meth:`active_jobs` whose runs exist, with their job ids."""
        return {
            run.flow_run_id: job_id
            for job_id, run in self._runs.items()
            if not run.task.done() and run.flow_run_id is not None
        }
