"""A create of a provider that cannot prove a lost submission: refusals and final errors pass
through, an unclear failure becomes one final error naming where to look."""

from __future__ import annotations

import pytest

from reelgate.errors import (
    ContentRejectedError,
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
)
from reelgate.sent_once import sent_once
from reelgate.specs import ProviderSpec

ACME = ProviderSpec(name="acme", support="the Acme console's task history")


async def _create_raising(error: ReelgateError) -> None:
    async with sent_once(ACME, "Acme"):
        raise error


@pytest.mark.parametrize(
    "error",
    [RateLimitedError("slow down", provider="acme"), ContentRejectedError("no", provider="acme")],
)
async def test_refusals_and_final_errors_pass_through(error: ReelgateError) -> None:
    with pytest.raises(type(error)) as caught:
        await _create_raising(error)
    assert caught.value is error


async def test_an_unclear_failure_is_final_and_says_where_to_look() -> None:
    with pytest.raises(ProviderUnavailableError) as caught:
        await _create_raising(ProviderUnavailableError("reset", provider="acme"))
    final = caught.value
    assert final.details["retryable"] is False and final.details["unclear_submission"] is True
    assert not final.safe_to_resubmit
    assert "not sent again" in final.message and "Acme console's task history" in final.message
    assert final.details["submitted_at"] in final.message
