"""A burst of concurrent async jobs on the embedded default (Prefect's SQLite API): every
request is answered 202 and every job completes — none lost, no 5xx. The 200-job figure is
``bench/api_burst.py``; this keeps a burst of the same shape."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from reelgate.testing import FakeProvider
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from tests.burst import run_burst

JOBS = 20


async def test_a_burst_of_concurrent_jobs_all_finish(fake: FakeProvider) -> None:
    app = create_app(ApiSettings(max_running_jobs=2))
    async with AsyncTestClient(app=app, timeout=300) as client:
        outcome = await run_burst(client, JOBS, deadline_seconds=240)
    assert dict(outcome.answer_codes) == {202: JOBS}
    assert outcome.unfinished == 0 and dict(outcome.statuses) == {"succeeded": JOBS}
    assert fake.submissions == JOBS
