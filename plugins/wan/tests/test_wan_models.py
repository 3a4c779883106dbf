"""What each Wan model sends: the sizes of text-to-video, wan2.6's ``img_url`` and wan2.7's
``media`` (a first frame; a Wan video's ``first_clip`` to extend it), the async header, and a
seed derived from the submission id when the caller gave none."""

from __future__ import annotations

from reelgate_wan.tasks import seed_of
from wan_emulator import WanEmulator

from reelgate import ImageInput, VideoInput
from reelgate.jobs import Succeeded
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import Runtime
from reelgate.testing import make_png, poll_until_done, submit_now


def request(model: str, **video: object) -> GenerateRequest:
    body = {
        "prompt": "a kite",
        "customer_id": "c",
        "settings": {"video": {"model": model, **video}},
    }
    return GenerateRequest.model_validate(body)


def test_text_to_video_sends_a_size_and_a_seed_of_the_submission(
    wan: WanEmulator, wan_runtime: Runtime
) -> None:
    job = submit_now(
        wan_runtime,
        request("wan", duration_seconds=10, aspect_ratio="9:16", resolution="1080p"),
        submission_id="sub-9",
    )
    sent = wan.tasks[job.provider_job_id]["body"]
    assert sent["model"] == "wan2.6-t2v" and sent["input"]["prompt"] == "a kite"
    assert sent["parameters"]["size"] == "1080*1920" and sent["parameters"]["duration"] == 10
    assert sent["parameters"]["seed"] == seed_of("sub-9", None)
    given = submit_now(wan_runtime, request("wan", duration_seconds=5, seed=7))
    assert wan.tasks[given.provider_job_id]["body"]["parameters"]["seed"] == 7


def test_wan26_image_to_video_sends_img_url(wan: WanEmulator, wan_runtime: Runtime) -> None:
    png = make_png(640, 360, (10, 20, 200))
    image = ImageInput(data=png, mime_type="image/png")
    asked = request("wan2.6-i2v", duration_seconds=5).model_copy(
        update={"input_image_url": "https://images.example/first.png"}
    )
    job = submit_now(wan_runtime, asked, image=image)
    sent = wan.tasks[job.provider_job_id]["body"]
    assert sent["input"]["img_url"].startswith("data:image/png;base64,")
    assert sent["parameters"]["resolution"] == "720P" and "size" not in sent["parameters"]


def test_wan27_starts_from_a_first_frame_and_extends_its_video(
    wan: WanEmulator, wan_runtime: Runtime
) -> None:
    image = ImageInput(data=make_png(640, 360, (10, 20, 200)), mime_type="image/png")
    asked = request("wan2.7-i2v", duration_seconds=4, aspect_ratio="16:9").model_copy(
        update={"input_image_url": "https://images.example/first.png"}
    )
    first = submit_now(wan_runtime, asked, image=image)
    sent = wan.tasks[first.provider_job_id]["body"]
    assert [item["type"] for item in sent["input"]["media"]] == ["first_frame"]
    assert sent["parameters"]["ratio"] == "16:9"
    assert isinstance(poll_until_done(wan_runtime, first), Succeeded)

    extension = ExtendRequest.model_validate(
        {
            "prompt": "the kite climbs",
            "customer_id": "c",
            "video_id": first.provider_job_id,
            "settings": {"video": {"model": "wan2.7-i2v", "duration_seconds": 3}},
        }
    )
    video = VideoInput(provider_video_id=first.provider_job_id)
    longer = submit_now(wan_runtime, extension, video=video)
    (clip,) = wan.tasks[longer.provider_job_id]["body"]["input"]["media"]
    assert clip["type"] == "first_clip" and f"/videos/{first.provider_job_id}.mp4" in clip["url"]
    assert isinstance(poll_until_done(wan_runtime, longer), Succeeded)
    assert wan.submissions == 2
