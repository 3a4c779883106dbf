"""Checks that bytes are a whole, playable video before reelgate stores or sends them.

A provider's media endpoint may answer 200 with half a file (the connection was cut) or with
an error body; an extension input may be anything. :func:`inspect_video` reads rather than
decodes:

- it opens the container with PyAV, requires a video stream and a stated duration;
- it demuxes every packet of the video stream without decoding it: a packet the demuxer could
  not read whole (FFmpeg flags it corrupt: the file ends inside it) or a read error means the
  file is cut, and the last packet must end within :data:`END_SLACK_SECONDS` (or three frames)
  of the stated duration;
- it decodes only the first frame (its size is the video's) and the start of the final
  keyframe's group, at most :data:`END_FRAMES` frames (its packets were proven whole by the
  demux), the first frame beside it on a second core when a decode slot is free; or, when
  the caller makes previews (:mod:`reelgate_flows.previews`), the whole video in one pass;
- it compares the length with what was expected.

Without previews its cost does not grow with the video's length: one demux pass plus a few
frames. At most ``slots`` checks decode at once, each frame is dropped as soon as it is read,
and it is blocking code: callers run it in a thread.
"""

from __future__ import annotations

import functools
import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTAINER_FORMATS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
"""The PyAV (FFmpeg demuxer) format name each accepted media type must open as."""

END_SLACK_SECONDS = 0.2
"""How far before the stated end the last packet may stop (or three frames, if longer): a
whole file's packets reach its end, a cut one's stop where the bytes did."""
END_FRAMES = 8
"""The most frames of the final keyframe's group that are decoded, its keyframe first: that
group's data decodes (its packets, like all the others, were proven whole by the demux)."""


class UnplayableVideo(Exception):
    """The bytes are not a whole, playable video; the message says why, in words."""


@dataclass(frozen=True)
class VideoFacts:
    """What the check measured."""

    container: str
    codec: str
    width: int
    height: int
    duration_seconds: float
    last_frame_seconds: float
    has_audio: bool


@dataclass
class Scan:
    """What the demux pass read of the video stream."""

    packets: int = 0
    end_seconds: float | None = None
    first_keyframe_pts: int | None = None
    last_keyframe_pts: int | None = None


FullDecode = Callable[[Any, Any, Scan], tuple[int, int]]
"""A decode of the whole video in place of its ends (:mod:`reelgate_flows.previews`): from the
open container, its video stream and the scan, the first frame's size, or UnplayableVideo."""


@functools.cache
def decode_slots(count: int | None = None) -> threading.BoundedSemaphore:
    """The process's slots for checks that decode (``count``, default: the cores)."""
    return threading.BoundedSemaphore(count or os.cpu_count() or 1)


def inspect_video(
    source: Path | bytes,
    mime_type: str = "video/mp4",
    expected_seconds: float | None = None,
    tolerance_seconds: float = 1.0,
    slots: threading.Semaphore | None = None,
    decode: FullDecode | None = None,
) -> VideoFacts:
    """The facts of the video in ``source`` (a file or its bytes); raises
    :class:`UnplayableVideo` when it does not open as ``mime_type``'s container, has no video
    stream, a packet is missing or incomplete, its first frame or final group does not decode,
    or its duration is more than ``tolerance_seconds`` away from ``expected_seconds`` (when
    given). ``slots``: held for the whole check (see :func:`decode_slots`). ``decode``: decodes
    the whole video in place of its ends."""
    with slots or nullcontext():
        ends = _FirstFrame(source, slots) if decode is None else decode
        return _inspect(source, mime_type, expected_seconds, tolerance_seconds, ends)


def _open(source: Path | bytes) -> Any:
    """The container of ``source``, opened without the probe decoding a frame (this check
    decodes what it needs itself)."""
    import av

    handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        return av.open(  # type: ignore[call-overload]
            handle, mode="r", stream_options=[{"skip_frame": "all"}] * 8
        )
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnplayableVideo(f"not a video container ({_reason(exc)})") from None


def _decoding(stream: Any) -> Any:
    """``stream`` set to decode every frame on one thread (one core per decode: the slots
    spread them)."""
    stream.codec_context.skip_frame = "DEFAULT"
    stream.codec_context.thread_count = 1
    return stream


def _inspect(
    source: Path | bytes,
    mime_type: str,
    expected_seconds: float | None,
    tolerance_seconds: float,
    ends: _FirstFrame | FullDecode,
) -> VideoFacts:
    wanted = CONTAINER_FORMATS.get(mime_type.split(";")[0].strip().lower())
    container = _open(source)
    with container:
        names = set(container.format.name.split(","))
        if wanted is not None and wanted not in names:
            raise UnplayableVideo(
                f"a {container.format.name} container where {mime_type} was expected"
            )
        if not container.streams.video:
            raise UnplayableVideo("the container holds no video stream")
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise UnplayableVideo("the video stream's codec is not known")
        _decoding(stream)
        duration = _duration_seconds(container, stream)
        if duration is None or duration <= 0:
            raise UnplayableVideo("the container does not state a duration")
        scan = _scan(container, stream)
        _check_end(scan, duration, stream)
        width, height = _decode_ends(container, stream, scan, ends)
        if expected_seconds is not None and abs(duration - expected_seconds) > tolerance_seconds:
            raise UnplayableVideo(
                f"the video lasts {duration:.2f} s where {expected_seconds:g} s "
                f"(± {tolerance_seconds:g} s) was expected"
            )
        assert scan.end_seconds is not None
        return VideoFacts(
            container=container.format.name,
            codec=stream.codec_context.name,
            width=width,
            height=height,
            duration_seconds=duration,
            last_frame_seconds=scan.end_seconds,
            has_audio=bool(container.streams.audio),
        )


