"""The arrows between the project's parts, as an allow-list per layer, and where things live.

Data moves one way: PubMed → watcher (evidence in) → SQLite → digests (evidence out) → mail.
Each part may import only the layers listed for it in ``ALLOWED`` (and itself); only the
command line, the composition root, sees everything. The local PubMed double is imported by
the demo/localpubmed commands alone (tests and benchmarks are not checked: they may use
anything). A failure names the file, what it imports and what its layer may import.
"""

import ast
import builtins
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
WATCHER = ROOT / "watcher"

# Module (or package) → layer; the longest matching prefix wins.
LAYERS = {
    "watcher.errors": "foundation",
    "watcher.records": "foundation",
    "watcher.vocabulary": "foundation",
    "watcher.markup": "foundation",
    "watcher.clock": "foundation",
    "watcher.redact": "foundation",
    "watcher.addresses": "foundation",
    "watcher.tomlfile": "foundation",
    "watcher.registryids": "foundation",
    "watcher.trials": "foundation",
    "watcher.pacing": "foundation",
    "watcher.textfile": "foundation",
    "watcher.collector": "foundation",
    "watcher.exports": "exports",
    "watcher.studylinks": "foundation",
    "watcher.studyrecords": "foundation",
    "watcher.studies": "foundation",
    "watcher.studypapers": "foundation",
    "watcher.config": "config",
    "watcher.configrules": "config",
    "watcher.evidence": "evidence",
    "watcher.pubmed": "pubmed",
    "watcher.store": "store",
    "watcher.poll": "intake",
    "watcher.searches": "intake",
    "watcher.tagging": "intake",
    "watcher.registry.poll": "intake",
    "watcher.registry": "registry",
    "watcher.citations": "intake",
    "watcher.querydiff": "intake",
    "watcher.searchfile": "intake",
    "watcher.audit": "intake",
    "watcher.regroup": "intake",
    "watcher.fileimport": "intake",
    "watcher.runlock": "service",
    "watcher.scheduler": "service",
    "watcher.localpubmed": "localpubmed",
    "watcher.localregistry": "localregistry",
    "watcher.cli": "cli",
    "watcher": "package",  # watcher/__init__.py (the version) and watcher/__main__.py
    "digests.web": "web",
    "digests": "digests",
}
EVERYTHING = frozenset(LAYERS.values())
# What each layer may import besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    "foundation": frozenset(),
    "config": frozenset({"foundation"}),
    "evidence": frozenset({"foundation"}),  # pure: no store, no PubMed, no config
    "pubmed": frozenset({"foundation", "config"}),
    "registry": frozenset({"foundation", "config"}),
    "store": frozenset({"foundation"}),  # never the classifier: records and vocabulary
    "localpubmed": frozenset({"foundation"}),  # a double must not share what it stands in for
    # The registry double shares the local servers' scaffold, nothing of watcher.registry.
    "localregistry": frozenset({"foundation", "localpubmed"}),
    "intake": frozenset({"foundation", "config", "pubmed", "registry", "evidence", "store"}),
    "service": frozenset({"foundation", "config", "store"}),
    "digests": frozenset({"foundation", "config", "store"}),
    "web": frozenset({"foundation", "config", "store", "digests"}),  # digests never the web
    "exports": frozenset({"foundation"}),  # pure formats over records, and the file they go to
    "cli": EVERYTHING - {"localpubmed", "localregistry"},  # the composition root (doubles: below)
    "package": frozenset({"cli"}),
}
# The only production files that may import the local doubles (PubMed's and the registry's).
LOCALPUBMED_USERS = {"watcher/cli/demo.py"}
DOUBLES = frozenset({"localpubmed", "localregistry"})


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(dotted: str) -> str | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if dotted == prefix or dotted.startswith(prefix + "."):
            return LAYERS[prefix]
    return None


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, absolute; ``from a import b`` counts as ``a.b``."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def production_files(root: Path = ROOT) -> list[Path]:
    return sorted([*(root / "watcher").rglob("*.py"), *(root / "digests").rglob("*.py")])


def broken_arrows(paths: list[Path], root: Path = ROOT) -> list[str]:
    broken = []
    for path in paths:
        source = path.relative_to(root).as_posix()
        mine = layer_of(module_name(path, root))
        assert mine is not None, f"{source}: no layer; add it to LAYERS"
        for name in sorted(imported_modules(path, root)):
            theirs = layer_of(name)
            if theirs is None or theirs == mine:
                continue
            if theirs in DOUBLES and mine in DOUBLES and theirs in ALLOWED[mine]:
                continue
            if theirs in DOUBLES and source not in LOCALPUBMED_USERS:
                broken.append(
                    f"{source} ({mine}) imports {name}: only "
                    f"{', '.join(sorted(LOCALPUBMED_USERS))} may import the local PubMed double"
                )
            elif theirs not in DOUBLES and theirs not in ALLOWED[mine]:
                allowed = ", ".join(sorted(ALLOWED[mine])) or "nothing else"
                broken.append(
                    f"{source} ({mine}) imports {name} ({theirs}): {mine} may import {allowed}"
                )
    return broken


def test_every_import_follows_an_allowed_arrow() -> None:
    broken = broken_arrows(production_files())
    assert broken == [], "arrows outside the allow-list:\n" + "\n".join(broken)


def test_the_check_names_the_file_and_the_arrow(tmp_path: Path) -> None:
    """The check itself, on a copy: a store module importing the classifier, a poller
    importing the digests and a parser importing the local double are each named."""
    probes = {
        "watcher/store/probe.py": "from watcher.evidence import classify\n",
        "watcher/poll.py": "import digests.compose\n",
        "watcher/pubmed/probe.py": "from watcher.localpubmed import LocalPubMed\n",
    }
    for name, text in probes.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    broken = broken_arrows(production_files(tmp_path), tmp_path)
    assert broken == [
        "watcher/poll.py (intake) imports digests.compose (digests): intake may import "
        "config, evidence, foundation, pubmed, registry, store",
        "watcher/pubmed/probe.py (pubmed) imports watcher.localpubmed.LocalPubMed: only "
        "watcher/cli/demo.py may import the local PubMed double",
        "watcher/store/probe.py (store) imports watcher.evidence.classify (evidence): "
        "store may import foundation",
    ]


SQL = re.compile(r"\b(SELECT .+ FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def test_only_the_store_package_speaks_sql() -> None:
    offenders = []
    for root in (WATCHER, ROOT / "digests"):
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
# terminal, and private signals that never leave their module.
EXCEPTIONS_KEPT_AWAY = {"CommandError", "_Retry", "_Unreadable", "_Unsure"}


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
    for root in (WATCHER, ROOT / "digests"):
        for path in root.rglob("*.py"):
            if path == errors:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in EXCEPTIONS_KEPT_AWAY
                    and any(_is_exception_base(base, ours) for base in node.bases)
                ):
                    elsewhere.append(f"{path.relative_to(ROOT)}: class {node.name}")
    assert elsewhere == [], "define these in watcher/errors.py:\n" + "\n".join(elsewhere)


def test_nothing_points_outside_the_repository() -> None:
    """Docstrings and comments cite docs/ (e.g. docs/tech-notes.md), never a sibling folder
    a clone does not have. (Only benchmarks/ may read the shared labelled corpus.)"""
    outside = ("../" + "shared", "tech-" + "gotchas")
    found = [
        f"{path.relative_to(ROOT)}: {needle}"
        for folder in ("watcher", "digests", "tests", "templates", "docs")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in {".py", ".md", ".toml", ".j2"}
        for needle in outside
        if needle in path.read_text(encoding="utf-8")
    ]
    assert found == []
