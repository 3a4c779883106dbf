"""PyAV encoding and decoding: H.264 yuv420p MP4 with faststart and an optional AAC track."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.frame import VideoFrame

from reelgate_local.geometry import OutputFormat
from reelgate_local.scene import Frame

AUDIO_RATE = 48_000
ProgressFn = Callable[[float], None]


def encode_mp4(
    path: Path,
    frames: Iterable[Frame | VideoFrame],
    fmt: OutputFormat,
    audio_seed: int,
    progress: ProgressFn | None = None,
) -> None:
    """Encode ``fmt.frame_count`` frames to ``path`` atomically (written beside it, then renamed).

    Frames that are not already ``fmt.width`` x ``fmt.height`` are scaled by swscale.
    """
    tmp = path.with_name(f".{path.name}.partial")
    total = fmt.frame_count
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=fmt.fps)
        video.width, video.height, video.pix_fmt = fmt.width, fmt.height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23"}
        video.codec_context.thread_type = "FRAME"
        audio = container.add_stream("aac", rate=AUDIO_RATE, layout="stereo") if fmt.audio else None
        tone = _Tone(audio_seed) if audio is not None else None
        samples_done = 0
        for index, source in enumerate(frames):
            if index >= total:
                break
            frame = _to_video_frame(source, fmt)
            frame.pts = index
            frame.time_base = Fraction(1, fmt.fps)
            container.mux(video.encode(frame))
            if audio is not None and tone is not None:
                until = (index + 1) * AUDIO_RATE // fmt.fps
                container.mux(audio.encode(tone.frame(samples_done, until - samples_done)))
                samples_done = until
            if progress is not None and (index % 8 == 0 or index == total - 1):
                progress((index + 1) / total)
        container.mux(video.encode(None))
        if audio is not None:
            container.mux(audio.encode(None))
    os.replace(tmp, path)


def _to_video_frame(source: Frame | VideoFrame, fmt: OutputFormat) -> VideoFrame:
    frame = (
        source
        if isinstance(source, VideoFrame)
        else VideoFrame.from_ndarray(source, format="rgb24")
    )
    if (frame.width, frame.height, frame.format.name) != (fmt.width, fmt.height, "yuv420p"):
        frame = frame.reformat(width=fmt.width, height=fmt.height, format="yuv420p")
    return frame


class _Tone:
    """A soft chord whose notes come from the seed: a real, audible stereo track."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        base = float(rng.uniform(180, 320))
        self.freqs = np.array([base, base * 1.25, base * 1.5], dtype=np.float64)

    def frame(self, start: int, count: int) -> av.AudioFrame:
        t = (np.arange(start, start + count, dtype=np.float64) / AUDIO_RATE)[None, :]
        wave = np.sin(2 * np.pi * self.freqs[:, None] * t).sum(axis=0) / len(self.freqs)
        envelope = 0.25 * (0.75 + 0.25 * np.sin(2 * np.pi * 0.5 * t[0]))
        mono = (wave * envelope).astype(np.float32)
        stereo = np.stack([mono, mono * 0.9]).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        return frame


def decode_image(data: bytes) -> Frame:
    """The first frame of an image file (PNG, JPEG, WebP...) as an RGB array."""
    with av.open(io.BytesIO(data), mode="r") as container:
        for frame in container.decode(video=0):
            return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
    raise ValueError("the image holds no picture")


def probe_video(path: Path) -> tuple[int, int, Fraction, int]:
    """(width, height, frame rate, frame count) of a video file's first video stream."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or Fraction(24)
        count = stream.frames or sum(1 for _ in container.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, rate, count


def decode_frames(path: Path) -> Iterator[VideoFrame]:
    """Every frame of a video file's first video stream, in order."""
    with av.open(str(path)) as container:
        yield from container.decode(video=0)
