"""PubMed XML (efetch retmode=xml, or "Save → PubMed XML") and MEDLINE files → :class:`Article`.

Pure and offline. Bio.Entrez's parser downloads any DTD it does not ship, even with
``validate=False``, and refuses a document without a DOCTYPE. So it never sees a document as
it came: a plain expat pass (no DTD) first checks the document, reads its DOCTYPE and finds
each ``<PubmedArticle>``, whose text becomes ``Article.raw``; those records are then parsed in
a document built around them with a DTD Biopython ships — exactly as :func:`wrap_articles`
builds one for stored records, so a stored record re-parses as it first did. No Biopython
module state is changed.

``Entrez.read`` runs with ``escape=True`` (text escaped, inline tags kept) and
``validate=False``, so that when NCBI moves to a DTD newer than Biopython's, the new elements
are skipped instead of failing every poll.
"""

from __future__ import annotations

import codecs
import functools
import io
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from Bio import Entrez

from watcher.errors import ParseError
from watcher.medline import (
    RETRACTING_LINKS,
    clean_text,
    date_wording,
    iso_date,
    parse_date_text,
    parse_medline,
    sanitise_fragment,
)
from watcher.records import AbstractSection, Article, Correction, plain_text

# parse_medline and sanitise_fragment live in watcher.medline; this is where callers find them.
__all__ = [
    "parse_medline",
    "parse_pubmed_xml",
    "read_records",
    "sanitise_fragment",
    "wrap_articles",
]

logger = logging.getLogger(__name__)

NCBI_DTD_URL = "https://dtd.nlm.nih.gov/ncbi/pubmed/out/"
RETRACTED_PUBLICATION_UI = "D016441"
# Reference lists: hundreds per article, and nothing a reader of a digest acts on.
SKIPPED_LINKS = frozenset({"Cites"})

_PUBMED_DTD = re.compile(r"pubmed_(\d\d)(\d\d)(\d\d)\.dtd")
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_MEDLINE_FIELD = re.compile(rb"[A-Z][A-Z0-9 ]{3}- ?")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August")
_MONTH_NAMES += ("September", "October", "November", "December")


def parse_pubmed_xml(data: bytes | str, *, source: str = "PubMed XML") -> list[Article]:
    """The ``PubmedArticle`` records of a PubMed XML document, in document order.

    ``source`` names the document in error messages (a file path, or "efetch reply").
    Book records and DeleteCitation lists are skipped (and logged).
    """
    text = _decode(data, source)
    if not text.strip():
        raise ParseError(f"{source}: the document is empty; expected PubMed XML")
    encoded = text.encode("utf-8")
    scan = _Scanner(encoded, text, source).run()
    if scan.errors:
        raise ParseError(f"{source}: NCBI returned an error instead of records: {scan.errors}")
    if scan.root != "PubmedArticleSet":
        raise ParseError(
            f"{source}: not PubMed XML (root element <{scan.root}>, expected <PubmedArticleSet>)"
        )
    books = sum(span.tag == "PubmedBookArticle" for span in scan.spans)
    if books or scan.deleted:
        logger.info(
            "%s: skipped %d book record(s) (not tracked) and a DeleteCitation list of %d PMID(s)",
            source,
            books,
            scan.deleted,
        )
    spans = [span for span in scan.spans if span.tag == "PubmedArticle"]
    if not spans:
        return []
    raws = [encoded[span.start : span.end].decode("utf-8") for span in spans]
    entries = _read_entries(raws, spans, _choose_dtd(scan.doctype, source), source)
    articles = []
    for entry, raw, span in zip(entries, raws, spans, strict=True):
        try:
            articles.append(_article(entry, raw))
        except (KeyError, TypeError, AttributeError) as error:
            raise ParseError(
                f"{source}, line {span.line} (PMID {span.pmid}): not a complete PubMed record "
                f"(no {error})"
            ) from error
    return articles


def wrap_articles(raw_articles: Iterable[str]) -> bytes:
    """A complete PubmedArticleSet document (NCBI's current DOCTYPE) around raw records.

    ``parse_pubmed_xml(wrap_articles([a.raw]))`` gives back an equal ``Article``.
    """
    return _document(list(raw_articles), _shipped_pubmed_dtds()[-1])


