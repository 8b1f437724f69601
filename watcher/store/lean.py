"""sqlite-utils, imported without numpy and pandas.

sqlite-utils imports numpy and pandas at its own import when they are installed, only to store
their number types. We never hand it those, and numpy (installed for matplotlib's charts) would
cost every command a few hundred milliseconds of start-up, ``mildwatch --version`` included.
While sqlite-utils is imported, a ``None`` in ``sys.modules`` makes its ``import numpy`` fail at
once (Python's documented way to block an import); it is removed again right after, so a chart
drawn later imports numpy as usual. The store imports ``Database`` and ``Migrations`` from here
only (``base.py``, ``schema.py``).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

HIDDEN = ("numpy", "pandas")


def import_without(module: str, hidden: tuple[str, ...] = HIDDEN) -> ModuleType:
    """``module``, imported while the ``hidden`` modules not yet imported cannot be."""
    blocked = [name for name in hidden if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        return importlib.import_module(module)
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


sqlite_utils = import_without("sqlite_utils")
Database = sqlite_utils.Database
Migrations = sqlite_utils.Migrations
