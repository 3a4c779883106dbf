"""Joining a storyboard's shots into one MP4 with PyAV.

When every shot has the same codec, size and frame rate (and the same audio, or none), the
packets are copied (stream copy, timestamps shifted per shot); otherwise the shots are decoded
and encoded once to the first shot's size and frame rate (H.264; AAC audio, with silence
where a shot has none). :func:`seam_scores` says how far apart the frames on each side of a
seam are (mean absolute difference of small grey images, 0 = the same picture, 1 = opposite),
so a bad jump is visible. Blocking code: run it in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

AUDIO_RATE = 48_000
SEAM_SIZE = (64, 36)


@dataclass(frozen=True)
class ShotMedia:
    """What the join needs to know of one shot's file."""

    path: Path
    codec: str
    width: int
    height: int
    rate: Fraction
    seconds: float
    audio: tuple[str, int, int] | None
    """The audio's codec, sample rate and channels; None without audio."""


def probe(path: Path) -> ShotMedia:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        rate = Fraction(video.average_rate or 24)
        base = video.time_base or Fraction(1, 1)
        seconds = float(video.duration * base) if video.duration else 0.0
        return ShotMedia(
            path=path,
            codec=video.codec_context.name,
            width=int(video.codec_context.width),
            height=int(video.codec_context.height),
            rate=rate,
            seconds=seconds or float(container.duration or 0) / 1_000_000,
            audio=None
            if audio is None
            else (audio.codec_context.name, int(audio.rate or 0), int(audio.channels or 0)),
        )


def join(paths: list[Path], out: Path) -> str:
    """Join the videos at ``paths`` into ``out``; ``"stream_copy"`` or ``"re_encode"``."""
    shots = [probe(path) for path in paths]
    first = shots[0]
    same_video = all(
        (s.codec, s.width, s.height, s.rate) == (first.codec, first.width, first.height, first.rate)
        for s in shots
    )
    same_audio = len({s.audio for s in shots}) == 1
    if same_video and same_audio:
        _copy(shots, out)
        return "stream_copy"
    _encode(shots, out)
    return "re_encode"


def _copy(shots: list[ShotMedia], out: Path) -> None:
    with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        with av.open(str(shots[0].path)) as template:
            video_out: Any = output.add_stream_from_template(template.streams.video[0])
            audio_out: Any = (
                output.add_stream_from_template(template.streams.audio[0])
                if template.streams.audio
                else None
            )
        offset = 0.0
        next_dts: dict[str, int] = {}  # per stream type: the first dts still free
        for shot in shots:
            with av.open(str(shot.path)) as source:
                streams = [source.streams.video[0], *source.streams.audio[:1]]
                shifts: dict[str, int] = {}
                for packet in source.demux(streams):
                    if packet.dts is None:
                        continue
                    kind = packet.stream.type
                    if kind not in shifts:  # the shot's start, never before what was written
                        wanted = round(offset / packet.time_base)
                        free = next_dts.get(kind)
                        shifts[kind] = wanted if free is None else max(wanted, free - packet.dts)
                    shift = shifts[kind]
                    packet.pts = None if packet.pts is None else packet.pts + shift
                    packet.dts += shift
                    next_dts[kind] = packet.dts + max(int(packet.duration or 0), 1)
                    packet.stream = video_out if kind == "video" else audio_out
                    output.mux(packet)
            offset += shot.seconds


def _encode(shots: list[ShotMedia], out: Path) -> None:
    first = shots[0]
    with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        video = output.add_stream("libx264", rate=first.rate)
        video.width, video.height, video.pix_fmt = first.width, first.height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "20"}  # one pass, near the sources' look
        audio = None
        if any(shot.audio for shot in shots):
            audio = output.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        frames = 0
        samples = 0
        for shot in shots:
            frames = _encode_video(shot, output, video, frames, first.rate)
            if audio is not None:
                samples = _encode_audio(shot, output, audio, samples, frames / float(first.rate))
        output.mux(video.encode(None))
        if audio is not None:
            output.mux(audio.encode(None))


def _encode_video(shot: ShotMedia, output: Any, stream: Any, frames: int, rate: Fraction) -> int:
    """Encode the shot after the ``frames`` already written, at ``rate``: each source frame is
    repeated or dropped so that the shot keeps its length."""
    start = frames / rate
    step = 1 / shot.rate
    with av.open(str(shot.path)) as source:
        for index, frame in enumerate(source.decode(video=0)):
            until = start + (index + 1) * step
            scaled = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            while frames / rate < until - Fraction(1, 1000):
                scaled.pts, scaled.time_base = frames, 1 / rate
                output.mux(stream.encode(scaled))
                frames += 1
    return frames


def _encode_audio(shot: ShotMedia, output: Any, stream: Any, samples: int, until: float) -> int:
    """The shot's audio resampled to 48 kHz stereo, or silence; padded to ``until`` seconds."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    if shot.audio is not None:
        with av.open(str(shot.path)) as source:
            for frame in source.decode(audio=0):
                for chunk in resampler.resample(frame):
                    samples = _mux_audio(chunk, output, stream, samples, until)
    while samples < round(until * AUDIO_RATE):
        size = min(1024, round(until * AUDIO_RATE) - samples)
        silence = av.AudioFrame.from_ndarray(
            np.zeros((2, size), np.float32), format="fltp", layout="stereo"
        )
        silence.sample_rate = AUDIO_RATE
        samples = _mux_audio(silence, output, stream, samples, until)
    return samples


def _mux_audio(frame: Any, output: Any, stream: Any, samples: int, until: float) -> int:
    room = round(until * AUDIO_RATE) - samples
    if room <= 0:
        return samples
    frame.pts, frame.time_base = samples, Fraction(1, AUDIO_RATE)
    output.mux(stream.encode(frame))
    return samples + min(int(frame.samples), room)


def _grey(frame: Any) -> Any:
    image = frame.reformat(width=SEAM_SIZE[0], height=SEAM_SIZE[1], format="gray")
    return image.to_ndarray().astype(np.float32)


def _last_frame(container: Any) -> Any:
    """The last frame: decoded from the final keyframe on (seeking there), not the whole video."""
    stream = container.streams.video[0]
    keyframe = None
    for packet in container.demux(stream):
        if packet.is_keyframe and packet.pts is not None:
            keyframe = packet.pts
    last = None
    if keyframe is not None:
        container.seek(keyframe, stream=stream, backward=True)
        for frame in container.decode(stream):
            last = frame
    return last


def _ends(path: Path) -> tuple[Any, Any]:
    """Small grey copies of the first and the last frame of the video at ``path``."""
    with av.open(str(path)) as source:
        first = next(source.decode(video=0), None)
        grey_first = None if first is None else _grey(first)
        source.seek(0)
        last = _last_frame(source)
    if grey_first is None or last is None:
        raise ValueError(f"{path.name} holds no frame")
    return grey_first, _grey(last)


def seam_scores(paths: list[Path]) -> list[float]:
    """The difference between the last frame of each shot and the first of the next (0-1)."""
    ends = [_ends(path) for path in paths]
    return [
        round(float(np.abs(ends[k][1] - ends[k + 1][0]).mean()) / 255, 4)
        for k in range(len(ends) - 1)
    ]


def last_frame_jpeg(path: Path, quality: int = 90) -> bytes:
    """The last frame of the video at ``path`` as a JPEG (the next shot's first frame)."""
    import io

    with av.open(str(path)) as source:
        last = _last_frame(source)
    if last is None:
        raise ValueError(f"{path.name} holds no frame")
    out = io.BytesIO()
    last.to_image().save(out, "JPEG", quality=quality)
    return out.getvalue()
