"""Signed, expiring URLs of videos in the local folder storage (as S3 presigned URLs are).

``/files/<key>?expires=<unix seconds>&signature=<hex>``: the signature is an HMAC-SHA256 over
the key and the expiry with the server's secret (``REELGATE_FILE_URL_SECRET``, or a random one
kept in ``<spool dir>/../file-url-secret`` so every process of one machine shares it).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote, urlencode


class FileSigner:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _signature(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, files_path: str, key: str, now: float | None = None) -> str:
        """A URL of ``key`` valid for ``ttl_seconds`` from ``now``."""
        expires = int(now if now is not None else time.time()) + self.ttl_seconds
        query = urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{base_url}{files_path}/{quote(key)}?{query}"

    def verify(
        self, key: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> bool:
        """True for a signature of ``key`` made by this secret that has not expired."""
        if not expires or not signature or not (expires.isascii() and expires.isdigit()):
            return False
        if int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self._signature(key, int(expires)), signature)
