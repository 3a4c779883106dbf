"""reelgate processes for the tests of the production shape: the CLI, workers and API servers
as real subprocesses, each with its own log file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port, wait_for_port

CLI = [sys.executable, "-m", "reelgate_api.cli.main"]


def run_cli(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run ``reelgate ARGS``; returns stdout, raises with stderr on a non-zero exit."""
    done = subprocess.run(
        [*CLI, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"reelgate {' '.join(args)} failed: {done.stderr}\n{done.stdout}")
    return done.stdout


class Process:
    """A long-running ``reelgate`` command (worker or serve)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*CLI, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def worker(name: str, pool: str, env: dict[str, str], logs: Path, *extra: str) -> Process:
    return Process(
        ["worker", "--pool", pool, "--name", name, "--poll-seconds", "0.3", *extra],
        env,
        logs / f"worker-{name}.log",
    )


class ApiProcess(Process):
    """``reelgate serve`` on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(["serve", "--port", str(self.port)], env, log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiProcess:
        super().start()
        wait_for_port(self.port, timeout=120)
        return self

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def eventually(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.25) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def post_jobs(http: httpx.Client, bodies: list[dict[str, Any]]) -> list[str]:
    """``POST /video/jobs`` each body (each must be answered 202); returns the job ids."""
    job_ids = []
    for body in bodies:
        answer = http.post("/video/jobs", json=body)
        assert answer.status_code == 202, answer.text
        job_ids.append(answer.json()["data"]["job_id"])
    return job_ids


def jobs_ended(http: httpx.Client, job_ids: list[str]) -> bool:
    """Whether every job has ended (succeeded, failed or cancelled)."""
    statuses = [http.get(f"/video/jobs/{job_id}").json()["status"] for job_id in job_ids]
    return all(status in ("succeeded", "failed", "cancelled") for status in statuses)
