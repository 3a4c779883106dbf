"""Wall and CPU time per run of the generate-video flow with a zero-work provider (the fake),
against the same steps called directly without Prefect. CPU counts this process and the
Prefect API server process together.

  --prefect-defaults   Prefect's own settings instead of reelgate's lean ones
  --server             a `prefect server` on PostgreSQL (127.0.0.1:5432, fresh database)
                       instead of the embedded (ephemeral, SQLite) API
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
        "REELGATE_POLL_MIN_SECONDS": "0.05",
    }
)
(ROOT / "prefect").mkdir()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if "--prefect-defaults" in sys.argv:
    os.environ["REELGATE_PREFECT_LEAN"] = "false"
SERVER = None
if "--server" in sys.argv:
    from tests.prefect_server import PrefectServer

    SERVER = PrefectServer(ROOT / "server")
    SERVER.start()
    os.environ["PREFECT_API_URL"] = SERVER.api_url

from reelgate_flows.prefect_env import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()  # as the reelgate command does, before Prefect is imported

from bench.procstat import tree_cpu_seconds  # noqa: E402
from reelgate.requests import GenerateRequest  # noqa: E402
from reelgate.runtimes import build_runtime, set_runtime  # noqa: E402
from reelgate.testing import FakeProvider  # noqa: E402
from reelgate_flows.flows import generate_video  # noqa: E402
from reelgate_flows.settings import Settings  # noqa: E402
from reelgate_flows.spool import Spool  # noqa: E402
from reelgate_flows.storage import storage_from_url, video_key  # noqa: E402

RUNS, WARMUP = 20, 3
REQUEST = GenerateRequest.model_validate(
    {
        "prompt": "zero work",
        "customer_id": "bench",
        "settings": {"video": {"model": "fake", "duration_seconds": 1}},
    }
)


async def direct() -> None:
    """The same work as the flow, without Prefect: submit, poll, download, store."""
    runtime = set_up.runtime
    settings = Settings()
    ctx = runtime.context("fake")
    job = await runtime.submit(REQUEST, ctx)
    status = await runtime.poll(job, ctx)
    spool = Spool(settings.spool_dir)
    for ref in status.videos:  # type: ignore[union-attr]
        path = spool.path(job.provider, job.provider_job_id, ref.provider_video_id)
        await spool.fill(path, runtime.download(job, ref, ctx), settings.video_max_bytes)
        storage = storage_from_url(settings.storage_url, settings)
        await asyncio.to_thread(storage.put, path, video_key("bench"))
        spool.release(path)


async def through_flow() -> None:
    await generate_video(REQUEST)


def measure(label: str, run: object) -> tuple[float, float]:
    for _ in range(WARMUP):
        asyncio.run(run())  # type: ignore[operator]
    walls = []
    cpu_start = tree_cpu_seconds()
    for _ in range(RUNS):
        start = time.perf_counter()
        asyncio.run(run())  # type: ignore[operator]
        walls.append(time.perf_counter() - start)
    cpu = (tree_cpu_seconds() - cpu_start) / RUNS
    wall = statistics.median(walls)
    print(f"  {label:28} wall median {wall * 1000:7.1f} ms   CPU {cpu * 1000:7.1f} ms/run")
    return wall, cpu


class set_up:
    runtime = build_runtime(extra_plugins=[("fake", FakeProvider())])


def main() -> None:
    set_runtime(set_up.runtime)
    lean = os.environ.get("REELGATE_PREFECT_LEAN") != "false"
    api = "prefect server on PostgreSQL" if SERVER else "embedded SQLite API"
    print(
        f"generate-video with a zero-work provider, {RUNS} runs after {WARMUP} warm-up, "
        f"{'reelgate lean' if lean else 'Prefect default'} settings, {api}"
    )
    base_wall, base_cpu = measure("direct (no Prefect)", direct)
    flow_wall, flow_cpu = measure("generate-video flow", through_flow)
    print(
        f"  Prefect adds {(flow_wall - base_wall) * 1000:.0f} ms wall and "
        f"{(flow_cpu - base_cpu) * 1000:.0f} ms CPU per run; "
        f"ratio flow / direct wall {flow_wall / base_wall:.1f}"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        if SERVER is not None:
            SERVER.stop()
