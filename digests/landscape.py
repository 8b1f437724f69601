"""How the evidence stands: pure functions from (Article, Evidence) pairs to the view model,
``build_landscape`` for the whole body of evidence, ``make_item`` for one paper and
``group_sections`` for a digest's items under their questions, strongest first.

Only studies count: retracted papers and the notices that retract or correct others are left
out (a retracted trial is not evidence, and an erratum is not a study). And each study counts
once, however many reports it has published (``evidence_studies``; its figures are
``watcher.studies``'s). The landscape of each digest is kept with it (``summarize``), so the
next one can say what changed, e.g. that the longest follow-up grew from 24 to 60 months, or
that one trial's did ("PORTAL-LSS: now 24 months, was 12").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from digests.listing import LISTED
from digests.model import (
    Count,
    DigestItem,
    Landscape,
    LongestFollowUp,
    Quote,
    ReportedFigure,
    Safety,
    Section,
    TimelineYear,
)
from digests.provenance import shown_quote
from digests.safety import build_independence, build_safety, item_balance
from digests.safetymodel import HarmReport
from digests.studymodel import StudyNote
from digests.studyview import (
    follow_up_growth,
    followed_studies,
    studies_summary,
    study_label,
    study_tracks,
)
from digests.wording import (
    OTHER_SECTION,
    SECTION_ORDER,
    UNCERTAIN_SECTION,
    citation,
    clip,
    first_author,
)
from watcher.records import Article, Evidence, Tag, plain_text
from watcher.studies import group_studies
from watcher.studylinks import counts_as_evidence as counts_as_evidence  # re-exported, with:
from watcher.studylinks import is_notice as is_notice
from watcher.studypapers import Paper
from watcher.studyrecords import Decision, Study
from watcher.vocabulary import DESIGNS, LEVELS, NUMBER_WORDS, QUESTIONS

FIGURES_SHOWN = LISTED  # reoperation statements, strongest studies first
_FIGURE = re.compile(rf"\d|\b(?:no|none|zero|without|{NUMBER_WORDS})\b", re.IGNORECASE)

Pair = tuple[Article, Evidence]


def level_rank(level: str | None) -> int:
    """Sort key: Level I first, ungraded last."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def item_sort_key(item: DigestItem) -> tuple[int, float, int, int, str]:
    """Strongest evidence first: level, then longer follow-up, larger n, newer year."""
    return (
        level_rank(item.level),
        -(item.followup_months or 0.0),
        -(item.sample_size or 0),
        -(item.year or 0),
        item.pmid,
    )


def group_sections(items: Iterable[DigestItem]) -> tuple[Section, ...]:
    """Group items by question, each item once (under its first question in SECTION_ORDER).

    An item tagged with several questions is shown once, where it weighs most; its other
    questions appear as tags on the item. A study reporting a harm goes under "How safe is
    it?", whatever else it addresses. Sections come in SECTION_ORDER, empty ones dropped.
    Items the classifier is unsure are about the procedure never join the main list: they
    come last, in their own section.
    """
    buckets: dict[str, list[DigestItem]] = {key: [] for key in SECTION_ORDER}
    seen: set[str] = set()
    for item in items:
        if item.pmid in seen:
            continue
        seen.add(item.pmid)
        if item.relevance != "relevant":
            buckets[UNCERTAIN_SECTION].append(item)
            continue
        key = next((q for q in SECTION_ORDER if q in item.questions), OTHER_SECTION)
        key = "safety" if item.harms else key
        buckets[key].append(item)
    return tuple(
        Section(key, tuple(sorted(found, key=item_sort_key)))
        for key, found in buckets.items()
        if found
    )


def is_synthetic(article: Article) -> bool:
    """Sample data (the digest then carries the SYNTHETIC banner)."""
    return article.plain_title.startswith("[SYNTHETIC]")


def _snippet(evidence: Evidence) -> str:
    """The abstract's own words behind the tags (follow-up first: it matters most here)."""
    tags: list[Tag | None] = [
        evidence.followup_tag,
        evidence.design_tag,
        evidence.sample_size_tag,
        *evidence.questions,
        evidence.relevance_tag,
    ]
    return next((t.snippet for t in tags if t is not None and t.source == "abstract"), "")


def _quotes(evidence: Evidence, texts: list[str]) -> tuple[Quote, ...]:
    """The words behind each question's tag and behind the relevance, marked where cut
    (``texts``: the article's title and abstract sections as plain text)."""
    tagged = [(str(tag.value), tag) for tag in evidence.questions]
    if evidence.relevance_tag is not None:
        tagged.append(("relevance", evidence.relevance_tag))
    return tuple(
        Quote(key, shown_quote(tag.snippet, texts) if tag.source in ("title", "abstract")
              else tag.snippet, tag.source)
        for key, tag in tagged
    )  # fmt: skip


