"""Structural rules of the kernel, checked on the source: one import cycle (the API blueprint
registering its domain routes), one definition of the id bound, no view that rolls back or
maps errors to statuses itself."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"


def _module(path: Path) -> str:
    name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _exists(module: str) -> bool:
    base = PROJECT_ROOT / module.replace(".", "/")
    return base.with_suffix(".py").exists() or base.is_dir()


def _import_graph() -> dict[str, set[str]]:
    """module -> app modules it imports, at the top or inside functions alike."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in APP.rglob("*.py"):
        source = _module(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    graph[source].add(sub if _exists(sub) else node.module)
            elif isinstance(node, ast.Import):
                graph[source].update(a.name for a in node.names if a.name.startswith("app"))
        graph[source].discard(source)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in list(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_only_import_cycle_is_the_api_blueprint_registration() -> None:
    cycles = _cycles(_import_graph())
    assert len(cycles) == 1, cycles
    (api,) = cycles
    # The blueprint imports the domains' operations; they import its helpers and the
    # declaration layer (app.api.schema), which reaches back into app.api for the token check.
    assert "app.api" in api, api
    assert all(m.startswith("app.api") or m.endswith((".api", ".api_actions")) for m in api), api


def _sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text()) for path in APP.rglob("*.py")]


def test_one_definition_of_the_id_bound() -> None:
    defined = [p for p, text in _sources() if "\nMAX_ID = " in text]
    assert [p.relative_to(APP).as_posix() for p in defined] == ["db.py"]


def test_views_neither_commit_nor_roll_back_nor_map_statuses_themselves() -> None:
    for path, text in _sources():
        if path.name not in ("views.py", "reset_views.py", "api.py", "pages.py"):
            continue
        name = path.relative_to(APP).as_posix()
        assert ".rollback()" not in text and ".commit()" not in text, name
        assert "def _status(" not in text, name
