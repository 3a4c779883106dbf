"""``/video``: the seed's ``POST /video/generate`` and ``POST /video/extend`` (they wait for the
job, up to ``sync_timeout_seconds``), ``POST /video/jobs`` (answers at once), ``POST
/video/estimate`` and ``GET /video/models``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.runtimes import get_runtime
from reelgate.storyboards import StoryboardRequest
from reelgate_api.http.answers import job_answer, job_links
from reelgate_api.http.auth import Caller
from reelgate_api.http.context import CallerDep, ContextDep, HttpContext, caller_first
from reelgate_api.http.error_docs import SUBMIT_ERRORS
from reelgate_api.http.request_bodies import ExtendBody, GenerateBody, JobBody, StoryboardBody
from reelgate_api.service.models_report import models_report

Json = dict[str, Any]
AnyRequest = Request[Any, Any, Any]


async def _run_sync(
    request: AnyRequest, context: HttpContext, caller: Caller, parsed: GenerateRequest
) -> Response[Json]:
    job_id = await context.admitted(request, caller, parsed)
    await context.runner.wait(job_id, context.settings.sync_timeout_seconds)
    view = await context.runner.view(job_id)
    assert view is not None
    return job_answer(view, context.base_url(request), context.signer)


class VideoController(Controller):
    """The seed's routes. The caller is known (401) before the body is read (400)."""

    path = "/video"
    guards = (caller_first,)
    return_dto = None

    @post("/generate", status_code=200, dto=GenerateBody, responses=SUBMIT_ERRORS)
    async def generate(
        self,
        request: AnyRequest,
        context: ContextDep,
        caller: CallerDep,
        data: JSONBody[GenerateRequest],
    ) -> Response[Json]:
        return await _run_sync(request, context, caller, data)

    @post("/extend", status_code=200, dto=ExtendBody, responses=SUBMIT_ERRORS)
    async def extend(
        self,
        request: AnyRequest,
        context: ContextDep,
        caller: CallerDep,
        data: JSONBody[ExtendRequest],
    ) -> Response[Json]:
        return await _run_sync(request, context, caller, data)

    @post("/jobs", status_code=202, dto=JobBody, responses=SUBMIT_ERRORS)
    async def create_job(
        self,
        request: AnyRequest,
        context: ContextDep,
        caller: CallerDep,
        data: JSONBody[GenerateRequest],
    ) -> Response[Json]:
        """Start a generate job, or an extend job when the body names ``video_id``; answers
        at once with the job's links."""
        job_id = await context.admitted(request, caller, data)
        links = job_links(context.base_url(request), job_id)
        body = {"success": True, "code": 202, "data": {**links, "status": "queued"}}
        return Response(body, status_code=202)

    @post("/storyboards", status_code=202, dto=StoryboardBody, responses=SUBMIT_ERRORS)
    async def create_storyboard(
        self,
        request: AnyRequest,
        context: ContextDep,
        caller: CallerDep,
        data: JSONBody[StoryboardRequest],
    ) -> Response[Json]:
        """Start a storyboard: one video from its shots (each a job of its own, then joined);
        answers at once with the job's links, served by the same job routes as any job."""
        job_id = await context.admitted(request, caller, data)
        links = job_links(context.base_url(request), job_id)
        body = {"success": True, "code": 202, "data": {**links, "status": "queued"}}
        return Response(body, status_code=202)

    @post("/estimate", status_code=200, dto=JobBody, responses=SUBMIT_ERRORS)
    async def estimate_cost(
        self, context: ContextDep, caller: CallerDep, data: JSONBody[GenerateRequest]
    ) -> Json:
        """What a generate or extend request would cost, checked as if it were started but
        never submitted (no provider credentials needed)."""
        estimate = await context.admission.estimate(data, caller)
        return {"success": True, "code": 200, "data": estimate}

    @get("/models")
    async def models(self, caller: CallerDep) -> Json:
        return models_report(get_runtime())
