"""Evidence: the latest classification of each article, and a log of what changed.

One ``evidence`` row per article holds the whole ``Evidence`` as JSON plus the columns the
lists and digests filter on (relevance, design, level, follow-up, sample size, questions).
Re-classifying (e.g. after a new classifier or profile version) overwrites the row and
records in ``evidence_changes`` which tags moved, so a librarian can see what a version changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from watcher.records import Article, Evidence
from watcher.store.articles import article_from_row
from watcher.store.base import StoreBase


class EvidenceQueries(StoreBase):
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

    def evidence_changes(self, *, run_id: int | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE run_id = ?", [run_id]) if run_id is not None else ("", [])
        rows = self._all(f"SELECT * FROM evidence_changes {where} ORDER BY id", params)
        return [{**r, "changes": json.loads(r["changes"])} for r in rows]

    def evidence_version(self) -> tuple:
        """Changes whenever an article or its evidence does (a cheap key for caching views
        built from ``classified()``)."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM articles), (SELECT MAX(updated_at) FROM articles),"
            " (SELECT COUNT(*) FROM evidence), (SELECT MAX(classified_at) FROM evidence)"
        ).fetchone()
        return tuple(row)

    def classified(
        self, relevance: Iterable[str] = ("relevant",)
    ) -> list[tuple[Article, Evidence]]:
        """Every stored article with its evidence, for the landscape."""
        wanted = tuple(relevance)
        rows = self._all(
            "SELECT a.*, e.data AS evidence_data FROM articles a JOIN evidence e ON e.pmid = a.pmid"
            f" WHERE e.relevance IN ({','.join('?' * len(wanted))}) ORDER BY a.pmid",
            wanted,
        )
        return [
            (article_from_row(r), Evidence.from_dict(json.loads(r["evidence_data"]))) for r in rows
        ]


_TAG_FIELDS = (
    "relevance", "design", "level", "followup_months", "sample_size", "questions",
    "comparators", "outcomes", "complications", "reoperations", "harms", "sponsorship",
    "against",
)  # fmt: skip


def _tag_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]] | None:
    """Which tag values differ between two classifications (snippets aside)."""
    changed = {k: [old.get(k), new.get(k)] for k in _TAG_FIELDS if old.get(k) != new.get(k)}
    return changed or None
