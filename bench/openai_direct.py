"""The baseline of the benches on the OpenAI-Videos-shaped emulator: what a hand-written
script does with the openai SDK (create and poll, download, write the file), jobs at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import openai


async def openai_direct(emulator: Any, jobs: int, out: Path) -> float:
    """Run ``jobs`` videos at once directly on ``emulator``; returns the wall seconds."""
    client = openai.AsyncOpenAI(api_key=emulator.api_key, base_url=f"{emulator.base_url}/v1")
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)

    async def one(index: int) -> None:
        video = await client.videos.create_and_poll(
            prompt=f"direct {index}", model="sora-2", seconds="4", size="1280x720"
        )
        content = await client.videos.download_content(video.id)
        (out / f"{index}.mp4").write_bytes(content.content)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(jobs)))
    return time.perf_counter() - began
