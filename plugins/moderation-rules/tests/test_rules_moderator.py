"""The blocklist moderator through the core's runtime: its entry point loads, a customer's
rules and ``"*"``'s refuse, other customers pass, a malformed setting fails closed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from reelgate_moderation_rules import hooks

from reelgate.errors import ContentRejectedError, PluginError
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime

RULES = {"acme": [r"\bdrag(on|ons)\b"], "*": ["forbidden fruit"]}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv(hooks.RULES_ENV, json.dumps(RULES))
    runtime = build_runtime(plugins="rules")
    assert [plugin.name for plugin in runtime.loaded.plugins] == ["rules"], runtime.loaded.failures
    return runtime


def request(prompt: str, customer: str = "acme", **video: Any) -> GenerateRequest:
    return GenerateRequest.model_validate(
        {"prompt": prompt, "customer_id": customer, "settings": {"video": video}}
    )


def test_a_customers_rule_refuses_its_prompt_case_insensitively(runtime: Runtime) -> None:
    with pytest.raises(ContentRejectedError) as refused:
        asyncio.run(runtime.moderate(request("Two DRAGONS over a bay")))
    error = refused.value.to_error_body()
    assert error["type"] == "content_rejected"
    assert (error["input"], error["stage"], error["moderator"]) == (
        "prompt",
        "before_submit",
        "rules",
    )
    assert "drag" not in error["message"].lower(), "the rule itself is not shown"


def test_rules_of_another_customer_do_not_apply(runtime: Runtime) -> None:
    assert asyncio.run(runtime.moderate(request("two dragons", customer="globex"))) == ["rules"]


def test_every_customer_answers_to_the_star_rules(runtime: Runtime) -> None:
    with pytest.raises(ContentRejectedError) as refused:
        asyncio.run(
            runtime.moderate(
                request("a still life", customer="globex", negative_prompt="forbidden fruit")
            )
        )
    assert refused.value.details["input"] == "negative_prompt"


def test_moderators_not_named_are_not_asked(runtime: Runtime) -> None:
    assert asyncio.run(runtime.moderate(request("two dragons"), moderators=["openai"])) == []


def test_a_malformed_setting_refuses_every_request(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(hooks.RULES_ENV, json.dumps({"acme": ["(unclosed"]}))
    with pytest.raises(PluginError) as broken:
        asyncio.run(runtime.moderate(request("a calm sea")))
    assert hooks.RULES_ENV in broken.value.message
