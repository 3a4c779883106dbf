"""The Litestar app of ``reelgate serve``: the controllers of ``/video`` (:mod:`.video`),
``/video/jobs/{id}`` (:mod:`.jobs`), ``/files`` (:mod:`.files`), the OpenAI dialect at ``/v1``
(:mod:`.openai_videos`), MCP at ``/mcp`` (:mod:`.mcp_mount`) and the operators' and browsers'
routes (:mod:`.ops`), sharing one :class:`~reelgate_api.http.context.HttpContext`. Flows run on
the runner's own loop, never here."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State

from reelgate.runtimes import get_runtime
from reelgate_api.http.answers import job_answer
from reelgate_api.http.auth import ApiKeys
from reelgate_api.http.context import DEPENDENCIES, STATE_KEY, HttpContext
from reelgate_api.http.deprecation import add_deprecation_headers
from reelgate_api.http.docs import DOCS_HANDLERS, docs_files, openapi_config
from reelgate_api.http.errors import handle_exception
from reelgate_api.http.file_urls import FileSigner
from reelgate_api.http.files import files
from reelgate_api.http.guard import RequestGuard
from reelgate_api.http.jobs import JobsController
from reelgate_api.http.log_config import quiet_logging
from reelgate_api.http.mcp import McpHttpEndpoint
from reelgate_api.http.mcp_mount import mcp_mount, mcp_tools
from reelgate_api.http.openai_videos import openai_videos_router
from reelgate_api.http.ops import OPS_HANDLERS, playground_files
from reelgate_api.http.read_timeouts import body_deadline
from reelgate_api.http.video import VideoController
from reelgate_api.http.webhook_delivery import WebhookDeliverer
from reelgate_api.http.webhooks import WebhookSender
from reelgate_api.jobs.admission import Admission
from reelgate_api.jobs.runner import JobRunner
from reelgate_api.jobs.runners import runner_for
from reelgate_api.jobs.views import JobView
from reelgate_api.settings import ApiSettings
from reelgate_flows.records.outbox import Outbox
from reelgate_flows.records.spend import budgets_of
from reelgate_flows.server_secret import server_secret
from reelgate_flows.storage import storage_from_url
from reelgate_flows.storage.s3 import S3Storage

Json = dict[str, Any]
logger = logging.getLogger("reelgate.api")


def build_context(settings: ApiSettings, runner: JobRunner) -> HttpContext:
    """The parts of an app on ``runner``."""
    return HttpContext(
        settings=settings,
        runner=runner,
        admission=Admission(
            runner,
            budgets_of(settings),
            settings,
        ),
        keys=ApiKeys.from_settings(settings),
        guard=RequestGuard(settings),
        signer=FileSigner(
            server_secret(settings),
            settings.file_url_seconds,
        ),
        webhooks=WebhookSender(
            settings.webhook_secret,
            settings.webhook_attempts,
            settings.webhook_retry_base_seconds,
            settings.private_allowance(),
        ),
    )


def _deliverer(context: HttpContext) -> WebhookDeliverer | None:
    """The webhook outbox's deliverer, woken when a job of this process ends."""
    runner, settings = context.runner, context.settings
    if runner.records is None or not settings.webhook_secret:
        return None

    def payload(view: JobView, base_url: str) -> Json:
        answer = job_answer(view, base_url, context.signer)
        return answer.content if isinstance(answer.content, dict) else {}

    outbox = Outbox(runner.records, settings.executor_name)
    records = runner.records

    async def trace_of(job_id: str) -> str | None:
        record = await records.get(job_id)
        return None if record is None else record.trace

    deliverer = WebhookDeliverer(outbox, context.webhooks, runner.view, payload, trace_of=trace_of)

    async def job_ended(job_id: str) -> None:
        deliverer.wake()

    runner.on_end.append(job_ended)
    return deliverer


class _Lifecycle:
    """Start: plugins loaded before the first request is checked against them, the SDKs of
    configured providers before the first job (not in the middle of a burst), the storage's
    URLs checked, the runner started; stop: the deliverer and the runner."""

    def __init__(self, context: HttpContext, deliverer: WebhookDeliverer | None) -> None:
        self.context = context
        self.deliverer = deliverer
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        context = self.context
        await asyncio.to_thread(get_runtime().load_configured)
        context.warnings.extend(await asyncio.to_thread(storage_warnings, context.settings))
        for warning in context.warnings:
            logger.warning("reelgate: %s", warning)
        context.runner.start()
        await context.runner.warm_up()
        if self.deliverer is not None:
            self.tasks.append(asyncio.create_task(self.deliverer.run()))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.context.runner.shutdown()


def create_app(settings: ApiSettings | None = None, runner: JobRunner | None = None) -> Litestar:
    """The app of ``settings`` (default: the environment's) on ``runner`` (default: the one
    of its execution mode)."""
    settings = settings or ApiSettings.current()
    context = build_context(settings, runner or runner_for(settings))
    lifecycle = _Lifecycle(context, _deliverer(context))
    endpoint = McpHttpEndpoint(mcp_tools)
    cors = settings.cors_origin_list()
    return Litestar(
        route_handlers=[
            VideoController,
            JobsController,
            files,
            mcp_mount(endpoint),
            openai_videos_router(settings.max_body_bytes + 2 * settings.image_max_bytes),
            *OPS_HANDLERS,
            *DOCS_HANDLERS,
            playground_files(),
            docs_files(),
        ],
        openapi_config=openapi_config(),
        dependencies=DEPENDENCIES,
        state=State({STATE_KEY: context}),
        lifespan=[endpoint.lifespan],
        before_request=context.guard.before_request,
        before_send=[add_deprecation_headers],
        cors_config=CORSConfig(allow_origins=cors, allow_headers=["*"]) if cors else None,
        exception_handlers={Exception: handle_exception},
        on_startup=[lifecycle.start],
        on_shutdown=[lifecycle.stop],
        request_max_body_size=settings.max_body_bytes,
        middleware=[body_deadline(settings.body_read_timeout_seconds)],
        logging_config=quiet_logging(),
    )


def storage_warnings(settings: ApiSettings) -> list[str]:
    """What is wrong with the storage's URLs, checked once at start."""
    storage = storage_from_url(settings.storage_url, settings)
    warning = storage.url_warning() if isinstance(storage, S3Storage) else None
    return [warning] if warning else []
