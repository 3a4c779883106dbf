"""No broken video is ever stored (issue 11 §1): each provider's media endpoint answering 200
with half the file or with a JSON error body, through the generate flow against the
provider's emulator.

A broken download is downloaded again; one that stays broken fails the job with a 502
``download_corrupt`` that keeps the provider job, stores nothing, leaves nothing in the spool,
and a re-run under the same idempotency key downloads again without paying again.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reelgate.errors import DownloadCorruptError
from reelgate.requests import GenerateRequest
from reelgate.testing import make_request
from reelgate.testing.emulator import Fault, ProviderEmulator
from reelgate_flows.flows import generate_video
from reelgate_flows.media_check import inspect_video
from reelgate_flows.settings import Settings
from reelgate_flows.storage.keys import PREVIEW_SUFFIXES


@dataclass(frozen=True)
class Case:
    """A provider under test: its emulator fixture, the emulator operation serving media,
    extra settings, and a request for it."""

    fixture: str
    media_operation: str
    request: Callable[..., GenerateRequest]
    settings: dict[str, str]


def _veo_gcs_settings(emulator: Any) -> dict[str, str]:
    return {
        "GOOGLE_API_KEY": "",
        "GOOGLE_CLOUD_PROJECT": "my-proj",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
        "REELGATE_VEO_ACCESS_TOKEN": emulator.access_token,
        "REELGATE_VEO_OUTPUT_GCS_URI": "gs://videos-bucket/veo",
    }


CASES = {
    "kling": Case(
        "kling",
        "download",
        functools.partial(make_request, model="kling-v2-6", duration_seconds=5),
        {},
    ),
    "sora": Case(
        "sora", "content", functools.partial(make_request, model="sora-2", duration_seconds=4), {}
    ),
    "veo-gcs": Case(
        "vertex",
        "storage",
        functools.partial(make_request, model="veo-3.1-fast", duration_seconds=6),
        {},
    ),
}

BROKEN = {
    "cut-short": Fault("truncated"),
    "error-body": Fault("status", 200, {"error": 1}),
}


@pytest.fixture(params=sorted(CASES))
def case(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, use_runtime: Any
) -> tuple[Case, ProviderEmulator]:
    chosen = CASES[request.param]
    emulator: ProviderEmulator = request.getfixturevalue(chosen.fixture)
    if chosen.fixture == "vertex":
        for name, value in _veo_gcs_settings(emulator).items():
            monkeypatch.setenv(name, value)
        use_runtime()
    return chosen, emulator


def _customer() -> str:
    return f"integrity-{uuid.uuid4().hex[:8]}"


def _stored_files(customer: str) -> list[Path]:
    """The customer's stored videos; each has its three previews beside it, and nothing else
    is stored."""
    root = Path(Settings.current().storage_url.removeprefix("file://")) / "customers" / customer
    videos = sorted(root.rglob("*.mp4"))
    previews = [
        video.with_suffix(suffix) for video in videos for suffix in PREVIEW_SUFFIXES.values()
    ]
    assert sorted(p for p in root.rglob("*") if p.is_file()) == sorted([*videos, *previews])
    return videos


def _spooled_videos() -> list[Path]:
    spool = Settings.current().spool_dir
    return sorted(p for p in spool.rglob("*") if p.suffix in (".mp4", ".partial"))


def _media_requests(emulator: ProviderEmulator, operation: str) -> int:
    return sum(1 for seen, _ in emulator.requests if seen == operation)


@pytest.mark.parametrize("broken", sorted(BROKEN))
async def test_a_broken_download_is_downloaded_again(
    case: tuple[Case, ProviderEmulator], broken: str
) -> None:
    chosen, emulator = case
    emulator.faults.add(chosen.media_operation, BROKEN[broken])
    customer = _customer()
    envelope = await generate_video(chosen.request(customer_id=customer))
    stored = _stored_files(customer)
    assert len(stored) == 1 and envelope["data"]["video_url"].endswith(stored[0].name)
    facts = inspect_video(stored[0], expected_seconds=envelope["data"]["duration"])
    assert facts.last_frame_seconds == pytest.approx(envelope["data"]["duration"])
    assert _media_requests(emulator, chosen.media_operation) == 2
    assert emulator.submissions == 1


@pytest.mark.parametrize("broken", sorted(BROKEN))
async def test_a_download_that_stays_broken_is_a_download_corrupt_502_and_nothing_is_kept(
    case: tuple[Case, ProviderEmulator], broken: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, emulator = case
    monkeypatch.setenv("REELGATE_STEP_RETRIES", "1")
    emulator.faults.add(chosen.media_operation, BROKEN[broken], BROKEN[broken])
    customer = _customer()
    body = chosen.request(customer_id=customer)
    before = _spooled_videos()
    with pytest.raises(DownloadCorruptError) as caught:
        await generate_video(body, idempotency_key="same-key")
    error = caught.value
    assert (error.status, error.type, error.retryable) == (502, "download_corrupt", True)
    assert "arrived broken" in error.message and error.details["provider_job_id"]
    assert _media_requests(emulator, chosen.media_operation) == 2
    assert _stored_files(customer) == [] and _spooled_videos() == before
    assert emulator.submissions == 1

    envelope = await generate_video(body, idempotency_key="same-key")
    assert envelope["data"]["provider_job_id"] == error.details["provider_job_id"]
    assert len(_stored_files(customer)) == 1
    assert emulator.submissions == 1, "the re-run downloaded again and paid nothing"


async def test_an_inline_result_is_made_only_of_a_checked_download(
    kling: ProviderEmulator,
) -> None:
    """``save_to_db: false``: the data URI holds the download that passed the check."""
    import base64

    kling.faults.add("download", Fault("truncated"))
    body = CASES["kling"].request(customer_id=_customer(), save_to_db=False)
    envelope = await generate_video(body)
    uri: str = envelope["data"]["video_url"]
    assert uri.startswith("data:video/mp4;base64,")
    video = base64.b64decode(uri.partition(",")[2])
    assert inspect_video(video, expected_seconds=5).last_frame_seconds == pytest.approx(5)
    assert _media_requests(kling, "download") == 2 and kling.submissions == 1
