"""Ordinary PubMed XML read with the standard library's C parser, only the fields we keep.

``Entrez.read`` is generic: it builds an object for every element of every record (reference
lists, affiliations, chemicals, ...) through Python-level expat callbacks, and that was most
of parsing. Here :mod:`xml.etree.ElementTree` builds the
tree in C, and Bio.Entrez-shaped values are made only along the paths that
:func:`watcher.pubmed.parse._article` reads (:data:`RECORDS`, :data:`LISTS`), so the very same
conversion code turns them into :class:`~watcher.records.Article`. The values follow Bio.Entrez's
rules with ``escape=True``: a text element is its text escaped (``&``, ``<``, ``>``) with any
child elements kept as tags, attributes as they are; in a record element the last occurrence of
a single child wins and a repeated child is a list; ``.attributes`` holds the attributes.

Bio.Entrez stays the reference and the fallback. :func:`read_entries` gives None, and the caller
reads the document Bio.Entrez's way (which also words any error), whenever it is unsure: the
text is not well formed or uses an entity XML does not define, it has a namespace other than
MathML's or a processing instruction, the DTD Bio.Entrez would read it with declares an element
read here differently (checked once per DTD against Bio.Entrez's own reading of it), or an
element read holds a child the DTD puts elsewhere (Bio.Entrez refuses the record). Not checked:
content models inside the elements never read (Bio.Entrez would refuse a record that breaks
one; this reader reads it). Attribute defaults of the DTD are not filled in: of the attributes
read, only ``ValidYN`` ("Y") and ``IdType`` ("pubmed") have one, and neither value changes an
Article. The differential tests (tests/test_fastparse.py) read documents both ways and compare
the Articles.
"""

from __future__ import annotations

import functools
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from Bio.Entrez.Parser import DataHandler, DictionaryElement, ListElement

from watcher.pubmed.prescan import prolog

__all__ = ["read_entries"]

# Record elements on the paths read: the children read (every other child is never looked at).
RECORDS: dict[str, frozenset[str]] = {
    name: frozenset(children.split())
    for name, children in {
        "PubmedArticle": "MedlineCitation PubmedData",
        "MedlineCitation": "PMID Article MedlineJournalInfo DateRevised CommentsCorrectionsList "
        "MeshHeadingList KeywordList CoiStatement",
        "PubmedData": "ArticleIdList History",
        "Article": "Journal ArticleTitle VernacularTitle Abstract AuthorList Language "
        "PublicationTypeList Pagination DataBankList GrantList ELocationID",
        "Journal": "Title ISOAbbreviation JournalIssue",
        "JournalIssue": "Volume Issue PubDate",
        "PubDate": "Year Month Day Season MedlineDate",
        "DateRevised": "Year Month Day",
        "PubMedPubDate": "Year Month Day",
        "MedlineJournalInfo": "MedlineTA",
        "CommentsCorrections": "RefSource PMID",
        "MeshHeading": "DescriptorName",
        "Abstract": "AbstractText",
        "Author": "CollectiveName LastName Initials",
        "Pagination": "StartPage EndPage MedlinePgn",
        "DataBank": "DataBankName AccessionNumberList",
        "Grant": "GrantID Acronym Agency Country",
    }.items()
}
# Children that may repeat, hence lists (Bio.Entrez: the DTD's repeated_tags).
REPEATED: dict[str, frozenset[str]] = {
    "MedlineCitation": frozenset({"KeywordList"}),
    "Article": frozenset({"ELocationID", "Language"}),
    "Abstract": frozenset({"AbstractText"}),
}
# List elements on the paths read, and the tag of their items.
LISTS: dict[str, str] = {
    "CommentsCorrectionsList": "CommentsCorrections",
    "MeshHeadingList": "MeshHeading",
    "KeywordList": "Keyword",
    "AuthorList": "Author",
    "PublicationTypeList": "PublicationType",
    "DataBankList": "DataBank",
    "AccessionNumberList": "AccessionNumber",
    "GrantList": "Grant",
    "ArticleIdList": "ArticleId",
    "History": "PubMedPubDate",
}
# The elements whose attributes are read: only these carry ``.attributes`` (the others are
# plain dicts, lists and strings, which costs less).
WITH_ATTRIBUTES = frozenset(
    {"Author", "CommentsCorrections", "PubMedPubDate", "AbstractText", "PublicationType"}
    | {"ELocationID", "ArticleId"}
)
_NONE: frozenset[str] = frozenset()
Refused = dict[str, frozenset[str]]
CHUNK = 1 << 16  # characters fed to the parser at a time
MATHML = "http://www.w3.org/1998/Math/MathML"
_MATHML_TAG = "{" + MATHML + "}"
_ROOT = "<PubmedArticleSet"
# MathML's own declaration on a MathML element (which PubMed's DTD declares on each anyway).
_MATHML_DECLARATION = re.compile(r'<mml:[^<>]*?\sxmlns:mml="' + re.escape(MATHML) + '"')


