"""References a request may carry (``GenerateRequest.references``): images, videos or audio
the video draws on, checked against what the model takes (``Capabilities.references``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ReferenceType = Literal["image", "video", "audio"]
MAX_REFERENCES = 16


class Reference(BaseModel):
    """A reference the video should draw on (a character, a style, a motion, a voice): its
    ``type``, where it is (``url``: an https URL or a data: URI), and its ``role`` among those
    the model takes (e.g. Veo's ``asset`` and ``style``; None: the model's first)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: ReferenceType = Field(description="image, video or audio")
    url: Annotated[str, Field(min_length=1, max_length=30_000_000)] = Field(
        description="an https URL or a data: URI of the reference"
    )
    role: Annotated[str | None, Field(max_length=64)] = Field(
        default=None, description="how the model uses it, among the roles it takes"
    )
