"""A moderator on the OpenAI moderation endpoint (``POST /v1/moderations``, through the openai
SDK): the prompt, and the input image when it is a URL or a data URI (a local path of the CLI
is not sent), in one multimodal request to ``omni-moderation-latest``. A flagged result refuses
the input whose type its flagged categories were applied to.

Settings (environment):

- ``REELGATE_MODERATION_OPENAI_API_KEY``: without it this moderator judges nothing (installed
  beside others, it is turned on by its key; ``OPENAI_API_KEY`` is the Sora plugin's), and
  ``REELGATE_MODERATION_OPENAI_BASE_URL`` for a compatible endpoint;
- ``REELGATE_MODERATION_OPENAI_MODEL`` (default ``omni-moderation-latest``);
- ``REELGATE_MODERATION_OPENAI_FAILURE``: ``closed`` (default: when the endpoint cannot
  answer, or no key is set, the request is refused with 503 ``provider_unavailable``, nothing
  paid) or ``open`` (the request goes on unjudged by this moderator; logged);
- ``REELGATE_MODERATION_OPENAI_TIMEOUT_SECONDS`` (default 10).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from reelgate import GenerateRequest, Verdict, hookimpl
from reelgate.errors import PluginError, ProviderUnavailableError
from reelgate.moderation import ModeratedInput

if TYPE_CHECKING:
    import openai

PREFIX = "REELGATE_MODERATION_OPENAI_"
logger = logging.getLogger("reelgate.moderation.openai")


def _setting(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name) or default


def _failure_mode() -> str:
    mode = (_setting("FAILURE", "closed") or "closed").lower()
    if mode not in ("open", "closed"):
        raise PluginError(f"{PREFIX}FAILURE must be 'open' or 'closed', not {mode!r}")
    return mode


def _client(key: str) -> openai.AsyncOpenAI:
    import openai  # on the first judged request: every reelgate command loads this plugin

    return openai.AsyncOpenAI(
        api_key=key,
        base_url=_setting("BASE_URL"),
        timeout=float(_setting("TIMEOUT_SECONDS", "10") or 10),
        max_retries=1,
    )


def _inputs(request: GenerateRequest) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
    image = request.input_image_url
    if image and image.split(":", 1)[0].lower() in ("http", "https", "data"):
        parts.append({"type": "image_url", "image_url": {"url": image}})
    return parts


def verdict_of(result: Any) -> Verdict:
    """The verdict of one moderation result: refused when flagged, naming the image when
    every flagged category was applied to the image only."""
    if not result.flagged:
        return Verdict(allowed=True)
    categories = sorted(name for name, hit in result.categories.model_dump().items() if hit)
    applied = (
        result.category_applied_input_types.model_dump()
        if result.category_applied_input_types
        else {}
    )
    kinds = {kind for name in categories for kind in (applied.get(name) or ["text"])}
    refused: ModeratedInput = "image" if kinds == {"image"} else "prompt"
    reason = f"flagged for {', '.join(categories) or 'a policy'}"
    return Verdict.refuse(refused, reason, *categories)


@hookimpl
async def reelgate_moderate(request: GenerateRequest) -> Verdict | None:
    key = _setting("API_KEY")
    if not key:
        return None
    import openai

    mode = _failure_mode()
    try:
        async with _client(key) as client:
            answer = await client.moderations.create(
                model=_setting("MODEL", "omni-moderation-latest") or "omni-moderation-latest",
                input=_inputs(request),  # type: ignore[arg-type]
            )
    except openai.APIError as exc:
        if mode == "open":
            logger.warning("the OpenAI moderator could not judge a request (failing open): %s", exc)
            return None
        raise ProviderUnavailableError(
            f"moderation is unavailable ({exc}); nothing was submitted or paid",
            moderator="openai",
            stage="before_submit",
        ) from None
    return verdict_of(answer.results[0])
