"""The plan of the house, checked: each package sits in a layer and imports only from its own layer
or those below, and no module imports another that imports it back. Drawn from the source with
`ast` (imports under `if TYPE_CHECKING:` count too: a type is a dependency as well)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "archiver"
# Top to bottom. A module belongs to the first entry whose name is its own or a prefix of it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("archiver.commands",),
    ("archiver.rerender",),
    ("archiver.pipelines", "archiver.extensions"),
    ("archiver.spiders",),
    (
        "archiver.downloader",
        "archiver.webarchive",
        "archiver.archive",
        "archiver.hexo",
        "archiver.assets",
        "archiver.config",
    ),
    # post/ renders what zhihu/ parses: it may read zhihu/'s items, zhihu/ never post/'s rules.
    ("archiver.post",),
    ("archiver.zhihu", "archiver.feeds"),
    (
        "archiver.utils",
        "archiver.items",
        "archiver.stats",
        "archiver.logformatter",
        "archiver.logs",
        "archiver.settings",
    ),
)
# Old import paths kept for users' settings (Scrapyd eggs, DOWNLOADER_MIDDLEWARES): they only
# re-export, from above everything.
SHIMS = ("archiver.middlewares",)
# Loose modules at archiver/'s top: settings, config, items, stats and the like, at most ten.
MAX_LOOSE = 10


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "node_modules" not in p.parts}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The archiver modules `path` imports (a package's `from archiver.x import y` names module
    `archiver.x.y` when there is one, else `archiver.x`)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("archiver")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1]])
                base = f"{base}.{node.module}" if node.module else base
            if not base.startswith("archiver"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
    return found - {name}


def layer_of(name: str) -> int | None:
    for number, layer in enumerate(LAYERS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in layer):
            return number
    return None


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, name, set(known)) for name, path in known.items()}


def test_every_module_has_a_layer(graph):
    homeless = [n for n in graph if n != "archiver" and n not in SHIMS and layer_of(n) is None]
    assert homeless == []


def test_imports_only_point_down(graph):
    upward = [
        f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"
        for name, targets in sorted(graph.items())
        if name not in SHIMS and layer_of(name) is not None
        for target in sorted(targets)
        if target != "archiver" and (layer_of(target) or 0) < (layer_of(name) or 0)
    ]
    assert upward == []


def test_the_parsers_import_nothing_of_the_renderer(graph):
    """Issue 26.6: zhihu/ turns Zhihu's JSON and HTML into items; what a post keeps of them
    (the sanitizer, the content rules) is post/'s. Checked apart from the layers as a whole,
    which still have an upward import to lose."""
    crossing = [
        f"{name} imports {target}"
        for name, targets in sorted(graph.items())
        if layer_of(name) == layer_of("archiver.zhihu")
        for target in sorted(targets)
        if target == "archiver.post" or target.startswith("archiver.post.")
    ]
    assert crossing == []


def test_no_import_circle(graph):
    """No module reaches itself again through the modules it imports (a package's __init__ is
    left out: it is imported on the way to any of its modules)."""
    edges = defaultdict(set)
    for name, targets in graph.items():
        edges[name] = {t for t in targets if t in graph and not _is_package(t)}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def test_few_loose_modules_and_none_too_long():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_LOOSE, loose
    long = sorted(
        f"{module_name(p)}: {n}"
        for p in PACKAGE.rglob("*.py")
        if "node_modules" not in p.parts and (n := len(p.read_text().splitlines())) > 400
    )
    assert long == []


def test_the_downloader_asks_nothing_of_the_posts(graph):
    """Issue 26.1: what may be requested (the allowlist, a URL as the client reads it) sits at
    the bottom (archiver/utils/), so the downloader's middlewares import nothing of post/."""
    crossing = [
        f"{name} imports {target}"
        for name, targets in sorted(graph.items())
        if name.startswith("archiver.downloader")
        for target in sorted(targets)
        if target.startswith("archiver.post")
    ]
    assert crossing == []
