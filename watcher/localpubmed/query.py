"""The subset of PubMed's query language librarians use, parsed like PubMed parses it.

Pure: no I/O. ``parse_query`` turns a query into an AST (raising
:class:`~watcher.errors.QuerySyntaxError`, a ``QueryError``, for unbalanced parentheses or
quotes); :mod:`~watcher.localpubmed.query_eval` runs it against the index.

Semantics kept from PubMed: AND/OR/NOT (upper case) evaluate left to right with equal
precedence; adjacent terms are ANDed; a tag applies to the run of unquoted words before it
("Smith J[au]"), which is searched as a phrase if it occurs and as ANDed words otherwise;
``*`` truncates a word of at least 4 characters; dates are whole days, partial dates cover
their whole year or month. An unknown field tag is noted (PubMed reports it as FieldNotFound
and searches all fields).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from watcher.errors import QuerySyntaxError

#: Field tag as typed (case-folded) → canonical field key.
FIELD_TAGS: dict[str, str] = {
    "tiab": "tiab", "title/abstract": "tiab", "ti": "ti", "title": "ti",
    "ab": "ab", "abstract": "ab", "mh": "mh", "mesh": "mh", "mesh terms": "mh",
    "majr": "majr", "mesh major topic": "majr", "pt": "pt", "publication type": "pt",
    "au": "au", "author": "au", "la": "la", "language": "la", "all": "all",
    "all fields": "all", "tw": "tw", "text word": "tw", "ot": "ot", "other term": "ot",
    "ta": "ta", "jour": "ta", "journal": "ta", "pmid": "pmid", "uid": "pmid",
    "dp": "pdat", "pdat": "pdat", "publication date": "pdat", "date - publication": "pdat",
    "edat": "edat", "entrez date": "edat", "date - entry": "edat",
    "crdt": "crdt", "create date": "crdt", "date - create": "crdt",
    "mdat": "mdat", "modification date": "mdat", "date - modification": "mdat",
}  # fmt: skip
#: Canonical field key → the long name PubMed shows in QueryTranslation.
FIELD_LABELS: dict[str, str] = {
    "tiab": "Title/Abstract", "ti": "Title", "ab": "Abstract", "mh": "MeSH Terms",
    "majr": "MeSH Major Topic", "pt": "Publication Type", "au": "Author", "la": "Language",
    "all": "All Fields", "tw": "Text Word", "ot": "Other Term", "ta": "Journal",
    "pmid": "PMID", "pdat": "Date - Publication", "edat": "Date - Entry",
    "crdt": "Date - Create", "mdat": "Date - Modification",
}  # fmt: skip
DATE_FIELDS = frozenset({"pdat", "edat", "crdt", "mdat"})
#: Fields searched as text (phrases, truncation); the others match whole values.
TEXT_FIELDS = frozenset({"all", "tiab", "ti", "ab", "mh", "majr", "tw", "ot", "ta"})

_WORD = re.compile(r"[^\W_]+")
_DATE = re.compile(r"^(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?$")
_LEX = re.compile(
    r'(?P<space>\s+)|(?P<lp>\()|(?P<rp>\))|(?P<phrase>"[^"]*"?)|(?P<tag>\[[^\]\[]*\]?)'
    r'|(?P<colon>:)|(?P<word>[^\s()"\[\]:]+(?::[^\s()"\[\]:]+)*)|(?P<bad>.)'
)
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def tokens(text: str) -> tuple[str, ...]:
    """Case-folded alphanumeric runs, accents stripped: PubMed ignores punctuation, so
    "image-guided" is "image guided" and "mild®" is "mild"."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(_WORD.findall(text.casefold()))


def parse_date_span(text: str) -> tuple[date, date] | None:
    """The first and last day of "2024", "2024/03" or "2024/03/15" (dashes work too)."""
    m = _DATE.match(text.strip())
    if not m:
        return None
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class Term:
    """Unquoted words (one run) or one quoted phrase, searched in ``field``."""

    words: tuple[str, ...]
    field: str = "all"
    quoted: bool = False
    tagged: bool = False


@dataclass(frozen=True)
class DateRange:
    """Records whose ``field`` date lies in [start, end]; ``label`` is how it is shown."""

    field: str
    start: date
    end: date
    label: str


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR" | "NOT"
    left: Node
    right: Node


@dataclass(frozen=True)
class Group:
    inner: Node


Node = Term | DateRange | BoolOp | Group


