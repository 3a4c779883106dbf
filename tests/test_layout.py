"""The code's shape holds: small modules (at most 300 lines), small functions (at most 60),
and no import cycle between modules, counting imports made inside functions."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "core" / "src", ROOT / "flows" / "src", ROOT / "api" / "src"]
SOURCES += sorted(ROOT.glob("plugins/*/src"))
MODULE_LINES_MAX = 300
FUNCTION_LINES_MAX = 60


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            parts = path.relative_to(source).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path, ast.parse(path.read_text(), str(path))


def test_modules_and_functions_stay_small() -> None:
    too_big = []
    for _, path, tree in modules():
        lines = len(path.read_text().splitlines())
        if lines > MODULE_LINES_MAX:
            too_big.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > FUNCTION_LINES_MAX:
                    too_big.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {size}")
    assert not too_big, "split these:\n" + "\n".join(too_big)


def _imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The known modules ``name`` imports anywhere in its body (inside functions too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    parsed = {name: tree for name, _, tree in modules()}
    known = set(parsed)
    graph = {name: _imported(name, tree, known) for name, tree in parsed.items()}
    # A package's __init__ re-exporting its modules is not a cycle of concerns.
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(f"{target}.")}
    assert _cycles(graph) == []


def test_a_worker_and_the_sdk_never_load_the_web_app() -> None:
    """``reelgate worker`` and the in-process SDK run without Litestar or the HTTP face."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import reelgate_api.cli.main, reelgate_api.cli.ops, reelgate_api.jobs.worker\n"
        "import reelgate_api.service.service, reelgate_api.service.in_process\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'litestar'"
        " or m.startswith('reelgate_api.http.')]\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_importing_reelgate_changes_no_environment_variable() -> None:
    """Entry points apply settings; importing a package (the flows, the app, a plugin) never
    rewrites ``os.environ``."""
    import os
    import subprocess
    import sys

    probe = (
        "import os\n"
        "before = dict(os.environ)\n"
        "import reelgate_flows, reelgate_flows.flows, reelgate_flows.admission\n"
        "import reelgate_api.http.app, reelgate_api.cli.main, reelgate_api.service.service\n"
        "from reelgate.runtimes import get_runtime\n"
        "get_runtime()\n"
        "changed = sorted(k for k in set(before) | set(os.environ)"
        " if before.get(k) != os.environ.get(k))\n"
        "print(changed)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT"))}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=clean,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
