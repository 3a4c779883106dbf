"""The Litestar app: the seed's ``POST /video/generate`` and ``POST /video/extend``, async jobs
(``POST /video/jobs``, ``GET /video/jobs/{id}``), ``GET /video/models``, ``GET /healthz`` and the
files of the local folder storage. Flows run on the :class:`JobRunner`'s own loop, never here."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, ServerSentEvent, ServerSentEventMessage

from reelgate.errors import StorageError, ValidationError
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtime import get_runtime
from reelgate_api.auth import ApiKeys, presented_key
from reelgate_api.bodies import parse_request
from reelgate_api.deployment_runner import DeploymentRunner
from reelgate_api.errors import error_response, handle_exception, http_error_response
from reelgate_api.executor import InProcessExecutor
from reelgate_api.job_views import TERMINAL_STATUSES, JobView
from reelgate_api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from reelgate_api.models_report import models_report
from reelgate_api.openapi import ExtendOperation, GenerateOperation
from reelgate_api.presentation import FILES_PATH, present
from reelgate_api.runner import JobRunner
from reelgate_api.settings import ApiSettings
from reelgate_api.webhooks import WebhookSender
from reelgate_flows.storage.files import FileStorage

Json = dict[str, Any]
EVENT_POLL_SECONDS = 0.2


def _base_url(request: Request[Any, Any, Any], settings: ApiSettings) -> str:
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


def _job_links(base_url: str, job_id: str) -> Json:
    return {"job_id": job_id, "status_url": f"{base_url}/video/jobs/{job_id}"}


def _answer(view: JobView, base_url: str) -> Response[Json]:
    """The envelope of a job: the result, the error, or 202 with where to look later."""
    if view.status == "succeeded" and view.result is not None:
        return Response(present(view.result, base_url), status_code=200)
    if view.status == "failed" and view.error is not None:
        return error_response(view.error)
    accepted = {
        "success": True,
        "code": 202,
        "data": {**_job_links(base_url, view.job_id), "status": view.status},
    }
    return Response(accepted, status_code=202)


def runner_for(settings: ApiSettings) -> JobRunner:
    """The runner of the configured execution mode (REELGATE_EXECUTION)."""
    if settings.execution == "deployment":
        return DeploymentRunner(settings.deployment_name)
    return InProcessExecutor(settings.max_running_jobs, owner=settings.executor_name)


def create_app(settings: ApiSettings | None = None, runner: JobRunner | None = None) -> Litestar:
    settings = settings or ApiSettings.current()
    runner = runner or runner_for(settings)
    keys = ApiKeys.from_settings(settings)
    webhooks = WebhookSender(
        settings.webhook_secret,
        settings.webhook_attempts,
        settings.webhook_retry_base_seconds,
        settings.private_allowance(),
    )
    webhook_targets: dict[str, tuple[str, str]] = {}

    async def notify(job_id: str) -> None:
        """Runs on the runner's loop when a job of this process ends."""
        target = webhook_targets.pop(job_id, None)
        view = await runner.view_here(job_id) if target else None
        if target is None or view is None:
            return
        answer = _answer(view, target[1])
        content = answer.content if isinstance(answer.content, dict) else {}
        await webhooks.deliver(target[0], {**content, "job_id": job_id, "status": view.status})

    runner.on_end.append(notify)

    async def start_job(request: Request[Any, Any, Any], parsed: GenerateRequest) -> str:
        job_id = await runner.start_job(parsed, request.headers.get("idempotency-key"))
        if parsed.webhook_url:
            webhook_targets[job_id] = (parsed.webhook_url, _base_url(request, settings))
        return job_id

    def key_of(request: Request[Any, Any, Any]) -> str | None:
        return presented_key(request.headers.get("authorization"), request.headers.get("x-api-key"))

    async def parse_authorized(
        request: Request[Any, Any, Any], extend: bool | None
    ) -> GenerateRequest:
        keys.customers_for(key_of(request))
        parsed = parse_request(await request.body(), extend=extend)
        keys.authorize(key_of(request), parsed.customer_id)
        get_runtime().prepare(await _as_it_will_run(parsed))
        if parsed.webhook_url:
            await webhooks.check(parsed.webhook_url)
        return parsed

    async def _as_it_will_run(parsed: GenerateRequest) -> GenerateRequest:
        """The request with the model its run will use: an extend of a reelgate job without an
        explicit model continues with the job's own model (as the flow does)."""
        if not (isinstance(parsed, ExtendRequest) and parsed.model_from_job):
            return parsed
        source = await runner.view(parsed.video_id)
        if source is None:
            return parsed
        if source.status != "succeeded" or source.result is None:
            raise ValidationError(
                f"job {parsed.video_id} has not finished; extend it once it has",
                field="video_id",
            )
        return parsed.with_model(str(source.result["data"]["model"]))

    async def run_sync(request: Request[Any, Any, Any], extend: bool) -> Response[Json]:
        parsed = await parse_authorized(request, extend)
        job_id = await start_job(request, parsed)
        await runner.wait(job_id, settings.sync_timeout_seconds)
        view = await runner.view(job_id)
        assert view is not None
        return _answer(view, _base_url(request, settings))

    @post("/video/generate", status_code=200, operation_class=GenerateOperation)
    async def generate(request: Request[Any, Any, Any]) -> Response[Json]:
        return await run_sync(request, extend=False)

    @post("/video/extend", status_code=200, operation_class=ExtendOperation)
    async def extend(request: Request[Any, Any, Any]) -> Response[Json]:
        return await run_sync(request, extend=True)

    @post("/video/jobs", status_code=202, operation_class=GenerateOperation)
    async def create_job(request: Request[Any, Any, Any]) -> Response[Json]:
        parsed = await parse_authorized(request, None)
        job_id = await start_job(request, parsed)
        body = {
            "success": True,
            "code": 202,
            "data": {**_job_links(_base_url(request, settings), job_id), "status": "queued"},
        }
        return Response(body, status_code=202)

    @get("/video/jobs/{job_id:str}")
    async def read_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[Json]:
        keys.customers_for(key_of(request))
        view = await runner.view(job_id)
        if view is None:
            return http_error_response(404, f"no job {job_id}")
        keys.authorize(key_of(request), view.customer_id)
        answer = _answer(view, _base_url(request, settings))
        content = answer.content if isinstance(answer.content, dict) else {}
        details = {
            "job_id": job_id,
            "status": view.status,
            "provider": view.provider,
            "step": view.step,
            "progress": view.progress,
        }
        return Response({**content, **details}, status_code=200)

    @delete("/video/jobs/{job_id:str}", status_code=200)
    async def cancel_job(request: Request[Any, Any, Any], job_id: FromPath[str]) -> Response[Json]:
        keys.customers_for(key_of(request))
        view = await runner.view(job_id)
        if view is None:
            raise NotFoundException(f"no job {job_id}")
        keys.authorize(key_of(request), view.customer_id)
        status = await runner.cancel(job_id)
        return Response(
            {"success": True, "code": 200, "data": {"job_id": job_id, "status": status}},
            status_code=200,
        )

    @get("/video/jobs/{job_id:str}/events")
    async def job_events(request: Request[Any, Any, Any], job_id: FromPath[str]) -> ServerSentEvent:
        """Server-Sent Events: ``status`` on every change of status, step or progress, then
        one ``result`` event holding the envelope (or error envelope) when the job ends."""
        keys.customers_for(key_of(request))
        first = await runner.view(job_id)
        if first is None:
            raise NotFoundException(f"no job {job_id}")
        keys.authorize(key_of(request), first.customer_id)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            view, last = first, None
            while True:
                snapshot = (view.status, view.step, view.progress)
                if snapshot != last:
                    last = snapshot
                    yield ServerSentEventMessage(
                        event="status",
                        data=json.dumps(
                            {
                                "job_id": job_id,
                                "status": view.status,
                                "step": view.step,
                                "progress": view.progress,
                            }
                        ),
                    )
                if view.status in TERMINAL_STATUSES:
                    answer = _answer(view, _base_url(request, settings))
                    yield ServerSentEventMessage(event="result", data=json.dumps(answer.content))
                    return
                await asyncio.sleep(EVENT_POLL_SECONDS)
                view = await runner.view(job_id) or view

        return ServerSentEvent(stream())

    @get("/metrics", media_type=METRICS_CONTENT_TYPE)
    async def metrics() -> Response[bytes]:
        return Response(runner.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    @get("/video/models")
    async def models(request: Request[Any, Any, Any]) -> Json:
        keys.customers_for(key_of(request))
        return models_report(get_runtime())

    @get("/healthz")
    async def healthz() -> Json:
        return {"status": "ok"}

    @get(f"{FILES_PATH}/{{key:path}}")
    async def files(key: FromPath[str]) -> File:
        if not settings.storage_url.startswith("file://"):
            raise NotFoundException("videos are not kept in a local folder")
        storage = FileStorage(Path(settings.storage_url.removeprefix("file://")))
        try:
            path = storage.path(key.lstrip("/"))
        except StorageError as exc:
            raise NotFoundException("no such video") from exc
        if not path.is_file():
            raise NotFoundException("no such video")
        return File(path, media_type="video/mp4", content_disposition_type="inline")

    async def start() -> None:
        get_runtime()  # plugins load before the first request is checked against them
        runner.start()
        await runner.warm_up()

    return Litestar(
        route_handlers=[
            generate,
            extend,
            create_job,
            cancel_job,
            read_job,
            job_events,
            metrics,
            models,
            healthz,
            files,
        ],
        exception_handlers={Exception: handle_exception},
        on_startup=[start],
        on_shutdown=[runner.stop],
        request_max_body_size=settings.max_body_bytes,
    )
