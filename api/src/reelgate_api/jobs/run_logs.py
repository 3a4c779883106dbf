"""What Prefect's run loggers may print in a reelgate process: a run reelgate stopped (a user's
cancel, at reelgate or at the provider; a hand-back at shutdown) is no error at all, and a
request refused for the caller's own error (a private URL, a setting the model lacks: any core
error under 500) is one line, not a traceback. Failures of reelgate or of a provider keep
theirs."""

from __future__ import annotations

import logging

from reelgate.errors import JobCancelledError, ReelgateError

STOPPED_BY_US = "Execution was cancelled by the runtime environment"
"""What Prefect says (as a crash, twice) of a run whose task reelgate cancelled."""
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class _RunLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if STOPPED_BY_US in message or isinstance(error, JobCancelledError):
            return False
        if JobCancelledError.__name__ in message:  # "Finished in state Failed(... cancelled)"
            return False
        if isinstance(error, ReelgateError) and error.status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_run_logs() -> None:
    """Install the filter on Prefect's run loggers (idempotent)."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RunLogFilter) for f in logger.filters):
            logger.addFilter(_RunLogFilter())
