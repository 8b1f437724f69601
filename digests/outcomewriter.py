"""A second connection to the database, in a thread of its own, for the outbox's bookkeeping.

Each message the outbox sends costs one commit (its outcome and the next message's "sending"
mark), and a commit waits for the disk (an fsync: up to 5 ms on this shared machine). Done
between two messages, that wait adds to every message; done here, it overlaps the next
message's transfer (sqlite3 releases the GIL while it waits, and so does the socket). The
outbox still waits for each commit before it offers the message whose mark that commit holds
(``digests/outbox.py``).

Its own connection, because a sqlite3 connection belongs to the thread that opened it; the
caller's connection only reads meanwhile, and WAL lets both work side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from watcher.store import Store

T = TypeVar("T")


class OutcomeWriter:
    """``with OutcomeWriter(path) as writer: step = writer.submit(work); ...; step.result()``:
    ``work(store)`` runs in the writer's thread, one at a time, in the order submitted."""

    def __init__(self, path: Path) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-writer")
        try:
            self._store = self._thread.submit(Store.open, path).result()
        except BaseException:
            self._thread.shutdown()
            raise

    def __enter__(self) -> OutcomeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, work: Callable[[Store], T]) -> Future[T]:
        """Start ``work`` after what was submitted before; its result or error comes with
        ``.result()``."""
        return self._thread.submit(work, self._store)

    def run(self, work: Callable[[Store], T]) -> T:
        """``work`` in the writer's thread, waited for."""
        return self.submit(work).result()

    def close(self) -> None:
        """Close the connection once what was submitted has finished (in order: one thread;
        an error there is the submitter's to collect from its future)."""
        self._thread.submit(self._store.close)
        self._thread.shutdown(wait=True)
