"""The OpenAI Videos API served by reelgate (``/v1/videos``): create (multipart or JSON),
retrieve, list, content, remix and delete, with any reelgate model, for clients written for
OpenAI's retired endpoint (the ``openai`` SDK, LiteLLM, ...).

Auth is the API's own (``Authorization: Bearer <reelgate key>``); a job belongs to the key's
customer, or to the one ``X-Reelgate-Customer`` names when the key may act for several (on a
server without keys the header, else ``default``). ``Idempotency-Key`` is honoured as on
``POST /video/jobs``. Errors have the OpenAI shape (:func:`~reelgate_api.http.errors.
openai_error_response`). A remix is an extension of the job, with the model the job used.
"""

from __future__ import annotations

import base64
from typing import Any

from litestar import Controller, HttpMethod, Request, Response, Router, get, post, route
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from reelgate.errors import NotFoundError, ValidationError
from reelgate.requests import request_from_body
from reelgate.runtimes import get_runtime
from reelgate_api.http.auth import ANY_CUSTOMER, Caller
from reelgate_api.http.context import CallerDep, ContextDep, HttpContext
from reelgate_api.http.deprecation import WARNINGS_STATE
from reelgate_api.http.errors import handle_openai_exception
from reelgate_api.http.openai_shapes import (
    OpenAiRequestError,
    generate_body,
    remix_body,
    video_object,
)
from reelgate_api.http.presentation import served_url, stored_path
from reelgate_api.http.ranges import ranged_file
from reelgate_api.http.request_bodies import json_object
from reelgate_api.jobs.purge import purge
from reelgate_flows.records.jobs import JobRecords
from reelgate_flows.records.record import JobRecord
from reelgate_flows.storage.keys import preview_key

Json = dict[str, Any]
CUSTOMER_HEADER = "x-reelgate-customer"
OPEN_SERVER_CUSTOMER = "default"
LIST_LIMIT_MAX = 100


def acting_customer(caller: Caller, header: str | None) -> str:
    """The customer a ``/v1`` request acts for (see the module docstring)."""
    own = sorted(caller.customers - {ANY_CUSTOMER})
    if header:
        caller.require(header)
        return header
    if ANY_CUSTOMER in caller.customers:
        if caller.key_id == "open":
            return OPEN_SERVER_CUSTOMER
        raise OpenAiRequestError(
            "this API key may act for any customer: name one in X-Reelgate-Customer",
            param="X-Reelgate-Customer",
        )
    if len(own) == 1:
        return own[0]
    raise OpenAiRequestError(
        f"this API key acts for {len(own)} customers: name one in X-Reelgate-Customer",
        param="X-Reelgate-Customer",
    )


async def _fields(request: Request[Any, Any, Any]) -> Json:
    """The create body: multipart form fields (files as bytes and type, ``a[b]`` as nested
    objects, several ``input_reference`` files as a list) or a JSON object."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        return json_object(await request.body())
    fields: Json = {}
    form = await request.form()
    for name, value in form.multi_items():
        item = (await value.read(), value.content_type) if isinstance(value, UploadFile) else value
        outer, bracket, inner = name.partition("[")
        if name == REFERENCE_LIST_FIELD and name in fields:  # files sent under one name: a list
            earlier = fields[name]
            fields[name] = [*(earlier if isinstance(earlier, list) else [earlier]), item]
            continue
        nested = fields.setdefault(outer, {}) if bracket else None
        if (bracket and not isinstance(nested, dict)) or (not bracket and outer in fields):
            raise ValidationError(f"the form field {outer} is sent more than once", field=outer)
        if isinstance(nested, dict):
            nested[inner.rstrip("]")] = item
        else:
            fields[name] = item
    return fields


AnyRequest = Request[Any, Any, Any]
REFERENCE_LIST_FIELD = "input_reference"


def _records(context: HttpContext) -> JobRecords:
    if context.runner.records is None:
        raise RuntimeError("the OpenAI dialect needs job records")
    return context.runner.records


async def _own_record(context: HttpContext, caller: Caller, video_id: str) -> JobRecord:
    """The caller's undeleted job ``video_id``; 404 for any other."""
    record = await _records(context).get(video_id)
    if record is None or record.deleted or not caller.may_act_for(record.customer_id):
        raise NotFoundError(f"No video found with id '{video_id}'", param="video_id")
    return record


async def _video_of(context: HttpContext, record: JobRecord) -> Json:
    default_model = get_runtime().registry.default_model or ""
    return video_object(record, await context.runner.view(record.job_id), default_model)


async def _start(
    request: AnyRequest, context: HttpContext, caller: Caller, body: Json, customer: str
) -> Json:
    parsed = request_from_body(body)
    key = caller.scoped_idempotency_key(customer, request.headers.get("idempotency-key"))
    warnings: list[dict[str, Any]] = []
    request.state[WARNINGS_STATE] = warnings  # answered as headers (http.deprecation)
    parent = request.headers.get("traceparent")
    job_id = await context.admission.start(
        parsed, key, caller, warnings=warnings, trace_parent=parent
    )
    record = await _records(context).get(job_id)
    assert record is not None, "an admitted job has its record"
    return await _video_of(context, record)