class _Unsure(Exception):
    """Something this reader does not read as Bio.Entrez would: the caller uses Bio.Entrez."""


class Text(str):
    """A text element as Bio.Entrez gives it: escaped text and tags, with ``.attributes``."""

    attributes: dict[str, str]


class Record(dict[str, Any]):
    """A record element as Bio.Entrez gives it, with ``.attributes``."""

    __slots__ = ("attributes",)
    attributes: dict[str, str]


def read_entries(body: str, dtd: str) -> list[dict[str, Any]] | None:
    """The ``PubmedArticle`` records of ``body`` (a ``<PubmedArticleSet>`` element, with no
    prolog) as Bio.Entrez-shaped records along the paths read; None when unsure."""
    refused = _refused_children(dtd)
    if refused is None or "<?" in body or not body.startswith(_ROOT):
        return None
    if "mml:" in body:
        # The DTD gives each MathML element its namespace; ElementTree needs it said once.
        declared = len(_MATHML_DECLARATION.findall(body))
        if not _declares_mathml(dtd) or body.count("xmlns") != declared:
            return None
        body = f'{_ROOT} xmlns:mml="{MATHML}"{body[len(_ROOT) :]}'
    elif "xmlns" in body:
        return None
    try:
        return _pull(body, refused)
    except (ET.ParseError, _Unsure):
        return None


def _pull(body: str, refused: Refused) -> list[dict[str, Any]] | None:
    """Records read as their end tags come, each dropped once read: a whole tree at once
    would hold every element and keep the garbage collector busy walking it."""
    parser = ET.XMLPullParser(events=("end",))
    entries = []
    last = ""  # the tag of the last element closed: the root's, at the end
    for start in range(0, len(body), CHUNK):
        parser.feed(body[start : start + CHUNK])
        for _, element in parser.read_events():
            last = element.tag
            if last == "PubmedArticle":
                entries.append(_record(element, refused))
                element.clear()
    parser.close()
    for _, element in parser.read_events():
        last = element.tag
    return entries if last == "PubmedArticleSet" else None


def _record(element: ET.Element, refused: Refused) -> dict[str, Any]:
    name = element.tag
    wanted, wrong = RECORDS[name], refused[name]
    if name in WITH_ATTRIBUTES:
        record: dict[str, Any] = Record()
        record.attributes = element.attrib  # type: ignore[attr-defined]
    else:
        record = {}
    repeated = REPEATED.get(name)
    if repeated:
        for tag in repeated:
            record[tag] = []
    for child in element:
        tag = child.tag
        if tag in wanted:
            value = _READERS.get(tag, _string)(child, refused)
            if repeated and tag in repeated:
                record[tag].append(value)
            else:
                record[tag] = value
        elif tag in wrong:
            raise _Unsure(tag)  # Bio.Entrez refuses the record: its message says where
    return record


def _items(element: ET.Element, refused: Refused) -> list[Any]:
    name = element.tag
    item, wrong = LISTS[name], refused[name]
    read = _READERS.get(item, _string)
    if any(child.tag in wrong for child in element):
        raise _Unsure(name)
    return [read(child, refused) for child in element if child.tag == item]


