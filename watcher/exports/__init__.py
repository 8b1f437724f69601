"""Stored articles for the tools librarians use: RIS (Zotero, EndNote), BibTeX, CSV, JSON.

    common.py   what every format says alike: authors, pages, evidence tags with snippets
    ris.py      RIS
    bibtex.py   BibTeX (escaped values, unique keys)
    table.py    CSV (one column per tag, spreadsheet-safe) and JSON (everything)

Pure functions over :class:`~watcher.records.Article` and :class:`~watcher.records.Evidence`;
the command line picks the rows (the filters of ``articles list``) and the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from watcher.exports.bibtex import to_bibtex
from watcher.exports.common import Row
from watcher.exports.ris import to_ris
from watcher.exports.table import to_csv, to_json
from watcher.textfile import write_text_file

FORMATS: dict[str, Callable[[Iterable[Row]], str]] = {
    "ris": to_ris,
    "bibtex": to_bibtex,
    "csv": to_csv,
    "json": to_json,
}

__all__ = ["FORMATS", "Row", "export", "to_bibtex", "to_csv", "to_json", "to_ris"]


def export(rows: Iterable[Row], fmt: str, path: Path | None = None) -> str:
    """The rows in format ``fmt``; written to ``path`` all or nothing when one is given."""
    text = FORMATS[fmt](rows)
    if path is not None:
        write_text_file(path, text)
    return text
