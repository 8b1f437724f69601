"""What a command costs before it starts: the heavy libraries only where they are used.

Checked in a fresh interpreter (``sys.modules``); no timing here (benchmarks/memory.py times it).
"""

import subprocess
import sys


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
