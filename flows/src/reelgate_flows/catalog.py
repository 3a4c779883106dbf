"""Every flow reelgate deploys, by its Prefect flow name, and the tags that mark job runs.

A flow run carries ``reelgate-owner:<name>`` while an executor (an API process running flows
in-process, or a ``reelgate worker``) is responsible for it, so that executor can find and
resume its unfinished runs after a crash.
"""

from __future__ import annotations

import uuid
from typing import Any

from prefect import Flow
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType

from reelgate.requests import ExtendRequest
from reelgate.storyboards import JobRequest, StoryboardRequest
from reelgate_flows.backfill import backfill
from reelgate_flows.drain import drain_spool
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.storyboard import generate_storyboard

FLOWS: dict[str, Flow[..., Any]] = {
    f.name: f for f in (generate_video, extend_video, generate_storyboard, backfill, drain_spool)
}
"""The flows a worker runs, by flow name."""

_NAMES_BY_ID: dict[uuid.UUID, str] = {}
"""Flow names by Prefect flow id (an id never changes its name)."""

OWNER_TAG_PREFIX = "reelgate-owner:"
PAGE_SIZE = 200
"""The most runs the Prefect API returns at once."""
UNFINISHED = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]


def flow_for(request: JobRequest) -> Flow[..., Any]:
    """The flow that carries out ``request``."""
    if isinstance(request, StoryboardRequest):
        return generate_storyboard
    return extend_video if isinstance(request, ExtendRequest) else generate_video


def owner_tag(owner: str) -> str:
    return f"{OWNER_TAG_PREFIX}{owner}"


async def flow_named(client: PrefectClient, flow_id: uuid.UUID) -> Flow[..., Any]:
    """The reelgate flow of a flow run's ``flow_id``; LookupError for a flow reelgate lacks."""
    if flow_id not in _NAMES_BY_ID:
        _NAMES_BY_ID[flow_id] = (await client.read_flow(flow_id)).name
    name = _NAMES_BY_ID[flow_id]
    try:
        return FLOWS[name]
    except KeyError:
        raise LookupError(f"reelgate has no flow named {name!r}") from None


async def unfinished_runs(
    client: PrefectClient, owner: str, states: list[StateType] | None = None
) -> list[FlowRun]:
    """The owner's runs that have not ended (every page of them)."""
    runs: list[FlowRun] = []
    run_filter = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[owner_tag(owner)]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states or UNFINISHED)),
    )
    while True:
        page = await client.read_flow_runs(
            flow_run_filter=run_filter, limit=PAGE_SIZE, offset=len(runs)
        )
        runs.extend(page)
        if len(page) < PAGE_SIZE:
            return runs


async def runs_in_states(
    client: PrefectClient, run_ids: list[uuid.UUID], states: list[StateType]
) -> list[FlowRun]:
    """Those of ``run_ids`` whose state is one of ``states`` (read a page at a time)."""
    found: list[FlowRun] = []
    for start in range(0, len(run_ids), PAGE_SIZE):
        found += await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=run_ids[start : start + PAGE_SIZE]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states)),
            ),
            limit=PAGE_SIZE,
        )
    return found