def read_records(path: Path) -> list[Article]:
    """Records from a file saved from PubMed, as PubMed XML or MEDLINE text (sniffed)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(f"{path}: cannot read the file ({error.strerror or error})") from error
    kind, reason = _sniff(data)
    if kind == "xml":
        return parse_pubmed_xml(data, source=str(path))
    if kind == "medline":
        try:
            return parse_medline(data.decode("utf-8-sig"), source=str(path))
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise ParseError(f"{path}: line {line} is not UTF-8 text; save it again") from None
    raise ParseError(
        f"{path}: not a PubMed XML or MEDLINE file ({reason}); in PubMed use "
        "Save → Format: PubMed (MEDLINE) or XML"
    )


# --- checking the document: plain expat, no DTD, no network -----------------------------------


@dataclass(frozen=True)
class _Span:
    """Where a child of the root element sits in the UTF-8 document."""

    tag: str
    start: int
    end: int
    line: int
    pmid: str


@dataclass
class _Scan:
    doctype: str | None = None
    root: str | None = None
    spans: list[_Span] = field(default_factory=list)
    deleted: int = 0
    errors: str = ""


class _Scanner:
    """One pass: well-formedness, DOCTYPE, record spans and PMIDs, NCBI ``<ERROR>`` texts."""

    def __init__(self, data: bytes, text: str, source: str) -> None:
        self.data, self.text, self.source = data, text, source
        self.scan = _Scan()
        # Always our UTF-8 re-encoding, whatever the XML declaration says.
        self.parser = expat.ParserCreate(encoding="UTF-8")
        self.depth = 0
        self.child: tuple[str, int, int] | None = None
        self.pmid: str | None = None
        self.capture: list[str] | None = None

    def run(self) -> _Scan:
        parser = self.parser
        parser.StartDoctypeDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        try:
            parser.Parse(self.data, True)
        except expat.ExpatError as error:
            reason = expat.ErrorString(error.code)
            where = f"line {error.lineno}, column {error.offset + 1}"
            if self.scan.root is not None:
                raise ParseError(
                    f"{self.source}: broken or truncated XML at {where} ({reason}); "
                    "fetch or save it again"
                ) from None
            if _looks_like_html(self.text):
                raise self._html() from None
            raise ParseError(f"{self.source}: not XML ({reason} at {where})") from None
        return self.scan

    def _html(self) -> ParseError:
        return ParseError(f"{self.source}: an HTML page, not PubMed XML")

    def _doctype(self, name: str, system_id: str | None, _public: str | None, _: int) -> None:
        if name.lower() == "html":
            raise self._html()
        self.scan.doctype = system_id

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if self.depth == 0:
            if name.lower() == "html":
                raise self._html()
            self.scan.root = name
        if "xmlns:xsi" in attributes:  # Bio.Entrez would download the schema named there
            line = self.parser.CurrentLineNumber
            raise ParseError(f"{self.source}, line {line}: unexpected XML Schema reference")
        if self.depth == 1:
            self.child = (name, self.parser.CurrentByteIndex, self.parser.CurrentLineNumber)
            self.pmid = None
        elif self.child and name == "PMID":
            if self.child[0] == "DeleteCitation":
                self.scan.deleted += 1
            elif self.pmid is None:
                self.capture = []
        if name == "ERROR" and self.depth <= 1:
            self.capture = []
        self.depth += 1

    def _end(self, name: str) -> None:
        self.depth -= 1
        if self.capture is not None:
            text = clean_text("".join(self.capture))
            if name == "ERROR":
                self.scan.errors = "; ".join(filter(None, [self.scan.errors, text or "?"]))
            else:
                self.pmid = text
            self.capture = None
        if self.depth == 1 and self.child:
            tag, start, line = self.child
            index = self.parser.CurrentByteIndex
            # At an end tag expat points at "</"; for an empty element, just past it.
            end = self.data.index(b">", index) + 1 if self.data.startswith(b"</", index) else index
            self.scan.spans.append(_Span(tag, start, end, line, self.pmid or "?"))
            self.child = None

    def _chars(self, data: str) -> None:
        if self.capture is not None:
            self.capture.append(data)


def _decode(data: bytes | str, source: str) -> str:
    """The document's text, by its BOM or XML declaration (UTF-8 when it has neither)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _XML_ENCODING.match(data)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except LookupError:
        raise ParseError(
            f"{source}: unknown encoding {encoding!r} in its XML declaration"
        ) from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ParseError(f"{source}: line {line} is not valid {encoding} text") from None


def _looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:300].lower()
    return head.startswith("<!doctype html") or "<html" in head


def _sniff(data: bytes) -> tuple[str, str]:
    """("xml" | "medline" | "other", why it is "other") from the start of a file."""
    head = data[:4096].removeprefix(codecs.BOM_UTF8).lstrip()
    if not head:
        return "other", "the file is empty"
    if _looks_like_html(head.decode("utf-8", "replace")):
        return "other", "it is an HTML page"
    if head.startswith(b"<"):
        return "xml", ""
    if _MEDLINE_FIELD.match(head):
        return "medline", ""
    first_line = head.splitlines()[0].decode("utf-8", "replace")
    return "other", f"it starts with {first_line[:40]!r}"


