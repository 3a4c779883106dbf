"""Schemathesis, every check but one, against the API's own OpenAPI document on a real server.

Left out: ``positive_data_acceptance`` (a request valid by the schema must be accepted). Which
settings a request may use depends on its model (durations, aspect ratios, whether its
provider is configured), checked by ``Runtime.prepare``; one static document cannot state that,
so a schema-valid request for an unconfigured provider is rightly a 400.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings

SCHEMATHESIS = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"


def test_schemathesis_finds_no_failure(use_runtime: Any, tmp_path: Path) -> None:
    use_runtime()
    app = create_app(ApiSettings(sync_timeout_seconds=5))
    with BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as server:
        done = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                "15",
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--generation-deterministic",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in done.stdout and "failure" not in done.stdout.split("SUMMARY")[-1]
