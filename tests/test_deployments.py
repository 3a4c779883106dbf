"""The production shape: a real ``prefect server`` on PostgreSQL, reelgate's deployments,
``reelgate worker`` processes, and the API starting jobs as deployment runs."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from kling_emulator import KlingEmulator
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    WorkPoolFilter,
    WorkPoolFilterName,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.settings import PREFECT_API_URL, temporary_settings
from seedance_emulator import SeedanceEmulator
from wan_emulator import WanEmulator

from reelgate_flows.job_ids import find_run
from tests.prefect_server import PrefectServer, postgres_reachable
from tests.processes import CLI, ApiProcess, eventually, jobs_ended, post_jobs, run_cli, worker

pytestmark = [
    pytest.mark.skipif(not postgres_reachable(), reason="needs PostgreSQL on 127.0.0.1:5432"),
    pytest.mark.timeout(300),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    prefect = PrefectServer(tmp_path_factory.mktemp("prefect-server"))
    prefect.start()
    yield prefect
    prefect.stop()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def pool() -> str:
    return f"pool-{uuid.uuid4().hex[:8]}"


def client_env(server: PrefectServer, kling: KlingEmulator | None = None) -> dict[str, str]:
    return {**server.environ(), **(kling.environ() if kling else {})}


@asynccontextmanager
async def prefect_client(server: PrefectServer) -> AsyncIterator[PrefectClient]:
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        async with get_client() as client:
            yield client


def local_request(prompt: str, customer: str = "acme") -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": customer,
        "settings": {"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
    }


def kling_request(prompt: str, customer: str = "acme") -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": customer,
        "settings": {"video": {"model": "kling-v2-6", "duration_seconds": 5}},
    }


async def start_runs(client: PrefectClient, prompt: str, count: int) -> list[FlowRun]:
    """Runs of generate-video/reelgate on the Kling emulator, as the UI would start them."""
    deployment = await client.read_deployment_by_name("generate-video/reelgate")
    return [
        await client.create_flow_run_from_deployment(
            deployment.id, parameters={"request": kling_request(f"{prompt} {n}")}
        )
        for n in range(count)
    ]


async def wait_for_runs(
    client: PrefectClient, run_ids: list[uuid.UUID], timeout: float
) -> list[FlowRun]:
    deadline = time.monotonic() + timeout
    while True:
        runs = [await client.read_flow_run(run_id) for run_id in run_ids]
        if all(run.state is not None and run.state.is_final() for run in runs):
            return runs
        if time.monotonic() > deadline:
            states = [(str(r.id), r.state_type) for r in runs]
            raise AssertionError(f"runs did not end in {timeout:g} s: {states}")
        await asyncio.sleep(0.25)


def owner_of(run: FlowRun) -> str:
    return next(t for t in run.tags if t.startswith("reelgate-owner:")).split(":", 1)[1]


async def test_deploy_then_run_from_the_ui_on_a_worker(
    server: PrefectServer, pool: str, logs: Path
) -> None:
    env = client_env(server)
    out = run_cli("deploy", "--pool", pool, "--drain-every", "2", env=env)
    assert "generate-video/reelgate" in out
    async with prefect_client(server) as client:
        deployments = await client.read_deployments(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool]))
        )
        by_flow = {(await client.read_flow(d.flow_id)).name: d for d in deployments}
        assert set(by_flow) == {
            "generate-video",
            "extend-video",
            "generate-storyboard",
            "backfill",
            "drain-spool",
        }
        generate = by_flow["generate-video"]
        schema = generate.parameter_openapi_schema or {}
        assert "request" in schema["properties"] and schema["required"] == ["request"]
        assert by_flow["drain-spool"].schedules, "drain-spool runs on a schedule"

        prices = logs / "prices.json"
        rate = {"rates": [{"usd_per_second": 0.1}], "as_of": "2026-12-01", "source": "test"}
        prices.write_text(json.dumps({"local": rate}))
        budgets = {"customers": {"broke": {"daily_usd": 0.05}}}
        worker_env = {
            **env,
            "REELGATE_BUDGETS": json.dumps(budgets),
            "REELGATE_PRICES_FILE": str(prices),
        }
        started = worker("ui-worker", pool, worker_env, logs).start()
        try:
            # What the UI's "Run" form does: create a run of the deployment with parameters.
            run = await client.create_flow_run_from_deployment(
                generate.id, parameters={"request": local_request("a red kite over dunes")}
            )
            (done,) = await wait_for_runs(client, [run.id], timeout=120)
            assert done.state_type is StateType.COMPLETED, started.tail()
            envelope = await done.state.aresult()  # type: ignore[union-attr]
            data = envelope["data"]
            assert data["job_id"] == str(run.id) and data["provider"] == "local"
            stored = Path(data["video_url"].removeprefix("file://"))
            assert stored.is_file() and stored.stat().st_size > 1000
            assert "customers/acme/assets/video/" in data["video_url"]
            assert done.start_time is not None and done.expected_start_time is not None
            began = (done.start_time - done.created).total_seconds()  # type: ignore[operator]
            print(f"deployment run began {began:.2f} s after it was created")
            assert began < 10

            # A run from the UI answers to the customer's budget too: $0.10 > $0.05 left.
            refused = await client.create_flow_run_from_deployment(
                generate.id, parameters={"request": local_request("over budget", "broke")}
            )
            (failed,) = await wait_for_runs(client, [refused.id], timeout=120)
            assert failed.state_type is StateType.FAILED, started.tail()
            assert "budget" in (failed.state.message or "").lower()  # type: ignore[union-attr]

            # The UI's run list: the runs with their parameters, on this deployment.
            listed = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[generate.id])
                )
            )
            assert {r.id for r in listed} == {run.id, refused.id}
            ours = next(r for r in listed if r.id == run.id)
            assert ours.parameters["request"]["prompt"] == "a red kite over dunes"
            assert owner_of(ours) == "ui-worker"

            # The schedule of drain-spool made runs, and the worker ran them.
            drain_id = by_flow["drain-spool"].id

            async def drained() -> bool:
                runs = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        deployment_id=FlowRunFilterDeploymentId(any_=[drain_id])
                    )
                )
                return any(r.state_type is StateType.COMPLETED for r in runs)

            deadline = time.monotonic() + 60
            while not await drained():
                assert time.monotonic() < deadline, started.tail()
                await asyncio.sleep(0.5)
            workers = await client.read_workers_for_work_pool(pool)
            assert [w.name for w in workers] == ["ui-worker"]
        finally:
            started.stop()


async def polling(server: PrefectServer, pool: str, names: set[str]) -> None:
    """Wait until every named worker has polled ``pool`` (its first heartbeat)."""
    deadline = time.monotonic() + 120
    async with prefect_client(server) as client:
        while time.monotonic() < deadline:
            workers = await client.read_workers_for_work_pool(pool)
            if names <= {w.name for w in workers}:
                return
            await asyncio.sleep(0.2)
    raise AssertionError(f"workers {names} never polled {pool}")


async def test_api_spreads_jobs_over_two_workers_within_the_provider_limit(
    server: PrefectServer, kling: KlingEmulator, pool: str, logs: Path
) -> None:
    kling.queries_to_finish = 8
    env = client_env(server, kling)
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    run_cli("limit", "klingai", "2", env=env)
    workers = [worker(f"w{i}-{pool}", pool, env, logs, "--max-running", "3") for i in (1, 2)]
    api = ApiProcess(
        {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}, logs / "api.log"
    )
    try:
        for started in workers:
            started.start()
        api.start()
        await polling(server, pool, {f"w1-{pool}", f"w2-{pool}"})
        with api.client() as http:
            bodies = [kling_request(f"paper boats, take {n}") for n in range(6)]
            job_ids = post_jobs(http, bodies)
            eventually(lambda: jobs_ended(http, job_ids), 180, "six jobs to end", poll=0.5)
            views = [http.get(f"/video/jobs/{j}").json() for j in job_ids]
        assert [v["status"] for v in views] == ["succeeded"] * 6, (views, api.tail())
        assert all(v["data"]["provider"] == "klingai" for v in views), views[0]
        assert kling.submissions == 6
        assert kling.peak_in_flight <= 2, "the reelgate_klingai limit holds across workers"
        async with prefect_client(server) as client:
            runs = [await find_run(client, j) for j in job_ids]
        owners = {owner_of(run) for run in runs if run is not None}
        assert owners == {f"w1-{pool}", f"w2-{pool}"}, "both workers ran jobs"
    finally:
        api.stop()
        for started in workers:
            started.stop()
        async with prefect_client(server) as client:
            await client.delete_global_concurrency_limit_by_name("reelgate_klingai")


async def test_jobs_waiting_for_a_provider_slot_never_block_the_busy_slots(
    server: PrefectServer, kling: KlingEmulator, pool: str, logs: Path
) -> None:
    """One worker, one busy slot, a provider limit of 1, three jobs: a job waiting for the
    provider's slot must not hold the busy slot the job at the provider needs after its wait."""
    kling.queries_to_finish = 3
    env = client_env(server, kling)
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    run_cli("limit", "klingai", "1", env=env)
    only = worker(f"w-{pool}", pool, env, logs, "--max-running", "1")
    api = ApiProcess(
        {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}, logs / "api.log"
    )
    try:
        only.start()
        api.start()
        with api.client() as http:
            job_ids = post_jobs(http, [kling_request(f"one at a time {n}") for n in range(3)])
            eventually(lambda: jobs_ended(http, job_ids), 120, "three jobs to end", poll=0.5)
            statuses = [http.get(f"/video/jobs/{j}").json()["status"] for j in job_ids]
        assert statuses == ["succeeded"] * 3, only.tail()
        assert kling.submissions == 3 and kling.peak_in_flight == 1
    finally:
        api.stop()
        only.stop()
        async with prefect_client(server) as client:
            await client.delete_global_concurrency_limit_by_name("reelgate_klingai")


