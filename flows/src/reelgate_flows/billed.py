"""Whether a failed job cost money: ``billed`` is true, false or ``"unknown"`` on every failed
job's error (``error.billed``), from facts, never guessed:

- a plugin's statement of the failure (``JobError.billed``, e.g. Seedance bills only
  successful tasks) is taken as it is;
- the provider finished the job (the failure came after: download, check, storage): billed;
- nothing was submitted, or the submission was refused or proven not accepted (no provider
  job; a 4xx, or ``safe_to_resubmit``): not billed;
- anything else (an unclear submission, a provider job that failed, timed out or was
  cancelled without the plugin saying): unknown.

The budget settles by it (a reservation is released only when ``billed`` is false), and the
API counts failed jobs by it (``reelgate_failed_jobs_total{billed}``).
"""

from __future__ import annotations

from typing import Literal

from reelgate.errors import ReelgateError
from reelgate.jobs import ProviderJob

Billed = bool | Literal["unknown"]
UNKNOWN: Literal["unknown"] = "unknown"


def billed_verdict(
    error: BaseException, job: ProviderJob | None, submitted: bool, finished: bool
) -> Billed:
    """The verdict of a job that failed with ``error``: ``job`` is its provider job once one
    was accepted, ``submitted`` whether a submission was attempted, ``finished`` whether the
    provider delivered the job's videos."""
    stated = error.details.get("billed") if isinstance(error, ReelgateError) else None
    if isinstance(stated, bool):
        return stated
    if finished:
        return True
    if not submitted:
        return False
    if job is None and refused_before_acceptance(error):
        return False
    return UNKNOWN


def refused_before_acceptance(error: BaseException | None) -> bool:
    """True when a failed submission provably made no provider job: refused (a 4xx) or
    proven not accepted."""
    if not isinstance(error, ReelgateError) or "provider_job_id" in error.details:
        return False
    return error.safe_to_resubmit or error.status < 500


def billed_of(error: BaseException | None, submitted: bool) -> Billed:
    """The verdict ``error`` carries (set by the run that failed), else what its facts prove:
    for an error that never passed through a run (a job stopped before it started)."""
    if isinstance(error, ReelgateError):
        stated = error.details.get("billed")
        if isinstance(stated, bool) or stated == UNKNOWN:
            return stated
    if not submitted or refused_before_acceptance(error):
        return False
    return UNKNOWN
