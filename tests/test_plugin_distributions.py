"""Plugins as separate distributions: wheels built and installed the way pip users get them.

- a third-party plugin depending on reelgate-core alone works in a venv holding only those two;
- installed beside the workspace, it is found through its entry point and generates through
  the flow; a plugin that raises on import is reported and skipped; a duplicate alias stops
  start-up naming both distributions;
- the local plugin passes its own tests with only its wheel and reelgate-core's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reelgate-example"
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv") or "uv"

ACME_PLUGIN = '''
"""A throwaway third-party provider: jobs kept in memory, MP4 bytes made by reelgate.testing
(a playable clip where PyAV is installed; else a container with no track, enough for a
runtime-only check but refused by the flow)."""
import importlib.util
import uuid
from reelgate import Capabilities, JobKind, ModelSpec, ProviderSpec, SettingSpec, Submission
from reelgate import Succeeded, VideoRef, hookimpl
from reelgate.testing.media import clip, minimal_mp4

def video(seconds):
    return clip(seconds) if importlib.util.find_spec("av") else minimal_mp4(b"acme" * 100)

PROVIDER = ProviderSpec(name="acme", settings=(SettingSpec(name="key", env="ACME_KEY"),),
                        configured_when=(("key",),))
MODEL = ModelSpec(id="acme-video", provider=PROVIDER, provider_model="v1",
                  aliases=ALIASES, patterns=("acme*",),
                  capabilities=Capabilities(kinds=frozenset({JobKind.TEXT}), durations=(1, 2)))
JOBS = {}

@hookimpl
def reelgate_models():
    return [MODEL]

@hookimpl
async def reelgate_generate(model, request, ctx):
    job_id = uuid.uuid4().hex
    JOBS[job_id] = video(request.video.duration_seconds)
    return Submission(provider_job_id=job_id)

@hookimpl
async def reelgate_poll(job, ctx):
    return Succeeded(videos=[VideoRef(provider_video_id=job.provider_job_id + "-0")])

@hookimpl
async def reelgate_download(job, video, ctx):
    yield JOBS[job.provider_job_id]
'''


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return result


def check(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def make_distribution(base: Path, dist: str, module: str, entry: str, source: str) -> Path:
    folder = base / dist
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(source)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f'''
        [project]
        name = "{dist}"
        version = "1.0.0"
        dependencies = ["reelgate-core"]

        [project.entry-points.reelgate]
        {entry} = "{module}"

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [tool.hatch.build.targets.wheel]
        packages = ["{module}"]
    ''')
    )
    return folder


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    src = tmp_path_factory.mktemp("src")
    for package in (
        "reelgate-core",
        "reelgate-local",
        "reelgate-kling",
        "reelgate-sora",
        "reelgate-veo",
        "reelgate-wan",
        "reelgate-seedance",
        "reelgate-minimax",
        "reelgate-runway",
        "reelgate-moderation-rules",
        "reelgate-moderation-openai",
    ):
        check(run(UV, "build", "--wheel", "--package", package, "-o", str(out), cwd=ROOT))
    sources = {
        "acme-reelgate": (
            "acme_reelgate",
            "acme",
            ACME_PLUGIN.replace("ALIASES", '("acme", "acme-1")'),
        ),
        "broken-reelgate": (
            "broken_reelgate",
            "broken",
            "raise ImportError('needs libbroken 9, found 8')\n",
        ),
        "clash-reelgate": (
            "clash_reelgate",
            "clash",
            ACME_PLUGIN.replace("ALIASES", '("acme",)')
            .replace('name="acme"', 'name="clash"')
            .replace('id="acme-video"', 'id="clash-video"')
            .replace('("acme*",)', "()"),
        ),
    }
    for dist, (module, entry, source) in sources.items():
        folder = make_distribution(src, dist, module, entry, source)
        check(run(UV, "build", "--wheel", "-o", str(out), str(folder)))
    check(run(UV, "build", "--wheel", "-o", str(out), str(EXAMPLE)))
    return {path.name.split("-")[0].replace("_", "-"): path for path in out.glob("*.whl")}


def install_target(tmp: Path, *wheel_files: Path) -> Path:
    target = tmp / "site"
    check(run(UV, "pip", "install", "--no-deps", "--target", str(target), *map(str, wheel_files)))
    return target


def make_venv(tmp: Path, *requirements: str) -> Path:
    """A new venv holding only ``requirements`` (and what they depend on); its python."""
    venv = tmp / "venv"
    check(run(UV, "venv", "--python", sys.executable, str(venv)))
    python = venv / "bin" / "python"
    check(run(UV, "pip", "install", "--python", str(python), *requirements))
    return python


def test_a_third_party_plugin_needs_only_reelgate_core(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    python = make_venv(
        tmp_path,
        str(wheels["reelgate-core"]),
        str(wheels["acme-reelgate"]),
        str(wheels["broken-reelgate"]),
    )
    script = textwrap.dedent("""
        import asyncio, json, importlib.util
        from reelgate.runtimes import build_runtime
        from reelgate.requests import GenerateRequest
        runtime = build_runtime(environ={"ACME_KEY": "k"})
        async def go():
            request = GenerateRequest(prompt="hi", customer_id="c",
                                      settings={"video": {"model": "acme", "duration_seconds": 1}})
            job = await runtime.submit(request, runtime.context("acme"))
            status = await runtime.poll(job, runtime.context("acme"))
            data = b"".join([c async for c in runtime.download(job, status.videos[0],
                                                               runtime.context("acme"))])
            return job.provider, len(data)
        provider, size = asyncio.run(go())
        print(json.dumps({
            "provider": provider, "size": size,
            "models": [m.spec.id for m in runtime.registry.models()],
            "failures": [[f.name, f.distribution, f.error] for f in runtime.registry.failures],
            "prefect": importlib.util.find_spec("prefect") is not None,
        }))
    """)
    report = json.loads(check(run(str(python), "-c", script, cwd=tmp_path)))
    assert report["provider"] == "acme" and report["size"] > 100
    assert report["models"] == ["acme-video"] and report["prefect"] is False
    assert report["failures"] == [
        ["broken", "broken-reelgate", "ImportError: needs libbroken 9, found 8"]
    ]


def test_an_installed_plugin_generates_through_the_flow(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    site = install_target(tmp_path, wheels["acme-reelgate"], wheels["broken-reelgate"])
    env = {"PYTHONPATH": str(site), "ACME_KEY": "k"}
    models = json.loads(
        check(
            run(
                sys.executable,
                "-m",
                "reelgate_api.cli.main",
                "models",
                "--json",
                cwd=tmp_path,
                env=env,
            )
        )
    )
    assert {"acme-video", "local"} <= {m["id"] for m in models["models"]}
    assert models["failed_plugins"] == [
        {
            "name": "broken",
            "distribution": "broken-reelgate",
            "error": "ImportError: needs libbroken 9, found 8",
        }
    ]
    result = run(
        sys.executable,
        "-m",
        "reelgate_api.cli.main",
        "generate",
        "a rocket",
        "--model",
        "acme-1",
        "--duration",
        "1",
        "--customer-id",
        "third-party",
        cwd=tmp_path,
        env=env,
    )
    envelope = json.loads(check(result))
    assert envelope["data"]["provider"] == "acme" and envelope["data"]["model"] == "acme-video"
    stored = Path(envelope["data"]["video_url"].removeprefix("file://"))
    assert stored.read_bytes()[4:8] == b"ftyp"


def test_a_duplicate_alias_stops_start_up_naming_both_distributions(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    site = install_target(tmp_path, wheels["acme-reelgate"], wheels["clash-reelgate"])
    result = run(
        sys.executable,
        "-m",
        "reelgate_api.cli.main",
        "models",
        "--json",
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "COLUMNS": "300"},
    )
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "acme-reelgate" in message and "clash-reelgate" in message and "'acme'" in message


EMULATOR_REQUIREMENTS = {"kling": ("pyjwt",), "sora": ("python-multipart",)}
"""What a plugin's emulator needs beyond reelgate-core's testing kit."""
TEST_FOLDERS = {
    "local": ROOT / "plugins" / "local" / "tests",
    "kling": ROOT / "plugins" / "kling" / "tests",
    "sora": ROOT / "plugins" / "sora" / "tests",
    "veo": ROOT / "plugins" / "veo" / "tests",
    "wan": ROOT / "plugins" / "wan" / "tests",
    "seedance": ROOT / "plugins" / "seedance" / "tests",
    "minimax": ROOT / "plugins" / "minimax" / "tests",
    "runway": ROOT / "plugins" / "runway" / "tests",
    "moderation-rules": ROOT / "plugins" / "moderation-rules" / "tests",
    "moderation-openai": ROOT / "plugins" / "moderation-openai" / "tests",
    "example": EXAMPLE / "tests",
}


@pytest.mark.parametrize("plugin", list(TEST_FOLDERS))
def test_a_plugin_passes_its_tests_alone(
    wheels: dict[str, Path], tmp_path: Path, plugin: str
) -> None:
    """Only the plugin's wheel and reelgate-core's with its testing kit: no flows, no Prefect,
    nothing from the workspace's tests. ``example`` is the example plugin of the docs."""
    core = f"reelgate-core[testing] @ {wheels['reelgate-core'].as_uri()}"
    python = make_venv(
        tmp_path, core, str(wheels[f"reelgate-{plugin}"]), *EMULATOR_REQUIREMENTS.get(plugin, ())
    )
    shutil.copytree(TEST_FOLDERS[plugin], tmp_path / "plugin_tests")
    result = run(
        str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "plugin_tests", cwd=tmp_path
    )
    output = check(result)
    assert " passed" in output and "failed" not in output
    assert run(str(python), "-c", "import prefect").returncode != 0
