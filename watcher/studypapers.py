"""One paper as the study grouping sees it: a few hundred bytes instead of the whole record.

:func:`watcher.studies.group_studies` compares papers by their clues (registrations, study
name, authors), design, sample size, follow-up and publication order, nothing else. A
:class:`Paper` keeps just those, computed once from the record and its tags, so the stored
groups can be rewritten from every relevant paper without holding every abstract and raw XML
in memory. What it takes from the record alone (:class:`PaperFacts`: the clues, which cost a
few regular expressions over the abstract) is read once, when the paper is tagged, and stored;
a regroup then reads those and the tags' columns (``Store.study_papers``), not the records.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from watcher.records import Article, Evidence
from watcher.studylinks import (
    RESULTS,
    SECONDARY_DESIGNS,
    Clues,
    can_be_a_report,
    clues,
    counts_as_evidence,
    report_kind,
)
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


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """What grouping reads of a record itself, apart from its tags: read when the paper is
    tagged and stored with it (``Store.save_paper_facts``), so a regroup does not read every
    abstract again. ``clues`` is None where they were not read: the paper cannot be a report
    (``reportable`` False), or its design then was a secondary one (:func:`needs_clues`)."""

    pmid: str
    order: tuple[str, int]
    kind: str  # PROTOCOL | RESULTS
    counts: bool  # counts as evidence (neither retracted nor a notice)
    reportable: bool  # may report a study, if its design is a primary one
    clues: Clues | None


def facts_of(article: Article, design: str) -> PaperFacts:
    """The :class:`PaperFacts` of ``article``, its clues read if ``design`` lets it be a
    report."""
    reportable = can_be_a_report(article, "")  # the record's part of the test
    return PaperFacts(
        pmid=article.pmid,
        order=publication_order(article),
        kind=report_kind(article),
        counts=counts_as_evidence(article),
        reportable=reportable,
        clues=clues(article) if reportable and design not in SECONDARY_DESIGNS else None,
    )


def needs_clues(facts: PaperFacts, design: str) -> bool:
    """Whether ``facts`` lacks the clues a paper of ``design`` is grouped by (it was tagged
    with a secondary design before): then they are read again from the record."""
    return facts.clues is None and facts.reportable and design not in SECONDARY_DESIGNS


def paper_with(
    facts: PaperFacts,
    *,
    design: str,
    level: str | None,
    question_keys: tuple[str, ...],
    followup_months: float | None,
    sample_size: int | None,
) -> Paper:
    """The :class:`Paper` of a record's ``facts`` with these tags."""
    assert not needs_clues(facts, design), facts.pmid  # read them again first
    results = facts.kind == RESULTS
    found = facts.clues if facts.reportable and design not in SECONDARY_DESIGNS else None
    paper = Paper(  # the vocabulary's keys once each (sys.intern), not once a paper
        pmid=facts.pmid,
        order=facts.order,
        kind=facts.kind,
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
    """The :class:`Paper` of ``article`` with its tags ``evidence``."""
    return paper_with(
        facts_of(article, evidence.design),
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
