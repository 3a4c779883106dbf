"""The shared httpx error boundary: what each failure proves about a submission."""

from __future__ import annotations

import asyncio
import email.utils

import httpx
import pytest

from reelgate.errors import (
    ProviderUnavailableError,
    RateLimitedError,
    ReelgateError,
    SubmissionNotAcceptedError,
)
from reelgate.http_errors import http_boundary, retry_after_seconds, status_error


def failing(exc: Exception) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def call_through_boundary(client: httpx.AsyncClient) -> None:
    with http_boundary("acme", "create"):
        await client.post("http://acme.test/jobs")


@pytest.mark.parametrize(
    ("exc", "resubmit"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("no answer to SYN"), True),
        (httpx.ReadTimeout("slow"), False),
        (httpx.RemoteProtocolError("reset mid-answer"), False),
        (httpx.WriteError("broken pipe"), False),
    ],
)
def test_transport_failures_say_whether_anything_was_sent(exc: Exception, resubmit: bool) -> None:
    with pytest.raises(ReelgateError) as caught:
        asyncio.run(call_through_boundary(failing(exc)))
    error = caught.value
    assert error.retryable and error.safe_to_resubmit is resubmit
    assert isinstance(error, SubmissionNotAcceptedError if resubmit else ProviderUnavailableError)
    assert "acme" in error.message and "create" in error.message


def test_statuses_a_plugin_need_not_map_itself() -> None:
    limited = status_error(
        httpx.Response(429, headers={"retry-after": "7"}), provider="acme", message="slow down"
    )
    assert isinstance(limited, RateLimitedError) and limited.details["retry_after"] == 7.0
    assert limited.safe_to_resubmit
    down = status_error(httpx.Response(503), provider="acme", message="overloaded")
    assert isinstance(down, ProviderUnavailableError) and not down.safe_to_resubmit
    assert status_error(httpx.Response(404), provider="acme", message="no such job") is None


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1_800_000_000.0
    later = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"retry-after": later}, now=now) == pytest.approx(30, abs=1)
    assert retry_after_seconds({"retry-after": "2.5"}) == 2.5
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
