"""The agent tools as a model would call them: JSON argument strings (right and wrong)
executed through ``VideoGenerationService`` with the local provider, and the OpenAI and
Anthropic tool-calling shapes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelgate_api.service.in_process import InProcessBackend
from reelgate_api.service.service import VideoGenerationService
from reelgate_api.service.tools import VideoTools, run_tool, tool_definitions
from reelgate_api.settings import ApiSettings
from tests.support import probe_mp4


@pytest.fixture(scope="module")
async def service() -> AsyncIterator[VideoGenerationService]:
    async with VideoGenerationService(InProcessBackend(ApiSettings())) as local:
        yield local


def test_definitions_are_json_schemas_for_both_tool_formats() -> None:
    tools = tool_definitions(customer_bound=False)
    assert [t.name for t in tools] == [
        "generate_video",
        "extend_video",
        "generate_storyboard",
        "get_video_job",
        "list_video_models",
    ]
    generate = tools[0].parameters
    assert generate["required"] == ["prompt", "customer_id"]
    assert generate["additionalProperties"] is False
    duration = generate["properties"]["duration_seconds"]
    assert duration["type"] == "integer" and duration["minimum"] == 1
    assert generate["properties"]["resolution"]["type"] == "string"  # not anyOf [..., null]
    assert all(p.get("description") for p in generate["properties"].values())
    json.dumps([t.openai() for t in tools] + [t.anthropic() for t in tools])
    assert tools[0].openai()["function"]["parameters"] is generate
    assert tools[0].anthropic()["input_schema"] is generate
    bound = tool_definitions(customer_bound=True)[0].parameters
    assert "customer_id" not in bound["properties"] and bound["required"] == ["prompt"]


async def test_generate_video_answers_a_playable_video(service: VideoGenerationService) -> None:
    arguments = json.dumps(
        {
            "prompt": "a paper boat on a pond",
            "customer_id": "agent-1",
            "model": "local",
            "duration_seconds": 2,
            "resolution": "360p",
        }
    )
    result = await run_tool("generate_video", arguments, service)
    assert result["status"] == "succeeded", result
    assert result["provider"] == "local" and result["video_url"].startswith("file://")
    probe = probe_mp4(Path(result["video_url"].removeprefix("file://")))
    assert probe["duration"] == pytest.approx(2.0, abs=0.1)
    json.dumps(result)


@pytest.mark.parametrize(
    ("arguments", "error_type", "names"),
    [
        ('{"prompt": "a cat", "customer_id": "agent-1",', "validation_error", "JSON"),
        ('["a cat"]', "validation_error", "object"),
        ('{"customer_id": "agent-1", "model": "local"}', "validation_error", "prompt"),
        (
            '{"prompt": "a cat", "customer_id": "agent-1", "model": "local", '
            '"duration_seconds": "5"}',
            "validation_error",
            "duration_seconds",
        ),
        (
            '{"prompt": "a cat", "customer_id": "agent-1", "model": "local", '
            '"duration_seconds": 0}',
            "validation_error",
            "duration_seconds",
        ),
        (
            '{"prompt": "a cat", "customer_id": "agent-1", "style": "noir"}',
            "validation_error",
            "style",
        ),
        (
            '{"prompt": "a cat", "customer_id": "agent-1", "model": "lokal"}',
            "unknown_model",
            "local",
        ),
        (
            '{"prompt": "a cat", "customer_id": "agent-1", "model": "local", '
            '"aspect_ratio": "4:3"}',
            "validation_error",
            "aspect_ratio",
        ),
        (
            '{"prompt": "a cat", "customer_id": "agent-1", "wait": "yes"}',
            "validation_error",
            "wait",
        ),
    ],
)
async def test_wrong_calls_come_back_as_errors_the_model_can_correct(
    service: VideoGenerationService, arguments: str, error_type: str, names: str
) -> None:
    result = await run_tool("generate_video", arguments, service)
    assert set(result) == {"error"}, result
    assert result["error"]["type"] == error_type
    assert names in json.dumps(result["error"]), result


async def test_an_unknown_tool_and_bad_job_ids_are_errors(service: VideoGenerationService) -> None:
    assert (await run_tool("make_movie", "{}", service))["error"]["type"] == "unknown_tool"
    missing = await run_tool("get_video_job", '{"job_id": "no-such-job"}', service)
    assert missing["error"]["type"] == "not_found"
    wrong = await run_tool("get_video_job", '{"id": 3}', service)
    assert wrong["error"]["type"] == "validation_error"


async def test_a_job_started_without_waiting_is_followed_to_its_video(
    service: VideoGenerationService,
) -> None:
    tools = VideoTools(service, customer_id="agent-2")
    started = await tools.run(
        "generate_video",
        {"prompt": "a tide", "model": "local", "duration_seconds": 1, "wait": False},
    )
    assert started["status"] == "queued", started
    await service.job(started["job_id"]).wait(timeout=120)
    done = await tools.run("get_video_job", json.dumps({"job_id": started["job_id"]}))
    assert done["status"] == "succeeded" and done["video_url"].startswith("file://")
    extended = await tools.run(
        "extend_video", {"video_id": started["job_id"], "prompt": "the tide goes out"}
    )
    assert extended["status"] == "succeeded", extended
    assert extended["job_id"] != started["job_id"]


async def test_a_customer_bound_toolbox_acts_for_its_customer_only(
    service: VideoGenerationService,
) -> None:
    theirs = await service.generate(
        prompt="private",
        customer_id="someone-else",
        settings={"video": {"model": "local", "duration_seconds": 1}},
    )
    tools = VideoTools(service, customer_id="agent-3")
    hidden = await tools.run("get_video_job", {"job_id": theirs.data.job_id})
    assert hidden["error"]["type"] == "not_found"
    other = await tools.run(
        "generate_video", {"prompt": "x", "customer_id": "someone-else", "model": "local"}
    )
    assert (
        other["error"]["type"] == "validation_error" and "customer_id" in other["error"]["message"]
    )
    stolen = await tools.run("extend_video", {"video_id": theirs.data.job_id, "prompt": "more"})
    assert stolen["error"]["type"] == "not_found"


async def test_openai_and_anthropic_tool_calls_run_and_answer_in_their_shapes(
    service: VideoGenerationService,
) -> None:
    tools = VideoTools(service, customer_id="agent-4")
    openai_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "list_video_models", "arguments": "{}"},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "generate_video", "arguments": "{}"},
        },
    ]
    messages = await tools.openai_tool_messages(openai_calls)
    assert [m["tool_call_id"] for m in messages] == ["call_1", "call_2"]
    models = json.loads(messages[0]["content"])
    assert "local" in [m["model"] for m in models["models"]]
    assert json.loads(messages[1]["content"])["error"]["type"] == "validation_error"
    blocks = [
        {"type": "text", "text": "Making it."},
        {
            "type": "tool_use",
            "id": "toolu_1",
            "name": "generate_video",
            "input": {"prompt": "a lantern", "model": "local", "duration_seconds": 1},
        },
    ]
    results = await tools.anthropic_tool_results(blocks)
    assert len(results) == 1 and results[0]["tool_use_id"] == "toolu_1"
    assert results[0]["is_error"] is False
    assert json.loads(results[0]["content"])["status"] == "succeeded"
