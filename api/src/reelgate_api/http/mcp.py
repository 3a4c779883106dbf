"""reelgate as an MCP server (the official ``mcp`` SDK's low-level server): the agent tools of
:mod:`reelgate_api.service.tools`, with a progress notification on every change of a job a call
waits for (when the client sent a progress token) and, once the video is done, the result as
JSON text plus a resource link to the video.

Two transports: stdio (``reelgate mcp``) and streamable HTTP at ``/mcp`` of ``reelgate serve``
(:func:`mcp_http_endpoint`), where every request is checked like the rest of the API (Host,
Origin, API key) and the tools act only for the key's customers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request as StarletteRequest

from reelgate_api.service.reports import JobReport
from reelgate_api.service.tools import VideoTools
from reelgate_api.version import reelgate_version

ToolsFor = Callable[[StarletteRequest | None], VideoTools]
"""The tools of one MCP request: its HTTP request (None over stdio) decides whom they act for."""

INSTRUCTIONS = (
    "Makes videos with AI video models. Call list_video_models to see the models that can be "
    "used, then generate_video with a prompt; the answer holds the video's URL, or a job id to "
    "check with get_video_job while it renders."
)


def _content(result: dict[str, Any]) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = [types.TextContent(type="text", text=json.dumps(result))]
    for index, url in enumerate(result.get("video_urls", [])):
        blocks.append(
            types.ResourceLink(
                type="resource_link",
                uri=url,
                name=f"{result['job_id']}-{index}.mp4",
                mimeType="video/mp4",
                description=f"video {index + 1} of job {result['job_id']}",
            )
        )
    return blocks


def _progress_of(status: JobReport) -> tuple[float, str]:
    """Percent done (0-100) and a sentence for a progress notification."""
    percent = {"succeeded": 100.0, "failed": 100.0, "cancelled": 100.0}.get(status.status)
    if percent is None:
        percent = round((status.progress or 0.0) * 100, 1)
    words = status.status if status.step is None else f"{status.status}: {status.step}"
    return percent, words


def build_mcp_server(tools_for: ToolsFor) -> Server[Any, Any]:
    """The MCP server of reelgate's video tools."""
    server: Server[Any, Any] = Server(
        "reelgate", version=reelgate_version(), instructions=INSTRUCTIONS
    )

    def current_tools() -> VideoTools:
        request = server.request_context.request
        return tools_for(request if isinstance(request, StarletteRequest) else None)

    @server.list_tools()  # type: ignore[no-untyped-call, untyped-decorator]
    async def list_tools() -> list[types.Tool]:
        return [
            types.Tool(name=tool.name, description=tool.description, inputSchema=tool.parameters)
            for tool in current_tools().definitions()
        ]

    @server.call_tool(validate_input=False)  # type: ignore[untyped-decorator]
    async def call_tool(name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        context = server.request_context
        token = context.meta.progressToken if context.meta is not None else None

        async def report(status: JobReport) -> None:
            if token is None:
                return
            percent, words = _progress_of(status)
            await context.session.send_progress_notification(
                token, percent, 100.0, words, related_request_id=str(context.request_id)
            )

        result = await current_tools().run(name, arguments or {}, on_progress=report)
        return types.CallToolResult(
            content=_content(result), structuredContent=result, isError="error" in result
        )

    return server


async def run_stdio(tools: VideoTools) -> None:
    """Serve the tools over stdin/stdout until the client closes them."""
    from mcp.server.stdio import stdio_server

    server = build_mcp_server(lambda _request: tools)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


class McpHttpEndpoint:
    """The streamable-HTTP MCP endpoint as an ASGI app (stateless: any API process answers
    any request); :meth:`lifespan` runs its session manager."""

    def __init__(self, tools_for: ToolsFor) -> None:
        self.manager = StreamableHTTPSessionManager(
            app=build_mcp_server(tools_for), stateless=True, json_response=False
        )

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        async with self.manager.run():
            yield

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.manager.handle_request(scope, receive, send)
