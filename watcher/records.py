"""The records that flow through the pipeline: plain frozen dataclasses, no behaviour beyond
small derived views. The classifier's output (:class:`Evidence`, :class:`Tag`) is here too, so
the store and the digests read it without importing the classifier.

Text fields (``title``, abstract section ``text``) are *safe HTML fragments*: the text is
HTML-escaped and the only tags are PubMed's inline markup from an allow-list (i, b, u, sup,
sub). Templates may mark them ``|safe``; everything else (classifier, plain-text email,
terminal) uses :func:`plain_text`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

from watcher.markup import INLINE_TAGS as INLINE_TAGS  # the allow-list, re-exported
from watcher.markup import fragment_text
from watcher.registryids import normalize_id, registry_ids_in, registry_of


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
class DataBankEntry:
    """One accession number PubMed lists under ``DataBankList`` (MEDLINE ``SI``): a trial
    registration ("ClinicalTrials.gov", "NCT01234567"), or a gene bank or data repository."""

    bank: str
    accession: str


@dataclass(frozen=True)
class Grant:
    """One ``GrantList`` entry (MEDLINE ``GR``): who funded the work."""

    agency: str
    grant_id: str = ""
    acronym: str = ""
    country: str = ""


@dataclass(frozen=True)
class TrialRegistration:
    """A trial registration number an article carries, and where it was found."""

    registry: str  # "ClinicalTrials.gov", "ISRCTN", … (watcher.registryids)
    id: str  # canonical spelling, e.g. "NCT01234567"
    source: str  # "databank" (PubMed's DataBankList) | "title" | "abstract"


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
    # Added after the first release: empty values are left out of content_hash(), so records
    # stored before them keep their hash (see _LATER_FIELDS).
    volume: str = ""
    issue: str = ""
    pages: str = ""  # PubMed's MedlinePgn, e.g. "229-42" or "E431-E442"
    databanks: tuple[DataBankEntry, ...] = ()
    coi_statement: str = ""  # the authors' conflict-of-interest statement, plain text
    grants: tuple[Grant, ...] = ()

    # The plain texts are read by the classifier, the study grouping and the registration
    # finder of the same record in turn: made once each (cached on the instance; a frozen
    # dataclass's fields never change, and replace() makes a new instance).
    @functools.cached_property
    def plain_title(self) -> str:
        return plain_text(self.title)

    @functools.cached_property
    def plain_sections(self) -> tuple[str, ...]:
        """Each abstract section's text as plain text, in order."""
        return tuple(plain_text(section.text) for section in self.abstract)

    @property
    def plain_abstract(self) -> str:
        """The abstract as one plain string, section labels kept as "LABEL: text"."""
        return "\n".join(
            f"{section.label}: {text}" if section.label else text
            for section, text in zip(self.abstract, self.plain_sections, strict=True)
        )

    @property
    def errata(self) -> tuple[Correction, ...]:
        return tuple(c for c in self.corrections if c.ref_type == "ErratumIn")

    @property
    def trial_registrations(self) -> tuple[TrialRegistration, ...]:
        """Trial registration numbers from PubMed's DataBankList, then those the title and
        abstract mention, each id once (the first source that names it wins)."""
        found: dict[str, TrialRegistration] = {}
        for entry in self.databanks:
            registry = registry_of(entry.bank, entry.accession)
            if registry:
                number = normalize_id(registry, entry.accession)
                found.setdefault(number, TrialRegistration(registry, number, "databank"))
        for source, text in (("title", self.plain_title), ("abstract", self.plain_abstract)):
            for registry, number in registry_ids_in(text):
                found.setdefault(number, TrialRegistration(registry, number, source))
        return tuple(found.values())

    def content_hash(self) -> str:
        """A digest of what a reader would see; a change means an ``updated`` event.

        The raw XML is left out: PubMed rewrites it for changes nobody reads (history
        timestamps, indexing status). Fields added after the first release count only when
        they hold something, so adding a field does not change every stored record's hash.
        """
        return fields_hash(article_fields(self))


