"""The API's own documentation: ``/openapi.json`` (Litestar's generated document under
reelgate's title and version, with the OpenAI dialect's ``/v1`` routes and the ``/mcp``
endpoint) and ``/docs``, a page of this package that renders it (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.response import File

from reelgate_api.http.ops import html_page, page_files
from reelgate_api.version import reelgate_version

DOCS_PAGE = Path(__file__).parent / "docs_page"
TITLE = "reelgate"
DESCRIPTION = (
    "One API in front of many AI video providers: text-to-video, image-to-video and video "
    "extension, with the OpenAI Videos dialect under /v1 and MCP at /mcp."
)

_MCP_SESSION_ANSWERS = {
    "200": {"description": "the session's answer"},
    "400": {"description": "no Mcp-Session-Id header"},
    "401": {"description": "no valid API key"},
    "403": {"description": "a Host or Origin that is not allowed"},
    "404": {"description": "an unknown MCP session"},
    "405": {"description": "not offered by this server"},
    "406": {"description": "the Accept header does not allow an event stream"},
}

MCP_PATH_ITEM: dict[str, Any] = {
    "get": {
        "summary": "MCP: the event stream of a session's server-sent messages",
        "operationId": "mcpStream",
        "tags": ["MCP"],
        "responses": _MCP_SESSION_ANSWERS,
    },
    "delete": {
        "summary": "MCP: end a session",
        "operationId": "mcpEnd",
        "tags": ["MCP"],
        "responses": _MCP_SESSION_ANSWERS,
    },
    "post": {
        "summary": "MCP over streamable HTTP (JSON-RPC 2.0): the generate_video, extend_video, "
        "get_video_job and list_video_models tools, acting for the key's customers",
        "operationId": "mcp",
        "tags": ["MCP"],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "responses": {
            "200": {"description": "a JSON-RPC answer, or an event stream of them"},
            "400": {"description": "not JSON, or nested deeper than 16 levels"},
            "401": {"description": "no valid API key"},
            "403": {"description": "a Host or Origin that is not allowed"},
            "404": {"description": "an unknown MCP session"},
            "406": {"description": "the Accept header allows neither JSON nor an event stream"},
            "408": {"description": "the body did not arrive in time"},
            "413": {"description": "the body is larger than REELGATE_MAX_BODY_BYTES"},
            "415": {"description": "the body is not JSON"},
        },
    },
}


def openapi_config() -> OpenAPIConfig:
    """Litestar's document (``/schema/openapi.json``) under reelgate's title and version."""
    return OpenAPIConfig(
        title=TITLE,
        version=reelgate_version(),
        description=DESCRIPTION,
        render_plugins=[JsonRenderPlugin()],
    )


@get("/openapi.json", include_in_schema=False, media_type="application/json")
async def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI document of every face."""
    document: dict[str, Any] = request.app.openapi_schema.to_schema()
    document.setdefault("paths", {})["/mcp"] = MCP_PATH_ITEM
    return document


@get("/docs", include_in_schema=False, media_type="text/html")
async def docs_page() -> File:
    return html_page(DOCS_PAGE / "index.html")


def docs_files() -> Router:
    """The docs page's script and style sheet (``/docs/docs.js``, ``/docs/docs.css``)."""
    return page_files("/docs", DOCS_PAGE, name="docs")


DOCS_HANDLERS = [openapi_json, docs_page]
