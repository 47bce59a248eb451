"""The house's parts and the one-way arrows between them (DESIGN.md, "Layout"): read from the
import statements themselves, so a new import that points back up fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Which parts of ``service`` a part may import. ``index`` sits below them all.
ALLOWED: dict[str, set[str]] = {
    "cli": {"web", "state", "library", "answering", "settings"},
    "web": {"state", "library", "answering", "settings"},
    "state": {"library", "answering", "settings"},
    "library": {"settings"},
    "answering": set(),
    "settings": set(),
}
# Which parts of ``index`` a part may import: readers know the document model and its problems
# (docling's backends and datamodel), the encoder nothing; the top-level modules (documents,
# sections, passages) read files through ``formats``; ``store`` builds and serves from them all.
INDEX_ALLOWED: dict[str, set[str]] = {
    "index.formats": {"index.model", "index.problems"},
    "index.encoder": set(),
    "index": {"index.formats"},
    "index.store": {"index", "index.formats", "index.encoder"},
}
LONGEST_MODULE_LINES = 330  # "about 300 lines": one job per module


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, modules: set[str]) -> set[str]:
    """Every module of ``service`` or ``index`` the file imports, at any depth of the code
    (``from . import api`` imports ``api``, not the package's face)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {target})
    return {m for m in found if m.split(".")[0] in {"service", "index"}}


def _modules() -> dict[str, Path]:
    files = [*(ROOT / "service").rglob("*.py"), *(ROOT / "index").rglob("*.py")]
    return {_module_name(f): f for f in files if "migrations" not in f.parts}


def _faces() -> set[str]:
    return {name for name, path in _modules().items() if path.name == "__init__.py"}


def _part(module: str) -> str:
    return module.split(".")[1] if module.startswith("service.") else "index"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {m for m in _imported(path, set(modules)) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_layout_parts_import_only_downward() -> None:
    wrong = [
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if source.startswith("service.")
        and _part(target) != "index"
        and _part(target) != _part(source)
        and _part(target) not in ALLOWED[_part(source)]
    ]
    assert not wrong, wrong


def _index_part(module: str) -> str:
    """``index.formats``, ``index.encoder``, ``index.store``, or ``index`` for a top module."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else "index"


def test_layout_index_parts_import_only_downward() -> None:
    graph, faces = _graph(), _faces()
    wrong = [
        f"{source} -> {target}"
        for source, targets in graph.items()
        if source.startswith("index") and source not in faces
        for target in targets
        if target.startswith("index")
        and _index_part(target) != _index_part(source)
        and target not in INDEX_ALLOWED[_index_part(source)]
        and _index_part(target) not in INDEX_ALLOWED[_index_part(source)]
    ]
    assert not wrong, wrong


def test_layout_index_never_imports_service() -> None:
    wrong = [
        s
        for s, ts in _graph().items()
        if s.startswith("index") and any(t.startswith("service") for t in ts)
    ]
    assert not wrong, wrong


def test_layout_has_no_import_circle() -> None:
    graph = _graph()
    # An import of a package's face (its __init__) counts as an import of every module the
    # face re-exports: the arrow goes to where the code is.
    faces = _faces()
    edges = {
        source: set().union(*({t} if t not in faces else graph[t] for t in targets))
        for source, targets in graph.items()
        if source not in faces
    }
    circles = [m for m in edges if _reaches(edges, m, m)]
    assert not circles, circles


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return False


@pytest.mark.parametrize("folder", ["service", "index"])
def test_layout_modules_stay_small(folder: str) -> None:
    lines = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / folder).rglob("*.py")
    }
    long = {name: n for name, n in lines.items() if n > LONGEST_MODULE_LINES}
    assert not long, long