def fields_hash(fields_of_article: dict[str, Any]) -> str:
    """:meth:`Article.content_hash` from the article's :func:`article_fields` (left as they
    are), for a caller that has them already (storing uses them for the row too)."""
    data = {k: v for k, v in fields_of_article.items() if k not in _NOT_HASHED}
    for name in _LATER_FIELDS:
        if not data[name]:
            data.pop(name)
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


_NOT_HASHED = frozenset({"raw", "source_format"})
_LATER_FIELDS = ("volume", "issue", "pages", "databanks", "coi_statement", "grants")


def article_fields(article: Article) -> dict[str, Any]:
    """``dataclasses.asdict(article)``, without its deep copy of every value (a tenth of ingest
    went there): an Article's fields are immutable values, or tuples of strings or of flat
    records (AbstractSection, Correction, ...), which become dicts as asdict makes them."""
    data = {}
    for name in _ARTICLE_FIELDS:
        value = getattr(article, name)
        if type(value) is tuple and value and hasattr(value[0], "__dataclass_fields__"):
            value = tuple({key: getattr(item, key) for key in _names(item)} for item in value)
        data[name] = value
    return data


def _names(record: Any) -> tuple[str, ...]:
    return tuple(record.__dataclass_fields__)


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


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
    """Where a search's polling stands. ``watermark`` is the last day fully polled (YYYY/MM/DD);
    ``covered_from`` the first day its polls have covered (the ``backfill_from`` of its full
    backfill), so moving ``backfill_from`` earlier backfills the gap."""

    search_id: int
    watermark: str | None = None
    last_attempt_at: str | None = None
    last_success_at: str | None = None
    last_count: int | None = None
    last_translation: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    covered_from: str | None = None


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


# --- evidence: what the classifier found, each tag with its words -----------------------------


class Quote(Protocol):
    """Words in an article that justify a tag (the classifier's ``textcues.Match`` is one)."""

    @property
    def snippet(self) -> str: ...

    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class Tag:
    """One finding and the words that justify it."""

    value: str | float | int
    snippet: str  # the article's own text (≤ ~200 characters), or the PubMed field
    source: str  # "title" | "abstract" | "publication_type" | "mesh" | "keywords" |
    # "coi_statement" | "grants" (PubMed's CoiStatement and GrantList)

    @classmethod
    def of(cls, value: str | float | int, match: Quote) -> Tag:
        return cls(value, match.snippet, match.source)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "snippet": self.snippet, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tag:
        return cls(data["value"], data["snippet"], data["source"])


@dataclass(frozen=True)
class HarmEvent:
    """One harm a study reports happened (never a statement that nothing happened: those
    are the Evidence's ``absences``). Numbers and seriousness are kept only where stated."""

    kind: str  # one of watcher.vocabulary.HARM_KINDS
    snippet: str  # the words that report it
    source: str  # "title" | "abstract"
    count: int | None = None  # patients (or events) affected, as stated
    denominator: int | None = None  # "of 120 patients", as stated in the same words
    percent: float | None = None
    seriousness: str | None = None  # "serious" | "minor" (watcher.vocabulary.SERIOUSNESS)
    surgery: str = "unknown"  # "yes" | "no" | "unknown" (watcher.vocabulary.SURGERY_NEEDED)

    @property
    def serious(self) -> bool:
        """Serious as stated, or because it needed surgery (ISO 14155's definition)."""
        return self.seriousness == "serious" or self.surgery == "yes"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HarmEvent:
        return cls(**data)


# Evidence fields ↔ JSON: plain values, single tags (JSON key, attribute) and tag lists.
_PLAIN = ("pmid", "relevance", "relevance_score", "design", "level", "followup_months",
          "sample_size")  # fmt: skip
_SINGLE = (("relevance", "relevance_tag"), ("design", "design_tag"),
           ("followup_months", "followup_tag"), ("sample_size", "sample_size_tag"))  # fmt: skip