@dataclass(frozen=True)
class Query:
    """A parsed query; ``root`` is None for an empty one."""

    text: str
    root: Node | None
    fields_not_found: tuple[str, ...] = ()


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _lex(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _LEX.finditer(text):
        kind, value, pos = m.lastgroup or "", m.group(), m.start()
        if kind == "space":
            continue
        if kind == "phrase" and (len(value) < 2 or not value.endswith('"')):
            raise QuerySyntaxError(
                f'Query has an unclosed quote at position {pos + 1}: add the closing ".', pos
            )
        if kind == "tag" and not value.endswith("]"):
            raise QuerySyntaxError(
                f"Query has an unclosed field tag at position {pos + 1}: add the closing ].", pos
            )
        if kind == "bad":
            raise QuerySyntaxError(
                f"Query has an unexpected {value!r} at position {pos + 1}: remove it.", pos
            )
        if kind == "word" and value in _OPERATORS:
            kind = "op"
        out.append(_Tok(kind, value, pos))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _lex(text)
        self.i = 0
        self.unknown: list[str] = []

    def peek(self, *kinds: str) -> _Tok | None:
        tok = self.toks[self.i] if self.i < len(self.toks) else None
        return tok if tok and (not kinds or tok.kind in kinds) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Tok) -> QuerySyntaxError:
        text = f"Query syntax error at position {tok.pos + 1}: {message}."
        return QuerySyntaxError(text, tok.pos)

    def expr(self) -> Node:
        node = self.operand()
        while self.peek() and not self.peek("rp"):
            op = self.take() if self.peek("op") else None
            if op and (not self.peek() or self.peek("rp", "op")):
                raise self.fail(f"{op.text} has no search term after it", op)
            node = BoolOp(op.text if op else "AND", node, self.operand())
        return node

    def operand(self) -> Node:
        tok = self.toks[self.i]
        if tok.kind == "lp":
            self.take()
            if self.peek("rp"):
                raise self.fail("empty parentheses", tok)
            inner = self.expr()
            if not self.peek("rp"):
                raise self.fail("this '(' is never closed; add a ')'", tok)
            self.take()
            return Group(inner)
        if tok.kind in ("phrase", "word"):
            return self.term()
        what = {"rp": "this ')' has no matching '('", "op": f"{tok.text} needs a term before it"}
        raise self.fail(what.get(tok.kind, f"{tok.text!r} needs a search term before it"), tok)

    def tag(self) -> tuple[str, bool] | None:
        """The field of a following [tag], or None; unknown tags are noted and mean "all"."""
        if not self.peek("tag"):
            return None
        raw = self.take().text[1:-1].strip()
        key = FIELD_TAGS.get(" ".join(raw.casefold().split()))
        if key is None:
            self.unknown.append(raw)
            return "all", True
        return key, True

    def term(self) -> Node:
        first = self.take()
        if first.kind == "phrase":
            items, quoted = [first.text[1:-1]], True
        else:
            items, quoted = [first.text], False
            while ":" not in items[-1] and (nxt := self.peek("word")) and ":" not in nxt.text:
                items.append(self.take().text)
        field, tagged = self.tag() or ("all", False)
        prefix: Node | None = None
        if (self.peek("colon") or field in DATE_FIELDS) and len(items) > 1:
            prefix, items = Term(tuple(items[:-1])), items[-1:]  # a date binds one word only
        node = self.date_term(items[0], field, tagged, quoted, first)
        if node is None:
            node = Term(tuple(items), field, quoted, tagged)
        return BoolOp("AND", prefix, node) if prefix else node

    def date_term(
        self, text: str, field: str, tagged: bool, quoted: bool, tok: _Tok
    ) -> DateRange | None:
        """A date range ("a:b", "a : b", quoted ends) or a single date with a date tag."""
        if self.peek("colon"):
            colon = self.take()
            end = self.peek("word", "phrase")
            if end is None:
                raise self.fail("a date range needs an end date after ':'", colon)
            end_text = self.take().text.strip('"')
            end_field = self.tag()
            field = end_field[0] if end_field else (field if tagged else "pdat")
            return self.span(text, end_text, field, tok)
        if not quoted and ":" in text:
            start_text, _, end_text = text.partition(":")
            if field in DATE_FIELDS or (
                not tagged and parse_date_span(start_text) and parse_date_span(end_text)
            ):
                return self.span(start_text, end_text, field if tagged else "pdat", tok)
            return None
        if field in DATE_FIELDS and (span := parse_date_span(text)):
            return DateRange(field, *span, label=f'"{text}"[{FIELD_LABELS[field]}]')
        return None

    def span(self, start_text: str, end_text: str, field: str, tok: _Tok) -> DateRange:
        start, end = parse_date_span(start_text), parse_date_span(end_text)
        if field not in DATE_FIELDS or start is None or end is None:
            raise self.fail(
                f"'{start_text}:{end_text}' is not a date range; write dates as YYYY/MM/DD, "
                "e.g. 2024/01/01:2024/03/31[crdt]",
                tok,
            )
        label = f"{start_text}:{end_text}[{FIELD_LABELS[field]}]"
        return DateRange(field, start[0], end[1], label)


def parse_query(text: str) -> Query:
    """Parse a PubMed query; raises QuerySyntaxError (a QueryError) naming the position."""
    parser = _Parser(text)
    if not parser.toks:
        return Query(text, None)
    root = parser.expr()
    if extra := parser.peek():
        raise parser.fail("this ')' has no matching '('", extra)
    return Query(text, root, tuple(parser.unknown))


def restrict(query: Query, field: str, start: date, end: date, label: str) -> Query:
    """``query`` ANDed with a date window, as esearch's datetype/mindate/maxdate do."""
    window = DateRange(field, start, end, label)
    if query.root is None:
        return replace(query, root=window)
    root = query.root if isinstance(query.root, Term | Group) else Group(query.root)
    return replace(query, root=BoolOp("AND", root, window))