async def _content(
    request: AnyRequest, context: HttpContext, video_id: str, variant: str
) -> Response[Any]:
    """The video of a finished job, or its ``thumbnail`` or ``spritesheet`` (a JPEG): the
    file, its bytes, or a redirect to its URL."""
    view = await context.runner.view(video_id)
    if view is None or view.status != "succeeded" or view.result is None:
        raise NotFoundError(
            "Video is not ready yet, use GET /v1/videos/{video_id} to check status.",
            code="video_not_ready",
        )
    data = view.result["data"]
    field, media_type = CONTENT_VARIANTS[variant]
    url = data.get(field)
    if not isinstance(url, str):
        raise NotFoundError(f"video {video_id} has no {variant}", code="variant_not_found")
    key = data.get("storage_key")
    if url.startswith("file://") and key:
        file_key = str(key) if variant == "video" else preview_key(str(key), variant)
        path = stored_path(context.settings.storage_url, file_key)
        return ranged_file(path, media_type, request.headers.get("range"))
    if url.startswith("data:"):
        payload = base64.b64decode(url.partition(",")[2])
        return Response(payload, media_type=media_type)
    presented = served_url(data, context.base_url(request), context.signer)
    return Redirect(presented[field], status_code=302)


async def _page(
    context: HttpContext, customer: str, after: str | None, limit: int, order: str
) -> Json:
    """A page of ``customer``'s videos, as OpenAI lists them."""
    if order not in ("asc", "desc"):
        raise OpenAiRequestError("order must be 'asc' or 'desc'", param="order")
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise OpenAiRequestError(f"limit must be 1-{LIST_LIMIT_MAX}", param="limit")
    page, more = await _records(context).of_customer(customer, after, limit, order == "desc")
    data = [await _video_of(context, record) for record in page]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": more,
    }


V1_ERRORS = {
    status: ResponseSpec(
        data_container=dict[str, Any],
        description=f"{meaning}: an OpenAI-shaped error {{error: {{message, type, param, code}}}}",
    )
    for status, meaning in (
        (400, "a request that cannot be served"),
        (401, "no valid API key"),
        (403, "the key may not act for that customer"),
        (404, "no such video of this customer"),
        (408, "the body did not arrive in time"),
        (413, "the body is too large"),
        (415, "neither JSON nor multipart"),
        (429, "a budget or a rate limit"),
    )
}


class OpenAiVideosController(Controller):
    """The ``/v1/videos`` routes, starting jobs through the one admission."""

    path = "/videos"

    @route(
        "/",
        http_method=[HttpMethod.GET, HttpMethod.POST],
        status_code=200,
        opt={"multipart": True},
        responses=V1_ERRORS,
    )
    async def videos(
        self,
        request: AnyRequest,
        context: ContextDep,
        caller: CallerDep,
        after: FromQuery[str | None] = None,
        limit: FromQuery[int] = 20,
        order: FromQuery[str] = "desc",
    ) -> Json:
        """POST: create a video (multipart, as the openai SDK sends it, or JSON). GET: the
        acting customer's videos (``after`` a video id, ``limit`` 1-100, ``order`` asc or
        desc). One handler for both, so the path's OPTIONS answer names both."""
        customer = acting_customer(caller, request.headers.get(CUSTOMER_HEADER))
        if request.method == HttpMethod.POST:
            body = generate_body(await _fields(request), customer)
            return await _start(request, context, caller, body, customer)
        return await _page(context, customer, after, limit, order)

    @route(
        "/{video_id:str}",
        http_method=[HttpMethod.GET, HttpMethod.DELETE],
        status_code=200,
        responses=V1_ERRORS,
    )
    async def video(
        self, request: AnyRequest, context: ContextDep, caller: CallerDep, video_id: FromPath[str]
    ) -> Json:
        """GET: the video. DELETE: delete it for good (:mod:`reelgate_api.jobs.purge`)."""
        record = await _own_record(context, caller, video_id)
        if request.method == HttpMethod.DELETE:
            await purge(context.admission, video_id, context.settings)
            return {"id": video_id, "object": "video.deleted", "deleted": True}
        return await _video_of(context, record)

    @post("/{video_id:str}/remix", status_code=200, responses=V1_ERRORS)
    async def remix(
        self, request: AnyRequest, context: ContextDep, caller: CallerDep, video_id: FromPath[str]
    ) -> Json:
        source = await _own_record(context, caller, video_id)
        body = json_object(await request.body())
        prompt = body.get("prompt")
        customer = str(source.customer_id)
        return await _start(request, context, caller, remix_body(source, prompt), customer)

    @get("/{video_id:str}/content", media_type="video/mp4", responses=V1_ERRORS)
    async def content(
        self,
        request: AnyRequest,
        context: ContextDep,
        caller: CallerDep,
        video_id: FromPath[str],
        variant: FromQuery[str] = "video",
    ) -> Response[Any]:
        await _own_record(context, caller, video_id)
        if variant not in CONTENT_VARIANTS:
            raise OpenAiRequestError(
                f"variant '{variant}' is not one of {', '.join(CONTENT_VARIANTS)}",
                param="variant",
            )
        return await _content(request, context, video_id, variant)


CONTENT_VARIANTS = {
    "video": ("video_url", "video/mp4"),
    "thumbnail": ("thumbnail_url", "image/jpeg"),
    "spritesheet": ("spritesheet_url", "image/jpeg"),
}
"""What ``GET /v1/videos/{id}/content?variant=`` serves: the envelope field and media type."""


def openai_videos_router(max_body_bytes: int) -> Router:
    """``/v1``: the OpenAI dialect, its errors in OpenAI's shape; bodies up to
    ``max_body_bytes`` (a create may carry an image)."""
    return Router(
        path="/v1",
        route_handlers=[OpenAiVideosController],
        exception_handlers={Exception: handle_openai_exception},
        tags=["OpenAI Videos dialect"],
        request_max_body_size=max_body_bytes,
    )
