"""Every hook of the contract is documented with its full signature."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from reelgate import hookspecs

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin-hooks.md"
HOOKS = [
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("reelgate_")
]


def documented_signature(name: str) -> str:
    function = getattr(hookspecs, name)
    signature = inspect.signature(function)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    returns = str(signature.return_annotation)
    coroutine = re.fullmatch(r"Coroutine\[Any, Any, (.+)\]", returns)
    if coroutine:
        return f"async def {name}({params}) -> {coroutine.group(1)}"
    if returns.startswith("AsyncIterator"):
        return f"async def {name}({params}) -> {returns}"
    return f"def {name}({params}) -> {returns}"


def test_the_contract_has_its_nine_hooks() -> None:
    others = {"reelgate_models", "reelgate_moderate", "reelgate_content_signer"}
    assert set(HOOKS) == {*others, *hookspecs.OPERATION_HOOKS}


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_signature(name: str) -> None:
    text = DOC.read_text()
    assert f"## `{name}`" in text, f"{name} has no section in {DOC.name}"
    assert documented_signature(name) in text, documented_signature(name)


WRITING = DOC.with_name("writing-a-plugin.md")
EXAMPLE = DOC.parents[1] / "examples" / "reelgate-example"


def test_every_excerpt_of_the_plugin_guide_is_in_the_example_plugin() -> None:
    """The guide quotes the example plugin; an excerpt that drifted from it fails here."""
    sources = "\n".join(
        path.read_text() for path in sorted(EXAMPLE.rglob("*")) if path.suffix in (".py", ".toml")
    )
    excerpts = re.findall(r"```(?:python|toml)\n(.*?)```", WRITING.read_text(), re.S)
    quoted = [e for e in excerpts if not e.startswith(RUNS)]
    assert len(quoted) >= 7
    for excerpt in quoted:
        assert excerpt in sources, excerpt


RUNS = "# runs as it is\n"


def test_the_guides_own_snippets_run_as_written() -> None:
    snippets = [
        e
        for e in re.findall(r"```python\n(.*?)```", WRITING.read_text(), re.S)
        if e.startswith(RUNS)
    ]
    assert snippets, "the provider without settings"
    for snippet in snippets:
        exec(compile(snippet, str(WRITING), "exec"), {})
