"""20 jobs at once on a provider that takes 5 s, against an OpenAI-Videos-shaped emulator (the
Sora plugin's): the openai SDK called directly (create, poll, download, write the file) versus
reelgate's HTTP API on its embedded defaults (`POST /video/generate`, defaults of
`reelgate serve`: 2 busy slots). Prints both walls and their ratio (goal ≤ 1.3x), and the paid
creates at the emulator.

BENCH_JOBS (default 20) and BENCH_PROVIDER_SECONDS (default 5) change the shape;
BENCH_PREFECT_EPHEMERAL=1 uses Prefect's own ephemeral API instead of the one `reelgate serve`
starts; BENCH_TIMELINE=1 prints when each create reached the provider and each answer came.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(tempfile.mkdtemp(prefix="reelgate-bench-concurrent-"))
os.environ.update(
    {
        "PREFECT_HOME": str(ROOT / "prefect"),
        "REELGATE_STORAGE_URL": f"file://{ROOT / 'videos'}",
        "REELGATE_SPOOL_DIR": str(ROOT / "spool"),
        "REELGATE_EXECUTOR_NAME": "bench-concurrent",
        "REELGATE_PLUGINS": "sora",
    }
)
(ROOT / "prefect").mkdir()
BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "plugins" / "sora" / "tests")]

from reelgate_flows.embedded_api import own_prefect_api  # noqa: E402

if os.environ.get("BENCH_PREFECT_EPHEMERAL") != "1":
    own_prefect_api()  # as `reelgate serve` does: the embedded API as a child of this process

import httpx  # noqa: E402
from sora_emulator import SoraEmulator  # noqa: E402

import reelgate_api  # noqa: E402, F401  (lean Prefect defaults first)
from bench.openai_direct import openai_direct  # noqa: E402
from reelgate.testing import request_body  # noqa: E402
from reelgate.testing.emulator import BackgroundServer, serve  # noqa: E402
from reelgate_api.app import create_app  # noqa: E402
from reelgate_api.settings import ApiSettings  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "20"))
ENDED: list[float] = []
PROVIDER_SECONDS = float(os.environ.get("BENCH_PROVIDER_SECONDS", "5"))


async def direct(emulator: SoraEmulator) -> float:
    """What a hand-written script does with the openai SDK: the limit."""
    return await openai_direct(emulator, JOBS, ROOT / "direct")


async def through_reelgate() -> tuple[float, list[int]]:
    """The API served by uvicorn on loopback, called over HTTP (Litestar's test client would
    serialise concurrent requests)."""
    app = create_app(ApiSettings())
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=600) as client:
            return await _burst(client)


async def _burst(client: httpx.AsyncClient) -> tuple[float, list[int]]:
    await client.get("/healthz")  # the embedded Prefect API is up before the clock starts

    async def one(index: int) -> int:
        body = request_body(
            f"reelgate {index}", customer_id="bench", model="sora-2", duration_seconds=4
        )
        answer = await client.post("/video/generate", json=body)
        ENDED.append(time.perf_counter())
        if answer.status_code != 200:
            print(answer.json())
        return answer.status_code

    began = time.perf_counter()
    statuses = await asyncio.gather(*(one(i) for i in range(JOBS)))
    if os.environ.get("BENCH_TIMELINE"):
        print("ended at", sorted(round(t - began, 2) for t in ENDED))
    return time.perf_counter() - began, statuses


async def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    with serve(SoraEmulator()) as emulator:
        emulator.seconds_to_finish = PROVIDER_SECONDS
        emulator.poll_after_ms = 500
        os.environ.update(emulator.environ())
        baseline = await direct(emulator)
        paid_direct = emulator.submissions
        wall, statuses = await through_reelgate()
        paid = emulator.submissions - paid_direct
        if os.environ.get("BENCH_TIMELINE"):
            accepted = sorted(v.accepted_at for v in emulator.videos.values())[paid_direct:]
            print("accepted at", [round(t - accepted[0], 2) for t in accepted])
    print(f"{JOBS} jobs at once, provider {PROVIDER_SECONDS:g} s:")
    print(f"  direct openai SDK      {baseline:6.2f} s  ({paid_direct} creates)")
    print(
        f"  reelgate HTTP defaults {wall:6.2f} s  ({paid} creates; statuses "
        f"{sorted(set(statuses))})"
    )
    print(f"  ratio {wall / baseline:.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    asyncio.run(main())
