"""What each of a study's tags rests on, as a digest item says it: where the design, follow-up
and sample size were read ("Design from PubMed's publication type; follow-up and n from the
abstract's words."), "not stated" where the classifier found nothing, why the study is listed
under a question (the words behind that question's tag), and quotes marked "…" where they
were cut out of a longer sentence.

Pure functions over plain values: ``digests.landscape`` calls :func:`shown_quote` while it
builds an item from the article, and ``digests.model.DigestItem`` words its facts, sources and
"Why included" line with the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from digests.wording import clip, format_months, question_short

if TYPE_CHECKING:
    from digests.model import Quote

# Where a tag came from, as a reader would say it.
SOURCE_NAMES: dict[str, str] = {
    "publication_type": "PubMed's publication type",
    "title": "the title",
    "abstract": "the abstract's words",
    "mesh": "PubMed's MeSH terms",
    "keywords": "the authors' keywords",
}
# Designs that report patients of their own: for these a missing follow-up or sample size is
# "not stated" (a review or a guideline has none to state).
PRIMARY_DESIGNS = frozenset(
    {"rct", "prospective_cohort", "retrospective_cohort", "case_series", "case_report"}
)


def source_name(source: str | None) -> str:
    """ "publication_type" → "PubMed's publication type"."""
    return SOURCE_NAMES.get(source or "", source or "")


def shown_quote(snippet: str, texts: Sequence[str]) -> str:
    """A snippet as a reader should see it: with "…" where it was cut out of a sentence.

    ``texts`` are the plain texts it was taken from (the title, the abstract's sections);
    a snippet that starts or ends inside a sentence of one of them is marked at that end.
    A snippet found in none is marked where its own punctuation says it is unfinished.
    """
    snippet = " ".join(snippet.split())
    if not snippet:
        return ""
    cut_left, cut_right = snippet[0].islower(), snippet[-1] not in ".!?)\"'…"
    for text in (" ".join(t.split()) for t in texts):
        at = text.find(snippet)
        if at != -1:
            before, after = text[:at].rstrip(), text[at + len(snippet) :].lstrip()
            cut_left = bool(before) and before[-1] not in ".!?:"
            cut_right = bool(after) and snippet[-1] not in ".!?"
            break
    return ("…" if cut_left else "") + snippet + ("…" if cut_right else "")


def facts(
    level: str, design: str, design_key: str, followup_months: float | None, n: int | None
) -> tuple[str, ...]:
    """Level, design, follow-up and n as an item's first line shows them; a study of its own
    patients that states no follow-up or n says so rather than leaving it out."""
    shown = [level, design]
    primary = design_key in PRIMARY_DESIGNS
    if followup_months is not None:
        shown.append(f"{format_months(followup_months)} follow-up")
    elif primary:
        shown.append("follow-up not stated")
    if n is not None:
        shown.append(f"n={n:,}")
    elif primary:
        shown.append("n not stated")
    return tuple(shown)


def sources(read: Sequence[tuple[str, str | None]]) -> str:
    """[("design", "publication_type"), ("follow-up", "abstract"), ("n", "abstract")] →
    "Design from PubMed's publication type; follow-up and n from the abstract's words."
    (a None source is a tag not read; "" when none was)."""
    by_source: dict[str, list[str]] = {}
    for what, source in read:
        if source:
            by_source.setdefault(source_name(source), []).append(what)
    if not by_source:
        return ""
    text = "; ".join(f"{_listed(whats)} from {where}" for where, whats in by_source.items())
    return text[0].upper() + text[1:] + "."


def _listed(words: list[str]) -> str:
    """["design", "follow-up", "n"] → "design, follow-up and n"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def why_included(
    quotes: Sequence[Quote],
    section: str,
    *,
    relevant: bool,
    harms: Sequence[str] = (),
    snippet: str = "",
) -> str:
    """Why a study is listed under ``section`` (the text after "Why included: "): the words
    behind that question's tag (under safety, for a study listed there for a harm it
    reports, that harm); in the "other" and "uncertain" sections, the words that name the
    procedure. A title is pointed to, not repeated; an indexing term is named."""
    quote = next((q for q in quotes if q.key == section), None)
    lead = ""
    if quote is None and section == "safety" and harms:
        return f"it reports a harm: {harms[0]}"
    if quote is None:
        quote = next((q for q in quotes if q.key == "relevance"), None)
        lead = "it names the procedure: " if relevant else "it says: "
    if quote is None:
        return f'"{clip(snippet)}"' if snippet else "its PubMed record was tagged"
    if quote.source in ("mesh", "keywords", "publication_type"):
        tag = question_short(section) if quote.key == section else "the procedure"
        return f'{source_name(quote.source)} list "{quote.text}" ({tag})'
    if quote.source == "title":
        return f"{lead}its title, above"
    return f'{lead}"{clip(quote.text)}" ({quote.source})'
