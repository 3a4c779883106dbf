"""The media check as it was before it read rather than decoded (git 0799ce6): it decoded the
first frame and every frame from the keyframe before the last second. Kept as the baseline
of bench/media_check.py only.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from reelgate_flows.media_check import CONTAINER_FORMATS, UnplayableVideo, VideoFacts

END_SLACK_SECONDS = 0.2


def inspect_video(
    source: Path | bytes,
    mime_type: str = "video/mp4",
    expected_seconds: float | None = None,
    tolerance_seconds: float = 1.0,
) -> VideoFacts:
    """The facts of the video in ``source`` (a file or its bytes); raises
    :class:`UnplayableVideo` when it does not open as ``mime_type``'s container, has no video
    stream, its first or last second does not decode, or its duration is more than
    ``tolerance_seconds`` away from ``expected_seconds`` (when given)."""
    import av

    wanted = CONTAINER_FORMATS.get(mime_type.split(";")[0].strip().lower())
    handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        container = av.open(handle, mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnplayableVideo(f"not a video container ({_reason(exc)})") from None
    with container:
        names = set(container.format.name.split(","))
        if wanted is not None and wanted not in names:
            raise UnplayableVideo(
                f"a {container.format.name} container where {mime_type} was expected"
            )
        if not container.streams.video:
            raise UnplayableVideo("the container holds no video stream")
        stream = container.streams.video[0]
        duration = _duration_seconds(container, stream)
        if duration is None or duration <= 0:
            raise UnplayableVideo("the container does not state a duration")
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError as exc:
            raise UnplayableVideo(f"the first frame does not decode ({_reason(exc)})") from None
        if first is None:
            raise UnplayableVideo("the video stream holds no frame")
        width, height = first.width, first.height
        last = _last_frame_seconds(container, stream, duration)
        frame_seconds = 1.0 / float(stream.average_rate) if stream.average_rate else 0.1
        if last is None or last < duration - max(END_SLACK_SECONDS, 3 * frame_seconds):
            shown = "no frame" if last is None else f"the last frame at {last:.2f} s"
            raise UnplayableVideo(
                f"the video is cut short: it states {duration:.2f} s but {shown} decodes"
            )
        if expected_seconds is not None and abs(duration - expected_seconds) > tolerance_seconds:
            raise UnplayableVideo(
                f"the video lasts {duration:.2f} s where {expected_seconds:g} s "
                f"(± {tolerance_seconds:g} s) was expected"
            )
        return VideoFacts(
            container=container.format.name,
            codec=stream.codec_context.name,
            width=width,
            height=height,
            duration_seconds=duration,
            last_frame_seconds=last,
            has_audio=bool(container.streams.audio),
        )


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__


def _duration_seconds(container: object, stream: object) -> float | None:
    stream_duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if stream_duration and time_base:
        return float(stream_duration * time_base)
    container_duration = getattr(container, "duration", None)
    return container_duration / 1_000_000 if container_duration else None


def _last_frame_seconds(container: object, stream: object, duration: float) -> float | None:
    """The end time of the last frame that decodes, seeking to about a second before the end
    (None when nothing there decodes)."""
    import av

    assert isinstance(container, av.container.InputContainer)
    assert isinstance(stream, av.VideoStream)
    time_base = stream.time_base
    assert time_base is not None
    target = max(0.0, duration - 1.0)
    last: float | None = None
    try:
        container.seek(math.floor(target / time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is not None:
                frame_length = float(frame.duration * time_base) if frame.duration else 0.0
                last = max(last or 0.0, frame.time + frame_length)
    except av.error.FFmpegError:
        return last
    return last
