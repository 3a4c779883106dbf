"""Fixtures of the cross-package tests: moto's S3 server, runtimes with test plugins."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from typing import TypeVar

import boto3
import pytest
from kling_emulator import KlingEmulator, kling_server
from minimax_emulator import MinimaxEmulator, minimax_server
from runway_emulator import RunwayEmulator, runway_server
from seedance_emulator import SeedanceEmulator, seedance_server
from sora_emulator import SoraEmulator, sora_server
from vertex_emulator import VertexEmulator, vertex_server
from wan_emulator import WanEmulator, wan_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime, set_runtime
from reelgate.testing import FakeProvider
from reelgate.testing.emulator import ProviderEmulator
from tests.support import MotoServer

__all__ = [
    "kling_server",
    "minimax_server",
    "runway_server",
    "seedance_server",
    "sora_server",
    "vertex_server",
    "wan_server",
]


@pytest.fixture(autouse=True)
def executor_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test's API runs under its own executor name, so it never resumes another test's
    jobs."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REELGATE_EXECUTOR_NAME", name)
    return name


@pytest.fixture(autouse=True)
def fresh_provider_health() -> None:
    """Each test starts with no provider health and no jobs counted against fair shares:
    another test's refusals never open a circuit in it, nor do its jobs fill a share (the
    records database is the test process's)."""
    from prefect.settings import get_current_settings

    path = get_current_settings().home / "reelgate.db"
    if not path.exists():
        return
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        for table in ("reelgate_health", "reelgate_circuits", "reelgate_in_flight"):
            with contextlib.suppress(sqlite3.OperationalError):
                db.execute(f"DELETE FROM {table}")
        db.commit()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh bucket on the moto server; REELGATE_STORAGE_URL points at it."""
    bucket = f"videos-{os.urandom(4).hex()}"
    for name, value in {
        "AWS_ENDPOINT_URL_S3": moto_server.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "REELGATE_STORAGE_URL": f"s3://{bucket}/media",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket


E = TypeVar("E", bound=ProviderEmulator)


def _pointed_at(emulator: E, use_runtime: object, monkeypatch: pytest.MonkeyPatch) -> E:
    """``emulator``, emptied, with this process's settings and runtime pointing at it."""
    emulator.reset()
    for name, value in emulator.environ().items():
        monkeypatch.setenv(name, value)
    use_runtime()  # type: ignore[operator]
    return emulator


@pytest.fixture
def kling(
    kling_server: KlingEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> KlingEmulator:
    return _pointed_at(kling_server, use_runtime, monkeypatch)


@pytest.fixture
def sora(
    sora_server: SoraEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> SoraEmulator:
    return _pointed_at(sora_server, use_runtime, monkeypatch)


@pytest.fixture
def vertex(
    vertex_server: VertexEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> VertexEmulator:
    return _pointed_at(vertex_server, use_runtime, monkeypatch)


@pytest.fixture
def wan(
    wan_server: WanEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> WanEmulator:
    return _pointed_at(wan_server, use_runtime, monkeypatch)


@pytest.fixture
def minimax(
    minimax_server: MinimaxEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> MinimaxEmulator:
    return _pointed_at(minimax_server, use_runtime, monkeypatch)


@pytest.fixture
def runway(
    runway_server: RunwayEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> RunwayEmulator:
    return _pointed_at(runway_server, use_runtime, monkeypatch)


@pytest.fixture
def seedance(
    seedance_server: SeedanceEmulator, use_runtime: object, monkeypatch: pytest.MonkeyPatch
) -> SeedanceEmulator:
    return _pointed_at(seedance_server, use_runtime, monkeypatch)


@pytest.fixture
def use_runtime() -> Iterator[object]:
    """Call with plugins to make them the process's runtime for one test."""

    def install(*plugins: tuple[str, object], environ: dict[str, str] | None = None) -> Runtime:
        env = {**os.environ, **(environ or {})}
        runtime = build_runtime(environ=env, extra_plugins=list(plugins))
        set_runtime(runtime)
        return runtime

    yield install
    set_runtime(None)


@pytest.fixture
def fake(use_runtime: object, fake_provider: FakeProvider) -> FakeProvider:
    """The fake provider, installed beside the entry-point plugins."""
    use_runtime(("fake", fake_provider))  # type: ignore[operator]
    return fake_provider
