"""How an executor stops the jobs of its process: a cancel through the API (a job being
created is withdrawn; one running here is cancelled at its provider and its run stopped; one
running elsewhere is asked to stop through its run's Cancelling state), the cancellations made
elsewhere that it honours, and the hand-back of every run at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelled, Cancelling, Scheduled

from reelgate.errors import CapabilityNotSupportedError
from reelgate.runtimes import get_runtime
from reelgate_api.jobs.local_runs import LocalRuns
from reelgate_api.jobs.runner import ThreadedRunner
from reelgate_api.jobs.views import check_cancellable
from reelgate_flows.catalog import runs_in_states
from reelgate_flows.job_ids import find_job_run

logger = logging.getLogger("reelgate.api")


class StoppingRuns(ThreadedRunner):
    """Cancellation and hand-back of an executor's runs (its base): the executor gives its
    :class:`LocalRuns` and how often it looks for cancellations made elsewhere."""

    _runs: LocalRuns
    cancel_check_seconds: float | None

    async def cancel(self, job_id: str) -> str:
        async def cancel_here() -> str:
            check_cancellable(job_id, await self.view_here(job_id))
            local = self._runs.get(job_id)
            if local is not None and local.flow_run_id is None:
                local.withdrawn = True  # its task cancels the run if it is being created
                if self.records is not None:
                    await self.records.withdraw(job_id)
                return "cancelled"
            if local is None and self.records is not None and await self.records.withdraw(job_id):
                return "cancelled"  # admitted by another process, its run not created yet
            if local is None:
                await self._ask_owner_to_stop(job_id)
                return "cancelled"
            await self.stop_run(job_id, "cancelled through the API")
            return "cancelled"

        return await self._thread.run(cancel_here())

    async def stop_run(self, job_id: str, message: str) -> None:
        """Cancel the job at its provider (where it can), stop its run here, and mark the run
        Cancelled. Call on the runner's loop."""
        local = self._runs.get(job_id)
        provider_job = local.provider_job if local is not None else None
        if provider_job is not None:
            runtime = get_runtime()
            with contextlib.suppress(CapabilityNotSupportedError):
                await runtime.cancel(provider_job, runtime.context(provider_job.provider))
        async with get_client() as client:
            run_id = local.flow_run_id if local is not None else None
            if run_id is None:
                run = await find_job_run(client, job_id, self.records)
                if run is None:
                    return
                run_id = run.id
            await client.set_flow_run_state(run_id, Cancelled(message=message), force=True)
            if local is not None:
                # Stopped, the engine forces its run Crashed (it never saw the Cancelled
                # above); the run is made Cancelled again after, and reads as cancelled here
                # meanwhile. It may also have ended on its own (the provider's cancel seen by a
                # poll): either way its final state is Cancelled.
                local.stopping = True
                local.task.cancel()
                await asyncio.wait({local.task})
                await client.set_flow_run_state(run_id, Cancelled(message=message), force=True)
                self._runs.drop(job_id)

    async def stop_run_from_elsewhere(self, job_id: str, message: str) -> None:
        """:meth:`stop_run`, from another loop."""
        await self._thread.run(self.stop_run(job_id, message))

    async def _ask_owner_to_stop(self, job_id: str) -> None:
        """Cancel a job that runs in another process: its run goes Cancelling, which the
        process running it honours (:meth:`honour_cancellations`: at the provider too, then
        Cancelled); an owner that died marks it Cancelled when it resumes. Call on the loop."""
        async with get_client() as client:
            run = await find_job_run(client, job_id, self.records)
            if run is not None:
                message = f"cancelled through the API of {self.name}"
                await client.set_flow_run_state(run.id, Cancelling(message=message), force=True)

    async def honour_cancellations(self, who: str) -> list[str]:
        """Stop the runs of this process that were moved to Cancelling elsewhere (another API
        process, the Prefect UI); returns their job ids. From any loop."""

        async def here() -> list[str]:
            jobs_of_runs = self._runs.active_runs()
            active, stopped = list(jobs_of_runs), []
            async with get_client() as client:
                cancelling = await runs_in_states(client, active, [StateType.CANCELLING])
                for run in cancelling:
                    await self.stop_run(jobs_of_runs[run.id], f"cancelled on {who}")
                    stopped.append(jobs_of_runs[run.id])
            return stopped

        return await self._thread.run(here())

    async def _watch_cancellations(self) -> None:
        """Every ``cancel_check_seconds``, :meth:`honour_cancellations` (on the loop)."""
        assert self.cancel_check_seconds is not None
        while True:
            await asyncio.sleep(self.cancel_check_seconds)
            if not self._runs.active_runs():
                continue
            try:
                await self.honour_cancellations(self.name)
            except Exception:  # the Prefect API may be restarting: try again next round
                logger.exception("checking for cancelled runs failed")

    async def hand_back(self, message: str) -> list[str]:
        """Stop every run of this process and reschedule it for any executor to resume (its
        provider job is reused). Returns the ids handed back."""

        async def hand_back_here() -> list[str]:
            tasks = [
                run.task for job_id in self._runs.active_jobs() if (run := self._runs.get(job_id))
            ]
            runs = self._runs.active_runs()
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(set(tasks))
            async with get_client() as client:
                for run_id in runs:
                    await client.set_flow_run_state(run_id, Scheduled(message=message), force=True)
            return list(runs.values())

        return await self._thread.run(hand_back_here())
