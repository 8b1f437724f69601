"""Study groups: the librarians' decisions (kept for good) and the groups last computed from
them (rewritten whole by ``save_studies``; other wings read them, e.g. to link a registered trial
to its papers). The grouping itself is :func:`watcher.studies.group_studies`, pure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from watcher.store.base import StoreBase
from watcher.studies import Decision, Study


class StudyQueries(StoreBase):
    def study_decisions(self) -> list[Decision]:
        """Every decision, oldest first (the order they apply in)."""
        rows = self._all("SELECT * FROM study_decisions ORDER BY at, id")
        return [
            Decision(
                kind=r["kind"],
                pmids=tuple(json.loads(r["pmids"])),
                others=tuple(json.loads(r["others"])),
                author=r["author"],
                reason=r["reason"],
                at=r["at"],
                id=r["id"],
            )
            for r in rows
        ]

    def add_study_decision(self, decision: Decision, *, now: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO study_decisions (kind, pmids, others, author, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                decision.kind,
                json.dumps(list(decision.pmids)),
                json.dumps(list(decision.others)),
                decision.author,
                decision.reason,
                now,
            ),
        )
        return int(cursor.lastrowid or 0)

    def save_studies(self, studies: Sequence[Study], *, now: str) -> None:
        """Replace the stored groups with ``studies`` (call inside a transaction)."""
        self.db.execute("DELETE FROM study_reports")
        self.db.execute("DELETE FROM studies")
        for study in studies:
            longest = study.longest
            self.db.execute(
                "INSERT INTO studies (key, name, status, design, level, main_pmid, sample_size,"
                " longest_pmid, followup_months, names, registrations, links, grouped_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    study.key,
                    study.name,
                    study.status,
                    study.design,
                    study.level,
                    study.main.pmid,
                    study.sample_size,
                    longest.pmid if longest else None,
                    study.followup_months,
                    json.dumps(list(study.names)),
                    json.dumps(list(study.registrations)),
                    json.dumps(
                        [
                            {"kind": k.kind, "detail": k.detail, "pmids": list(k.pmids)}
                            for k in study.links
                        ],
                        ensure_ascii=False,
                    ),
                    now,
                ),
            )
            for position, report in enumerate(study.reports):
                self.db.execute(
                    "INSERT INTO study_reports (pmid, study_key, kind, position)"
                    " VALUES (?, ?, ?, ?)",
                    (report.pmid, study.key, report.kind, position),
                )

    def study_groups(self) -> dict[str, list[str]]:
        """Stored groups: study key → its PMIDs in publication order."""
        groups: dict[str, list[str]] = {}
        rows = self.db.execute(
            "SELECT study_key, pmid FROM study_reports ORDER BY study_key, position"
        )
        for key, pmid in rows:
            groups.setdefault(key, []).append(pmid)
        return groups
