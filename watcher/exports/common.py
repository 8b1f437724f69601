"""What every export format says the same way: author names, pages, links, and the evidence
tags as keywords and notes (each tag with the words that justify it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.records import Article, Evidence, Tag
from watcher.vocabulary import DESIGN_LABELS, QUESTION_SHORT

SYNTHETIC_MARK = "[SYNTHETIC]"
SYNTHETIC_NOTE = "SYNTHETIC sample record made for mildwatch: not a real publication."
TAG_PREFIX = "mildwatch"
_INITIALS = re.compile(r"[A-Z]{1,4}")


@dataclass(frozen=True)
class Row:
    """One exported article and its evidence (None when not yet classified)."""

    article: Article
    evidence: Evidence | None

    @property
    def synthetic(self) -> bool:
        return self.article.plain_title.startswith(SYNTHETIC_MARK)


def split_author(name: str) -> tuple[str, str]:
    """PubMed's "García-López MJ" → ("García-López", "MJ"); a group name stays whole
    ("MILD Outcomes Study Group", "")."""
    last, _, initials = name.rpartition(" ")
    if last and _INITIALS.fullmatch(initials):
        return last, initials
    return name, ""


def page_range(pages: str) -> tuple[str, str]:
    """MEDLINE's shortened pages to first and last page: "229-42" → ("229", "242"),
    "E431-42" → ("E431", "E442"); one page or "" stays as it is."""
    first, _, last = pages.partition("-")
    first, last = first.strip(), last.strip()
    if first and last and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return first, last


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def _months(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + " months"


def tagged(evidence: Evidence) -> list[tuple[str, str, Tag | None]]:
    """Each evidence tag as (kind, wording, tag): what keywords and notes are made of."""
    out: list[tuple[str, str, Tag | None]] = [
        ("relevance", evidence.relevance.replace("_", " "), evidence.relevance_tag),
        ("design", DESIGN_LABELS.get(evidence.design, evidence.design), evidence.design_tag),
    ]
    if evidence.level:
        out.append(("level", f"Level {evidence.level}", evidence.design_tag))
    if evidence.followup_months is not None:
        out.append(("follow-up", _months(evidence.followup_months), evidence.followup_tag))
    if evidence.sample_size is not None:
        out.append(("patients", str(evidence.sample_size), evidence.sample_size_tag))
    for tag in evidence.questions:
        out.append(("question", QUESTION_SHORT.get(str(tag.value), str(tag.value)), tag))
    for kind, tags in (("comparator", evidence.comparators), ("outcome", evidence.outcomes),
                       ("complication", evidence.complications),
                       ("reoperation", evidence.reoperations)):  # fmt: skip
        out.extend((kind, str(tag.value), tag) for tag in tags)
    return out


def evidence_keywords(evidence: Evidence | None) -> list[str]:
    """ "mildwatch design: Randomized controlled trial", one per tag, each once."""
    if evidence is None:
        return []
    words = [f"{TAG_PREFIX} {kind}: {wording}" for kind, wording, _ in tagged(evidence)]
    return list(dict.fromkeys(words))


def evidence_notes(evidence: Evidence | None) -> list[str]:
    """One note per tag with its snippet and where it was read, and who assigned it."""
    if evidence is None:
        return []
    notes = [
        f"{TAG_PREFIX} evidence tags, assigned automatically (classifier "
        f"{evidence.classifier_version}, profile {evidence.profile_version}); read the paper."
    ]
    for kind, wording, tag in tagged(evidence):
        if tag is not None:
            notes.append(f'{TAG_PREFIX} {kind}: {wording} ({tag.source}: "{tag.snippet}")')
    return notes
