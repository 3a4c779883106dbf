"""Where reelgate keeps its own data on this machine, whatever the working directory:
``$REELGATE_HOME``, else ``$XDG_DATA_HOME/reelgate``, else ``~/.local/share/reelgate``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def reelgate_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("REELGATE_HOME"):
        return Path(env["REELGATE_HOME"]).expanduser()
    data = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "reelgate"
