"""The local provider's 5 s 720p render against encoding the same frames with the ffmpeg CLI.

Both encode identical frames (PromptScene) with libx264 veryfast, CRF 23, yuv420p, faststart.
The ffmpeg side gets raw RGB frames on a pipe, as a hand-rolled script would do.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

from reelgate_local.geometry import OutputFormat, frame_size
from reelgate_local.render import RenderSpec, render_text
from reelgate_local.scene import PromptScene

PROMPT, SEED, RUNS = "a paper lantern drifting over a night lake", 1, 3


def reelgate_render(out: Path, fmt: OutputFormat) -> float:
    start = time.perf_counter()
    render_text(RenderSpec(PROMPT, SEED, fmt), out)
    return time.perf_counter() - start


def ffmpeg_render(out: Path, fmt: OutputFormat) -> float:
    start = time.perf_counter()
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{fmt.width}x{fmt.height}",
        "-r",
        str(fmt.fps),
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(out),
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert process.stdin is not None
    scene = PromptScene(PROMPT, SEED, fmt.width, fmt.height)
    for frame in scene.frames(fmt.frame_count, fmt.fps):
        process.stdin.write(frame.tobytes())
    process.stdin.close()
    assert process.wait() == 0
    return time.perf_counter() - start


def frames_only(fmt: OutputFormat) -> float:
    start = time.perf_counter()
    for _ in PromptScene(PROMPT, SEED, fmt.width, fmt.height).frames(fmt.frame_count, fmt.fps):
        pass
    return time.perf_counter() - start


def main() -> None:
    width, height = frame_size("16:9", "720p")
    fmt = OutputFormat(width, height, 24, 5.0, audio=False)
    with tempfile.TemporaryDirectory() as tmp:
        ours = min(reelgate_render(Path(tmp) / "r.mp4", fmt) for _ in range(RUNS))
        theirs = min(ffmpeg_render(Path(tmp) / "f.mp4", fmt) for _ in range(RUNS))
        scene = min(frames_only(fmt) for _ in range(RUNS))
        sizes = ((Path(tmp) / "r.mp4").stat().st_size, (Path(tmp) / "f.mp4").stat().st_size)
    print(f"5 s 720p, {fmt.frame_count} frames, best of {RUNS}")
    print(f"  drawing the frames alone     {scene:6.2f} s")
    print(f"  reelgate local (PyAV)        {ours:6.2f} s   {sizes[0]:>9} bytes")
    print(f"  same frames -> ffmpeg CLI    {theirs:6.2f} s   {sizes[1]:>9} bytes")
    print(f"  ratio reelgate / ffmpeg CLI  {ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
