"""Saved searches with their history, which search found which article, and poll state.

A search's query can change over time; every change (and the first version) is kept in
``search_revisions`` with its time, author and reason, so the librarian can tell why a paper
was or was not found. ``search_hits`` records which search found which article, and
``poll_state`` holds each search's watermark: a poll advances it in the same transaction that
stores the window's records and hits, and a failure leaves it where it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from watcher.clock import iso, utc_now
from watcher.errors import StoreError
from watcher.records import PollState, Search, SearchRevision
from watcher.store.base import StoreBase


class SearchQueries(StoreBase):
    def add_search(
        self,
        name: str,
        query: str,
        description: str = "",
        *,
        author: str,
        reason: str,
        enabled: bool = True,
        now: str | None = None,
    ) -> Search:
        now = now or iso(utc_now())
        with self.transaction():
            if self.search(name) is not None:
                raise StoreError(
                    f"a saved search named {name!r} already exists; use `searches edit`"
                )
            cursor = self.db.execute(
                "INSERT INTO searches (name, query, description, enabled, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, query, description, int(enabled), now, now),
            )
            search_id = cursor.lastrowid
            self._add_revision(search_id, query, description, enabled, now, author, reason)
        return self.search(name)  # type: ignore[return-value]

    def update_search(
        self,
        name: str,
        *,
        author: str,
        reason: str,
        query: str | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        now: str | None = None,
    ) -> Search:
        """Change a search and keep the old version in ``search_revisions``."""
        now = now or iso(utc_now())
        with self.transaction():
            current = self.search(name)
            if current is None:
                raise StoreError(f"no saved search named {name!r}; see `mildwatch searches list`")
            new_query = current.query if query is None else query
            new_description = current.description if description is None else description
            new_enabled = current.enabled if enabled is None else enabled
            self.db.execute(
                "UPDATE searches SET query = ?, description = ?, enabled = ?, updated_at = ?"
                " WHERE id = ?",
                (new_query, new_description, int(new_enabled), now, current.id),
            )
            self._add_revision(
                current.id, new_query, new_description, new_enabled, now, author, reason
            )
        return self.search(name)  # type: ignore[return-value]

    def _add_revision(
        self,
        search_id: int,
        query: str,
        description: str,
        enabled: bool,
        now: str,
        author: str,
        reason: str,
    ) -> None:
        revision = self.db.execute(
            "SELECT COALESCE(MAX(revision), 0) + 1 FROM search_revisions WHERE search_id = ?",
            (search_id,),
        ).fetchone()[0]
        self.db.execute(
            "INSERT INTO search_revisions (search_id, revision, query, description, enabled,"
            " changed_at, author, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (search_id, revision, query, description, int(enabled), now, author, reason),
        )

    def search(self, name: str) -> Search | None:
        row = self._one("SELECT * FROM searches WHERE name = ?", (name,))
        return _search(row) if row else None

    def searches(self, *, enabled_only: bool = False) -> list[Search]:
        where = " WHERE enabled = 1" if enabled_only else ""
        return [_search(r) for r in self._all(f"SELECT * FROM searches{where} ORDER BY name")]

    def search_history(self, name: str) -> list[SearchRevision]:
        rows = self._all(
            "SELECT r.* FROM search_revisions r JOIN searches s ON s.id = r.search_id"
            " WHERE s.name = ? ORDER BY r.revision",
            (name,),
        )
        return [
            SearchRevision(
                revision=r["revision"],
                query=r["query"],
                description=r["description"],
                enabled=bool(r["enabled"]),
                changed_at=r["changed_at"],
                author=r["author"],
                reason=r["reason"],
            )
            for r in rows
        ]

    def poll_state(self, search_id: int) -> PollState:
        row = self._one("SELECT * FROM poll_state WHERE search_id = ?", (search_id,))
        return PollState(**row) if row else PollState(search_id=search_id)

    def record_poll_success(
        self,
        search_id: int,
        *,
        watermark: str,
        count: int,
        translation: str,
        now: str,
        covered_from: str | None = None,
    ) -> None:
        """Advance the watermark (and, after a backfill, where coverage starts). Call inside
        the transaction that stored the window's records."""
        self.db.execute(
            "INSERT INTO poll_state (search_id, watermark, last_attempt_at, last_success_at,"
            " last_count, last_translation, last_error, consecutive_failures, covered_from)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, 0, ?)"
            " ON CONFLICT(search_id) DO UPDATE SET watermark = excluded.watermark,"
            " last_attempt_at = excluded.last_attempt_at,"
            " last_success_at = excluded.last_success_at, last_count = excluded.last_count,"
            " last_translation = excluded.last_translation, last_error = NULL,"
            " consecutive_failures = 0,"
            " covered_from = COALESCE(excluded.covered_from, poll_state.covered_from)",
            (search_id, watermark, now, now, count, translation, covered_from),
        )

    def record_poll_failure(self, search_id: int, *, error: str, now: str) -> PollState:
        """Keep the watermark; count the failure so `status` and the admin alert can see it."""
        self.db.execute(
            "INSERT INTO poll_state (search_id, last_attempt_at, last_error, consecutive_failures)"
            " VALUES (?, ?, ?, 1)"
            " ON CONFLICT(search_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,"
            " last_error = excluded.last_error,"
            " consecutive_failures = poll_state.consecutive_failures + 1",
            (search_id, now, error),
        )
        return self.poll_state(search_id)

    def reset_watermark(self, search_id: int) -> None:
        """Forget how far a search has polled: its next poll backfills (a changed query)."""
        self.db.execute("UPDATE poll_state SET watermark = NULL WHERE search_id = ?", (search_id,))

    def hits_of(self, pmid: str) -> list[tuple[str, str]]:
        """Which saved searches found ``pmid``, and when first: (name, first_hit_at)."""
        rows = self._all(
            "SELECT s.name, h.first_hit_at FROM search_hits h JOIN searches s"
            " ON s.id = h.search_id WHERE h.pmid = ? ORDER BY h.first_hit_at, s.name",
            (pmid,),
        )
        return [(r["name"], r["first_hit_at"]) for r in rows]

    def record_hits(self, search_id: int, pmids: Iterable[str], *, now: str) -> None:
        """The search matches these papers (again, if its query once stopped matching them)."""
        for pmid in pmids:
            self.db.execute(
                "INSERT INTO search_hits (search_id, pmid, first_hit_at, last_hit_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(search_id, pmid) DO UPDATE SET"
                " last_hit_at = excluded.last_hit_at, unmatched_at = NULL",
                (search_id, pmid, now, now),
            )

    def mark_unmatched(self, search_id: int, matched: Iterable[str], *, now: str) -> int:
        """After a poll of the search's whole result (its query changed): papers its earlier
        query found that the current one does not match are marked, not deleted. Returns how
        many were newly marked. Call inside the transaction that records the hits."""
        keep = set(matched)
        active = self.db.execute(
            "SELECT pmid FROM search_hits WHERE search_id = ? AND unmatched_at IS NULL",
            (search_id,),
        )
        gone = [(now, search_id, pmid) for (pmid,) in active if pmid not in keep]
        self.db.conn.executemany(
            "UPDATE search_hits SET unmatched_at = ? WHERE search_id = ? AND pmid = ?", gone
        )
        return len(gone)

    def unmatched_hits(self, name: str) -> list[str]:
        """PMIDs the named search once found and its current query no longer matches."""
        rows = self.db.execute(
            "SELECT h.pmid FROM search_hits h JOIN searches s ON s.id = h.search_id"
            " WHERE s.name = ? AND h.unmatched_at IS NOT NULL ORDER BY h.pmid",
            (name,),
        )
        return [r[0] for r in rows]

    def matched_by_searches(self, pmids: Iterable[str]) -> set[str]:
        """Which of ``pmids`` an enabled saved search currently matches."""
        pmids = list(pmids)
        found: set[str] = set()
        for start in range(0, len(pmids), 500):
            chunk = pmids[start : start + 500]
            rows = self.db.execute(
                "SELECT DISTINCT h.pmid FROM search_hits h JOIN searches s ON s.id = h.search_id"
                f" WHERE s.enabled = 1 AND h.unmatched_at IS NULL"
                f" AND h.pmid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update(r[0] for r in rows)
        return found


def _search(row: dict[str, Any]) -> Search:
    return Search(
        id=row["id"],
        name=row["name"],
        query=row["query"],
        description=row["description"],
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
