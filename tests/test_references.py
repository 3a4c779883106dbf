"""Several references per request (issue 30, part 5): two image references reach Veo's
emulator as ``referenceImages`` through the HTTP API, checked and kept at admission; a model
refuses what it cannot take with a 400 that says what it takes, before anything is paid."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from seedance_emulator import SeedanceEmulator
from sora_emulator import SoraEmulator
from vertex_emulator import VertexEmulator

from reelgate.testing.media import make_png, sample_mp4
from reelgate_api.http.app import create_app
from reelgate_api.service.in_process import InProcessBackend
from reelgate_api.service.service import VideoGenerationService
from reelgate_api.service.tools import run_tool, tool_definitions
from reelgate_api.settings import ApiSettings


def png_uri(width: int, height: int) -> str:
    return "data:image/png;base64," + base64.b64encode(make_png(width, height)).decode()


def veo_body(references: list[dict[str, Any]], **video: Any) -> dict[str, Any]:
    settings = {"model": "veo-3.1-fast", "duration_seconds": 8, "aspect_ratio": "16:9", **video}
    return {
        "prompt": "the two characters meet on a pier",
        "customer_id": "acme",
        "settings": {"video": settings},
        "references": references,
    }


async def test_two_image_references_reach_veo_as_reference_images(vertex: VertexEmulator) -> None:
    first, second = png_uri(64, 48), png_uri(32, 32)
    body = veo_body([{"type": "image", "url": first}, {"type": "image", "url": second}])
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 200, answer.text
    (create,) = [b for b in vertex.bodies if "instances" in b]
    sent = create["instances"][0]["referenceImages"]
    assert [reference["referenceType"] for reference in sent] == ["ASSET", "ASSET"]
    assert [base64.b64decode(r["image"]["bytesBase64Encoded"]) for r in sent] == [
        base64.b64decode(uri.partition(",")[2]) for uri in (first, second)
    ]
    assert all(reference["image"]["mimeType"] == "image/png" for reference in sent)
    assert vertex.submissions == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (veo_body([{"type": "image", "url": png_uri(8, 8)}] * 4), "at most 3 image"),
        (veo_body([{"type": "video", "url": png_uri(8, 8)}]), "at most 0 video"),
        (veo_body([{"type": "image", "url": png_uri(8, 8), "role": "style"}]), "as asset"),
        (veo_body([{"type": "image", "url": png_uri(8, 8)}], duration_seconds=4), "8 seconds"),
        (veo_body([{"type": "image", "url": png_uri(8, 8)}], aspect_ratio="9:16"), "only 16:9"),
        (veo_body([{"type": "image", "url": "http://10.1.2.3/face.png"}]), "references[0].url"),
        (veo_body([{"type": "image", "url": "data:image/png;base64,aGVsbG8="}]), "references[0]"),
        (veo_body([{"type": "sound", "url": png_uri(8, 8)}]), "references"),
    ],
)
async def test_what_a_model_cannot_take_is_a_400_before_anything_is_paid(
    vertex: VertexEmulator, body: dict[str, Any], words: str
) -> None:
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert words in error["message"] or words in str(error.get("field")), error
    assert vertex.submissions == 0


async def test_a_model_that_takes_none_says_so(sora: SoraEmulator) -> None:
    body = {
        "prompt": "a pier",
        "customer_id": "acme",
        "settings": {"video": {"model": "sora-2", "duration_seconds": 4}},
        "references": [{"type": "image", "url": png_uri(8, 8)}],
    }
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert "takes at most 0 image reference(s) (none in all)" in error["message"], error
    assert error["field"] == "references" and sora.submissions == 0


async def test_the_openai_dialect_takes_several_input_references_as_a_list(
    vertex: VertexEmulator,
) -> None:
    """JSON ``input_reference`` as a list, and several multipart files under that name."""
    first, second = make_png(40, 30), make_png(20, 20)
    fields = {"model": "veo-3.1-fast", "prompt": "a pier", "seconds": "8", "size": "1280x720"}
    json_list = [{"image_url": png_uri(40, 30)}, {"image_url": png_uri(20, 20)}]
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/v1/videos", json={**fields, "input_reference": json_list})
        assert answer.status_code == 200, answer.text
        files = [
            ("input_reference", ("a.png", first, "image/png")),
            ("input_reference", ("b.png", second, "image/png")),
        ]
        answer = await client.post("/v1/videos", data=fields, files=files)
        assert answer.status_code == 200, answer.text
        for _ in range(200):
            if vertex.submissions == 2:
                break
            await asyncio.sleep(0.05)
    creates = [body for body in vertex.bodies if "instances" in body]
    assert len(creates) == 2
    for create in creates:
        sent = create["instances"][0]["referenceImages"]
        assert [base64.b64decode(r["image"]["bytesBase64Encoded"]) for r in sent] == [
            first,
            second,
        ]
        assert "image" not in create["instances"][0], "a list is references, not a first frame"


def test_the_generate_tool_offers_references() -> None:
    schema = tool_definitions(customer_bound=True)[0].parameters["properties"]["references"]
    assert schema["type"] == "array" and schema["items"]["required"] == ["type", "url"]
    assert schema["items"]["properties"]["type"]["enum"] == ["image", "video", "audio"]
    assert "$ref" not in json.dumps(schema), "self-contained for every tool format"


async def test_the_generate_tool_passes_references_through(vertex: VertexEmulator) -> None:
    async with VideoGenerationService(InProcessBackend(ApiSettings())) as service:
        arguments = {
            "prompt": "the two characters meet",
            "customer_id": "agent-1",
            "model": "veo-3.1-fast",
            "duration_seconds": 8,
            "aspect_ratio": "16:9",
            "references": [{"type": "image", "url": png_uri(16, 16)}],
        }
        result = await run_tool("generate_video", json.dumps(arguments), service)
    assert result["status"] == "succeeded", result
    (create,) = [body for body in vertex.bodies if "instances" in body]
    assert len(create["instances"][0]["referenceImages"]) == 1


def wav_bytes(seconds: float = 0.5) -> bytes:
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


async def test_seedance_2_takes_an_image_a_video_and_an_audio_reference(
    seedance: SeedanceEmulator,
) -> None:
    clip_uri = "data:video/mp4;base64," + base64.b64encode(sample_mp4(1, 64, 48)).decode()
    audio_uri = "data:audio/wav;base64," + base64.b64encode(wav_bytes()).decode()
    body = {
        "prompt": "the singer walks on stage",
        "customer_id": "acme",
        "settings": {"video": {"model": "seedance-2", "duration_seconds": 5}},
        "references": [
            {"type": "image", "url": png_uri(32, 32)},
            {"type": "video", "url": clip_uri},
            {"type": "audio", "url": audio_uri},
        ],
    }
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 200, answer.text
    (task,) = seedance.tasks.values()
    parts = [part for part in task["body"]["content"] if part["type"] != "text"]
    assert [(part["type"], part["role"]) for part in parts] == [
        ("image_url", "reference_image"),
        ("video_url", "reference_video"),
        ("audio_url", "reference_audio"),
    ]
    assert parts[1]["video_url"]["url"].startswith("data:video/mp4;base64,")
    assert parts[2]["audio_url"]["url"].startswith("data:audio/wav;base64,")


async def test_an_audio_reference_that_is_no_audio_is_refused(seedance: SeedanceEmulator) -> None:
    body = {
        "prompt": "a song",
        "customer_id": "acme",
        "settings": {"video": {"model": "seedance-2", "duration_seconds": 5}},
        "references": [{"type": "audio", "url": png_uri(8, 8)}],
    }
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == "references[0].url"
    assert seedance.submissions == 0


async def test_a_video_reference_in_a_container_not_taken_is_a_400(
    seedance: SeedanceEmulator, tmp_path: Any
) -> None:
    import av
    import numpy as np

    path = tmp_path / "clip.avi"
    with av.open(str(path), "w", format="avi") as out:
        stream = out.add_stream("mpeg4", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(12):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8))))
        out.mux(stream.encode(None))
    uri = "data:video/x-msvideo;base64," + base64.b64encode(path.read_bytes()).decode()
    body = {
        "prompt": "a dance",
        "customer_id": "acme",
        "settings": {"video": {"model": "seedance-2", "duration_seconds": 5}},
        "references": [{"type": "video", "url": uri}],
    }
    async with AsyncTestClient(create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=body)
    assert answer.status_code == 400, answer.text
    assert (
        "references[0].url: a avi video; taken: mp4, mov, webm" in answer.json()["error"]["message"]
    )
    assert seedance.submissions == 0
