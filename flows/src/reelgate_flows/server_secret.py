"""The server's secret: what signs /files URLs and keys the ids of API keys (HMAC), so neither
can be forged nor an API key guessed offline from its id. ``REELGATE_FILE_URL_SECRET`` when set
(set the same value on every process of a fleet that spans machines); else a random one made
once per machine, kept beside the spool (``<spool dir>/../file-url-secret``, mode 0600), that
every process of the machine shares."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from reelgate_flows.settings import Settings

SECRET_FILE = "file-url-secret"  # noqa: S105 (the name of the file, not a secret)


def server_secret(settings: Settings) -> bytes:
    """The configured secret, or the machine's own (made once, readable by this user only)."""
    if settings.file_url_secret:
        return settings.file_url_secret.encode()
    folder = Path(settings.spool_dir).parent
    path = folder / SECRET_FILE
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
