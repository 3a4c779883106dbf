"""``/video/jobs/{id}``: a job's status (``GET``), its cancellation (``DELETE``) and its
Server-Sent Events (``/events``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, get, route
from litestar.params import FromPath, QueryParameter
from litestar.response import ServerSentEvent

from reelgate_api.http.answers import job_answer, status_body
from reelgate_api.http.context import CallerDep, ContextDep
from reelgate_api.http.error_docs import JOB_ERRORS
from reelgate_api.http.events import job_event_stream
from reelgate_api.jobs.purge import purge

Json = dict[str, Any]


class JobsController(Controller):
    path = "/video/jobs/{job_id:str}"

    @route(
        "/", http_method=[HttpMethod.GET, HttpMethod.DELETE], status_code=200, responses=JOB_ERRORS
    )
    async def job(
        self,
        request: Request[Any, Any, Any],
        context: ContextDep,
        caller: CallerDep,
        job_id: FromPath[str],
        purge_job: Annotated[bool, QueryParameter(name="purge")] = False,
    ) -> Response[Json]:
        """GET: the job's status and, once it ended, its envelope or error. DELETE: cancel it
        (at the provider where it can); 409 once it ended. ``DELETE ?purge=true``: delete it
        for good (cancelled if it runs, its stored videos removed, 404 on every face after).
        One handler for both, so the path's OPTIONS answer names both."""
        view = await context.visible_job(caller, job_id)
        if request.method == HttpMethod.DELETE and purge_job:
            await purge(context.admission, job_id, context.settings)
            data = {"job_id": job_id, "status": "deleted"}
            return Response({"success": True, "code": 200, "data": data}, status_code=200)
        if request.method == HttpMethod.DELETE:
            status = await context.admission.cancel(job_id)
            data = {"job_id": job_id, "status": status}
            return Response({"success": True, "code": 200, "data": data}, status_code=200)
        body = status_body(view, context.base_url(request), context.signer)
        return Response(body, status_code=200)

    @get("/events", media_type="text/event-stream", responses=JOB_ERRORS)
    async def job_events(
        self,
        request: Request[Any, Any, Any],
        context: ContextDep,
        caller: CallerDep,
        job_id: FromPath[str],
    ) -> ServerSentEvent:
        """Server-Sent Events: ``status`` on every change of status, step or progress, then
        one ``result`` event holding the envelope (or error envelope) when the job ends. Each
        has an ``id:``; a client reconnecting with ``Last-Event-ID`` is not sent again the
        status it had."""
        first = await context.visible_job(caller, job_id)
        base_url, signer = context.base_url(request), context.signer
        return ServerSentEvent(
            job_event_stream(
                first,
                context.runner.view,
                lambda view: job_answer(view, base_url, signer).content,
                request.headers.get("last-event-id"),
            )
        )
