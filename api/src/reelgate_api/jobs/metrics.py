"""Prometheus metrics of the jobs this process ran: counts by provider and outcome, durations."""

from __future__ import annotations

import logging
from typing import Any

from prefect.client.schemas.objects import State
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from reelgate_flows.billed import billed_of

logger = logging.getLogger("reelgate.api")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class JobMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.jobs = Counter(
            "reelgate_jobs",
            "Jobs that ended, by provider and outcome",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.started = Counter(
            "reelgate_jobs_started",
            "Jobs started, by provider",
            ["provider"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "reelgate_job_duration_seconds",
            "Time from admission to the end of a job",
            ["provider", "outcome"],
            registry=self.registry,
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
        )

        self.spend = Counter(
            "reelgate_spend_usd",
            "USD spent on jobs that succeeded, by provider, model and customer (known prices)",
            ["provider", "model", "customer"],
            registry=self.registry,
        )
        self.unpriced = Counter(
            "reelgate_jobs_unknown_cost",
            "Jobs that succeeded on a model without a verified price",
            ["provider", "model"],
            registry=self.registry,
        )

        self.unsigned = Counter(
            "reelgate_content_credentials_failures",
            "Jobs whose videos were stored unsigned because signing their content credentials "
            "failed",
            ["provider"],
            registry=self.registry,
        )
        self.failed = Counter(
            "reelgate_failed_jobs",
            "Jobs that failed, by whether the failure was billed: true, false or unknown",
            ["billed"],
            registry=self.registry,
        )

        self.fallbacks = Counter(
            "reelgate_fallbacks",
            "Jobs served by a later model after an earlier one provably took nothing",
            ["from_model", "to_model"],
            registry=self.registry,
        )

    def job_started(self, provider: str) -> None:
        self.started.labels(provider).inc()

    def job_ended(self, provider: str, outcome: str, seconds: float) -> None:
        self.jobs.labels(provider, outcome).inc()
        self.duration.labels(provider, outcome).observe(seconds)

    def succeeded(self, envelope: dict[str, Any]) -> None:
        """Count what a succeeded job's envelope says it cost, and the models it fell back
        from."""
        data = envelope.get("data") or {}
        for tried in (data.get("fallback") or {}).get("tried", []):
            self.fallbacks.labels(str(tried.get("model")), str(data.get("model"))).inc()
        cost = data.get("cost") or {}
        provider, model = str(data.get("provider")), str(data.get("model"))
        if (data.get("content_credentials") or {}).get("signed") is False:
            self.unsigned.labels(provider).inc()
        if cost.get("amount") is None:
            self.unpriced.labels(provider, model).inc()
        else:
            self.spend.labels(provider, model, str(data.get("customer_id"))).inc(cost["amount"])

    def failed_job(self, error: BaseException | None) -> None:
        """Count a failed job by its error's billed verdict (:mod:`reelgate_flows.billed`)."""
        self.failed.labels(str(billed_of(error, submitted=True)).lower()).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


async def count_spend(metrics: JobMetrics, completed: State) -> None:
    """Count the cost in a completed run's envelope; a result that cannot be read is logged,
    never raised (the job itself succeeded)."""
    try:
        envelope = await completed.aresult()
    except Exception:
        logger.exception("reading a finished job's result for its cost failed")
        return
    if isinstance(envelope, dict):
        metrics.succeeded(envelope)


async def count_failure(metrics: JobMetrics, failed: State) -> None:
    """Count a failed run by the billed verdict of its error (unknown when it cannot be read)."""
    try:
        error = await failed.aresult(raise_on_failure=False)
    except Exception:
        logger.exception("reading a failed job's error for its billed verdict failed")
        error = None
    metrics.failed_job(error if isinstance(error, BaseException) else None)
