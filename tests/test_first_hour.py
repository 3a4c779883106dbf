"""A newcomer's first steps: the command describes itself (version, each subcommand, its
defaults), ``reelgate serve`` says where it listens and what it uses and is otherwise quiet (a
refused URL and a user's cancel print nothing), and it starts where ``PREFECT_HOME``'s parent
folder does not exist yet."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from importlib import metadata
from pathlib import Path

from reelgate_api.cli.args import build_parser
from reelgate_flows.settings import Settings
from tests.processes import CLI, ApiProcess


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_the_command_says_its_version_and_describes_every_subcommand() -> None:
    done = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == (
        f"reelgate {metadata.version('reelgate-api')}"
    )
    commands = subcommands(build_parser(Settings()))
    assert {"generate", "extend", "serve", "models", "schedule", "backfill"} <= set(commands)
    for name, command in commands.items():
        assert command.description, f"`reelgate {name} --help` says what it does"
    generate = " ".join(commands["generate"].format_help().split())
    assert "default: veo-3.1-fast, or the only configured model" in generate
    assert "length in seconds (default: 5)" in generate
    assert "(default: the first frame's, else 9:16)" in generate
    assert "(default: local)" in generate, "the customer"
    assert "(default: 8000)" in " ".join(commands["serve"].format_help().split())
    backfill = commands["backfill"].format_help()
    assert '{"prompt": "a red kite over dunes"' in backfill and "(default: 4)" in backfill


def test_serve_says_where_it_listens_and_logs_nothing_else(tmp_path: Path) -> None:
    home = tmp_path / "not" / "yet" / "prefect"
    env = {"PREFECT_HOME": str(home), "REELGATE_LOCAL_DIR": str(tmp_path / "local")}
    api = ApiProcess(env, tmp_path / "serve.log").start()
    try:
        with api.client() as http:
            video = {"model": "local", "duration_seconds": 1, "resolution": "360p"}
            answer = http.post(
                "/video/generate",
                json={"prompt": "dunes", "customer_id": "acme", "settings": {"video": video}},
                timeout=120,
            )
            assert answer.status_code == 200, answer.text
            private = {"prompt": "x", "customer_id": "acme", "settings": {"video": video}}
            private["input_image_url"] = "http://127.0.0.1:9/first.png"
            assert http.post("/video/generate", json=private).status_code == 400
            long = {**video, "duration_seconds": 30, "resolution": "1080p"}
            body = {"prompt": "long", "customer_id": "acme", "settings": {"video": long}}
            for wait in (1.5, 0.2):  # cancelled at the provider, and before it submitted
                job_id = http.post("/video/jobs", json=body).json()["data"]["job_id"]
                time.sleep(wait)
                assert http.delete(f"/video/jobs/{job_id}").status_code == 200
            time.sleep(2)
    finally:
        api.stop()
    printed = api.log.read_text()
    lines = [line for line in printed.splitlines() if line.strip()]
    assert f"listening on {api.url}" in printed and f"the playground at {api.url}/" in printed
    assert f"the API docs at {api.url}/docs" in printed
    assert "using the embedded Prefect API http://127.0.0.1:" in printed
    assert f"job records in sqlite+aiosqlite:///{home}/reelgate.db" in printed
    assert "local" in printed.split("plugins ")[1] and "(restart to load one installed since)" in (
        printed
    )
    noisy = ("INFO", "httpx", "ERROR", "Traceback", "Crash")
    assert not [line for line in lines if any(word in line for word in noisy)], printed
    assert len(lines) <= 4, printed
    assert os.path.isdir(home)


def test_data_lives_under_one_home_whatever_the_working_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REELGATE_STORAGE_URL", "REELGATE_SPOOL_DIR", "REELGATE_LOCAL_DIR")
    }
    env |= {"REELGATE_HOME": str(home), "PREFECT_HOME": str(tmp_path / "prefect")}
    for folder in ("here", "there"):
        cwd = tmp_path / folder
        cwd.mkdir()
        args = ["--model", "local", "--duration", "1", "--resolution", "360p", "--quiet"]
        done = subprocess.run(
            [*CLI, "generate", "dunes", *args, "--in-process"],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        url = json.loads(done.stdout)["data"]["video_url"]
        assert url.startswith(f"file://{home}/videos/customers/local/"), url
        assert list(cwd.iterdir()) == [], "nothing is written where the command ran"
    assert (home / "spool").is_dir() and (home / "local-provider").is_dir()
