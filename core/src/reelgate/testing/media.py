"""Media made at run time: tiny PNG and MP4 containers with the standard library only, and
real H.264 MP4s with PyAV (``reelgate-core[testing]``)."""

from __future__ import annotations

import functools
import struct
import tempfile
import zlib
from fractions import Fraction
from pathlib import Path


def make_png(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A valid RGB PNG of one colour with a diagonal stripe, so it is not uniform."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes((255, 255, 255)) if abs(x - y) < 3 else bytes(rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def minimal_mp4(payload: bytes = b"") -> bytes:
    """An ISO-BMFF file with an ``ftyp`` box and an ``mdat`` box holding ``payload``.
    Recognised as MP4 by its signature; it has no playable track."""
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    mdat = b"mdat" + payload
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat


@functools.cache
def sample_mp4(seconds: int = 1, width: int = 320, height: int = 180, fps: int = 24) -> bytes:
    """A small H.264 MP4: a colour ramp sliding across the frame."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.mp4"
        _encode(path, seconds, width, height, fps)
        return path.read_bytes()


def clip(seconds: float) -> bytes:
    """A small H.264 MP4 lasting ``seconds`` (rounded to whole seconds, at least one): what an
    emulated provider serves for a job of that length."""
    return sample_mp4(max(1, round(seconds)), 160, 96, 12)


def padded_mp4(size: int) -> bytes:
    """A playable one-second MP4 of at least ``size`` bytes: :func:`sample_mp4` followed by a
    ``free`` box (which players skip) of the missing length."""
    video = sample_mp4(1)
    missing = max(8, size - len(video))
    return video + struct.pack(">I", missing) + b"free" + bytes(missing - 8)


def _encode(path: Path, seconds: int, width: int, height: int, fps: int) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
        for index in range(seconds * fps):
            shift = (ramp + index * 8) % 256
            frame_array = np.broadcast_to(shift, (height, width, 3)).astype(np.uint8).copy()
            frame_array[..., 2] = 255 - frame_array[..., 0]
            frame = av.VideoFrame.from_ndarray(frame_array, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
