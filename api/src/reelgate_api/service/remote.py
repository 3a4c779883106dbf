"""The remote backend of :class:`~reelgate_api.service.service.VideoGenerationService`: a reelgate
server's HTTP API (``POST /video/jobs``, ``GET``/``DELETE /video/jobs/{id}``, its Server-Sent
Events and ``GET /video/models``), with an API key. Error envelopes become the core errors
they name (:func:`reelgate.errors.error_from_body`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import httpx

from reelgate.envelope import SuccessEnvelope
from reelgate.errors import ProviderUnavailableError, ReelgateError, error_from_body
from reelgate.storyboards import JobRequest, StoryboardRequest
from reelgate_api.service.reports import JobReport, JobState

RECONNECT_SECONDS = 1.0


def status_from_answer(job_id: str, answer: dict[str, Any]) -> JobReport:
    """The status of ``GET /video/jobs/{id}``'s answer (or of an SSE ``result`` event plus the
    last ``status`` event)."""
    status = answer.get("status") or answer.get("data", {}).get("status") or "queued"
    ended_ok = status == "succeeded" and answer.get("success") is True
    result = SuccessEnvelope.model_validate(answer) if ended_ok else None
    return JobReport(
        job_id=job_id,
        status=status,
        customer_id=result.data.customer_id if result is not None else None,
        provider=answer.get("provider"),
        step=answer.get("step"),
        progress=answer.get("progress"),
        retryable=answer.get("retryable"),
        result=result,
        error=answer.get("error") if status == "failed" else None,
    )


class RemoteBackend:
    """Sends jobs to the reelgate server at ``url``. ``transport`` replaces the network (an
    ASGI app in tests)."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout_seconds: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds, connect=10.0),
            transport=transport,
        )

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        """The JSON answer of a 2xx; else raise the core error of its error envelope."""
        try:
            answer = await self._client.request(method, path, **options)
        except httpx.TransportError as exc:
            raise ProviderUnavailableError(
                f"the reelgate service at {self.url} could not be reached: {type(exc).__name__}",
                service=self.url,
            ) from exc
        return _json_or_raise(answer)

    async def submit(self, request: JobRequest, idempotency_key: str | None) -> str:
        body = request.model_dump(mode="json", exclude_unset=True)  # an unset model stays unset
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        path = "/video/storyboards" if isinstance(request, StoryboardRequest) else "/video/jobs"
        answer = await self._call("POST", path, json=body, headers=headers)
        return str(answer["data"]["job_id"])

    async def status(self, job_id: str) -> JobReport:
        return status_from_answer(job_id, await self._call("GET", f"/video/jobs/{job_id}"))

    async def changes(self, job_id: str) -> AsyncGenerator[JobReport]:
        """Follows the job's Server-Sent Events, reconnecting when the stream breaks."""
        last: dict[str, Any] = {}
        while True:
            try:
                async with aclosing(self._events(job_id)) as events:
                    async for event, data in events:
                        if event == "status":
                            last = data
                            if data.get("status") not in ("succeeded", "failed", "cancelled"):
                                yield status_from_answer(job_id, data)
                        elif event == "result":
                            yield status_from_answer(job_id, {**last, **data})
                            return
            except httpx.TransportError:
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            # the stream ended without a result: read the job's state as it is now
            status = await self.status(job_id)
            yield status
            if status.ended:
                return

    async def _events(self, job_id: str) -> AsyncGenerator[tuple[str, dict[str, Any]]]:
        path = f"/video/jobs/{job_id}/events"
        async with self._client.stream("GET", path, timeout=httpx.Timeout(None)) as answer:
            if answer.status_code >= 400:
                await answer.aread()
                _json_or_raise(answer)
            event, data = "message", ""
            async for line in answer.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and data:
                    yield event, json.loads(data)
                    event, data = "message", ""

    async def cancel(self, job_id: str) -> JobState:
        answer = await self._call("DELETE", f"/video/jobs/{job_id}")
        return answer["data"]["status"]  # type: ignore[no-any-return]

    async def models(self) -> dict[str, Any]:
        return await self._call("GET", "/video/models")


def _json_or_raise(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.is_success and isinstance(body, dict):
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        raise error_from_body(answer.status_code, error)
    raise ReelgateError(f"the reelgate service answered HTTP {answer.status_code}")
