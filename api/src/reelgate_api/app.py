"""The Litestar app: the seed's ``POST /video/generate`` and ``POST /video/extend``, async jobs
(``POST /video/jobs``, ``GET``/``DELETE /video/jobs/{id}``, ``/events``), ``GET /video/models``,
``GET /healthz`` and signed files of the local folder storage. Flows run on the
:class:`JobRunner`'s own loop, never here.

Tenancy: every request resolves its :class:`~reelgate_api.auth.Caller` once; a job, a source
video or a file outside the customers it may act for answers exactly as one that does not
exist (404), and its idempotency keys are its own."""

from __future__ import annotations

import asyncio
import logging
import posixpath
from pathlib import Path
from typing import Any, cast

from litestar import HttpMethod, Litestar, Request, Response, asgi, get, post, route
from litestar.config.cors import CORSConfig
from litestar.params import FromPath
from litestar.response import File, ServerSentEvent
from litestar.static_files import create_static_files_router
from litestar.types import HTTPScope, Receive, Scope, Send
from starlette.requests import Request as StarletteRequest

from reelgate.errors import NotFoundError
from reelgate.runtime import get_runtime
from reelgate_api.admission import Admission, estimate
from reelgate_api.auth import ANY_CUSTOMER, ApiKeys, Caller, presented_key
from reelgate_api.bodies import parse_request
from reelgate_api.deployment_runner import DeploymentRunner
from reelgate_api.errors import error_response, handle_exception
from reelgate_api.events import job_event_stream
from reelgate_api.executor import InProcessExecutor
from reelgate_api.file_urls import FileSigner, load_secret
from reelgate_api.guard import RequestGuard
from reelgate_api.job_views import JobView
from reelgate_api.mcp_server import McpHttpEndpoint
from reelgate_api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from reelgate_api.models_report import models_report
from reelgate_api.openai_videos import openai_videos_router
from reelgate_api.openapi import (
    JOB_ERRORS,
    SUBMIT_ERRORS,
    ExtendOperation,
    GenerateOperation,
    error_responses,
)
from reelgate_api.presentation import FILES_PATH, present, served_url, stored_file
from reelgate_api.runner import JobRunner
from reelgate_api.service import VideoGenerationService
from reelgate_api.service_local import InProcessBackend
from reelgate_api.settings import ApiSettings
from reelgate_api.tools import VideoTools
from reelgate_api.webhook_delivery import WebhookDeliverer
from reelgate_api.webhooks import WebhookSender
from reelgate_flows.job_records import JobRecords
from reelgate_flows.outbox import Outbox
from reelgate_flows.spend import Budgets
from reelgate_flows.storage import storage_from_url
from reelgate_flows.storage.s3 import S3Storage

