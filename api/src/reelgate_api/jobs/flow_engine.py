"""How an executor has Prefect's engine run a flow run in this process."""

from __future__ import annotations

from typing import Any

from prefect import Flow
from prefect.client.schemas.objects import FlowRun, State
from prefect.flow_engine import run_flow_async


async def run_flow_here(
    flow: Flow[..., Any], flow_run: FlowRun, parameters: dict[str, Any]
) -> State:
    """Run ``flow_run`` of ``flow`` to its final state, in this task."""
    state = await run_flow_async(
        flow, flow_run=_without_deployment(flow_run), parameters=parameters, return_type="state"
    )
    assert isinstance(state, State)
    return state


def _without_deployment(flow_run: FlowRun) -> FlowRun:
    """The run as the engine should see it here.

    For a deployment's run, Prefect's engine watches for suspension (``suspend_flow_run``) with
    a thread, an event loop ticking five times a second and an events websocket per run; at
    hundreds of runs per process that was most of a worker's CPU while jobs waited. reelgate's
    flows never suspend, so the engine gets the run without its deployment id (the run itself,
    in the Prefect API, keeps it).
    """
    if flow_run.deployment_id is None:
        return flow_run
    return flow_run.model_copy(update={"deployment_id": None})
