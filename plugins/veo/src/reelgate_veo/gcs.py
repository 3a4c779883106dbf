"""Veo's results in Cloud Storage, through the GCS JSON API: streaming an object, and listing
the objects under a prefix (the proof that a submission was accepted, see ``plugin``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx

from reelgate import ProviderContext
from reelgate.errors import ProviderError, ReelgateError
from reelgate.http_errors import status_error, transport_error
from reelgate_veo.errors import PROVIDER

CHUNK_BYTES = 1 << 20
TIMEOUT = httpx.Timeout(60, connect=10)


def split_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/name`` as ``(bucket, name)``."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def _base(ctx: ProviderContext) -> str:
    return (ctx.setting("gcs_base_url") or "https://storage.googleapis.com").rstrip("/")


def _headers(ctx: ProviderContext) -> dict[str, str]:
    token = ctx.setting("access_token")
    return {"Authorization": f"Bearer {token}"} if token else {}


def _refusal(response: httpx.Response, what: str) -> ReelgateError:
    """A transient answer (429, 5xx) is retryable; any other is the provider's error."""
    message = f"Cloud Storage answered {response.status_code} for {what}"
    return status_error(response, provider=PROVIDER, message=message) or ProviderError(
        message, provider=PROVIDER, provider_code=str(response.status_code)
    )


async def stream_object(uri: str, ctx: ProviderContext) -> AsyncIterator[bytes]:
    """The bytes of the object at ``uri``."""
    bucket, name = split_uri(uri)
    url = f"{_base(ctx)}/storage/v1/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            async with client.stream(
                "GET", url, params={"alt": "media"}, headers=_headers(ctx)
            ) as response:
                if response.status_code != 200:
                    raise _refusal(response, uri)
                async for chunk in response.aiter_bytes(CHUNK_BYTES):
                    yield chunk
        except httpx.HTTPError as exc:
            raise transport_error(exc, provider=PROVIDER, during="download") from exc


async def list_objects(prefix_uri: str, ctx: ProviderContext) -> list[str]:
    """The ``gs://`` URIs of every object under ``prefix_uri``, sorted."""
    bucket, prefix = split_uri(prefix_uri)
    url = f"{_base(ctx)}/storage/v1/b/{quote(bucket, safe='')}/o"
    names: list[str] = []
    page_token: str | None = None
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        while True:
            params = {"prefix": prefix, "fields": "items(name),nextPageToken"}
            if page_token:
                params["pageToken"] = page_token
            try:
                response = await client.get(url, params=params, headers=_headers(ctx))
            except httpx.HTTPError as exc:
                raise transport_error(exc, provider=PROVIDER, during="lookup") from exc
            if response.status_code != 200:
                raise _refusal(response, prefix_uri)
            try:
                page = response.json()
                names += [str(item["name"]) for item in page.get("items", [])]
                page_token = page.get("nextPageToken")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ProviderError(
                    f"Cloud Storage answered a listing of {prefix_uri} that is not JSON",
                    provider=PROVIDER,
                ) from exc
            if not page_token:
                return sorted(f"gs://{bucket}/{name}" for name in names)
