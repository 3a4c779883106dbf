"""Whatever reelgate starts ends with it: the embedded Prefect API of `reelgate serve` stops
when the server is killed with -9 or stopped with SIGTERM, and frees its port."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from tests.processes import ApiProcess, eventually


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
        if b"prefect.server.api.server:create_app" in command:
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
