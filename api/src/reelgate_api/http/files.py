"""``/files/{key}``: stored videos (and their preview images) of the local folder storage, for
a signed unexpired URL or a key that may act for the video's customer; 404 for anything else,
as for a file that does not exist."""

from __future__ import annotations

import mimetypes
import posixpath
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Response

from reelgate.errors import NotFoundError
from reelgate_api.http.context import ContextDep, HttpContext
from reelgate_api.http.error_docs import error_responses
from reelgate_api.http.presentation import FILES_PATH, stored_path
from reelgate_api.http.ranges import ranged_file


@get(f"{FILES_PATH}/{{key:path}}", responses=error_responses(404), media_type="video/mp4")
async def files(
    request: Request[Any, Any, Any], context: ContextDep, key: FromPath[str]
) -> Response[Any]:
    """A stored video, for a signed unexpired URL or a key that may act for its customer;
    a ``Range`` request gets its bytes (206), as players seeking in it ask."""
    key = key.lstrip("/")
    if posixpath.normpath(key) != key:
        # customers/100/../200/...: the customer a path names must be the one it reaches
        raise NotFoundError("no such video")
    params = request.query_params
    signed = context.signer.verify(key, params.get("expires"), params.get("signature"))
    if not (signed or _key_may_read(request, context, key)):
        raise NotFoundError("no such video")
    path = stored_path(context.settings.storage_url, key)
    media_type = mimetypes.guess_type(path.name)[0] or "video/mp4"
    return ranged_file(path, media_type, request.headers.get("range"))


def _key_may_read(request: Request[Any, Any, Any], context: HttpContext, key: str) -> bool:
    parts = key.split("/")
    has_key = request.headers.get("authorization") or request.headers.get("x-api-key")
    if not (context.keys.enabled and has_key and len(parts) > 2 and parts[0] == "customers"):
        return False
    return context.caller(request).may_act_for(parts[1])
