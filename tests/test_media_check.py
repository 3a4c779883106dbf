"""The media check reads rather than decodes, and still refuses every broken file the fault
matrix makes: cut at 50 %, 99 % and 200 bytes (and one packet short), an error body, a wrong
container and a wrong length; on a short GOP and on a long one (a single keyframe, where the
final keyframe's group is the whole video). At most ``slots`` threads decode at once."""

from __future__ import annotations

import functools
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest

from reelgate_flows.media_check import UnplayableVideo, inspect_video


@functools.cache
def encoded(gop: int, faststart: bool = True, seconds: int = 3) -> bytes:
    """A 320x180 H.264 MP4 at 24 fps with a keyframe every ``gop`` frames, moving noise."""
    import av
    import numpy as np

    options = {"movflags": "+faststart"} if faststart else {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        with av.open(str(path), "w", format="mp4", options=options) as container:
            stream = container.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
            stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0"}
            noise = np.random.default_rng(7).integers(0, 255, (180, 320, 3), dtype=np.uint8)
            for index in range(seconds * 24):
                frame = av.VideoFrame.from_ndarray(np.roll(noise, index * 4, axis=1), "rgb24")
                frame.pts, frame.time_base = index, Fraction(1, 24)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


CUTS: dict[str, Callable[[bytes], bytes]] = {
    "cut at 50 %": lambda data: data[: len(data) // 2],
    "cut at 99 %": lambda data: data[: len(data) * 99 // 100],
    "cut 100 bytes short": lambda data: data[:-100],
    "cut at 200 bytes": lambda data: data[:200],
    "an error body": lambda _data: b'{"error": {"message": "internal error"}}',
}


@pytest.mark.parametrize("gop", [12, 250], ids=["short-gop", "one-keyframe"])
@pytest.mark.parametrize("faststart", [True, False], ids=["moov-first", "moov-last"])
@pytest.mark.parametrize("broken", sorted(CUTS))
def test_every_broken_file_of_the_fault_matrix_is_refused(
    gop: int, faststart: bool, broken: str
) -> None:
    whole = encoded(gop, faststart)
    facts = inspect_video(whole, expected_seconds=3)
    assert (facts.width, facts.height, facts.duration_seconds) == (320, 180, 3.0)
    with pytest.raises(UnplayableVideo):
        inspect_video(CUTS[broken](whole))


def test_a_wrong_container_and_a_wrong_length_are_refused() -> None:
    whole = encoded(12)
    with pytest.raises(UnplayableVideo, match="webm was expected"):
        inspect_video(whole, mime_type="video/webm")
    with pytest.raises(UnplayableVideo, match="where 8 s"):
        inspect_video(whole, expected_seconds=8, tolerance_seconds=1)


def test_the_cut_is_told_in_words() -> None:
    whole = encoded(12)
    with pytest.raises(UnplayableVideo, match="cut short"):
        inspect_video(whole[: len(whole) * 99 // 100])


def test_decodes_never_outnumber_the_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight checks on two slots, each decoding its first frame beside its final group when
    a slot is spare: never more than two threads decode at once."""
    from reelgate_flows import media_check

    inside, most, lock = 0, 0, threading.Lock()
    real = media_check._decode_from

    def counted(*args: object) -> list[tuple[int, int]]:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.02)
        try:
            return real(*args)  # type: ignore[arg-type]
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(media_check, "_decode_from", counted)
    slots = threading.BoundedSemaphore(2)
    whole = encoded(12)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: inspect_video(whole, slots=slots), range(8)))
    assert len(results) == 8 and most == 2


@pytest.mark.parametrize(("spare", "threads"), [(True, 2), (False, 1)])
def test_a_spare_slot_decodes_the_first_frame_beside_the_final_group(
    monkeypatch: pytest.MonkeyPatch, spare: bool, threads: int
) -> None:
    from reelgate_flows import media_check

    seen: set[str] = set()
    real = media_check._decode_from

    def where(*args: object) -> list[tuple[int, int]]:
        seen.add(threading.current_thread().name)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(media_check, "_decode_from", where)
    slots = threading.BoundedSemaphore(2 if spare else 1)
    facts = inspect_video(encoded(12), expected_seconds=3, slots=slots)
    assert (facts.width, facts.height) == (320, 180) and len(seen) == threads
    assert all(slots.acquire(blocking=False) for _ in range(2 if spare else 1))  # all given back
