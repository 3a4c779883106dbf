"""A job whose videos wait in the spool for storage to come back, as the spool records it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from reelgate.jobs import ProviderJob, VideoRef
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate_flows.storage import StoredObject


@dataclass
class PendingJob:
    """``spooled[i]`` is the spool file of ``videos[i]``; ``stored`` holds the videos already
    stored, in order (so ``videos[len(stored):]`` are still to store)."""

    request: GenerateRequest
    job: ProviderJob
    videos: list[VideoRef]
    spooled: list[str]
    stored: list[StoredObject]

    def to_record(self) -> dict[str, Any]:
        return {
            "kind": "extend" if isinstance(self.request, ExtendRequest) else "generate",
            "request": self.request.model_dump(mode="json"),
            "job": self.job.model_dump(mode="json"),
            "videos": [v.model_dump(mode="json") for v in self.videos],
            "spooled": self.spooled,
            "stored": [dataclasses.asdict(s) for s in self.stored],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PendingJob:
        request_type = ExtendRequest if record["kind"] == "extend" else GenerateRequest
        return cls(
            request=request_type.model_validate(record["request"]),
            job=ProviderJob.model_validate(record["job"]),
            videos=[VideoRef.model_validate(v) for v in record["videos"]],
            spooled=list(record["spooled"]),
            stored=[StoredObject(**s) for s in record["stored"]],
        )
