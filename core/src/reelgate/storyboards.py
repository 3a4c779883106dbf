"""A storyboard: one long video from several shots, each a generation of its own, joined.

``continuity`` says how a shot follows the one before it: ``extend`` continues the previous
shot's video with the model's own extension, ``last_frame`` starts from the previous shot's last
frame (image-to-video), ``cut`` makes each shot on its own (and lets them run at once). Each
shot takes the storyboard's ``settings.video`` and may name its own ``model``,
``duration_seconds`` and first frame (``image``: the first shot's, or any shot's under
``cut``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reelgate.requests import (
    CUSTOMER_ID_PATTERN,
    ExtendRequest,
    GenerateRequest,
    RequestSettings,
    customer_id_of,
)

Continuity = Literal["extend", "last_frame", "cut"]
MAX_SHOTS = 20


class Shot(BaseModel):
    """One shot: what it shows, and what it changes of the storyboard's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    prompt: Annotated[str, Field(min_length=1, max_length=20_000)]
    duration_seconds: Annotated[int | None, Field(ge=1, le=60)] = None
    model: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    image: Annotated[str | None, Field(min_length=1)] = Field(
        default=None, description="an https URL or data: URI of the shot's first frame"
    )


class StoryboardRequest(BaseModel):
    """Body of ``POST /video/storyboards`` (and ``reelgate storyboard FILE.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    customer_id: str = Field(json_schema_extra={"pattern": CUSTOMER_ID_PATTERN.pattern})
    title: Annotated[str | None, Field(max_length=200)] = None
    settings: RequestSettings = Field(default_factory=RequestSettings)
    continuity: Continuity = "cut"
    shots: Annotated[list[Shot], Field(min_length=1, max_length=MAX_SHOTS)]
    save_to_db: bool = True
    webhook_url: Annotated[str | None, Field(max_length=2048)] = Field(
        default=None, description="an https URL told of the storyboard's end (signed, retried)"
    )

    @field_validator("customer_id", mode="before")
    @classmethod
    def _customer_id_safe(cls, value: Any) -> Any:
        return customer_id_of(value)

    @model_validator(mode="after")
    def _frames_where_they_can_be(self) -> StoryboardRequest:
        if self.continuity != "cut":
            for index, shot in enumerate(self.shots[1:], start=1):
                if shot.image is not None:
                    raise ValueError(
                        f"shot {index + 1} names an image, but under {self.continuity} "
                        "continuity only the first shot may: the others start from the shot "
                        "before"
                    )
        return self

    def shot_request(
        self, index: int, previous_job_id: str | None = None, first_frame: str | None = None
    ) -> GenerateRequest:
        """The request of shot ``index``: an extension of ``previous_job_id`` under ``extend``
        continuity (after the first shot), else a generation from ``first_frame`` (the last
        frame of the shot before, under ``last_frame``) or the shot's own image."""
        shot = self.shots[index]
        video = self.settings.video.model_dump(exclude_unset=True)
        if shot.model is not None:
            video["model"] = shot.model
        if shot.duration_seconds is not None:
            video["duration_seconds"] = shot.duration_seconds
        body: dict[str, Any] = {
            "prompt": shot.prompt,
            "customer_id": self.customer_id,
            "settings": {"video": video},
            "save_to_db": self.save_to_db,
        }
        if self.continuity == "extend" and index > 0:
            if previous_job_id is None:
                raise ValueError("an extension shot needs the job id of the shot before")
            return ExtendRequest.model_validate({**body, "video_id": previous_job_id})
        image = shot.image if index == 0 or self.continuity == "cut" else first_frame
        if image is not None:
            body["input_image_url"] = image
        return GenerateRequest.model_validate(body)

    def needs(self, index: int) -> str | None:
        """What shot ``index`` needs of its model beyond text-to-video: ``"extend"`` or
        ``"image"`` (its first frame), else None."""
        if index > 0 and self.continuity == "extend":
            return "extend"
        if index > 0 and self.continuity == "last_frame":
            return "image"
        return "image" if self.shots[index].image is not None else None


JobRequest = GenerateRequest | StoryboardRequest
"""What a job is made from: a generation or an extension, or a storyboard."""