def queried_all(kling: KlingEmulator, count: int) -> bool:
    """``count`` tasks accepted, and each polled at least once (so its submission was
    recorded: the wait step runs only after the submit step's result is persisted)."""
    return kling.submissions == count and all(t.queries > 0 for t in list(kling.tasks.values()))


def creates(kling: KlingEmulator) -> int:
    return sum(1 for operation, _ in kling.requests if operation == "create")


async def test_a_killed_worker_resumes_its_jobs_without_submitting_again(
    server: PrefectServer, kling: KlingEmulator, pool: str, logs: Path
) -> None:
    kling.queries_to_finish = 10**9  # the provider keeps working until we say so
    env = client_env(server, kling)
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    name = f"crashy-{pool}"
    first = worker(name, pool, env, logs)
    second = worker(name, pool, env, logs)
    try:
        first.start()
        async with prefect_client(server) as client:
            runs = await start_runs(client, "harbour at dusk", 3)
            eventually(lambda: queried_all(kling, 3), 90, "three accepted, polled tasks")
            first.kill()
            for run in runs:
                assert (await client.read_flow_run(run.id)).state_type is StateType.RUNNING
            kling.queries_to_finish = 1  # the provider finishes while no worker runs
            second.start()
            ended = await wait_for_runs(client, [r.id for r in runs], timeout=120)
        assert [r.state_type for r in ended] == [StateType.COMPLETED] * 3, second.tail()
        assert kling.submissions == 3 and creates(kling) == 3, "nothing was submitted again"
    finally:
        first.stop()
        second.stop()


