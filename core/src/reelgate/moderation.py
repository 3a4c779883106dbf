"""Moderation before paying: plugins judge a request (``reelgate_moderate``) at admission,
before anything is submitted to a provider.

A moderator is any plugin implementing the hook; it answers a :class:`Verdict`, or None when it
has no opinion. :func:`moderate` asks the moderators that apply (all of them, or the ones named)
at once and raises the first refusal as a ``ContentRejectedError`` (400 ``content_rejected``)
naming the input refused, the moderator and ``stage: "before_submit"``. A moderator that cannot
judge raises a core error of its own (it decides whether to fail open or closed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection
from dataclasses import dataclass
from typing import Literal, cast

import pluggy

from reelgate.errors import ContentRejectedError
from reelgate.requests import GenerateRequest

ModeratedInput = Literal["prompt", "negative_prompt", "image"]


@dataclass(frozen=True)
class Verdict:
    """A moderator's judgement of one request: ``allowed``, else which ``input`` it refuses,
    why (``reason``, words a user may read) and the ``categories`` it matched."""

    allowed: bool
    input: ModeratedInput = "prompt"
    reason: str = ""
    categories: tuple[str, ...] = ()

    @classmethod
    def refuse(cls, input: ModeratedInput, reason: str, *categories: str) -> Verdict:
        return cls(allowed=False, input=input, reason=reason, categories=tuple(categories))


ALLOWED = Verdict(allowed=True)


async def moderate(
    plugin_manager: pluggy.PluginManager,
    request: GenerateRequest,
    moderators: Collection[str] | None = None,
) -> list[str]:
    """Ask every moderator plugin (or those named in ``moderators``) about ``request``, all at
    once; the names of those asked. Raises ContentRejectedError for the first refusal (in the
    plugins' order), or the error a moderator raised."""
    hook = plugin_manager.hook.reelgate_moderate
    chosen = [
        impl
        for impl in hook.get_hookimpls()
        if moderators is None or impl.plugin_name in moderators
    ]
    asked: list[Awaitable[Verdict | None]] = [
        cast("Awaitable[Verdict | None]", impl.function(request=request)) for impl in chosen
    ]
    verdicts = await asyncio.gather(*asked)
    for impl, verdict in zip(chosen, verdicts, strict=True):
        if verdict is not None and not verdict.allowed:
            raise ContentRejectedError(
                f"the {verdict.input.replace('_', ' ')} was refused by moderation "
                f"({impl.plugin_name}){': ' + verdict.reason if verdict.reason else ''}; "
                "nothing was submitted or paid",
                input=verdict.input,
                stage="before_submit",
                moderator=impl.plugin_name,
                categories=list(verdict.categories) or None,
            )
    return [impl.plugin_name for impl in chosen]
