"""Study groups: the librarians' decisions (kept for good) and the groups last computed from
them (rewritten whole by ``save_studies``; other wings read them, e.g. to link a registered trial
to its papers). The grouping itself is :func:`watcher.studies.group_studies`, pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence

from watcher.records import AbstractSection, Article, DataBankEntry
from watcher.store.base import StoreBase
from watcher.studypapers import Paper, paper_of
from watcher.studyrecords import Decision, PaperStudy, Study


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

    def study_papers(self, keep: Callable[[Article], bool]) -> Iterator[Paper]:
        """The relevant classified papers as grouping reads them, one row at a time, those
        ``keep`` accepts: only the columns :func:`~watcher.studypapers.paper_of` uses are read
        (no raw XML, no tags' snippets), and only each :class:`Paper` is kept, so a regroup
        holds a few hundred bytes per paper. The :class:`Article` ``keep`` sees carries those
        columns alone."""
        rows = self.db.execute(
            "SELECT a.pmid, a.title, a.abstract, a.authors, a.pub_date, a.pub_year,"
            " a.entrez_date, a.publication_types, a.retracted, a.databanks, e.design, e.level,"
            " e.questions, e.followup_months, e.sample_size"
            " FROM articles a JOIN evidence e ON e.pmid = a.pmid"
            " WHERE e.relevance = 'relevant' ORDER BY a.pmid"
        )
        for row in rows:
            (pmid, title, abstract, authors, pub_date, pub_year, entrez_date, types,
             retracted, databanks, design, level, questions, followup, n) = row  # fmt: skip
            article = Article(
                pmid=pmid,
                title=title,
                abstract=tuple(AbstractSection(*pair) for pair in json.loads(abstract)),
                authors=tuple(json.loads(authors)),
                pub_date=pub_date,
                pub_year=pub_year,
                entrez_date=entrez_date,
                publication_types=tuple(json.loads(types)),
                retracted=bool(retracted),
                databanks=tuple(DataBankEntry(**d) for d in json.loads(databanks)),
            )
            if keep(article):
                yield paper_of(
                    article,
                    design=design,
                    level=level,
                    question_keys=tuple(json.loads(questions)),
                    followup_months=followup,
                    sample_size=n,
                )

    def save_studies(self, studies: Sequence[Study | PaperStudy], *, now: str) -> None:
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
