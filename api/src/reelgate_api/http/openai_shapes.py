"""The OpenAI Videos API's shapes (the wire of ``../shared/providers/WIRE.md`` §2) and how they
map onto reelgate's: ``seconds``/``size`` onto duration, aspect ratio and resolution, a job
onto a Video object, a core error onto the OpenAI error body and its ``param``."""

from __future__ import annotations

import base64
import math
import re
from typing import Any

from reelgate.errors import (
    ProviderNotConfiguredError,
    ReelgateError,
    UnknownModelError,
    ValidationError,
)
from reelgate.runtimes import get_runtime
from reelgate_api.jobs.views import JobView
from reelgate_flows.records.record import JobRecord

Json = dict[str, Any]
SIZE_PATTERN = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
STATUS = {
    "queued": "queued",
    "running": "in_progress",
    "succeeded": "completed",
    "failed": "failed",
    "cancelled": "failed",
}
"""The OpenAI status of each reelgate job status (a cancelled job is a failed video)."""

_PARAM_OF_FIELD = (
    ("duration_seconds", "seconds"),
    ("aspect_ratio", "size"),
    ("resolution", "size"),
    ("input_image_url", "input_reference"),
    ("image", "input_reference"),
    ("customer", "X-Reelgate-Customer"),
    ("model", "model"),
    ("prompt", "prompt"),
)


class OpenAiRequestError(ValidationError):
    """A request the OpenAI dialect cannot map, naming the OpenAI ``param``."""


def size_fields(size: str) -> Json:
    """``WxH`` as reelgate's ``aspect_ratio`` (reduced) and ``resolution`` (the short side)."""
    match = SIZE_PATTERN.fullmatch(size)
    if match is None:
        raise OpenAiRequestError(
            f"Invalid value: '{size}'. size must look like '1280x720'", param="size"
        )
    width, height = int(match[1]), int(match[2])
    divisor = math.gcd(width, height)
    return {
        "aspect_ratio": f"{width // divisor}:{height // divisor}",
        "resolution": f"{min(width, height)}p",
    }


def size_of(aspect_ratio: str, resolution: str) -> str:
    """The ``WxH`` of an aspect ratio at a resolution (its short side)."""
    across, down = (int(part) for part in aspect_ratio.split(":"))
    short = int(resolution.removesuffix("p"))
    long = round(short * max(across, down) / min(across, down) / 2) * 2
    return f"{long}x{short}" if across >= down else f"{short}x{long}"


