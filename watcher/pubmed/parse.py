"""PubMed XML (efetch retmode=xml, or "Save → PubMed XML") and MEDLINE files → :class:`Article`.

Pure and offline. Bio.Entrez's parser downloads any DTD it does not ship, even with
``validate=False``, and refuses a document without a DOCTYPE. So it never sees a document as
it came (:mod:`~watcher.pubmed.prescan`). An ordinary document (efetch's replies, PubMed's
"Save" files) has its records found by a few regular expressions (their text becomes
``Article.raw``) and is read by Bio.Entrez whole, behind a prolog naming a DTD Biopython ships:
one XML pass. Any other document, and one Bio.Entrez refuses, gets a plain expat pass first
(no DTD), which checks it, reads its DOCTYPE and finds each ``<PubmedArticle>``; those records
are then parsed in a document built around them — exactly as :func:`wrap_articles` builds one
for stored records, so a stored record re-parses as it first did — and every error names its
line. No Biopython module state is changed.

``Entrez.read`` runs with ``escape=True`` (text escaped, inline tags kept) and
``validate=False``, so that when NCBI moves to a DTD newer than Biopython's, the new elements
are skipped instead of failing every poll.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from xml.parsers import expat

from Bio import Entrez

from watcher.collector import collector_held
from watcher.errors import ParseError
from watcher.markup import clean_text, fragment_text, safe_fragment
from watcher.pubmed.fastparse import read_entries
from watcher.pubmed.medline import (
    RETRACTING_LINKS,
    date_wording,
    iso_date,
    parse_date_text,
    parse_medline,
)
from watcher.pubmed.prescan import (
    FIRST_RECORD_LINE,
    QuickScan,
    Scanner,
    Span,
    build_document,
    choose_dtd,
    decode_xml,
    prolog,
    quick_scan,
    shipped_pubmed_dtds,
    sniff,
)
from watcher.records import AbstractSection, Article, Correction, DataBankEntry, Grant

__all__ = ["articles_from_records", "parse_pubmed_xml", "read_records", "wrap_articles"]

# The parser's messages keep the logger name users and tests filter on (``watcher.pubmed``).
logger = logging.getLogger("watcher.pubmed")

RETRACTED_PUBLICATION_UI = "D016441"
# Reference lists: hundreds per article, and nothing a reader of a digest acts on.
SKIPPED_LINKS = frozenset({"Cites"})
LEFT_TO_ENTREZ = "the fast reader left them to it"


def parse_pubmed_xml(
    data: bytes | str, *, source: str = "PubMed XML", fast: bool = True
) -> list[Article]:
    """The ``PubmedArticle`` records of a PubMed XML document, in document order.

    ``source`` names the document in error messages (a file path, or "efetch reply").
    Book records and DeleteCitation lists are skipped (and logged). ``fast=False`` reads it
    with Bio.Entrez only: the reference :mod:`~watcher.pubmed.fastparse` is tested against.
    The cyclic garbage collector is held off meanwhile (:mod:`watcher.collector`): a
    document's elements and records hold no cycles, and walking them cost a quarter of reading.
    """
    with collector_held():
        return _parse(data, source, fast)


def _parse(data: bytes | str, source: str, fast: bool) -> list[Article]:
    text = decode_xml(data, source)
    if not text.strip():
        raise ParseError(f"{source}: the document is empty; expected PubMed XML")
    quick = quick_scan(text)
    if quick is not None and quick.records:
        dtd = choose_dtd(quick.doctype, source)
        articles = (fast and _read_fast(text, quick, dtd, source)) or _read_ordinary(
            text, quick, dtd
        )
        if articles is not None:
            log_skipped(source, quick.books, quick.deleted)
            return articles
    return _read_checked(text, source)


def log_skipped(source: str, books: int, deleted: int) -> None:
    if books or deleted:
        logger.info(
            "%s: skipped %d book record(s) (not tracked) and a DeleteCitation list of %d PMID(s)",
            source,
            books,
            deleted,
        )


def _read_fast(text: str, quick: QuickScan, dtd: str, source: str) -> list[Article] | None:
    """The records by :mod:`~watcher.pubmed.fastparse`; None when it is unsure, or finds other
    records than were found, or a record lacks what an Article needs (Bio.Entrez's turn)."""
    entries = read_entries(text[quick.body :], dtd)
    articles = _articles(entries, [text[start:end] for start, end in quick.records])
    if articles is None:
        logger.debug("%s: read by Bio.Entrez (%s)", source, LEFT_TO_ENTREZ)
    return articles


def _articles(entries: list[Any] | None, raws: list[str]) -> list[Article] | None:
    """An Article per entry and raw record; None when they differ in number or an entry is
    not a complete record."""
    if entries is None or len(entries) != len(raws):
        return None
    try:
        return [_article(entry, raw) for entry, raw in zip(entries, raws, strict=True)]
    except (KeyError, TypeError, AttributeError):
        return None


def _read_ordinary(text: str, quick: QuickScan, dtd: str) -> list[Article] | None:
    """One Bio.Entrez pass over the whole document, behind a shipped DTD's prolog; None when
    Bio.Entrez refuses it or reads other records than were found (the caller then reads it
    the checked way, which says what is wrong and where)."""
    document = (prolog(dtd) + text[quick.body :]).encode("utf-8")
    try:
        entries = _entrez_read(document)
    except _Unreadable:
        return None
    return _articles(entries, [text[start:end] for start, end in quick.records])


def articles_from_records(raws: list[str], dtd: str, *, fast: bool = True) -> list[Article] | None:
    """Raw ``<PubmedArticle>`` records of an ordinary document, read by Bio.Entrez in one
    document built around them (as :func:`wrap_articles` builds one); None when Bio.Entrez
    refuses them or reads other records (the caller then reads the file the checked way).
    :mod:`~watcher.pubmed.fastparse` reads them first; Bio.Entrez when it is unsure."""
    body = "<PubmedArticleSet>\n" + "\n".join(raws) + "\n</PubmedArticleSet>"
    if fast and (articles := _articles(read_entries(body, dtd), raws)):
        return articles
    if fast:
        logger.debug("%d records read by Bio.Entrez (%s)", len(raws), LEFT_TO_ENTREZ)
    try:
        entries = _entrez_read(build_document(raws, dtd))
    except _Unreadable:
        return None
    return _articles(entries, raws)


def _read_checked(text: str, source: str) -> list[Article]:
    """The expat pass first, then Bio.Entrez over the records it found: every error names the
    line (and the record) at fault."""
    encoded = text.encode("utf-8")
    scan = Scanner(encoded, text, source).run()
    if scan.errors:
        raise ParseError(f"{source}: NCBI returned an error instead of records: {scan.errors}")
    if scan.root != "PubmedArticleSet":
        raise ParseError(
            f"{source}: not PubMed XML (root element <{scan.root}>, expected <PubmedArticleSet>)"
        )
    books = sum(span.tag == "PubmedBookArticle" for span in scan.spans)
    log_skipped(source, books, scan.deleted)
    spans = [span for span in scan.spans if span.tag == "PubmedArticle"]
    if not spans:
        return []
    raws = [encoded[span.start : span.end].decode("utf-8") for span in spans]
    entries = _read_entries(raws, spans, choose_dtd(scan.doctype, source), source)
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
    return build_document(list(raw_articles), shipped_pubmed_dtds()[-1])


def read_records(path: Path) -> list[Article]:
    """Records from a file saved from PubMed, as PubMed XML or MEDLINE text (sniffed)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ParseError(f"{path}: cannot read the file ({error.strerror or error})") from error
    kind, reason = sniff(data)
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


# --- Bio.Entrez -------------------------------------------------------------------------------


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


def _read_entries(raws: list[str], spans: list[Span], dtd: str, source: str) -> list[Any]:
    """All records in one Bio.Entrez pass; on failure, find and name the record at fault."""
    try:
        entries = _entrez_read(build_document(raws, dtd))
    except _Unreadable as failure:
        for raw, span in zip(raws, spans, strict=True):
            try:
                _entrez_read(build_document([raw], dtd))
            except _Unreadable as culprit:
                # In a one-record document the record starts on line FIRST_RECORD_LINE.
                line = span.line + (culprit.line or FIRST_RECORD_LINE) - FIRST_RECORD_LINE
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
        title=safe_fragment(article.get("ArticleTitle", ""))
        or safe_fragment(article.get("VernacularTitle", "")),
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
        volume=_plain(journal.get("JournalIssue", {}).get("Volume", "")),
        issue=_plain(journal.get("JournalIssue", {}).get("Issue", "")),
        pages=_pages(article),
        databanks=tuple(
            DataBankEntry(_plain(bank.get("DataBankName", "")), _plain(number))
            for bank in article.get("DataBankList", [])
            for number in bank.get("AccessionNumberList", [])
        ),
        coi_statement=_plain(citation.get("CoiStatement", "")),
        grants=tuple(
            Grant(
                agency=_plain(grant.get("Agency", "")),
                grant_id=_plain(grant.get("GrantID", "")),
                acronym=_plain(grant.get("Acronym", "")),
                country=_plain(grant.get("Country", "")),
            )
            for grant in article.get("GrantList", [])
        ),
    )


def _plain(value: object) -> str:
    """A Bio.Entrez string (escaped, maybe with inline tags) as plain text."""
    return fragment_text(str(value))


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
        label, text = clean_text(part.attributes.get("Label", "")), safe_fragment(part)
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


def _pages(article: Mapping[str, Any]) -> str:
    """PubMed's page range ("229-42"): MedlinePgn, else StartPage-EndPage."""
    pagination = article.get("Pagination", {})
    if medline := _plain(pagination.get("MedlinePgn", "")):
        return medline
    start, end = _plain(pagination.get("StartPage", "")), _plain(pagination.get("EndPage", ""))
    return f"{start}-{end}" if start and end else start


def _elocation_doi(article: Mapping[str, Any]) -> str | None:
    for location in article.get("ELocationID", []):
        attributes = location.attributes
        if attributes.get("EIdType") == "doi" and attributes.get("ValidYN") != "N":
            return _plain(location) or None
    return None
