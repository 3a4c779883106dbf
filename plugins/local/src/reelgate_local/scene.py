"""Frame sources: an animated scene derived from a prompt, and a pan/zoom over a still image.

Everything is deterministic for a given prompt and seed. Frames are ``uint8`` RGB arrays of
shape (height, width, 3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]


def scene_seed(prompt: str, seed: int | None) -> int:
    digest = hashlib.sha256(f"{prompt}\x00{seed if seed is not None else ''}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class _Orb:
    color: npt.NDArray[np.float32]
    radius: float
    center: tuple[float, float]
    amplitude: tuple[float, float]
    speed: tuple[float, float]
    phase: tuple[float, float]


class PromptScene:
    """A sky-like gradient whose colours drift, with glowing orbs on Lissajous paths."""

    def __init__(self, prompt: str, seed: int | None, width: int, height: int) -> None:
        rng = np.random.default_rng(scene_seed(prompt, seed))
        self.width, self.height = width, height
        self.top = rng.uniform(0, 255, 3).astype(np.float32)
        self.bottom = rng.uniform(0, 255, 3).astype(np.float32)
        self.drift = rng.uniform(-40, 40, 3).astype(np.float32)
        short = min(width, height)
        self.orbs = [
            _Orb(
                color=rng.uniform(80, 255, 3).astype(np.float32),
                radius=float(rng.uniform(0.06, 0.16) * short),
                center=(float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7))),
                amplitude=(float(rng.uniform(0.1, 0.3)), float(rng.uniform(0.1, 0.3))),
                speed=(float(rng.uniform(0.2, 0.9)), float(rng.uniform(0.2, 0.9))),
                phase=(float(rng.uniform(0, 6.28)), float(rng.uniform(0, 6.28))),
            )
            for _ in range(int(rng.integers(3, 7)))
        ]
        self._ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        self._base = np.empty((height, width, 3), dtype=np.float32)

    def frame(self, t: float) -> Frame:
        """The scene at ``t`` seconds."""
        wobble = np.float32(np.sin(t * 0.7))
        top = np.clip(self.top + self.drift * wobble, 0, 255)
        bottom = np.clip(self.bottom - self.drift * wobble, 0, 255)
        column = top[None, None, :] * (1 - self._ramp) + bottom[None, None, :] * self._ramp
        img = self._base
        img[:] = column
        for orb in self.orbs:
            cx = orb.center[0] + orb.amplitude[0] * np.sin(orb.speed[0] * t * 2 + orb.phase[0])
            cy = orb.center[1] + orb.amplitude[1] * np.cos(orb.speed[1] * t * 2 + orb.phase[1])
            _draw_orb(img, cx * self.width, cy * self.height, orb.radius, orb.color)
        return img.astype(np.uint8)

    def frames(self, count: int, fps: int, start: float = 0.0) -> Iterator[Frame]:
        for index in range(count):
            yield self.frame(start + index / fps)


def _draw_orb(
    img: npt.NDArray[np.float32],
    cx: float,
    cy: float,
    radius: float,
    color: npt.NDArray[np.float32],
) -> None:
    height, width = img.shape[:2]
    reach = radius * 1.6
    x0, x1 = max(0, int(cx - reach)), min(width, int(cx + reach) + 1)
    y0, y1 = max(0, int(cy - reach)), min(height, int(cy + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] - cy
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] - cx
    dist = np.sqrt(xs * xs + ys * ys) / radius
    alpha = np.clip(1.6 - dist, 0.0, 1.0)[:, :, None] * 0.85
    region = img[y0:y1, x0:x1]
    region += (color - region) * alpha


class KenBurns:
    """A slow zoom and pan over a still image, cropped to cover the output aspect ratio."""

    def __init__(self, image: Frame, width: int, height: int, seed: int, zoom: float = 0.18):
        self.image = _cover_crop(image, width / height)
        self.width, self.height = width, height
        rng = np.random.default_rng(seed)
        self.zoom = zoom
        self.pan = (float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1)))

    def crop(self, progress: float) -> Frame:
        """The window of the image shown at ``progress`` in [0, 1] (not yet resized)."""
        src_h, src_w = self.image.shape[:2]
        scale = 1.0 - self.zoom * progress
        crop_w, crop_h = max(2, int(src_w * scale)), max(2, int(src_h * scale))
        free_x, free_y = src_w - crop_w, src_h - crop_h
        x = int(free_x * (0.5 + 0.5 * self.pan[0] * progress))
        y = int(free_y * (0.5 + 0.5 * self.pan[1] * progress))
        return np.ascontiguousarray(self.image[y : y + crop_h, x : x + crop_w])


def _cover_crop(image: Frame, aspect: float) -> Frame:
    height, width = image.shape[:2]
    if width / height > aspect:
        new_w = max(2, int(height * aspect))
        x = (width - new_w) // 2
        return image[:, x : x + new_w]
    new_h = max(2, int(width / aspect))
    y = (height - new_h) // 2
    return image[y : y + new_h, :]
