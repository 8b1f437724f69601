"""The view model of one digest: everything a template may show, and nothing it must compute.

``digests.compose`` and ``digests.landscape`` fill these frozen records from the database;
``digests.render`` turns them into a mail; the words they show (labels, links, the period) are
``digests.wording``'s. Keeping the view free of SQL and of Jinja2 lets each
side be tested on its own, and keeps templates (which admins may override) free of logic.

Text conventions: ``DigestItem.title_html`` and ``ArticleUpdate.title_html`` are *safe HTML
fragments* as stored on ``watcher.records.Article.title`` (escaped text plus ``<i> <b> <u> <sup>
<sub>``); the renderer re-sanitises them anyway. Every other string is plain text and is escaped
by the HTML template.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from digests import provenance
from digests.safetymodel import Independence, Safety
from digests.studymodel import FollowedStudy, FollowUpGrowth, StudyNote, StudyTrack
from digests.wording import (
    SECTION_NOTES,
    SECTION_TITLES,
    clip,
    design_label,
    doi_url,
    level_label,
    period_label,
    pmc_url,
    pubmed_url,
    sponsorship_label,
)
from watcher.records import plain_text

if TYPE_CHECKING:
    from digests.trials import TrialsView

Kind = Literal["baseline", "update", "nothing_new"]
UpdateKind = Literal["retracted", "erratum", "updated"]

KINDS: tuple[str, ...] = ("baseline", "update", "nothing_new")
UPDATE_KINDS: tuple[str, ...] = ("retracted", "erratum", "updated")


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


@dataclass(frozen=True)
class Quote:
    """The words behind one tag: ``key`` is a question key, or "relevance" for the words that
    name the procedure; ``text`` is shown as is ("…" marks where it was cut)."""

    key: str
    text: str
    source: str  # "title" | "abstract" | "mesh" | "keywords" | "publication_type"


@dataclass(frozen=True)
class DigestItem:
    """One study as a surgeon sees it: what it is, why it was included, where to read it.

    ``quotes`` hold the words behind each question's tag and behind its relevance, so the
    "Why included" line under a question quotes that question's own evidence; the
    ``*_source`` fields say where the design, follow-up and sample size were read.
    """

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
    trial_note: str = ""  # the registered trial it reports (digests.trials.trial_note)
    found_by_citation: tuple[str, ...] = ()  # key papers it cites, when no saved search matches
    sponsorship: str = "not_stated"  # a key of watcher.vocabulary.SPONSORSHIP
    sponsorship_note: str = ""  # the funding or disclosure words behind it, quoted
    harms: tuple[str, ...] = ()  # "Hematoma or bleeding: 1 patient; serious; needed surgery"
    against: tuple[str, ...] = ()  # labels of findings against the procedure
    relevance: str = "relevant"  # or "uncertain": shown apart, in its own section
    quotes: tuple[Quote, ...] = ()
    design_source: str | None = None  # None: nothing stated the design
    followup_source: str | None = None
    sample_size_source: str | None = None
    study: StudyNote | None = None  # when the paper is one of several reports of a study

    @property
    def title_text(self) -> str:
        return plain_text(self.title_html)

    @property
    def design_label(self) -> str:
        """The design, or "Design not stated" when nothing in the record states one."""
        if self.design == "other" and self.design_source is None:
            return "Design not stated"
        return design_label(self.design)

    @property
    def sponsorship_label(self) -> str:
        return sponsorship_label(self.sponsorship)

    @property
    def facts(self) -> tuple[str, ...]:
        """Level, design, follow-up and n as shown ("n not stated" where a study of its own
        patients does not say)."""
        return provenance.facts(
            self.level_label, self.design_label, self.design, self.followup_months,
            self.sample_size,
        )  # fmt: skip

    @property
    def sources(self) -> str:
        """Where the tags were read: "Design from PubMed's publication type; ..."."""
        return provenance.sources(
            (
                ("design", self.design_source),
                ("follow-up", self.followup_source if self.followup_months is not None else None),
                ("n", self.sample_size_source if self.sample_size is not None else None),
            )
        )

    def why(self, section: str) -> str:
        """Why the item is listed under ``section`` (the text after "Why included: ")."""
        return provenance.why_included(
            self.quotes,
            section,
            relevant=self.relevance == "relevant",
            harms=self.harms,
            snippet=self.snippet,
        )

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


@dataclass(frozen=True)
class Section:
    """The items that address one question, ordered by level of evidence."""

    key: str
    items: tuple[DigestItem, ...]

    @property
    def title(self) -> str:
        return SECTION_TITLES[self.key]

    @property
    def note(self) -> str:
        """A line under the title ("" for most sections)."""
        return SECTION_NOTES.get(self.key, "")


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
    reports: int = 0  # results reports behind ``count`` studies (0 where papers are not told apart)


@dataclass(frozen=True)
class ReportedFigure:
    """A reoperation figure as a study states it, with its source."""

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
    study: str = ""  # the study's name when it has several reports ("PORTAL-LSS")

    @property
    def pubmed_url(self) -> str:
        return pubmed_url(self.pmid)


@dataclass(frozen=True)
class TimelineYear:
    """One year of the evidence timeline: new studies by design (a study counts in the year of
    its first results report), papers published, the longest follow-up reported that year."""

    year: int
    by_design: tuple[Count, ...]
    longest_followup_months: float | None = None
    reports: int = 0  # papers published that year, later reports of known studies included

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
    reoperations: tuple[ReportedFigure, ...] = ()
    timeline: tuple[TimelineYear, ...] = ()
    safety: Safety = field(default_factory=Safety)
    independence: Independence = field(default_factory=Independence)
    # Counted by study (above), the papers behind them, and studies followed over time.
    total_reports: int = 0  # results reports of the studies counted
    awaiting_results: int = 0  # studies with a published protocol and no results yet (not counted)
    rct_reports: int = 0
    followed: tuple[FollowedStudy, ...] = ()
    growth: tuple[FollowUpGrowth, ...] = ()
    tracks: tuple[StudyTrack, ...] = ()
    # What a digest lists of the lists that grow with the literature (digests.listing): the
    # counts above stay complete, and "and N more" says what is not listed. None: all of it.
    reoperations_found: int = 0  # every reoperation figure found (``reoperations``: the first)
    followed_only: tuple[FollowedStudy, ...] | None = None
    growth_only: tuple[FollowUpGrowth, ...] | None = None

    @property
    def reoperations_more(self) -> int:
        return max(self.reoperations_found - len(self.reoperations), 0)

    @property
    def followed_listed(self) -> tuple[FollowedStudy, ...]:
        return self.followed if self.followed_only is None else self.followed_only

    @property
    def followed_more(self) -> int:
        return len(self.followed) - len(self.followed_listed)

    @property
    def tracks_listed(self) -> tuple[StudyTrack, ...]:
        """The tracks the text part's table spells out: those of the studies listed (the chart
        draws them all)."""
        if self.followed_only is None:
            return self.tracks
        names = {f.name for f in self.followed_only}
        return tuple(t for t in self.tracks if len(t.points) < 2 or t.name in names)

    @property
    def growth_listed(self) -> tuple[FollowUpGrowth, ...]:
        return self.growth if self.growth_only is None else self.growth_only

    @property
    def growth_more(self) -> int:
        return len(self.growth) - len(self.growth_listed)


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
    flagged_more: int = 0  # of ``overflow_count``: harm reports and findings against, not listed
    evidence_url: str | None = None  # the web evidence map, where every study is listed
    admin_note: str | None = None
    landscape: Landscape | None = None
    unsubscribe: str | None = None  # an https URL or a mailto: URI
    preferences: str | None = None  # the subscriber's own preferences page (https), if any
    synthetic: bool = False  # sample data; also true when any item or update is synthetic
    app_name: str = "mildwatch"
    trials: TrialsView | None = None  # "Evidence on its way" (digests.trials)

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
            or (self.trials is not None and self.trials.synthetic)
        )
