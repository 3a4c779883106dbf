"""1,000 async jobs in flight in the production shape: `reelgate serve` with
REELGATE_EXECUTION=deployment, two `reelgate worker` processes, a `prefect server` on
PostgreSQL (127.0.0.1:5432, fresh database), and the Kling emulator taking 60 s per job
(BENCH_PROVIDER_SECONDS; in this process, not counted).

Prints how long accepting the burst took, peak RSS of API + workers, CPU of API + workers +
Prefect server while every job waits on the provider, and how many jobs were lost. Goals: RSS
<= 1.5 GB, CPU <= 25 % of a core while waiting, none lost. Baseline in the same run: the same
processes idle before the burst. Also prints how busy the machine's cores were while the jobs
were being submitted, and each process's share. The CPU "while the jobs wait" is measured for
20 s after the last submission: a pure wait only when the provider's time is longer than
submitting took (300 s for 1,000 jobs here).

BENCH_SERVER_PROCESSES=2 runs Prefect's multi-process server (``--workers 2`` plus a services
process, messages in the machine's Redis at 127.0.0.1:6379 through ``prefect-redis``, bench
group)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-deployment-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins" / "kling" / "tests"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(ROOT / "results"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
        "REELGATE_POLL_MAX_SECONDS": "15",
    }
)
(ROOT / "prefect").mkdir()

import aiohttp  # noqa: E402
import httpx  # noqa: E402
from kling_emulator import KlingEmulator  # noqa: E402

from bench.api_postgres import rss_of_tree  # noqa: E402
from bench.procstat import tree_cpu_seconds  # noqa: E402
from reelgate.testing.emulator import BackgroundServer  # noqa: E402
from tests.prefect_server import PrefectServer  # noqa: E402
from tests.processes import ApiProcess, run_cli, worker  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "1000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SERVER_PROCESSES = int(os.environ.get("BENCH_SERVER_PROCESSES", "1"))
PROVIDER_SECONDS = float(os.environ.get("BENCH_PROVIDER_SECONDS", "60"))
PAYLOAD = {
    "prompt": "slow",
    "customer_id": "bench",
    "settings": {"video": {"model": "kling-v2-6", "duration_seconds": 5}},
}


def machine_busy_seconds() -> float:
    """CPU seconds every core of this machine spent busy since boot (/proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def burst(url: str) -> list[str]:
    """Every job at once, sent with aiohttp (the ``bench`` group) over at most 200
    connections: httpx's pool costs the client more than the API takes to answer."""
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post() -> tuple[int, dict[str, Any]]:
            async with session.post(f"{url}/video/jobs", json=PAYLOAD) as answer:
                return answer.status, await answer.json()

        answers = await asyncio.gather(*(post() for _ in range(JOBS)))
    assert {status for status, _ in answers} == {202}, {status for status, _ in answers}
    return [body["data"]["job_id"] for _, body in answers]


async def outcomes(url: str, job_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    pending = set(job_ids)
    deadline = time.monotonic() + 1200
    async with httpx.AsyncClient(timeout=60) as client:
        while pending and time.monotonic() < deadline:
            for job_id in list(pending):
                status = (await client.get(f"{url}/video/jobs/{job_id}")).json()["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    counts[status] = counts.get(status, 0) + 1
                    pending.discard(job_id)
            await asyncio.sleep(2)
    counts["unfinished"] = len(pending)
    return counts


async def run_timeline(api_url: str, began_at: float) -> tuple[float, float]:
    """Seconds from the burst to the last flow run's creation and to its start (Running)."""
    from prefect.client.orchestration import PrefectClient

    created: list[float] = []
    started: list[float] = []
    async with PrefectClient(api_url) as client:
        offset = 0
        while True:
            page = await client.read_flow_runs(limit=200, offset=offset)
            if not page:
                break
            offset += len(page)
            for run in page:
                if run.created is not None:
                    created.append(run.created.timestamp() - began_at)
                if run.start_time is not None:
                    started.append(run.start_time.timestamp() - began_at)
    return max(created, default=0.0), max(started, default=0.0)


def main() -> None:
    emulator = KlingEmulator(
        seconds_to_finish=PROVIDER_SECONDS, queries_to_finish=1, max_concurrent=JOBS + 1
    )
    server = PrefectServer(ROOT / "server", fast_scheduler=False, api_processes=SERVER_PROCESSES)
    server.start()
    with BackgroundServer(emulator.app()) as kling:
        emulator.base_url = kling.url
        env = {**server.environ(), **emulator.environ(), "REELGATE_EXECUTION": "deployment"}
        run_cli("deploy", "--drain-every", "0", env=env)
        per_worker = str(JOBS // WORKERS + 1)
        workers = [
            worker(f"bench-{n}", "reelgate", env, ROOT, "--max-running", per_worker)
            for n in range(WORKERS)
        ]
        api = ApiProcess(env, ROOT / "api.log")
        try:
            for started in workers:
                started.start()
            api.start()
            time.sleep(5)
            ours = [api.process.pid] + [w.process.pid for w in workers]  # type: ignore[union-attr]
            every = [*ours, *server.pids]
            idle_before = {pid: tree_cpu_seconds(pid) for pid in every}
            time.sleep(10)
            idle_parts = {pid: (tree_cpu_seconds(pid) - idle_before[pid]) / 10 for pid in every}
            idle = sum(idle_parts.values())
            idle_rss = sum(rss_of_tree(pid) for pid in ours)
            busy_before = machine_busy_seconds()
            ours_before = {pid: tree_cpu_seconds(pid) for pid in every}
            began, began_at = time.monotonic(), time.time()
            job_ids = asyncio.run(burst(api.url))
            accepted_in = time.monotonic() - began
            peak_rss = 0
            while emulator.submissions < JOBS and time.monotonic() - began < 900:
                peak_rss = max(peak_rss, sum(rss_of_tree(pid) for pid in ours))
                time.sleep(1)
            all_in_flight = time.monotonic() - began
            machine_busy = (machine_busy_seconds() - busy_before) / all_in_flight
            submitting = {
                pid: (tree_cpu_seconds(pid) - ours_before[pid]) / all_in_flight for pid in every
            }
            last_created, last_running = asyncio.run(run_timeline(server.api_url, began_at))
            before = {pid: tree_cpu_seconds(pid) for pid in every}
            in_flight = []
            for _ in range(20):
                in_flight.append(emulator.in_flight)
                time.sleep(1)
            parts = {pid: (tree_cpu_seconds(pid) - before[pid]) / 20 for pid in every}
            waiting = sum(parts.values())
            peak_rss = max(peak_rss, sum(rss_of_tree(pid) for pid in ours))
            counts = asyncio.run(outcomes(api.url, job_ids))
            total = time.monotonic() - began
        finally:
            api.stop()
            for started in workers:
                started.stop()
            server.stop()
    mib = 1024 * 1024
    print(
        f"{JOBS} jobs, provider {PROVIDER_SECONDS:.0f} s, API in deployment mode, "
        f"{WORKERS} workers, Prefect server on PostgreSQL"
    )
    print(
        f"  accepted (202) in {accepted_in:.1f} s; all submitted to the provider after "
        f"{all_in_flight:.1f} s; all ended after {total:.1f} s"
    )
    print(
        f"  flow runs: the last created {last_created:.1f} s after the burst began, the last "
        f"Running {last_running:.1f} s after"
    )
    print(
        f"  peak RSS API + workers {peak_rss / mib:.0f} MiB (idle {idle_rss / mib:.0f} MiB); "
        f"goal <= 1536 MiB"
    )
    print(
        f"  CPU of API + workers + Prefect server while the jobs wait {waiting * 100:.1f} % "
        f"of a core (idle {idle * 100:.1f} %); goal <= 25 %; jobs in flight at the provider "
        f"meanwhile {min(in_flight)}-{max(in_flight)}"
    )
    print(
        f"  while submitting, the machine's cores were busy {machine_busy * 100:.0f} % of one "
        f"core (of {os.cpu_count()} cores)"
    )
    for label, share in (("submitting", submitting), ("waiting", parts), ("idle", idle_parts)):
        shares = [f"{share[pid] * 100:.1f} %" for pid in every]
        print(
            f"    {label}: API {shares[0]}, workers {', '.join(shares[1 : 1 + WORKERS])}, "
            f"Prefect server {', '.join(shares[1 + WORKERS :])}"
        )
    print(f"  outcomes {counts}; provider submissions {emulator.submissions}")


if __name__ == "__main__":
    main()
