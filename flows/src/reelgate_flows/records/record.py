"""One admitted job's record, and its row."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelgate.requests import ExtendRequest, request_from_body
from reelgate.storyboards import JobRequest, StoryboardRequest
from reelgate_flows.idempotency import body_digest, key_digest
from reelgate_flows.records.schema import aware

STORYBOARD = "storyboard"


def _kind_of(request: JobRequest) -> str:
    if isinstance(request, StoryboardRequest):
        return STORYBOARD
    return "extend" if isinstance(request, ExtendRequest) else "generate"


@dataclass(frozen=True)
class JobRecord:
    """One admitted job."""

    job_id: str
    body_digest: str
    kind: str
    body: dict[str, Any]
    customer_id: str | None
    provider: str
    admitted_by: str
    idempotency_key: str | None = None
    """The scoped Idempotency-Key (the flow run's ``idempotency_key`` parameter)."""
    flow_run_id: uuid.UUID | None = None
    withdrawn: bool = False
    """Cancelled before its run was created: it never runs."""
    admitted_at: datetime.datetime | None = None
    notify_base_url: str | None = None
    """Where the job's ``webhook_url`` delivery builds its URLs from (admission only)."""
    deleted: bool = False
    """Deleted by its customer: listed and served no more."""
    model: str | None = None
    """The model admission pinned (None in records written before it was kept)."""
    key_id: str | None = None
    """The id of the API key it was admitted for (its budget applies to every run)."""
    progress: dict[str, Any] | None = None
    """``{"step", "fraction"}`` as the worker running it last wrote them (deployment mode)."""
    prices: dict[str, Any] | None = None
    """The prices its admission pinned (``reelgate.pricing.prices_to_json``): it is costed
    and settled at these wherever it runs (None in records written before they were kept)."""
    trace: str | None = None
    """The W3C ``traceparent`` of its admission, when traced: its runs continue that trace
    wherever they run (:mod:`reelgate_flows.tracing`)."""

    @classmethod
    def admit(
        cls,
        request: JobRequest,
        idempotency_key: str | None,
        provider: str,
        admitted_by: str,
        *,
        job_id: str | None = None,
        model: str | None = None,
        key_id: str | None = None,
        prices: dict[str, Any] | None = None,
        trace: str | None = None,
    ) -> JobRecord:
        """A new record for ``request`` (under ``job_id``, else a new job id)."""
        return cls(
            job_id=job_id or str(uuid.uuid4()),
            body_digest=body_digest(request),
            kind=_kind_of(request),
            body=request.model_dump(mode="json", exclude_unset=True),
            customer_id=request.customer_id,
            provider=provider,
            admitted_by=admitted_by,
            idempotency_key=idempotency_key,
            model=model,
            key_id=key_id,
            prices=prices,
            trace=trace,
        )

    def request(self) -> JobRequest:
        """The request, as it was admitted (its unset fields unset)."""
        if self.kind == STORYBOARD:
            return StoryboardRequest.model_validate(self.body)
        return request_from_body(self.body, extend=self.kind == "extend")

    @classmethod
    def _of_row(cls, row: sa.RowMapping) -> JobRecord:
        run_id = row["flow_run_id"]
        return cls(
            job_id=row["job_id"],
            body_digest=row["body_digest"],
            kind=row["kind"],
            body=dict(row["request"]),
            customer_id=row["customer_id"],
            provider=row["provider"],
            admitted_by=row["admitted_by"],
            idempotency_key=row["idempotency_key"],
            flow_run_id=uuid.UUID(run_id) if run_id else None,
            withdrawn=bool(row["withdrawn"]),
            admitted_at=aware(row["admitted_at"]),
            deleted=bool(row.get("deleted_at")),
            model=row.get("model"),
            key_id=row.get("key_id"),
            prices=row.get("prices"),
            progress=row.get("progress"),
            trace=row.get("trace"),
        )


def notifies(record: JobRecord) -> bool:
    return bool(record.body.get("webhook_url")) and record.notify_base_url is not None


def delivery_of(record: JobRecord, now: datetime.datetime) -> dict[str, Any]:
    return {
        "event_id": f"msg_{record.job_id.replace('-', '')}",
        "job_id": record.job_id,
        "url": record.body["webhook_url"],
        "base_url": record.notify_base_url,
        "state": "waiting",
        "attempts": 0,
        "next_at": now,
        "claimed_by": None,
        "claimed_until": None,
    }


def row_of(record: JobRecord, now: datetime.datetime) -> dict[str, Any]:
    key = record.idempotency_key
    return {
        "job_id": record.job_id,
        "key_digest": key_digest(key) if key else None,
        "idempotency_key": key,
        "body_digest": record.body_digest,
        "kind": record.kind,
        "request": record.body,
        "customer_id": record.customer_id,
        "provider": record.provider,
        "admitted_by": record.admitted_by,
        "admitted_at": now,
        "flow_run_id": str(record.flow_run_id) if record.flow_run_id else None,
        "withdrawn": False,
        "model": record.model,
        "key_id": record.key_id,
        "prices": record.prices,
        "trace": record.trace,
    }
