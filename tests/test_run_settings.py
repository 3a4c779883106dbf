"""A run keeps the settings it started with: its steps read the settings its entry point pinned,
not the environment of the moment (an embedding application changing it mid-run never sends
half a job to another storage)."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from reelgate.jobs import Running
from reelgate.testing import FakeProvider, make_request
from reelgate_flows.flows import generate_video

request = functools.partial(make_request, customer_id="pinned", model="fake", duration_seconds=1)


async def test_a_run_stores_where_its_settings_said_when_it_started(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("REELGATE_STORAGE_URL", f"file://{first}")
    fake.poll_script = [Running(progress=0.1)] * 10_000
    run = asyncio.create_task(generate_video(request()))
    while fake.polls < 3:
        await asyncio.sleep(0.02)
    monkeypatch.setenv("REELGATE_STORAGE_URL", f"file://{second}")  # changed mid-run
    fake.poll_script.clear()
    envelope = await asyncio.wait_for(run, 120)

    stored = envelope["data"]["video_url"]
    assert stored.startswith(f"file://{first}/customers/pinned/"), stored
    assert not second.exists()
