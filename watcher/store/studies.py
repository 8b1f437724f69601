"""Study groups: the librarians' decisions (kept for good), each relevant paper's facts for
grouping (``study_clues``: read from the record when it is tagged) and the groups last computed
from them (rewritten whole by ``save_studies``; other wings read them, e.g. to link a registered
trial to its papers). The grouping itself is :func:`watcher.studies.group_studies`, pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from watcher.records import AbstractSection, Article, DataBankEntry, TrialRegistration
from watcher.store.base import StoreBase
from watcher.studylinks import SECONDARY_DESIGNS, Clues
from watcher.studypapers import Paper, PaperFacts, paper_with
from watcher.studyrecords import Decision, PaperStudy, Study

# watcher.studypapers.needs_clues in SQL, over study_clues c and evidence e (with _SECONDARY)
_SECONDARY = sorted(SECONDARY_DESIGNS)
_NEEDS_CLUES = (
    f"(c.clues IS NULL AND c.reportable AND e.design NOT IN ({', '.join('?' * len(_SECONDARY))}))"
)


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

    def save_paper_facts(self, facts: PaperFacts) -> None:
        """Keep what grouping reads of a record (in the transaction that tagged it)."""
        found = facts.clues
        clues = None
        if found is not None:
            clues = json.dumps(
                {
                    "registrations": [[r.registry, r.id, r.source] for r in found.registrations],
                    "names": list(found.names),
                    "authors": sorted(found.authors),
                },
                ensure_ascii=False,
            )
        self.db.execute(
            "INSERT OR REPLACE INTO study_clues"
            " (pmid, order_date, order_pmid, kind, counts, reportable, clues)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (facts.pmid, *facts.order, facts.kind, facts.counts, facts.reportable, clues),
        )

    def papers_lacking_facts(self) -> Iterator[tuple[Article, str]]:
        """Relevant classified papers whose facts are not stored (tagged before facts were, or
        changed since), or lack the clues their design now needs
        (:func:`~watcher.studypapers.needs_clues`), with that design. Each
        :class:`Article` carries only the columns :func:`~watcher.studypapers.facts_of`
        reads (no raw XML)."""
        rows = self.db.execute(
            "SELECT a.pmid, a.title, a.abstract, a.authors, a.pub_date, a.pub_year,"
            " a.entrez_date, a.publication_types, a.retracted, a.databanks, e.design"
            " FROM articles a JOIN evidence e ON e.pmid = a.pmid"
            " LEFT JOIN study_clues c ON c.pmid = a.pmid"
            f" WHERE e.relevance = 'relevant' AND (c.pmid IS NULL OR {_NEEDS_CLUES})"
            " ORDER BY a.pmid",
            _SECONDARY,
        )
        for row in rows:
            (pmid, title, abstract, authors, pub_date, pub_year, entrez_date, types,
             retracted, databanks, design) = row  # fmt: skip
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
            yield article, design

    def study_papers(self) -> Iterator[Paper]:
        """The relevant classified papers that count as evidence, as grouping reads them, one
        row at a time, from their stored facts and the columns of their tags: a regroup
        reads a few hundred bytes a paper, and no record. Papers whose facts are missing
        (:meth:`papers_lacking_facts`) are left out: store them first."""
        rows = self.db.execute(
            "SELECT c.pmid, c.order_date, c.order_pmid, c.kind, c.reportable, c.clues,"
            " e.design, e.level, e.questions, e.followup_months, e.sample_size"
            " FROM study_clues c JOIN evidence e ON e.pmid = c.pmid"
            f" WHERE e.relevance = 'relevant' AND c.counts AND NOT {_NEEDS_CLUES}"
            " ORDER BY c.pmid",
            _SECONDARY,
        )
        for row in rows:
            (pmid, order_date, order_pmid, kind, reportable, clues, design, level, questions,
             followup, n) = row  # fmt: skip
            facts = PaperFacts(
                pmid=pmid,
                order=(order_date, order_pmid),
                kind=kind,
                counts=True,
                reportable=bool(reportable),
                clues=_clues(clues),
            )
            yield paper_with(
                facts,
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


def _clues(stored: str | None) -> Clues | None:
    if stored is None:
        return None
    data = json.loads(stored)
    return Clues(
        registrations=tuple(TrialRegistration(*r) for r in data["registrations"]),
        names=tuple(data["names"]),
        authors=frozenset(data["authors"]),
    )
