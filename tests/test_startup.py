"""What a command costs before it starts: the heavy libraries only where they are used.

Checked in a fresh interpreter (``sys.modules``); no timing here (benchmarks/memory.py times it).
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

from watcher.cli import COMMANDS
from watcher.cli.lazy import load


def loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in {modules!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.split()


def test_the_store_does_not_import_numpy_and_numpy_still_imports_later() -> None:
    assert loaded_after("import watcher.store", ("numpy", "pandas", "sqlite_utils")) == [
        "sqlite_utils"
    ]
    later = "import watcher.store, numpy, sqlite_utils; assert numpy.zeros(2).sum() == 0"
    assert loaded_after(later, ("numpy",)) == ["numpy"]


def test_the_command_line_imports_no_chart_or_web_libraries() -> None:
    heavy = ("numpy", "matplotlib", "starlette", "uvicorn", "pandas")
    assert loaded_after("import watcher.cli", heavy) == []


# What no command that draws no chart, sends no mail and asks no registry should import.
HEAVY = ("jinja2", "httpx", "apscheduler", "Bio.Entrez", "matplotlib", "numpy", "starlette")


def loaded_by_command(args: list[str], modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``modules`` a fresh interpreter holds after running ``mildwatch ARGS``."""
    code = (
        "import sys\n"
        "from watcher.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r}, prog_name='mildwatch')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print('LOADED', *(m for m in {modules!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()[1:]


def test_version_and_help_import_no_heavy_library() -> None:
    for args in (["--version"], ["--help"], ["status", "--help"], ["poll", "--help"]):
        assert loaded_by_command(args) == [], args


def test_status_on_a_real_database_imports_no_heavy_library(configured: Path) -> None:
    assert loaded_by_command(["--config", str(configured), "status"]) == []


def test_poll_reaches_pubmed_without_the_digests_the_registry_or_the_scheduler(
    configured: Path,
) -> None:
    """A whole poll over HTTP to the local PubMed: Bio.Entrez, and nothing it does not use."""
    assert loaded_by_command(["--config", str(configured), "poll"]) == ["Bio.Entrez"]


def help_listing(columns: int, *, load_all: bool) -> str:
    code = (
        "from watcher.cli import COMMANDS, cli\n"
        f"if {load_all!r}:\n"
        "    for name in COMMANDS:\n"
        "        cli.get_command(None, name)\n"
        "    assert set(cli.commands) == set(COMMANDS)\n"
        "else:\n"
        "    assert not cli.commands\n"
        "cli.main(['--help'], prog_name='mildwatch')\n"
    )
    env = {**os.environ, "COLUMNS": str(columns)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_lists_every_command_as_the_loaded_commands_would() -> None:
    for columns in (50, 80, 200):
        assert help_listing(columns, load_all=False) == help_listing(columns, load_all=True)


def test_the_lazy_map_names_every_command_with_its_own_first_sentence() -> None:
    """Each module's COMMANDS are all in the map, under their own name, with the first
    sentence of their help: a command added or reworded in its module cannot go missing."""
    offered = {}
    for module in ("demo", "watch", "service", "evidence", "mail", "web", "exporting", "keypapers"):
        for command in importlib.import_module(f"watcher.cli.{module}").COMMANDS:
            offered[command.name] = command
    for module, group in (("searches", "searches"), ("trials", "trials"), ("studies", "studies")):
        command = getattr(importlib.import_module(f"watcher.cli.{module}"), group)
        offered[command.name] = command
    assert sorted(offered) == sorted(COMMANDS)
    for name, entry in COMMANDS.items():
        command = load(entry.target)
        assert command is offered[name], name
        assert command.name == name
        assert entry.short_help == command.get_short_help_str(limit=10**6), name
