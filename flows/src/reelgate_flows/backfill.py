"""The ``backfill`` flow: many requests, at most ``max_concurrent`` at a time, one outcome each.

Every item runs as a child ``generate-video`` (or ``extend-video``) flow run with the
idempotency key ``backfill:<name>:<item key>``. Re-running a backfill of the same name skips
the items that already succeeded (their earlier envelope is reported) and resumes the others:
an item whose provider job was accepted before the stop reuses that job (the submit step's
cache), so nothing is paid twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, tags
from prefect.artifacts import acreate_table_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import StateType

from reelgate.errors import ReelgateError, ValidationError
from reelgate.requests import ExtendRequest
from reelgate_flows.backfill_items import Item, outcome, parse_items, read_source
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.idempotency import body_tag, key_tag
from reelgate_flows.settings import pinned_run_settings


async def earlier_success(key: str) -> dict[str, Any] | None:
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[key_tag(key)]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED])),
            ),
            limit=1,
        )
    if not runs or runs[0].state is None:
        return None
    result = await runs[0].state.aresult()
    return result if isinstance(result, dict) else None


async def _run_item(item: Item, name: str, slots: asyncio.Semaphore) -> dict[str, Any]:
    if item.request is None:
        return outcome(item, "invalid", error=item.problem)
    key = f"backfill:{name}:{item.key}"
    async with slots:
        earlier = await earlier_success(key)
        if earlier is not None:
            data = earlier.get("data", {})
            return outcome(
                item, "skipped", job_id=data.get("job_id"), video_url=data.get("video_url")
            )
        child = extend_video if isinstance(item.request, ExtendRequest) else generate_video
        with tags(key_tag(key), body_tag(item.request)):
            state = await child(item.request, key, return_state=True)
    job_id = str(state.state_details.flow_run_id)
    if state.is_completed():
        data = (await state.aresult()).get("data", {})
        cost = (data.get("cost") or {}).get("amount")
        return outcome(
            item, "succeeded", job_id=job_id, video_url=data.get("video_url"), cost_usd=cost
        )
    error = await state.aresult(raise_on_failure=False)
    message = error.message if isinstance(error, ReelgateError) else (state.message or "failed")
    return outcome(item, "failed", job_id=job_id, error=message)


@flow(name="backfill", persist_result=True, validate_parameters=True, log_prints=False)
async def backfill(
    requests: list[dict[str, Any]] | None = None,
    source: str | None = None,
    name: str = "backfill",
    max_concurrent: int = 4,
    customer_id: str | None = None,
) -> dict[str, Any]:
    """Generate every request of ``requests`` and of ``source`` (a JSONL or CSV file: a local
    path, ``file://`` or ``s3://bucket/key``), at most ``max_concurrent`` at a time.

    ``name`` scopes the items' idempotency keys: re-run with the same name to resume.
    ``customer_id``: the customer of the items that name none.
    Returns ``{"name", "counts": {status: n}, "cost_usd", "unknown_cost_items", "items":
    [outcome, ...]}``; an outcome's status is ``succeeded`` (with its ``cost_usd``, None when
    unknown), ``skipped`` (succeeded in an earlier run, not counted again), ``failed`` or
    ``invalid``; ``cost_usd`` is what this run's succeeded items cost.
    """
    if max_concurrent < 1:
        raise ValidationError("max_concurrent must be at least 1")
    raw = list(requests or []) + (read_source(source) if source else [])
    if not raw:
        raise ValidationError("a backfill needs requests or a source with at least one item")
    slots = asyncio.Semaphore(max_concurrent)
    items = parse_items(raw, customer_id)
    with pinned_run_settings():  # every item runs with the settings the backfill started with
        outcomes = await asyncio.gather(*(_run_item(item, name, slots) for item in items))
    counts: dict[str, int] = {}
    for line in outcomes:
        counts[line["status"]] = counts.get(line["status"], 0) + 1
    paid = [line for line in outcomes if line["status"] == "succeeded"]
    spent = {
        "cost_usd": round(sum(line["cost_usd"] or 0.0 for line in paid), 6),
        "unknown_cost_items": sum(1 for line in paid if line["cost_usd"] is None),
    }
    await acreate_table_artifact(
        table=[{k: ("" if v is None else v) for k, v in o.items()} for o in outcomes],
        description=f"backfill {name}: {counts}, ${spent['cost_usd']:g} spent in this run",
    )
    return {"name": name, "counts": counts, **spent, "items": list(outcomes)}
