"""CPU and memory of the media check, today's against the one before it (bench/
media_check_before.py, measured in the same run): noisy 8 s clips at 1080p and 2160p, with a
GOP of 48 frames and of 250 (one keyframe: the final keyframe's group is the whole video).

Prints, per clip: CPU ms per check (median of BENCH_REPEATS, default 5) before and after and
their ratio; then the peak RSS of one process running 20 checks of the 2160p clip at once
(threads; today's bounded by its decode slots, the default: the cores), before and after.

    .venv/bin/python bench/media_check.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(BENCH), str(BENCH / "flows" / "src")]

from bench import media_check_before  # noqa: E402
from reelgate_flows import media_check  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
CLIPS = {"1080p": (1920, 1080), "2160p": (3840, 2160)}


def noisy_clip(folder: Path, name: str, size: tuple[int, int], gop: int, seconds: int = 8) -> Path:
    """An H.264 MP4 (moov first) of moving noise: the hardest case for a decoder."""
    import av
    import numpy as np

    path = folder / f"{name}-gop{gop}.mp4"
    width, height = size
    rng = np.random.default_rng(3)
    base = rng.integers(0, 160, (height, width, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
            "preset": "ultrafast",
            "crf": "30",
        }
        for index in range(seconds * 24):
            grain = rng.integers(0, 60, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(np.roll(base, index * 8, axis=1) + grain, "rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 24)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def cpu_ms(check: object, path: Path) -> float:
    """The median CPU time of one check, in ms (the whole process: FFmpeg decodes in threads
    of its own)."""
    samples = []
    check(path)  # type: ignore[operator]  # warm
    for _ in range(REPEATS):
        began = time.process_time()
        check(path)  # type: ignore[operator]
        samples.append((time.process_time() - began) * 1000)
    return statistics.median(samples)


def _rss_mib() -> float:
    """This process's resident memory now, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_of_twenty(which: str, path: str) -> None:
    """In its own process: 20 checks at once; prints how far the RSS rose above where it was
    (sampled every 5 ms), in MiB."""
    if which == "before":
        check = media_check_before.inspect_video
        calls = [lambda: check(Path(path))] * 20
    else:
        slots = media_check.decode_slots(None)
        calls = [lambda: media_check.inspect_video(Path(path), slots=slots)] * 20
    import av  # noqa: F401  # loaded before the baseline

    baseline, peak, done = _rss_mib(), 0.0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_mib())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with ThreadPoolExecutor(20) as pool:
        for future in [pool.submit(call) for call in calls]:
            future.result()
    done.set()
    sampler.join()
    print(f"{peak - baseline:.0f}")


def main() -> None:
    if len(sys.argv) == 3:
        peak_rss_of_twenty(sys.argv[1], sys.argv[2])
        return
    folder = Path(tempfile.mkdtemp(prefix="reelgate-bench-check-"))
    print(f"{'clip':<16}{'before ms':>10}{'after ms':>10}{'ratio':>8}")
    big = None
    for name, size in CLIPS.items():
        for gop in (48, 250):
            path = noisy_clip(folder, name, size, gop)
            big = path if name == "2160p" and gop == 250 else big
            old = cpu_ms(media_check_before.inspect_video, path)
            new = cpu_ms(media_check.inspect_video, path)
            label = f"{name} gop {gop}"
            print(f"{label:<16}{old:>10.1f}{new:>10.1f}{old / new:>7.1f}x", flush=True)
    assert big is not None
    rss = {}
    for which in ("before", "after"):
        done = subprocess.run(
            [sys.executable, __file__, which, str(big)], capture_output=True, text=True, check=True
        )
        rss[which] = float(done.stdout.strip().splitlines()[-1])
    print(
        f"20 checks at once, 2160p gop 250: peak RSS growth before {rss['before']:.0f} MiB, "
        f"after {rss['after']:.0f} MiB ({os.cpu_count()} decode slots)"
    )


if __name__ == "__main__":
    main()
