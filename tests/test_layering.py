"""Data moves one way: watcher (evidence in) never imports digests (evidence out); only the
command-line package, the composition root, sees both."""

import ast
import builtins
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


# Exception classes that stay beside their one user: click's carrier of our errors to the
# terminal, and two private signals that never leave their module.
EXCEPTIONS_KEPT_AWAY = {"CommandError", "_Retry", "_Unreadable"}


def _is_exception_base(base: ast.expr, ours: set[str]) -> bool:
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    builtin = getattr(builtins, name, None)
    return (
        name in ours
        or name.endswith(("Error", "Exception"))
        or (isinstance(builtin, type) and issubclass(builtin, BaseException))
    )


def test_every_error_class_is_defined_in_errors_py() -> None:
    """watcher/errors.py draws the whole hierarchy, so every error class must live there."""
    errors = WATCHER / "errors.py"
    ours = {
        node.name
        for node in ast.walk(ast.parse(errors.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
    }
    elsewhere = []
    for root in (WATCHER, WATCHER.parent / "digests"):
        for path in root.rglob("*.py"):
            if path == errors:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in EXCEPTIONS_KEPT_AWAY
                    and any(_is_exception_base(base, ours) for base in node.bases)
                ):
                    elsewhere.append(f"{path.relative_to(WATCHER.parent)}: class {node.name}")
    assert elsewhere == [], "define these in watcher/errors.py:\n" + "\n".join(elsewhere)
