"""``/video``: the seed's ``POST /video/generate`` and ``POST /video/extend`` (they wait for the
job, up to ``sync_timeout_seconds``), ``POST /video/jobs`` (answers at once), ``POST
/video/estimate`` and ``GET /video/models``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from reelgate.runtimes import get_runtime
from reelgate_api.http.answers import job_answer, job_links
from reelgate_api.http.auth import Caller
from reelgate_api.http.bodies import parse_request
from reelgate_api.http.context import CallerDep, ContextDep, HttpContext
from reelgate_api.http.openapi import SUBMIT_ERRORS, ExtendOperation, GenerateOperation
from reelgate_api.service.models_report import models_report

Json = dict[str, Any]
AnyRequest = Request[Any, Any, Any]


async def _run_sync(
    request: AnyRequest, context: HttpContext, caller: Caller, extend: bool
) -> Response[Json]:
    job_id = await context.admitted(request, caller, extend)
    await context.runner.wait(job_id, context.settings.sync_timeout_seconds)
    view = await context.runner.view(job_id)
    assert view is not None
    return job_answer(view, context.base_url(request), context.signer)


class VideoController(Controller):
    path = "/video"

    @post("/generate", status_code=200, operation_class=GenerateOperation, responses=SUBMIT_ERRORS)
    async def generate(
        self, request: AnyRequest, context: ContextDep, caller: CallerDep
    ) -> Response[Json]:
        return await _run_sync(request, context, caller, extend=False)

    @post("/extend", status_code=200, operation_class=ExtendOperation, responses=SUBMIT_ERRORS)
    async def extend(
        self, request: AnyRequest, context: ContextDep, caller: CallerDep
    ) -> Response[Json]:
        return await _run_sync(request, context, caller, extend=True)

    @post("/jobs", status_code=202, operation_class=GenerateOperation, responses=SUBMIT_ERRORS)
    async def create_job(
        self, request: AnyRequest, context: ContextDep, caller: CallerDep
    ) -> Response[Json]:
        job_id = await context.admitted(request, caller, None)
        links = job_links(context.base_url(request), job_id)
        body = {"success": True, "code": 202, "data": {**links, "status": "queued"}}
        return Response(body, status_code=202)

    @post("/estimate", status_code=200, operation_class=GenerateOperation, responses=SUBMIT_ERRORS)
    async def estimate_cost(
        self, request: AnyRequest, context: ContextDep, caller: CallerDep
    ) -> Json:
        """What a generate or extend request would cost, checked as if it were started but
        never submitted (no provider credentials needed)."""
        parsed = parse_request(await request.body(), extend=None)
        estimate = await context.admission.estimate(parsed, caller)
        return {"success": True, "code": 200, "data": estimate}

    @get("/models")
    async def models(self, caller: CallerDep) -> Json:
        return models_report(get_runtime())
