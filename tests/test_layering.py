"""Data moves one way: watcher (evidence in) never imports digests (evidence out); only the
command-line package, the composition root, sees both."""

import ast
import re
from pathlib import Path

WATCHER = Path(__file__).parent.parent / "watcher"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_watcher_never_imports_digests_outside_the_cli() -> None:
    offenders = [
        str(path.relative_to(WATCHER.parent))
        for path in WATCHER.rglob("*.py")
        if "cli" not in path.relative_to(WATCHER).parts
        and any(name.split(".")[0] == "digests" for name in imported_modules(path))
    ]
    assert offenders == []


SQL = re.compile(r"\b(SELECT .+ FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def test_only_the_store_package_speaks_sql() -> None:
    offenders = []
    for root in (WATCHER, WATCHER.parent / "digests"):
        for path in root.rglob("*.py"):
            if "store" in path.relative_to(root).parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            strings = [
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            ]
            if any(SQL.search(text) for text in strings):
                offenders.append(str(path))
    assert offenders == []
