"""How the API's faces (the HTTP routes, the OpenAI dialect, MCP and the in-process
:class:`~reelgate_api.service.service.VideoGenerationService`) start a job: the one admission of
:mod:`reelgate_flows.admission`, a budget reservation under the job's id
(:mod:`reelgate_flows.records.spend`), the runner."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from reelgate.errors import ForbiddenError
from reelgate.pricing import Cost
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.storyboards import JobRequest, StoryboardRequest
from reelgate_api.jobs.runner import JobRunner
from reelgate_flows import tracing
from reelgate_flows.admission import AdmittedJob, prepare
from reelgate_flows.billed import billed_of
from reelgate_flows.fair_gate import count_from_admission, uncount
from reelgate_flows.records.record import JobRecord
from reelgate_flows.records.spend import Budgets, SpendLedger
from reelgate_flows.reference_inputs import with_kept_references
from reelgate_flows.settings import Settings
from reelgate_flows.sources import source_model
from reelgate_flows.storyboard_plan import prepare_storyboard, with_kept_shot_images
from reelgate_flows.uploads import with_kept_upload


class Acting(Protocol):
    """Who starts a job: the API key's id (its budget applies) and the customers it may act
    for. ``None`` in place of one is the process itself (the SDK, the CLI), acting for any."""

    @property
    def key_id(self) -> str | None: ...

    def may_act_for(self, customer_id: str | None) -> bool: ...


def authorise(request: JobRequest, acting: Acting | None) -> None:
    """403 unless ``acting`` may act for the customer of the parsed ``request`` (whatever
    JSON type the body gave it)."""
    if acting is not None and not acting.may_act_for(request.customer_id):
        raise ForbiddenError("this API key may not act for that customer")


class Admission:
    """Starts jobs on ``runner``: admitted (:func:`~reelgate_flows.admission.prepare`), their
    estimated cost reserved against ``budgets`` (when any apply), once per scoped
    Idempotency-Key; settles each job's reservation when it ends (an end hook of the
    runner)."""

    def __init__(self, runner: JobRunner, budgets: Budgets | None, settings: Settings) -> None:
        self.runner = runner
        self.settings = settings
        self.ledger: SpendLedger | None = None
        if budgets is not None and budgets.any and runner.records is not None:
            self.ledger = SpendLedger(runner.records, budgets)
            runner.on_end.append(self._settle)

    async def prepare(self, request: GenerateRequest, *, configured: bool = True) -> AdmittedJob:
        """The request admitted (an extension's source is looked up on the runner's loop)."""

        async def model_of_source(extension: ExtendRequest) -> str | None:
            return await self.runner.call(source_model(extension, self.runner.records))

        return await prepare(request, source_model=model_of_source, configured=configured)

    async def estimate(
        self, request: GenerateRequest, acting: Acting | None = None
    ) -> dict[str, Any]:
        """What ``request`` would cost, checked as if it were started (no provider credentials
        needed): ``{"model", "provider", "cost": {"amount", "currency", "basis"}}``
        (``amount`` null when the price is unknown; with fallbacks, the most any of its
        models would cost). 403 when ``acting`` may not act for its customer."""
        authorise(request, acting)
        admitted = await self.prepare(request, configured=False)
        return {
            "model": admitted.model,
            "provider": admitted.provider,
            "cost": admitted.estimate.model_dump(mode="json"),
        }

    async def start(
        self,
        request: JobRequest,
        idempotency_key: str | None,
        acting: Acting | None = None,
        notify_base_url: str | None = None,
        warnings: list[dict[str, Any]] | None = None,
        trace_parent: str | None = None,
    ) -> str:
        """The job id of ``request`` (a new job, or the key's earlier one). Raises the core
        error of a request that cannot run, ForbiddenError when ``acting`` may not act for its
        customer, BudgetExceededError when its estimate does not fit
        a limit (a re-run of the key's failed job holds its reservation again first). An
        inline input image is kept and the job refers to it (:mod:`reelgate_flows.uploads`).
        ``warnings`` receives what the caller should know though the job runs (a deprecated
        model). ``trace_parent``: the caller's W3C ``traceparent``, which the job's trace
        continues (:mod:`reelgate_flows.tracing`)."""
        with tracing.span("reelgate.admit", parent=trace_parent) as span:
            job_id = await self._start(request, idempotency_key, acting, notify_base_url, warnings)
            span.set_attributes(
                {"reelgate.job_id": job_id, "reelgate.customer_id": request.customer_id}
            )
            return job_id

    async def _start(
        self,
        request: JobRequest,
        idempotency_key: str | None,
        acting: Acting | None,
        notify_base_url: str | None,
        warnings: list[dict[str, Any]] | None,
    ) -> str:
        authorise(request, acting)
        key_id = None if acting is None else acting.key_id
        admitted = await self._admitted(request)
        admitted = dataclasses.replace(admitted, trace=tracing.traceparent())
        if warnings is not None:
            warnings.extend(admitted.warnings)
        earlier = await self._earlier(idempotency_key)
        if earlier is None:  # a share that refuses when full counts it from here (429)
            await count_from_admission(admitted.job_id, admitted.customer_id, key_id, self.settings)
        try:
            job_id = await self._reserve_and_start(
                admitted, earlier, idempotency_key, notify_base_url, key_id
            )
        except BaseException:
            await uncount(admitted.job_id, self.settings)
            raise
        if job_id != admitted.job_id and earlier is None:  # the key's job, made a moment ago
            await uncount(admitted.job_id, self.settings)
            if self.ledger is not None:
                await self.ledger.release(admitted.job_id)
        return job_id

    async def _reserve_and_start(
        self,
        admitted: AdmittedJob,
        earlier: JobRecord | None,
        idempotency_key: str | None,
        notify_base_url: str | None,
        key_id: str | None,
    ) -> str:
        if earlier is not None:
            await self._hold_for_rerun(earlier, admitted)
        elif self.ledger is not None:
            await self.ledger.reserve(
                admitted.customer_id, key_id, admitted.estimate, admitted.job_id
            )
        try:
            return await self.runner.start_job(admitted, idempotency_key, notify_base_url, key_id)
        except BaseException:
            if self.ledger is not None and earlier is None:
                await self.ledger.release(admitted.job_id)
            raise

    async def _admitted(self, request: JobRequest) -> AdmittedJob:
        """``request`` admitted, its inputs kept (a storyboard's shots take theirs when they
        run)."""
        if isinstance(request, StoryboardRequest):
            admitted = await prepare_storyboard(request)
            kept_frames = await with_kept_shot_images(request, self.settings)
            return dataclasses.replace(admitted, request=kept_frames)
        admitted = await self.prepare(request)
        assert isinstance(admitted.request, GenerateRequest)
        kept = await with_kept_upload(admitted.request, self.settings)
        kept = await with_kept_references(kept, self.settings)
        return dataclasses.replace(admitted, request=kept)

    async def cancel(self, job_id: str) -> str:
        """Cancel a job (its new status; ConflictError once it ended). A job withdrawn before
        its run existed gives its reservation back here; one stopped later gives it back from
        its run, unless it may have submitted."""
        status = await self.runner.cancel(job_id)
        records = self.runner.records
        record = None if records is None else await records.get(job_id)
        if record is not None and record.withdrawn:
            if self.ledger is not None:
                await self.ledger.release(job_id)
            await uncount(job_id, self.settings)
        return status

    async def _earlier(self, idempotency_key: str | None) -> JobRecord | None:
        records = self.runner.records
        if not idempotency_key or records is None:
            return None
        return await records.of_key(idempotency_key)

    async def _hold_for_rerun(self, earlier: JobRecord, admitted: AdmittedJob) -> None:
        """A key's failed job that a re-send runs again holds its reservation again (it may
        submit, so it may be billed)."""
        if self.ledger is None or await self.ledger.holds(earlier.job_id):
            return
        view = await self.runner.view(earlier.job_id)
        if view is not None and view.retryable:
            await self.ledger.reserve(
                admitted.customer_id, earlier.key_id, admitted.estimate, earlier.job_id
            )

    async def _settle(self, job_id: str) -> None:
        """Runs on the runner's loop when a job of this process ended."""
        assert self.ledger is not None
        view = await self.runner.view_here(job_id)
        if view is None:
            return
        if view.status == "succeeded" and view.result is not None:
            cost = view.result.get("data", {}).get("cost")
            if cost is not None:
                await self.ledger.settle(job_id, Cost.model_validate(cost))
        elif view.status == "failed" and billed_of(view.error, True) is False:
            await self.ledger.release(job_id)
