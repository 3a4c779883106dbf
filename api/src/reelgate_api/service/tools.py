"""Video tools for LLM agents: ``generate_video``, ``extend_video``, ``generate_storyboard``,
``get_video_job`` and ``list_video_models`` (defined in
:mod:`~reelgate_api.service.tool_definitions`), run by one executor that also answers OpenAI
tool calls and Anthropic tool use.

:meth:`VideoTools.run` (and :func:`run_tool`) never raises into the agent loop: arguments
that are not JSON, miss a field or break a rule come back as a tool error whose message names
the field, so the model can correct its call; a job that fails comes back as its error
envelope's ``error`` with the job id. With ``customer_id`` given to :class:`VideoTools`, the
tools act for that customer only: the model neither sees nor chooses it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from contextlib import aclosing
from typing import Any

from reelgate.envelope import ErrorEnvelope, SuccessEnvelope
from reelgate.errors import ForbiddenError, NotFoundError, ReelgateError, ValidationError
from reelgate.requests import customer_id_of
from reelgate_api.service.reports import JobReport
from reelgate_api.service.service import VideoGenerationService, VideoJob
from reelgate_api.service.tool_definitions import (
    TOOL_VIDEO_SETTINGS,
    ToolDefinition,
    tool_definitions,
)

Json = dict[str, Any]
logger = logging.getLogger("reelgate.tools")


def tool_error(kind: str, message: str, **details: Any) -> Json:
    return {"error": {"type": kind, "message": message, **details}}


def _result_of(envelope: SuccessEnvelope) -> Json:
    data = envelope.data
    return {
        "job_id": data.job_id,
        "status": "succeeded",
        "video_url": data.video_url,
        "video_urls": [video.video_url for video in data.videos] or [data.video_url],
        "provider": data.provider,
        "model": data.model,
        "duration_seconds": data.duration,
        **data.model_dump(include={"poster_url", "thumbnail_url", "spritesheet_url"}),
        **({"shots": data.shots} if data.shots else {}),
    }


def _status_result(status: JobReport) -> Json:
    if status.result is not None:
        return _result_of(status.result)
    if status.error is not None:
        return {"job_id": status.job_id, "status": status.status, "error": status.error}
    answer: Json = {"job_id": status.job_id, "status": status.status}
    if status.progress is not None:
        answer["progress"] = status.progress
    if not status.ended:
        answer["message"] = "still rendering: call get_video_job with this job_id later"
    return answer


ProgressHook = Callable[[JobReport], Awaitable[None]]


def _customer_named(value: Any) -> str:
    """The customer a tool call's ``customer_id`` names (parsed as the request will be)."""
    try:
        return customer_id_of(value)
    except ValueError as exc:
        raise ValidationError(str(exc), field="customer_id") from exc


