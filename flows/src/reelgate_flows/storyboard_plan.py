"""A storyboard's admission: every shot checked against its model before anything is paid, the
plan's estimate (the sum of its shots'), moderation of every prompt, and one reservation of
the budget for the whole plan, settled shot by shot (``SpendLedger.adjust``).

A shot's pay-once key is derived from the storyboard's key, its index and its content, so a
re-run under the same key finds every finished shot (it is reused: nothing paid, nothing run)
and re-runs the others on their earlier provider jobs when those were accepted.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reelgate.errors import ReelgateError, ValidationError
from reelgate.jobs import JobKind
from reelgate.pricing import Cost
from reelgate.requests import GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate.storyboards import StoryboardRequest
from reelgate_flows.admission import AdmittedJob, run_gate
from reelgate_flows.records.record import STORYBOARD
from reelgate_flows.settings import Settings, run_settings
from reelgate_flows.uploads import with_kept_upload

PLACEHOLDER_SOURCE = "00000000-0000-4000-8000-000000000000"
"""The job id an extension shot is checked with before the shot before it exists."""
PLACEHOLDER_FRAME = "https://frame.invalid/last.jpg"
"""The first frame a ``last_frame`` shot is checked with before the shot before it exists."""


def shot_key(request: StoryboardRequest, scope: str, index: int) -> str:
    """The pay-once key of shot ``index``: the storyboard's ``scope`` (its key, or its run),
    the shot's index, and a digest of what makes the shot."""
    made_of = {
        "shot": request.shots[index].model_dump(mode="json"),
        "continuity": request.continuity,
        "settings": request.settings.model_dump(mode="json"),
        "customer": request.customer_id,
    }
    digest = hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()[:24]
    return f"storyboard:{scope}:{index}:{digest}"


def probe_request(request: StoryboardRequest, index: int) -> GenerateRequest:
    """Shot ``index`` as it will be asked, with placeholders for what the shot before makes."""
    return request.shot_request(index, PLACEHOLDER_SOURCE, PLACEHOLDER_FRAME)


def shot_estimates(request: StoryboardRequest) -> list[Cost]:
    """Each shot's most it may cost; ValidationError naming the first shot whose model cannot
    do what the continuity needs, or that its model refuses."""
    runtime = get_runtime()
    costs = []
    for index in range(len(request.shots)):
        try:
            asked = probe_request(request, index)
            runtime.prepare(asked)
            costs.append(runtime.most_it_may_cost(asked))
        except (ReelgateError, ValueError) as exc:
            message = exc.message if isinstance(exc, ReelgateError) else str(exc)
            raise ValidationError(
                f"shot {index + 1}: {message}",
                field=f"shots[{index}]",
                shot=index + 1,
                reason=exc.type if isinstance(exc, ReelgateError) else "validation_error",
            ) from None
    return costs


def total(costs: list[Cost]) -> Cost:
    """The sum of ``costs``; its amount None when one is unknown."""
    known = [cost.amount for cost in costs]
    amount = None if any(a is None for a in known) else round(sum(a or 0.0 for a in known), 6)
    basis = " + ".join(cost.basis for cost in costs)
    return Cost(amount=amount, basis=f"{len(costs)} shots: {basis}")


async def _moderated(request: StoryboardRequest) -> None:
    runtime = get_runtime()
    moderators = run_settings().moderators_for(request.customer_id)
    for index in range(len(request.shots)):
        try:
            asked = request.shot_request(index, PLACEHOLDER_SOURCE)  # no made-up first frame
            await runtime.moderate(asked, moderators)
        except ReelgateError as exc:
            exc.details["shot"] = index + 1
            raise


async def prepare_storyboard(request: StoryboardRequest) -> AdmittedJob:
    """The storyboard admitted as a job (every face's admission, before any reservation):
    every shot checked and moderated; its estimate the sum of its shots'."""
    costs = shot_estimates(request)
    await _moderated(request)
    runtime = get_runtime()
    shots = range(len(request.shots))
    models = sorted({runtime.resolve(probe_request(request, i).video.model).spec.id for i in shots})
    return AdmittedJob(
        request=request,
        model=models[0] if len(models) == 1 else "mixed",
        provider=STORYBOARD,
        kind=JobKind.TEXT,
        estimate=total(costs),
    )


async def admit_plan(request: StoryboardRequest, job_id: str, skipped: set[int]) -> list[Cost]:
    """Check every shot, moderate every prompt, and reserve the plan's estimate under
    ``job_id`` (the shots in ``skipped`` are finished already: they cost nothing). Raises
    before anything is paid: ValidationError naming the shot, ContentRejectedError,
    BudgetExceededError for a plan that does not fit."""
    costs = shot_estimates(request)
    await _moderated(request)
    due = [
        Cost(amount=0.0, basis="finished before") if i in skipped else c
        for i, c in enumerate(costs)
    ]
    ledger = run_gate().ledger
    if ledger is not None and not await ledger.holds(job_id):
        await ledger.reserve(request.customer_id, None, total(due), job_id)
    return due


async def settle_shot(job_id: str, delivered: list[Cost], due: list[Cost]) -> None:
    """Hold what the delivered shots cost plus the estimates of those still to come."""
    ledger = run_gate().ledger
    if ledger is None:
        return
    amounts: list[Any] = [cost.amount for cost in delivered] + [
        c.amount for c in due[len(delivered) :]
    ]
    if all(amount is not None for amount in amounts):
        await ledger.adjust(job_id, round(sum(amounts), 6))


async def with_kept_shot_images(
    request: StoryboardRequest, settings: Settings
) -> StoryboardRequest:
    """``request`` with every shot's first frame checked and kept as an input image is at
    admission (:func:`~reelgate_flows.uploads.with_kept_upload`): a bad one is a 400 naming
    the shot before any job exists, and the shot runs on the bytes checked here."""
    shots = list(request.shots)
    for index, shot in enumerate(shots):
        if shot.image is None:
            continue
        try:
            kept = await with_kept_upload(request.shot_request(index), settings)
        except ReelgateError as exc:
            exc.message = f"shot {index + 1}: {exc.message}"
            exc.details.update(field=f"shots[{index}].image", shot=index + 1)
            raise
        shots[index] = shot.model_copy(update={"image": kept.input_image_url})
    return request.model_copy(update={"shots": shots})
