"""What tracing costs per job: the generate-video flow with a zero-work provider (the fake),
runs interleaved with tracing off (no ``OTEL_*`` variables), and on (the SDK exporting over
OTLP/HTTP to a receiver on loopback, batched as the SDK does by default). Prints the p50 and
mean wall time per run of each, their ratio, the cost of one span when off, and whether the
SDK was imported while off."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
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
        "REELGATE_PREVIEWS": "false",
    }
)
(ROOT / "prefect").mkdir()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reelgate_flows.prefect_env import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()

from reelgate.requests import GenerateRequest  # noqa: E402
from reelgate.runtimes import build_runtime, set_runtime  # noqa: E402
from reelgate.testing import FakeProvider  # noqa: E402
from reelgate_flows import tracing  # noqa: E402
from reelgate_flows.flows import generate_video  # noqa: E402
from tests.otlp_receiver import OtlpReceiver  # noqa: E402

RUNS, WARMUP = 30, 3
REQUEST = GenerateRequest.model_validate(
    {
        "prompt": "zero work",
        "customer_id": "bench",
        "settings": {"video": {"model": "fake", "duration_seconds": 1}},
    }
)
OFF_PROBE = """
import sys
from reelgate_flows import tracing
with tracing.span("reelgate.job", **{"reelgate.job_id": "x"}):
    pass
print(tracing.enabled(), "opentelemetry.sdk.trace" in sys.modules)
"""


async def one_run() -> float:
    started = time.perf_counter()
    await generate_video(REQUEST)
    return time.perf_counter() - started


def span_off_ns(calls: int = 200_000) -> float:
    tracing.forget()
    os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    started = time.perf_counter_ns()
    for _ in range(calls):
        with tracing.span("reelgate.submit", **{"gen_ai.request.model": "fake"}):
            pass
    return (time.perf_counter_ns() - started) / calls


async def main() -> None:
    set_runtime(build_runtime(extra_plugins=[("fake", FakeProvider())]))
    times: dict[str, list[float]] = {"off": [], "on": []}
    with OtlpReceiver() as collector:
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.url
        tracing.forget()
        assert tracing.enabled()  # the SDK, installed from the environment
        provider = tracing._state["provider"]
        for n in range(WARMUP + RUNS):
            for mode in ("off", "on"):
                tracing.install(provider if mode == "on" else None)
                took = await one_run()
                if mode == "on":
                    tracing.flush()  # outside the timed run: the SDK exports in the background
                if n >= WARMUP:
                    times[mode].append(took)
        spans = len(collector.spans)
    off_ns = span_off_ns()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    probe = subprocess.run(  # noqa: ASYNC221 (after the timed runs)
        [sys.executable, "-c", OFF_PROBE], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    print(f"{RUNS} runs each, interleaved; {spans} spans exported while on")
    for mode, taken in times.items():
        print(
            f"  tracing {mode:3}: p50 {statistics.median(taken) * 1000:7.1f} ms, "
            f"mean {statistics.mean(taken) * 1000:7.1f} ms, max {max(taken) * 1000:7.1f} ms per job"
        )
    p50_on, p50_off = statistics.median(times["on"]), statistics.median(times["off"])
    print(f"  on/off p50 ratio {p50_on / p50_off:.3f} (+{(p50_on - p50_off) * 1000:.1f} ms)")
    print(f"  one span while off: {off_ns:.0f} ns; SDK imported while off: {probe[1]}")


if __name__ == "__main__":
    asyncio.run(main())
