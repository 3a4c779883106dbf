"""What running a failed job again would do, stated on its error.

A job that failed may be picked up by a re-run under the same idempotency key (the API
restarts the same job): with its provider job known, the re-run polls or downloads that job
again and never generates again; with the submission proven absent, it submits again. Every
other failure (the provider refused or failed the job, the request was invalid, the submission
is unclear) is final, and a storage failure is finished by ``drain-spool``, not by a re-run.
:func:`annotate` sets ``retryable`` on the error's details and ends its
message with what a re-run will do.
"""

from __future__ import annotations

from reelgate import errors
from reelgate.errors import ReelgateError
from reelgate.jobs import ProviderJob


def rerun_action(error: ReelgateError, job: ProviderJob | None, submitted: bool) -> str | None:
    """What a re-run does after ``error`` (None: a re-run would fail alike, or might pay
    twice). ``job`` is the provider job when it is known; ``submitted`` whether a submission
    was attempted."""
    if job is not None:
        where = f"{job.provider} job {job.provider_job_id}"
        if isinstance(error, errors.DownloadCorruptError):
            return f"download the video of {where} again, without generating again"
        if isinstance(error, errors.StorageError):
            return None  # drain-spool stores the kept video and completes this very job
        if isinstance(error, errors.JobTimeoutError) or error.retryable:
            return f"wait for {where} again, without generating again"
        return None
    if error.safe_to_resubmit:
        return "submit again (the provider proved it accepted nothing)"
    if not submitted and error.retryable:
        return "start again; nothing was submitted"
    return None


def annotate(
    error: ReelgateError, job: ProviderJob | None, submitted: bool, idempotency_key: str | None
) -> None:
    """Mark ``error`` ``retryable`` (or not) and say in its message what a re-run does."""
    if "retryable" in error.details:
        return
    action = rerun_action(error, job, submitted)
    error.details["retryable"] = action is not None
    if job is not None:
        error.details.setdefault("provider_job_id", job.provider_job_id)
    if action is None:
        return
    if idempotency_key is not None:
        error.message += f"; send the same request with the same Idempotency-Key to {action}"
    else:
        error.message += (
            f"; a request sent with an Idempotency-Key would be resumed by sending it again "
            f"(it would {action})"
        )
