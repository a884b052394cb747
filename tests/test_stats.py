"""Every stats key the archiver counts is made from a constant of archiver/stats.py: the summary
and the README read the same names the components write."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "archiver"
_CALLS = frozenset({"inc_value", "set_value", "get_value", "max_value", "min_value"})


def _literal_start(node: ast.expr) -> str:
    """The text a key argument starts with when it is spelled out in place ("" when it is not)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _literal_start(node.values[0])  # type: ignore[arg-type]
    return ""


def test_stats_keys_come_from_the_stats_module():
    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "node_modules" in path.parts or path.name == "stats.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _CALLS
                and node.args
                and _literal_start(node.args[0]).startswith("archiver/")
            ):
                spelled.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert spelled == []