class VideoTools:
    """The video tools over ``service``: :meth:`definitions` for the model, :meth:`run` for
    its calls. ``customer_id`` binds every call to one customer (the model neither sees nor
    sets it); else ``may_act_for`` (when given) says which customers a call may name and
    whose jobs it may read. ``wait_seconds`` bounds how long a call with ``wait`` true waits
    before it answers the job id instead."""

    def __init__(
        self,
        service: VideoGenerationService,
        customer_id: str | None = None,
        wait_seconds: float = 600.0,
        may_act_for: Callable[[str | None], bool] | None = None,
    ) -> None:
        self.service = service
        self.customer_id = customer_id
        self.wait_seconds = wait_seconds
        if customer_id is not None:
            may_act_for = customer_id.__eq__
        self.may_act_for = may_act_for
        self._on_progress: ProgressHook | None = None
        self._runs: dict[str, Callable[[Json], Coroutine[Any, Any, Json]]] = {
            "generate_video": self._generate,
            "extend_video": self._extend,
            "get_video_job": self._get_job,
            "list_video_models": self._list_models,
            "generate_storyboard": self._storyboard,
        }

    def definitions(self) -> list[ToolDefinition]:
        return tool_definitions(customer_bound=self.customer_id is not None)

    def openai_tools(self) -> list[Json]:
        return [tool.openai() for tool in self.definitions()]

    def anthropic_tools(self) -> list[Json]:
        return [tool.anthropic() for tool in self.definitions()]

    async def run(
        self,
        name: str,
        arguments: str | Mapping[str, Any] | None,
        on_progress: ProgressHook | None = None,
    ) -> Json:
        """Execute one tool call; a JSON-serialisable result, or ``{"error": {...}}``.
        ``on_progress`` hears every change of a job the call waits for."""
        run = self._runs.get(name)
        if run is None:
            return tool_error("unknown_tool", f"no tool {name!r}; tools: {', '.join(self._runs)}")
        try:
            parsed = _arguments(arguments)
            self._on_progress = on_progress
            return await run(parsed)
        except ReelgateError as exc:
            return {"error": ErrorEnvelope.from_exception(exc).error}
        except Exception:
            logger.exception("tool %s failed", name)
            return tool_error("internal_error", "internal error")

    async def openai_tool_messages(self, tool_calls: Iterable[Any]) -> list[Json]:
        """Run the ``tool_calls`` of an OpenAI assistant message (SDK objects or dicts);
        the ``tool`` messages to send back."""
        messages = []
        for call in tool_calls:
            function = _field(call, "function")
            result = await self.run(_field(function, "name"), _field(function, "arguments"))
            messages.append(
                {"role": "tool", "tool_call_id": _field(call, "id"), "content": json.dumps(result)}
            )
        return messages

    async def anthropic_tool_results(self, content: Iterable[Any]) -> list[Json]:
        """Run the ``tool_use`` blocks of an Anthropic assistant message (SDK objects or
        dicts); the ``tool_result`` blocks of the user message to send back."""
        results = []
        for block in content:
            if _field(block, "type") != "tool_use":
                continue
            result = await self.run(_field(block, "name"), _field(block, "input"))
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": _field(block, "id"),
                    "content": json.dumps(result),
                    "is_error": "error" in result,
                }
            )
        return results

    # -- the tools ---------------------------------------------------------------------

    def _body(self, arguments: Json, *names: str) -> Json:
        """The request body of a generate/extend call."""
        arguments = dict(arguments)
        if self.customer_id is not None:
            if arguments.pop("customer_id", self.customer_id) != self.customer_id:
                raise ValidationError("customer_id is set by the application, not by the tool")
            arguments["customer_id"] = self.customer_id
        elif (
            self.may_act_for is not None
            and "customer_id" in arguments
            and not self.may_act_for(_customer_named(arguments["customer_id"]))
        ):
            raise ForbiddenError("this caller may not act for that customer")
        if not isinstance(arguments.pop("wait", True), bool):
            raise ValidationError("wait must be true or false", field="wait")
        video = {name: arguments.pop(name) for name in TOOL_VIDEO_SETTINGS if name in arguments}
        body = {name: arguments.pop(name) for name in names if name in arguments}
        if arguments:
            raise ValidationError(
                f"unknown argument(s): {', '.join(sorted(arguments))}", field=sorted(arguments)[0]
            )
        return {**body, "settings": {"video": video}}

    async def _finish(self, job: VideoJob, wait: Any) -> Json:
        """The job's result once it ended, or its status after ``wait_seconds``."""
        if wait is False:
            return {"job_id": job.job_id, "status": "queued"}
        try:
            async with asyncio.timeout(self.wait_seconds), aclosing(aiter(job)) as statuses:
                async for status in statuses:
                    if self._on_progress is not None:
                        await self._on_progress(status)
                    if status.ended:
                        return _status_result(status)
        except TimeoutError:
            pass
        return _status_result(await job.status())

    async def _generate(self, arguments: Json) -> Json:
        body = self._body(arguments, "prompt", "customer_id", "input_image_url", "references")
        job = await self.service.submit(body, kind="generate")
        return await self._finish(job, arguments.get("wait", True))

    async def _extend(self, arguments: Json) -> Json:
        body = self._body(arguments, "video_id", "prompt", "customer_id")
        job = await self.service.submit(body, kind="extend")
        return await self._finish(job, arguments.get("wait", True))

    async def _storyboard(self, arguments: Json) -> Json:
        body = self._body(arguments, "customer_id", "title", "continuity", "shots")
        job = await self.service.submit_storyboard(body)
        return await self._finish(job, arguments.get("wait", True))

    async def _get_job(self, arguments: Json) -> Json:
        job_id = arguments.get("job_id")
        if not isinstance(job_id, str) or set(arguments) != {"job_id"}:
            raise ValidationError("get_video_job takes one argument: job_id (a string)")
        status = await self.service.job(job_id).status()
        owner, may_act_for = status.customer_id, self.may_act_for
        if may_act_for is not None and owner is not None and not may_act_for(owner):
            raise NotFoundError(f"no job {job_id}")
        return _status_result(status)

    async def _list_models(self, arguments: Json) -> Json:
        if arguments:
            raise ValidationError("list_video_models takes no arguments")
        report = await self.service.models()
        models = [
            {
                "model": model["id"],
                "provider": model["provider"],
                "aliases": model["aliases"],
                "durations_seconds": caps["durations"],
                "aspect_ratios": caps["aspect_ratios"],
                "resolutions": caps["resolutions"],
                "image_to_video": "image" in caps["kinds"],
                "extend": "extend" in caps["kinds"],
                "audio": caps["audio"],
            }
            for model in report["models"]
            if model["configured"]
            for caps in [model["capabilities"]]
        ]
        return {"default_model": report["default_model"], "models": models}


def _arguments(arguments: str | Mapping[str, Any] | None) -> Json:
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, Mapping):
        return dict(arguments)
    try:
        parsed = json.loads(arguments)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"the arguments are not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValidationError("the arguments must be a JSON object")
    return parsed


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name)


async def run_tool(
    name: str,
    arguments: str | Mapping[str, Any] | None,
    service: VideoGenerationService,
    *,
    customer_id: str | None = None,
) -> Json:
    """Execute one tool call with ``service`` (see :meth:`VideoTools.run`)."""
    return await VideoTools(service, customer_id).run(name, arguments)
