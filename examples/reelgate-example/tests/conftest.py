"""The Example Video emulator and runtimes pointed at it."""

from __future__ import annotations

import pytest
from example_emulator import ExampleEmulator, example_server

from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

__all__ = ["example_server"]


@pytest.fixture
def example(example_server: ExampleEmulator) -> ExampleEmulator:
    """The session's emulator, emptied for this test."""
    example_server.reset()
    return example_server


@pytest.fixture
def example_runtime(example: ExampleEmulator) -> Runtime:
    return build_runtime(environ=example.environ(REELGATE_PLUGINS="example"))
