"""How soon a job started through a deployment begins: a `prefect server` on PostgreSQL
(127.0.0.1:5432, fresh database), reelgate's deployments, one `reelgate worker`; runs of
generate-video (local provider, 1 s 360p) are created one at a time, as the API does, and the
time from creation to Running is read back from the server. Goal: within 2 s.
Baseline in the same run: the same worker polling every 10 s (Prefect's default worker query
interval)."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-deploy-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(ROOT / "results"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
    }
)
(ROOT / "prefect").mkdir()

from tests.prefect_server import PrefectServer  # noqa: E402
from tests.processes import run_cli, worker  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "8"))
REQUEST = {
    "prompt": "a kite over a beach",
    "customer_id": "bench",
    "settings": {"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
}


async def start_delays(server: PrefectServer, pool: str) -> list[float]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    delays = []
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        async with get_client() as client:
            deployment = await client.read_deployment_by_name("generate-video/reelgate")
            for _ in range(RUNS):
                run = await client.create_flow_run_from_deployment(
                    deployment.id, parameters={"request": REQUEST}, work_queue_name=None
                )
                while True:
                    current = await client.read_flow_run(run.id)
                    if current.state is not None and current.state.is_final():
                        break
                    await asyncio.sleep(0.1)
                assert current.start_time is not None, current.state
                delays.append((current.start_time - current.created).total_seconds())  # type: ignore[operator]
    return delays


def phase(server: PrefectServer, pool: str, poll_seconds: str) -> list[float]:
    env = server.environ()
    run_cli("deploy", "--pool", pool, "--drain-every", "0", env=env)
    started = worker(f"bench-{pool}", pool, env, ROOT, "--poll-seconds", poll_seconds).start()
    try:
        asyncio.run(asyncio.sleep(8))  # the worker imports and reaches the API
        return asyncio.run(start_delays(server, pool))
    finally:
        started.stop()


def main() -> None:
    server = PrefectServer(ROOT / "server")
    server.start()
    try:
        tuned = phase(server, "tuned", "0.5")
        default = phase(server, "default-poll", "10")
    finally:
        server.stop()
    print(f"{RUNS} deployment runs each, created one at a time; creation -> Running:")
    for label, delays in (("reelgate worker, 0.5 s poll", tuned), ("same, 10 s poll", default)):
        print(f"  {label:28} median {statistics.median(delays):5.2f} s   max {max(delays):5.2f} s")
    print(
        f"  ratio tuned / default-poll median: "
        f"{statistics.median(tuned) / statistics.median(default):.2f} (goal: max ≤ 2 s)"
    )


if __name__ == "__main__":
    main()