def _source(tag: Tag | None) -> str | None:
    return tag.source if tag is not None else None


def make_item(
    article: Article,
    evidence: Evidence,
    found_by_citation: tuple[str, ...] = (),
    *,
    study: StudyNote | None = None,
) -> DigestItem:
    """One paper as the digest shows it (``found_by_citation``: the key papers it cites, when
    only citation tracking found it; ``study``: the other reports of its study)."""
    texts = [article.plain_title, *(plain_text(s.text) for s in article.abstract)]
    return DigestItem(
        pmid=article.pmid,
        title_html=article.title,
        journal=article.journal or article.journal_abbrev,
        year=article.pub_year,
        authors=first_author(article),
        design=evidence.design,
        level=evidence.level,
        snippet=shown_quote(_snippet(evidence), texts),
        followup_months=evidence.followup_months,
        sample_size=evidence.sample_size,
        questions=evidence.question_keys,
        doi=article.doi,
        pmcid=article.pmcid,
        synthetic=is_synthetic(article),
        found_by_citation=found_by_citation,
        relevance=evidence.relevance,
        quotes=_quotes(evidence, texts),
        design_source=_source(evidence.design_tag),
        followup_source=_source(evidence.followup_tag),
        sample_size_source=_source(evidence.sample_size_tag),
        **item_balance(evidence),
        study=study,
    )


def strength(pair: Pair) -> tuple[int, float, int, str]:
    """Sort key: strongest evidence first (level, then longer follow-up, larger n)."""
    article, evidence = pair
    return (
        level_rank(evidence.level),
        -(evidence.followup_months or 0.0),
        -(evidence.sample_size or 0),
        article.pmid,
    )


def _counts(
    counter: Counter[str], order: Sequence[str], reports: Counter[str] | None = None
) -> tuple[Count, ...]:
    keys = [key for key in order if counter[key]] + sorted(set(counter) - set(order))
    return tuple(Count(key, counter[key], (reports or Counter())[key]) for key in keys)


def _longest(
    studies: Sequence[Study], previous: Mapping[str, Any] | None
) -> LongestFollowUp | None:
    """The study followed longest (ties go to the stronger study), and the report that says so."""
    timed = [s for s in studies if s.longest is not None]
    if not timed:
        return None
    study = min(timed, key=lambda s: (-(s.followup_months or 0.0), s.strength))
    report = study.longest
    assert report is not None
    months = float(study.followup_months or 0.0)
    previous_months = previous.get("longest_followup_months") if previous else None
    grew = previous is not None and months > float(previous_months or 0.0)
    return LongestFollowUp(
        months=months,
        pmid=report.pmid,
        citation=citation(report.article),
        grew=grew,
        previous_months=float(previous_months) if previous_months is not None else None,
        study=study_label(study) if len(study.reports) > 1 else "",
    )


def _figures(
    studies: Sequence[Pair], field: str, limit: int
) -> tuple[tuple[ReportedFigure, ...], int]:
    """Statements that give a count, a rate or say "none", with their source; one per
    sentence, from the strongest studies first: the first ``limit``, and how many there are."""
    figures: list[ReportedFigure] = []
    seen: set[str] = set()
    for article, evidence in sorted(studies, key=strength):
        tags: tuple[Tag, ...] = getattr(evidence, field)
        for tag in tags:
            text = clip(tag.snippet or str(tag.value))
            if not _FIGURE.search(str(tag.value)) or text.lower() in seen:
                continue
            seen.add(text.lower())
            if len(figures) < limit:
                figures.append(ReportedFigure(text, article.pmid, citation(article)))
    return tuple(figures), len(seen)


def _timeline(studies: Sequence[Study]) -> tuple[TimelineYear, ...]:
    """Per year: studies new that year (at their first results report) by design, every paper
    published, and the longest follow-up a report gave."""
    new: dict[int, list[str]] = {}
    papers: Counter[int] = Counter()
    followups: dict[int, list[float]] = {}
    for study in studies:
        first = next((r.article.pub_year for r in study.results if r.article.pub_year), None)
        if first:
            new.setdefault(first, []).append(study.design)
        for report in study.reports:
            year = report.article.pub_year
            if year:
                papers[year] += 1
                if report.followup_months is not None:
                    followups.setdefault(year, []).append(report.followup_months)
    return tuple(
        TimelineYear(
            year=year,
            by_design=_counts(Counter(new.get(year, [])), DESIGNS),
            longest_followup_months=max(followups[year]) if year in followups else None,
            reports=papers[year],
        )
        for year in sorted(papers)
    )


