"""Fetching request inputs (an image, a video) by URL or, for the CLI only, a local path.

URLs must be http(s) without credentials; unless ``allow_private_urls`` is set, every address
a host resolves to (at every redirect hop) must be public, and the request goes to the checked
address itself, not to a second resolution. Sizes are capped while streaming, and a file's
type is read from its bytes, never from a header or a name.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from reelgate.errors import ProviderUnavailableError, TooLargeError, ValidationError

MAX_REDIRECTS = 5

_IMAGE_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
)


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type of an image from its first bytes, or None if it is no known image."""
    for signature, offset, mime in _IMAGE_SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff_video_type(data: bytes) -> str | None:
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    return None


async def fetch(
    location: str,
    *,
    field: str,
    max_bytes: int,
    timeout_seconds: float,
    allow_private: PrivateAllowance,
    allow_local_files: bool,
) -> bytes:
    """The bytes at ``location``: an http(s) URL, a base64 ``data:`` URI, or a local path when
    ``allow_local_files``."""
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        return await _fetch_url(location, field, max_bytes, timeout_seconds, allow_private)
    if scheme == "data":
        return data_uri_bytes(location, field, max_bytes)
    if allow_local_files and scheme in ("", "file"):
        return await asyncio.to_thread(_read_local, location, field, max_bytes)
    raise ValidationError(f"{field} must be an http(s) URL or a data: URI", field=field)


def data_uri_bytes(location: str, field: str, max_bytes: int) -> bytes:
    """The bytes of a ``data:<type>;base64,<data>`` URI."""
    header, comma, payload = location.partition(",")
    if not comma or not header.lower().endswith(";base64"):
        raise ValidationError(f"{field} must be a base64 data: URI", field=field)
    if len(payload) > (max_bytes + 2) // 3 * 4 + 4:
        raise TooLargeError(f"{field} is over {max_bytes} bytes", field=field)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"{field} is not valid base64", field=field) from exc


def _read_local(location: str, field: str, max_bytes: int) -> bytes:
    path = Path(location[len("file://") :] if location.startswith("file://") else location)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TooLargeError(f"{field} is {size} bytes, over {max_bytes}", field=field)
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {field} {path}: {exc.strerror}", field=field) from exc


PrivateAllowance = bool | frozenset[str]
"""Which hosts may resolve to non-public addresses: all (True), none (False), or these names."""


NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), 6to4 (``2002:AABB:CCDD::``), Teredo (its client) or the
    NAT64 well-known prefix (``64:ff9b::a.b.c.d``)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in NAT64_PREFIX:
        return low32
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d (but not :: or ::1)
        return low32
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address; an IPv6 address that embeds an IPv4 address is
    judged by both."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
        if address.ipv4_mapped is not None:
            return True  # judged by its IPv4 address alone
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


@dataclass(frozen=True)
class CheckedUrl:
    """A URL whose host was resolved and checked, and the request that reaches exactly the
    checked address (no second resolution): ``url`` names the address, ``headers`` carry the
    original Host, ``extensions`` the TLS server name."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


async def check_url(url: str, field: str, allow_private: PrivateAllowance) -> CheckedUrl:
    """Raise a 400 unless ``url`` is http(s) without credentials and (unless
    ``allow_private`` is True, or a set of host names holding this one) every address its
    host resolves to is public. IP spellings such as
    ``2130706433`` or ``0177.0.0.1`` are resolved like the system would, then checked."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(f"{field} must be an http(s) URL", field=field)
    if parts.username is not None or parts.password is not None:
        raise ValidationError(f"{field} must not carry credentials", field=field)
    host = parts.hostname
    if not host:
        raise ValidationError(f"{field} has no host", field=field)
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"{field} host {host!r} does not resolve", field=field) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    private_ok = allow_private is True or (
        not isinstance(allow_private, bool) and host.lower() in allow_private
    )
    if not private_ok:
        for address in addresses:
            if not is_public(address):
                raise ValidationError(
                    f"{field} points at a non-public address ({address}); refused", field=field
                )
    chosen = addresses[0]
    netloc = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme.lower() == "https" else {}
    return CheckedUrl(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        headers={"Host": parts.netloc},
        extensions=extensions,
    )


async def _fetch_url(
    url: str,
    field: str,
    max_bytes: int,
    timeout_seconds: float,
    allow_private: PrivateAllowance,
) -> bytes:
    async with httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            checked = await check_url(url, field, allow_private)
            try:
                async with client.stream(
                    "GET", checked.url, headers=checked.headers, extensions=checked.extensions
                ) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        if urlsplit(url).scheme not in ("http", "https"):
                            raise ValidationError(
                                f"{field} redirects to a non-http URL", field=field
                            )
                        continue
                    if response.status_code >= 500:
                        raise ProviderUnavailableError(
                            f"{field} server answered {response.status_code}", field=field
                        )
                    if response.status_code != 200:
                        raise ValidationError(
                            f"{field} could not be fetched: HTTP {response.status_code}",
                            field=field,
                        )
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise TooLargeError(
                                f"{field} is larger than {max_bytes} bytes",
                                field=field,
                                limit_bytes=max_bytes,
                            )
                    return bytes(body)
            except httpx.TransportError as exc:
                raise ProviderUnavailableError(
                    f"{field} could not be fetched: {exc}", field=field
                ) from exc
    raise ValidationError(f"{field} redirects more than {MAX_REDIRECTS} times", field=field)