def _string(element: ET.Element, _: Refused = None) -> str:
    """A text element's value: its text escaped, child elements as tags."""
    if len(element):
        parts = [_escape(element.text or "")]
        for child in element:
            _inline(child, parts, False)
        return "".join(parts)
    text = element.text
    return _escape(text) if text else ""


def _text(element: ET.Element, _: Refused = None) -> Text:
    value = Text(_string(element))
    value.attributes = element.attrib
    return value


def _reader(name: str) -> Callable[[ET.Element, Refused], Any]:
    if name in RECORDS:
        return _record
    if name in LISTS:
        return _items
    return _text if name in WITH_ATTRIBUTES else _string


_READERS = {
    name: _reader(name)
    for name in {*RECORDS, *LISTS, *LISTS.values(), *WITH_ATTRIBUTES}
    if _reader(name) is not _string
}


def _inline(element: ET.Element, parts: list[str], in_math: bool) -> None:
    """An element inside text, as Bio.Entrez writes it back: ``<tag a="v">``…``</tag>``. A
    MathML element loses its prefix, and the outermost one has ``xmlns`` for attributes."""
    tag, attrib = element.tag, element.attrib
    math = tag[0] == "{"
    if math:
        if not tag.startswith(_MATHML_TAG):
            raise _Unsure(tag)
        tag = tag[len(_MATHML_TAG) :]
        if not in_math:
            attrib = {"xmlns": MATHML}
    if any(name[0] == "{" for name in attrib):
        raise _Unsure(tag)  # a namespaced attribute (xlink:href, ...)
    attributes = "".join(f' {name}="{value}"' for name, value in attrib.items())
    parts.append(f"<{tag}{attributes}>")
    if element.text:
        parts.append(_escape(element.text))
    for child in element:
        _inline(child, parts, in_math or math)
    parts.append(f"</{tag}>")
    if element.tail:
        parts.append(_escape(element.tail))


def _escape(text: str) -> str:
    """As :func:`xml.sax.saxutils.escape`, which Bio.Entrez applies with ``escape=True``."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


@functools.cache
def _declarations(dtd: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Bio.Entrez's reading of ``dtd`` (a shipped PubMed DTD): its text elements and its
    record and list elements (``strings``, ``constructors``); None when it cannot load it."""
    handler = DataHandler(validate=False, escape=True, ignore_errors=False)
    try:
        handler.read(io.BytesIO(f"{prolog(dtd)}<PubmedArticleSet/>".encode()))
    except Exception:  # Bio.Entrez's own path says why, document by document
        return None
    return handler.strings, handler.constructors


def _declares_mathml(dtd: str) -> bool:
    declarations = _declarations(dtd)
    return declarations is not None and any("mml:math" in names for names in declarations)


@functools.cache
def _refused_children(dtd: str) -> Refused | None:
    """For each record and list element read, the children Bio.Entrez refuses in it when
    reading with ``dtd`` (elements the DTD declares for elsewhere); None when Bio.Entrez
    reads some element on the paths otherwise than this reader does (not the same record,
    list or text, other repeated children, or a child read that it does not allow)."""
    declarations = _declarations(dtd)
    if declarations is None:
        return None
    strings, constructors = declarations
    known = strings.keys() | constructors.keys()
    texts = {child for children in RECORDS.values() for child in children} | set(LISTS.values())
    if not texts - RECORDS.keys() - LISTS.keys() <= strings.keys():
        return None
    refused = {}
    for name, children in RECORDS.items():
        kind, arguments = constructors.get(name, (None, ()))
        if kind is not DictionaryElement:
            return None
        allowed, repeated = arguments
        if allowed is not None and not children <= allowed:
            return None
        if (repeated or _NONE) & children != REPEATED.get(name, _NONE):
            return None
        refused[name] = frozenset(known - allowed) if allowed is not None else _NONE
    for name, item in LISTS.items():
        kind, arguments = constructors.get(name, (None, ()))
        if kind is not ListElement or item not in arguments[0]:
            return None
        refused[name] = frozenset(known - arguments[0])
    return refused
