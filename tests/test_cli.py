"""The `reelgate` command as a user runs it: a real process, the real flow, a real MP4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import probe_mp4


def reelgate(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reelgate_api.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_generate_prints_the_envelope_and_writes_a_playable_mp4(tmp_path: Path) -> None:
    out = tmp_path / "copy.mp4"
    result = reelgate(
        "generate",
        "a red fox in snow",
        "--model",
        "local-preview",
        "--duration",
        "2",
        "--aspect-ratio",
        "9:16",
        "--resolution",
        "480p",
        "--audio",
        "--customer-id",
        "cli-user",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    envelope = json.loads(result.stdout)
    data = envelope["data"]
    assert envelope["success"] and data["model"] == "local" and data["provider"] == "local"
    stored = Path(data["video_url"].removeprefix("file://"))
    assert f"video: {stored}" in result.stderr.replace("\n", "")
    for path in (stored, out):
        info = probe_mp4(path)
        assert (info["width"], info["height"], info["frames"], info["audio"]) == (480, 854, 48, 1)


def test_a_bad_request_prints_the_error_envelope_and_fails(tmp_path: Path) -> None:
    result = reelgate("generate", "a fox", "--model", "lokal", "--customer-id", "c", cwd=tmp_path)
    assert result.returncode == 1
    envelope = json.loads(result.stdout)
    assert envelope["code"] == 400 and envelope["error"]["type"] == "unknown_model"
    assert "local" in envelope["error"]["suggestions"]
    assert "Traceback" not in result.stderr

    result = reelgate("generate", " ", "--customer-id", "c", cwd=tmp_path)
    assert result.returncode == 1 and json.loads(result.stdout)["error"]["type"] == (
        "validation_error"
    )


def test_models_lists_models_providers_and_configuration(tmp_path: Path) -> None:
    result = reelgate("models", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    local = next(m for m in report["models"] if m["id"] == "local")
    assert local["configured"] and "local-preview" in local["aliases"]
    assert sorted(local["capabilities"]["kinds"]) == ["extend", "image", "text"]
    assert report["default_model"] == "veo-3.1-fast" and report["failed_plugins"] == []
    by_id = {m["id"]: m for m in report["models"]}
    assert next(m for m in report["models"] if m["default"])["id"] == "veo-3.1-fast"
    for model, variable in (
        ("veo-3.1-fast", "GOOGLE_API_KEY"),
        ("sora-2", "OPENAI_API_KEY"),
        ("kling-v2-6", "KLING_ACCESS_KEY"),
    ):
        assert not by_id[model]["configured"] and variable in by_id[model]["missing_settings"]
    table = reelgate("models", cwd=tmp_path, env={"COLUMNS": "80"})
    lines = table.stderr.splitlines()
    assert table.returncode == 0 and max(len(line) for line in lines) <= 80
    for model in report["models"]:  # every model id whole, at the start of its block
        assert any(line.startswith(f"{model['id']} ") for line in lines), model["id"]


@pytest.mark.parametrize(
    ("model", "variable"),
    [("kling", "KLING_SECRET_KEY"), ("sora", "OPENAI_API_KEY"), ("veo-3.1-fast", "GOOGLE_API_KEY")],
)
def test_a_provider_without_credentials_is_refused_naming_its_variables(
    model: str, variable: str, tmp_path: Path
) -> None:
    result = reelgate("generate", "a kite", "--model", model, cwd=tmp_path)
    envelope = json.loads(result.stdout)
    assert result.returncode == 1 and envelope["code"] == 400
    assert envelope["error"]["type"] == "provider_not_configured"
    assert variable in envelope["error"]["message"]
