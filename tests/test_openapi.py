"""The OpenAPI document tells the truth about errors: every operation that starts or reads a
job lists the error statuses it answers, each with the error envelope, and the event stream is
documented as Server-Sent Events."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings


async def test_every_operation_documents_its_errors(use_runtime: Any) -> None:
    use_runtime()
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as client:
        document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]
    for path in ("/video/generate", "/video/extend", "/video/jobs"):
        responses = paths[path]["post"]["responses"]
        assert {"400", "401", "403", "404", "409", "413", "415", "502"} <= set(responses)
        envelope = responses["400"]["content"]["application/json"]["schema"]
        assert "ErrorEnvelope" in envelope.get("$ref", "")
    job = "/video/jobs/{job_id}"
    for method in ("get", "delete"):
        assert {"400", "401", "404"} <= set(paths[job][method]["responses"])
    events = paths[f"{job}/events"]["get"]["responses"]["200"]["content"]
    assert list(events) == ["text/event-stream"]


async def test_the_document_of_every_face_is_served_with_its_page(use_runtime: Any) -> None:
    """``/openapi.json`` names reelgate and documents /video, /v1 and /mcp; ``/docs`` renders
    it with this package's own script (nothing from a CDN)."""
    use_runtime()
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as client:
        document = (await client.get("/openapi.json")).json()
        page = await client.get("/docs")
        script = await client.get("/docs/docs.js")
    assert document["info"]["title"] == "reelgate" and document["info"]["version"]
    assert {"/video/generate", "/v1/videos", "/v1/videos/{video_id}", "/mcp"} <= set(
        document["paths"]
    )
    assert (
        page.status_code == 200
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )
    assert "http" not in page.text.replace('href="/openapi.json"', "")
    assert script.status_code == 200 and "/openapi.json" in script.text
