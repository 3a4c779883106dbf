"""reelgate core: the provider plugin contract, model registry, request/job models and errors."""

from reelgate.context import ProviderContext
from reelgate.hookspecs import hookimpl
from reelgate.jobs import (
    Cancelled,
    Failed,
    Job,
    JobError,
    JobKind,
    JobStatus,
    ProviderJob,
    Queued,
    Running,
    Submission,
    Succeeded,
    VideoRef,
)
from reelgate.media import ImageInput, ReferenceInput, VideoInput
from reelgate.moderation import Verdict
from reelgate.requests import ExtendRequest, GenerateRequest, RequestSettings, VideoSettings
from reelgate.specs import Capabilities, ModelSpec, ProviderSpec, SettingSpec

__all__ = [
    "Cancelled",
    "Capabilities",
    "ExtendRequest",
    "Failed",
    "GenerateRequest",
    "ImageInput",
    "Job",
    "JobError",
    "JobKind",
    "JobStatus",
    "ModelSpec",
    "ProviderContext",
    "ProviderJob",
    "ProviderSpec",
    "Queued",
    "ReferenceInput",
    "RequestSettings",
    "Running",
    "SettingSpec",
    "Submission",
    "Succeeded",
    "Verdict",
    "VideoInput",
    "VideoRef",
    "VideoSettings",
    "hookimpl",
]
