"""The three renderings of the local provider: text-to-video, image-to-video, extension."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from av.video.frame import VideoFrame

from reelgate_local.geometry import OutputFormat
from reelgate_local.media_io import ProgressFn, decode_frames, decode_image, encode_mp4, probe_video
from reelgate_local.scene import Frame, KenBurns, PromptScene, scene_seed


@dataclass(frozen=True)
class RenderSpec:
    """One video to render: the prompt and seed that make it, and its output format."""

    prompt: str
    seed: int | None
    fmt: OutputFormat


def render_text(spec: RenderSpec, out: Path, progress: ProgressFn | None = None) -> None:
    fmt = spec.fmt
    scene = PromptScene(spec.prompt, spec.seed, fmt.width, fmt.height)
    encode_mp4(
        out,
        scene.frames(fmt.frame_count, fmt.fps),
        fmt,
        scene_seed(spec.prompt, spec.seed),
        progress,
    )


def render_image(
    spec: RenderSpec, image: bytes, out: Path, progress: ProgressFn | None = None
) -> None:
    fmt = spec.fmt
    seed = scene_seed(spec.prompt, spec.seed)
    motion = KenBurns(decode_image(image), fmt.width, fmt.height, seed)
    last = max(1, fmt.frame_count - 1)
    frames = (motion.crop(i / last) for i in range(fmt.frame_count))
    encode_mp4(out, frames, fmt, seed, progress)


def render_extension(
    spec: RenderSpec, source: Path, out: Path, progress: ProgressFn | None = None
) -> OutputFormat:
    """Re-encode ``source`` and continue it for ``spec.fmt.duration_seconds`` from its last
    frame (a slow zoom over it with the prompt's orbs drifting in). The result keeps the
    source's size and frame rate; returns the format actually written."""
    width, height, rate, count = probe_video(source)
    fps = max(1, round(float(rate)))
    added = max(1, round(spec.fmt.duration_seconds * fps))
    fmt = OutputFormat(
        width - width % 2, height - height % 2, fps, (count + added) / fps, spec.fmt.audio
    )
    encode_mp4(
        out, _continued(source, spec, fmt, added), fmt, scene_seed(spec.prompt, spec.seed), progress
    )
    return fmt


def _continued(
    source: Path, spec: RenderSpec, fmt: OutputFormat, added: int
) -> Iterator[Frame | VideoFrame]:
    last: VideoFrame | None = None
    for frame in decode_frames(source):
        last = frame
        yield frame
    if last is None:
        raise ValueError("the video to extend holds no frames")
    still = np.asarray(last.to_ndarray(format="rgb24"), dtype=np.uint8)
    motion = KenBurns(still, fmt.width, fmt.height, scene_seed(spec.prompt, spec.seed), zoom=0.12)
    overlay = PromptScene(spec.prompt, spec.seed, fmt.width, fmt.height)
    for index in range(added):
        progress = (index + 1) / added
        base = (
            VideoFrame.from_ndarray(motion.crop(progress), format="rgb24")
            .reformat(width=fmt.width, height=fmt.height)
            .to_ndarray(format="rgb24")
        )
        blend = min(0.35, progress * 0.5)
        mixed = base * (1 - blend) + overlay.frame(index / fmt.fps) * blend
        yield mixed.astype(np.uint8)
