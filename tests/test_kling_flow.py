"""KlingAI end to end: the generate flow and the CLI against the Kling emulator, with faults,
counting paid tasks at the emulator."""

from __future__ import annotations

import functools
from pathlib import Path

from kling_emulator import KlingEmulator

from reelgate.testing import make_request
from reelgate.testing.emulator import Fault
from reelgate_flows.flows import generate_video
from tests.support import probe_mp4

request = functools.partial(
    make_request,
    customer_id="kling-user",
    model="kling-v2-6",
    duration_seconds=5,
    aspect_ratio="9:16",
)


async def test_generate_through_the_flow(kling: KlingEmulator) -> None:
    envelope = await generate_video(request())
    data = envelope["data"]
    assert (data["provider"], data["model"]) == ("klingai", "kling-v2-6")
    assert data["duration"] == 5.0 and kling.submissions == 1
    path = Path(data["video_url"].removeprefix("file://"))
    assert probe_mp4(path)["frames"] == 5 * 12, "the 5 s clip the provider rendered"


async def test_a_rate_limited_create_is_retried_and_paid_once(kling: KlingEmulator) -> None:
    kling.faults.add("create", Fault("status", 429, {"code": 1303, "message": "busy"}))
    envelope = await generate_video(request())
    assert envelope["success"] and kling.submissions == 1
    assert [r for r in kling.requests if r[0] == "create"] == [("create", "text2video")] * 2


async def test_a_lost_answer_is_reconciled_and_paid_once(kling: KlingEmulator) -> None:
    kling.faults.add("create", Fault("reset_after"))
    kling.faults.add("query", Fault("status", 503, {"code": 5001, "message": "maintenance"}))
    envelope = await generate_video(request())
    assert envelope["success"] and kling.submissions == 1


async def test_a_reset_before_handling_is_submitted_again_and_paid_once(
    kling: KlingEmulator,
) -> None:
    """The lookup by external_task_id proves no task exists, so the flow's submit step
    retries under the same id and the job succeeds on its own."""
    kling.faults.add("create", Fault("reset"))
    envelope = await generate_video(request(), idempotency_key="order-k1")
    assert envelope["success"] and kling.submissions == 1
