"""The OpenAI Videos API served by reelgate (``/v1/videos``): create (multipart or JSON),
retrieve, list, content, remix and delete, with any reelgate model, for clients written for
OpenAI's retired endpoint (the ``openai`` SDK, LiteLLM, ...).

Auth is the API's own (``Authorization: Bearer <reelgate key>``); a job belongs to the key's
customer, or to the one ``X-Reelgate-Customer`` names when the key may act for several (on a
server without keys the header, else ``default``). ``Idempotency-Key`` is honoured as on
``POST /video/jobs``. Errors have the OpenAI shape (:func:`~reelgate_api.errors.
openai_error_response`). A remix is an extension of the job, with the model the job used.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect

from reelgate.errors import ConflictError, NotFoundError, ValidationError
from reelgate.requests import request_from_body
from reelgate.runtime import get_runtime
from reelgate_api.admission import Admission
from reelgate_api.auth import ANY_CUSTOMER, Caller
from reelgate_api.errors import handle_openai_exception
from reelgate_api.openai_shapes import (
    OpenAiRequestError,
    generate_body,
    remix_body,
    video_object,
)
from reelgate_api.presentation import stored_file
from reelgate_flows.job_records import JobRecord, JobRecords

Json = dict[str, Any]
CUSTOMER_HEADER = "x-reelgate-customer"
OPEN_SERVER_CUSTOMER = "default"
LIST_LIMIT_MAX = 100


def customer_of(caller: Caller, header: str | None) -> str:
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
    objects) or a JSON object."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValidationError("the request body must be a JSON object")
        return body
    fields: Json = {}
    form = await request.form()
    for name, value in form.multi_items():
        item = (await value.read(), value.content_type) if isinstance(value, UploadFile) else value
        outer, bracket, inner = name.partition("[")
        if bracket:
            fields.setdefault(outer, {})[inner.rstrip("]")] = item
        else:
            fields[name] = item
    return fields


def openai_videos_router(
    admission: Admission,
    caller_of: Callable[[Request[Any, Any, Any]], Caller],
    present_url: Callable[[Request[Any, Any, Any], Json], Json],
    storage_url: str,
    max_body_bytes: int,
) -> Router:
    """The ``/v1`` routes, starting jobs through ``admission``; ``present_url`` turns a
    stored video's envelope data into what this server hands out (signed ``/files`` URLs)."""

    runner = admission.runner

    def records() -> JobRecords:
        if runner.records is None:
            raise RuntimeError("the OpenAI dialect needs job records")
        return runner.records

    def default_model() -> str:
        return get_runtime().registry.default_model or ""

    async def own_record(request: Request[Any, Any, Any], video_id: str) -> JobRecord:
        """The caller's undeleted job ``video_id``; 404 for any other."""
        caller = caller_of(request)
        record = await records().get(video_id)
        if record is None or record.deleted or not caller.may_act_for(record.customer_id):
            raise NotFoundError(f"No video found with id '{video_id}'", param="video_id")
        return record

    async def video_of(record: JobRecord) -> Json:
        return video_object(record, await runner.view(record.job_id), default_model())

    async def start(request: Request[Any, Any, Any], body: Json, customer: str) -> Json:
        caller = caller_of(request)
        parsed = request_from_body(body)
        key = caller.scoped_idempotency_key(customer, request.headers.get("idempotency-key"))
        job_id = await admission.start(parsed, key, caller.key_id)
        record = await records().get(job_id)
        assert record is not None, "an admitted job has its record"
        return await video_of(record)

    @post("/videos", status_code=200, request_max_body_size=max_body_bytes, opt={"multipart": True})
    async def create(request: Request[Any, Any, Any]) -> Json:
        customer = customer_of(caller_of(request), request.headers.get(CUSTOMER_HEADER))
        return await start(request, generate_body(await _fields(request), customer), customer)

    @get("/videos")
    async def list_videos(
        request: Request[Any, Any, Any],
        after: FromQuery[str | None] = None,
        limit: FromQuery[int] = 20,
        order: FromQuery[str] = "desc",
    ) -> Json:
        if order not in ("asc", "desc"):
            raise OpenAiRequestError("order must be 'asc' or 'desc'", param="order")
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise OpenAiRequestError(f"limit must be 1-{LIST_LIMIT_MAX}", param="limit")
        customer = customer_of(caller_of(request), request.headers.get(CUSTOMER_HEADER))
        page, more = await records().of_customer(customer, after, limit, order == "desc")
        data = [await video_of(record) for record in page]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": more,
        }

    @get("/videos/{video_id:str}")
    async def retrieve(request: Request[Any, Any, Any], video_id: FromPath[str]) -> Json:
        return await video_of(await own_record(request, video_id))

    @delete("/videos/{video_id:str}", status_code=200)
    async def remove(request: Request[Any, Any, Any], video_id: FromPath[str]) -> Json:
        await own_record(request, video_id)
        with contextlib.suppress(ConflictError):  # it ended already
            await runner.cancel(video_id)
        await records().delete(video_id)
        return {"id": video_id, "object": "video.deleted", "deleted": True}

    @post("/videos/{video_id:str}/remix", status_code=200)
    async def remix(request: Request[Any, Any, Any], video_id: FromPath[str]) -> Json:
        source = await own_record(request, video_id)
        body = await request.json()
        prompt = body.get("prompt") if isinstance(body, dict) else None
        return await start(request, remix_body(source, prompt), str(source.customer_id))

    @get("/videos/{video_id:str}/content", media_type="video/mp4")
    async def content(
        request: Request[Any, Any, Any], video_id: FromPath[str], variant: FromQuery[str] = "video"
    ) -> Response[Any]:
        await own_record(request, video_id)
        if variant != "video":
            raise OpenAiRequestError(
                f"variant '{variant}' is not available: reelgate keeps the video only",
                param="variant",
            )
        view = await runner.view(video_id)
        if view is None or view.status != "succeeded" or view.result is None:
            raise NotFoundError(
                "Video is not ready yet, use GET /v1/videos/{video_id} to check status.",
                code="video_not_ready",
            )
        data = view.result["data"]
        url = str(data["video_url"])
        if url.startswith("file://") and data.get("storage_key"):
            file: File = stored_file(storage_url, str(data["storage_key"]))
            return file
        if url.startswith("data:"):
            payload = base64.b64decode(url.partition(",")[2])
            return Response(payload, media_type="video/mp4")
        return Redirect(present_url(request, data)["video_url"], status_code=302)

    return Router(
        path="/v1",
        route_handlers=[create, list_videos, retrieve, remove, remix, content],
        exception_handlers={Exception: handle_openai_exception},
        include_in_schema=False,
    )
