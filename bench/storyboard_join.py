"""What joining a storyboard costs (issue 31): five 8 s 720p shots (noisy H.264, 24 fps, a
keyframe every 48 frames), joined by stream copy (the shots alike) and by one re-encode (the
last shot at another frame rate forces it), with the seam scores; median of BENCH_REPEATS
(default 3) in the same run.

    .venv/bin/python bench/storyboard_join.py
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
from reelgate_flows import joining  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SHOTS = 5


def timed(action: object) -> float:
    runs = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="reelgate-bench-join-") as name:
        folder = Path(name)
        clip = noisy_clip(folder, "720p", (1280, 720), 48)
        alike = [clip] * SHOTS
        copy = timed(lambda: joining.join(alike, folder / "copy.mp4"))
        other = folder / "other.mp4"
        import av

        with av.open(str(clip)) as source, av.open(str(other), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=25)
            stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
            stream.options = {"preset": "ultrafast"}
            for frame in source.decode(video=0):
                frame.pts = None
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        mixed = [clip] * (SHOTS - 1) + [other]
        encode = timed(lambda: joining.join(mixed, folder / "encode.mp4"))
        seams = timed(lambda: joining.seam_scores(alike))
        print(f"joining {SHOTS} shots of 8 s at 720p (median of {REPEATS})")
        print(f"  stream copy   {copy * 1000:8.0f} ms   1.0x")
        print(f"  re-encode     {encode * 1000:8.0f} ms   {encode / copy:.0f}x")
        print(f"  seam scores   {seams * 1000:8.0f} ms   (first and last frames of each shot)")


if __name__ == "__main__":
    main()
