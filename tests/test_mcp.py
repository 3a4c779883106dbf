"""reelgate as an MCP server, driven by the ``mcp`` SDK's own client: over stdio
(``reelgate mcp`` as a subprocess) and over streamable HTTP (``/mcp`` of the API under uvicorn,
with API keys). List the tools, call ``generate_video`` on the local provider, hear progress,
get the video."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, ResourceLink, TextContent

from reelgate.testing import FakeProvider
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from tests.support import probe_mp4

KEYS = {"key-acme": ["acme"], "key-two": ["acme", "globex"]}
TOOLS = [
    "generate_video",
    "extend_video",
    "generate_storyboard",
    "get_video_job",
    "list_video_models",
]


class Progress:
    """A progress callback that keeps what it heard."""

    def __init__(self) -> None:
        self.heard: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.heard.append((progress, total, message))


def result_of(answer: CallToolResult) -> tuple[dict[str, Any], list[ResourceLink]]:
    text = [block for block in answer.content if isinstance(block, TextContent)]
    links = [block for block in answer.content if isinstance(block, ResourceLink)]
    assert len(text) == 1
    return json.loads(text[0].text), links


async def test_stdio_lists_the_tools_and_makes_a_video_with_progress(tmp_path: Path) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "reelgate_api.cli.main", "mcp", "--customer", "mcp-stdio"],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
    )
    (tmp_path / "prefect").mkdir()
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        initialized = await session.initialize()
        assert initialized.serverInfo.name == "reelgate"
        assert initialized.serverInfo.version == metadata.version("reelgate-api")
        listed = await session.list_tools()
        assert [tool.name for tool in listed.tools] == TOOLS
        generate = listed.tools[0]
        assert "customer_id" not in generate.inputSchema["properties"]
        progress = Progress()
        answer = await session.call_tool(
            "generate_video",
            {"prompt": "a kite over dunes", "model": "local", "duration_seconds": 2},
            progress_callback=progress,
        )
        assert answer.isError is False, answer.content
        result, links = result_of(answer)
        assert result["status"] == "succeeded" and answer.structuredContent == result
        assert [str(link.uri) for link in links] == [result["video_url"]]
        assert links[0].mimeType == "video/mp4"
        path = Path(result["video_url"].removeprefix("file://"))
        assert probe_mp4(path)["duration"] == pytest.approx(2.0, abs=0.1)
        assert progress.heard and progress.heard[-1][:2] == (100.0, 100.0)
        wrong = await session.call_tool("generate_video", {"prompt": "x", "model": "lokal"})
        assert wrong.isError is True
        assert result_of(wrong)[0]["error"]["type"] == "unknown_model"


@asynccontextmanager
async def http_session(url: str, key: str | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(120)) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@pytest.fixture
def server(fake: FakeProvider) -> Any:
    app = create_app(ApiSettings(api_keys=json.dumps(KEYS)))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=60) as running:
        yield running


async def test_http_makes_a_video_for_the_keys_customer_with_progress(server: Any) -> None:
    async with http_session(server.url, "key-acme") as session:
        listed = await session.list_tools()
        assert [tool.name for tool in listed.tools] == TOOLS
        assert "customer_id" not in listed.tools[0].inputSchema["properties"]
        progress = Progress()
        answer = await session.call_tool(
            "generate_video",
            {"prompt": "a lighthouse", "model": "local", "duration_seconds": 1},
            progress_callback=progress,
        )
        assert answer.isError is False, answer.content
        result, links = result_of(answer)
        assert result["video_url"].startswith(f"{server.url}/files/customers/acme/")
        assert str(links[0].uri) == result["video_url"]
        assert progress.heard[-1][0] == 100.0
        video = httpx.get(result["video_url"], timeout=30)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        job = await session.call_tool("get_video_job", {"job_id": result["job_id"]})
        assert result_of(job)[0]["status"] == "succeeded"


async def test_http_scopes_every_call_to_the_keys_customers(server: Any) -> None:
    async with http_session(server.url, "key-acme") as acme:
        made = result_of(
            await acme.call_tool(
                "generate_video", {"prompt": "mine", "model": "local", "duration_seconds": 1}
            )
        )[0]
    async with http_session(server.url, "key-two") as two:
        schema = (await two.list_tools()).tools[0].inputSchema
        assert "customer_id" in schema["required"]  # two customers: the call names one
        refused = await two.call_tool(
            "generate_video", {"prompt": "x", "customer_id": "initech", "model": "local"}
        )
        assert refused.isError and result_of(refused)[0]["error"]["type"] == "forbidden"
        for number in (300, 0):  # a JSON number names the customer of its digits
            refused = await two.call_tool(
                "generate_video", {"prompt": "x", "customer_id": number, "model": "local"}
            )
            assert result_of(refused)[0]["error"]["type"] == "forbidden", number
        seen = await two.call_tool("get_video_job", {"job_id": made["job_id"]})
        assert result_of(seen)[0]["status"] == "succeeded"  # acme is one of its customers


async def test_http_without_a_valid_key_is_refused(server: Any) -> None:
    for key in (None, "wrong"):
        answer = httpx.post(
            f"{server.url}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=30,
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "unauthorized"
