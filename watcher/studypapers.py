"""One paper as the study grouping sees it: a few hundred bytes instead of the whole record.

:func:`watcher.studies.group_studies` compares papers by their clues (registrations, study
name, authors), design, sample size, follow-up and publication order, nothing else. A
:class:`Paper` keeps just those, computed once from the record and its tags, so the stored
groups can be rewritten from every relevant paper without holding every abstract and raw XML
in memory (``Store.study_papers`` reads only the columns :func:`paper_of` needs).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from watcher.records import Article, Evidence
from watcher.studylinks import RESULTS, Clues, can_be_a_report, clues, report_kind
from watcher.vocabulary import DESIGNS

MIN_PROBABLE_N = 10  # below this, two groups' equal sample sizes say little


@dataclass(frozen=True, slots=True)
class Paper:
    """What grouping reads of one paper. ``followup_months`` and ``sample_size`` are its
    results' (a protocol's numbers are plans, so None there); ``clues`` is None for a paper
    that cannot be a report of a study others also report (a review, letter, notice); its
    authors are kept only where the weak signal can use them (:func:`weak_signal_can_apply`)."""

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
    found = clues(article) if can_be_a_report(article, design) else None
    paper = Paper(  # the vocabulary's keys once each (sys.intern), not once a paper
        pmid=article.pmid,
        order=publication_order(article),
        kind=kind,
        design=sys.intern(design),
        level=None if level is None else sys.intern(level),
        question_keys=tuple(sys.intern(q) for q in question_keys),
        followup_months=followup_months if results else None,
        sample_size=sample_size if results else None,
        clues=found,
    )
    if found is not None and found.authors and not weak_signal_can_apply(paper):
        return replace(paper, clues=replace(found, authors=frozenset()))
    return paper


def weak_signal_can_apply(paper: Paper) -> bool:
    """Whether the weak "probably the same study" link may join this paper: a results report
    with a design of the vocabulary (not "other"), a sample size of at least
    ``MIN_PROBABLE_N`` and a follow-up. Only then are its authors compared."""
    n, design = paper.sample_size, paper.design
    if n is None or n < MIN_PROBABLE_N or design not in DESIGNS or design == "other":
        return False
    return paper.followup_months is not None


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
