"""SQLite storage: the only module (with ``schema.py``) that speaks SQL.

``Store.open`` connects with a busy timeout, turns on WAL and foreign keys, and applies any
pending migration. Methods take and return the dataclasses in ``watcher.records``; callers
group writes with ``with store.transaction():`` so a crash leaves either all or none of a
step (e.g. a batch of articles, their hits and the watermark that covers them).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from watcher import schema
from watcher.clock import iso, utc_now
from watcher.errors import StoreError
from watcher.evidence import Evidence
from watcher.records import (
    AbstractSection,
    Article,
    ArticleEvent,
    Correction,
    PollState,
    Run,
    Search,
    SearchRevision,
)

BUSY_TIMEOUT_SECONDS = 30
_LIST_FIELDS = ("authors", "publication_types", "mesh_terms", "keywords", "languages")


@dataclass(frozen=True)
class ArticleFilter:
    """What ``mildwatch articles`` may ask for; every field narrows the list."""

    search: str | None = None
    since: str | None = None
    text: str | None = None
    design: str | None = None
    min_followup: float | None = None
    question: str | None = None
    relevance: str | None = None
    retracted: bool | None = None
    limit: int = 50


@dataclass(frozen=True)
class ArticleSummary:
    """One line of ``mildwatch articles``."""

    pmid: str
    title: str
    pub_year: int | None
    journal: str
    first_seen: str
    retracted: bool
    relevance: str | None = None
    design: str | None = None
    level: str | None = None
    followup_months: float | None = None
    sample_size: int | None = None
    questions: tuple[str, ...] = ()


class Store:
    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Store:
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

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
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

    # -- saved searches -------------------------------------------------------------------

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

    # -- polling state ----------------------------------------------------------------------

    def poll_state(self, search_id: int) -> PollState:
        row = self._one("SELECT * FROM poll_state WHERE search_id = ?", (search_id,))
        return PollState(**row) if row else PollState(search_id=search_id)

    def record_poll_success(
        self, search_id: int, *, watermark: str, count: int, translation: str, now: str
    ) -> None:
        """Advance the watermark. Call inside the transaction that stored the window's records."""
        self.db.execute(
            "INSERT INTO poll_state (search_id, watermark, last_attempt_at, last_success_at,"
            " last_count, last_translation, last_error, consecutive_failures)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, 0)"
            " ON CONFLICT(search_id) DO UPDATE SET watermark = excluded.watermark,"
            " last_attempt_at = excluded.last_attempt_at,"
            " last_success_at = excluded.last_success_at, last_count = excluded.last_count,"
            " last_translation = excluded.last_translation, last_error = NULL,"
            " consecutive_failures = 0",
            (search_id, watermark, now, now, count, translation),
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

    # -- articles ---------------------------------------------------------------------------

    def known_pmids(self, pmids: Iterable[str]) -> set[str]:
        """Which of ``pmids`` are already stored (chunked: SQLite limits bound parameters)."""
        pmids = list(pmids)
        found: set[str] = set()
        for start in range(0, len(pmids), 500):
            chunk = pmids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT pmid FROM articles WHERE pmid IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        return found

    def save_articles(
        self, articles: Iterable[Article], *, run_id: int | None, now: str
    ) -> list[ArticleEvent]:
        """Insert new articles, update changed ones, and log what happened as events.

        An unchanged article only has ``last_seen`` moved. Call inside a transaction.
        """
        events: list[ArticleEvent] = []
        for article in articles:
            old_row = self._one("SELECT * FROM articles WHERE pmid = ?", (article.pmid,))
            content_hash = article.content_hash()
            if old_row is None:
                self.db.execute(
                    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}, first_seen, last_seen,"
                    f" updated_at) VALUES ({', '.join('?' * (len(_ARTICLE_COLUMNS) + 3))})",
                    [*_article_values(article, content_hash), now, now, now],
                )
                events.append(ArticleEvent(article.pmid, "new", now, "", run_id))
                continue
            if old_row["content_hash"] == content_hash:
                self.db.execute(
                    "UPDATE articles SET last_seen = ? WHERE pmid = ?", (now, article.pmid)
                )
                continue
            assignments = ", ".join(f"{c} = ?" for c in _ARTICLE_COLUMNS[1:])
            self.db.execute(
                f"UPDATE articles SET {assignments}, last_seen = ?, updated_at = ? WHERE pmid = ?",
                [*_article_values(article, content_hash)[1:], now, now, article.pmid],
            )
            events.extend(_change_events(_article(old_row), article, now, run_id))
        for event in events:
            self.db.execute(
                "INSERT INTO article_events (pmid, kind, at, run_id, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                (event.pmid, event.kind, event.at, event.run_id, event.detail),
            )
        return events

    def record_hits(self, search_id: int, pmids: Iterable[str], *, now: str) -> None:
        for pmid in pmids:
            self.db.execute(
                "INSERT INTO search_hits (search_id, pmid, first_hit_at, last_hit_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(search_id, pmid) DO UPDATE SET"
                " last_hit_at = excluded.last_hit_at",
                (search_id, pmid, now, now),
            )

    def article(self, pmid: str) -> Article | None:
        row = self._one("SELECT * FROM articles WHERE pmid = ?", (pmid,))
        return _article(row) if row else None

    def articles(self, pmids: Sequence[str]) -> list[Article]:
        return [a for pmid in pmids if (a := self.article(pmid)) is not None]

    def list_articles(self, query: ArticleFilter) -> list[ArticleSummary]:
        """Newest first; evidence columns are None for articles not yet classified."""
        clauses: list[str] = []
        params: list[Any] = []
        if query.search:
            clauses.append(
                "a.pmid IN (SELECT h.pmid FROM search_hits h JOIN searches s"
                " ON s.id = h.search_id WHERE s.name = ?)"
            )
            params.append(query.search)
        if query.since:
            clauses.append("a.first_seen >= ?")
            params.append(query.since)
        if query.text:
            clauses.append("(a.title LIKE ? OR a.abstract LIKE ?)")
            params.extend([f"%{query.text}%"] * 2)
        if query.design:
            clauses.append("e.design = ?")
            params.append(query.design)
        if query.min_followup is not None:
            clauses.append("e.followup_months >= ?")
            params.append(query.min_followup)
        if query.question:
            clauses.append("EXISTS (SELECT 1 FROM json_each(e.questions) WHERE value = ?)")
            params.append(query.question)
        if query.relevance:
            clauses.append("e.relevance = ?")
            params.append(query.relevance)
        if query.retracted is not None:
            clauses.append("a.retracted = ?")
            params.append(int(query.retracted))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(
            "SELECT a.pmid, a.title, a.pub_year, a.journal_abbrev, a.journal, a.first_seen,"
            " a.retracted, e.relevance, e.design, e.level, e.followup_months, e.sample_size,"
            " e.questions FROM articles a LEFT JOIN evidence e ON e.pmid = a.pmid"
            f"{where} ORDER BY a.entrez_date DESC, a.pmid DESC LIMIT ?",
            [*params, query.limit],
        )
        return [
            ArticleSummary(
                pmid=r["pmid"],
                title=r["title"],
                pub_year=r["pub_year"],
                journal=r["journal_abbrev"] or r["journal"],
                first_seen=r["first_seen"],
                retracted=bool(r["retracted"]),
                relevance=r["relevance"],
                design=r["design"],
                level=r["level"],
                followup_months=r["followup_months"],
                sample_size=r["sample_size"],
                questions=tuple(json.loads(r["questions"])) if r["questions"] else (),
            )
            for r in rows
        ]

    def count_articles(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def events(self, *, since: str | None = None, kinds: Sequence[str] = ()) -> list[ArticleEvent]:
        clauses, params = [], []
        if since:
            clauses.append("at >= ?")
            params.append(since)
        if kinds:
            clauses.append(f"kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(f"SELECT * FROM article_events{where} ORDER BY id", params)
        return [ArticleEvent(r["pmid"], r["kind"], r["at"], r["detail"], r["run_id"]) for r in rows]

    # -- evidence ---------------------------------------------------------------------------

    def save_evidence(self, evidence: Evidence, *, run_id: int | None, now: str) -> dict | None:
        """Keep the latest classification of an article; log which tags changed.

        Returns ``{field: [old, new]}`` when an earlier classification differed, else None.
        """
        data = evidence.to_dict()
        old = self._one("SELECT data FROM evidence WHERE pmid = ?", (evidence.pmid,))
        changes = _tag_changes(json.loads(old["data"]), data) if old else None
        values = (
            evidence.classifier_version, evidence.profile_version, evidence.relevance,
            evidence.relevance_score, evidence.design, evidence.level, evidence.followup_months,
            evidence.sample_size, json.dumps(list(evidence.question_keys)),
            json.dumps(data, ensure_ascii=False, sort_keys=True), now,
        )  # fmt: skip
        self.db.execute(
            "INSERT INTO evidence (pmid, classifier_version, profile_version, relevance,"
            " relevance_score, design, level, followup_months, sample_size, questions, data,"
            " classified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(pmid) DO UPDATE SET classifier_version = excluded.classifier_version,"
            " profile_version = excluded.profile_version, relevance = excluded.relevance,"
            " relevance_score = excluded.relevance_score, design = excluded.design,"
            " level = excluded.level, followup_months = excluded.followup_months,"
            " sample_size = excluded.sample_size, questions = excluded.questions,"
            " data = excluded.data, classified_at = excluded.classified_at",
            (evidence.pmid, *values),
        )
        if changes:
            self.db.execute(
                "INSERT INTO evidence_changes (pmid, at, run_id, old_version, new_version, changes)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    evidence.pmid,
                    now,
                    run_id,
                    json.loads(old["data"])["classifier_version"],
                    evidence.classifier_version,
                    json.dumps(changes, sort_keys=True),
                ),
            )
        return changes

    def evidence(self, pmid: str) -> Evidence | None:
        row = self._one("SELECT data FROM evidence WHERE pmid = ?", (pmid,))
        return Evidence.from_dict(json.loads(row["data"])) if row else None

    def needs_classification(self, classifier_version: str, profile_version: str) -> list[str]:
        """PMIDs never classified, or classified by another classifier or profile version."""
        rows = self.db.execute(
            "SELECT a.pmid FROM articles a LEFT JOIN evidence e ON e.pmid = a.pmid"
            " WHERE e.pmid IS NULL OR e.classifier_version != ? OR e.profile_version != ?"
            " ORDER BY a.pmid",
            (classifier_version, profile_version),
        )
        return [r[0] for r in rows]

    def all_pmids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT pmid FROM articles ORDER BY pmid")]

    def evidence_changes(self, *, run_id: int | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
        rows = self._all(f"SELECT * FROM evidence_changes {where} ORDER BY id", params)
        return [{**r, "changes": json.loads(r["changes"])} for r in rows]

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, kind: str, *, now: str) -> int:
        return self.db.execute(
            "INSERT INTO runs (kind, started_at, status) VALUES (?, ?, 'running')", (kind, now)
        ).lastrowid

    def finish_run(
        self, run_id: int, *, status: str, counts: dict[str, int], error: str | None, now: str
    ) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
            (now, status, json.dumps(counts, sort_keys=True), error, run_id),
        )

    def mark_interrupted_runs(self, *, now: str) -> int:
        """Runs still 'running' when a new one starts under the run lock died mid-way."""
        return self.db.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ?,"
            " error = 'the process stopped before the run finished' WHERE status = 'running'",
            (now,),
        ).rowcount

    def recent_runs(self, limit: int = 10, kind: str | None = None) -> list[Run]:
        where, params = ("WHERE kind = ?", [kind]) if kind else ("", [])
        rows = self._all(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [
            Run(
                id=r["id"],
                kind=r["kind"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                status=r["status"],
                counts=json.loads(r["counts"]),
                error=r["error"],
            )
            for r in rows
        ]

    # -- scheduler ------------------------------------------------------------------------

    def job_state(self, job_id: str) -> dict[str, str | None]:
        row = self._one("SELECT * FROM job_state WHERE job_id = ?", (job_id,))
        return row or {
            "job_id": job_id,
            "last_scheduled": None,
            "last_success": None,
            "last_error": None,
        }

    def record_job(
        self, job_id: str, *, scheduled: str, succeeded: bool, error: str | None = None
    ) -> None:
        """Remember a daemon job's run so a restart can tell what it missed."""
        self.db.execute(
            "INSERT INTO job_state (job_id, last_scheduled, last_success, last_error)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET"
            " last_scheduled = excluded.last_scheduled,"
            " last_success = COALESCE(excluded.last_success, job_state.last_success),"
            " last_error = excluded.last_error",
            (job_id, scheduled, scheduled if succeeded else None, error),
        )

    # -- helpers ----------------------------------------------------------------------------

    def _one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_ARTICLE_COLUMNS = (
    "pmid",
    "title",
    "abstract",
    "authors",
    "journal",
    "journal_abbrev",
    "pub_date",
    "pub_year",
    "pub_date_text",
    "entrez_date",
    "create_date",
    "revised_date",
    "doi",
    "pmcid",
    "publication_types",
    "mesh_terms",
    "keywords",
    "languages",
    "corrections",
    "retracted",
    "source_format",
    "content_hash",
    "raw",
)


def _article_values(article: Article, content_hash: str) -> list[Any]:
    data = asdict(article)
    data["abstract"] = json.dumps([[s.label, s.text] for s in article.abstract], ensure_ascii=False)
    data["corrections"] = json.dumps([asdict(c) for c in article.corrections], ensure_ascii=False)
    for name in _LIST_FIELDS:
        data[name] = json.dumps(list(data[name]), ensure_ascii=False)
    data["retracted"] = int(article.retracted)
    data["content_hash"] = content_hash
    return [data[c] for c in _ARTICLE_COLUMNS]


def _article(row: dict[str, Any]) -> Article:
    values = {name: row[name] for name in _ARTICLE_COLUMNS if name != "content_hash"}
    values["abstract"] = tuple(AbstractSection(*pair) for pair in json.loads(row["abstract"]))
    values["corrections"] = tuple(Correction(**c) for c in json.loads(row["corrections"]))
    for name in _LIST_FIELDS:
        values[name] = tuple(json.loads(row[name]))
    values["retracted"] = bool(row["retracted"])
    return Article(**values)


def _change_events(old: Article, new: Article, now: str, run_id: int | None) -> list[ArticleEvent]:
    """What a reader should hear about a changed record: retraction, erratum, or an update
    (with the names of the fields that changed)."""
    events = []
    if new.retracted and not old.retracted:
        notice = next((c.source for c in new.corrections if c.ref_type == "RetractionIn"), "")
        events.append(ArticleEvent(new.pmid, "retracted", now, notice, run_id))
    for erratum in set(new.errata) - set(old.errata):
        events.append(ArticleEvent(new.pmid, "erratum", now, erratum.source, run_id))
    if not events:
        changed = [
            f.name
            for f in fields(Article)
            if f.compare
            and getattr(old, f.name) != getattr(new, f.name)
            and f.name != "source_format"
        ]
        events.append(ArticleEvent(new.pmid, "updated", now, ", ".join(changed), run_id))
    return events


_TAG_FIELDS = (
    "relevance", "design", "level", "followup_months", "sample_size", "questions",
    "comparators", "outcomes", "complications", "reoperations",
)  # fmt: skip


def _tag_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]] | None:
    """Which tag values differ between two classifications (snippets aside)."""
    changed = {k: [old.get(k), new.get(k)] for k in _TAG_FIELDS if old.get(k) != new.get(k)}
    return changed or None


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
