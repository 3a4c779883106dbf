"""Moderation before paying (issue 30, part 3): a request the moderators refuse is a 400
``content_rejected`` naming the input and ``stage: "before_submit"``, with 0 paid creates, on
every way in (HTTP, /v1, the CLI, MCP, backfill items); ``REELGATE_MODERATORS`` says which
moderators judge whose requests; the OpenAI moderator through its emulator."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import openai
import pytest
from litestar.testing import AsyncTestClient
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from moderation_emulator import ModerationEmulator, moderation_server
from sora_emulator import SoraEmulator

from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows.backfill import backfill
from tests.test_cli import reelgate
from tests.test_mcp import result_of

__all__ = ["moderation_server"]

RULES = json.dumps({"*": [r"\bdragons?\b"]})


def sora_body(prompt: str, customer: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "customer_id": customer,
        "settings": {"video": {"model": "sora-2", "duration_seconds": 4}},
        **extra,
    }


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REELGATE_MODERATION_RULES", RULES)
    return RULES


def assert_refused_before_submit(error: dict[str, Any], moderated: str = "prompt") -> None:
    assert error["type"] == "content_rejected", error
    assert (error["input"], error["stage"]) == (moderated, "before_submit"), error
    assert "nothing was submitted or paid" in error["message"]


async def test_http_refuses_a_moderated_prompt_before_paying(
    sora: SoraEmulator, rules: str
) -> None:
    async with AsyncTestClient(create_app(ApiSettings())) as client:
        for path in ("/video/generate", "/video/jobs"):
            answer = await client.post(path, json=sora_body("two dragons at dawn"))
            assert answer.status_code == 400, answer.text
            assert_refused_before_submit(answer.json()["error"])
        passed = await client.post("/video/generate", json=sora_body("a lighthouse"))
        assert passed.status_code == 200, passed.text
    assert sora.submissions == 1, "only the clean request was paid"


def test_the_openai_dialect_refuses_it_as_a_400(sora: SoraEmulator, rules: str) -> None:
    with BackgroundServer(create_app(ApiSettings()), lifespan="on") as server:
        client = openai.OpenAI(api_key="unused", base_url=f"{server.url}/v1", max_retries=0)
        with pytest.raises(openai.BadRequestError) as refused:
            client.videos.create(model="sora-2", prompt="a dragon", seconds="4")
        assert refused.value.code == "content_rejected"
    assert sora.submissions == 0


def test_the_cli_refuses_it_with_nothing_paid(
    sora: SoraEmulator, rules: str, tmp_path: Path
) -> None:
    done = reelgate(
        "generate", "a dragon", "--in-process", "--model", "sora-2", "--duration", "4",
        cwd=tmp_path,
        env=sora.environ(),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert_refused_before_submit(json.loads(done.stdout)["error"])
    assert sora.submissions == 0


async def test_mcp_refuses_it_as_a_tool_error(
    sora: SoraEmulator, rules: str, tmp_path: Path
) -> None:
    (tmp_path / "prefect").mkdir()
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "reelgate_api.cli.main", "mcp", "--customer", "acme"],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")},
    )
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        answer = await session.call_tool(
            "generate_video", {"prompt": "dragons", "model": "sora-2", "duration_seconds": 4}
        )
    assert answer.isError is True
    assert_refused_before_submit(result_of(answer)[0]["error"])
    assert sora.submissions == 0


async def test_a_backfill_item_is_refused_and_the_others_run(
    sora: SoraEmulator, rules: str
) -> None:
    items = [sora_body("a dragon"), sora_body("a kite")]
    report = await backfill(requests=items, name=f"moderated-{uuid.uuid4().hex[:6]}")
    assert report["counts"] == {"succeeded": 1, "failed": 1}, report
    assert "refused by moderation" in report["items"][0]["error"]
    assert sora.submissions == 1


async def test_moderators_apply_per_customer(
    sora: SoraEmulator, rules: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELGATE_MODERATORS", json.dumps({"acme": ["rules"], "*": []}))
    async with AsyncTestClient(create_app(ApiSettings())) as client:
        acme = await client.post("/video/generate", json=sora_body("a dragon", "acme"))
        globex = await client.post("/video/generate", json=sora_body("a dragon", "globex"))
    assert (acme.status_code, globex.status_code) == (400, 200), globex.text
    assert sora.submissions == 1


def test_a_malformed_moderators_setting_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REELGATE_MODERATORS", '{"acme": "rules"}')
    with pytest.raises(ValueError, match="moderators"):
        ApiSettings()


@pytest.fixture
def openai_moderator(
    moderation_server: ModerationEmulator, monkeypatch: pytest.MonkeyPatch
) -> ModerationEmulator:
    moderation_server.reset()
    for name, value in moderation_server.environ().items():
        monkeypatch.setenv(name, value)
    return moderation_server


async def test_the_openai_moderator_refuses_a_flagged_image_over_http(
    sora: SoraEmulator, openai_moderator: ModerationEmulator
) -> None:
    image = "https://images.example/flagged.png"
    async with AsyncTestClient(create_app(ApiSettings())) as client:
        answer = await client.post(
            "/video/generate", json=sora_body("a portrait", input_image_url=image)
        )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert_refused_before_submit(error, moderated="image")
    assert error["moderator"] == "openai" and error["categories"] == ["sexual"]
    assert sora.submissions == 0
    assert openai_moderator.bodies[0]["input"][1] == {
        "type": "image_url",
        "image_url": {"url": image},
    }