def _scan(container: Any, stream: Any) -> Scan:
    """One demux pass over the video stream, decoding nothing: every packet whole, where the
    last ends, where the first and the final keyframes are."""
    import av

    scan = Scan()
    time_base = stream.time_base
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the demuxer's flush packet
                continue
            scan.packets += 1
            if packet.is_corrupt:
                raise UnplayableVideo(
                    f"the video is cut short: its packet {scan.packets} is incomplete"
                )
            if packet.pts is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * time_base)
            scan.end_seconds = max(scan.end_seconds or 0.0, end)
            if packet.is_keyframe:
                if scan.first_keyframe_pts is None:
                    scan.first_keyframe_pts = packet.pts
                scan.last_keyframe_pts = packet.pts
    except av.error.FFmpegError as exc:
        raise UnplayableVideo(f"the video is cut short ({_reason(exc)})") from None
    if scan.first_keyframe_pts is None or scan.last_keyframe_pts is None:
        raise UnplayableVideo("the video stream has no keyframe")
    return scan


def _check_end(scan: Scan, duration: float, stream: Any) -> None:
    frame_seconds = 1.0 / float(stream.average_rate) if stream.average_rate else 0.1
    end = scan.end_seconds
    if end is None or end < duration - max(END_SLACK_SECONDS, 3 * frame_seconds):
        shown = "no packet" if end is None else f"its packets end at {end:.2f} s"
        raise UnplayableVideo(f"the video is cut short: it states {duration:.2f} s but {shown}")


class _FirstFrame:
    """The decode of the first frame, on another core when a decode slot is free (``aside``),
    else in the check's own thread."""

    def __init__(self, source: Path | bytes, slots: threading.Semaphore | None) -> None:
        self.source, self.slots = source, slots

    def aside(self, pts: int | None) -> Future[list[tuple[int, int]]] | None:
        """The first frame's decode started in another thread, holding a spare slot; None when
        no slot is spare (the caller decodes it itself)."""
        if self.slots is None or not self.slots.acquire(blocking=False):
            return None
        slots = self.slots
        try:
            return _aside_pool().submit(self._decode, pts, slots)
        except BaseException:
            slots.release()
            raise

    def _decode(self, pts: int | None, slots: threading.Semaphore) -> list[tuple[int, int]]:
        try:
            with _open(self.source) as container:
                stream = _decoding(container.streams.video[0])
                return _decode_from(container, stream, pts, 1)
        finally:
            slots.release()


@functools.cache
def _aside_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="reelgate-check")


def _decode_ends(
    container: Any, stream: Any, scan: Scan, first: _FirstFrame | FullDecode
) -> tuple[int, int]:
    """Decodes the first frame (its size is returned) and the start of the final keyframe's
    group (at most :data:`END_FRAMES` frames; the first group when it is the only one), each
    frame dropped as it comes; or, given a :data:`FullDecode`, the whole video with it."""
    import av

    if not isinstance(first, _FirstFrame):
        try:
            return first(container, stream, scan)
        except av.error.FFmpegError as exc:
            raise UnplayableVideo(f"the video does not decode ({_reason(exc)})") from None
    only_group = scan.first_keyframe_pts == scan.last_keyframe_pts
    beside = None if only_group else first.aside(scan.first_keyframe_pts)
    try:
        if only_group:
            decoded = opening = _decode_from(container, stream, scan.first_keyframe_pts, END_FRAMES)
        else:
            if beside is None:
                opening = _decode_from(container, stream, scan.first_keyframe_pts, 1)
            decoded = _decode_from(container, stream, scan.last_keyframe_pts, END_FRAMES)
            if beside is not None:
                opening = beside.result()
    except av.error.FFmpegError as exc:
        raise UnplayableVideo(f"the video does not decode ({_reason(exc)})") from None
    finally:
        if beside is not None and not beside.cancel():
            beside.exception()  # the decode beside ends with the check, whatever happened
    if not opening:
        raise UnplayableVideo("the first frame does not decode")
    if not decoded:
        raise UnplayableVideo("the final keyframe does not decode")
    return opening[0]


def _decode_from(container: Any, stream: Any, pts: int | None, most: int) -> list[tuple[int, int]]:
    """The sizes of up to ``most`` frames decoded from the keyframe at ``pts`` on."""
    container.seek(pts, stream=stream, backward=True)
    sizes: list[tuple[int, int]] = []
    for packet in container.demux(stream):
        for frame in packet.decode():
            sizes.append((int(frame.width), int(frame.height)))
            if len(sizes) >= most:
                return sizes
    return sizes


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__


def _duration_seconds(container: object, stream: object) -> float | None:
    stream_duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if stream_duration and time_base:
        return float(stream_duration * time_base)
    container_duration = getattr(container, "duration", None)
    return container_duration / 1_000_000 if container_duration else None