async def test_a_killed_api_resumes_its_in_process_jobs_without_submitting_again(
    server: PrefectServer, kling: KlingEmulator, logs: Path
) -> None:
    kling.queries_to_finish = 10**9
    env = {**client_env(server, kling), "REELGATE_EXECUTOR_NAME": f"api-{uuid.uuid4().hex[:6]}"}
    first = ApiProcess(env, logs / "api-1.log")
    try:
        first.start()
        with first.client() as http:
            job_ids = [
                http.post("/video/jobs", json=kling_request(f"tidal pool {n}")).json()["data"][
                    "job_id"
                ]
                for n in range(2)
            ]
        eventually(lambda: queried_all(kling, 2), 90, "two accepted, polled tasks")
        first.kill()
        kling.queries_to_finish = 1
        second = ApiProcess(env, logs / "api-2.log", port=first.port)
        second.start()
        try:
            with second.client() as http:

                def all_succeeded() -> bool:
                    views = [http.get(f"/video/jobs/{j}").json() for j in job_ids]
                    return all(v["status"] == "succeeded" for v in views)

                eventually(all_succeeded, 120, "the resumed jobs to succeed", poll=0.5)
        finally:
            second.stop()
        assert kling.submissions == 2 and creates(kling) == 2, "nothing was submitted again"
    finally:
        first.stop()


