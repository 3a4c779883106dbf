"""The local provider's job store: one folder per job, rendered in background threads.

A job folder holds ``job.json`` (what to render), its input file if any, and ``video_N.mp4``
for each finished video (written atomically). Because the folder says everything, a job whose
process died is picked up again by the next poll in any process: the render restarts from the
same inputs and, being deterministic, yields the same video.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelgate_local.geometry import OutputFormat
from reelgate_local.render import RenderSpec, render_extension, render_image, render_text

JOB_FILE = "job.json"
CANCELLED_FILE = "cancelled"


@dataclass
class _Render:
    future: Future[None]
    progress: list[float] = field(default_factory=lambda: [0.0])


class JobStore:
    """Jobs under ``root``; renders run on a pool of ``workers`` threads."""

    def __init__(self, root: Path, workers: int) -> None:
        self.root = root
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="reelgate-local"
        )
        self._renders: dict[str, _Render] = {}
        self._lock = threading.Lock()

    def folder(self, job_id: str) -> Path:
        if not is_local_job_id(job_id):
            raise ValueError(f"invalid local job id {job_id!r}")
        return self.root / "jobs" / job_id

    def create(
        self,
        job_id: str,
        description: dict[str, Any],
        input_bytes: bytes | None,
        input_name: str | None,
    ) -> None:
        folder = self.folder(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        if input_bytes is not None and input_name is not None:
            (folder / input_name).write_bytes(input_bytes)
        tmp = folder / f".{JOB_FILE}.partial"
        tmp.write_text(json.dumps(description))
        tmp.replace(folder / JOB_FILE)

    def exists(self, job_id: str) -> bool:
        return is_local_job_id(job_id) and (self.folder(job_id) / JOB_FILE).is_file()

    def description(self, job_id: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.folder(job_id) / JOB_FILE).read_text())
        return loaded

    def video_path(self, job_id: str, index: int) -> Path:
        return self.folder(job_id) / f"video_{index}.mp4"

    def finished(self, job_id: str) -> bool:
        count = int(self.description(job_id)["count"])
        return all(self.video_path(job_id, i).is_file() for i in range(count))

    def cancel(self, job_id: str) -> None:
        (self.folder(job_id) / CANCELLED_FILE).touch()
        with self._lock:
            render = self._renders.get(job_id)
        if render is not None:
            render.future.cancel()

    def cancelled(self, job_id: str) -> bool:
        return (self.folder(job_id) / CANCELLED_FILE).exists()

    def render_state(self, job_id: str) -> tuple[Future[None], float]:
        """The job's render in this process, started now if none is running."""
        with self._lock:
            render = self._renders.get(job_id)
            if render is None:
                render = _Render(Future())
                progress = render.progress
                render.future = self._pool.submit(self._render, job_id, progress.__setitem__)
                self._renders[job_id] = render
            return render.future, render.progress[0]

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._renders.pop(job_id, None)

    def _render(self, job_id: str, set_progress: Callable[[int, float], None]) -> None:
        desc = self.description(job_id)
        folder = self.folder(job_id)
        fmt = OutputFormat(**desc["format"])
        count = int(desc["count"])
        for index in range(count):
            if self.cancelled(job_id):
                return
            out = self.video_path(job_id, index)
            if out.is_file():
                continue
            seed = desc["seed"] if index == 0 else int(desc["seed"] or 0) + index
            spec = RenderSpec(desc["prompt"], seed, fmt)

            def report(fraction: float, index: int = index) -> None:
                if self.cancelled(job_id):
                    raise _RenderCancelled
                set_progress(0, (index + fraction) / count)

            try:
                if desc["kind"] == "text":
                    render_text(spec, out, report)
                elif desc["kind"] == "image":
                    render_image(spec, (folder / desc["input"]).read_bytes(), out, report)
                else:
                    render_extension(spec, folder / desc["input"], out, report)
            except _RenderCancelled:  # stopped between frames: the next job's turn
                out.with_name(f".{out.name}.partial").unlink(missing_ok=True)
                return


class _RenderCancelled(Exception):
    """Raised from a render's progress report once its job was cancelled."""


def is_local_job_id(text: str) -> bool:
    """The local provider's job ids are 32 lower-case hex digits (``uuid4().hex``): nothing
    else names a folder, so no id can reach outside the store."""
    return re.fullmatch(r"[0-9a-f]{32}", text) is not None
