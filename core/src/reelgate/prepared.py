"""A request checked against its model (:class:`PreparedRequest`) and the kind of job a
request is (:func:`job_kind`): what :meth:`reelgate.runtime.Runtime.prepare` answers."""

from __future__ import annotations

from dataclasses import dataclass

from reelgate.errors import ValidationError
from reelgate.jobs import JobKind
from reelgate.media import ImageInput, VideoInput
from reelgate.registry import RegisteredModel
from reelgate.requests import ExtendRequest, GenerateRequest


@dataclass(frozen=True)
class PreparedRequest:
    """A request checked against its model: ``request`` names the resolved model id, ``hook``
    is the submit hook of its ``kind``. Building one proves the model exists, its provider is
    configured, and the model accepts the request's kind and settings."""

    request: GenerateRequest
    entry: RegisteredModel
    kind: JobKind
    hook: str

    @property
    def model(self) -> str:
        return self.entry.spec.id


def job_kind(
    request: GenerateRequest,
    *,
    image: ImageInput | None = None,
    video: VideoInput | None = None,
) -> JobKind:
    """The kind of job a request (with these inputs, when fetched) is."""
    if isinstance(request, ExtendRequest) or video is not None:
        if video is None and not isinstance(request, ExtendRequest):
            raise ValidationError("an extend request needs the video to extend", field="video_id")
        return JobKind.EXTEND
    return JobKind.IMAGE if image is not None or request.input_image_url else JobKind.TEXT
