"""How every face starts a job (the HTTP API, the OpenAI dialect, MCP and the in-process
:class:`~reelgate_api.service.VideoGenerationService`): the same checks, the same budget
reservation (:mod:`reelgate_flows.spend`), the same runner."""

from __future__ import annotations

from typing import Any

from reelgate.errors import ReelgateError
from reelgate.pricing import Cost
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import PreparedRequest, get_runtime
from reelgate_api.runner import JobRunner
from reelgate_flows.settings import Settings
from reelgate_flows.sources import source_job
from reelgate_flows.spend import Budgets, SpendLedger
from reelgate_flows.uploads import with_kept_upload


async def as_it_will_run(runner: JobRunner, request: GenerateRequest) -> GenerateRequest:
    """The request with the model its run will use. The source of an extension must be the
    request's customer's (404 otherwise, as for an unknown video); an extension of a job
    without an explicit model continues with that job's model (as the flow does)."""
    if not isinstance(request, ExtendRequest):
        return request
    source = await runner.call(source_job(request.video_id, request.customer_id, runner.records))
    if source is not None and request.model_from_job:
        return request.with_model(str(source["model"]))
    return request


async def checked(
    runner: JobRunner, request: GenerateRequest
) -> tuple[GenerateRequest, PreparedRequest]:
    """The request as it will run and its preparation; raises the core error a run of it
    would fail with before it reaches a provider (unknown model, unsupported setting, someone
    else's source video)."""
    runnable = await as_it_will_run(runner, request)
    return runnable, get_runtime().prepare(runnable)


async def check_request(runner: JobRunner, request: GenerateRequest) -> PreparedRequest:
    """:func:`checked`'s preparation."""
    return (await checked(runner, request))[1]


async def estimate(runner: JobRunner, request: GenerateRequest) -> dict[str, Any]:
    """What ``request`` would cost, checked as if it were started: ``{"model", "provider",
    "cost": {"amount", "currency", "basis"}}`` (``amount`` null when the price is unknown;
    with fallbacks, the most any of its models would cost)."""
    runnable, prepared = await checked(runner, request)
    cost = get_runtime().most_it_may_cost(runnable)
    return {
        "model": prepared.model,
        "provider": prepared.entry.spec.provider.name,
        "cost": cost.model_dump(mode="json"),
    }


class Admission:
    """Starts jobs on ``runner``: checked, their estimated cost reserved against ``budgets``
    (when any apply), once per scoped Idempotency-Key; settles each job's reservation when
    it ends (an end hook of the runner)."""

    def __init__(self, runner: JobRunner, budgets: Budgets | None = None) -> None:
        self.runner = runner
        self.ledger: SpendLedger | None = None
        if budgets is not None and budgets.any and runner.records is not None:
            self.ledger = SpendLedger(runner.records, budgets)
            runner.on_end.append(self._settle)

    async def start(
        self,
        request: GenerateRequest,
        idempotency_key: str | None,
        key_id: str | None = None,
        notify_base_url: str | None = None,
    ) -> str:
        """The job id of ``request`` (a new job, or the key's earlier one). Raises the core
        error of a request that cannot run, BudgetExceededError when its estimate does not fit
        a limit. An inline input image is kept and the job refers to it
        (:mod:`reelgate_flows.uploads`)."""
        runnable, _ = await checked(self.runner, request)
        request = await with_kept_upload(request, Settings.current())
        reservation = None
        if self.ledger is not None and not await self._admitted_before(idempotency_key):
            cost = get_runtime().most_it_may_cost(runnable)
            reservation = await self.ledger.reserve(request.customer_id, key_id, cost)
        try:
            job_id = await self.runner.start_job(request, idempotency_key, notify_base_url)
        except BaseException:
            if self.ledger is not None and reservation is not None:
                await self.ledger.release(reservation)
            raise
        if self.ledger is not None and reservation is not None:
            await self.ledger.bind(reservation, job_id)
        return job_id

    async def _admitted_before(self, idempotency_key: str | None) -> bool:
        """A request repeated under its key answers its job: it reserves nothing again."""
        records = self.runner.records
        return bool(idempotency_key and records and await records.of_key(idempotency_key))

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
        elif view.status == "failed" and never_billed(view.error):
            await self.ledger.release(job_id)


def never_billed(error: BaseException | None) -> bool:
    """True when a failed job provably made no provider job: refused before acceptance, or
    proven not accepted. Anything else may have been billed, and stays reserved."""
    if not isinstance(error, ReelgateError) or "provider_job_id" in error.details:
        return False
    return error.safe_to_resubmit or error.status < 500
