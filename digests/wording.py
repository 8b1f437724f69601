"""How a digest words things: labels of designs, levels and questions, months, plurals, links,
citations, clipped snippets, the period and the headline, and the footer's disclaimers.

Labels come from ``watcher.vocabulary``; this module adds only what a digest says around them
(the "other" section, how an unknown key is shown). Used by the view model's properties, the
templates' filters (``digests.render``) and the command line's text views.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

from watcher.records import Article
from watcher.vocabulary import (
    DESIGN_LABELS,
    HARM_LABELS,
    QUESTION_SHORT,
    QUESTION_TITLES,
    SPONSORSHIP_LABELS,
)

if TYPE_CHECKING:
    from digests.model import Kind, Landscape

# Digest sections: one per question, in the vocabulary's order, then the rest under "other",
# and last, apart, what the classifier is unsure is about the procedure at all.
TEXT_WIDTH = 72  # columns of the text part: readable in any mail client, quoted or not
OTHER_SECTION = "other"
UNCERTAIN_SECTION = "uncertain"
SECTION_TITLES: dict[str, str] = {
    **QUESTION_TITLES,
    OTHER_SECTION: "Other evidence",
    UNCERTAIN_SECTION: "Possibly about the procedure: check before relying on these",
}
SECTION_ORDER: tuple[str, ...] = tuple(SECTION_TITLES)
SECTION_NOTES: dict[str, str] = {
    UNCERTAIN_SECTION: (
        "The classifier is not sure these papers are about the procedure itself: they name "
        "it only in passing, or by a name other operations share. Each quotes the words it "
        "found."
    ),
}
NLM_DISCLAIMER = (
    "This product uses publicly available data from the U.S. National Library of Medicine "
    "(NLM), National Institutes of Health. NLM is not responsible for the product and does not "
    "endorse or recommend this or any other product."
)
MEDICAL_DISCLAIMER = (
    "Not medical advice: evidence tags are assigned automatically and may be wrong; "
    "check the source."
)
SNIPPET_LIMIT = 200


def _unknown(key: str) -> str:
    """A key this version's vocabulary lacks (evidence stored by another classifier version)
    is shown as it is, not hidden: "registry_study" → "Registry study"."""
    return key.replace("_", " ").capitalize()


def design_label(design: str) -> str:
    """The human label of a design key."""
    return DESIGN_LABELS.get(design, _unknown(design))


def question_title(key: str) -> str:
    """The heading of a question (or of the "other" section)."""
    return SECTION_TITLES.get(key, _unknown(key))


def question_short(key: str) -> str:
    """A tag-sized name: "long-term efficacy"."""
    return QUESTION_SHORT.get(key, key.replace("_", " "))


def harm_label(kind: str) -> str:
    """ "Hematoma or bleeding"."""
    return HARM_LABELS.get(kind, _unknown(kind))


def lower_first(label: str) -> str:
    """A label inside a sentence: "Dural tear or CSF leak" → "dural tear or CSF leak"
    (an acronym first, "CSF leak", stays as it is)."""
    head = label.split(" ", 1)[0]
    return label if head.isupper() and len(head) > 1 else label[:1].lower() + label[1:]


def sponsorship_label(value: str) -> str:
    """The badge: "Industry", "Independent", "Funding not stated"."""
    return SPONSORSHIP_LABELS.get(value, _unknown(value))


def level_label(level: str | None) -> str:
    return f"Level {level}" if level else "Level not graded"


def format_months(months: float | None) -> str:
    """``60.0`` → "60 months", ``6.4`` → "6.4 months", ``1`` → "1 month"."""
    if months is None:
        return "not reported"
    value = f"{months:.1f}".removesuffix(".0")
    return f"{value} month" if value == "1" else f"{value} months"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``plural(2, "study", "studies")`` → "2 studies"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


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


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{quote(pmid, safe='')}/"


def doi_url(doi: str) -> str:
    return f"https://doi.org/{quote(doi, safe='/')}"


def pmc_url(pmcid: str) -> str:
    pmcid = pmcid if pmcid.upper().startswith("PMC") else f"PMC{pmcid}"
    return f"https://pmc.ncbi.nlm.nih.gov/articles/{quote(pmcid, safe='')}/"


def clip(text: str, limit: int = SNIPPET_LIMIT) -> str:
    """Shorten to ``limit`` characters at a word boundary, with an ellipsis.

    Snippets stay short on purpose: abstracts may be copyrighted, and the link has the rest.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.") + "…"


def period_label(start: date, end: date) -> str:
    """A short human label: a week, a calendar month, a day or a plain range."""
    if start == end:
        return f"{start.day} {start:%b %Y}"
    if (end - start).days == 6:
        return f"Week of {start.day} {start:%b %Y}"
    last_day = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and end == start.replace(day=last_day):
        return f"{start:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def make_headline(
    kind: Kind,
    new_count: int,
    landscape: Landscape | None,
    *,
    retracted_count: int = 0,
    later_reports: int = 0,
) -> str:
    """The one line a surgeon reads first: "2 new studies; longest follow-up now 60 months".

    ``later_reports`` of the ``new_count`` papers report studies already known (a trial's
    2-year results): they are said apart, not counted as new studies.
    """
    parts: list[str] = []
    if kind == "baseline":
        total = landscape.total_studies if landscape else new_count
        parts.append(f"Where the evidence stands: {plural(total, 'study', 'studies')}")
    elif kind == "update" and new_count:
        if new_count > later_reports:
            parts.append(plural(new_count - later_reports, "new study", "new studies"))
        if later_reports:
            parts.append(
                plural(later_reports, "new report of a known study", "new reports of known studies")
            )
    else:
        parts.append("No new studies")
    longest = landscape.longest_followup if landscape else None
    if longest is not None:
        word = "now " if longest.grew and kind != "baseline" else ""
        parts.append(f"longest follow-up {word}{format_months(longest.months)}")
    if retracted_count:
        parts.append(plural(retracted_count, "retraction"))
    return "; ".join(parts)
