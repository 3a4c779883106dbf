"""The one admission every job passes, whichever way it came in.

:func:`prepare` pins what a job is before anything runs: the request as it will run (an
extension continues on its source's model, whatever the source is), its model, provider, kind,
customer and what it may cost at most. It raises the same core error for the same bad request
on every face: the HTTP API, ``/v1/videos``, MCP, the service, the CLI, backfill items,
schedules and runs started from the Prefect UI.

:class:`RunGate` is the admission of a flow run itself: a run that no API process admitted
(the CLI in-process, a backfill item, a schedule, the Prefect UI) is prepared, recorded in the
job records and held to its customer's budget when it starts; a run of an admitted job holds
its reservation again when it does not hold one (a re-run after a released failure). Every run
that may submit holds a reservation, and settles or releases it when it ends.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from reelgate.errors import UnknownModelError
from reelgate.jobs import JobKind
from reelgate.pricing import Cost, Price, prices_from_json, prices_to_json
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import get_runtime
from reelgate.storyboards import JobRequest
from reelgate_flows.billed import billed_of
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.record import JobRecord
from reelgate_flows.records.spend import Budgets, SpendLedger, budgets_of
from reelgate_flows.settings import Settings, run_settings

SourceModel = Callable[[ExtendRequest], Awaitable[str | None]]
"""The model that made the video an extension continues (None: unknown to reelgate)."""
RUN_ADMITTER = "run"
"""``admitted_by`` of jobs a flow run admitted itself."""
PLAN_HOLDS: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reelgate_plan_holds", default=None
)
"""The job id of the plan (a storyboard) whose reservation covers the runs started under it:
they are recorded, but neither reserve nor settle (the plan settles shot by shot)."""

logger = logging.getLogger("reelgate.flows")


@dataclass(frozen=True)
class AdmittedJob:
    """A job as admission pinned it, before it runs."""

    request: JobRequest
    """As it will run: an extension's model is its source's unless the request named one."""
    model: str
    """The model it runs on (the first that can serve it, with fallbacks)."""
    provider: str
    kind: JobKind
    estimate: Cost
    """The most it may cost (with fallbacks, the most any of its models would)."""
    prices: dict[str, Price | None] = dataclasses.field(default_factory=dict)
    """The price of each model it may run on, as admission found them: it is costed and
    settled at these wherever it runs."""
    job_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    warnings: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    """What the caller should know though the job runs (a deprecated model,
    :mod:`reelgate.lifecycle`)."""
    trace: str | None = None
    """The ``traceparent`` of its admission's span, when traced (kept in its record)."""

    @property
    def customer_id(self) -> str:
        return self.request.customer_id


async def prepare(
    request: GenerateRequest,
    *,
    source_model: SourceModel | None = None,
    runtime: Runtime | None = None,
    configured: bool = True,
) -> AdmittedJob:
    """Admit ``request``: raises the core error of a request that cannot run (unknown model,
    a setting or combination its model does not offer, a provider without credentials unless
    ``configured`` is False, someone else's source video, a moderator's refusal: the
    moderators that apply judge it unless ``configured`` is False, :mod:`reelgate.moderation`).
    ``source_model`` looks an extension's source up (raising for one outside the customer's)
    and finds its model, which the extension runs on unless it names one."""
    runtime = runtime or get_runtime()
    if isinstance(request, ExtendRequest) and source_model is not None:
        model = await source_model(request)  # also proves the source is the customer's
        if model is not None and request.model_from_job:
            request = request.with_model(model)
    prepared = runtime.prepare(request, configured=configured)
    request = _with_defaults_pinned(request, prepared.request)
    if configured:  # a real start, not an estimate: judged before anything is paid
        await runtime.moderate(request, run_settings().moderators_for(request.customer_id))
    warnings = runtime.deprecation_warnings(prepared.model)
    for warning in warnings if configured else ():  # a real start, not a price question
        logger.warning("customer %s: %s", request.customer_id, warning["message"])
    return AdmittedJob(
        request=request,
        model=prepared.model,
        provider=prepared.entry.spec.provider.name,
        kind=prepared.kind,
        estimate=runtime.most_it_may_cost(request, configured=configured),
        prices=runtime.prices_for(request),
        warnings=warnings,
    )