def seconds_of(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise OpenAiRequestError(
            f"Invalid value: '{value}'. seconds must be a whole number of seconds, e.g. '8'",
            param="seconds",
        )
    return int(value)


def reference_url(reference: Any) -> str | None:
    """``input_reference`` as reelgate's ``input_image_url``: an uploaded image (bytes and
    their type) becomes a data: URI; ``{"image_url": ...}`` its URL."""
    if reference is None:
        return None
    if isinstance(reference, tuple):
        data, content_type = reference
        encoded = base64.b64encode(data).decode()
        return f"data:{content_type or 'application/octet-stream'};base64,{encoded}"
    if isinstance(reference, dict) and isinstance(reference.get("image_url"), str):
        return str(reference["image_url"])
    if isinstance(reference, str):
        return reference
    raise OpenAiRequestError(
        "input_reference must be an image file or {'image_url': 'https://...'}",
        param="input_reference",
    )


def generate_body(fields: Json, customer_id: str) -> Json:
    """The reelgate request body of a ``POST /v1/videos`` form or JSON body."""
    known = {"prompt", "model", "seconds", "size", "input_reference"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise OpenAiRequestError(f"Unrecognized request argument: {unknown[0]}", param=unknown[0])
    if not isinstance(fields.get("prompt"), str):
        raise OpenAiRequestError("Missing required parameter: 'prompt'.", param="prompt")
    video: Json = {}
    for name in ("model", "seconds", "size"):
        if name in fields and not isinstance(fields[name], str | int):
            raise OpenAiRequestError(f"{name} must be a string", param=name)
    if "model" in fields:
        video["model"] = str(fields["model"])
    if "seconds" in fields:
        video["duration_seconds"] = seconds_of(str(fields["seconds"]))
    if "size" in fields:
        video.update(size_fields(str(fields["size"])))
    body: Json = {"prompt": fields["prompt"], "customer_id": customer_id}
    given = fields.get("input_reference")
    if isinstance(given, list):  # several: references the video draws on, not a first frame
        urls = [reference_url(item) for item in given]
        body["references"] = [{"type": "image", "url": url} for url in urls if url is not None]
    elif (image := reference_url(given)) is not None:
        body["input_image_url"] = image
    return {**body, "settings": {"video": video}}


def remix_body(source: JobRecord, prompt: Any) -> Json:
    """The extension that answers a remix of ``source``: its settings but the model, which
    the extension takes from the job."""
    if not isinstance(prompt, str):
        raise OpenAiRequestError("Missing required parameter: 'prompt'.", param="prompt")
    video = {k: v for k, v in source.body.get("settings", {}).get("video", {}).items()}
    video.pop("model", None)
    return {
        "prompt": prompt,
        "customer_id": source.customer_id,
        "video_id": source.job_id,
        "settings": {"video": video},
    }


def video_object(record: JobRecord, view: JobView | None, default_model: str) -> Json:
    """The OpenAI Video object of a job."""
    video = record.body.get("settings", {}).get("video", {})
    data = (view.result or {}).get("data", {}) if view is not None else {}
    status = view.status if view is not None else "queued"
    openai_status = STATUS.get(status, "queued")
    progress = 0
    if openai_status == "completed":
        progress = 100
    elif view is not None and view.progress is not None:
        progress = max(0, min(99, round(view.progress * 100)))
    error = None
    if status == "cancelled":
        error = {"code": "cancelled", "message": "the job was cancelled"}
    elif status == "failed" and view is not None and view.error is not None:
        error = _failure(view.error)
    admitted = record.admitted_at.timestamp() if record.admitted_at else 0
    ended_at = view.ended_at if view is not None and openai_status == "completed" else None
    return {
        "id": record.job_id,
        "object": "video",
        "model": data.get("model") or video.get("model") or default_model,
        "status": openai_status,
        "progress": progress,
        "created_at": int(admitted),
        "completed_at": int(ended_at.timestamp()) if ended_at else None,
        "expires_at": None,
        "prompt": record.body.get("prompt"),
        "seconds": str(
            round(data["duration"]) if data.get("duration") else video.get("duration_seconds", 5)
        ),
        "size": _size(data, video, data.get("model") or video.get("model") or default_model),
        "remixed_from_video_id": record.body.get("video_id") if record.kind == "extend" else None,
        "error": error,
    }


def _size(data: Json, video: Json, model: str) -> str:
    """Always ``WxH``: the delivered video's, else the asked aspect ratio at the asked
    resolution (else the model's default, else 720p)."""
    videos = data.get("videos") or []
    if videos and videos[0].get("width") and videos[0].get("height"):
        return f"{videos[0]['width']}x{videos[0]['height']}"
    resolution = video.get("resolution") or _default_resolution(model) or "720p"
    return size_of(video.get("aspect_ratio") or "9:16", resolution)


def _default_resolution(model: str) -> str | None:
    try:
        return get_runtime().resolve(model).spec.default_resolution
    except ReelgateError:
        return None


def _failure(error: BaseException) -> Json:
    if isinstance(error, ReelgateError):
        return {"code": error.type, "message": error.message}
    return {"code": "internal_error", "message": "the job failed"}


def param_of(exc: ReelgateError) -> str | None:
    """The OpenAI request parameter a core error is about, when it names one."""
    if isinstance(exc.details.get("param"), str):
        return str(exc.details["param"])
    if isinstance(exc, UnknownModelError | ProviderNotConfiguredError):
        return "model"
    clues = [str(exc.details.get("field") or ""), *map(str, exc.details.get("problems", []))]
    clues.append(exc.message)
    for clue in clues:
        for name, param in _PARAM_OF_FIELD:
            if name in clue:
                return param
    return None


def error_body(exc: ReelgateError, status: int) -> Json:
    """The OpenAI error body of a core error."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    code = exc.details.get("code") or ("invalid_api_key" if status == 401 else exc.type)
    return {"error": {"message": exc.message, "type": kind, "param": param_of(exc), "code": code}}
