"""The package's modules import downwards only: no cycles, not even under TYPE_CHECKING."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import tap_dualentry

PACKAGE = Path(tap_dualentry.__file__).parent


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports, wherever the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tap_dualentry":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("tap_dualentry."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("tap_dualentry.")
            }
    return found - {path.stem}


def test_modules_import_downwards_only():
    graph = {path.stem: imports_of(path) for path in PACKAGE.glob("*.py")}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        raise AssertionError(f"an import cycle: {' -> '.join(error.args[1])}") from None
    assert order[-1] in ("__main__", "tap")
