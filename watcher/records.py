"""The records that flow through the pipeline: plain frozen dataclasses, no behaviour beyond
small derived views.

Text fields (``title``, abstract section ``text``) are *safe HTML fragments*: the text is
HTML-escaped and the only tags are PubMed's inline markup from an allow-list (i, b, u, sup,
sub). Templates may mark them ``|safe``; everything else (classifier, plain-text email,
terminal) uses :func:`plain_text`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from watcher.markup import INLINE_TAGS as INLINE_TAGS  # the allow-list, re-exported
from watcher.markup import fragment_text


def plain_text(fragment: str) -> str:
    """A safe HTML fragment as plain, readable text (tags dropped, entities decoded)."""
    return fragment_text(fragment)


@dataclass(frozen=True)
class AbstractSection:
    """One paragraph of an abstract; ``label`` is e.g. "METHODS", or "" when unstructured."""

    label: str
    text: str


@dataclass(frozen=True)
class Correction:
    """A CommentsCorrections link, e.g. ``RetractionIn`` or ``ErratumIn``."""

    ref_type: str
    source: str
    pmid: str | None = None


@dataclass(frozen=True)
class Article:
    """One PubMed record, as parsed from PubMed XML or MEDLINE text.

    Dates are ISO-8601 strings, partial where PubMed is partial ("2019", "2019-01",
    "2019-01-15"). ``pub_date_text`` keeps PubMed's own wording (e.g. "2019 Jan-Feb").
    """

    pmid: str
    title: str
    abstract: tuple[AbstractSection, ...] = ()
    authors: tuple[str, ...] = ()
    journal: str = ""
    journal_abbrev: str = ""
    pub_date: str | None = None
    pub_year: int | None = None
    pub_date_text: str = ""
    entrez_date: str | None = None
    create_date: str | None = None
    revised_date: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    publication_types: tuple[str, ...] = ()
    mesh_terms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    corrections: tuple[Correction, ...] = ()
    retracted: bool = False
    source_format: str = "pubmed-xml"
    raw: str = field(default="", repr=False, compare=False)

    @property
    def plain_title(self) -> str:
        return plain_text(self.title)

    @property
    def plain_abstract(self) -> str:
        """The abstract as one plain string, section labels kept as "LABEL: text"."""
        parts = []
        for section in self.abstract:
            text = plain_text(section.text)
            parts.append(f"{section.label}: {text}" if section.label else text)
        return "\n".join(parts)

    @property
    def errata(self) -> tuple[Correction, ...]:
        return tuple(c for c in self.corrections if c.ref_type == "ErratumIn")

    def content_hash(self) -> str:
        """A digest of what a reader would see; a change means an ``updated`` event.

        The raw XML is left out: PubMed rewrites it for changes nobody reads (history
        timestamps, indexing status).
        """
        data = asdict(self)
        data.pop("raw")
        data.pop("source_format")
        encoded = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Search:
    """A saved PubMed search a librarian maintains."""

    id: int
    name: str
    query: str
    description: str = ""
    enabled: bool = True
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class SearchRevision:
    revision: int
    query: str
    description: str
    enabled: bool
    changed_at: str
    author: str
    reason: str


@dataclass(frozen=True)
class PollState:
    """Where a search's polling stands. ``watermark`` is the last day fully polled (YYYY/MM/DD)."""

    search_id: int
    watermark: str | None = None
    last_attempt_at: str | None = None
    last_success_at: str | None = None
    last_count: int | None = None
    last_translation: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True)
class Run:
    id: int
    kind: str
    started_at: str
    finished_at: str | None
    status: str
    counts: dict[str, int]
    error: str | None


@dataclass(frozen=True)
class ArticleEvent:
    """Something that happened to a stored article: new, updated, retracted, erratum."""

    pmid: str
    kind: str
    at: str
    detail: str = ""
    run_id: int | None = None
