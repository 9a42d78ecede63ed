"""Dependencies point one way: `__main__.py` -> components/ (the program and its configuration models) <-
platformctl/ (the CLI); policies/ stands alone. Read from the source (every import statement, including the ones
inside functions), not from what happens to be imported at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("components", "platformctl", "policies")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Project modules `path` imports (TYPE_CHECKING blocks left out; function bodies unless top_level_only)."""
    tree = ast.parse(path.read_text())
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom) and not (top_level_only and nested):
                if isinstance(child, ast.Import):
                    found.update(a.name for a in child.names)
                else:
                    base = child.module or ""
                    if child.level:
                        parts = package[: len(package) - (child.level - 1)]
                        base = ".".join([*parts, base] if base else parts)
                    found.add(base)
                    found.update(f"{base}.{a.name}" for a in child.names)
            visit(child, nested)

    visit(tree, False)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def _files() -> list[Path]:
    files = [ROOT / "__main__.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def _graph(*, top_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p) if p.name != "__main__.py" or p.parent != ROOT else "__main__": p for p in _files()}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(path, top_level_only=top_level_only):
            while target and target not in modules:
                target = target.rsplit(".", 1)[0] if "." in target else ""
            # A module's own package (`from . import x`) is imported before it anyway: not a dependency.
            if target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def test_the_program_and_the_packs_never_import_the_cli():
    for source, targets in _graph(top_level_only=False).items():
        top = source.split(".")[0]
        for target in targets:
            if top in ("__main__", "components"):
                assert not target.startswith("platformctl"), f"{source} imports {target}"
            if top == "policies":
                assert target.startswith("policies"), f"{source} imports {target}: policy packs stand alone"


def test_no_import_cycle_between_modules():
    graph = _graph(top_level_only=True)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif not state.get(nxt):
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node, [])
    assert cycles == [], [" -> ".join(c) for c in cycles]


def test_importing_a_component_loads_nothing_of_the_cli():
    code = "import components.network, sys; assert not any(m.startswith('platformctl') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
