"""Digest rows of ``benchmarks/perf.py``: a thousand subscribers' baseline digests, then
their weekly updates (compose + render + queue, as ``mildwatch digest send`` does it), each
delivered to the files outbox; the disk each delivered message costs.

Subscribers are weekly; every 4th wants plain text, every 5th follows only safety and
reoperation. A copy of the database with the updates still queued is kept for the SMTP rows
(the weekly updates are the mail a relay carries week after week).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.perf_common import BACKFILL_AT, ServerProcess
from digests.compose import compose_due
from watcher.cli import jobs
from watcher.config import Config
from watcher.localpubmed.synthetic import generate_records
from watcher.localpubmed.synthetic_xml import document, render_article
from watcher.store import Store

BASELINE_AT = datetime(2026, 11, 16, 7, 30, tzinfo=UTC)
INCREMENT = 60  # records PubMed "adds" in the week before the updates
INCREMENT_SPAN = (date(2026, 11, 17), date(2026, 11, 22))
INCREMENTAL_AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
UPDATE_AT = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
WEEKS_A_YEAR = 52


@dataclasses.dataclass(frozen=True)
class Round:
    """One round of digests for everyone: composed, then delivered to the files outbox."""

    kind: str  # "baseline" | "update"
    queued: int
    compose_seconds: float  # compose + render + queue, wall time (one thread)
    sent: int
    deliver_seconds: float
    message_bytes: int  # the messages as sent (the .eml files), all of them
    database_growth: int  # bytes of live pages the round added (free pages not counted)

    @property
    def per_digest_ms(self) -> float:
        return 1000 * self.compose_seconds / self.queued if self.queued else 0.0

    @property
    def disk_per_message(self) -> float:
        return (self.message_bytes + self.database_growth) / self.sent if self.sent else 0.0

    @property
    def copies(self) -> float:
        """How many copies of a message the disk holds (the ledger rows count as a little)."""
        return (self.message_bytes + self.database_growth) / self.message_bytes

    @property
    def mean_message(self) -> float:
        return self.message_bytes / self.sent if self.sent else 0.0


@dataclasses.dataclass(frozen=True)
class Digests:
    articles: int
    subscribers: int
    baseline: Round
    update: Round
    queued_copy: Path  # the database with every update still queued (for the SMTP rows)


def add_subscribers(config: Config, count: int) -> None:
    with Store.open(config.database) as store:
        for i in range(count):
            store.add_subscriber(
                f"surgeon{i:04d}@example.org",
                now=BACKFILL_AT.isoformat(),
                name=f"Dr. Synthetic {i:04d}",
                frequency="weekly",
                format="text" if i % 4 == 3 else "html",
                questions=["safety", "reoperation"] if i % 5 == 4 else [],
            )


def used_bytes(path: Path) -> int:
    """Bytes in the database's live pages: what it holds, free pages (reused later) not
    counted, after a WAL checkpoint."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
    return (pages - free) * size


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy through SQLite's backup API (which replaces what ``target`` held)."""
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    return target


def one_round(config: Config, kind: str, now: datetime, *, keep_queued: Path | None) -> Round:
    """Compose for everyone (``digest send --all``'s compose step), then deliver the outbox
    (its delivery step) to .eml files."""
    outbox = config.mail.outbox_dir
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    used_before = used_bytes(config.database)
    with Store.open(config.database) as store:
        started = time.perf_counter()
        queued = compose_due(
            store, now=now, mail=config.mail, schedule=config.schedule, everyone=True
        )
        compose_seconds = time.perf_counter() - started
    if keep_queued:
        copy_database(config.database, keep_queued)
    started = time.perf_counter()
    report = jobs.mail_job(config, now=now, lock_wait=0)
    deliver_seconds = time.perf_counter() - started
    written = set(outbox.glob("*.eml")) - before
    return Round(
        kind=kind,
        queued=len(queued),
        compose_seconds=compose_seconds,
        sent=len(report.delivery.sent),
        deliver_seconds=deliver_seconds,
        message_bytes=sum(p.stat().st_size for p in written),
        database_growth=used_bytes(config.database) - used_before,
    )


def measure(config: Config, server: ServerProcess, subscribers: int, articles: int) -> Digests:
    """Baselines right after the backfill; a week and ``INCREMENT`` new records later, the
    updates."""
    add_subscribers(config, subscribers)
    baseline = one_round(config, "baseline", BASELINE_AT, keep_queued=None)
    more = generate_records(
        INCREMENT,
        seed=articles,
        first_pmid=99100001 + articles,
        start=INCREMENT_SPAN[0],
        end=INCREMENT_SPAN[1],
    )
    server.add(document([render_article(r) for r in more]))
    report = jobs.poll_job(config, now=INCREMENTAL_AT, lock_wait=0)
    if not report.ok:
        raise SystemExit(f"the benchmark's incremental poll failed: {report.problem}")
    queued_copy = config.database.with_name("queued-updates.db")
    update = one_round(config, "update", UPDATE_AT, keep_queued=queued_copy)
    return Digests(articles, subscribers, baseline, update, queued_copy)
