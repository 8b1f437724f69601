"""Files saved from PubMed (PubMed XML or MEDLINE text), read a batch of records at a time.

A file of 50,000 records read whole holds its text, Bio.Entrez's structures and every
``Article`` at once (gigabytes); read here, memory stays flat in the size of the file. The
records, and every error message, are those :func:`~watcher.pubmed.parse.read_records` gives:

- An ordinary PubMed XML document (see :func:`~watcher.pubmed.prescan.quick_scan`) is read in
  blocks; each ``<PubmedArticle>…</PubmedArticle>`` is cut out as it completes, and every
  ``batch`` of them is read (by :mod:`~watcher.pubmed.fastparse`, else Bio.Entrez) in a
  document built around them, exactly as a stored record is re-read. A plain expat parser
  (no handlers, no DTD) sees every block too, so a file broken anywhere, even between
  records, is not taken as good.
- Anything else, and any trouble on the way (an unusual document, a bad encoding, broken XML,
  a record Bio.Entrez refuses), is handed to ``read_records``, which reads the whole file the
  checked way and says what is wrong and where; records already given are not given again.
- MEDLINE text is read line by line.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from watcher.errors import ParseError
from watcher.pubmed.medline import iter_medline
from watcher.pubmed.parse import articles_from_records, log_skipped, read_records
from watcher.pubmed.prescan import (
    choose_dtd,
    ordinary_prolog,
    outside_records,
    sniff,
    xml_encoding,
)
from watcher.records import Article

__all__ = ["BATCH", "read_batches"]

BATCH = 200  # records per Bio.Entrez document and per batch given out
BLOCK = 1 << 18  # bytes read at a time
HEAD = 4096  # bytes `sniff` looks at
OPEN_TAG, CLOSE_TAG = "<PubmedArticle>", "</PubmedArticle>"


def read_batches(path: Path, batch: int = BATCH) -> Iterator[list[Article]]:
    """The records of a file saved from PubMed, in file order, ``batch`` at a time.

    Raises :class:`~watcher.errors.ParseError` as ``read_records`` does (possibly after some
    batches were given: read a file through once first if nothing may be stored from a bad one).
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD)
            kind, _ = sniff(head)
            if kind == "medline":
                yield from _medline_batches(handle, path, batch)
                return
            if kind != "xml":
                yield from _batched(read_records(path), batch)  # its message says why
                return
            given = 0
            for articles in _xml_batches(handle, head, path, batch):
                if articles is None:  # not for streaming: read whole, the checked way
                    yield from _batched(read_records(path)[given:], batch)
                    return
                given += len(articles)
                yield articles
    except OSError as error:
        raise ParseError(f"{path}: cannot read the file ({error.strerror or error})") from error


def _batched(articles: list[Article], batch: int) -> Iterator[list[Article]]:
    for start in range(0, len(articles), batch):
        yield articles[start : start + batch]


def _medline_batches(handle: BinaryIO, path: Path, batch: int) -> Iterator[list[Article]]:
    handle.seek(0)
    records = iter_medline(_medline_lines(handle, path), source=str(path))
    while chunk := list(itertools.islice(records, batch)):
        yield chunk


def _medline_lines(handle: BinaryIO, path: Path) -> Iterator[str]:
    """The file's lines as ``str.splitlines`` cuts its text (a BOM dropped), one at a time."""
    for number, line in enumerate(handle, start=1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ParseError(f"{path}: line {number} is not UTF-8 text; save it again") from None
        if number == 1:
            text = text.lstrip("\ufeff")
        # Every piece ends with "\n", itself a line end: this is text.splitlines(), piecewise.
        yield from text.splitlines()


def _xml_batches(
    handle: BinaryIO, head: bytes, path: Path, batch: int
) -> Iterator[list[Article] | None]:
    """An ordinary document's records, ``batch`` at a time; a last None when the document
    turns out not to be one (unusual, or wrong somewhere)."""
    source = str(path)
    text = _Text(handle, head)
    text.more()  # an ordinary prolog is a few hundred bytes: it is in the head and one block
    prolog = ordinary_prolog(text.buffer) if text.ok else None
    if prolog is None:
        yield None
        return
    dtd = choose_dtd(prolog.group("system"), source)
    books = deleted = records = 0
    pending: list[str] = []
    for raw, outside in text.records(prolog.end()):
        found = outside_records(outside)
        if found is None:
            yield None
            return
        books, deleted = books + found[0], deleted + found[1]
        if raw is not None:
            pending.append(raw)
        if pending and (len(pending) == batch or raw is None):
            articles = articles_from_records(pending, dtd)
            yield articles
            if articles is None:
                return
            records, pending = records + len(pending), []
    if not text.ok or not records:
        yield None  # broken, or no records: read_records says why (or that there are none)
        return
    log_skipped(source, books, deleted)


class _Text:
    """The document's text, decoded block by block and checked by expat as it comes; ``ok``
    turns False, and the text ends, at the first byte that is not good text or good XML."""

    def __init__(self, handle: BinaryIO, head: bytes) -> None:
        self.handle = handle
        self.buffer = ""
        self.ok = True
        self.ended = False
        # Our UTF-8 re-encoding, whatever the declaration says (as prescan.Scanner does).
        self.checker = expat.ParserCreate(encoding="UTF-8")
        try:
            self.decoder = codecs.getincrementaldecoder(xml_encoding(head))()
        except LookupError:
            self.ok, self.ended = False, True
            return
        self._feed(head)

    def more(self) -> bool:
        """Read another block into the buffer; False at the end of the file."""
        if self.ended:
            return False
        self._feed(self.handle.read(BLOCK))
        return True

    def _feed(self, data: bytes) -> None:
        final = not data
        try:
            text = self.decoder.decode(data, final)
            self.checker.Parse(text.encode("utf-8"), final)
        except (UnicodeDecodeError, expat.ExpatError):
            self.ok, self.ended = False, True
            return
        self.buffer += text
        self.ended = final

    def records(self, start: int) -> Iterator[tuple[str | None, str]]:
        """(record, the text before it) in order; last (None, the text after the last record).
        Stops early when the text is not ok."""
        position = start
        while self.ok:
            begin = self.buffer.find(OPEN_TAG, position)
            end = -1 if begin == -1 else self.buffer.find(CLOSE_TAG, begin)
            if end != -1:
                end += len(CLOSE_TAG)
                yield self.buffer[begin:end], self.buffer[position:begin]
                position = end
                continue
            if not self.more():
                if begin == -1:  # (a record without its end is a truncated file: expat says)
                    yield None, self.buffer[position:]
                return
            # Keep the record begun, or all text since the last one (checked whole: a few
            # bytes, unless a long DeleteCitation list), and read on.
            self.buffer, position = self.buffer[position:], 0
