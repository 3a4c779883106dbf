"""The Veo plugin through google-genai (Vertex AI mode) against the emulator: request mapping,
both credential modes, Veo's limits checked before any call, inline and Cloud Storage results,
safety filtering and every fault mode."""

from __future__ import annotations

import asyncio
import base64
import functools
from collections.abc import Callable
from typing import Any

import pytest
from vertex_emulator import VertexEmulator

from reelgate import ExtendRequest, ImageInput, Succeeded, VideoInput
from reelgate.errors import (
    ContentRejectedError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    RateLimitedError,
    SubmissionNotAcceptedError,
    ValidationError,
)
from reelgate.jobs import Failed, Running
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import download_now, make_png, make_request
from reelgate.testing import poll_until_done as finish
from reelgate.testing import submit_now as submit
from reelgate.testing.emulator import Fault
from reelgate.testing.media import clip, sample_mp4

request = functools.partial(
    make_request, customer_id="c1", model="veo", duration_seconds=8, aspect_ratio="16:9"
)


def test_text_request_mapping(vertex: VertexEmulator, veo_runtime: Runtime) -> None:
    job = submit(
        veo_runtime,
        request(
            resolution="1080p",
            generate_audio=True,
            fps=24,
            seed=7,
            negative_prompt="blur",
            number_of_videos=2,
            provider_options={"person_generation": "allow_adult"},
        ),
    )
    assert vertex.requests[-1] == ("create", "publishers/google/models/veo-3.1-fast-generate-001")
    body = vertex.bodies[-1]
    assert body["instances"] == [{"prompt": "a paper boat on a pond"}]
    assert body["parameters"] == {
        "sampleCount": 2,
        "durationSeconds": 8,
        "aspectRatio": "16:9",
        "resolution": "1080p",
        "enhancePrompt": True,
        "generateAudio": True,
        "fps": 24,
        "seed": 7,
        "negativePrompt": "blur",
        "personGeneration": "allow_adult",
    }
    status = finish(veo_runtime, job)
    assert isinstance(status, Succeeded) and len(status.videos) == 2
    assert [download_now(veo_runtime, job, ref) for ref in status.videos] == [clip(8)] * 2


def test_project_mode_with_an_access_token_and_cloud_storage_results(
    vertex: VertexEmulator, veo_settings: Callable[..., dict[str, str]]
) -> None:
    runtime = build_runtime(
        environ=veo_settings(
            GOOGLE_API_KEY="",
            GOOGLE_CLOUD_PROJECT="my-proj",
            GOOGLE_CLOUD_LOCATION="us-central1",
            REELGATE_VEO_ACCESS_TOKEN=vertex.access_token,
            REELGATE_VEO_OUTPUT_GCS_URI="gs://videos-bucket/veo/",
        )
    )
    job = submit(runtime, request())
    assert vertex.requests[-1][1].startswith("projects/my-proj/locations/us-central1/publishers")
    assert vertex.bodies[-1]["parameters"]["storageUri"] == "gs://videos-bucket/veo/"
    status = finish(runtime, job)
    assert status.videos[0].uri.startswith("gs://videos-bucket/veo/")
    assert [download_now(runtime, job, ref) for ref in status.videos] == [clip(8)]
    assert vertex.requests[-1][0] == "storage"


def test_image_first_and_last_frame(vertex: VertexEmulator, veo_runtime: Runtime) -> None:
    first, last = make_png(64, 36), make_png(64, 36, (0, 0, 255))
    option = {
        "last_frame": {"data_base64": base64.b64encode(last).decode(), "mime_type": "image/png"}
    }
    submit(
        veo_runtime,
        request(provider_options=option),
        image=ImageInput(data=first, mime_type="image/png"),
    )
    instance = vertex.bodies[-1]["instances"][0]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == first
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last


