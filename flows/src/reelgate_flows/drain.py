"""The ``drain-spool`` flow: store the videos that waited in the spool and finish their jobs.

A job whose storage failed ended Failed (502, "the video is kept at ...") and left a pending
record in the spool. Draining stores each of its remaining videos, then sets the job's flow run
to Completed with the same envelope a successful run returns, so ``GET /video/jobs/{id}`` and
the Prefect UI show the job succeeded with its URL. A job whose storage is still down stays
pending for the next drain. Run it on a schedule (``reelgate deploy`` does) on every machine
whose spool may hold videos.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.exceptions import ObjectNotFound
from prefect.results import ResultStore
from prefect.states import Completed

from reelgate.errors import ReelgateError
from reelgate_flows import delivery_steps
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.job_ids import find_run
from reelgate_flows.metadata import metadata
from reelgate_flows.pending import PendingJob
from reelgate_flows.settings import pinned_run_settings
from reelgate_flows.spool import Spool


async def complete_job(job_id: str, envelope: dict[str, Any], kind: str) -> bool:
    """Persist ``envelope`` as the job's result and mark its flow run Completed. False when
    the Prefect API has no such run (the video is stored all the same)."""
    flow_of_job = extend_video if kind == "extend" else generate_video
    store = await ResultStore().aupdate_for_flow(flow_of_job)
    record = store.create_result_record(envelope)
    await store.apersist_result_record(record)
    state: State[Any] = Completed(data=record, message="stored from the spool by drain-spool")
    async with get_client() as client:
        run = await find_run(client, job_id)
        if run is None:
            return False
        try:
            await client.set_flow_run_state(run.id, state, force=True)
        except ObjectNotFound:
            return False
    return True


async def _store_rest(pending: PendingJob, job_id: str, spool: Spool) -> dict[str, Any]:
    for index in range(len(pending.stored), len(pending.videos)):
        stored = await delivery_steps.store(
            pending.spooled[index], pending.request.customer_id, pending.request.save_to_db
        )
        pending.stored.append(stored)
        spool.record_pending(job_id, pending.to_record())
    return metadata(pending.request, pending.job, job_id, pending.videos, pending.stored)


@flow(name="drain-spool", persist_result=False, log_prints=False)
async def drain_spool() -> dict[str, Any]:
    """Store every pending job's spooled videos and complete the job.

    Returns ``{"completed": [job ids], "waiting": [{"job_id", "error"}]}``; a job still
    waiting (storage down) is retried by the next run.
    """
    with pinned_run_settings() as settings:
        return await _drain(Spool(settings.spool_dir))


async def _drain(spool: Spool) -> dict[str, Any]:
    logger = get_run_logger()
    completed: list[str] = []
    waiting: list[dict[str, str]] = []
    for record in spool.pending():
        job_id = str(record["job_id"])
        try:
            envelope = await _store_rest(PendingJob.from_record(record), job_id, spool)
        except ReelgateError as exc:
            waiting.append({"job_id": job_id, "error": exc.message})
            continue
        if not await complete_job(job_id, envelope, str(record["kind"])):
            logger.warning("job %s is not in this Prefect API; its video is stored", job_id)
        spool.forget_pending(job_id)
        completed.append(job_id)
    if completed or waiting:
        logger.info("drained %d job(s); %d still waiting", len(completed), len(waiting))
    return {"completed": completed, "waiting": waiting}
