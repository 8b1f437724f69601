"""The connection every query mixin shares: open, migrate, transactions, row helpers.

``StoreBase.open`` connects with a busy timeout, turns on WAL and foreign keys, and applies
any pending migration from ``schema.py``. Callers group writes with
``with store.transaction():`` so a crash leaves either all or none of a step (e.g. a batch of
articles, their hits and the watermark that covers them). The query modules subclass
``StoreBase`` so each one sees ``db``, ``transaction``, ``_one`` and ``_all``; ``Store`` in
``__init__.py`` puts them together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from watcher.errors import StoreError
from watcher.store import schema

BUSY_TIMEOUT_SECONDS = 30


class StoreBase:
    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Self:
        """Open (creating if needed) and migrate the database at ``path``."""
        path = Path(path)
        if not path.parent.exists():
            raise StoreError(
                f"cannot open database {path}: folder {path.parent} does not exist; "
                "create it or fix [database] path in the config"
            )
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
            db = Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.enable_wal()
            schema.migrations().apply(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open database {path}: {exc}; check the path and its permissions "
                "([database] path in the config)"
            ) from None
        return cls(db, path)

    @classmethod
    def open_readonly(cls, path: str | Path) -> Self:
        """Open an existing, migrated database so that no statement can write to it (SQLite's
        ``mode=ro``), for views that must not change anything."""
        path = Path(path)
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS
            )
            db = Database(conn)
            pending = [m.name for m in schema.migrations().pending(db)]
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open database {path} for reading: {exc}; check the path and its "
                "permissions ([database] path in the config)"
            ) from None
        if pending:
            db.close()
            raise StoreError(
                f"database {path} needs upgrading ({pending[0]}); run `mildwatch status` once "
                "to upgrade it"
            )
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (nested blocks are savepoints)."""
        try:
            with self.db.atomic():
                yield
        except sqlite3.OperationalError as exc:
            raise StoreError(f"database {self.path} could not be written: {exc}") from None

    def pending_migrations(self) -> list[str]:
        return [m.name for m in schema.migrations().pending(self.db)]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
