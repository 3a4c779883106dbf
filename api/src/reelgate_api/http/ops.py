"""What operators and browsers read: ``/metrics``, ``/healthz`` and the web playground (``/``
and its static files)."""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import Any

from litestar import Response, Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

from reelgate.errors import ForbiddenError
from reelgate_api.http.auth import ANY_CUSTOMER, presented_key
from reelgate_api.http.context import AnyRequest, ContextDep
from reelgate_api.jobs.health_metrics import health_exposition
from reelgate_api.jobs.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from reelgate_flows.routing import circuits_report, health_report

Json = dict[str, Any]
logger = logging.getLogger("reelgate.api")
PLAYGROUND = Path(__file__).parent / "playground"
PLAYGROUND_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' https: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""The page talks to this server only; videos may come from the storage's https URLs."""


PAGE_HEADERS = {
    "Content-Security-Policy": PLAYGROUND_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
"""Every page and static file of the playground carries these."""


@get("/metrics", media_type=METRICS_CONTENT_TYPE)
async def metrics(request: AnyRequest, context: ContextDep) -> Response[bytes]:
    """Prometheus metrics, which name every customer and its spend: on a server with API keys
    only for ``REELGATE_METRICS_TOKEN`` (Bearer) or a key that may act for every customer
    (401/403 otherwise); open on a server without keys."""
    token = context.settings.metrics_token
    presented = presented_key(request.headers.get("authorization"), None)
    if not (token and presented and hmac.compare_digest(presented.encode(), token.encode())):
        caller = context.caller(request)
        if caller.key_id != "open" and ANY_CUSTOMER not in caller.customers:
            raise ForbiddenError("the metrics need the metrics token or a key for every customer")
    exposition = context.runner.metrics.exposition()
    try:  # the fleet's provider health, from the records: the process's own metrics without it
        exposition += health_exposition(await health_report(context.settings))
    except Exception:
        logger.exception("reading the provider health failed")
    return Response(exposition, media_type=METRICS_CONTENT_TYPE)


@get("/healthz")
async def healthz(context: ContextDep) -> Json:
    """``ok``, with ``warnings`` about the configuration found at start (e.g. S3 URLs that
    will not open) and the ``circuits`` of the models whose circuit is not closed (the
    fleet's, :mod:`reelgate_flows.records.health`)."""
    answer: Json = {"status": "ok"}
    if context.warnings:
        answer["warnings"] = context.warnings
    try:
        circuits = await circuits_report(context.settings)
    except Exception:
        logger.exception("reading the provider health failed")
        answer["circuits"] = "unknown: the job records cannot be read"
        return answer
    if circuits:
        answer["circuits"] = circuits
    return answer


@get("/", media_type="text/html", include_in_schema=False)
async def playground() -> File:
    """The web playground (static files of this package; no build step, no CDN)."""
    return html_page(PLAYGROUND / "index.html")


def html_page(path: Path) -> File:
    """A page of this package, shown inline with :data:`PAGE_HEADERS`."""
    return File(
        path, media_type="text/html", content_disposition_type="inline", headers=PAGE_HEADERS
    )


async def with_page_headers(response: Response[Any]) -> Response[Any]:
    response.headers.update(PAGE_HEADERS)
    return response


def page_files(path: str, folder: Path, name: str = "static") -> Router:
    """The static files of ``folder`` under ``path``, each with :data:`PAGE_HEADERS`."""
    return create_static_files_router(
        path=path,
        directories=[folder],
        include_in_schema=False,
        after_request=with_page_headers,
        name=name,
    )


def playground_files() -> Router:
    """The playground's static files."""
    return page_files("/playground", PLAYGROUND)


OPS_HANDLERS = [metrics, healthz, playground]
