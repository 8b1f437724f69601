"""How the evidence stands: pure functions from (Article, Evidence) pairs to the view model,
``build_landscape`` for the whole body of evidence, ``make_item`` for one study and
``group_sections`` for a digest's items under their questions, strongest first.

Only studies count: retracted papers and the notices that retract or correct others are left
out (a retracted trial is not evidence, and an erratum is not a study). The landscape of each
digest is kept with it (``summarize``), so the next one can say what changed, e.g. that the
longest follow-up grew from 24 to 60 months.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from digests.model import (
    Count,
    DigestItem,
    Landscape,
    LongestFollowUp,
    Quote,
    ReportedFigure,
    Section,
    TimelineYear,
)
from digests.provenance import shown_quote
from digests.safety import build_independence, build_safety, item_balance
from digests.wording import OTHER_SECTION, SECTION_ORDER, UNCERTAIN_SECTION, clip
from watcher.records import Article, Evidence, Tag, plain_text
from watcher.vocabulary import DESIGNS, LEVELS, NUMBER_WORDS, QUESTIONS

# PubMed publication types of records that are about another record, not studies themselves.
NOTICE_TYPES = frozenset(
    {"Published Erratum", "Retraction of Publication", "Expression of Concern"}
)
FIGURES_SHOWN = 6  # reoperation statements, strongest studies first
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


def is_notice(article: Article) -> bool:
    """A retraction notice, erratum or expression of concern (not a study)."""
    return any(t in NOTICE_TYPES for t in article.publication_types)


def counts_as_evidence(article: Article) -> bool:
    return not article.retracted and not is_notice(article)


def first_author(article: Article) -> str:
    """ "Deer TR et al.", "Deer TR", or "" when PubMed lists no author."""
    if not article.authors:
        return ""
    return article.authors[0] + (" et al." if len(article.authors) > 1 else "")


def citation(article: Article) -> str:
    """A short source: "Deer TR et al. 2024" (journal when there is no author)."""
    who = first_author(article) or article.journal_abbrev or article.journal or "PMID"
    year = article.pub_year or (article.pub_date or "")[:4]
    return f"{who} {year}".strip() if year else who


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
    article: Article, evidence: Evidence, found_by_citation: tuple[str, ...] = ()
) -> DigestItem:
    """One study as the digest shows it (``found_by_citation``: the key papers it cites, when
    only citation tracking found it)."""
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


def _counts(counter: Counter[str], order: Sequence[str]) -> tuple[Count, ...]:
    known = [Count(key, counter[key]) for key in order if counter[key]]
    extra = [Count(key, counter[key]) for key in sorted(set(counter) - set(order))]
    return tuple(known + extra)


def _longest(studies: Sequence[Pair], previous: Mapping[str, Any] | None) -> LongestFollowUp | None:
    with_followup = [p for p in studies if p[1].followup_months is not None]
    if not with_followup:
        return None
    article, evidence = min(with_followup, key=strength_by_followup)
    months = float(evidence.followup_months or 0.0)
    previous_months = previous.get("longest_followup_months") if previous else None
    grew = previous is not None and months > float(previous_months or 0.0)
    return LongestFollowUp(
        months=months,
        pmid=article.pmid,
        citation=citation(article),
        grew=grew,
        previous_months=float(previous_months) if previous_months is not None else None,
    )


def strength_by_followup(pair: Pair) -> tuple[float, int, int, str]:
    """Longest follow-up first; ties go to the stronger study."""
    article, evidence = pair
    return (
        -(evidence.followup_months or 0.0),
        level_rank(evidence.level),
        -(evidence.sample_size or 0),
        article.pmid,
    )


def _figures(studies: Sequence[Pair], field: str, limit: int) -> tuple[ReportedFigure, ...]:
    """Statements that give a count, a rate or say "none", with their source; one per
    sentence, from the strongest studies first."""
    figures: list[ReportedFigure] = []
    seen: set[str] = set()
    for article, evidence in sorted(studies, key=strength):
        tags: tuple[Tag, ...] = getattr(evidence, field)
        for tag in tags:
            text = clip(tag.snippet or str(tag.value))
            if not _FIGURE.search(str(tag.value)) or text.lower() in seen:
                continue
            seen.add(text.lower())
            figures.append(ReportedFigure(text, article.pmid, citation(article)))
            if len(figures) >= limit:
                return tuple(figures)
    return tuple(figures)


def _timeline(studies: Sequence[Pair]) -> tuple[TimelineYear, ...]:
    years: dict[int, list[Evidence]] = {}
    for article, evidence in studies:
        if article.pub_year:
            years.setdefault(article.pub_year, []).append(evidence)
    timeline = []
    for year in sorted(years):
        found = years[year]
        followups = [e.followup_months for e in found if e.followup_months is not None]
        timeline.append(
            TimelineYear(
                year=year,
                by_design=_counts(Counter(e.design for e in found), DESIGNS),
                longest_followup_months=max(followups) if followups else None,
            )
        )
    return tuple(timeline)


def build_landscape(
    pairs: Iterable[Pair],
    *,
    previous: Mapping[str, Any] | None = None,
    figures_limit: int = FIGURES_SHOWN,
) -> Landscape:
    """The landscape of ``pairs`` (each article once); ``previous`` is the ``summarize()`` of
    the subscriber's last digest, or None for a first digest."""
    unique = {article.pmid: (article, evidence) for article, evidence in pairs}
    studies = [unique[pmid] for pmid in sorted(unique) if counts_as_evidence(unique[pmid][0])]
    evidence = [e for _, e in studies]
    rcts = [e for e in evidence if e.design == "rct"]
    questions = Counter(q for e in evidence for q in set(e.question_keys))
    return Landscape(
        total_studies=len(studies),
        by_design=_counts(Counter(e.design for e in evidence), DESIGNS),
        by_level=_counts(Counter(e.level for e in evidence if e.level), LEVELS),
        by_question=_counts(questions, QUESTIONS),
        rct_count=len(rcts),
        rct_patients=sum(e.sample_size or 0 for e in rcts),
        longest_followup=_longest(studies, previous),
        studies_24_months=sum((e.followup_months or 0) >= 24 for e in evidence),
        studies_60_months=sum((e.followup_months or 0) >= 60 for e in evidence),
        reoperations=_figures(studies, "reoperations", figures_limit),
        timeline=_timeline(studies),
        safety=build_safety(sorted(studies, key=strength), citation),
        independence=build_independence(studies),
    )


def summarize(landscape: Landscape) -> dict[str, Any]:
    """What a digest row keeps of its landscape, for the next digest to compare against."""
    longest = landscape.longest_followup
    return {
        "total_studies": landscape.total_studies,
        "rct_count": landscape.rct_count,
        "rct_patients": landscape.rct_patients,
        "studies_24_months": landscape.studies_24_months,
        "studies_60_months": landscape.studies_60_months,
        "longest_followup_months": longest.months if longest else None,
        "longest_followup_pmid": longest.pmid if longest else None,
    }
