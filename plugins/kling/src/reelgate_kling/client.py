"""A small async KlingAI client: HS256 JWT auth (refreshed before expiry), the envelope
``{code, message, request_id, data}``, and error translation at one place."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from reelgate.errors import ProviderUnavailableError
from reelgate.http_errors import http_boundary, retry_after_seconds
from reelgate_kling.errors import PROVIDER, error_for

TOKEN_TTL_SECONDS = 1800
TOKEN_REFRESH_MARGIN_SECONDS = 300
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@dataclass
class KlingCredentials:
    """AccessKey/SecretKey and the token made from them. ``repr`` never shows the keys."""

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    _token: str = field(default="", repr=False)
    _expires: float = 0.0

    def token(self, now: float | None = None) -> str:
        """A valid JWT, made anew when the current one is within the refresh margin."""
        now = time.time() if now is None else now
        if not self._token or now > self._expires - TOKEN_REFRESH_MARGIN_SECONDS:
            issued = int(now)
            self._expires = issued + TOKEN_TTL_SECONDS
            self._token = jwt.encode(
                {"iss": self.access_key, "exp": self._expires, "nbf": issued - 5},
                self.secret_key,
                algorithm="HS256",
                headers={"alg": "HS256", "typ": "JWT"},
            )
        return self._token


class KlingClient:
    """Calls one Kling endpoint family. ``http`` is a shared client or None (one per call)."""

    def __init__(
        self, base_url: str, credentials: KlingCredentials, http: httpx.AsyncClient | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self._http = http

    def __repr__(self) -> str:
        return f"KlingClient({self.base_url!r})"

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._http is not None:
            yield self._http
        else:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                yield client

    async def request(
        self,
        method: str,
        path: str,
        *,
        during: str,
        json: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Send one request; returns ``data`` of a ``code: 0`` answer or raises a core error.
        ``timeout_seconds`` bounds the wait for the answer (default 60 s)."""
        timeout = TIMEOUT if timeout_seconds is None else httpx.Timeout(timeout_seconds, connect=10)
        headers = {
            "Authorization": f"Bearer {self.credentials.token()}",
            "Content-Type": "application/json",
        }
        async with self._client() as client:
            with http_boundary(PROVIDER, during):
                response = await client.request(
                    method, f"{self.base_url}{path}", json=json, headers=headers, timeout=timeout
                )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderUnavailableError(
                f"KlingAI answered {response.status_code} with a body that is not JSON "
                f"during {during}",
                provider=PROVIDER,
                provider_code=str(response.status_code),
            )
        code = body.get("code")
        if response.status_code != 200 or code != 0 or "data" not in body:
            raise error_for(
                response.status_code,
                code if isinstance(code, int) else None,
                str(body.get("message", "")),
                body.get("request_id"),
                retry_after_seconds(response.headers),
            )
        data: dict[str, Any] = body["data"]
        return data

    async def stream(self, url: str, chunk_bytes: int = 1 << 20) -> AsyncIterator[bytes]:
        """The bytes at a result URL (a CDN link: no auth header is sent)."""
        async with self._client() as client:
            with http_boundary(PROVIDER, "download"):
                async with client.stream("GET", url, timeout=TIMEOUT) as response:
                    if response.status_code != 200:
                        raise error_for(response.status_code, None, "video download failed", None)
                    async for chunk in response.aiter_bytes(chunk_bytes):
                        yield chunk
