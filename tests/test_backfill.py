"""The backfill flow: items from a JSONL or CSV file, a concurrency limit, one outcome per item,
and a re-run that skips what succeeded and resumes the rest without paying twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kling_emulator import KlingEmulator
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

from reelgate.errors import ValidationError
from reelgate_flows.backfill import backfill
from reelgate_flows.backfill_items import parse_items, read_source


def local_item(prompt: str, **extra: object) -> dict[str, object]:
    return {
        "prompt": prompt,
        "customer_id": "bf-1",
        "settings": {"video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}},
        **extra,
    }


async def children_of(parent_id: object) -> int:
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])  # type: ignore[list-item]
            )
        )
    return len(runs)


async def test_a_jsonl_backfill_reports_each_item_and_a_rerun_skips_what_succeeded(
    tmp_path: Path,
) -> None:
    source = tmp_path / "requests.jsonl"
    lines = [
        local_item("a fox in snow", key="fox"),
        local_item("a heron at dawn"),
        {"prompt": "", "customer_id": "bf-1"},
        local_item("a heron at dawn"),  # the same request twice is two items
    ]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")

    first = await backfill(source=str(source), name="jsonl-demo", max_concurrent=2)
    assert first["counts"] == {"succeeded": 3, "invalid": 1}
    assert (first["cost_usd"], first["unknown_cost_items"]) == (0.0, 0)  # local: priced at 0
    by_index = {item["index"]: item for item in first["items"]}
    assert by_index[0]["cost_usd"] == 0.0
    assert by_index[0]["key"] == "fox" and by_index[0]["video_url"].startswith("file://")
    assert "prompt" in by_index[2]["error"]
    assert by_index[1]["job_id"] != by_index[3]["job_id"]

    state = await backfill(source=str(source), name="jsonl-demo", return_state=True)
    again = await state.aresult()
    assert again["counts"] == {"skipped": 3, "invalid": 1}
    assert again["cost_usd"] == 0.0  # skipped items were paid for by the earlier run
    assert [i.get("job_id") for i in again["items"]] == [i.get("job_id") for i in first["items"]]
    assert await children_of(state.state_details.flow_run_id) == 0, "no item ran again"


async def test_a_rerun_resumes_an_unfinished_item_on_its_first_provider_job(
    kling: KlingEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "items.csv"
    source.write_text(
        "key,prompt,customer_id,model,duration_seconds\n"
        "one,a glacier calving,bf-2,kling-v2-6,5\n"
        "two,a comet over hills,bf-2,kling-v2-6,5\n"
    )
    kling.queries_to_finish = 10**9  # the provider is slower than the job's deadline
    monkeypatch.setenv("REELGATE_WAIT_TIMEOUT_SECONDS", "1")
    first = await backfill(source=str(source), name="csv-demo")
    assert first["counts"] == {"failed": 2}
    assert all("did not finish" in item["error"] for item in first["items"])
    assert kling.submissions == 2

    kling.queries_to_finish = 1
    monkeypatch.setenv("REELGATE_WAIT_TIMEOUT_SECONDS", "60")
    second = await backfill(source=str(source), name="csv-demo")
    assert second["counts"] == {"succeeded": 2}
    assert kling.submissions == 2, "the re-run reused both provider jobs"


def test_bad_sources_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "ok", "customer_id": "a"}\nnot json\n')
    with pytest.raises(ValidationError, match="line 2 is not JSON"):
        read_source(str(broken))
    with pytest.raises(ValidationError, match="cannot read backfill source"):
        read_source(str(tmp_path / "missing.csv"))
    items = parse_items([local_item("p", video_id="job-1")])
    assert type(items[0].request).__name__ == "ExtendRequest"