async def test_schedules_carry_their_request_and_the_server_plans_runs(
    server: PrefectServer, pool: str, tmp_path: Path
) -> None:
    env = client_env(server)
    request_file = tmp_path / "daily.json"
    request_file.write_text(json.dumps(local_request("the morning light on acme's harbour")))
    out = run_cli(
        "schedule", "daily-acme", "--request", str(request_file), "--cron", "0 9 * * *",
        "--timezone", "Europe/Paris", "--pool", pool, env=env,
    )  # fmt: skip
    assert "generate-video/daily-acme" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"prompt": "", "customer_id": "acme"}))
    with pytest.raises(AssertionError, match="not a valid request"):
        run_cli("schedule", "broken", "--request", str(bad), "--every", "60", env=env)
    async with prefect_client(server) as client:
        deployment = await client.read_deployment_by_name("generate-video/daily-acme")
        assert deployment.work_pool_name == pool
        assert deployment.parameters["request"]["prompt"] == "the morning light on acme's harbour"
        (schedule,) = deployment.schedules
        assert schedule.schedule.cron == "0 9 * * *"  # type: ignore[union-attr]
        assert schedule.schedule.timezone == "Europe/Paris"  # type: ignore[union-attr]

        async def planned() -> list[FlowRun]:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])
                )
            )

        deadline = time.monotonic() + 30
        while not (runs := await planned()):
            assert time.monotonic() < deadline, "the scheduler planned no run"
            await asyncio.sleep(0.5)
        assert all(r.state_type is StateType.SCHEDULED for r in runs)
        planned_at = runs[0].expected_start_time
        assert planned_at is not None and planned_at.hour in (7, 8), "09:00 Paris is 07/08 UTC"

    listed = json.loads(run_cli("schedule", "--list", env=env))
    (daily,) = [row for row in listed if row["name"] == "daily-acme"]
    assert daily["when"] == "cron '0 9 * * *' Europe/Paris" and daily["customer_id"] == "acme"
    assert daily["model"] == "local" and daily["pool"] == pool and daily["active"] is True
    assert "reelgate" not in [row["name"] for row in listed], "reelgate's own are not schedules"
    assert "deleted schedule daily-acme" in run_cli("schedule", "daily-acme", "--delete", env=env)
    assert "daily-acme" not in [
        r["name"] for r in json.loads(run_cli("schedule", "--list", env=env))
    ]
    with pytest.raises(AssertionError, match="no schedule named 'daily-acme'"):
        run_cli("schedule", "daily-acme", "--delete", env=env)


