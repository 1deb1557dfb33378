"""The package's shape: every module imports on its own, module-level imports between clauseclf
modules form no cycle, and no module grows past a size limit."""

from __future__ import annotations

import ast
import itertools
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from conftest import REPO_ROOT

SRC = REPO_ROOT / "src"
PACKAGE = SRC / "clauseclf"

# Every module stays under this many lines. The goal is about 500 lines a module; 550 is the
# ceiling now that the largest modules are split (versions, index, training, evaluation, head,
# extraction). Lower it as they shrink; do not raise it.
MODULE_LINE_LIMIT = 550


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _module_files() -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file of the package."""
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_the_package_has_modules() -> None:
    modules = _module_files()
    assert {"clauseclf", "clauseclf.training", "clauseclf.inference.model"} <= set(modules)


# Runs in a fresh interpreter that has imported nothing of clauseclf or its dependencies: each
# module is imported in a child forked from it, so it sees only what it imports itself (one
# interpreter per module without paying the interpreter's start-up each time). Two children
# run at a time. Prints one JSON line: module -> error traceback (empty when all imported).
_IMPORTER = textwrap.dedent(
    """
    import importlib, json, os, sys, traceback

    modules = sys.argv[1:]
    failures = {}
    running = {}

    def reap():
        pid, status = os.wait()
        name, read_end = running.pop(pid)
        with os.fdopen(read_end, "r", encoding="utf-8", errors="replace") as pipe:
            error = pipe.read()
        if os.waitstatus_to_exitcode(status) != 0:
            failures[name] = error or f"exit status {os.waitstatus_to_exitcode(status)}"

    for name in modules:
        if len(running) >= 2:
            reap()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            code = 0
            try:
                importlib.import_module(name)
            except BaseException:
                os.write(write_end, traceback.format_exc().encode("utf-8", "replace"))
                code = 1
            os.close(write_end)
            os._exit(code)
        os.close(write_end)
        running[pid] = (name, read_end)
    while running:
        reap()
    print(json.dumps(failures))
    """
)

# Importing a ``__main__`` module runs the program.
_NOT_IMPORTED = ("__main__",)


def test_every_module_imports_on_its_own() -> None:
    modules = [m for m in _module_files() if m.rsplit(".", 1)[-1] not in _NOT_IMPORTED]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p),
    }
    if hasattr(os, "fork"):
        result = subprocess.run(
            [sys.executable, "-c", _IMPORTER, *modules],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        failures = json.loads(result.stdout.strip().splitlines()[-1])
    else:  # no fork (Windows): one interpreter per module
        failures = {}
        for name in modules:
            result = subprocess.run(
                [sys.executable, "-c", f"import {name}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if result.returncode != 0:
                failures[name] = result.stderr
    assert not failures, "modules that fail to import on their own:\n\n" + "\n".join(
        f"{name}:\n{error}" for name, error in sorted(failures.items())
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run when the module is imported: everything but function bodies and the
    body of ``if TYPE_CHECKING:`` (its ``else`` runs)."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_time_statements(node.orelse)
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _import_time_statements(getattr(node, field, []))
        for handler in getattr(node, "handlers", []):
            yield from _import_time_statements(handler.body)
        for case in getattr(node, "cases", []):
            yield from _import_time_statements(case.body)


def _imported_modules(name: str, path: Path, modules: set[str]) -> Iterator[tuple[str, int]]:
    """(clauseclf module, line) for each module-level import of ``name``'s file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in _import_time_statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                # ``from package import submodule`` imports the submodule; ``from module import
                # name`` imports the module.
                target = f"{base}.{alias.name}"
                if target in modules:
                    yield target, node.lineno
                elif base in modules:
                    yield base, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {imported clauseclf module: line of the first such import}."""
    files = _module_files()
    graph: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        edges: dict[str, int] = {}
        for target, line in _imported_modules(name, path, set(files)):
            if target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def a_cycle(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """One shortest cycle through the first module of a strongly connected component."""
    start, members = component[0], set(component)
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node]):
            if target not in members:
                continue
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if target not in previous:
                previous[target] = node
                queue.append(target)
    raise AssertionError(f"no cycle in {component}")


def describe_cycle(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    steps = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in itertools.pairwise(cycle)]
    return "\n    ".join(steps)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3, "d": 4}, "d": {}, "e": {"e": 5}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    assert describe_cycle(graph, ["a", "b", "c", "a"]).startswith("a (line 1) -> b")


def test_the_import_graph_reads_module_level_imports_only(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        import clauseclf.taxonomy
        from clauseclf.inference import model
        from . import errors
        from .annotations import load_annotations
        try:
            from clauseclf import metrics
        except ImportError:
            pass
        if TYPE_CHECKING:
            from clauseclf import training
        else:
            from clauseclf import report

        def later():
            from clauseclf import evaluation
        """
    )
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    modules = set(_module_files())
    found = {target for target, _ in _imported_modules("clauseclf.probe", path, modules)}
    assert found == {
        "clauseclf.taxonomy",
        "clauseclf.inference.model",
        "clauseclf.errors",
        "clauseclf.annotations",
        "clauseclf.metrics",
        "clauseclf.report",
    }


def test_module_level_imports_have_no_cycles() -> None:
    graph = import_graph()
    assert sum(len(edges) for edges in graph.values()) > 0
    cycles = [a_cycle(graph, component) for component in strongly_connected(graph)]
    assert not cycles, "import cycles between clauseclf modules (module-level imports):\n" + (
        "\n".join(f"  {' -> '.join(cycle)}\n    {describe_cycle(graph, cycle)}" for cycle in cycles)
    )


def test_modules_stay_under_the_size_limit() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _module_files().items()
    }
    too_long = {name: lines for name, lines in sizes.items() if lines >= MODULE_LINE_LIMIT}
    assert not too_long, f"modules of {MODULE_LINE_LIMIT} lines or more (split them): {too_long}"
