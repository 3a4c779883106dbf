"""The local provider's output: real, decodable H.264 MP4s honouring every setting."""

from __future__ import annotations

import asyncio
import functools
import struct
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

import reelgate_local.plugin as local_plugin
from reelgate import GenerateRequest, ImageInput, ProviderJob, Succeeded, VideoInput
from reelgate.requests import ExtendRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.testing import make_png, make_request


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return build_runtime(
        environ={"REELGATE_PLUGINS": "local", "REELGATE_LOCAL_DIR": str(tmp_path / "work")}
    )


_request = functools.partial(make_request, customer_id="c1", model="local", duration_seconds=1)


async def _finish(runtime: Runtime, job: ProviderJob) -> Succeeded:
    ctx = runtime.context("local")
    for _ in range(600):
        status = await runtime.poll(job, ctx)
        if isinstance(status, Succeeded):
            return status
        assert status.status in ("queued", "running"), status
        await asyncio.sleep(0.05)
    raise AssertionError("job did not finish")


async def _generate(
    runtime: Runtime, request: GenerateRequest, tmp: Path, **inputs: Any
) -> tuple[ProviderJob, list[Path]]:
    ctx = runtime.context("local")
    job = await runtime.submit(request, ctx, **inputs)
    status = await _finish(runtime, job)
    paths = []
    for ref in status.videos:
        path = tmp / f"{ref.provider_video_id}.mp4"
        path.write_bytes(b"".join([c async for c in runtime.download(job, ref, ctx)]))
        paths.append(path)
    return job, paths


def _probe(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "fps": float(video.average_rate or 0),
            "frames": sum(1 for _ in container.decode(video=0)),
            "audio": [s.codec_context.name for s in container.streams.audio],
        }


def _top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        boxes.append(kind.decode("ascii", "replace"))
        if size < 8:
            break
        offset += size
    return boxes


@pytest.mark.parametrize(
    ("aspect", "resolution", "size"),
    [
        ("16:9", "480p", (854, 480)),
        ("9:16", "720p", (720, 1280)),
        ("1:1", "1080p", (1080, 1080)),
    ],
)
def test_text_to_video_honours_aspect_and_resolution(
    runtime: Runtime, tmp_path: Path, aspect: str, resolution: str, size: tuple[int, int]
) -> None:
    _, (path,) = asyncio.run(
        _generate(runtime, _request(aspect_ratio=aspect, resolution=resolution), tmp_path)
    )
    info = _probe(path)
    assert (info["width"], info["height"]) == size
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["frames"] == 24 and info["audio"] == []


def test_duration_fps_audio_and_faststart(runtime: Runtime, tmp_path: Path) -> None:
    _, (path,) = asyncio.run(
        _generate(
            runtime,
            _request(
                duration_seconds=3,
                fps=30,
                generate_audio=True,
                resolution="360p",
                aspect_ratio="16:9",
            ),
            tmp_path,
        )
    )
    info = _probe(path)
    assert info["fps"] == 30 and info["frames"] == 90
    assert info["audio"] == ["aac"]
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        samples = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio)])
    assert len(samples) > 48_000 * 2 * 2.9 and float(np.abs(samples).max()) > 0.05
    boxes = _top_level_boxes(path.read_bytes())
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_same_prompt_and_seed_give_the_same_frames(runtime: Runtime, tmp_path: Path) -> None:
    def render(prompt: str, seed: int, folder: str) -> tuple[bytes, np.ndarray]:
        (tmp_path / folder).mkdir()
        _, (path,) = asyncio.run(
            _generate(runtime, _request(prompt, seed=seed, resolution="360p"), tmp_path / folder)
        )
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return path.read_bytes(), frames[12]

    a_bytes, a = render("neon city", 7, "a")
    b_bytes, _ = render("neon city", 7, "b")
    _, c = render("a quiet forest", 7, "c")
    assert a_bytes == b_bytes
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 10


def test_number_of_videos_gives_distinct_videos(runtime: Runtime, tmp_path: Path) -> None:
    _, paths = asyncio.run(
        _generate(runtime, _request(number_of_videos=2, resolution="360p", seed=3), tmp_path)
    )
    assert len(paths) == 2
    assert paths[0].read_bytes() != paths[1].read_bytes()


