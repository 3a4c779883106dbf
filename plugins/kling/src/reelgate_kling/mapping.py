"""Request bodies for Kling's create endpoints, from reelgate's request (WIRE.md §3.4)."""

from __future__ import annotations

import base64
from typing import Any

from reelgate import ExtendRequest, GenerateRequest, ImageInput, ModelSpec, VideoInput
from reelgate.errors import ValidationError
from reelgate_kling.spec import PROVIDER_OPTIONS

KIND_PATHS = {"text": "text2video", "image": "image2video", "extend": "video-extend"}


def _options(request: GenerateRequest) -> dict[str, Any]:
    options = dict(request.video.provider_options)
    unknown = sorted(set(options) - set(PROVIDER_OPTIONS))
    if unknown:
        raise ValidationError(
            f"unknown KlingAI provider_options {unknown}; known: {', '.join(PROVIDER_OPTIONS)}",
            field="settings.video.provider_options",
        )
    mode = options.get("mode")
    if mode is not None and mode not in ("std", "pro"):
        raise ValidationError(
            "provider_options.mode must be 'std' or 'pro'",
            field="settings.video.provider_options.mode",
        )
    return options


def _mode(model: ModelSpec, request: GenerateRequest, options: dict[str, Any]) -> str:
    if options.get("mode"):
        return str(options["mode"])
    return "pro" if request.video.resolution == "1080p" or request.video.generate_audio else "std"


def _common(model: ModelSpec, request: GenerateRequest, external_task_id: str) -> dict[str, Any]:
    options = _options(request)
    body: dict[str, Any] = {
        "model_name": model.provider_model,
        "prompt": request.prompt,
        "duration": str(request.video.duration_seconds),
        "mode": _mode(model, request, options),
        "external_task_id": external_task_id,
    }
    if request.video.negative_prompt:
        body["negative_prompt"] = request.video.negative_prompt
    if model.capabilities.audio:
        body["sound"] = "on" if request.video.generate_audio else "off"
    if "cfg_scale" in options:
        body["cfg_scale"] = options["cfg_scale"]
    if "camera_control" in options:
        body["camera_control"] = options["camera_control"]
    if "watermark" in options:
        body["watermark_info"] = {"enabled": bool(options["watermark"])}
    return body


def text_body(model: ModelSpec, request: GenerateRequest, external_task_id: str) -> dict[str, Any]:
    return {**_common(model, request, external_task_id), "aspect_ratio": request.video.aspect_ratio}


def image_body(
    model: ModelSpec, request: GenerateRequest, image: ImageInput, external_task_id: str
) -> dict[str, Any]:
    body = _common(model, request, external_task_id)
    body["image"] = base64.b64encode(image.data).decode("ascii")
    tail = request.video.provider_options.get("image_tail")
    if tail is not None:
        body["image_tail"] = tail
    return body


def extend_body(request: ExtendRequest, video: VideoInput, external_task_id: str) -> dict[str, Any]:
    if not video.provider_video_id:
        raise ValidationError(
            "KlingAI extends only its own videos: give a Kling video id "
            "or the job id of a Kling result",
            field="video_id",
        )
    body: dict[str, Any] = {
        "video_id": video.provider_video_id,
        "prompt": request.prompt,
        "external_task_id": external_task_id,
    }
    if request.video.negative_prompt:
        body["negative_prompt"] = request.video.negative_prompt
    return body
