"""What every controller of the app shares (:class:`HttpContext`, kept in the app's state) and
the dependencies it hands them: the context itself and the request's :class:`Caller`.

Tenancy: every request resolves its caller once; a job, a source video or a file outside the
customers it may act for answers exactly as one that does not exist (404), and its
idempotency keys are its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler

from reelgate.errors import NotFoundError
from reelgate.storyboards import JobRequest
from reelgate_api.http.auth import ApiKeys, Caller, presented_key
from reelgate_api.http.deprecation import WARNINGS_STATE
from reelgate_api.http.file_urls import FileSigner
from reelgate_api.http.guard import RequestGuard
from reelgate_api.http.webhooks import WebhookSender
from reelgate_api.jobs.admission import Admission, authorise
from reelgate_api.jobs.runner import JobRunner
from reelgate_api.jobs.views import JobView
from reelgate_api.settings import ApiSettings

AnyRequest = Request[Any, Any, Any]


@dataclass
class HttpContext:
    """One app's settings and the parts its controllers use."""

    settings: ApiSettings
    runner: JobRunner
    admission: Admission
    keys: ApiKeys
    guard: RequestGuard
    signer: FileSigner
    webhooks: WebhookSender
    warnings: list[str] = field(default_factory=list)
    """What is wrong with the configuration, found at start."""

    def caller(self, request: AnyRequest) -> Caller:
        """The request's caller; 401 without a valid key (when keys are on)."""
        headers = request.headers
        return self.keys.caller(
            presented_key(headers.get("authorization"), headers.get("x-api-key"))
        )

    def base_url(self, request: AnyRequest) -> str:
        return self.guard.base_url(request)

    async def visible_job(self, caller: Caller, job_id: str) -> JobView:
        """The job if it exists and ``caller`` may act for its customer; else 404. Its record
        is read first, so a missing job and another customer's cost the same one lookup."""
        records = self.runner.records
        if records is not None:
            record = await records.get(job_id)
            if record is None or record.deleted or not caller.may_act_for(record.customer_id):
                raise NotFoundError(f"no job {job_id}")
        view = await self.runner.view(job_id)
        if view is None or not caller.may_act_for(view.customer_id):
            raise NotFoundError(f"no job {job_id}")
        return view

    async def admitted(self, request: AnyRequest, caller: Caller, parsed: JobRequest) -> str:
        """Authorise a parsed request, then start its job through the one admission (once
        per scoped Idempotency-Key); the job id."""
        authorise(parsed, caller)
        key = caller.scoped_idempotency_key(
            parsed.customer_id, request.headers.get("idempotency-key")
        )
        notify = None
        webhook_url = getattr(parsed, "webhook_url", None)
        if webhook_url:
            await self.webhooks.check(webhook_url)
            notify = self.base_url(request)
        warnings: list[dict[str, Any]] = []
        request.state[WARNINGS_STATE] = warnings  # answered as headers (http.deprecation)
        parent = request.headers.get("traceparent")
        return await self.admission.start(parsed, key, caller, notify, warnings, parent)


STATE_KEY = "reelgate"


def provide_context(state: State) -> HttpContext:
    return cast(HttpContext, state[STATE_KEY])


CALLER_STATE = "reelgate_caller"


def caller_first(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard resolving the caller before the handler's body is read: a request without a
    valid key is a 401 whatever its body."""
    context = cast(HttpContext, connection.app.state[STATE_KEY])
    connection.state[CALLER_STATE] = context.caller(cast(AnyRequest, connection))


def provide_caller(request: AnyRequest, context: NamedDependency[HttpContext]) -> Caller:
    known = request.state.get(CALLER_STATE)
    return known if isinstance(known, Caller) else context.caller(request)


DEPENDENCIES = {
    "context": Provide(provide_context, sync_to_thread=False),
    "caller": Provide(provide_caller, sync_to_thread=False),
}
"""The app's dependencies: ``context`` and ``caller``."""

ContextDep = NamedDependency[HttpContext]
"""A handler's ``context`` parameter."""
CallerDep = NamedDependency[Caller]
"""A handler's ``caller`` parameter."""
