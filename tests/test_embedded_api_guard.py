"""The embedded Prefect API that ``reelgate serve`` owns answers only reelgate's own processes:
a caller without its secret gets 401, a browser (any request with an ``Origin``) gets 403 and
no CORS header, and what its runs hold never shows an API key or a bare hash of one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx

from tests.processes import ApiProcess, eventually

API_KEY = "k-correct-horse-battery"


def _embedded_api_of(parent: int) -> tuple[str, str]:
    """The URL and auth string of the embedded API child of process ``parent``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid"))
        if ppid != parent or b"reelgate_flows.embedded_server:create_app" not in command:
            continue
        port = command[command.index(b"--port") + 1].decode()
        secret = next(
            item.split(b"=", 1)[1].decode()
            for item in environ
            if item.startswith(b"PREFECT_SERVER_API_AUTH_STRING=")
        )
        return f"http://127.0.0.1:{port}/api", secret
    raise AssertionError("reelgate serve has no embedded Prefect API child")


def test_the_embedded_api_answers_only_reelgate(tmp_path: Path) -> None:
    env = {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "REELGATE_LOCAL_DIR": str(tmp_path / "l"),
        "REELGATE_API_KEYS": json.dumps({API_KEY: ["acme"]}),
        "REELGATE_SPOOL_DIR": str(tmp_path / "data" / "spool"),
        "REELGATE_STORAGE_URL": f"file://{tmp_path / 'videos'}",
    }
    assert "PREFECT_API_URL" not in os.environ
    api = ApiProcess(env, tmp_path / "serve.log").start()
    try:
        with api.client() as http:
            body = {
                "prompt": "waves",
                "customer_id": "acme",
                "settings": {"video": {"model": "local", "duration_seconds": 1}},
            }
            headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "order-1"}
            made = http.post("/video/generate", json=body, headers=headers, timeout=120)
            assert made.status_code == 200, made.text
        url, secret = _embedded_api_of(api.process.pid if api.process else 0)
        with httpx.Client(base_url=url, timeout=30) as prefect:
            anonymous = prefect.post("/flow_runs/filter", json={})
            assert anonymous.status_code == 401
            auth = httpx.BasicAuth(*secret.split(":", 1))
            evil = {"Origin": "https://evil.example"}
            for method in ("POST", "OPTIONS"):
                browser = prefect.request(method, "/flow_runs/filter", headers=evil, auth=auth)
                assert browser.status_code == 403, (method, browser.text)
                assert not any(name.startswith("access-control-") for name in browser.headers)
            eventually(
                lambda: bool(prefect.post("/flow_runs/filter", json={}, auth=auth).json()),
                30,
                "the job's run to be listed",
            )
            runs = prefect.post("/flow_runs/filter", json={}, auth=auth).text
        bare_hash = hashlib.sha256(API_KEY.encode()).hexdigest()[:16]
        assert "order-1" in runs, "the run carries its scoped Idempotency-Key"
        assert bare_hash not in runs and API_KEY not in runs
    finally:
        api.stop()
