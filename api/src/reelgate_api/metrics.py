"""Prometheus metrics of the jobs this process ran: counts by provider and outcome, durations."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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

    def job_started(self, provider: str) -> None:
        self.started.labels(provider).inc()

    def job_ended(self, provider: str, outcome: str, seconds: float) -> None:
        self.jobs.labels(provider, outcome).inc()
        self.duration.labels(provider, outcome).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
