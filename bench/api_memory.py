"""Memory of an API process over many jobs: ``reelgate serve`` (embedded default, the Sora
plugin against its emulator) runs BENCH_JOBS jobs (default 10,000), each under its own
Idempotency-Key, in waves of BENCH_WAVE (default 250). After every 1,000 jobs it prints the
RSS of the API process itself (the embedded Prefect API is a separate child, reported apart);
at the end, once finished jobs have left memory (``KEEP_ENDED_SECONDS`` + a margin), the
ratio of the last RSS to the one after the first 1,000 jobs (the baseline, measured in the
same run). Flat means a ratio near 1.0: finished jobs leave the process.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-memory-"))
BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "plugins" / "sora" / "tests")]

import httpx  # noqa: E402
from sora_emulator import SoraEmulator  # noqa: E402

from bench.api_postgres import rss_of_tree  # noqa: E402
from reelgate.testing.emulator import serve  # noqa: E402
from reelgate_api.jobs.local_runs import KEEP_ENDED_SECONDS  # noqa: E402
from tests.processes import ApiProcess, jobs_ended  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "10000"))
WAVE = int(os.environ.get("BENCH_WAVE", "250"))
PAYLOAD = {
    "prompt": "memory",
    "customer_id": "memory",
    "settings": {"video": {"model": "sora-2", "duration_seconds": 4}},
}


def own_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


async def wave(client: httpx.AsyncClient, size: int) -> None:
    async def post() -> str:
        headers = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
        answer = await client.post("/video/jobs", json=PAYLOAD, headers=headers)
        assert answer.status_code == 202, answer.text
        job_id: str = answer.json()["data"]["job_id"]
        return job_id

    job_ids = list(await asyncio.gather(*(post() for _ in range(size))))
    deadline = time.monotonic() + 600
    with httpx.Client(base_url=str(client.base_url), timeout=60) as sync:
        while not await asyncio.to_thread(jobs_ended, sync, job_ids):
            assert time.monotonic() < deadline, "a wave did not end in 10 minutes"
            await asyncio.sleep(1)


async def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    with serve(SoraEmulator()) as emulator:
        env = {
            **emulator.environ(),
            "PREFECT_HOME": str(ROOT / "prefect"),
            "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
            "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
            "REELGATE_EXECUTOR_NAME": "bench-memory",
            "REELGATE_PLUGINS": "sora",
        }
        (ROOT / "prefect").mkdir()
        api = ApiProcess(env, ROOT / "serve.log").start()
        assert api.process is not None
        pid, marks = api.process.pid, []
        began = time.monotonic()
        try:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(base_url=api.url, timeout=120, limits=limits) as client:
                done = 0
                while done < JOBS:
                    size = min(WAVE, JOBS - done)
                    await wave(client, size)
                    done += size
                    if done % 1000 == 0 or done == JOBS:
                        rss, tree = own_rss(pid), rss_of_tree(pid)
                        marks.append((done, rss))
                        print(
                            f"{done:>6} jobs ({time.monotonic() - began:.0f} s): API process "
                            f"{rss / 2**20:.0f} MiB, with the embedded Prefect API "
                            f"{tree / 2**20:.0f} MiB",
                            flush=True,
                        )
                await asyncio.sleep(KEEP_ENDED_SECONDS + 10)
                settled = own_rss(pid)
        finally:
            api.stop()
    baseline = marks[0][1]
    print(
        f"after {JOBS} jobs and {KEEP_ENDED_SECONDS + 10:g} s: API process "
        f"{settled / 2**20:.0f} MiB; ratio to the first 1,000 jobs {settled / baseline:.2f}x "
        f"({(settled - baseline) / max(1, JOBS - marks[0][0]):.0f} bytes a job after them)"
    )


if __name__ == "__main__":
    asyncio.run(main())
