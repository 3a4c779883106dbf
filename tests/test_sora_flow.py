"""Sora end to end: the generate and extend flows and the CLI against the Videos API emulator,
counting paid videos at the emulator."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from sora_emulator import SoraEmulator

from reelgate.errors import ProviderUnavailableError
from reelgate.requests import ExtendRequest
from reelgate.testing import make_request
from reelgate.testing.emulator import Fault
from reelgate_flows.flows import extend_video, generate_video
from tests.support import probe_mp4

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning:openai.*")


request = functools.partial(
    make_request, customer_id="sora-user", model="sora-2", duration_seconds=4, aspect_ratio="16:9"
)


async def test_generate_then_extend_through_the_flows(sora: SoraEmulator) -> None:
    first = await generate_video(request())
    data = first["data"]
    assert (data["provider"], data["model"], data["duration"]) == ("openai", "sora-2", 4.0)
    assert probe_mp4(Path(data["video_url"].removeprefix("file://")))["frames"] == 4 * 12
    extended = await extend_video(
        ExtendRequest.model_validate(
            {
                "prompt": "at night",
                "customer_id": "sora-user",
                "video_id": data["job_id"],
                "settings": {"video": {"duration_seconds": 4, "aspect_ratio": "16:9"}},
            }
        )
    )
    remixed = sora.videos[extended["data"]["provider_video_id"]]
    assert remixed.remixed_from == data["provider_video_id"] and sora.submissions == 2


async def test_a_lost_create_answer_is_adopted_and_paid_once(sora: SoraEmulator) -> None:
    sora.faults.add("create", Fault("reset_after"))
    envelope = await generate_video(request())
    assert envelope["success"] and sora.submissions == 1


async def test_an_unclear_failure_that_stays_unclear_is_not_resubmitted(
    sora: SoraEmulator,
) -> None:
    """A lost answer with two matching new videos (the same request made just before) cannot
    be told apart: the job fails, final, and nothing is submitted again."""
    await generate_video(request())
    sora.faults.add("create", Fault("reset_after"))
    with pytest.raises(ProviderUnavailableError, match="may have been accepted") as caught:
        await generate_video(request())
    assert caught.value.details["retryable"] is False
    assert sora.requests.count(("create", "")) == 2 and sora.submissions == 2
