"""The view model of one digest: everything a template may show, and nothing it must compute.

``digests.compose`` and ``digests.landscape`` fill these frozen records from the database;
``digests.render`` turns them into a mail. Keeping the view free of SQL and of Jinja2 lets each
side be tested on its own, and keeps templates (which admins may override) free of logic.

Text conventions: ``DigestItem.title_html`` and ``ArticleUpdate.title_html`` are *safe HTML
fragments* as stored on ``watcher.records.Article.title`` (escaped text plus ``<i> <b> <u> <sup>
<sub>``); the renderer re-sanitises them anyway. Every other string is plain text and is escaped
by the HTML template.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import quote

from watcher.records import plain_text
from watcher.vocabulary import DESIGN_LABELS, LEVELS, QUESTION_SHORT, QUESTION_TITLES

Kind = Literal["baseline", "update", "nothing_new"]
UpdateKind = Literal["retracted", "erratum", "updated"]

KINDS: tuple[str, ...] = ("baseline", "update", "nothing_new")
UPDATE_KINDS: tuple[str, ...] = ("retracted", "erratum", "updated")

# Digest sections: one per question, in the vocabulary's order, then the rest under "other".
OTHER_SECTION = "other"
SECTION_TITLES: dict[str, str] = {**QUESTION_TITLES, OTHER_SECTION: "Other evidence"}
SECTION_ORDER: tuple[str, ...] = tuple(SECTION_TITLES)

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


def level_label(level: str | None) -> str:
    return f"Level {level}" if level else "Level not graded"


def level_rank(level: str | None) -> int:
    """Sort key: Level I first, ungraded last."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


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


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class Period:
    """The dates a digest covers (inclusive) and how to say them ("Week of 16 Nov 2026")."""

    start: date
    end: date
    label: str

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        return cls(start, end, period_label(start, end))


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


@dataclass(frozen=True)
class DigestItem:
    """One study as a surgeon sees it: what it is, why it was included, where to read it."""

    pmid: str
    title_html: str
    journal: str
    year: int | None
    authors: str  # "Deer TR et al." (first author et al.), "" when PubMed lists none
    design: str  # a key of watcher.vocabulary.DESIGNS
    level: str | None  # "I".."V", None when not graded
    snippet: str  # plain text behind the tags, ≤ ~200 characters
    followup_months: float | None = None
    sample_size: int | None = None
    questions: tuple[str, ...] = ()
    doi: str | None = None
    pmcid: str | None = None
    synthetic: bool = False

    @property
    def title_text(self) -> str:
        return plain_text(self.title_html)

    @property
    def design_label(self) -> str:
        return design_label(self.design)

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    @property
    def short_snippet(self) -> str:
        return clip(self.snippet)

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)

    @property
    def links(self) -> tuple[Link, ...]:
        links = [Link("PubMed", pubmed_url(self.pmid))]
        if self.doi:
            links.append(Link("DOI", doi_url(self.doi)))
        if self.pmcid:
            links.append(Link("Free full text (PMC)", pmc_url(self.pmcid)))
        return tuple(links)


def item_sort_key(item: DigestItem) -> tuple[int, float, int, int, str]:
    """Strongest evidence first: level, then longer follow-up, larger n, newer year."""
    return (
        level_rank(item.level),
        -(item.followup_months or 0.0),
        -(item.sample_size or 0),
        -(item.year or 0),
        item.pmid,
    )


@dataclass(frozen=True)
class Section:
    """The items that address one question, ordered by level of evidence."""

    key: str
    items: tuple[DigestItem, ...]

    @property
    def title(self) -> str:
        return SECTION_TITLES[self.key]


def group_sections(items: Iterable[DigestItem]) -> tuple[Section, ...]:
    """Group items by question, each item once (under its first question in SECTION_ORDER).

    An item tagged with several questions is shown once, where it weighs most; its other
    questions appear as tags on the item. Sections come in SECTION_ORDER, empty ones dropped.
    """
    buckets: dict[str, list[DigestItem]] = {key: [] for key in SECTION_ORDER}
    seen: set[str] = set()
    for item in items:
        if item.pmid in seen:
            continue
        seen.add(item.pmid)
        key = next((q for q in SECTION_ORDER if q in item.questions), OTHER_SECTION)
        buckets[key].append(item)
    return tuple(
        Section(key, tuple(sorted(found, key=item_sort_key)))
        for key, found in buckets.items()
        if found
    )


