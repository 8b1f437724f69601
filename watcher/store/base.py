"""The connection every query mixin shares: open, migrate, transactions, row helpers.

``StoreBase.open`` connects with a busy timeout, turns on WAL and foreign keys, refuses a
database written by a newer mildwatch, and applies any pending migration from ``schema.py``.
Callers group writes with ``with store.write():`` so a crash leaves either all or none of a
step (e.g. a batch of articles, their hits and the watermark that covers them).

``write()`` begins with ``BEGIN IMMEDIATE``: it takes SQLite's write lock first, waiting up to
the busy timeout for another writer. A deferred ``BEGIN`` (what ``db.atomic()`` issues) reads
first and fails at once with "database is locked" when it then tries to write beside another
writer in WAL mode, instead of waiting. ``transaction()`` is the same context manager under
its older name.

SQLite's own failures (read-only file or disk, disk full, damaged pages, a lock held too long)
become one ``StoreError`` sentence naming the file and the fix (:func:`database_error`). The
query modules subclass ``StoreBase`` so each one sees ``db``, ``write``, ``_one`` and ``_all``;
``Store`` in ``__init__.py`` puts them together.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from watcher.errors import StoreError
from watcher.store import schema
from watcher.store.lean import Database

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
        conn = None
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
            db = Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.enable_wal()
            _refuse_newer(db, path)
            schema.migrations().apply(db)
        except (sqlite3.DatabaseError, StoreError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StoreError):
                raise
            raise database_error(exc, path, doing="open") from None
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
    def write(self) -> Iterator[None]:
        """All writes inside commit together or not at all; the write lock is taken first
        (``BEGIN IMMEDIATE``), so a second writer waits its turn. Nested blocks are
        savepoints."""
        conn = self.db.conn
        try:
            if conn.in_transaction:
                with self.db.atomic():
                    yield
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
        except sqlite3.DatabaseError as exc:
            if not _is_environmental(exc):
                raise
            raise database_error(exc, self.path) from None

    transaction = write  # the older name; both begin IMMEDIATE

    def check_integrity(self) -> None:
        """``PRAGMA quick_check``: refuse to work on a database with damaged pages, rather
        than write into it and fail later (cheap: one pass, no index cross-checks)."""
        try:
            rows = [r[0] for r in self.db.execute("PRAGMA quick_check(5)").fetchall()]
        except sqlite3.DatabaseError as exc:
            raise database_error(exc, self.path) from None
        if rows != ["ok"]:
            raise database_error(sqlite3.DatabaseError(rows[0]), self.path, damaged=True)

    def backup(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup API: safe while another process
        (the daemon) writes, unlike copying the file and its WAL by hand."""
        try:
            with sqlite3.connect(target) as copy:
                self.db.conn.backup(copy, pages=1024)
            copy.close()
        except sqlite3.DatabaseError as exc:
            raise database_error(exc, target, doing="write the backup") from None

    def pending_migrations(self) -> list[str]:
        return [m.name for m in schema.migrations().pending(self.db)]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _is_environmental(exc: sqlite3.DatabaseError) -> bool:
    """SQLite failing for the file, the disk or another process, not for a bug in our SQL
    (IntegrityError, ProgrammingError and friends pass through unchanged)."""
    return type(exc) in (sqlite3.OperationalError, sqlite3.DatabaseError)


def database_error(
    exc: BaseException, path: Path | None, *, doing: str = "write", damaged: bool = False
) -> StoreError:
    """One sentence for a SQLite failure: which file, what is wrong, what to do."""
    text = " ".join(str(exc).split())  # quick_check may answer in several lines
    lowered = text.lower()
    where = f"database {path}" if path else "the database"
    if path is not None and "unable to open" in lowered and not _writable(path):
        lowered += " readonly"  # SQLite cannot create -wal/-shm next to it
    if doing == "open" and "not a database" in lowered:
        return StoreError(
            f"cannot open database {path}: the file is not a SQLite database ({text}); check "
            "[database] path in the config, or restore the file from a backup"
        )
    if damaged or "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return StoreError(
            f"{where} is damaged ({text}); nothing more was written to it. Restore it from a "
            f"backup (`mildwatch backup` makes one), or salvage it with `sqlite3 {path} .recover`"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(
            f"{where} is read-only ({text}); mildwatch must write the file and its -wal, -shm "
            "and .lock companions: check their permissions and that the disk is mounted "
            "read-write"
        )
    if "full" in lowered:
        return StoreError(
            f"{where} could not be written: the disk is full ({text}); free some space and run "
            "again. Nothing half-written was kept"
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"{where} stayed locked by another process for {BUSY_TIMEOUT_SECONDS} s ({text}); "
            "run again when it has finished (`mildwatch status` shows running work)"
        )
    if "unable to open" in lowered:
        return StoreError(
            f"cannot {doing} {where} ({text}); check the path ([database] path in the config), "
            "that its folder exists and is writable"
        )
    if "disk i/o" in lowered:
        return StoreError(
            f"{where} could not be {'opened' if doing == 'open' else 'written'}: the disk "
            f"reported an error ({text}); check the disk and free space, then run again"
        )
    return StoreError(f"cannot {doing} {where}: {text}; check the file and its permissions")


def _writable(path: Path) -> bool:
    """Whether the database and its folder can be written (False on a read-only mount)."""
    folder_ok = os.access(path.parent, os.W_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def _refuse_newer(db: Database, path: Path) -> None:
    """A database migrated by a newer mildwatch has tables this version would misuse."""
    known = {name for name, _ in schema.MIGRATIONS}
    unknown = [m.name for m in schema.migrations().applied(db) if m.name not in known]
    if unknown:
        raise StoreError(
            f"database {path} was written by a newer mildwatch (its migration {unknown[0]!r} "
            "is unknown to this version); upgrade mildwatch, or point [database] path at "
            "another file"
        )
