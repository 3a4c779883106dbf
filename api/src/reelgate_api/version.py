"""reelgate's version, as installed (what ``reelgate --version``, the OpenAPI document and the
MCP ``serverInfo`` say)."""

from __future__ import annotations

from importlib import metadata


def reelgate_version() -> str:
    """The installed reelgate's version (its API distribution's)."""
    try:
        return metadata.version("reelgate-api")
    except metadata.PackageNotFoundError:
        return "unknown"
