"""Coverage sets: the papers a digest covers without showing them, stored once per distinct set.

A baseline covers the whole backlog and shows a few dozen papers of it; the rest is covered
silently, so it never comes back as "new". Subscribers with the same searches, relevance and
questions are covered by the same papers, so the set is stored once (named by the SHA-256 of
its sorted PMIDs) and each digest links to it with one ``covered`` row; see the migration
``coverage_sets`` in ``schema_features.py``. These functions take the connection itself, as
the migration that moved older ledger rows into sets uses them too; ``release_ledgers`` is the
one way a digest's ledger rows are given back (given up on, or its subscriber left).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from watcher.store.lean import Database


@dataclass(frozen=True)
class CoverageSet:
    """PMIDs a digest covers without showing them, sorted and without repeats. Make one per
    distinct set (``of``) and hand the same object to every digest it covers: its hash is
    worked out once."""

    pmids: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.pmids)  # an empty set covers nothing: no row, as with an empty list

    @classmethod
    def of(cls, pmids: Iterable[str]) -> CoverageSet:
        return cls(tuple(sorted(set(pmids))))

    @cached_property
    def hash(self) -> str:
        return hashlib.sha256("\n".join(self.pmids).encode()).hexdigest()


def store_coverage_set(db: Database, pmids: CoverageSet | Iterable[str]) -> int:
    """The id of the stored set of ``pmids``, stored now if no digest used it before."""
    coverage = pmids if isinstance(pmids, CoverageSet) else CoverageSet.of(pmids)
    row = db.execute("SELECT id FROM coverage_sets WHERE hash = ?", (coverage.hash,)).fetchone()
    if row:
        return int(row[0])
    set_id = db.execute(
        "INSERT INTO coverage_sets (hash, size) VALUES (?, ?)", (coverage.hash, len(coverage.pmids))
    ).lastrowid
    db.conn.executemany(
        "INSERT INTO coverage_pmids (set_id, pmid) VALUES (?, ?)",
        ((set_id, pmid) for pmid in coverage.pmids),
    )
    return int(set_id)  # type: ignore[arg-type]


def release_ledgers(db: Database, digests: str, params: tuple[object, ...]) -> None:
    """Drop every ledger row of the digests ``digests`` selects (SQL giving digest ids): the
    papers they showed (``deliveries``) and covered (``covered``), and the news they told
    (``delivered_events``), so all of it goes out in a later digest instead."""
    for table in ("deliveries", "delivered_events", "covered"):
        db.execute(f"DELETE FROM {table} WHERE digest_id IN ({digests})", params)
    drop_unused_sets(db)


def drop_unused_sets(db: Database) -> None:
    """Delete the sets no digest covers anyone with any more (given up on, or their
    subscriber removed)."""
    db.execute(
        "DELETE FROM coverage_sets WHERE NOT EXISTS"
        " (SELECT 1 FROM covered c WHERE c.set_id = coverage_sets.id)"
    )
