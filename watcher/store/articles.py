"""Articles and their events: save (insert, update, or just "seen again"), read, list.

An article is stored column by column (lists and abstract sections as JSON text) together
with its raw XML, so records can be re-parsed later. Saving a changed record logs what a
reader should hear about it in ``article_events`` (new, updated, retracted, erratum), which is
how a digest can say "a paper you received was retracted". ``article_from_row`` is the one
row → ``Article`` conversion; the evidence and mail queries use it for their joins too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from watcher.records import (
    AbstractSection,
    Article,
    ArticleEvent,
    Correction,
    DataBankEntry,
    Evidence,
    Grant,
    article_fields,
    fields_hash,
)
from watcher.store.base import StoreBase

_LIST_FIELDS = ("authors", "publication_types", "mesh_terms", "keywords", "languages")


@dataclass(frozen=True)
class ArticleFilter:
    """What ``mildwatch articles`` may ask for; every field narrows the list."""

    search: str | None = None
    since: str | None = None
    text: str | None = None
    design: str | None = None
    level: str | None = None
    min_followup: float | None = None
    question: str | None = None
    relevance: str | None = None
    retracted: bool | None = None
    limit: int | None = 50  # None: all


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


class ArticleQueries(StoreBase):
    def known_pmids(self, pmids: Iterable[str]) -> set[str]:
        """Which of ``pmids`` are already stored."""
        return set(self._content_hashes(list(pmids)))

    def save_articles(
        self, articles: Iterable[Article], *, run_id: int | None, now: str
    ) -> list[ArticleEvent]:
        """Insert new articles, update changed ones, and log what happened as events.

        An unchanged article only has ``last_seen`` moved. Call inside a transaction.
        """
        events: list[ArticleEvent] = []
        articles = list(articles)
        stored = self._content_hashes([article.pmid for article in articles])
        for article in articles:
            data = article_fields(article)  # once, for the hash and the row
            content_hash = fields_hash(data)
            if article.pmid not in stored:
                self.db.execute(
                    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}, first_seen, last_seen,"
                    f" updated_at) VALUES ({', '.join('?' * (len(_ARTICLE_COLUMNS) + 3))})",
                    [*_article_values(article, content_hash, data), now, now, now],
                )
                stored[article.pmid] = content_hash
                events.append(ArticleEvent(article.pmid, "new", now, "", run_id))
                continue
            if stored[article.pmid] == content_hash:
                self.db.execute(
                    "UPDATE articles SET last_seen = ? WHERE pmid = ?", (now, article.pmid)
                )
                continue
            old_row = self._one("SELECT * FROM articles WHERE pmid = ?", (article.pmid,))
            assert old_row is not None  # its hash was just read, in this transaction
            stored[article.pmid] = content_hash
            assignments = ", ".join(f"{c} = ?" for c in _ARTICLE_COLUMNS[1:])
            self.db.execute(
                f"UPDATE articles SET {assignments}, last_seen = ?, updated_at = ? WHERE pmid = ?",
                [*_article_values(article, content_hash, data)[1:], now, now, article.pmid],
            )
            events.extend(_change_events(article_from_row(old_row), article, now, run_id))
            # What grouping read of the old record (it is read again when this one is tagged)
            self.db.execute("DELETE FROM study_clues WHERE pmid = ?", (article.pmid,))
        for event in events:
            self.db.execute(
                "INSERT INTO article_events (pmid, kind, at, run_id, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                (event.pmid, event.kind, event.at, event.run_id, event.detail),
            )
        return events

    def _content_hashes(self, pmids: list[str]) -> dict[str, str]:
        """PMID → stored content hash, for the stored ones of ``pmids`` (one query per 500
        PMIDs, as SQLite limits bound parameters, rather than one per article)."""
        found: dict[str, str] = {}
        for start in range(0, len(pmids), 500):
            chunk = pmids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT pmid, content_hash FROM articles WHERE pmid IN ({marks})", chunk
            )
            found.update(rows.fetchall())
        return found

    def article(self, pmid: str) -> Article | None:
        row = self._one("SELECT * FROM articles WHERE pmid = ?", (pmid,))
        return article_from_row(row) if row else None

    def articles(self, pmids: Sequence[str]) -> list[Article]:
        """The stored ones of ``pmids``, in the order given (one query per 500 ids)."""
        found: dict[str, Article] = {}
        for start in range(0, len(pmids), 500):
            chunk = list(pmids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._all(f"SELECT * FROM articles WHERE pmid IN ({marks})", chunk):
                found[row["pmid"]] = article_from_row(row)
        return [found[pmid] for pmid in pmids if pmid in found]

    def all_pmids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT pmid FROM articles ORDER BY pmid")]

    def list_articles(self, query: ArticleFilter) -> list[ArticleSummary]:
        """Newest first; evidence columns are None for articles not yet classified."""
        where, params = _filter_sql(query)
        rows = self._all(
            "SELECT a.pmid, a.title, a.pub_year, a.journal_abbrev, a.journal, a.first_seen,"
            " a.retracted, e.relevance, e.design, e.level, e.followup_months, e.sample_size,"
            " e.questions FROM articles a LEFT JOIN evidence e ON e.pmid = a.pmid"
            f"{where} ORDER BY a.entrez_date DESC, a.pmid DESC LIMIT ?",
            [*params, -1 if query.limit is None else query.limit],
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

    def filtered_articles(self, query: ArticleFilter) -> list[tuple[Article, Evidence | None]]:
        """The whole articles ``list_articles`` lists, with their evidence (for exports)."""
        where, params = _filter_sql(query)
        rows = self._all(
            "SELECT a.*, e.data AS evidence_data FROM articles a"
            f" LEFT JOIN evidence e ON e.pmid = a.pmid{where}"
            " ORDER BY a.entrez_date DESC, a.pmid DESC LIMIT ?",
            [*params, -1 if query.limit is None else query.limit],
        )
        return [
            (
                article_from_row(r),
                Evidence.from_dict(json.loads(r["evidence_data"])) if r["evidence_data"] else None,
            )
            for r in rows
        ]

    def count_articles(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def events(
        self, *, since: str | None = None, kinds: Sequence[str] = (), pmid: str | None = None
    ) -> list[ArticleEvent]:
        clauses, params = [], []
        if pmid:
            clauses.append("pmid = ?")
            params.append(pmid)
        if since:
            clauses.append("at >= ?")
            params.append(since)
        if kinds:
            clauses.append(f"kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._all(f"SELECT * FROM article_events{where} ORDER BY id", params)
        return [ArticleEvent(r["pmid"], r["kind"], r["at"], r["detail"], r["run_id"]) for r in rows]


def _filter_sql(query: ArticleFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``articles a LEFT JOIN evidence e``) for an ArticleFilter."""
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
    if query.level:
        clauses.append("e.level = ?")
        params.append(query.level)
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
    return where, params


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
    "volume",
    "issue",
    "pages",
    "databanks",
    "coi_statement",
    "grants",
)


def _article_values(article: Article, content_hash: str, data: dict[str, Any]) -> list[Any]:
    """The row's values, from the article's :func:`article_fields` ``data`` (changed here)."""
    data["abstract"] = json.dumps([[s.label, s.text] for s in article.abstract], ensure_ascii=False)
    for name in ("corrections", "databanks", "grants", *_LIST_FIELDS):
        data[name] = json.dumps(list(data[name]), ensure_ascii=False)
    data["retracted"] = int(article.retracted)
    data["content_hash"] = content_hash
    return [data[c] for c in _ARTICLE_COLUMNS]


def article_from_row(row: dict[str, Any]) -> Article:
    """The ``Article`` in an ``articles`` row (extra columns from a join are ignored)."""
    values = {name: row[name] for name in _ARTICLE_COLUMNS if name != "content_hash"}
    values["abstract"] = tuple(AbstractSection(*pair) for pair in json.loads(row["abstract"]))
    values["corrections"] = tuple(Correction(**c) for c in json.loads(row["corrections"]))
    values["databanks"] = tuple(DataBankEntry(**d) for d in json.loads(row["databanks"]))
    values["grants"] = tuple(Grant(**g) for g in json.loads(row["grants"]))
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
