"""Whatever reelgate starts ends with it: the embedded Prefect API of `reelgate serve` (and of
the CLI in the middle of a job) stops when the process is killed with -9 or stopped with
SIGTERM, and frees its port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from kling_emulator import KlingEmulator

from tests.processes import CLI, ApiProcess, eventually


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(child) for child in text.split()}
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def embedded_api_of(pid: int) -> tuple[int, int]:
    """The pid and port of the uvicorn child serving the embedded Prefect API."""
    for child in children(pid):
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"reelgate_flows.embedded_server:create_app" in command:
            return child, int(command[command.index(b"--port") + 1])
    raise AssertionError(f"process {pid} has no embedded Prefect API child")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM])
def test_the_embedded_prefect_api_ends_with_the_server(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    api = ApiProcess({}, tmp_path / "serve.log").start()
    assert api.process is not None
    child, port = embedded_api_of(api.process.pid)
    assert alive(child) and not port_free(port)
    api.process.send_signal(stop_signal)
    api.process.wait(timeout=60)
    eventually(lambda: not alive(child), 20, "the embedded Prefect API to end")
    eventually(lambda: port_free(port), 20, "its port to be free")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_the_embedded_prefect_api_ends_with_a_killed_cli(
    tmp_path: Path, kling_server: KlingEmulator
) -> None:
    kling_server.reset()
    kling_server.seconds_to_finish = 600  # the job stays in flight until the kill
    command = [*CLI, "generate", "a slow kite", "--model", "kling", "--duration", "5", "--quiet"]
    env = {**os.environ, **kling_server.environ()}
    with (tmp_path / "cli.log").open("wb") as log:
        cli = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: kling_server.submissions == 1, 120, "the CLI's job to be submitted")
        child, port = embedded_api_of(cli.pid)
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=30)
        eventually(lambda: not alive(child), 20, "the embedded Prefect API to end")
        eventually(lambda: port_free(port), 20, "its port to be free")
    finally:
        if cli.poll() is None:
            cli.kill()
        kling_server.reset()
