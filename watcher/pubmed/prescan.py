"""What comes before Bio.Entrez: finding the records, their DTD, and the documents it is given.

Bio.Entrez downloads any DTD it does not ship and refuses a document without a DOCTYPE
(docs/tech-notes.md §1.4), so :mod:`~watcher.pubmed.parse` never hands it a document as it
came. An ordinary document (an XML declaration, a PubMed DOCTYPE, then ``PubmedArticleSet``;
no comments, CDATA, error elements or schema references) is looked at with a few regular
expressions only (:func:`quick_scan`): Bio.Entrez itself then checks the whole of it, with
its prolog replaced by one that names a shipped DTD (:func:`prolog`). Anything else, and any
document Bio.Entrez refuses, goes through :class:`Scanner`, a plain expat pass with no DTD
and no network that checks the document, reads its DOCTYPE and finds where each record stands,
so that every error names its line; :func:`build_document` then puts the records in a document
that names a DTD Biopython ships.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from Bio import Entrez

from watcher.errors import ParseError
from watcher.markup import clean_text

# The parser's messages keep the logger name users and tests filter on (``watcher.pubmed``).
logger = logging.getLogger("watcher.pubmed")

NCBI_DTD_URL = "https://dtd.nlm.nih.gov/ncbi/pubmed/out/"
_PUBMED_DTD = re.compile(r"pubmed_(\d\d)(\d\d)(\d\d)\.dtd")
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_MEDLINE_FIELD = re.compile(rb"[A-Z][A-Z0-9 ]{3}- ?")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August")
_MONTH_NAMES += ("September", "October", "November", "December")


# --- an ordinary document: regular expressions, then Bio.Entrez checks it all ------------------

_ORDINARY_PROLOG = re.compile(
    r"""\A(?:<\?xml\s+version\s*=\s*(["'])1\.0\1"""
    r"""(?:\s+encoding\s*=\s*(["'])[A-Za-z][\w.-]*\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?"""
    r"""\s*\?>)?\s*(?:<!DOCTYPE\s+PubmedArticleSet\s+"""
    r"""(?:PUBLIC\s+(["'])[\w .,:/+()-]*\4\s+|SYSTEM\s+)(["'])(?P<system>[\w.:/-]*)\5\s*>\s*)?"""
    r"""(?=<PubmedArticleSet[\s>])"""
)
_BOOK = re.compile(r"<PubmedBookArticle[\s>]")
_DELETED = re.compile(r"<DeleteCitation>(.*?)</DeleteCitation>", re.DOTALL)
_ODD_ARTICLE_TAG = re.compile(r"<PubmedArticle[\s/]")
_UNORDINARY = ("<!--", "<![CDATA[", "<ERROR", "xmlns:xsi")


@dataclass(frozen=True)
class QuickScan:
    """An ordinary document's DOCTYPE, where its root starts, its records' (start, end) in the
    text, and the book records and deleted PMIDs it lists (both skipped)."""

    doctype: str | None
    body: int
    records: list[tuple[int, int]]
    books: int
    deleted: int


def quick_scan(text: str) -> QuickScan | None:
    """Records of an ordinary document, found without an XML parser; None for anything else
    (the caller then runs :class:`Scanner`). Nothing here says the document is well formed:
    Bio.Entrez reads all of it next, and if it fails or counts other records, the caller
    falls back to the Scanner too, for a precise message."""
    prolog_end = _ORDINARY_PROLOG.match(text)
    if prolog_end is None or any(marker in text for marker in _UNORDINARY):
        return None
    records = list(_records(text, prolog_end.end()))
    deleted = sum(block.group(1).count("<PMID") for block in _DELETED.finditer(text))
    books = len(_BOOK.findall(text))
    return QuickScan(prolog_end.group("system"), prolog_end.end(), records, books, deleted)


def ordinary_prolog(text: str) -> re.Match[str] | None:
    """The prolog of an ordinary document, up to its ``<PubmedArticleSet`` (group ``system``:
    the DOCTYPE's system id); None when the start of ``text`` is anything else."""
    return _ORDINARY_PROLOG.match(text)


def outside_records(text: str) -> tuple[int, int] | None:
    """(book records, deleted PMIDs) in text found outside ``<PubmedArticle>…</PubmedArticle>``
    in an ordinary document; None when it makes the document unordinary (a comment, CDATA, an
    NCBI error, a schema reference, or a ``PubmedArticle`` tag that is not the plain one)."""
    if any(marker in text for marker in _UNORDINARY) or _ODD_ARTICLE_TAG.search(text):
        return None
    deleted = sum(block.group(1).count("<PMID") for block in _DELETED.finditer(text))
    return len(_BOOK.findall(text)), deleted


def _records(text: str, start: int) -> Iterator[tuple[int, int]]:
    """``<PubmedArticle>…</PubmedArticle>`` spans, in order (str.find: a regex is slower)."""
    open_tag, close_tag = "<PubmedArticle>", "</PubmedArticle>"
    while (begin := text.find(open_tag, start)) != -1:
        end = text.find(close_tag, begin)
        if end == -1:
            return
        start = end + len(close_tag)
        yield begin, start


# --- checking the document: plain expat, no DTD, no network -----------------------------------


@dataclass(frozen=True)
class Span:
    """Where a child of the root element sits in the UTF-8 document."""

    tag: str
    start: int
    end: int
    line: int
    pmid: str


@dataclass
class Scan:
    doctype: str | None = None
    root: str | None = None
    spans: list[Span] = field(default_factory=list)
    deleted: int = 0
    errors: str = ""


class Scanner:
    """One pass: well-formedness, DOCTYPE, record spans and PMIDs, NCBI ``<ERROR>`` texts."""

    def __init__(self, data: bytes, text: str, source: str) -> None:
        self.data, self.text, self.source = data, text, source
        self.scan = Scan()
        # Always our UTF-8 re-encoding, whatever the XML declaration says.
        self.parser = expat.ParserCreate(encoding="UTF-8")
        self.depth = 0
        self.child: tuple[str, int, int] | None = None
        self.pmid: str | None = None
        self.capture: list[str] | None = None

    def run(self) -> Scan:
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
            self.scan.spans.append(Span(tag, start, end, line, self.pmid or "?"))
            self.child = None

    def _chars(self, data: str) -> None:
        if self.capture is not None:
            self.capture.append(data)


def decode_xml(data: bytes | str, source: str) -> str:
    """The document's text, by its BOM or XML declaration (UTF-8 when it has neither)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    encoding = xml_encoding(data)
    try:
        return data.decode(encoding)
    except LookupError:
        raise ParseError(
            f"{source}: unknown encoding {encoding!r} in its XML declaration"
        ) from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ParseError(f"{source}: line {line} is not valid {encoding} text") from None


def xml_encoding(head: bytes) -> str:
    """The encoding of an XML document by its BOM or declaration (UTF-8 when it has neither),
    from its first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    declared = _XML_ENCODING.match(head)
    return declared.group(1).decode("ascii") if declared else "utf-8"


def _looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:300].lower()
    return head.startswith("<!doctype html") or "<html" in head


def sniff(data: bytes) -> tuple[str, str]:
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
def shipped_pubmed_dtds() -> tuple[str, ...]:
    """PubMed DTD file names Biopython has on disk, oldest first (all are from 2000 on)."""
    folder = Path(Entrez.__file__).parent / "DTDs"
    names = sorted(p.name for p in folder.glob("pubmed_*.dtd") if _PUBMED_DTD.fullmatch(p.name))
    if not names:
        raise ParseError(f"Biopython has no PubMed DTD in {folder}; reinstall biopython")
    return tuple(names)


def choose_dtd(system_id: str | None, source: str) -> str:
    """The document's own DTD if Biopython ships it, else the newest one it does ship."""
    shipped = shipped_pubmed_dtds()
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


FIRST_RECORD_LINE = 4  # after the XML declaration, the DOCTYPE and <PubmedArticleSet>


def prolog(dtd: str) -> str:
    """The XML declaration (UTF-8) and NCBI's DOCTYPE line for ``dtd``, two lines.

    The URL stays NCBI's https one: Bio.Entrez refuses any other, even for a local file.
    """
    public = "-//NLM//DTD PubMedArticle//EN"
    if match := _PUBMED_DTD.fullmatch(dtd):
        year, month, day = (int(part) for part in match.groups())
        suffix = "th" if 10 <= day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        date = f"{day}{suffix} {_MONTH_NAMES[month - 1]} {2000 + year}"
        public = f"-//NLM//DTD PubMedArticle, {date}//EN"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE PubmedArticleSet PUBLIC "{public}" "{NCBI_DTD_URL}{dtd}">\n'
    )


def build_document(raws: Sequence[str], dtd: str) -> bytes:
    """A PubmedArticleSet around raw records, after :func:`prolog`."""
    body = "\n".join(raws)
    return f"{prolog(dtd)}<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n".encode()
