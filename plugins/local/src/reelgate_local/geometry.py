"""Output frame sizes for an aspect ratio and resolution (even dimensions, as H.264 needs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputFormat:
    width: int
    height: int
    fps: int
    duration_seconds: float
    audio: bool

    @property
    def frame_count(self) -> int:
        return max(1, round(self.duration_seconds * self.fps))


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height) whose short side is the resolution's lines, e.g. 9:16 at 720p → 720x1280."""
    short = int(resolution.rstrip("p"))
    w_ratio, h_ratio = (int(part) for part in aspect_ratio.split(":"))
    if w_ratio >= h_ratio:
        return _even(short * w_ratio / h_ratio), _even(short)
    return _even(short), _even(short * h_ratio / w_ratio)


def _even(value: float) -> int:
    return max(2, round(value / 2.0) * 2)
