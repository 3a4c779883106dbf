"""Issue 11 §2: every transient fault at create converges through the generate flow, each
provider against its emulator, and is paid exactly once (or, where the provider gives no proof,
fails saying so). Faults at poll and download are covered by each provider's flow tests and by
``test_download_integrity``.

| fault at create | Kling | Sora | Veo (GCS output) |
|---|---|---|---|
| 500 | lookup finds nothing → resubmit | list shows nothing → resubmit | folder empty → resubmit |
| 503 twice | as 500 | as 500 | UNAVAILABLE → resubmit |
| reset before handling | as 500 | as 500 | as 500 |
| malformed answer | as 500 | as 500 | as 500 |
| reset after billing | task adopted by external id | video adopted from list | folder's video |
| slow answer | late task looked for | waited for | waited for |
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reelgate.errors import ProviderUnavailableError
from reelgate.requests import GenerateRequest
from reelgate.testing import make_request
from reelgate.testing.emulator import Fault, ProviderEmulator
from reelgate_flows.flows import generate_video
from reelgate_flows.media_check import inspect_video


@dataclass(frozen=True)
class Provider:
    fixture: str
    request: Callable[..., GenerateRequest]
    error_body: Callable[[int], Any]
    settings: dict[str, str]


PROVIDERS = {
    "kling": Provider(
        "kling",
        functools.partial(make_request, model="kling-v2-6", duration_seconds=5),
        lambda status: {"code": 5000 if status == 500 else 5001, "message": "server error"},
        {"REELGATE_KLING_SUBMIT_TIMEOUT_SECONDS": "1", "REELGATE_KLING_LATE_TASK_SECONDS": "5"},
    ),
    "sora": Provider(
        "sora",
        functools.partial(make_request, model="sora-2", duration_seconds=4),
        lambda status: {"error": {"message": "server error", "type": "server_error"}},
        {},
    ),
    "veo-gcs": Provider(
        "vertex",
        functools.partial(make_request, model="veo-3.1-fast", duration_seconds=4),
        lambda status: {
            "error": {
                "code": status,
                "message": "server error",
                "status": "INTERNAL" if status == 500 else "UNAVAILABLE",
            }
        },
        {
            "GOOGLE_API_KEY": "",
            "GOOGLE_CLOUD_PROJECT": "my-proj",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
            "REELGATE_VEO_OUTPUT_GCS_URI": "gs://videos-bucket/veo",
            "REELGATE_VEO_RECONCILE_SECONDS": "1",
        },
    ),
}


def _faults(provider: Provider, cell: str) -> list[Fault]:
    return {
        "500": [Fault("status", 500, provider.error_body(500))],
        "503-twice": [Fault("status", 503, provider.error_body(503))] * 2,
        "reset-before": [Fault("reset")],
        "malformed": [Fault("malformed")],
        "reset-after-billing": [Fault("reset_after")],
        "slow-answer": [Fault("slow_after", delay=2.0)],
    }[cell]


CELLS = ["500", "503-twice", "reset-before", "malformed", "reset-after-billing", "slow-answer"]


@pytest.fixture(params=sorted(PROVIDERS))
def provider(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, use_runtime: Any
) -> tuple[Provider, ProviderEmulator]:
    chosen = PROVIDERS[request.param]
    emulator: ProviderEmulator = request.getfixturevalue(chosen.fixture)
    settings = dict(chosen.settings)
    if chosen.fixture == "vertex":
        settings["REELGATE_VEO_ACCESS_TOKEN"] = emulator.access_token  # type: ignore[attr-defined]
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    use_runtime()
    return chosen, emulator


@pytest.mark.parametrize("cell", CELLS)
async def test_a_create_fault_ends_in_one_paid_video(
    provider: tuple[Provider, ProviderEmulator], cell: str
) -> None:
    chosen, emulator = provider
    emulator.faults.add("create", *_faults(chosen, cell))
    envelope = await generate_video(chosen.request(customer_id=f"faults-{uuid.uuid4().hex[:6]}"))
    data = envelope["data"]
    path = Path(data["video_url"].removeprefix("file://"))
    assert inspect_video(path, expected_seconds=data["duration"]).duration_seconds > 0
    assert emulator.submissions == 1, f"{cell}: paid {emulator.submissions} times"


async def test_veo_inline_results_cannot_prove_a_lost_answer(
    vertex: ProviderEmulator,
) -> None:
    """Inline mode (no GCS output): a create whose answer was lost after billing is final,
    and the error says why and how to make it provable."""
    vertex.faults.add("create", Fault("reset_after"))
    with pytest.raises(ProviderUnavailableError, match="nothing can prove") as caught:
        await generate_video(
            make_request(model="veo-3.1-fast", duration_seconds=4, customer_id="inline")
        )
    assert caught.value.details["retryable"] is False
    assert "REELGATE_VEO_OUTPUT_GCS_URI" in caught.value.message
    assert vertex.submissions == 1
