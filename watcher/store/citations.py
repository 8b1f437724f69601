"""Key papers and the papers that cite them: citation tracking's memory.

Librarians mark key papers (``key_papers``); each poll asks PubMed which papers cite them and
keeps each link once in ``citations``. A relevant paper that cites a key paper while no
enabled saved search matches it is a *recall gap*: the searches missed something a citation
found. The digest shows such a paper as found by citation, and the librarian is told.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from watcher.errors import StoreError
from watcher.records import Article, Evidence
from watcher.store.articles import article_from_row
from watcher.store.base import StoreBase

# An enabled saved search currently matches the paper (its query has not dropped it).
_MATCHED = (
    "EXISTS (SELECT 1 FROM search_hits h JOIN searches s ON s.id = h.search_id"
    " WHERE h.pmid = {pmid} AND s.enabled = 1 AND h.unmatched_at IS NULL)"
)


@dataclass(frozen=True)
class KeyPaper:
    pmid: str
    title: str
    pub_year: int | None
    added_at: str
    added_by: str
    note: str
    citing: int  # stored papers known to cite it


@dataclass(frozen=True)
class RecallGap:
    """A relevant paper found by citation that no saved search matches."""

    article: Article
    evidence: Evidence
    cites: tuple[str, ...]  # the key papers it cites
    found_at: str


class CitationQueries(StoreBase):
    def add_key_paper(self, pmid: str, *, author: str, note: str = "", now: str) -> None:
        with self.transaction():
            if self._one("SELECT 1 FROM articles WHERE pmid = ?", (pmid,)) is None:
                raise StoreError(
                    f"PMID {pmid} is not stored; a key paper must be a stored article "
                    "(see `mildwatch key-papers list` for suggestions)"
                )
            if self._one("SELECT 1 FROM key_papers WHERE pmid = ?", (pmid,)):
                raise StoreError(f"PMID {pmid} is already a key paper")
            self.db.execute(
                "INSERT INTO key_papers (pmid, added_at, added_by, note) VALUES (?, ?, ?, ?)",
                (pmid, now, author, note),
            )

    def remove_key_paper(self, pmid: str) -> None:
        """Stop tracking its citations (the citations found so far are kept)."""
        with self.transaction():
            cursor = self.db.execute("DELETE FROM key_papers WHERE pmid = ?", (pmid,))
            if cursor.rowcount == 0:
                raise StoreError(f"PMID {pmid} is not a key paper; see `mildwatch key-papers list`")

    def key_paper_pmids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT pmid FROM key_papers ORDER BY pmid")]

    def key_papers(self) -> list[KeyPaper]:
        rows = self._all(
            "SELECT k.*, a.title, a.pub_year, (SELECT COUNT(*) FROM citations c"
            " WHERE c.cited_pmid = k.pmid) AS citing FROM key_papers k"
            " JOIN articles a ON a.pmid = k.pmid ORDER BY k.pmid"
        )
        return [
            KeyPaper(
                r["pmid"],
                r["title"],
                r["pub_year"],
                r["added_at"],
                r["added_by"],
                r["note"],
                r["citing"],
            )
            for r in rows
        ]

    def key_paper_candidates(self, limit: int = 5) -> list[tuple[Article, Evidence]]:
        """Suggestions: the stored relevant RCTs, then the longest follow-ups, that are not key
        papers yet (retracted papers never)."""
        picked: dict[str, tuple[Article, Evidence]] = {}
        for kind in ("e.design = 'rct'", "e.followup_months IS NOT NULL"):
            rows = self._all(
                "SELECT a.*, e.data AS evidence_data FROM articles a JOIN evidence e"
                " ON e.pmid = a.pmid WHERE e.relevance = 'relevant' AND a.retracted = 0"
                f" AND a.pmid NOT IN (SELECT pmid FROM key_papers) AND {kind}"
                " ORDER BY e.followup_months DESC, e.sample_size DESC, a.pmid LIMIT ?",
                (limit,),
            )
            for r in rows:
                picked.setdefault(r["pmid"], _pair(r))
        return list(picked.values())[: 2 * limit]

    def known_citations(self, cited: Sequence[str]) -> set[tuple[str, str]]:
        """(cited, citing) pairs already recorded for these key papers."""
        found: set[tuple[str, str]] = set()
        for start in range(0, len(cited), 500):
            chunk = list(cited[start : start + 500])
            rows = self.db.execute(
                "SELECT cited_pmid, citing_pmid FROM citations"
                f" WHERE cited_pmid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((a, b) for a, b in rows)
        return found

    def record_citations(
        self, pairs: Iterable[tuple[str, str]], *, run_id: int | None, now: str
    ) -> None:
        """Keep (cited, citing) links; both papers must be stored. Call in a transaction."""
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO citations (cited_pmid, citing_pmid, found_at, run_id)"
            " VALUES (?, ?, ?, ?)",
            [(cited, citing, now, run_id) for cited, citing in pairs],
        )

    def found_by_citation_only(self, pmids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Of ``pmids``, those found by citation that no enabled saved search matches, with
        the key papers each cites (for the digest: "found by citation")."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(pmids), 500):
            chunk = list(pmids[start : start + 500])
            rows = self.db.execute(
                "SELECT c.citing_pmid, c.cited_pmid FROM citations c"
                f" WHERE c.citing_pmid IN ({','.join('?' * len(chunk))})"
                f" AND NOT {_MATCHED.format(pmid='c.citing_pmid')}"
                " ORDER BY c.citing_pmid, c.cited_pmid",
                chunk,
            )
            for citing, cited in rows:
                found.setdefault(citing, []).append(cited)
        return {pmid: tuple(cited) for pmid, cited in found.items()}

    def recall_gaps(self) -> list[RecallGap]:
        """Relevant papers found by citation that no enabled saved search matches."""
        rows = self._all(
            "SELECT a.*, e.data AS evidence_data, GROUP_CONCAT(c.cited_pmid) AS cites,"
            " MIN(c.found_at) AS found_at FROM citations c"
            " JOIN articles a ON a.pmid = c.citing_pmid JOIN evidence e ON e.pmid = a.pmid"
            f" WHERE e.relevance = 'relevant' AND NOT {_MATCHED.format(pmid='a.pmid')}"
            " GROUP BY a.pmid ORDER BY found_at, a.pmid"
        )
        return [
            RecallGap(*_pair(r), tuple(sorted(r["cites"].split(","))), r["found_at"]) for r in rows
        ]


def _pair(row: dict) -> tuple[Article, Evidence]:
    return article_from_row(row), Evidence.from_dict(json.loads(row["evidence_data"]))
