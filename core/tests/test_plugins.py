"""Plugin loading through entry points, contract checks, and dispatch to one plugin."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from reelgate.hookspecs import hookimpl
from reelgate.jobs import JobKind
from reelgate.loader import load_plugins, parse_allow_list
from reelgate.registry import Registry
from reelgate.requests import GenerateRequest
from reelgate.runtime import Runtime
from reelgate.runtimes import build_runtime
from reelgate.specs import Capabilities
from reelgate.testing import FakeProvider
from reelgate.testing.fake import FAKE_MODEL, FAKE_PROVIDER

MODULES = {
    "rg_broken": "raise RuntimeError('missing native library libfoo.so')\n",
    "rg_misspelt": (
        "from reelgate.hookspecs import hookimpl\n"
        "@hookimpl\n"
        "def reelgate_generat(model, request, ctx):\n"
        "    return None\n"
    ),
    "rg_fine": "from reelgate.testing.fake import FakeProvider\nplugin = FakeProvider()\n",
}


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[None]:
    for name, source in MODULES.items():
        (tmp_path / f"{name}.py").write_text(source)
    sys.path.insert(0, str(tmp_path))
    yield
    sys.path.remove(str(tmp_path))
    for name in MODULES:
        sys.modules.pop(name, None)


def entry_point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="reelgate")


def test_broken_plugins_are_reported_and_skipped(modules: None) -> None:
    result = load_plugins(
        eps=[
            entry_point("broken", "rg_broken"),
            entry_point("misspelt", "rg_misspelt"),
            entry_point("fine", "rg_fine:plugin"),
        ]
    )
    assert [p.name for p in result.plugins] == ["fine"]
    failures = {f.name: f.error for f in result.failures}
    assert "libfoo.so" in failures["broken"]
    assert "reelgate_generat" in failures["misspelt"]
    assert result.plugin_manager.get_plugin("misspelt") is None


def test_the_allow_list_restricts_what_loads(modules: None) -> None:
    eps = [entry_point("broken", "rg_broken"), entry_point("fine", "rg_fine:plugin")]
    assert [p.name for p in load_plugins(parse_allow_list("fine"), eps=eps).plugins] == ["fine"]
    assert load_plugins(parse_allow_list(""), eps=eps).plugins == ()
    assert parse_allow_list(None) is None
    assert parse_allow_list(" a, b ,") == frozenset({"a", "b"})


def test_a_declared_capability_without_its_hook_is_refused() -> None:
    class TextOnly:
        @hookimpl
        def reelgate_models(self) -> list[Any]:
            return [FAKE_MODEL]  # declares image, extend and cancel too

        @hookimpl
        async def reelgate_generate(self, model: Any, request: Any, ctx: Any) -> Any:
            raise AssertionError

        @hookimpl
        async def reelgate_poll(self, job: Any, ctx: Any) -> Any:
            raise AssertionError

        @hookimpl
        async def reelgate_download(self, job: Any, video: Any, ctx: Any) -> Any:
            raise AssertionError

    result = load_plugins(eps=[], extra_plugins=[("text-only", TextOnly())])
    assert result.plugins == ()
    assert "reelgate_extend" in result.failures[0].error
    assert "reelgate_generate_from_image" in result.failures[0].error


def two_providers() -> tuple[Runtime, FakeProvider, FakeProvider]:
    first = FakeProvider()
    second_spec = FAKE_MODEL.model_copy(
        update={
            "id": "other",
            "aliases": (),
            "patterns": ("other*",),
            "provider": FAKE_PROVIDER.model_copy(update={"name": "other"}),
        }
    )
    second = FakeProvider(spec=second_spec)
    runtime = build_runtime(
        environ={"REELGATE_PLUGINS": ""}, extra_plugins=[("first", first), ("second", second)]
    )
    return runtime, first, second


def request(model: str) -> GenerateRequest:
    return GenerateRequest.model_validate(
        {
            "prompt": "p",
            "customer_id": "c",
            "settings": {"video": {"model": model, "duration_seconds": 1}},
        }
    )


def test_operations_reach_only_the_plugin_that_serves_the_model() -> None:
    runtime, first, second = two_providers()

    async def scenario() -> None:
        job = await runtime.submit(request("other-2"), runtime.context("other"))
        assert job.provider == "other"
        await runtime.poll(job, runtime.context("other"))
        await runtime.cancel(job, runtime.context("other"))

    asyncio.run(scenario())
    assert (first.submissions, first.polls) == (0, 0)
    assert (second.submissions, second.polls) == (1, 1)
    assert second.cancelled and not first.cancelled


def test_a_plugin_without_models_can_wrap_every_operation() -> None:
    seen: list[str] = []

    class Audit:
        @hookimpl(wrapper=True)
        def reelgate_generate(self, model: Any, request: Any, ctx: Any) -> Any:
            results = yield
            seen.append(f"generate:{model.id}")
            return results

        @hookimpl(wrapper=True)
        def reelgate_poll(self, job: Any, ctx: Any) -> Any:
            results = yield

            async def audited(inner: Any) -> Any:
                status = await inner
                seen.append(f"poll:{status.status}")
                return status

            return [audited(r) for r in results]

    provider = FakeProvider()
    runtime = build_runtime(
        environ={"REELGATE_PLUGINS": ""}, extra_plugins=[("fake", provider), ("audit", Audit())]
    )

    async def scenario() -> None:
        job = await runtime.submit(request("fake"), runtime.context("fake"))
        await runtime.poll(job, runtime.context("fake"))

    asyncio.run(scenario())
    assert seen == ["generate:fake", "poll:succeeded"]
    assert provider.submissions == 1


def test_capabilities_are_checked_before_the_plugin_is_called() -> None:
    limited = FakeProvider(
        spec=FAKE_MODEL.model_copy(
            update={"capabilities": Capabilities(kinds=frozenset({JobKind.TEXT}), durations=(1,))}
        )
    )
    runtime = build_runtime(environ={"REELGATE_PLUGINS": ""}, extra_plugins=[("fake", limited)])
    from reelgate.errors import ValidationError

    with pytest.raises(ValidationError):
        asyncio.run(
            runtime.submit(
                request("fake").model_copy(
                    update={
                        "settings": request("fake").settings.model_copy(
                            update={
                                "video": request("fake").video.model_copy(
                                    update={"duration_seconds": 2}
                                )
                            }
                        )
                    }
                ),
                runtime.context("fake"),
            )
        )
    assert limited.submissions == 0


def test_registry_is_built_from_loaded_plugins() -> None:
    runtime, _, _ = two_providers()
    assert isinstance(runtime.registry, Registry)
    assert [m.spec.id for m in runtime.registry.models()] == ["fake", "other"]