_MANY = ("questions", "comparators", "outcomes", "complications", "reoperations")


@dataclass(frozen=True)
class Evidence:
    """The classification of one article (stored as ``to_dict()`` JSON)."""

    pmid: str
    classifier_version: str
    profile_version: str
    relevance: str  # "relevant" | "uncertain" | "not_relevant"
    relevance_score: float  # 0..1
    relevance_tag: Tag | None
    design: str  # one of watcher.vocabulary.DESIGNS
    design_tag: Tag | None
    level: str | None  # one of watcher.vocabulary.LEVELS (mapping in the profile's [design.levels])
    followup_months: float | None
    followup_tag: Tag | None
    sample_size: int | None
    sample_size_tag: Tag | None
    comparators: tuple[Tag, ...] = ()
    questions: tuple[Tag, ...] = ()
    outcomes: tuple[Tag, ...] = ()
    complications: tuple[Tag, ...] = ()
    reoperations: tuple[Tag, ...] = ()
    # Balance (harms as events, who paid, findings against the procedure): JSON keys that
    # older stored rows lack, read with defaults (see _BALANCE).
    harms: tuple[HarmEvent, ...] = ()
    absences: tuple[Tag, ...] = ()  # value: an ABSENCE_SCOPES key ("any", "serious", a kind)
    sponsorship: str = "not_stated"  # one of watcher.vocabulary.SPONSORSHIP
    sponsorship_tags: tuple[Tag, ...] = ()  # value: a SPONSORSHIP_CUES key
    against: tuple[Tag, ...] = ()  # value: an AGAINST key

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; the shape of the corpus README's output contract."""
        single = {key: getattr(self, attr) for key, attr in _SINGLE}
        return {
            **{key: getattr(self, key) for key in _PLAIN},
            **{key: [tag.value for tag in getattr(self, key)] for key in _MANY},
            "classifier_version": self.classifier_version,
            "profile_version": self.profile_version,
            "evidence": {
                **{key: tag.to_dict() if tag else None for key, tag in single.items()},
                **{key: [tag.to_dict() for tag in getattr(self, key)] for key in _MANY},
            },
            **_balance_dict(self),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        """The exact inverse of :meth:`to_dict`."""
        tags = data["evidence"]
        return cls(
            classifier_version=data["classifier_version"],
            profile_version=data["profile_version"],
            **{key: data[key] for key in _PLAIN},
            **{attr: Tag.from_dict(tags[key]) if tags[key] else None for key, attr in _SINGLE},
            **{key: tuple(Tag.from_dict(item) for item in tags[key]) for key in _MANY},
            **_balance_fields(data),
        )

    @property
    def question_keys(self) -> tuple[str, ...]:
        return tuple(str(tag.value) for tag in self.questions)


def _balance_dict(evidence: Evidence) -> dict[str, Any]:
    """The balance fields' JSON: the values at the top level (harm kinds, sponsorship, …),
    the events and quoted words under ``balance``."""
    return {
        "harms": [event.kind for event in evidence.harms],
        "sponsorship": evidence.sponsorship,
        "against": [tag.value for tag in evidence.against],
        "balance": {
            "harms": [event.to_dict() for event in evidence.harms],
            **{key: [tag.to_dict() for tag in getattr(evidence, key)] for key in _BALANCE_TAGS},
        },
    }


_BALANCE_TAGS = ("absences", "sponsorship_tags", "against")


def _balance_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`_balance_dict`; rows stored before these fields existed read as
    "nothing found" (reclassify fills them in)."""
    balance = data.get("balance") or {}
    return {
        "harms": tuple(HarmEvent.from_dict(item) for item in balance.get("harms", ())),
        "sponsorship": data.get("sponsorship", "not_stated"),
        **{
            key: tuple(Tag.from_dict(item) for item in balance.get(key, ()))
            for key in _BALANCE_TAGS
        },
    }
