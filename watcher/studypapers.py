"""One paper as the study grouping sees it: a few hundred bytes instead of the whole record.

:func:`watcher.studies.group_studies` compares papers by their clues (registrations, study
name, authors), design, sample size, follow-up and publication order, nothing else. A
:class:`Paper` keeps just those, computed once from the record and its tags, so the stored
groups can be rewritten from every relevant paper without holding every abstract and raw XML
in memory (``Store.study_papers`` reads only the columns :func:`paper_of` needs).
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.records import Article, Evidence
from watcher.studylinks import RESULTS, Clues, can_be_a_report, clues, report_kind


@dataclass(frozen=True)
class Paper:
    """What grouping reads of one paper. ``followup_months`` and ``sample_size`` are its
    results' (a protocol's numbers are plans, so None there); ``clues`` is None for a paper
    that cannot be a report of a study others also report (a review, letter, notice)."""

    pmid: str
    order: tuple[str, int]  # publication order: date PubMed gives, then the PMID
    kind: str  # PROTOCOL | RESULTS
    design: str
    level: str | None
    question_keys: tuple[str, ...]
    followup_months: float | None
    sample_size: int | None
    clues: Clues | None


def paper_of(
    article: Article,
    *,
    design: str,
    level: str | None,
    question_keys: tuple[str, ...],
    followup_months: float | None,
    sample_size: int | None,
) -> Paper:
    """The :class:`Paper` of ``article`` with these tags (the stored columns of its evidence)."""
    kind = report_kind(article)
    results = kind == RESULTS
    return Paper(
        pmid=article.pmid,
        order=publication_order(article),
        kind=kind,
        design=design,
        level=level,
        question_keys=question_keys,
        followup_months=followup_months if results else None,
        sample_size=sample_size if results else None,
        clues=clues(article) if can_be_a_report(article, design) else None,
    )


def paper_from(article: Article, evidence: Evidence) -> Paper:
    return paper_of(
        article,
        design=evidence.design,
        level=evidence.level,
        question_keys=evidence.question_keys,
        followup_months=evidence.followup_months,
        sample_size=evidence.sample_size,
    )


def publication_order(article: Article) -> tuple[str, int]:
    """The date PubMed gives (partial dates sort before full ones of the same month), then
    the PMID."""
    when = article.pub_date or (str(article.pub_year) if article.pub_year else "")
    pmid = int(article.pmid) if article.pmid.isdigit() else 0
    return (when or article.entrez_date or "9999", pmid)