def test_extension_sends_the_video(vertex: VertexEmulator, veo_runtime: Runtime) -> None:
    extend = ExtendRequest.model_validate(
        {
            "prompt": "it keeps surfing",
            "customer_id": "c1",
            "video_id": "x",
            "settings": {
                "video": {"model": "veo-3.1", "duration_seconds": 8, "aspect_ratio": "16:9"}
            },
        }
    )
    job = asyncio.run(
        veo_runtime.submit(
            extend, veo_runtime.context("gemini"), video=VideoInput(data=sample_mp4())
        )
    )
    video = vertex.bodies[-1]["instances"][0]["video"]
    assert base64.b64decode(video["bytesBase64Encoded"]) == sample_mp4()
    assert job.kind.value == "extend" and isinstance(finish(veo_runtime, job), Succeeded)


@pytest.mark.parametrize(
    ("video", "message"),
    [
        ({"aspect_ratio": "1:1"}, "aspect_ratio"),
        ({"duration_seconds": 5}, "duration_seconds"),
        ({"resolution": "1080p", "duration_seconds": 4}, "1080p"),
        ({"provider_options": {"person_generation": "everyone"}}, "person_generation"),
    ],
)
def test_requests_veo_cannot_serve_are_400s_before_any_call(
    vertex: VertexEmulator, veo_runtime: Runtime, video: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        submit(veo_runtime, request(**video))
    assert caught.value.status == 400 and vertex.requests == []


@pytest.mark.parametrize(
    ("prompt", "error_type"),
    [("a [risky] scene", "ContentRejectedError"), ("a [fail] scene", "ProviderError")],
)
def test_failed_operations_are_typed(
    vertex: VertexEmulator, veo_runtime: Runtime, prompt: str, error_type: str
) -> None:
    status = finish(veo_runtime, submit(veo_runtime, request(prompt)))
    assert isinstance(status, Failed) and status.error.error_class.__name__ == error_type


def test_a_slow_create_still_succeeds(vertex: VertexEmulator, veo_runtime: Runtime) -> None:
    vertex.faults.add("create", Fault("slow", delay=0.3))
    submit(veo_runtime, request())
    assert vertex.submissions == 1


def test_a_never_finishing_operation_keeps_running(
    vertex: VertexEmulator, veo_runtime: Runtime
) -> None:
    assert isinstance(finish(veo_runtime, submit(veo_runtime, request("[never]"))), Running)


def test_create_refusals(
    vertex: VertexEmulator, veo_runtime: Runtime, veo_settings: Callable[..., dict[str, str]]
) -> None:
    with pytest.raises(ContentRejectedError):
        submit(veo_runtime, request("something forbidden"))
    vertex.faults.add(
        "create",
        Fault(
            "status",
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Resource exhausted",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
        ),
    )
    with pytest.raises(RateLimitedError) as caught:
        submit(veo_runtime, request())
    assert caught.value.safe_to_resubmit
    assert vertex.requests.count(("create", vertex.requests[-1][1])) == 2
    assert vertex.submissions == 0


UNCLEAR_CREATE_FAULTS = [
    Fault("status", 500, {"error": {"code": 500, "message": "x", "status": "INTERNAL"}}),
    Fault("reset"),
    Fault("malformed"),
    Fault("reset_after"),
]


def test_unavailable_proves_nothing_was_accepted(
    vertex: VertexEmulator, veo_runtime: Runtime
) -> None:
    """Google documents 503 UNAVAILABLE as retryable: the submission is sent again."""
    vertex.faults.add(
        "create",
        Fault("status", 503, {"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}),
    )
    with pytest.raises(SubmissionNotAcceptedError):
        submit(veo_runtime, request())
    assert vertex.submissions == 0


@pytest.mark.parametrize("fault", UNCLEAR_CREATE_FAULTS)
def test_unclear_create_failures_with_inline_results_are_final(
    vertex: VertexEmulator, veo_runtime: Runtime, fault: Fault
) -> None:
    vertex.faults.add("create", fault)
    with pytest.raises(ProviderUnavailableError, match="nothing can prove") as caught:
        submit(veo_runtime, request())
    assert not caught.value.safe_to_resubmit
    assert len([r for r in vertex.requests if r[0] == "create"]) == 1


@pytest.fixture
def gcs_runtime(vertex: VertexEmulator, veo_settings: Callable[..., dict[str, str]]) -> Runtime:
    """Project mode with results in Cloud Storage, watched for half a second when unclear."""
    return build_runtime(
        environ=veo_settings(
            GOOGLE_API_KEY="",
            GOOGLE_CLOUD_PROJECT="my-proj",
            GOOGLE_CLOUD_LOCATION="us-central1",
            REELGATE_VEO_ACCESS_TOKEN=vertex.access_token,
            REELGATE_VEO_OUTPUT_GCS_URI="gs://videos-bucket/veo",
            REELGATE_VEO_RECONCILE_SECONDS="0.5",
        )
    )


def test_each_submission_writes_under_its_own_folder(
    vertex: VertexEmulator, gcs_runtime: Runtime
) -> None:
    job = asyncio.run(
        gcs_runtime.submit(request(), gcs_runtime.context("gemini", submission_id="sub-1"))
    )
    assert vertex.bodies[-1]["parameters"]["storageUri"] == "gs://videos-bucket/veo/sub-1/"
    status = finish(gcs_runtime, job)
    assert status.videos[0].uri.startswith("gs://videos-bucket/veo/sub-1/")


@pytest.mark.parametrize("fault", UNCLEAR_CREATE_FAULTS)
def test_unclear_create_failures_with_gcs_results_converge(
    vertex: VertexEmulator, gcs_runtime: Runtime, fault: Fault
) -> None:
    """The submission's folder settles it: a video there is the job (adopted, downloaded);
    nothing there in time means Veo accepted nothing (safe to submit again)."""
    vertex.faults.add("create", fault)
    ctx = gcs_runtime.context("gemini", submission_id=f"sub-{fault.kind}")
    if fault.kind == "reset_after":
        job = asyncio.run(gcs_runtime.submit(request(), ctx))
        assert job.provider_job_id == f"gs://videos-bucket/veo/sub-{fault.kind}/"
        status = finish(gcs_runtime, job)
        assert [download_now(gcs_runtime, job, ref) for ref in status.videos] == [clip(8)]
        assert vertex.submissions == 1
    else:
        with pytest.raises(SubmissionNotAcceptedError, match="nothing appeared under"):
            asyncio.run(gcs_runtime.submit(request(), ctx))
        assert vertex.submissions == 0
    assert len([r for r in vertex.requests if r[0] == "create"]) == 1
    assert any(r[0] == "list" for r in vertex.requests)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", 500, {"error": {"code": 500, "message": "x", "status": "INTERNAL"}}),
        Fault("reset"),
        Fault("malformed"),
    ],
)
def test_poll_failures_are_retryable(
    vertex: VertexEmulator, veo_runtime: Runtime, fault: Fault
) -> None:
    job = submit(veo_runtime, request())
    vertex.faults.add("fetch", fault)
    with pytest.raises(ProviderUnavailableError) as caught:
        asyncio.run(veo_runtime.poll(job, veo_runtime.context("gemini")))
    assert caught.value.retryable
    assert isinstance(finish(veo_runtime, job), Succeeded)


def test_a_retired_model_is_a_provider_error(vertex: VertexEmulator, veo_runtime: Runtime) -> None:
    from reelgate_veo import plugin
    from reelgate_veo.spec import MODELS

    gone = MODELS[0].model_copy(update={"provider_model": "veo-3.0-generate-001"})
    runtime = veo_runtime
    with pytest.raises(ProviderError, match="no longer available"):
        asyncio.run(plugin.reelgate_generate(gone, request(), runtime.context("gemini")))


def test_unconfigured_veo_names_both_ways_to_configure_it() -> None:
    runtime = build_runtime(environ={"REELGATE_PLUGINS": "veo", "GOOGLE_CLOUD_PROJECT": "p"})
    with pytest.raises(ProviderNotConfiguredError, match="GOOGLE_CLOUD_LOCATION"):
        runtime.context("gemini")
