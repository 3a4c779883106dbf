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


def test_the_contract_has_its_seven_hooks() -> None:
    assert set(HOOKS) == {"reelgate_models", *hookspecs.OPERATION_HOOKS}


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_signature(name: str) -> None:
    text = DOC.read_text()
    assert f"## `{name}`" in text, f"{name} has no section in {DOC.name}"
    assert documented_signature(name) in text, documented_signature(name)