# --- DTDs and Bio.Entrez ----------------------------------------------------------------------


@functools.cache
def _shipped_pubmed_dtds() -> tuple[str, ...]:
    """PubMed DTD file names Biopython has on disk, oldest first (all are from 2000 on)."""
    folder = Path(Entrez.__file__).parent / "DTDs"
    names = sorted(p.name for p in folder.glob("pubmed_*.dtd") if _PUBMED_DTD.fullmatch(p.name))
    if not names:
        raise ParseError(f"Biopython has no PubMed DTD in {folder}; reinstall biopython")
    return tuple(names)


def _choose_dtd(system_id: str | None, source: str) -> str:
    """The document's own DTD if Biopython ships it, else the newest one it does ship."""
    shipped = _shipped_pubmed_dtds()
    declared = (system_id or "").rsplit("/", 1)[-1]
    if declared in shipped:
        return declared
    if system_id is None:
        logger.debug("%s has no DOCTYPE; reading it with %s", source, shipped[-1])
    else:
        logger.warning(
            "%s declares %s, which Biopython does not ship; reading it with %s instead "
            "(elements newer than that are skipped until biopython is upgraded)",
            source,
            declared,
            shipped[-1],
        )
    return shipped[-1]


_FIRST_RECORD_LINE = 4  # after the XML declaration, the DOCTYPE and <PubmedArticleSet>


def _document(raws: Sequence[str], dtd: str) -> bytes:
    """A PubmedArticleSet around raw records, with NCBI's DOCTYPE line for ``dtd``.

    The URL stays NCBI's https one: Bio.Entrez refuses any other, even for a local file.
    """
    public = "-//NLM//DTD PubMedArticle//EN"
    if match := _PUBMED_DTD.fullmatch(dtd):
        year, month, day = (int(part) for part in match.groups())
        suffix = "th" if 10 <= day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        date = f"{day}{suffix} {_MONTH_NAMES[month - 1]} {2000 + year}"
        public = f"-//NLM//DTD PubMedArticle, {date}//EN"
    body = "\n".join(raws)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE PubmedArticleSet PUBLIC "{public}" "{NCBI_DTD_URL}{dtd}">\n'
        f"<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n"
    ).encode()


