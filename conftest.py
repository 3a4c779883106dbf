"""Test isolation for the whole workspace, applied before any test module imports Prefect.

Every run gets its own Prefect home (embedded SQLite API), result storage, spool, storage
folder and local-provider folder under one temporary directory, and fast retry backoff.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="reelgate-tests-"))
for _name, _value in {
    "PREFECT_HOME": str(_ROOT / "prefect"),
    "PREFECT_LOCAL_STORAGE_PATH": str(_ROOT / "prefect" / "storage"),
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "REELGATE_HOME": str(_ROOT / "home"),  # never the user's own data folder
    "REELGATE_SPOOL_DIR": str(_ROOT / "spool"),
    "REELGATE_STORAGE_URL": f"file://{_ROOT / 'videos'}",
    "REELGATE_LOCAL_DIR": str(_ROOT / "local"),
    "REELGATE_RETRY_BASE_SECONDS": "0.01",
    "REELGATE_POLL_MIN_SECONDS": "0.05",
    "REELGATE_POLL_MAX_SECONDS": "0.2",
    # Litestar's test client calls itself testserver.local
    "REELGATE_ALLOWED_HOSTS": "127.0.0.1,localhost,::1,testserver.local",
}.items():
    os.environ[_name] = _value
(_ROOT / "prefect").mkdir(parents=True, exist_ok=True)
os.environ.pop("PREFECT_API_URL", None)
# Tests never reach a real provider: credentials and endpoints come only from the tests.
for _name in list(os.environ):
    if _name.startswith(
        (
            "KLING_",
            "OPENAI_",
            "GOOGLE_",
            "ARK_",
            "DASHSCOPE_",
            "MINIMAX_",
            "RUNWAYML_",
            "REELGATE_VEO_",
            "REELGATE_SORA_",
        )
    ):
        del os.environ[_name]

from reelgate_flows.prefect_env import apply_prefect_defaults  # noqa: E402

apply_prefect_defaults()  # what the reelgate command does first; before Prefect is imported
