"""The local server's record store: PubMed XML documents → searchable records.

Each ``<PubmedArticle>`` keeps its original XML text (sliced out of the source document) so
efetch serves exactly what the corpus holds, and a :class:`SearchDoc` (the fields PubMed
searches) that :class:`TextIndex` indexes for :func:`~watcher.localpubmed.query_eval.evaluate`.
Deliberately independent of ``watcher/pubmed/``: this is a test double for PubMed, and it
must not share the parser it is used to test.
"""

from __future__ import annotations

import calendar
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from watcher.errors import ParseError
from watcher.localpubmed.query import Query, tokens
from watcher.localpubmed.query_eval import SearchResult, evaluate

logger = logging.getLogger(__name__)

#: ISO 639-2 codes PubMed uses in <Language>, with the names [la] also accepts.
LANGUAGES: dict[str, str] = {
    "eng": "english", "fre": "french", "ger": "german", "spa": "spanish", "ita": "italian",
    "por": "portuguese", "dut": "dutch", "rus": "russian", "pol": "polish", "jpn": "japanese",
    "chi": "chinese", "kor": "korean", "tur": "turkish", "swe": "swedish", "dan": "danish",
    "nor": "norwegian", "fin": "finnish", "cze": "czech", "hun": "hungarian", "gre": "greek",
    "heb": "hebrew", "ara": "arabic", "per": "persian", "und": "undetermined",
}  # fmt: skip
_NAMES = {name: code for code, name in LANGUAGES.items()}
#: Composite fields → the indexed parts they search.
_PARTS: dict[str, tuple[str, ...]] = {
    "ti": ("ti",), "ab": ("ab",), "ot": ("ot",), "mh": ("mh",), "majr": ("majr",),
    "ta": ("ta",), "tiab": ("ti", "ab", "ot"), "tw": ("ti", "ab", "ot", "mh", "pt"),
    "all": ("ti", "ab", "ot", "mh", "au", "ta", "pt"),
    "any": ("ti", "ab", "ot", "mh", "au", "ta", "pt", "la"),
}  # fmt: skip
_ARTICLE = re.compile(r"<PubmedArticle\b[^>]*>.*?</PubmedArticle>", re.S)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]{3}))?")
#: Month abbreviations, case-folded ("jan") → number.
MONTHS = {name.casefold(): n for n, name in enumerate(calendar.month_abbr) if name}


@dataclass(frozen=True)
class Author:
    """``last`` is the last name, or the whole name of a collective author."""

    last: str
    fore: str = ""
    initials: str = ""


@dataclass(frozen=True)
class SearchDoc:
    """The parts of a record PubMed searches; dates are the first day of partial dates."""

    pmid: str
    title: str = ""
    abstract: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    mesh_major: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    edat: date | None = None
    crdt: date | None = None
    pdat: date | None = None
    mdat: date | None = None
    references: tuple[str, ...] = ()  # PMIDs in the record's ReferenceList (for ELink)


def _texts(doc: SearchDoc) -> dict[str, str]:
    """Per indexed part, its texts as " token token | token " strings: a phrase is then a
    substring (" lumbar decompression "), and no phrase spans two texts."""
    parts = {
        "ti": [doc.title], "ab": doc.abstract, "ot": doc.keywords, "mh": doc.mesh,
        "majr": doc.mesh_major, "ta": doc.journal, "pt": doc.publication_types,
        "au": [f"{a.last} {a.initials or a.fore}" for a in doc.authors],
        "la": [v for code in doc.languages for v in (code, LANGUAGES.get(code, ""))],
    }  # fmt: skip
    joined = {k: " | ".join(" ".join(tokens(t)) for t in texts) for k, texts in parts.items()}
    return {k: f" {text} " for k, text in joined.items() if text.strip(" |")}