class _Unreadable(Exception):
    """Bio.Entrez failed on a document: a one-line reason, and the line when expat knows it."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.line = line


def _entrez_read(document: bytes) -> list[Any]:
    try:
        return list(Entrez.read(io.BytesIO(document), validate=False, escape=True)["PubmedArticle"])
    # Bio.Entrez reports bad input with whatever it meets (ValueError, RuntimeError, expat
    # errors, KeyError, AssertionError, ...); every one means "this document is unreadable".
    except Exception as error:
        cause = getattr(error, "msg", None) or error
        if isinstance(cause, expat.ExpatError):
            raise _Unreadable(expat.ErrorString(cause.code), cause.lineno) from error
        reason = " ".join(str(cause).split())[:300]
        raise _Unreadable(reason or type(error).__name__) from error


def _read_entries(raws: list[str], spans: list[_Span], dtd: str, source: str) -> list[Any]:
    """All records in one Bio.Entrez pass; on failure, find and name the record at fault."""
    try:
        entries = _entrez_read(_document(raws, dtd))
    except _Unreadable as failure:
        for raw, span in zip(raws, spans, strict=True):
            try:
                _entrez_read(_document([raw], dtd))
            except _Unreadable as culprit:
                # In a one-record document the record starts on line _FIRST_RECORD_LINE.
                line = span.line + (culprit.line or _FIRST_RECORD_LINE) - _FIRST_RECORD_LINE
                raise ParseError(
                    f"{source}, line {line} (PMID {span.pmid}): Bio.Entrez cannot read "
                    f"this record ({culprit})"
                ) from culprit
        raise ParseError(f"{source}: Bio.Entrez cannot read the document ({failure})") from failure
    if len(entries) != len(raws):
        raise ParseError(
            f"{source}: {len(raws)} PubmedArticle records but Bio.Entrez read {len(entries)}"
        )
    return entries


# --- Bio.Entrez structures → Article ----------------------------------------------------------


def _article(entry: Mapping[str, Any], raw: str) -> Article:
    citation = entry["MedlineCitation"]
    article = citation["Article"]
    data = entry.get("PubmedData", {})
    journal = article.get("Journal", {})
    ids = _attribute_map(data.get("ArticleIdList", []), "IdType")
    history = {event.attributes.get("PubStatus"): _iso(event) for event in data.get("History", [])}
    types = list(article.get("PublicationTypeList", []))
    corrections = tuple(
        Correction(
            ref_type=link.attributes.get("RefType", ""),
            source=_plain(link.get("RefSource", "")),
            pmid=_plain(link.get("PMID", "")) or None,
        )
        for link in citation.get("CommentsCorrectionsList", [])
        if link.attributes.get("RefType") not in SKIPPED_LINKS
    )
    date_text = _pub_date_text(journal.get("JournalIssue", {}).get("PubDate", {}))
    pub_date, pub_year = parse_date_text(date_text) if date_text else (None, None)
    pmcid = ids.get("pmc")
    return Article(
        pmid=_plain(citation["PMID"]),
        title=sanitise_fragment(article.get("ArticleTitle", ""))
        or sanitise_fragment(article.get("VernacularTitle", "")),
        abstract=_abstract(article),
        authors=_authors(article),
        journal=_plain(journal.get("Title", "")),
        journal_abbrev=_plain(journal.get("ISOAbbreviation", ""))
        or _plain(citation.get("MedlineJournalInfo", {}).get("MedlineTA", "")),
        pub_date=pub_date,
        pub_year=pub_year,
        pub_date_text=date_text,
        entrez_date=history.get("entrez"),
        create_date=history.get("pubmed"),
        revised_date=_iso(citation.get("DateRevised", {})),
        doi=ids.get("doi") or _elocation_doi(article),
        pmcid=f"PMC{pmcid}" if pmcid and pmcid.isdigit() else pmcid,
        publication_types=tuple(_plain(kind) for kind in types),
        mesh_terms=tuple(
            _plain(heading["DescriptorName"]) for heading in citation.get("MeshHeadingList", [])
        ),
        keywords=tuple(_plain(word) for words in citation.get("KeywordList", []) for word in words),
        languages=tuple(_plain(language) for language in article.get("Language", [])),
        corrections=corrections,
        retracted=any(kind.attributes.get("UI") == RETRACTED_PUBLICATION_UI for kind in types)
        or any(link.ref_type in RETRACTING_LINKS for link in corrections),
        source_format="pubmed-xml",
        raw=raw,
    )


def _plain(value: object) -> str:
    """A Bio.Entrez string (escaped, maybe with inline tags) as plain text."""
    return clean_text(plain_text(str(value)))


def _iso(date: Mapping[str, Any]) -> str | None:
    """Year/Month/Day elements → "YYYY-MM-DD" (History hours are US Eastern, so left out)."""
    return iso_date(date.get("Year", ""), date.get("Month", ""), date.get("Day", ""))


def _attribute_map(elements: Iterable[Any], attribute: str) -> dict[str, str]:
    """First non-empty value per attribute value, e.g. ArticleIdList → {"doi": …, "pmc": …}."""
    values: dict[str, str] = {}
    for element in elements:
        if value := _plain(element):
            values.setdefault(element.attributes.get(attribute, ""), value)
    return values


def _abstract(article: Mapping[str, Any]) -> tuple[AbstractSection, ...]:
    sections = []
    for part in article.get("Abstract", {}).get("AbstractText", []):
        label, text = clean_text(part.attributes.get("Label", "")), sanitise_fragment(part)
        if text or label:
            sections.append(AbstractSection(label, text))
    return tuple(sections)


def _authors(article: Mapping[str, Any]) -> tuple[str, ...]:
    """ "LastName Initials" or CollectiveName, as PubMed's AU field; ValidYN="N" left out."""
    names = []
    for author in article.get("AuthorList", []):
        if author.attributes.get("ValidYN") == "N":
            continue
        name = _plain(author.get("CollectiveName", "")) or clean_text(
            f"{_plain(author.get('LastName', ''))} {_plain(author.get('Initials', ''))}"
        )
        if name:
            names.append(name)
    return tuple(names)


def _pub_date_text(pub_date: Mapping[str, Any]) -> str:
    """PubMed's wording of PubDate: MedlineDate as it is, else "Year Mon Day" / "Year Season"."""
    if "MedlineDate" in pub_date:
        return _plain(pub_date["MedlineDate"])
    parts = ("Year", "Month", "Day", "Season")
    return date_wording(*(_plain(pub_date.get(part, "")) for part in parts))


def _elocation_doi(article: Mapping[str, Any]) -> str | None:
    for location in article.get("ELocationID", []):
        attributes = location.attributes
        if attributes.get("EIdType") == "doi" and attributes.get("ValidYN") != "N":
            return _plain(location) or None
    return None
