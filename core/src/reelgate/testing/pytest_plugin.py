"""pytest plugin (entry point ``pytest11: reelgate``): fixtures for provider plugin tests."""

from __future__ import annotations

import pytest

from reelgate.testing.fake import FakeProvider
from reelgate.testing.media import make_png


@pytest.fixture
def fake_provider() -> FakeProvider:
    """A fresh scripted in-memory provider (see ``reelgate.testing.fake``)."""
    return FakeProvider()


@pytest.fixture
def png_bytes() -> bytes:
    """A small valid PNG made at run time."""
    return make_png(96, 64)