@dataclass(frozen=True)
class ArticleUpdate:
    """A change to a paper the subscriber already received; ``what_changed`` says it in words."""

    pmid: str
    title_html: str
    kind: UpdateKind
    what_changed: str
    notice_pmid: str | None = None  # the retraction notice or erratum, when PubMed links one
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.kind not in UPDATE_KINDS:
            raise ValueError(f"ArticleUpdate.kind must be one of {UPDATE_KINDS}, not {self.kind!r}")

    @property
    def title_text(self) -> str:
        return plain_text(self.title_html)

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)

    @property
    def notice_url(self) -> str | None:
        return pubmed_url(self.notice_pmid) if self.notice_pmid else None


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class ReportedFigure:
    """A complication or reoperation figure as a study states it, with its source."""

    text: str  # e.g. "2 of 302 patients (0.7%) had subsequent open surgery"
    pmid: str
    citation: str  # e.g. "Deer TR et al. 2024"

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True)
class LongestFollowUp:
    months: float
    pmid: str
    citation: str
    grew: bool = False  # longer than at the subscriber's previous digest
    previous_months: float | None = None

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True)
class TimelineYear:
    """One year of the evidence timeline: studies published by design, longest follow-up."""

    year: int
    by_design: tuple[Count, ...]
    longest_followup_months: float | None = None

    @property
    def total(self) -> int:
        return sum(c.count for c in self.by_design)


@dataclass(frozen=True)
class Landscape:
    """How the evidence stands as a whole (not just this period's items)."""

    total_studies: int
    by_design: tuple[Count, ...] = ()
    by_level: tuple[Count, ...] = ()
    by_question: tuple[Count, ...] = ()
    rct_count: int = 0
    rct_patients: int = 0
    longest_followup: LongestFollowUp | None = None
    studies_24_months: int = 0
    studies_60_months: int = 0
    complications: tuple[ReportedFigure, ...] = ()
    reoperations: tuple[ReportedFigure, ...] = ()
    timeline: tuple[TimelineYear, ...] = ()


@dataclass(frozen=True)
class DigestView:
    """One digest for one subscriber and period, ready to render."""

    recipient: Recipient
    period: Period
    kind: Kind
    headline: str
    sections: tuple[Section, ...] = ()
    updates: tuple[ArticleUpdate, ...] = ()
    overflow_count: int = 0
    overflow_url: str | None = None  # where the rest can be read, e.g. a PubMed search
    admin_note: str | None = None
    landscape: Landscape | None = None
    unsubscribe: str | None = None  # an https URL or a mailto: URI
    synthetic: bool = False  # sample data; also true when any item or update is synthetic
    app_name: str = "mildwatch"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"DigestView.kind must be one of {KINDS}, not {self.kind!r}")
        if self.overflow_count < 0:
            raise ValueError("DigestView.overflow_count cannot be negative")

    @property
    def items(self) -> Iterator[DigestItem]:
        for section in self.sections:
            yield from section.items

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def is_synthetic(self) -> bool:
        """Show the SYNTHETIC SAMPLE DATA banner: one fake record taints the whole mail."""
        return (
            self.synthetic
            or any(item.synthetic for item in self.items)
            or any(update.synthetic for update in self.updates)
        )


def make_headline(
    kind: Kind,
    new_count: int,
    landscape: Landscape | None,
    *,
    retracted_count: int = 0,
) -> str:
    """The one line a surgeon reads first: "2 new studies; longest follow-up now 60 months"."""
    parts: list[str] = []
    if kind == "baseline":
        total = landscape.total_studies if landscape else new_count
        parts.append(f"Where the evidence stands: {plural(total, 'study', 'studies')}")
    elif kind == "update" and new_count:
        parts.append(plural(new_count, "new study", "new studies"))
    else:
        parts.append("No new studies")
    longest = landscape.longest_followup if landscape else None
    if longest is not None:
        word = "now " if longest.grew and kind != "baseline" else ""
        parts.append(f"longest follow-up {word}{format_months(longest.months)}")
    if retracted_count:
        parts.append(plural(retracted_count, "retraction"))
    return "; ".join(parts)
