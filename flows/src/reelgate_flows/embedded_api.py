"""The embedded Prefect API as a child this process owns.

Prefect's own ephemeral API outlives a process killed with ``kill -9`` (or a ``reelgate serve``
stopped by SIGTERM): it is left under PID 1 holding its port and the SQLite file, and the next
start fights it. reelgate's commands (``serve``, ``worker``, ``generate``, ...) therefore start
the same server themselves when no ``PREFECT_API_URL`` is configured: as a child that the
kernel stops when this process dies (``PR_SET_PDEATHSIG`` on Linux), that is stopped at exit
otherwise, and that ``PREFECT_API_URL`` then names. Call :func:`own_prefect_api` from the main
thread before Prefect is imported.

The server answers only callers holding its secret: a random auth string made at start,
given to the server (``PREFECT_SERVER_API_AUTH_STRING``) and to this process and its children
(``PREFECT_API_AUTH_STRING``) only. It answers no browser (no CORS; any request with an
``Origin`` is refused, :mod:`reelgate_flows.embedded_server`).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Collection, MutableMapping
from pathlib import Path

PORT_IN_USE_EXIT = 3


def api_configured(env: MutableMapping[str, str]) -> bool:
    if env.get("PREFECT_API_URL"):
        return True
    try:
        return "PREFECT_API_URL" in (prefect_home(env) / "profiles.toml").read_text()
    except OSError:
        return False


def _free_port(avoid: Collection[int] = ()) -> int:
    """A port free now, and none of ``avoid`` (the port this process is about to listen on:
    the system may hand out a port a caller has just probed and released)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def _die_with_parent(parent: int) -> None:
    """Runs in the child before exec: the kernel sends SIGTERM when the parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


class EmbeddedApi:
    """A running embedded Prefect API server owned by this process."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def prefect_home(env: MutableMapping[str, str]) -> Path:
    """Prefect's home folder as ``env`` sets it (Prefect's default otherwise)."""
    return Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def _spawn(port: int, auth_string: str) -> subprocess.Popen[bytes]:
    prefect_home(os.environ).mkdir(parents=True, exist_ok=True)  # its database lives there
    env = {
        **os.environ,
        "PREFECT_SERVER_API_AUTH_STRING": auth_string,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    parent = os.getpid()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "reelgate_flows.embedded_server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: _die_with_parent(parent),
    )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except OSError:
        return False


def start_embedded_api(timeout_seconds: float = 120.0) -> EmbeddedApi:
    """Start the server, wait until it answers, and stop it when this process exits."""
    return StartingApi().ready(timeout_seconds, may_move=True)


class StartingApi:
    """The embedded API server, spawned and still starting: this process may import and
    build what it needs meanwhile (two cores work at once), then call :meth:`ready`."""

    def __init__(self, avoid_ports: Collection[int] = ()) -> None:
        self.avoid_ports = tuple(avoid_ports)
        self.auth_string = f"reelgate:{secrets.token_urlsafe(32)}"
        self.port = _free_port(self.avoid_ports)
        self.process = _spawn(self.port, self.auth_string)
        self._ready: EmbeddedApi | None = None
        atexit.register(self._stop)

    def _stop(self) -> None:
        EmbeddedApi(self.process, self.url).stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def ready(self, timeout_seconds: float = 120.0, may_move: bool = False) -> EmbeddedApi:
        """Wait until the server answers (it is stopped at this process's exit). ``may_move``: when
        its port was taken meanwhile, start it again on another (only while nothing has read
        :attr:`url` yet)."""
        if self._ready is not None:
            return self._ready
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() == PORT_IN_USE_EXIT and may_move:
                self.port = _free_port(self.avoid_ports)
                self.process = _spawn(self.port, self.auth_string)
                continue
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the embedded Prefect API exited with {self.process.returncode}"
                )
            if _healthy(self.url):
                self._ready = EmbeddedApi(self.process, self.url)
                return self._ready
            time.sleep(0.1)
        self.process.kill()
        raise RuntimeError(f"the embedded Prefect API did not start in {timeout_seconds:g} s")


def own_prefect_api(
    env: MutableMapping[str, str] | None = None,
    wait: bool = True,
    avoid_ports: Collection[int] = (),
) -> StartingApi | None:
    """Start an owned embedded API and point ``PREFECT_API_URL`` (and its secret,
    ``PREFECT_API_AUTH_STRING``) at it, unless an API is configured (then None).
    ``wait=False`` returns while it starts: call ``ready()`` before the first Prefect call.
    ``avoid_ports``: ports it must not take (the one the caller will listen on)."""
    environ = os.environ if env is None else env
    if api_configured(environ):
        return None
    if "prefect" in sys.modules:
        raise RuntimeError("own_prefect_api must run before Prefect is imported")
    starting = StartingApi(avoid_ports)
    if wait:
        starting.ready(may_move=True)
    environ["PREFECT_API_URL"] = starting.url
    environ["PREFECT_API_AUTH_STRING"] = starting.auth_string
    return starting
