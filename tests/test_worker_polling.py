"""An idle worker asks the Prefect API a cheap question between the pool's full polls: the
pool is polled when a run is due, and once per heartbeat otherwise."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import PrefectClient, get_client

from reelgate_api.jobs.worker import Worker
from reelgate_flows.deployments import ensure_work_pool


@flow(name="polling-probe")
def polling_probe() -> None:
    """A flow only deployed, never run: its runs are what the pool offers."""


async def test_an_idle_worker_polls_its_pool_only_when_a_run_is_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = f"polling-{uuid.uuid4().hex[:8]}"
    polls: list[str] = []
    original = PrefectClient.get_scheduled_flow_runs_for_work_pool

    async def counted(self: PrefectClient, *args: Any, **kwargs: Any) -> Any:
        polls.append(args[0] if args else kwargs["work_pool_name"])
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(PrefectClient, "get_scheduled_flow_runs_for_work_pool", counted)
    worker = Worker(pool, "probe", max_running=1, heartbeat_seconds=3600)
    async with get_client() as client:
        await ensure_work_pool(client, pool)
        for _ in range(5):
            assert await worker._offered(client) == []
        assert polls == [pool], "one full poll, then only counts while nothing is due"

        flow_id = await client.create_flow(polling_probe)
        deployment_id = await client.create_deployment(
            flow_id=flow_id, name="probe", work_pool_name=pool
        )
        run = await client.create_flow_run_from_deployment(deployment_id)
        offered = await worker._offered(client)
        assert [r.id for r in offered] == [run.id] and polls == [pool, pool]

        worker.heartbeat_seconds = 0.0
        await client.delete_flow_run(run.id)
        assert await worker._offered(client) == []
        assert len(polls) == 3, "the pool is polled once its last poll is a heartbeat old"
