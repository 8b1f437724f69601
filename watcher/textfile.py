"""Writing a text file the user asked for (an export), all or nothing.

The text goes to a temporary file beside the target and is renamed over it, so an export
that fails (unwritable folder, full disk) leaves the old file as it was and no half file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from watcher.errors import MildwatchError


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path``; one-line MildwatchError if not."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise MildwatchError(
            f"cannot write {path}: {exc.strerror or exc}; choose a writable folder"
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise MildwatchError(f"cannot write {path}: {exc.strerror or exc}") from None