Json = dict[str, Any]
MCP_PATH = "/mcp"
PLAYGROUND = Path(__file__).parent / "playground"
PLAYGROUND_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' https: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""The page talks to this server only; videos may come from the storage's https URLs."""
logger = logging.getLogger("reelgate.api")


def _job_links(base_url: str, job_id: str) -> Json:
    return {"job_id": job_id, "status_url": f"{base_url}/video/jobs/{job_id}"}


def answer_of(view: JobView, base_url: str, signer: FileSigner) -> Response[Json]:
    """The envelope of a job: the result, the error, or 202 with where to look later."""
    if view.status == "succeeded" and view.result is not None:
        return Response(present(view.result, base_url, signer), status_code=200)
    if view.status == "failed" and view.error is not None:
        answer = error_response(view.error)
        if isinstance(answer.content, dict) and isinstance(answer.content.get("error"), dict):
            answer.content["error"].setdefault("job_id", view.job_id)
        return answer
    accepted = {
        "success": True,
        "code": 202,
        "data": {**_job_links(base_url, view.job_id), "status": view.status},
    }
    return Response(accepted, status_code=202)


def runner_for(settings: ApiSettings) -> JobRunner:
    """The runner of the configured execution mode (REELGATE_EXECUTION)."""
    records = JobRecords(settings.job_records_url())
    if settings.execution == "deployment":
        return DeploymentRunner(
            settings.deployment_name, name=settings.executor_name, records=records
        )
    return InProcessExecutor(
        settings.max_running_jobs, owner=settings.executor_name, records=records
    )


def create_app(settings: ApiSettings | None = None, runner: JobRunner | None = None) -> Litestar:
    settings = settings or ApiSettings.current()
    runner = runner or runner_for(settings)
    admission = Admission(runner, Budgets.load(settings.budgets, settings.budgets_file))
    keys = ApiKeys.from_settings(settings)
    guard = RequestGuard(settings)
    signer = FileSigner(
        load_secret(settings.file_url_secret, Path(settings.spool_dir).parent),
        settings.file_url_seconds,
    )
    webhooks = WebhookSender(
        settings.webhook_secret,
        settings.webhook_attempts,
        settings.webhook_retry_base_seconds,
        settings.private_allowance(),
    )

    def webhook_payload(view: JobView, base_url: str) -> Json:
        answer = answer_of(view, base_url, signer)
        return answer.content if isinstance(answer.content, dict) else {}

    deliverer = (
        WebhookDeliverer(
            Outbox(runner.records, settings.executor_name), webhooks, runner.view, webhook_payload
        )
        if runner.records is not None and settings.webhook_secret
        else None
    )
    delivering: list[asyncio.Task[None]] = []

    async def job_ended(job_id: str) -> None:
        """Runs on the runner's loop when a job of this process ends: deliver now."""
        if deliverer is not None:
            deliverer.wake()

    runner.on_end.append(job_ended)

    def caller_of(request: Request[Any, Any, Any]) -> Caller:
        headers = request.headers
        return keys.caller(presented_key(headers.get("authorization"), headers.get("x-api-key")))

    async def visible_job(request: Request[Any, Any, Any], job_id: str) -> JobView:
        """The job if it exists and the caller may act for its customer; else 404."""
        caller = caller_of(request)
        view = await runner.view(job_id)
        if view is None or not caller.may_act_for(view.customer_id):
            raise NotFoundError(f"no job {job_id}")
        return view

    async def admitted(request: Request[Any, Any, Any], extend: bool | None) -> str:
        """Parse, authorise and check a request the way every face does, then start its job
        (once per scoped Idempotency-Key); returns the job id."""
        caller = caller_of(request)
        parsed = parse_request(await request.body(), extend=extend)
        caller.require(parsed.customer_id)
        key = caller.scoped_idempotency_key(
            parsed.customer_id, request.headers.get("idempotency-key")
        )
        notify = None
        if parsed.webhook_url:
            await webhooks.check(parsed.webhook_url)
            notify = guard.base_url(request)
        return await admission.start(parsed, key, caller.key_id, notify)

    async def run_sync(request: Request[Any, Any, Any], extend: bool) -> Response[Json]:
        job_id = await admitted(request, extend)
        await runner.wait(job_id, settings.sync_timeout_seconds)
        view = await runner.view(job_id)
        assert view is not None
        return answer_of(view, guard.base_url(request), signer)

    @post(
        "/video/generate",
        status_code=200,
        operation_class=GenerateOperation,
        responses=SUBMIT_ERRORS,
    )
    async def generate(request: Request[Any, Any, Any]) -> Response[Json]:
        return await run_sync(request, extend=False)

    @post(
        "/video/extend", status_code=200, operation_class=ExtendOperation, responses=SUBMIT_ERRORS
    )
    async def extend(request: Request[Any, Any, Any]) -> Response[Json]:
        return await run_sync(request, extend=True)

    @post(
        "/video/jobs", status_code=202, operation_class=GenerateOperation, responses=SUBMIT_ERRORS
    )
    async def create_job(request: Request[Any, Any, Any]) -> Response[Json]:
        job_id = await admitted(request, None)
        links = _job_links(guard.base_url(request), job_id)
        body = {"success": True, "code": 202, "data": {**links, "status": "queued"}}
        return Response(body, status_code=202)

    @post(
        "/video/estimate",
        status_code=200,
        operation_class=GenerateOperation,
        responses=SUBMIT_ERRORS,
    )
    async def estimate_cost(request: Request[Any, Any, Any]) -> Json:
        """What a generate or extend request would cost, checked as if it were started but
        never submitted."""
        caller = caller_of(request)
        parsed = parse_request(await request.body(), extend=None)
        caller.require(parsed.customer_id)
        return {"success": True, "code": 200, "data": await estimate(runner, parsed)}

    @route(
        "/video/jobs/{job_id:str}",
        http_method=[HttpMethod.GET, HttpMethod.DELETE],
        status_code=200,
        responses=JOB_ERRORS,
    )
    async def job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[Json]:
        """GET: the job's status and, once it ended, its envelope or error. DELETE: cancel it
        (at the provider where it can); 409 once it ended. One handler for both, so the
        path's OPTIONS answer names both."""
        view = await visible_job(request, job_id)
        if request.method == HttpMethod.DELETE:
            status = await runner.cancel(job_id)
            data = {"job_id": job_id, "status": status}
            return Response({"success": True, "code": 200, "data": data}, status_code=200)
        answer = answer_of(view, guard.base_url(request), signer)
        content = answer.content if isinstance(answer.content, dict) else {}
        details = {
            "job_id": job_id,
            "status": view.status,
            "provider": view.provider,
            "step": view.step,
            "progress": view.progress,
        }
        if view.retryable is not None:
            details["retryable"] = view.retryable
        return Response({**content, **details}, status_code=200)

    @get("/video/jobs/{job_id:str}/events", media_type="text/event-stream", responses=JOB_ERRORS)
    async def job_events(request: Request[Any, Any, Any], job_id: FromPath[str]) -> ServerSentEvent:
        """Server-Sent Events: ``status`` on every change of status, step or progress, then
        one ``result`` event holding the envelope (or error envelope) when the job ends."""
        first = await visible_job(request, job_id)
        base_url = guard.base_url(request)
        return ServerSentEvent(
            job_event_stream(
                first, runner.view, lambda view: answer_of(view, base_url, signer).content
            )
        )

    @get("/metrics", media_type=METRICS_CONTENT_TYPE)
    async def metrics() -> Response[bytes]:
        return Response(runner.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    @get("/video/models")
    async def models(request: Request[Any, Any, Any]) -> Json:
        caller_of(request)
        return models_report(get_runtime())

    warnings: list[str] = []

    @get("/", media_type="text/html", include_in_schema=False)
    async def playground() -> File:
        """The web playground (static files of this package; no build step, no CDN)."""
        return File(
            PLAYGROUND / "index.html",
            media_type="text/html",
            content_disposition_type="inline",
            headers={"Content-Security-Policy": PLAYGROUND_POLICY},
        )

    @get("/healthz")
    async def healthz() -> Json:
        """``ok``, with ``warnings`` about the configuration found at start (e.g. S3 URLs that
        will not open)."""
        return {"status": "ok", "warnings": warnings} if warnings else {"status": "ok"}

    @get(f"{FILES_PATH}/{{key:path}}", responses=error_responses(404), media_type="video/mp4")
    async def files(request: Request[Any, Any, Any], key: FromPath[str]) -> File:
        """A stored video, for a signed unexpired URL or a key that may act for its customer;
        404 for anything else, as for a file that does not exist."""
        key = key.lstrip("/")
        if posixpath.normpath(key) != key:
            # customers/100/../200/...: the customer a path names must be the one it reaches
            raise NotFoundError("no such video")
        params = request.query_params
        signed = signer.verify(key, params.get("expires"), params.get("signature"))
        if not (signed or _key_may_read(request, key)):
            raise NotFoundError("no such video")
        return stored_file(settings.storage_url, key)

    def _key_may_read(request: Request[Any, Any, Any], key: str) -> bool:
        parts = key.split("/")
        has_key = request.headers.get("authorization") or request.headers.get("x-api-key")
        if not (keys.enabled and has_key and len(parts) > 2 and parts[0] == "customers"):
            return False
        return caller_of(request).may_act_for(parts[1])

    async def start() -> None:
        # plugins load before the first request is checked against them, and the SDKs of
        # configured providers before the first job (not in the middle of a burst)
        await asyncio.to_thread(get_runtime().load_configured)
        warnings.extend(await asyncio.to_thread(storage_warnings, settings))
        for warning in warnings:
            logger.warning("reelgate: %s", warning)
        runner.start()
        await runner.warm_up()
        if deliverer is not None:
            delivering.append(asyncio.create_task(deliverer.run()))

    async def stop() -> None:
        for task in delivering:
            task.cancel()
        await asyncio.gather(*delivering, return_exceptions=True)
        await runner.shutdown()

    def mcp_tools(request: StarletteRequest | None) -> VideoTools:
        """The tools of one MCP request: acting for its key's customers, answering signed
        URLs of this server."""
        assert request is not None, "the HTTP endpoint always has a request"
        http_request: Request[Any, Any, Any] = Request(cast(HTTPScope, request.scope))
        caller, base_url = caller_of(http_request), guard.base_url(http_request)
        only = next(iter(caller.customers)) if len(caller.customers) == 1 else None
        bound = None if only == ANY_CUSTOMER else only
        backend = InProcessBackend(
            admission=admission,
            present=lambda envelope: present(envelope, base_url, signer),
            key_id=caller.key_id,
        )
        return VideoTools(
            VideoGenerationService(backend),
            customer_id=bound,
            may_act_for=None if bound else caller.may_act_for,
        )

    mcp_endpoint = McpHttpEndpoint(mcp_tools)
    openai_videos = openai_videos_router(
        admission,
        caller_of,
        lambda request, data: served_url(data, guard.base_url(request), signer),
        settings.storage_url,
        settings.max_body_bytes + 2 * settings.image_max_bytes,
    )

    @asgi(MCP_PATH, is_mount=True, copy_scope=True)
    async def mcp(scope: Scope, receive: Receive, send: Send) -> None:
        """The MCP endpoint (streamable HTTP), checked like every other request."""
        request: Request[Any, Any, Any] = Request(scope, receive)
        try:
            await guard.before_request(request)
            caller_of(request)
        except Exception as exc:
            refusal = error_response(exc)
            await refusal.to_asgi_response(app=None, request=request)(scope, receive, send)
            return
        await mcp_endpoint(scope, receive, send)

    cors = settings.cors_origin_list()
    return Litestar(
        route_handlers=[
            generate,
            extend,
            create_job,
            estimate_cost,
            job,
            job_events,
            metrics,
            models,
            healthz,
            files,
            mcp,
            openai_videos,
            playground,
            create_static_files_router(
                path="/playground", directories=[PLAYGROUND], include_in_schema=False
            ),
        ],
        lifespan=[mcp_endpoint.lifespan],
        before_request=guard.before_request,
        cors_config=CORSConfig(allow_origins=cors, allow_headers=["*"]) if cors else None,
        exception_handlers={Exception: handle_exception},
        on_startup=[start],
        on_shutdown=[stop],
        request_max_body_size=settings.max_body_bytes,
    )


def storage_warnings(settings: ApiSettings) -> list[str]:
    """What is wrong with the storage's URLs, checked once at start."""
    storage = storage_from_url(settings.storage_url, settings)
    warning = storage.url_warning() if isinstance(storage, S3Storage) else None
    return [warning] if warning else []
