"""Inputs handed to plugins: an image for image-to-video, a video for extension."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ImageInput(BaseModel):
    """Image bytes with their MIME type, read from the bytes themselves (never from a header)."""

    model_config = ConfigDict(frozen=True)

    data: bytes
    mime_type: str


class VideoInput(BaseModel):
    """The video to extend. ``provider_video_id`` is set when the video came from the same
    provider; ``data`` holds the bytes when reelgate has them (e.g. a stored earlier result)."""

    model_config = ConfigDict(frozen=True)

    provider_video_id: str | None = None
    data: bytes | None = None
    mime_type: str = "video/mp4"
    uri: str | None = None


class ReferenceInput(BaseModel):
    """A fetched and checked reference (``reelgate.requests.Reference``): its type, bytes, MIME
    type (read from the bytes) and role (the model's first when the request named none)."""

    model_config = ConfigDict(frozen=True)

    type: str
    data: bytes
    mime_type: str
    role: str | None = None
