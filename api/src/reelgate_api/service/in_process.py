"""The in-process backend of :class:`~reelgate_api.service.service.VideoGenerationService`: jobs
run as flows in this process through the same runner, admission records and checks as ``reelgate
serve`` in its in-process mode (or its deployment mode, with ``REELGATE_EXECUTION``), on the
Prefect API of ``PREFECT_API_URL`` (Prefect's own ephemeral API when none is set)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

from reelgate.envelope import ErrorEnvelope, SuccessEnvelope
from reelgate.errors import NotFoundError
from reelgate.runtimes import get_runtime
from reelgate.storyboards import JobRequest
from reelgate_api.jobs.admission import Acting, Admission
from reelgate_api.jobs.changes import view_changes
from reelgate_api.jobs.runner import JobRunner
from reelgate_api.jobs.runners import runner_for
from reelgate_api.jobs.views import JobView
from reelgate_api.service.models_report import models_report
from reelgate_api.service.reports import JobReport, JobState
from reelgate_api.settings import ApiSettings
from reelgate_flows.records.spend import budgets_of

Presenter = Callable[[dict[str, Any]], dict[str, Any]]


def status_of(view: JobView, present: Presenter | None = None) -> JobReport:
    """A runner's view of a job as the service tells it; ``present`` rewrites a success
    envelope (e.g. file:// URLs into signed HTTP URLs)."""
    envelope = view.result
    if envelope is not None and present is not None:
        envelope = present(envelope)
    result = SuccessEnvelope.model_validate(envelope) if envelope is not None else None
    error = None
    if view.status == "failed" and view.error is not None:
        error = ErrorEnvelope.from_exception(view.error).error
    return JobReport(
        job_id=view.job_id,
        status=view.status,
        customer_id=view.customer_id,
        provider=view.provider,
        step=view.step,
        progress=view.progress,
        retryable=view.retryable,
        result=result,
        error=error,
    )


class InProcessBackend:
    """Runs jobs here with the runner of ``settings`` (and its budgets), started on first use
    and stopped by :meth:`close`; or through the ``admission`` of a runner that already runs
    (the HTTP app's), left as it is."""

    def __init__(
        self,
        settings: ApiSettings | None = None,
        admission: Admission | None = None,
        present: Presenter | None = None,
        acting: Acting | None = None,
    ) -> None:
        """``acting``: the API key its jobs are admitted for (its budget and customers
        apply); none, the process itself."""
        self.settings = settings
        self.acting = acting
        self._admission = admission
        self._owns_runner = admission is None
        self.present = present

    @property
    def admission(self) -> Admission:
        if self._admission is None:
            raise RuntimeError("the in-process backend has not started")
        return self._admission

    @property
    def runner(self) -> JobRunner:
        return self.admission.runner

    async def start(self) -> None:
        if not self._owns_runner:
            return
        settings = self.settings or ApiSettings.current()
        await asyncio.to_thread(get_runtime().load_configured)
        runner = runner_for(settings)
        self._admission = Admission(
            runner,
            budgets_of(settings),
            settings,
        )
        runner.start()
        await runner.warm_up()

    async def close(self) -> None:
        if self._owns_runner and self._admission is not None:
            await self._admission.runner.shutdown()
            self._admission = None

    async def submit(self, request: JobRequest, idempotency_key: str | None) -> str:
        return await self.admission.start(request, idempotency_key, self.acting)

    async def _view(self, job_id: str) -> JobView:
        records = self.runner.records
        record = await records.get(job_id) if records is not None else None
        view = None if record is not None and record.deleted else await self.runner.view(job_id)
        if view is None:
            raise NotFoundError(f"no job {job_id}")
        return view

    async def status(self, job_id: str) -> JobReport:
        return status_of(await self._view(job_id), self.present)

    async def changes(self, job_id: str) -> AsyncGenerator[JobReport]:
        changes = view_changes(await self._view(job_id), self.runner.view)
        async with aclosing(changes) as views:
            async for view in views:
                yield status_of(view, self.present)

    async def cancel(self, job_id: str) -> JobState:
        await self._view(job_id)
        return await self.admission.cancel(job_id)  # type: ignore[return-value]

    async def models(self) -> dict[str, Any]:
        return models_report(get_runtime())
