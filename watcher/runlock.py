"""Lock files that keep cron runs and the daemon from working on one database at once.

``fcntl.flock`` is released by the kernel when the process dies, so a crashed run never
leaves a stale lock behind. Two locks sit next to the database: ``<db>.lock``, held by one
run (poll, digests, import) at a time, and ``<db>.daemon``, held by a running daemon for its
whole life, which is how ``status`` tells whether the daemon is alive. A run that finds the
lock taken waits politely (up to ``wait`` seconds, saying so once) before giving up.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from watcher.errors import LockedError, StoreError

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 600.0
"""How long a run waits for another one to finish before giving up (exit 3)."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def daemon_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".daemon")


def _open(path: Path) -> IO[str]:
    try:
        return open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise StoreError(
            f"cannot create the lock file {path} ({exc.strerror}); mildwatch writes it next to "
            "the database: check the folder's permissions and that the disk is mounted "
            "read-write"
        ) from None


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "unknown"


def _claim(handle: IO[str]) -> None:
    """Write our pid for whoever finds the lock taken; a full disk must not stop the run."""
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
    except OSError:
        pass


def _release(handle: IO[str]) -> None:
    try:
        handle.seek(0)
        handle.truncate()
    except OSError:
        pass
    fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def run_lock(database: Path, *, wait: float = 0.0, interval: float = 0.2) -> Iterator[None]:
    """Hold the run lock; if another run has it, wait up to ``wait`` seconds, else refuse."""
    path = lock_path(database)
    with _open(path) as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(handle)
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait:g} s" if wait else ""
                    raise LockedError(
                        f"another mildwatch run is using {database} (pid {holder}, lock "
                        f"{path}){waited}; wait for it to finish"
                    ) from None
                if not told:
                    log.warning(
                        "waiting up to %g s for another mildwatch run (pid %s) to finish",
                        wait,
                        holder,
                    )
                    told = True
                time.sleep(interval)
        _claim(handle)
        try:
            yield
        finally:
            _release(handle)


@contextmanager
def daemon_lock(database: Path) -> Iterator[None]:
    """Held by the daemon while it lives: a second daemon on one database is refused."""
    path = daemon_lock_path(database)
    with _open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"a mildwatch daemon is already running for {database} (pid {_holder(handle)}); "
                "stop it first"
            ) from None
        _claim(handle)
        try:
            yield
        finally:
            _release(handle)


def lock_holder(path: Path) -> int | None:
    """The pid holding the lock file ``path``, or None when nobody holds it (read-only)."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115  (closed by the with below)
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = _holder(handle)
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None
