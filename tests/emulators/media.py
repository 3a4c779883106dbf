"""Real MP4 bytes for emulators to serve, made at run time with PyAV."""

from __future__ import annotations

import functools
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


@functools.cache
def sample_mp4(seconds: int = 1, width: int = 320, height: int = 180, fps: int = 24) -> bytes:
    """A small H.264 MP4: a colour ramp sliding across the frame."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.mp4"
        _encode(path, seconds, width, height, fps)
        return path.read_bytes()


def _encode(path: Path, seconds: int, width: int, height: int, fps: int) -> None:
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
