"""A burst of concurrent async jobs on the embedded default (Prefect's SQLite API, defaults of
`reelgate serve`): every request answered 202, every job completes, none lost, no 5xx.

Prints the time to accept the burst, the time until every job finished, and the ratio against
the same jobs run directly on the provider plugin (no API, no Prefect) in the same run.
BENCH_JOBS (default 200) sets the burst; the test suite keeps a small burst of the same shape.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-burst-"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
        "REELGATE_POLL_MIN_SECONDS": "0.05",
        "REELGATE_EXECUTOR_NAME": "bench-burst",
    }
)
(ROOT / "prefect").mkdir()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reelgate_flows.embedded_api import own_prefect_api  # noqa: E402

own_prefect_api()  # as `reelgate serve` does

import httpx  # noqa: E402

import reelgate_api  # noqa: E402, F401  (lean Prefect defaults first)
from reelgate.requests import request_from_body  # noqa: E402
from reelgate.runtime import build_runtime, set_runtime  # noqa: E402
from reelgate.testing import FakeProvider  # noqa: E402
from reelgate.testing.emulator import BackgroundServer  # noqa: E402
from reelgate_api.app import create_app  # noqa: E402
from reelgate_api.settings import ApiSettings  # noqa: E402
from tests.burst import PAYLOAD, run_burst  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "200"))


async def direct(provider: FakeProvider) -> float:
    """The same jobs submitted, polled and downloaded on the plugin directly."""
    runtime = build_runtime(extra_plugins=[("fake", provider)], plugins="")
    request = request_from_body(PAYLOAD)

    async def one() -> int:
        ctx = runtime.context("fake")
        job = await runtime.submit(request, ctx)
        status = await runtime.poll(job, ctx)
        videos = getattr(status, "videos", [])
        return sum([len(c) async for c in runtime.download(job, videos[0], ctx)])

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(JOBS)))
    return time.perf_counter() - began


async def main() -> None:
    baseline = await direct(FakeProvider())
    provider = FakeProvider()
    set_runtime(build_runtime(extra_plugins=[("fake", provider)]))
    app = create_app(ApiSettings())
    # Served by uvicorn and called over HTTP: Litestar's test client serialises requests.
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=1200) as client:
            await client.get("/healthz")
            outcome = await run_burst(client, JOBS, deadline_seconds=1200)
    print(
        f"{JOBS} jobs: accepted in {outcome.accept_seconds:.2f} s "
        f"(slowest 202 {outcome.slowest_accept_seconds:.2f} s, p99 "
        f"{outcome.accept_p99_seconds * 1000:.0f} ms), all ended in "
        f"{outcome.total_seconds:.1f} s; statuses {outcome.statuses}; "
        f"paid submissions {provider.submissions}"
    )
    print(f"direct on the plugin: {baseline:.2f} s; ratio {outcome.total_seconds / baseline:.0f}x")


if __name__ == "__main__":
    asyncio.run(main())