def test_image_to_video_animates_the_image(runtime: Runtime, tmp_path: Path) -> None:
    image = ImageInput(data=make_png(320, 180, (10, 200, 30)), mime_type="image/png")
    _, (path,) = asyncio.run(
        _generate(
            runtime,
            _request(resolution="360p", aspect_ratio="16:9", duration_seconds=2),
            tmp_path,
            image=image,
        )
    )
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 48
    green = frames[0][..., 1].astype(int).mean()
    assert green > 120, "the first frame shows the (mostly green) image"
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1, "it moves"


def test_undecodable_image_is_a_400(runtime: Runtime) -> None:
    from reelgate.errors import ValidationError

    image = ImageInput(data=b"\x89PNG\r\n\x1a\nnot really", mime_type="image/png")
    with pytest.raises(ValidationError):
        asyncio.run(runtime.submit(_request(), runtime.context("local"), image=image))


def test_extend_continues_from_the_last_frame(runtime: Runtime, tmp_path: Path) -> None:
    async def scenario() -> tuple[Path, Path]:
        job, (first,) = await _generate(
            runtime, _request(resolution="360p", aspect_ratio="16:9"), tmp_path
        )
        extend = ExtendRequest.model_validate(
            {
                "prompt": "and then",
                "customer_id": "c1",
                "video_id": f"{job.provider_job_id}-0",
                "settings": {"video": {"model": "local", "duration_seconds": 2}},
            }
        )
        _, (longer,) = await _generate(
            runtime,
            extend,
            tmp_path,
            video=VideoInput(provider_video_id=f"{job.provider_job_id}-0"),
        )
        return first, longer

    first, longer = asyncio.run(scenario())
    before, after = _probe(first), _probe(longer)
    assert after["frames"] == before["frames"] + 48
    assert (after["width"], after["height"]) == (before["width"], before["height"])
    with av.open(str(first)) as a, av.open(str(longer)) as b:
        last = [f.to_ndarray(format="rgb24") for f in a.decode(video=0)][-1]
        joined = [f.to_ndarray(format="rgb24") for f in b.decode(video=0)]
    seam = joined[before["frames"]]
    assert np.abs(seam.astype(int) - last.astype(int)).mean() < 20, "continues the last frame"


def test_a_job_resumes_after_its_process_died(runtime: Runtime, tmp_path: Path) -> None:
    async def scenario() -> Succeeded:
        ctx = runtime.context("local")
        job = await runtime.submit(_request(resolution="360p"), ctx)
        # Forget every in-process render, as a new process would.
        for store in list(local_plugin._stores.values()):
            store._pool.shutdown(wait=True)
        local_plugin._stores.clear()
        for video in (tmp_path / "work" / "jobs" / job.provider_job_id).glob("video_*.mp4"):
            video.unlink()
        return await _finish(runtime, ProviderJob.model_validate_json(job.model_dump_json()))

    status = asyncio.run(scenario())
    assert len(status.videos) == 1 and status.videos[0].duration_seconds == pytest.approx(1.0)


def test_a_cancelled_render_stops_between_frames(tmp_path: Path) -> None:
    """With one render thread, a long job cancelled mid-render frees the thread at once: the
    next job does not wait for the cancelled one's frames."""
    asyncio.run(_cancel_then_render_next(tmp_path))


async def _cancel_then_render_next(tmp_path: Path) -> None:
    runtime = build_runtime(
        environ={
            "REELGATE_PLUGINS": "local",
            "REELGATE_LOCAL_DIR": str(tmp_path / "work"),
            "REELGATE_LOCAL_RENDER_WORKERS": "1",
        }
    )
    ctx = runtime.context("local")
    long = make_request(
        "a long one", customer_id="c1", model="local", duration_seconds=30, resolution="1080p"
    )
    job = await runtime.submit(long, ctx)
    for _ in range(600):  # until it renders
        status = await runtime.poll(job, ctx)
        if status.status == "running" and (status.progress or 0) > 0:
            break
        await asyncio.sleep(0.05)
    await runtime.cancel(job, ctx)
    loop = asyncio.get_running_loop()
    began = loop.time()
    _, paths = await _generate(runtime, _request("next"), tmp_path)
    assert _probe(paths[0])["frames"] > 0
    assert loop.time() - began < 20, "the next job ran as soon as the cancelled one stopped"
    assert not list((tmp_path / "work").rglob("*.partial")), "no half-written video is left"
