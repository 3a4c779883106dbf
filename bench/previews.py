"""What posters, thumbnails and sprite sheets add to the media check (issue 30): the check of
a noisy 8 s clip at 720p and 1080p (GOP 48), without previews (first frame and final group
decoded) and with them (the whole video decoded once, the poster, thumbnail and a 10-tile
sheet encoded), measured in the same run.

Prints, per clip: wall and CPU ms per check (median of BENCH_REPEATS, default 5) without and
with previews, the added ms and the ratio.

    .venv/bin/python bench/previews.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "flows" / "src")]

from bench.media_check import noisy_clip  # noqa: E402
from reelgate_flows.media_check import decode_slots, inspect_video  # noqa: E402
from reelgate_flows.previews import (  # noqa: E402
    PreviewMaker,
    SpriteSpec,
    decode_through,
    remove_previews,
)

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
CLIPS = {"720p": (1280, 720), "1080p": (1920, 1080)}


def one_check(path: Path, previews: bool) -> tuple[float, float]:
    """Wall and CPU (this process, every thread) ms of one check of ``path``."""
    through = decode_through(PreviewMaker(path, SpriteSpec())) if previews else None
    wall, cpu = time.perf_counter(), time.process_time()
    inspect_video(path, "video/mp4", 8.0, 1.0, decode_slots(), through)
    measured = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
    remove_previews(path)
    return measured


def median_check(path: Path, previews: bool) -> tuple[float, float]:
    one_check(path, previews)  # warm-up
    runs = [one_check(path, previews) for _ in range(REPEATS)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="reelgate-bench-previews-") as folder:
        print(f"media check of a noisy 8 s clip, GOP 48, median of {REPEATS} (ms)")
        print(
            f"  {'clip':6} {'without wall/cpu':>18} {'with wall/cpu':>16} {'added wall':>11} ratio"
        )
        for name, size in CLIPS.items():
            path = noisy_clip(Path(folder), name, size, 48)
            bare = median_check(path, False)
            full = median_check(path, True)
            print(
                f"  {name:6} {bare[0]:8.1f} /{bare[1]:7.1f} {full[0]:7.1f} /{full[1]:7.1f} "
                f"{full[0] - bare[0]:+10.1f} {full[0] / bare[0]:5.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
