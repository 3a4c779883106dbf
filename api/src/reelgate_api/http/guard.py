"""Checks every request passes before its handler: the Host it names, the Origin it comes
from, and the type of the body it sends.

- Public URLs are built from ``REELGATE_PUBLIC_BASE_URL`` when set; otherwise only from a Host
  in ``REELGATE_ALLOWED_HOSTS`` (loopback names by default): any other Host is a 400, so a
  crafted Host never reaches a ``video_url``.
- A browser request from another origin (an ``Origin`` header that is neither this server nor
  in ``REELGATE_CORS_ORIGINS``) is a 403: a web page cannot drive a local service.
- A POST must send ``application/json`` (415 otherwise), which a cross-site form cannot;
  routes marked ``opt={"multipart": True}`` (the OpenAI dialect's create) also take
  ``multipart/form-data``, which a browser sends cross-site only with an ``Origin`` (refused
  above).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from reelgate.errors import ForbiddenError, UnsupportedMediaTypeError, ValidationError
from reelgate_api.settings import ApiSettings


def _host_name(host: str) -> str:
    """The host of a Host header without its port (``[::1]:8000`` → ``::1``)."""
    parsed = urlsplit(f"//{host}")
    return (parsed.hostname or "").lower()


class RequestGuard:
    def __init__(self, settings: ApiSettings) -> None:
        self.public_base_url = (settings.public_base_url or "").rstrip("/") or None
        self.allowed_hosts = frozenset(h.lower() for h in settings.allowed_host_names())
        self.cors_origins = frozenset(o.rstrip("/").lower() for o in settings.cors_origin_list())

    def base_url(self, request: Request[Any, Any, Any]) -> str:
        """The base of the URLs this request is answered with."""
        if self.public_base_url:
            return self.public_base_url
        host = request.headers.get("host", "")
        if _host_name(host) not in self.allowed_hosts:
            raise ValidationError(
                f"the Host {host!r} is not one this server answers for; set "
                "REELGATE_PUBLIC_BASE_URL or REELGATE_ALLOWED_HOSTS",
                field="Host",
            )
        return str(request.base_url).rstrip("/")

    async def before_request(self, request: Request[Any, Any, Any]) -> None:
        own = self.base_url(request).lower()
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in {own, *self.cors_origins}:
            raise ForbiddenError(
                f"requests from the web origin {origin!r} are not allowed; add it to "
                "REELGATE_CORS_ORIGINS to allow it"
            )
        if request.method == "POST":
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            multipart = media_type == "multipart/form-data" and request.route_handler.opt.get(
                "multipart"
            )
            if media_type != "application/json" and not multipart:
                raise UnsupportedMediaTypeError(
                    "send the request body as JSON (Content-Type: application/json)"
                )
