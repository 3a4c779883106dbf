"""Side effects that hold across a fleet of API processes: two ``reelgate serve`` processes
(each running its jobs in-process) on one Prefect server on PostgreSQL, sharing their job
records there. One Idempotency-Key is one job wherever it is sent; a cancel sent to one process
stops a job that runs in the other."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kling_emulator import KlingEmulator

from tests.prefect_server import PrefectServer, postgres_reachable
from tests.processes import ApiProcess, eventually, jobs_ended

pytestmark = [
    pytest.mark.skipif(not postgres_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432"),
    pytest.mark.timeout(300),
]


def kling_request(prompt: str) -> dict[str, object]:
    return {
        "prompt": prompt,
        "customer_id": "fleet",
        "settings": {"video": {"model": "kling-v2-6", "duration_seconds": 5}},
    }


@pytest.fixture
def fleet(kling: KlingEmulator, tmp_path: Path) -> Iterator[list[ApiProcess]]:
    server = PrefectServer(tmp_path / "prefect-server")
    server.start()
    env = {
        **server.environ(),
        **kling.environ(),
        "REELGATE_DATABASE_URL": server.database_url,
        "REELGATE_PLUGINS": "kling",
    }
    apis = [
        ApiProcess({**env, "REELGATE_EXECUTOR_NAME": f"api-{name}"}, tmp_path / f"{name}.log")
        for name in ("a", "b")
    ]
    try:
        for api in apis:
            api.start()
        yield apis
    finally:
        for api in apis:
            api.stop()
        server.stop()


def test_one_key_sent_to_both_processes_at_once_is_one_job(
    fleet: list[ApiProcess], kling: KlingEmulator
) -> None:
    async def pairs() -> list[tuple[httpx.Response, httpx.Response]]:
        async with (
            httpx.AsyncClient(base_url=fleet[0].url, timeout=60) as a,
            httpx.AsyncClient(base_url=fleet[1].url, timeout=60) as b,
        ):

            async def pair(n: int) -> tuple[httpx.Response, httpx.Response]:
                key = {"Idempotency-Key": f"pair-{n}-{uuid.uuid4().hex[:6]}"}
                body = kling_request(f"pair {n}")
                first, second = await asyncio.gather(
                    a.post("/video/jobs", json=body, headers=key),
                    b.post("/video/jobs", json=body, headers=key),
                )
                return first, second

            return await asyncio.gather(*(pair(n) for n in range(20)))

    answered = asyncio.run(pairs())
    assert all(a.status_code == b.status_code == 202 for a, b in answered), answered
    job_ids = [a.json()["data"]["job_id"] for a, _ in answered]
    assert job_ids == [b.json()["data"]["job_id"] for _, b in answered]
    assert len(set(job_ids)) == 20
    with fleet[1].client() as http:
        eventually(lambda: jobs_ended(http, job_ids), 180, "twenty jobs to end", poll=0.5)
        statuses = {http.get(f"/video/jobs/{j}").json()["status"] for j in job_ids}
    assert statuses == {"succeeded"}
    creates = sum(1 for operation, _ in kling.requests if operation == "create")
    assert kling.submissions == 20 and creates == 20


def test_a_cancel_through_one_process_stops_the_job_running_in_the_other(
    fleet: list[ApiProcess], kling: KlingEmulator
) -> None:
    kling.queries_to_finish = 10**9
    with fleet[0].client() as a, fleet[1].client() as b:
        answer = a.post("/video/jobs", json=kling_request("a long sunset"))
        job_id = answer.json()["data"]["job_id"]
        eventually(
            lambda: kling.submissions == 1 and next(iter(kling.tasks.values())).queries > 0,
            60,
            "the job to wait on the provider",
        )
        cancelled = b.delete(f"/video/jobs/{job_id}")
        assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
        eventually(
            lambda: a.get(f"/video/jobs/{job_id}").json()["status"] == "cancelled",
            30,
            "the job to be cancelled",
        )
        task = next(iter(kling.tasks.values()))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the owner stops polling within its check period
            polls = task.queries
            time.sleep(3)
            if task.queries == polls:
                break
        assert task.queries == polls, "process A stopped polling the provider"
        assert b.delete(f"/video/jobs/{job_id}").status_code == 409


def test_a_webhook_due_after_its_api_process_died_is_delivered_once_by_another(
    kling: KlingEmulator, tmp_path: Path
) -> None:
    """Deployment mode: A admits a job with a webhook and is killed -9 while a worker runs
    the job; B delivers the webhook once the job ends, with the job's event id."""
    from reelgate.testing.emulator import BackgroundServer
    from tests.processes import run_cli, worker
    from tests.test_api_server import SECRET, Receiver, verify

    server = PrefectServer(tmp_path / "prefect-server")
    server.start()
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    env = {
        **server.environ(),
        **kling.environ(),
        "REELGATE_DATABASE_URL": server.database_url,
        "REELGATE_PLUGINS": "kling",
        "REELGATE_EXECUTION": "deployment",
        "REELGATE_WORK_POOL": pool,
        "REELGATE_WEBHOOK_SECRET": SECRET,
        "REELGATE_ALLOW_PRIVATE_URLS": "true",
    }
    receiver = Receiver(failures=0)
    runner = worker(f"w-{pool}", pool, env, tmp_path)
    a, b = (
        ApiProcess({**env, "REELGATE_EXECUTOR_NAME": f"api-{n}"}, tmp_path / f"{n}.log")
        for n in ("a", "b")
    )
    kling.queries_to_finish = 10**9
    try:
        run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
        with BackgroundServer(receiver.app()) as hooks:
            for process in (runner, a, b):
                process.start()
            with a.client() as http:
                body = {**kling_request("call me back"), "webhook_url": f"{hooks.url}/hook"}
                answer = http.post("/video/jobs", json=body)
                assert answer.status_code == 202, answer.text
                job_id = answer.json()["data"]["job_id"]
            eventually(
                lambda: kling.submissions == 1 and next(iter(kling.tasks.values())).queries > 0,
                60,
                "the job to wait on the provider",
            )
            a.kill()
            kling.queries_to_finish = 1
            eventually(lambda: len(receiver.deliveries) >= 1, 90, "the webhook", poll=0.25)
            time.sleep(3)  # a second delivery would come within B's next rounds
        assert len(receiver.deliveries) == 1, receiver.deliveries
        headers, delivered = receiver.deliveries[0]
        assert headers["webhook-id"] == f"msg_{job_id.replace('-', '')}"
        assert verify(headers, delivered)
        payload = __import__("json").loads(delivered)
        assert payload["job_id"] == job_id and payload["status"] == "succeeded"
    finally:
        for process in (a, b, runner):
            process.stop()
        server.stop()
