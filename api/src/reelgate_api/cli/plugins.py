"""``reelgate install`` and ``reelgate uninstall``: provider plugins go into reelgate's own
environment (the one running this command), with uv when there is one (the workspace's
``.venv`` has no pip), else pip. A running ``reelgate serve`` or ``reelgate worker`` loads its
plugins at start: restart it to use a new one."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from reelgate.errors import ReelgateError, ValidationError

RESTART = (
    "restart every `reelgate serve` and `reelgate worker` to use it: they load plugins at "
    "start; `reelgate models` lists what this environment has"
)


def _uv() -> str | None:
    """uv: the one running us (``uv run`` sets ``UV``), on PATH, or the workspace's own."""
    candidates = [os.environ.get("UV"), shutil.which("uv")]
    candidates.append(str(Path(sys.prefix).parent / ".bin" / "venv" / "bin" / "uv"))
    return next((c for c in candidates if c and Path(c).is_file()), None)


def _installer(action: str) -> list[str]:
    uv = _uv()
    if uv is not None:
        return [uv, "pip", action, "--python", sys.executable]
    has_pip = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if has_pip.returncode == 0:
        return [sys.executable, "-m", "pip", action, *(["-y"] if action == "uninstall" else [])]
    raise ValidationError(
        "neither uv nor pip is available to this environment: install uv "
        "(https://docs.astral.sh/uv/) or pip, then run this again"
    )


def run_plugins_command(args: argparse.Namespace, console: Console) -> int:
    """``install`` or ``uninstall`` each package (a name, a requirement, a wheel or a project
    folder): exit 0, or 1 saying why it failed."""
    try:
        done = subprocess.run([*_installer(args.command), *args.packages], check=False)
    except ReelgateError as exc:
        console.print(f"[red]{args.command} failed:[/red] {exc.message}", soft_wrap=True)
        return 1
    if done.returncode != 0:
        console.print(f"[red]{args.command} failed[/red] (exit {done.returncode})")
        return 1
    console.print(f"{args.command}ed {', '.join(args.packages)}; {RESTART}", soft_wrap=True)
    return 0
