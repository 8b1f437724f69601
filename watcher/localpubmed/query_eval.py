"""A parsed PubMed query evaluated the way PubMed evaluates it, warts included.

``evaluate`` runs a :class:`~watcher.localpubmed.query.Query` against anything
:class:`Searchable` (``watcher.localpubmed.index.TextIndex``) and returns the matches with
PubMed's ErrorList / WarningList / QueryTranslation.

PubMed's quiet failure modes are reproduced on purpose, because the poller must detect them:
an unknown field tag is reported (FieldNotFound) and searched in all fields; an unquoted term
found nowhere is reported (PhraseNotFound) and *dropped*, broadening the query; a quoted phrase
found nowhere is a warning (QuotedPhraseNotFound) and matches nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from watcher.localpubmed.query import (
    DATE_FIELDS,
    FIELD_LABELS,
    TEXT_FIELDS,
    DateRange,
    Group,
    Node,
    Query,
    Term,
    parse_query,
    tokens,
)


@dataclass(frozen=True)
class SearchResult:
    """What PubMed would report for a query: matches plus ErrorList / WarningList content."""

    pmids: frozenset[str]
    translation: str
    translation_set: tuple[tuple[str, str], ...] = ()
    phrases_not_found: tuple[str, ...] = ()
    fields_not_found: tuple[str, ...] = ()
    phrases_ignored: tuple[str, ...] = ()
    quoted_phrases_not_found: tuple[str, ...] = ()
    output_messages: tuple[str, ...] = ()

    @property
    def has_errors(self) -> bool:
        return bool(self.phrases_not_found or self.fields_not_found)


class Searchable(Protocol):
    """The index ``evaluate`` searches (``watcher.localpubmed.index.TextIndex``)."""

    def text(self, field: str, words: tuple[str, ...], prefix: bool) -> set[str]:
        """PMIDs where ``words`` occur consecutively in ``field`` (a TEXT_FIELDS key, or
        "any" for the whole record); ``prefix``: the last word is a truncation stem."""
        ...

    def values(self, field: str, words: tuple[str, ...]) -> set[str]:
        """PMIDs whose au / pt / la / pmid value matches ``words`` as PubMed does."""
        ...

    def dates(self, field: str, start: date, end: date) -> set[str]:
        """PMIDs whose ``field`` date (edat/crdt/pdat/mdat) is within [start, end]."""
        ...


@dataclass
class _Report:
    not_found: list[str] = dataclasses.field(default_factory=list)
    ignored: list[str] = dataclasses.field(default_factory=list)
    quoted_not_found: list[str] = dataclasses.field(default_factory=list)
    translations: list[tuple[str, str]] = dataclasses.field(default_factory=list)


_Matched = tuple[set[str] | None, str]  # None: the node dropped out of the expression


def evaluate(query: Query, index: Searchable) -> SearchResult:
    """Run ``query`` against ``index`` the way PubMed would, warts included."""
    report = _Report()
    pmids, translation = _eval(query.root, index, report) if query.root else (None, "")
    found = frozenset(pmids or ())
    return SearchResult(
        pmids=found,
        translation=translation,
        translation_set=tuple(dict.fromkeys(report.translations)),
        phrases_not_found=tuple(dict.fromkeys(report.not_found)),
        fields_not_found=tuple(dict.fromkeys(query.fields_not_found)),
        phrases_ignored=tuple(dict.fromkeys(report.ignored)),
        quoted_phrases_not_found=tuple(dict.fromkeys(report.quoted_not_found)),
        output_messages=() if found else ("No items found.",),
    )


def search(text: str, index: Searchable) -> SearchResult:
    """Parse and evaluate in one go."""
    return evaluate(parse_query(text), index)


def _eval(node: Node, index: Searchable, report: _Report) -> _Matched:
    if isinstance(node, Group):
        pmids, text = _eval(node.inner, index, report)
        return pmids, f"({text})" if text else ""
    if isinstance(node, DateRange):
        return index.dates(node.field, node.start, node.end), node.label
    if isinstance(node, Term):
        return _eval_term(node, index, report)
    (left, lt), (right, rt) = _eval(node.left, index, report), _eval(node.right, index, report)
    if right is None:
        return left, lt
    if left is None:
        return (None, "") if node.op == "NOT" else (right, rt)
    combined = {"AND": left & right, "OR": left | right, "NOT": left - right}[node.op]
    return combined, f"{lt} {node.op} {rt}"


def _show(text: str, field: str) -> str:
    return f'"{" ".join(text.casefold().split())}"[{FIELD_LABELS[field]}]'


def _eval_term(term: Term, index: Searchable, report: _Report) -> _Matched:
    field = term.field
    if term.quoted or field not in TEXT_FIELDS:
        text = term.words[0] if term.quoted else " ".join(term.words)
        words = tokens(text.rstrip("*"))
        if not words:
            report.ignored.append(text)
            return None, ""
        if field in TEXT_FIELDS:
            prefix = text.endswith("*")
            if not index.text("any", words, prefix):
                report.quoted_not_found.append(f'"{text}"')
                return set(), _show(text, field)
            return index.text(field, words, prefix), _show(text, field)
        found = index.values(field, words) if field not in DATE_FIELDS else set()
        if not found and not term.quoted:
            report.not_found.append(text)
            return None, ""
        if not found:
            report.quoted_not_found.append(f'"{text}"')
        return found, _show(text, field)
    kept: list[tuple[str, tuple[str, ...], bool]] = []
    for word in term.words:
        stem, prefix = word.rstrip("*"), word.endswith("*")
        words = tokens(stem)
        if not words or (prefix and sum(len(w) for w in words) < 4):
            report.ignored.append(word)
        elif not index.text("any", words, prefix):
            report.not_found.append(word)
        else:
            kept.append((word, words, prefix))
    if not kept:
        return None, ""
    if not term.tagged:
        for word, _, _ in kept:
            report.translations.append((word.casefold(), _show(word, field)))
    if len(kept) > 1 and not any(prefix for _, _, prefix in kept[:-1]):
        phrase = tuple(w for _, words, _ in kept for w in words)
        if found := index.text(field, phrase, kept[-1][2]):
            return found, _show(" ".join(word for word, _, _ in kept), field)
    result: set[str] | None = None
    for _, words, prefix in kept:
        hits = index.text(field, words, prefix)
        result = hits if result is None else result & hits
    shown = " AND ".join(_show(word, field) for word, _, _ in kept)
    return result, f"({shown})" if len(kept) > 1 else shown