def test_a_limit_of_zero_warns_and_a_limit_can_be_removed(server: PrefectServer) -> None:
    env = client_env(server)
    done = subprocess.run(
        [*CLI, "limit", "local", "0"], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "0 slots stops every new job at local" in said
    assert f"limit: using the Prefect API {server.api_url}" in said, "what it uses, at start"
    assert "removed" in run_cli("limit", "local", "--remove", env=env)
    with pytest.raises(AssertionError, match="local has no limit to remove"):
        run_cli("limit", "local", "--remove", env=env)


def test_server_commands_refuse_an_embedded_prefect_api(tmp_path: Path) -> None:
    for args in (["worker"], ["deploy"], ["limit", "local", "1"]):
        done = subprocess.run(
            [*CLI, *args],
            env={**os.environ, "PREFECT_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "needs a Prefect server" in done.stderr and "PREFECT_API_URL" in done.stderr


async def test_cancelling_through_the_api_stops_the_job_on_its_worker(
    server: PrefectServer, kling: KlingEmulator, pool: str, logs: Path
) -> None:
    kling.queries_to_finish = 10**9
    env = client_env(server, kling)
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    runner = worker(f"c-{pool}", pool, env, logs)
    api = ApiProcess(
        {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}, logs / "api.log"
    )
    try:
        runner.start()
        api.start()
        with api.client() as http:
            job_id = http.post("/video/jobs", json=kling_request("a slow sunset")).json()["data"][
                "job_id"
            ]
            eventually(lambda: queried_all(kling, 1), 60, "the job to wait on the provider")
            cancelled = http.delete(f"/video/jobs/{job_id}")
            assert (
                cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
            )

            async with prefect_client(server) as client:
                run = await find_run(client, job_id)
                assert run is not None, "the job's run was created"
                (ended,) = await wait_for_runs(client, [run.id], timeout=30)
                for _ in range(40):  # the engine's own "Crashed" may show before Cancelled
                    if ended.state_type is StateType.CANCELLED:
                        break
                    await asyncio.sleep(0.25)
                    ended = await client.read_flow_run(run.id)
            assert ended.state_type is StateType.CANCELLED, runner.tail()
            polls = next(iter(kling.tasks.values())).queries
            await asyncio.sleep(2)
            assert next(iter(kling.tasks.values())).queries == polls, "the worker stopped polling"
            assert http.get(f"/video/jobs/{job_id}").json()["status"] == "cancelled"
            again = http.delete(f"/video/jobs/{job_id}")
            assert again.status_code == 409
    finally:
        api.stop()
        runner.stop()


async def test_a_stopped_worker_hands_its_jobs_to_another(
    server: PrefectServer, kling: KlingEmulator, pool: str, logs: Path
) -> None:
    kling.queries_to_finish = 10**9
    env = client_env(server, kling)
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    leaving = worker(f"leaving-{pool}", pool, env, logs)
    staying = worker(f"staying-{pool}", pool, env, logs)
    try:
        leaving.start()
        async with prefect_client(server) as client:
            runs = await start_runs(client, "rain on glass", 2)
            eventually(lambda: queried_all(kling, 2), 90, "two accepted, polled tasks")
            leaving.stop()  # SIGTERM: a graceful stop
            for run in runs:
                assert (await client.read_flow_run(run.id)).state_type is StateType.SCHEDULED
            kling.queries_to_finish = 1
            staying.start()
            ended = await wait_for_runs(client, [r.id for r in runs], timeout=120)
        assert [r.state_type for r in ended] == [StateType.COMPLETED] * 2, staying.tail()
        assert {owner_of(r) for r in ended} == {f"staying-{pool}"}
        assert kling.submissions == 2 and creates(kling) == 2, "nothing was submitted again"
    finally:
        leaving.stop()
        staying.stop()


def test_the_api_reports_the_progress_a_worker_makes(
    server: PrefectServer, pool: str, logs: Path
) -> None:
    """In deployment mode the run is a worker's; its step and progress reach the API through
    the job's record (they were always null there)."""
    env = client_env(server)
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    runner = worker(f"w-{pool}", pool, env, logs)
    api = ApiProcess(
        {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}, logs / "api.log"
    )
    try:
        runner.start()
        api.start()
        body = local_request("a long render")
        body["settings"]["video"] |= {"duration_seconds": 30, "resolution": "720p"}
        with api.client() as http:
            (job_id,) = post_jobs(http, [body])
            seen: list[tuple[str | None, float | None]] = []
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                view = http.get(f"/video/jobs/{job_id}").json()
                if view["status"] == "running":
                    seen.append((view.get("step"), view.get("progress")))
                if view["status"] in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.1)
        assert view["status"] == "succeeded", (view, runner.tail())
        fractions = [p for _, p in seen if p is not None]
        assert fractions and any(0 < p < 1 for p in fractions), seen
        assert fractions == sorted(fractions), "progress only grows"
    finally:
        api.stop()
        runner.stop()


def test_a_wan_job_runs_on_a_worker_and_pays_once(
    server: PrefectServer, wan: WanEmulator, pool: str, logs: Path
) -> None:
    """A deployment run against the Wan emulator: the API admits, a worker submits once."""
    env = {**server.environ(), **wan.environ()}
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    runner = worker(f"w-{pool}", pool, env, logs)
    api = ApiProcess(
        {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}, logs / "api.log"
    )
    try:
        runner.start()
        api.start()
        body = {
            "prompt": "A red fox running through snow",
            "customer_id": "acme",
            "settings": {"video": {"model": "wan2.6-t2v", "duration_seconds": 5}},
        }
        with api.client() as http:
            (job_id,) = post_jobs(http, [body])
            eventually(lambda: jobs_ended(http, [job_id]), 120, "the Wan job to end", poll=0.5)
            view = http.get(f"/video/jobs/{job_id}").json()
        assert view["status"] == "succeeded", (view, runner.tail())
        assert view["data"]["provider"] == "wan" and wan.submissions == 1
    finally:
        api.stop()
        runner.stop()


def test_a_seedance_job_runs_on_a_worker_and_pays_once(
    server: PrefectServer, seedance: SeedanceEmulator, pool: str, logs: Path
) -> None:
    """A deployment run against the Seedance emulator: the API admits, a worker submits once."""
    env = {**server.environ(), **seedance.environ()}
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    runner = worker(f"w-{pool}", pool, env, logs)
    api = ApiProcess(
        {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}, logs / "api.log"
    )
    try:
        runner.start()
        api.start()
        video = {"model": "seedance", "duration_seconds": 5, "aspect_ratio": "16:9"}
        body = {"prompt": "A red fox", "customer_id": "acme", "settings": {"video": video}}
        with api.client() as http:
            (job_id,) = post_jobs(http, [body])
            eventually(lambda: jobs_ended(http, [job_id]), 120, "the Seedance job to end", poll=0.5)
            view = http.get(f"/video/jobs/{job_id}").json()
        assert view["status"] == "succeeded", (view, runner.tail())
        assert view["data"]["model"] == "dreamina-seedance-2-0-260128"
        assert seedance.submissions == 1
    finally:
        api.stop()
        runner.stop()


async def test_two_workers_share_fair_slots_health_and_one_trace_per_job(
    server: PrefectServer, kling: KlingEmulator, pool: str, logs: Path
) -> None:
    """Deployment mode, two workers, a provider limit of 2: customer ``big`` sends 10 jobs,
    then ``small`` sends 1, which reaches the provider at the next slot turnover (not after
    ``big``'s queue); both workers record the provider's health where the API reads it; and
    the small job is one trace, from its HTTP request on the API to its steps on a worker."""
    from tests.otlp_receiver import OtlpReceiver

    kling.queries_to_finish = 12
    trace_id = uuid.uuid4().hex
    with OtlpReceiver() as collector:
        env = {
            **client_env(server, kling),
            "REELGATE_DATABASE_URL": server.database_url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
        run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
        run_cli("limit", "klingai", "2", env=env)
        workers = [
            worker(f"w{i}-{pool}", pool, {**env, "OTEL_SERVICE_NAME": "worker"}, logs)
            for i in (1, 2)
        ]
        api_env = {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}
        api = ApiProcess({**api_env, "OTEL_SERVICE_NAME": "api"}, logs / "api.log")
        try:
            for started in workers:
                started.start()
            api.start()
            await polling(server, pool, {f"w1-{pool}", f"w2-{pool}"})
            with api.client() as http:
                big = post_jobs(http, [kling_request(f"big {n}", "big") for n in range(10)])
                eventually(lambda: kling.submissions >= 2, 120, "big to hold both slots")
                small = http.post(
                    "/video/jobs",
                    json=kling_request("small one", "small"),
                    headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
                )
                assert small.status_code == 202, small.text
                job_ids = [*big, small.json()["data"]["job_id"]]
                eventually(lambda: jobs_ended(http, job_ids), 240, "eleven jobs to end", poll=0.5)
                metrics = http.get("/metrics").text
            order = [task.prompt for task in kling.tasks.values()]
            print("small job created after", order.index("small one"), "of big's 10")
            assert kling.peak_in_flight <= 2
            assert order.index("small one") <= 2 + 2, order  # the next turnover, of 10 queued
            accepted = 'reelgate_model_outcomes{model="kling-v2-6",outcome="accepted",'
            assert f'{accepted}provider="klingai"}} 11.0' in metrics  # recorded by the workers

            def traced() -> bool:
                mine = [s for s in collector.spans if s["trace_id"] == trace_id]
                return {"reelgate.admit", "reelgate.job", "reelgate.store"} <= {
                    s["name"] for s in mine
                }

            eventually(traced, 60, "the small job's spans from the API and a worker")
            mine = [s for s in collector.spans if s["trace_id"] == trace_id]
            services = {s["name"]: s["resource"]["service.name"] for s in mine}
            assert services["reelgate.admit"] == "api", services
            assert services["reelgate.job"] == services["reelgate.submit"] == "worker", services
        finally:
            api.stop()
            for started in workers:
                started.stop()
            async with prefect_client(server) as client:
                await client.delete_global_concurrency_limit_by_name("reelgate_klingai")


async def test_two_workers_share_circuits_traffic_leaves_a_refusing_model_and_comes_back(
    server: PrefectServer,
    kling: KlingEmulator,
    seedance: SeedanceEmulator,
    pool: str,
    logs: Path,
) -> None:
    """A route of Kling then Seedance, run by two workers: Kling starts refusing (429), its
    circuit opens from refusals either worker saw, jobs go to Seedance without asking Kling,
    and after the cool-down a probe finds Kling well and traffic comes back."""
    env = {
        **client_env(server, kling),
        **seedance.environ(),
        "REELGATE_DATABASE_URL": server.database_url,
        "REELGATE_ROUTES": json.dumps({"house": ["kling-v2-6", "seedance"]}),
        "REELGATE_CIRCUIT_REFUSALS": "2",
        "REELGATE_CIRCUIT_COOLDOWN_SECONDS": "3",
        "REELGATE_SUBMIT_RETRIES": "0",
    }
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    workers = [worker(f"w{i}-{pool}", pool, env, logs) for i in (1, 2)]
    api_env = {**env, "REELGATE_EXECUTION": "deployment", "REELGATE_WORK_POOL": pool}
    api = ApiProcess(api_env, logs / "api.log")
    video = {"model": "house", "duration_seconds": 5, "aspect_ratio": "16:9"}
    served: list[tuple[float, str, int]] = []
    started = time.monotonic()
    try:
        for each in workers:
            each.start()
        api.start()
        await polling(server, pool, {f"w1-{pool}", f"w2-{pool}"})
        with api.client() as http:

            def run(n: int) -> None:
                body = {
                    "prompt": f"harbour {n}",
                    "customer_id": "acme",
                    "settings": {"video": video},
                }
                (job_id,) = post_jobs(http, [body])
                eventually(lambda: jobs_ended(http, [job_id]), 120, f"job {n}", poll=0.3)
                view = http.get(f"/video/jobs/{job_id}").json()
                assert view["status"] == "succeeded", (view, api.tail())
                when = round(time.monotonic() - started, 1)
                served.append((when, view["data"]["model"], creates(kling)))

            run(1)
            kling.max_concurrent = 0  # Kling refuses every create now (429)
            run(2)
            run(3)  # the second refusal opens Kling's circuit, for both workers
            circuits = http.get("/healthz").json()["circuits"]
            run(4)
            run(5)
            kling.max_concurrent = 10  # Kling is well again
            time.sleep(3)  # the cool-down
            run(6)  # a probe: Kling takes it, the circuit closes
            run(7)
    finally:
        api.stop()
        for each in workers:
            each.stop()
    print("timeline (s, model, Kling creates asked so far):", served)
    assert circuits["kling-v2-6"]["state"] == "open"
    models = [model for _, model, _ in served]
    assert models[0] == "kling-v2-6" and models[5:] == ["kling-v2-6", "kling-v2-6"]
    assert set(models[1:5]) == {"dreamina-seedance-2-0-260128"}
    asked = [count for _, _, count in served]
    assert asked[4] == asked[2], "Kling was not asked while its circuit was open"
    assert seedance.submissions == 4 and len(kling.tasks) == 3
