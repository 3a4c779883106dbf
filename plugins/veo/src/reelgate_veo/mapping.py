"""reelgate requests → google-genai ``GenerateVideosSource`` and ``GenerateVideosConfig``,
with Veo's own limits checked before any call (WIRE.md §1.5, §1.10)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from google.genai import types

from reelgate import GenerateRequest, ImageInput, ReferenceInput, VideoInput
from reelgate.errors import ValidationError
from reelgate_veo.spec import PROVIDER_OPTIONS

PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")


def _options(request: GenerateRequest) -> dict[str, Any]:
    options = dict(request.video.provider_options)
    unknown = sorted(set(options) - set(PROVIDER_OPTIONS))
    if unknown:
        raise ValidationError(
            f"unknown Veo provider_options {unknown}; known: {', '.join(PROVIDER_OPTIONS)}",
            field="settings.video.provider_options",
        )
    person = options.get("person_generation")
    if person is not None and person not in PERSON_GENERATION:
        raise ValidationError(
            f"person_generation must be one of {', '.join(PERSON_GENERATION)}",
            field="settings.video.provider_options.person_generation",
        )
    return options


def _last_frame(value: Any) -> types.Image:
    if not isinstance(value, dict) or "data_base64" not in value:
        raise ValidationError(
            'last_frame must be {"data_base64": ..., "mime_type": ...}',
            field="settings.video.provider_options.last_frame",
        )
    try:
        data = base64.b64decode(str(value["data_base64"]), validate=True)
    except binascii.Error as exc:
        raise ValidationError(
            "last_frame.data_base64 is not base64",
            field="settings.video.provider_options.last_frame",
        ) from exc
    return types.Image(image_bytes=data, mime_type=str(value.get("mime_type", "image/png")))


def _reference_images(
    references: Sequence[ReferenceInput], first_frame: bool
) -> list[types.VideoGenerationReferenceImage] | None:
    """``referenceImages`` (role ``asset`` by default); Veo takes them without a first frame."""
    if not references:
        return None
    if first_frame:
        raise ValidationError(
            "Veo takes reference images or a first frame (input_image_url), not both",
            field="references",
        )
    return [
        types.VideoGenerationReferenceImage(
            image=types.Image(image_bytes=reference.data, mime_type=reference.mime_type),
            reference_type=(reference.role or "asset").upper(),
        )
        for reference in references
    ]


def config(
    request: GenerateRequest,
    *,
    extending: bool,
    output_gcs_uri: str | None,
    references: Sequence[ReferenceInput] = (),
    first_frame: bool = False,
) -> types.GenerateVideosConfig:
    video = request.video
    resolution = video.resolution or "720p"
    if resolution == "1080p" and video.duration_seconds != 8:
        raise ValidationError(
            "Veo makes 1080p videos only 8 seconds long", field="settings.video.resolution"
        )
    if extending and resolution != "720p":
        raise ValidationError("Veo extends videos at 720p only", field="settings.video.resolution")
    options = _options(request)
    return types.GenerateVideosConfig(
        number_of_videos=video.number_of_videos,
        duration_seconds=video.duration_seconds,
        aspect_ratio=video.aspect_ratio,
        resolution=resolution,
        enhance_prompt=video.enhance_prompt,
        generate_audio=video.generate_audio,
        fps=video.fps,
        seed=video.seed,
        negative_prompt=video.negative_prompt,
        person_generation=options.get("person_generation"),
        last_frame=_last_frame(options["last_frame"]) if "last_frame" in options else None,
        compression_quality=options.get("compression_quality"),
        labels=options.get("labels"),
        output_gcs_uri=output_gcs_uri,
        reference_images=_reference_images(references, first_frame),
    )


def source(
    request: GenerateRequest, image: ImageInput | None = None, video: VideoInput | None = None
) -> types.GenerateVideosSource:
    sdk_image = types.Image(image_bytes=image.data, mime_type=image.mime_type) if image else None
    sdk_video = None
    if video is not None:
        if video.uri and video.uri.startswith("gs://"):
            sdk_video = types.Video(uri=video.uri, mime_type=video.mime_type)
        elif video.data is not None:
            sdk_video = types.Video(video_bytes=video.data, mime_type=video.mime_type)
        else:
            raise ValidationError(
                "Veo needs the bytes or the gs:// URI of the video to extend", field="video_id"
            )
    return types.GenerateVideosSource(prompt=request.prompt, image=sdk_image, video=sdk_video)
