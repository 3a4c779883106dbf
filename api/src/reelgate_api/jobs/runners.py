"""The runner of an API process's execution mode."""

from __future__ import annotations

from reelgate_api.jobs.deployment_runner import DeploymentRunner
from reelgate_api.jobs.executor import InProcessExecutor
from reelgate_api.jobs.runner import JobRunner
from reelgate_api.settings import ApiSettings
from reelgate_flows.records.jobs import JobRecords


def runner_for(settings: ApiSettings) -> JobRunner:
    """The runner of the configured execution mode (REELGATE_EXECUTION)."""
    records = JobRecords(settings.job_records_url())
    if settings.execution == "deployment":
        return DeploymentRunner(
            settings.deployment_name, name=settings.executor_name, records=records
        )
    return InProcessExecutor(
        settings.max_running_jobs,
        owner=settings.executor_name,
        records=records,
        settings=settings,
    )
