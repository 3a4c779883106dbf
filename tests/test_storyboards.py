"""Storyboards (issue 31): shots as child runs joined into one checked video, mixed providers,
continuity from the last frame or by extension, a re-run under the same key paying only for
the shots that did not finish, and a plan over its budget refused before anything is paid."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import av
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from sora_emulator import SoraEmulator

from reelgate.errors import BudgetExceededError, ContentRejectedError, ValidationError
from reelgate.storyboards import StoryboardRequest
from reelgate.testing import FakeProvider
from reelgate_flows.media_check import inspect_video
from reelgate_flows.storyboard import generate_storyboard


def storyboard(shots: list[dict[str, Any]], **fields: Any) -> StoryboardRequest:
    return StoryboardRequest.model_validate(
        {"customer_id": f"story-{uuid.uuid4().hex[:6]}", "shots": shots, **fields}
    )


def frames_of(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


async def test_three_shots_of_four_seconds_make_one_video_of_twelve() -> None:
    video = {"model": "local", "duration_seconds": 4, "resolution": "360p", "aspect_ratio": "16:9"}
    request = storyboard(
        [{"prompt": "a lantern rises"}, {"prompt": "it drifts"}, {"prompt": "it fades"}],
        title="lanterns",
        settings={"video": video},
    )
    envelope = await generate_storyboard(request)
    data = envelope["data"]
    path = Path(data["video_url"].removeprefix("file://"))
    facts = inspect_video(path)
    assert facts.duration_seconds == pytest.approx(12.0, abs=2 / 24), "one frame per seam"
    assert frames_of(path) == pytest.approx(12 * 24, abs=2), "it decodes end to end"
    assert data["settings"] == {"title": "lanterns", "continuity": "cut", "join": "stream_copy"}
    assert [shot["index"] for shot in data["shots"]] == [1, 2, 3]
    assert [shot["seam_score"] is None for shot in data["shots"]] == [False, False, True]
    assert all(0 <= shot["seam_score"] <= 1 for shot in data["shots"][:2])
    assert data["poster_url"] and data["spritesheet"]["count"] == 10
    async with get_client() as client:
        children = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[uuid.UUID(data["job_id"])])
            )
        )
    assert sorted(str(run.id) for run in children) == sorted(s["job_id"] for s in data["shots"])


async def test_shots_on_different_providers_are_joined_by_one_encode(fake: FakeProvider) -> None:
    request = storyboard(
        [
            {"prompt": "a fox", "model": "local", "duration_seconds": 2},
            {"prompt": "a hare", "model": "fake", "duration_seconds": 1},
        ],
        settings={"video": {"resolution": "480p", "aspect_ratio": "16:9"}},
    )
    data = (await generate_storyboard(request))["data"]
    assert (data["provider"], data["settings"]["join"]) == ("mixed", "re_encode")
    assert [shot["provider"] for shot in data["shots"]] == ["local", "fake"]
    path = Path(data["video_url"].removeprefix("file://"))
    assert inspect_video(path).duration_seconds == pytest.approx(3.0, abs=2 / 24)


async def test_a_rerun_after_a_failed_shot_pays_only_for_the_rest(fake: FakeProvider) -> None:
    request = storyboard(
        [{"prompt": "dawn"}, {"prompt": "a storm"}, {"prompt": "calm"}],
        continuity="last_frame",
        settings={"video": {"model": "fake", "duration_seconds": 1}},
    )
    key = f"story-{uuid.uuid4().hex}"
    fake.rejected_words = ("storm",)
    with pytest.raises(ContentRejectedError) as failed:
        await generate_storyboard(request, key)
    assert failed.value.details["shot"] == 2 and "shot 2 of 3 failed" in failed.value.message
    assert fake.submissions == 1
    fake.rejected_words = ()
    data = (await generate_storyboard(request, key))["data"]
    assert fake.submissions == 3, "the re-run paid for shots 2 and 3 only"
    assert len(data["shots"]) == 3
    assert [image[:3] for image in fake.images] == [b"\xff\xd8\xff"] * 2, "last frames as JPEG"


async def test_extend_continuity_extends_the_shot_before(fake: FakeProvider) -> None:
    request = storyboard(
        [{"prompt": "a kite"}, {"prompt": "it climbs"}],
        continuity="extend",
        settings={"video": {"model": "fake", "duration_seconds": 1}},
    )
    data = (await generate_storyboard(request))["data"]
    assert len(data["shots"]) == 2 and fake.submissions == 2


async def test_a_plan_over_its_budget_is_refused_before_anything_is_paid(
    sora: SoraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = storyboard(
        [{"prompt": f"take {n}"} for n in range(3)],  # $0.40 each
        settings={"video": {"model": "sora-2", "duration_seconds": 4}},
    )
    budgets = {"customers": {request.customer_id: {"daily_usd": 1.0}}}
    monkeypatch.setenv("REELGATE_BUDGETS", json.dumps(budgets))
    with pytest.raises(BudgetExceededError):
        await generate_storyboard(request)
    assert sora.submissions == 0


async def test_a_shot_its_model_cannot_continue_is_refused_naming_it() -> None:
    request = storyboard(
        [{"prompt": "a fox", "model": "local"}, {"prompt": "runs", "model": "sora-2"}],
        continuity="extend",
    )
    with pytest.raises(ValidationError) as refused:
        await generate_storyboard(request)
    assert refused.value.details["shot"] == 2, refused.value.message


def test_the_cli_makes_a_storyboard_from_a_file_and_says_what_is_wrong_with_one(
    tmp_path: Path,
) -> None:
    from tests.test_cli import reelgate

    video = {"model": "local", "duration_seconds": 1, "resolution": "360p"}
    good = tmp_path / "story.json"
    good.write_text(
        json.dumps(
            {
                "continuity": "last_frame",
                "settings": {"video": video},
                "shots": [{"prompt": "a kite"}, {"prompt": "it climbs"}],
            }
        )
    )
    done = reelgate("storyboard", str(good), "--key", "kite-1", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)["data"]
    assert data["duration"] == pytest.approx(2.0, abs=1 / 24) and len(data["shots"]) == 2
    bad = tmp_path / "bad.json"
    shots = [{"prompt": "a"}, {"prompt": "b", "image": "https://example.com/b.png"}]
    bad.write_text(json.dumps({"continuity": "extend", "shots": shots}))
    refused = reelgate("storyboard", str(bad), cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "shot 2 names an image" in refused.stderr


async def test_the_api_starts_a_storyboard_and_the_job_routes_serve_it(
    fake: FakeProvider,
) -> None:
    from litestar.testing import AsyncTestClient

    from reelgate_api.http.app import create_app
    from reelgate_api.settings import ApiSettings

    body = {
        "customer_id": "acme",
        "title": "kites",
        "continuity": "last_frame",
        "settings": {"video": {"model": "fake", "duration_seconds": 1}},
        "shots": [{"prompt": "a kite"}, {"prompt": "it climbs"}],
    }
    headers = {"Idempotency-Key": f"kites-{uuid.uuid4().hex}"}
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        started = await client.post("/video/storyboards", json=body, headers=headers)
        assert started.status_code == 202, started.text
        job_id = started.json()["data"]["job_id"]
        again = await client.post("/video/storyboards", json=body, headers=headers)
        assert again.json()["data"]["job_id"] == job_id, "one job per Idempotency-Key"
        for _ in range(600):
            status = (await client.get(f"/video/jobs/{job_id}")).json()
            if status["code"] != 202:  # ended: its envelope
                break
            await asyncio.sleep(0.1)
        assert status["success"] is True, status
        data = status["data"]
        assert len(data["shots"]) == 2 and data["duration"] == pytest.approx(2.0, abs=1 / 24)
        assert all(shot["video_url"].startswith("http") for shot in data["shots"]), "signed"
        video = await client.get(data["video_url"])
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        bad = await client.post("/video/storyboards", json={**body, "shots": []})
        assert bad.status_code == 400 and "shots" in bad.json()["error"]["message"]
        shots = [{"prompt": "a", "model": "local"}, {"prompt": "b", "model": "sora-2"}]
        unable = {**body, "continuity": "extend", "shots": shots}
        refused = await client.post("/video/storyboards", json=unable)
        assert refused.status_code == 400 and refused.json()["error"]["shot"] == 2
    assert fake.submissions == 2


async def test_cancelling_mid_plan_stops_at_the_current_shot(fake: FakeProvider) -> None:
    from litestar.testing import AsyncTestClient

    from reelgate.jobs import Running
    from reelgate_api.http.app import create_app
    from reelgate_api.settings import ApiSettings

    fake.poll_script = [Running(progress=0.5, poll_after_seconds=0.1)] * 10_000
    body = {
        "customer_id": "acme",
        "continuity": "last_frame",
        "settings": {"video": {"model": "fake", "duration_seconds": 1}},
        "shots": [{"prompt": "a kite"}, {"prompt": "it climbs"}, {"prompt": "it lands"}],
    }
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        job_id = (await client.post("/video/storyboards", json=body)).json()["data"]["job_id"]
        for _ in range(300):
            if fake.submissions == 1:
                break
            await asyncio.sleep(0.05)
        assert fake.submissions == 1, "shot 1 is at its provider"
        cancelled = await client.delete(f"/video/jobs/{job_id}")
        assert cancelled.status_code in (200, 202), cancelled.text
        for _ in range(300):
            status = (await client.get(f"/video/jobs/{job_id}")).json()
            if status["code"] != 202:
                break
            await asyncio.sleep(0.05)
        assert status["error"]["type"] == "cancelled", status
        await asyncio.sleep(0.5)
    assert fake.submissions == 1, "no shot after the current one was submitted"


async def test_the_storyboard_tool_makes_one_video_from_its_shots(fake: FakeProvider) -> None:
    from reelgate_api.service.in_process import InProcessBackend
    from reelgate_api.service.service import VideoGenerationService
    from reelgate_api.service.tools import run_tool, tool_definitions
    from reelgate_api.settings import ApiSettings

    schema = next(t for t in tool_definitions(True) if t.name == "generate_storyboard")
    assert "$ref" not in json.dumps(schema.parameters) and schema.parameters["required"] == [
        "shots"
    ]
    arguments = {
        "customer_id": "agent-1",
        "continuity": "cut",
        "model": "fake",
        "duration_seconds": 1,
        "shots": [{"prompt": "a kite"}, {"prompt": "a boat"}],
    }
    async with VideoGenerationService(InProcessBackend(ApiSettings())) as service:
        result = await run_tool("generate_storyboard", json.dumps(arguments), service)
    assert result["status"] == "succeeded", result
    assert len(result["shots"]) == 2 and result["duration_seconds"] == pytest.approx(2.0, abs=0.05)


async def test_audio_is_kept_and_a_shot_without_any_gets_silence() -> None:
    video = {"model": "local", "duration_seconds": 1, "resolution": "360p", "aspect_ratio": "16:9"}
    alike = storyboard(
        [{"prompt": "a drum"}, {"prompt": "a bell"}],
        settings={"video": {**video, "generate_audio": True}},
    )
    data = (await generate_storyboard(alike))["data"]
    path = Path(data["video_url"].removeprefix("file://"))
    facts = inspect_video(path)
    assert data["settings"]["join"] == "stream_copy" and facts.has_audio
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        assert float(audio.duration * audio.time_base) == pytest.approx(2.0, abs=0.1)

    calm = await generate_storyboard(storyboard([{"prompt": "a lake"}], settings={"video": video}))
    from reelgate_flows import joining

    out = path.with_name("mixed-audio.mp4")  # 2 s with sound, then 1 s without
    method = joining.join([path, Path(calm["data"]["video_url"].removeprefix("file://"))], out)
    assert method == "re_encode"
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert float(audio.duration * audio.time_base) == pytest.approx(3.0, abs=0.1), "silence"
        assert float(container.duration / 1_000_000) == pytest.approx(3.0, abs=0.1)


async def test_the_plans_progress_names_the_shot_and_the_step_within_it(
    fake: FakeProvider,
) -> None:
    from reelgate_flows.progress import ProgressEvent, subscribe

    heard: list[ProgressEvent] = []
    unsubscribe = subscribe(heard.append)
    try:
        request = storyboard(
            [{"prompt": "a kite"}, {"prompt": "a boat"}],
            continuity="last_frame",
            settings={"video": {"model": "fake", "duration_seconds": 1}},
        )
        data = (await generate_storyboard(request))["data"]
    finally:
        unsubscribe()
    plan = [e for e in heard if e.job_id == data["job_id"]]
    words = [e.message for e in plan]
    assert any(w.startswith("shot 2 of 2: download:") for w in words), words
    fractions = [e.fraction for e in plan if e.fraction is not None]
    assert fractions == sorted(fractions) and 0.5 <= fractions[-1] <= 1.0, fractions


async def test_a_shots_first_frame_is_checked_and_kept_at_admission(fake: FakeProvider) -> None:
    import base64

    from litestar.testing import AsyncTestClient

    from reelgate.testing.media import make_png
    from reelgate_api.http.app import create_app
    from reelgate_api.settings import ApiSettings

    png = make_png(64, 36)
    frame = "data:image/png;base64," + base64.b64encode(png).decode()
    body = {
        "customer_id": "acme",
        "settings": {"video": {"model": "fake", "duration_seconds": 1, "aspect_ratio": "16:9"}},
        "shots": [{"prompt": "a kite", "image": frame}],
    }
    private = {**body, "shots": [{"prompt": "a kite", "image": "http://10.1.2.3/a.png"}]}
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        refused = await client.post("/video/storyboards", json=private)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["shot"] == 1 and fake.submissions == 0
        job_id = (await client.post("/video/storyboards", json=body)).json()["data"]["job_id"]
        for _ in range(600):
            status = (await client.get(f"/video/jobs/{job_id}")).json()
            if status["code"] != 202:
                break
            await asyncio.sleep(0.1)
    assert status["success"] is True, status
    assert fake.images == [png], "the shot ran on the bytes checked at admission"
