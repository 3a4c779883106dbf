"""A moderator of blocklists: ``REELGATE_MODERATION_RULES`` is JSON mapping a customer id (or
``"*"``, every customer) to case-insensitive regular expressions. A request whose prompt or
negative prompt matches one of its customer's rules, or one of ``"*"``'s, is refused before
anything is paid. The answer says which input matched, never the rule (logged instead: a
rule shown is a rule worked around). A malformed setting refuses every request (fails closed)
with a ``plugin_error`` naming the variable."""

from __future__ import annotations

import functools
import json
import logging
import os
import re

from reelgate import GenerateRequest, Verdict, hookimpl
from reelgate.errors import PluginError
from reelgate.moderation import ModeratedInput

RULES_ENV = "REELGATE_MODERATION_RULES"
logger = logging.getLogger("reelgate.moderation.rules")


@functools.lru_cache(maxsize=8)
def compiled_rules(value: str) -> dict[str, tuple[re.Pattern[str], ...]]:
    """The rules of ``value`` (the variable's JSON), compiled; PluginError when malformed."""
    try:
        raw = json.loads(value)
        if not isinstance(raw, dict) or not all(
            isinstance(rules, list) and all(isinstance(rule, str) for rule in rules)
            for rules in raw.values()
        ):
            raise ValueError('not an object of lists of strings ({"acme": ["regex", ...]})')
        return {
            str(customer): tuple(re.compile(rule, re.IGNORECASE) for rule in rules)
            for customer, rules in raw.items()
        }
    except (ValueError, re.error) as exc:
        raise PluginError(
            f"{RULES_ENV} is malformed ({exc}): every request is refused until it is fixed",
            setting=RULES_ENV,
        ) from None


def rules_for(customer_id: str) -> tuple[re.Pattern[str], ...]:
    """The rules that apply to ``customer_id``: its own and ``"*"``'s."""
    value = os.environ.get(RULES_ENV)
    if not value:
        return ()
    rules = compiled_rules(value)
    return rules.get(customer_id, ()) + rules.get("*", ())


@hookimpl
async def reelgate_moderate(request: GenerateRequest) -> Verdict | None:
    rules = rules_for(request.customer_id)
    if not rules:
        return None
    texts: list[tuple[ModeratedInput, str | None]] = [
        ("prompt", request.prompt),
        ("negative_prompt", request.video.negative_prompt),
    ]
    for field, text in texts:
        for rule in rules:
            if text and rule.search(text):
                logger.info(
                    "refused the %s of a request of %s: it matches %r",
                    field,
                    request.customer_id,
                    rule.pattern,
                )
                return Verdict.refuse(field, "it matches a blocked term", "blocklist")
    return Verdict(allowed=True)