def _author_matches(author: Author, words: tuple[str, ...]) -> bool:
    """PubMed's [au]: "smith" and "smith j" match Smith JA; "smith john" matches too."""
    name = tokens(author.last)
    if words[: len(name)] != name:
        return False
    rest = words[len(name) :]
    if not rest:
        return True
    initials = tokens(author.initials)
    if len(rest) == 1 and initials and initials[0].startswith(rest[0]):
        return True
    return tokens(author.fore)[: len(rest)] == rest


class TextIndex:
    """An inverted index over SearchDocs; implements ``query_eval.Searchable``. Not
    thread-safe on its own: :class:`RecordIndex` guards it."""

    def __init__(self) -> None:
        self._docs: dict[str, SearchDoc] = {}
        self._texts: dict[str, dict[str, str]] = {}
        self._postings: dict[str, dict[str, set[str]]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def add(self, doc: SearchDoc) -> None:
        self.remove(doc.pmid)
        self._docs[doc.pmid] = doc
        self._texts[doc.pmid] = texts = _texts(doc)
        for part, text in texts.items():
            postings = self._postings.setdefault(part, {})
            for token in set(text.split()) - {"|"}:
                postings.setdefault(token, set()).add(doc.pmid)

    def remove(self, pmid: str) -> None:
        texts = self._texts.pop(pmid, {})
        self._docs.pop(pmid, None)
        for part, text in texts.items():
            postings = self._postings[part]
            for token in set(text.split()) - {"|"}:
                postings[token].discard(pmid)
                if not postings[token]:
                    del postings[token]

    def _lookup(self, part: str, word: str, prefix: bool) -> set[str]:
        postings = self._postings.get(part, {})
        if not prefix:
            return postings.get(word, set())
        return set().union(*(ids for tok, ids in postings.items() if tok.startswith(word)))

    def text(self, field: str, words: tuple[str, ...], prefix: bool) -> set[str]:
        parts = _PARTS[field]
        found: set[str] | None = None
        for i, word in enumerate(words):
            last = prefix and i == len(words) - 1
            hits = set().union(*(self._lookup(p, word, last) for p in parts))
            found = hits if found is None else found & hits
            if not found:
                return set()
        if len(words) == 1 or not found:
            return found or set()
        needle = " " + " ".join(words) + ("" if prefix else " ")
        return {
            pmid for pmid in found if any(needle in self._texts[pmid].get(p, "") for p in parts)
        }

    def values(self, field: str, words: tuple[str, ...]) -> set[str]:
        if field == "pmid":
            return {words[0]} if len(words) == 1 and words[0] in self._docs else set()
        if field == "la":
            value = " ".join(words)
            code = value if value in LANGUAGES else _NAMES.get(value, value)
            return set(self._postings.get("la", {}).get(code, set()))
        docs = (self._docs[p] for p in self._postings.get(field, {}).get(words[0], ()))
        if field == "au":
            return {d.pmid for d in docs if any(_author_matches(a, words) for a in d.authors)}
        if field == "pt":
            return {d.pmid for d in docs if words in map(tokens, d.publication_types)}
        raise ValueError(f"unknown value field {field!r}")

    def dates(self, field: str, start: date, end: date) -> set[str]:
        return {
            pmid
            for pmid, doc in self._docs.items()
            if (when := getattr(doc, field)) is not None and start <= when <= end
        }


# --- PubMed XML → records ------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One corpus record: its original XML text, what is searched, where it came from."""

    pmid: str
    xml: str = field(repr=False)
    doc: SearchDoc
    source: str


def element_text(el: ET.Element | None) -> str:
    """An element's text with its markup dropped and its spaces collapsed ("" for None)."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _date(el: ET.Element | None) -> date | None:
    """Year/Month/Day or a MedlineDate ("2019 Jan-Feb") → a date, missing parts as 1."""
    if el is None:
        return None
    year, month, day = (el.findtext(t, "").strip() for t in ("Year", "Month", "Day"))
    if not year.isdigit():
        m = _MEDLINE_DATE.search(el.findtext("MedlineDate", ""))
        if not m:
            return None
        year, month = m.group(1), m.group(2) or ""
    month_no = int(month) if month.isdigit() else MONTHS.get(month[:3].casefold(), 1)
    try:
        return date(int(year), month_no, int(day) if day.isdigit() else 1)
    except ValueError:
        return None


def search_doc(article: ET.Element) -> SearchDoc:
    """The searched fields of one <PubmedArticle> element."""
    cit = article.find("MedlineCitation")
    cit = cit if cit is not None else ET.Element("MedlineCitation")
    art = cit.find("Article")
    art = art if art is not None else ET.Element("Article")
    history = {d.get("PubStatus"): d for d in article.iterfind("PubmedData/History/PubMedPubDate")}
    mesh, major = [], []
    for heading in cit.iterfind("MeshHeadingList/MeshHeading"):
        name = element_text(heading.find("DescriptorName"))
        mesh.append(name)
        if any(e.get("MajorTopicYN") == "Y" for e in heading):
            major.append(name)
    authors = tuple(
        Author(element_text(a.find("LastName")) or element_text(a.find("CollectiveName")),
               element_text(a.find("ForeName")), element_text(a.find("Initials")))
        for a in art.iterfind("AuthorList/Author")
    )  # fmt: skip
    journal = (element_text(art.find(p)) for p in ("Journal/Title", "Journal/ISOAbbreviation"))
    abstracts = [
        *art.iterfind("Abstract/AbstractText"),
        *cit.iterfind("OtherAbstract/AbstractText"),
    ]
    return SearchDoc(
        pmid=cit.findtext("PMID", "").strip(),
        title=element_text(art.find("ArticleTitle")),
        abstract=tuple(element_text(a) for a in abstracts),
        keywords=tuple(element_text(k) for k in cit.iterfind("KeywordList/Keyword")),
        mesh=tuple(mesh),
        mesh_major=tuple(major),
        authors=tuple(a for a in authors if a.last),
        journal=tuple(
            j for j in (*journal, element_text(cit.find("MedlineJournalInfo/MedlineTA"))) if j
        ),
        publication_types=tuple(element_text(p) for p in art.iterfind("PublicationTypeList/*")),
        languages=tuple(element_text(la).casefold() for la in art.iterfind("Language")),
        edat=_date(history.get("entrez")),
        crdt=_date(history.get("pubmed", history.get("entrez"))),
        pdat=_date(art.find("Journal/JournalIssue/PubDate")),
        mdat=_date(cit.find("DateRevised")),
        references=tuple(
            element_text(i)
            for i in article.iterfind("PubmedData/ReferenceList/Reference/ArticleIdList/ArticleId")
            if i.get("IdType") == "pubmed"
        ),
    )


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    m = _ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    encoding = m.group(1).decode() if m else "utf-8"
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except (LookupError, UnicodeDecodeError) as e:
        raise ParseError(f"{source}: cannot decode as {encoding} ({e}); save it as UTF-8.") from e


def _elements(text: str, source: str) -> Iterator[ET.Element]:
    """The root's children one at a time, each dropped once used: a 20,000-record corpus
    never sits in memory as one tree (which also keeps the garbage collector cheap)."""
    parser, depth, step = ET.XMLPullParser(events=("start", "end")), 0, 1 << 16
    root: ET.Element | None = None
    try:
        for at in range(0, len(text) + step, step):  # the last round closes the parser
            if at < len(text):
                parser.feed(text[at : at + step])
            else:
                parser.close()
            for event, el in parser.read_events():
                depth += 1 if event == "start" else -1
                if root is None:
                    root = el
                    if el.tag != "PubmedArticleSet":
                        raise ParseError(
                            f"{source}: root element is <{el.tag}>, not <PubmedArticleSet>; "
                            "the corpus takes PubMed XML as efetch returns it."
                        )
                elif event == "end" and depth == 1:
                    yield el
                    root.remove(el)
    except ET.ParseError as e:
        raise ParseError(f"{source}: not well-formed XML ({e}); fix or remove the file.") from e


def parse_document(data: bytes | str, source: str) -> list[Record]:
    """Every <PubmedArticle> of a PubmedArticleSet document; ParseError names ``source``."""
    text = _decode(data, source)
    docs = [search_doc(el) for el in _elements(text, source) if el.tag == "PubmedArticle"]
    raw = _ARTICLE.findall(text)
    if len(raw) != len(docs):
        raise ParseError(
            f"{source}: found {len(docs)} <PubmedArticle> elements but could cut out "
            f"{len(raw)}; remove comments or CDATA that mention <PubmedArticle>."
        )
    for n, doc in enumerate(docs, 1):
        if not doc.pmid.isdigit():
            raise ParseError(f"{source}: record {n} has no numeric MedlineCitation/PMID; add one.")
    return [Record(doc.pmid, xml, doc, source) for doc, xml in zip(docs, raw, strict=True)]


def _sort_key(sort: str) -> tuple[Callable[[Record], Any], bool]:
    """Key and direction for esearch's ``sort``; unknown values mean "most recent" (NCBI's
    default: Entrez date, then PMID, newest first)."""
    sort = sort.casefold().replace("+", " ").replace("_", " ").strip()
    if sort in ("pub date", "pubdate", "publication date"):
        return lambda r: (r.doc.pdat or date.min, int(r.pmid)), True
    if sort in ("author", "first author"):
        return lambda r: (tokens(r.doc.authors[0].last) if r.doc.authors else ("~",), r.pmid), False
    if sort in ("journal", "journalname", "journal name"):
        return lambda r: (tokens(r.doc.journal[0]) if r.doc.journal else ("~",), r.pmid), False
    if sort == "title":
        return lambda r: (tokens(r.doc.title), r.pmid), False
    return lambda r: (r.doc.edat or date.min, int(r.pmid)), True


class RecordIndex:
    """Records by PMID plus their text index. Thread-safe: the server's handler threads
    search while a test adds, replaces or removes records."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, Record] = {}
        self._index = TextIndex()
        self.generation = 0  # changes whenever a record is added or removed (for caches)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def add(self, records: Iterable[Record]) -> list[str]:
        """Add records; a PMID already present is replaced (PubMed revising a record)."""
        pmids = []
        with self._lock:
            for record in records:
                self._records[record.pmid] = record
                self._index.add(record.doc)
                pmids.append(record.pmid)
            self.generation += 1
        return pmids

    def add_xml(self, data: bytes | str, source: str = "added XML") -> list[str]:
        return self.add(parse_document(data, source))

    def add_path(self, path: Path) -> list[str]:
        """A PubMed XML file, or every *.xml file in a folder (parsed before any is added)."""
        path = Path(path)
        if not path.exists():
            raise ParseError(f"{path}: no such corpus file or folder; check the path.")
        files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
        if not files:
            logger.warning("corpus folder %s holds no *.xml files", path)
        records = []
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as e:
                raise ParseError(f"{file}: cannot read ({e.strerror}); check it.") from e
            records.extend(parse_document(data, str(file)))
        return self.add(records)

    def remove(self, pmid: str) -> None:
        """Drop a record (nothing happens if it is not there)."""
        with self._lock:
            self._records.pop(pmid, None)
            self._index.remove(pmid)
            self.generation += 1

    def docs(self) -> list[SearchDoc]:
        """What every record holds, a snapshot (ELink's cited-in and similarity tables)."""
        with self._lock:
            return [r.doc for r in self._records.values()]

    def records(self, pmids: Iterable[str]) -> list[Record]:
        """The records for ``pmids`` in that order; unknown PMIDs are skipped."""
        with self._lock:
            return [r for p in pmids if (r := self._records.get(p)) is not None]

    def search(self, query: Query, sort: str = "") -> tuple[list[str], SearchResult]:
        """Matches ordered as esearch's ``sort`` asks, with PubMed's report."""
        with self._lock:
            result = evaluate(query, self._index)
            key, reverse = _sort_key(sort)
            found = sorted((self._records[p] for p in result.pmids), key=key, reverse=reverse)
            return [r.pmid for r in found], result