def _with_defaults_pinned(request: GenerateRequest, prepared: GenerateRequest) -> GenerateRequest:
    """``request`` with the model and length its preparation chose for the ones it left unset
    (so the job runs as admitted, wherever and whenever it runs)."""
    video = request.video.model_fields_set
    if "model" not in video:
        request = request.with_model(prepared.video.model)
    if "duration_seconds" not in video:
        request = request.with_video(duration_seconds=prepared.video.duration_seconds)
    return request


class RunGate:
    """The admission of flow runs in this process: job records at ``records``, limits of
    ``budgets``."""

    def __init__(self, records: JobRecords, budgets: Budgets) -> None:
        self.records = records
        self.ledger = SpendLedger(records, budgets) if budgets.any else None

    async def admit(
        self, request: GenerateRequest, job_id: str, run_id: uuid.UUID
    ) -> tuple[dict[str, Price | None] | None, JobRecord]:
        """Before a run of ``job_id`` submits anything: record it when no admission did, and
        hold its reservation (BudgetExceededError when it does not fit). Returns the prices
        its admission pinned (None for a record that kept none: this runtime's apply) and the
        job's record."""
        record = await self.records.get(job_id)
        estimate: Cost | None = None
        if record is None:
            admitted = await prepare(request)
            record = JobRecord.admit(
                admitted.request,
                None,
                admitted.provider,
                RUN_ADMITTER,
                job_id=job_id,
                model=admitted.model,
                prices=prices_to_json(admitted.prices),
            )
            await self.records.add(dataclasses.replace(record, flow_run_id=run_id))
            estimate = admitted.estimate
        pinned = None if record.prices is None else prices_from_json(record.prices)
        if self.ledger is None or PLAN_HOLDS.get() or await self.ledger.holds(job_id):
            return pinned, record
        estimate = estimate or get_runtime().most_it_may_cost(request)
        await self.ledger.reserve(request.customer_id, record.key_id, estimate, job_id)
        return pinned, record

    async def ended(
        self,
        job_id: str,
        envelope: dict[str, Any] | None,
        error: BaseException | None,
        submitted: bool = True,
    ) -> None:
        """Settle ``job_id``'s reservation to what it delivered (``envelope``), or release it
        when it failed or was cancelled (``error``) and was not billed
        (:mod:`reelgate_flows.billed`: it never ``submitted``, or its error proves nothing was
        taken or the provider bills no such failure); an unknown verdict stays reserved."""
        if self.ledger is None or PLAN_HOLDS.get():
            return
        if envelope is not None:
            cost = envelope.get("data", {}).get("cost")
            if cost is not None:
                await self.ledger.settle(job_id, Cost.model_validate(cost))
        elif billed_of(error, submitted) is False:
            await self.ledger.release(job_id)


_GATES: dict[tuple[str, str | None, str | None], RunGate] = {}
_GATES_LOCK = threading.Lock()


def run_gate(settings: Settings | None = None) -> RunGate:
    """This process's gate for ``settings`` (default: the run's,
    :func:`~reelgate_flows.settings.run_settings`); one per records database and budgets."""
    if settings is None:
        settings = run_settings()
    key = (settings.job_records_url(), settings.budgets, settings.budgets_file)
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            budgets = budgets_of(settings)
            gate = _GATES[key] = RunGate(JobRecords(key[0]), budgets)
        return gate


async def never_ran(job_id: str) -> None:
    """Release the reservation of a job stopped before its run began (withdrawn, or cancelled
    while it waited): it submitted nothing. A failure to is logged, never raised."""
    try:
        await run_gate().ended(job_id, None, None, submitted=False)
    except Exception:
        logger.exception("releasing the reservation of job %s failed", job_id)


RUN_WORKER: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reelgate_run_worker", default=None
)
"""The name of the ``reelgate worker`` running this run (unset in an API process or the CLI)."""


def as_seen_here(error: BaseException) -> None:
    """On a worker, an unknown model is this worker's lack (``reelgate models`` elsewhere may
    list it): say so, and how to mend it."""
    worker = RUN_WORKER.get()
    if worker is None or not isinstance(error, UnknownModelError):
        return
    model = error.details.get("model", "?")
    error.message = (
        f"worker {worker} lacks model {model!r}: install its plugin where this worker runs "
        f"(`reelgate install PACKAGE`) and restart the worker ({error.message})"
    )