def _safety(studies: Sequence[Study], results: Sequence[Pair]) -> Safety:
    """Harms as the results reports state them (strongest first, each with its source), each
    study once per kind of harm; a study that stated "none occurred" in several reports is
    counted once."""
    safety = build_safety(sorted(results, key=strength), citation)
    no_events, no_serious = safety.no_events, safety.no_serious
    for study in (s for s in studies if len(s.results) > 1):
        each = build_safety([(r.article, r.evidence) for r in study.results], citation)
        no_events -= each.no_events - (each.no_events > 0)
        no_serious -= each.no_serious - (each.no_serious > 0 and each.no_events == 0)
    # Each results report: its study and its place in that study's results (for every kind).
    place = {r.pmid: (s.key, i) for s in studies for i, r in enumerate(s.results)}
    harms = tuple(
        replace(group, reports=_one_per_study(group.reports, place)) for group in safety.harms
    )
    return replace(safety, harms=harms, no_events=no_events, no_serious=no_serious)


def _one_per_study(
    reports: Sequence[HarmReport], place: Mapping[str, tuple[str, int]]
) -> tuple[HarmReport, ...]:
    """One line per study: a trial's 1-year and 2-year reports of the same kind of harm are
    one study's harm, told by its latest results report (its events so far), in the place
    of the study's strongest report. ``place``: PMID → (study key, position in its results)."""
    kept: dict[str, tuple[int, HarmReport]] = {}
    for report in reports:
        key, position = place.get(report.pmid, (report.pmid, 0))
        if key not in kept or position > kept[key][0]:
            kept[key] = (position, report)  # an existing key keeps its place in the dict
    return tuple(report for _, report in kept.values())


def evidence_studies(
    pairs: Iterable[Pair],
    decisions: Sequence[Decision] = (),
    papers: Mapping[str, Paper] | None = None,
) -> tuple[Study, ...]:
    """The studies that the papers counting as evidence report (each paper once), joined as
    ``watcher.studies.group_studies`` does, the librarians' ``decisions`` first (``papers``:
    the store's grouping facts, there)."""
    unique = {article.pmid: (article, evidence) for article, evidence in pairs}
    kept = [unique[pmid] for pmid in sorted(unique) if counts_as_evidence(unique[pmid][0])]
    return group_studies(kept, decisions, papers)


def build_landscape(
    pairs: Iterable[Pair],
    *,
    previous: Mapping[str, Any] | None = None,
    figures_limit: int = FIGURES_SHOWN,
    studies: Sequence[Study] | None = None,
) -> Landscape:
    """The landscape of ``pairs`` (each article once), counted by study: a trial's protocol,
    1-year and 2-year reports are one trial, its patients counted once (from its main report).

    ``studies`` is ``evidence_studies(pairs, decisions)`` when the caller has it (to use the
    librarians' decisions); by default the papers are grouped without decisions. ``previous``
    is the ``summarize()`` of the subscriber's last digest, or None for a first digest.
    """
    grouped = tuple(studies) if studies is not None else evidence_studies(pairs)
    counted = [s for s in grouped if s.has_results]
    rcts = [s for s in counted if s.design == "rct"]
    questions = Counter(q for s in counted for q in s.question_keys)
    results = [(r.article, r.evidence) for s in counted for r in s.results]
    reports: Counter[str] = Counter()
    for study in counted:
        reports[study.design] += len(study.results)
    figures, found = _figures(results, "reoperations", figures_limit)
    return Landscape(
        total_studies=len(counted),
        by_design=_counts(Counter(s.design for s in counted), DESIGNS, reports),
        by_level=_counts(Counter(s.level for s in counted if s.level), LEVELS),
        by_question=_counts(questions, QUESTIONS),
        rct_count=len(rcts),
        rct_patients=sum(s.sample_size or 0 for s in rcts),
        longest_followup=_longest(counted, previous),
        studies_24_months=sum((s.followup_months or 0) >= 24 for s in counted),
        studies_60_months=sum((s.followup_months or 0) >= 60 for s in counted),
        reoperations=figures,
        reoperations_found=found,
        timeline=_timeline(grouped),
        safety=_safety(counted, results),
        independence=build_independence([(s.main.article, s.main.evidence) for s in counted]),
        total_reports=len(results),
        awaiting_results=len(grouped) - len(counted),
        rct_reports=reports["rct"],
        followed=followed_studies(counted),
        growth=follow_up_growth(counted, previous),
        tracks=study_tracks(counted),
    )


def summarize(landscape: Landscape, studies: Iterable[Study] = ()) -> dict[str, Any]:
    """What a digest row keeps of its landscape (and of its ``studies``, to tell which grew),
    for the next digest to compare against."""
    longest = landscape.longest_followup
    return {
        "total_studies": landscape.total_studies,
        "total_reports": landscape.total_reports,
        "rct_count": landscape.rct_count,
        "rct_reports": landscape.rct_reports,
        "rct_patients": landscape.rct_patients,
        "studies_24_months": landscape.studies_24_months,
        "studies_60_months": landscape.studies_60_months,
        "longest_followup_months": longest.months if longest else None,
        "longest_followup_pmid": longest.pmid if longest else None,
        "studies": studies_summary(studies),
    }
