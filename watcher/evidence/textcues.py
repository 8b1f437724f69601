"""Text primitives for the evidence classifier: segments, sentences, snippets and phrase cues.

Pure functions over plain text. Everything found is a :class:`Match` — a span inside one
:class:`Segment` of the article — so that every tag the classifier emits can quote the
article's own words (``Match.snippet``) and name where they came from (``Match.source``).
The numeric extractors (:mod:`~watcher.evidence.extract`) and the findings
(:mod:`~watcher.evidence.findings`) are built on these.
"""

from __future__ import annotations

import bisect
import functools
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from watcher.evidence.phrasefind import PhraseFinder, PhraseIndex, part_of, starts_in

SNIPPET_LIMIT = 200

# --- segments, sentences, snippets ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One piece of an article's text: the title, an abstract section, or one indexing term."""

    source: str  # "title" | "abstract" | "publication_type" | "mesh" | "keywords"
    text: str
    label: str = ""  # the abstract section label ("METHODS"), "" otherwise


@dataclass(frozen=True)
class Match:
    """A span of one segment that justifies a tag."""

    segment: Segment
    start: int
    end: int

    @property
    def source(self) -> str:
        return self.segment.source

    @property
    def text(self) -> str:
        return self.segment.text[self.start : self.end]

    @property
    def snippet(self) -> str:
        return snippet(self.segment.text, self.start, self.end)

    def overlaps(self, other: Match) -> bool:
        return self.segment is other.segment and self.start < other.end and other.start < self.end


_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS_TEXT = (
    "vs al e.g i.e eg ie approx fig figs no nos dr mr mrs ms inc ltd ca st etc ref resp"
)
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
_WORD_BEFORE = re.compile(r"[\w.]*$")
_INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")


def _word_before(text: str, start: int, end: int) -> str:
    """The word (letters, digits, stops) ``text[start:end]`` ends with: looked for in the
    last 40 characters, and in all of them only when it fills that window (searching the
    whole sentence tries every character of it)."""
    low = max(start, end - 40)
    word = _WORD_BEFORE.search(text, low, end)
    if word is None or (word.start() == low > start):
        word = _WORD_BEFORE.search(text, start, end)
    return word.group() if word else ""


@functools.lru_cache(maxsize=4096)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence boundaries, not fooled by "vs.", "et al.", "U.S." or decimals (cached: every
    rule asks for the sentence around its match)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for found in _SENTENCE_END.finditer(text):
        token = _word_before(text, start, found.start()).lower()
        if token in _ABBREVIATIONS or _INITIALS.fullmatch(token):
            continue  # "vs.", "U.S.", a lone initial
        spans.append((start, found.end()))
        start = found.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((start, len(text)))
    return tuple(spans)


def sentence_of(text: str, position: int) -> tuple[int, int]:
    for start, end in sentence_spans(text):
        if start <= position < end:
            return start, end
    return 0, len(text)


def sentence_around(match: Match) -> str:
    """The sentence ``match`` stands in."""
    start, end = sentence_of(match.segment.text, match.start)
    return part_of(match.segment.text, start, end)


def snippet(text: str, start: int, end: int, limit: int = SNIPPET_LIMIT) -> str:
    """The sentence around ``text[start:end]``, cut to ``limit`` characters at word boundaries.

    Always an exact substring of ``text`` (no ellipses added), so a reader can find it.
    """
    s_start, s_end = sentence_of(text, start)
    s_end = max(s_end, min(end, len(text)))
    if s_end - s_start <= limit:
        return text[s_start:s_end].strip()
    middle = (start + end) // 2
    left = max(s_start, min(middle - limit // 2, s_end - limit))
    right = min(s_end, left + limit)
    if left > s_start:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < s_end:
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    return text[left:right].strip()


_TO_ASCII = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})


def folded(text: str) -> str:
    """``text`` lower-cased so that whatever a case-insensitive pattern of ASCII letters
    matches in it is a substring: a cheap, exact pre-check before a costly pattern. Besides
    ASCII the regex engine folds only İ, ı, ſ and the Kelvin sign to ASCII letters; lower()
    maps the sign, the other three are mapped first (only when present: translate costs
    more than the three look-ups). Each character stays one character."""
    if "İ" in text or "ı" in text or "ſ" in text:
        text = text.translate(_TO_ASCII)
    return text.lower()


def holds_any(low: str, words: Iterable[str]) -> bool:
    """Whether the :func:`folded` text ``low`` contains one of ``words`` (lower case)."""
    return any(map(low.__contains__, words))


# --- phrase cues ---------------------------------------------------------------------------


_WORD_START = r"(?<!\w)"
# What a phrase's " " or "-" matches: any run of spaces and hyphens ("-", "‐", "–"), or none.
# One class [\s\-‐–] would say the same, but a class whose characters are three separate
# ranges of code points is compiled through a 65,536-entry table (~0.1 ms each, and the
# profile's phrases hold ~1,900 of them: most of a command's start-up). Split, each part is one
# or two ranges; "–" is kept case-sensitive only so the parser does not merge it back (it has
# no other case, so nothing changes).
SEPARATOR_RUN = r"(?:[\s\-‐]|(?-i:–))*"


def phrase_regex(phrase: str) -> str:
    """A librarian's phrase as a regular expression.

    Case and spacing are loose: a space or hyphen matches any run of spaces/hyphens, or none
    ("long term" finds "long-term" and "longterm"); a trailing ``*`` truncates like PubMed
    ("fluoroscop*"); " ... " stands for up to three words ("underwent ... laminectomy");
    "®" also matches "(R)" and "(®)"; whole words only.
    """
    text = phrase.strip()
    if " ... " in text:  # "underwent ... laminectomy": up to three words in between
        return r"\s+(?:[^\s.;:]+\s+){0,3}?".join(phrase_regex(p) for p in text.split(" ... "))
    truncated = text.endswith("*")
    text = text.rstrip("*")
    parts = []
    for char in text:
        if char in " -":
            if not parts or parts[-1] != SEPARATOR_RUN:
                parts.append(SEPARATOR_RUN)
        elif char == "®":
            parts.append(r"\s?(?:®|\(®\)|\(R\))")
        else:
            parts.append(re.escape(char))
    body = "".join(parts)
    head = _WORD_START if text[:1].isalnum() else ""
    tail = r"\w*" if truncated else (r"(?!\w)" if text[-1:].isalnum() else "")
    return head + body + tail


def compile_phrases(phrases: Sequence[str], *, case_sensitive: bool = False) -> re.Pattern | None:
    """One pattern for a list of phrases, longest first.

    The word-start look-behind is written once for all phrases that begin with a letter or
    digit rather than once per phrase: with hundreds of phrases, that makes matching about
    three times faster. It finds the same spans, because a phrase that starts with a word
    character and one that does not can never start at the same place.
    """
    if not phrases:
        return None
    ordered = sorted({p for p in phrases if p.strip()}, key=len, reverse=True)
    patterns = [phrase_regex(p) for p in ordered]
    bounded = [p.removeprefix(_WORD_START) for p in patterns if p.startswith(_WORD_START)]
    alternatives = [f"(?:{p})" for p in patterns if not p.startswith(_WORD_START)]
    if bounded:
        alternatives.insert(0, _WORD_START + "(?:" + "|".join(f"(?:{p})" for p in bounded) + ")")
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile("|".join(alternatives), flags)


@functools.lru_cache(maxsize=4096)
def _mostly_upper(text: str) -> bool:
    if text.isascii():  # (most texts) letters and capitals counted by bytes.translate
        data = text.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        capitals = len(data) - len(data.translate(None, _ASCII_CAPITALS))
        return letters > 20 and capitals > 0.6 * letters
    found = list(filter(str.isalpha, text))
    return len(found) > 20 and sum(map(str.isupper, found)) > 0.6 * len(found)


_ASCII_LETTERS = string.ascii_letters.encode()  # what str.isalpha finds among ASCII
_ASCII_CAPITALS = string.ascii_uppercase.encode()  # ... and str.isupper


@dataclass(frozen=True)
class CueSet:
    """Phrases that signal one thing, with the phrases that cancel a hit they overlap.

    ``case_sensitive`` phrases ("MILD", "MiDAS") are skipped in all-capitals text, where case
    says nothing. Each list is found with a :class:`~watcher.evidence.phrasefind.PhraseFinder`
    (its pattern, tried only where a phrase can start); the cue sets of one profile share one
    ``index`` of where phrases start, so a text is looked at once for all of them. A text's
    spans are remembered for the next rule that asks (rules ask about the same sentences many
    times).
    """

    phrases: tuple[str, ...] = ()
    case_sensitive: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    index: PhraseIndex | None = field(default=None, repr=False, compare=False)
    _finders: _Finders = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_finders", _Finders(self, self.index or PhraseIndex()))

    def __bool__(self) -> bool:
        return bool(self.phrases or self.case_sensitive)

    def spans(self, text: str) -> list[tuple[int, int]]:
        return list(_spans(self._finders, text))

    def matches(self, segments: Iterable[Segment]) -> list[Match]:
        finders = self._finders
        if isinstance(segments, Segments) and not segments.may_hold(finders):
            return []
        return [Match(seg, *span) for seg in segments for span in _spans(finders, seg.text)]

    def first(self, segments: Iterable[Segment]) -> Match | None:
        finders = self._finders
        if isinstance(segments, Segments) and not segments.may_hold(finders):
            return None
        for seg in segments:
            found = _spans(finders, seg.text)
            if found:
                return Match(seg, *found[0])
        return None


class Segments(tuple[Segment, ...]):
    """Segments that many cue sets are asked about in turn (a record's title and abstract,
    with its indexing terms). They remember which phrase lists can start anywhere in them,
    so a set none of whose lists can is answered at once rather than segment by segment
    (each question the rules ask, two thirds of them over the same segments, costs a call)."""

    _present: dict[PhraseIndex, frozenset[int] | None]

    def __new__(cls, segments: Iterable[Segment] = ()) -> Segments:
        made = super().__new__(cls, segments)
        made._present = {}
        return made

    def may_hold(self, finders: _Finders) -> bool:
        """False when no phrase of the set can start in any segment (its spans are none)."""
        if finders.keyed is None:
            return True
        present = self._present.get(finders.index, False)
        if present is False:
            present = self._present[finders.index] = _lists_in(finders.index, self)
        return present is None or not finders.keyed.isdisjoint(present)


class CueGroup:
    """Cue sets a rule asks about one text in turn: whether any of them can find something
    there is told by one look-up in their index, so a text none of them can is passed over
    before it is cut into clauses and asked about set by set."""

    def __init__(self, sets: Iterable[CueSet]) -> None:
        finders = [cues._finders for cues in sets if cues]
        indexes = {f.index for f in finders}
        keyed = all(f.keyed is not None for f in finders) and len(indexes) == 1
        self._index = indexes.pop() if keyed else None
        self._numbers = frozenset().union(*(f.keyed or () for f in finders))

    def may_hold(self, text: str) -> bool:
        """False when no phrase of any of the sets can start in ``text``."""
        if self._index is None:
            return True
        starts = starts_in(self._index, text)
        return starts is None or not self._numbers.isdisjoint(starts)


def _lists_in(index: PhraseIndex, segments: Iterable[Segment]) -> frozenset[int] | None:
    """The lists of ``index`` with a phrase that can start in one of ``segments``; None when
    the index cannot judge one of them (it is scanned)."""
    present: set[int] = set()
    for seg in segments:
        starts = starts_in(index, seg.text)
        if starts is None:
            return None
        present.update(starts)
    return frozenset(present)


class _Finders:
    """A cue set's three finders; hashed by identity, so it keys the span cache cheaply."""

    __slots__ = ("exact", "index", "keyed", "loose", "numbers", "unless")

    def __init__(self, cues: CueSet, index: PhraseIndex) -> None:
        def finder(phrases: tuple[str, ...], case_sensitive: bool = False) -> PhraseFinder | None:
            if not phrases:
                return None  # (compile_phrases gives no pattern)

            def compile() -> re.Pattern:
                pattern = compile_phrases(phrases, case_sensitive=case_sensitive)
                assert pattern is not None  # the list is not empty
                return pattern

            return PhraseFinder(compile, phrases, index)

        self.index = index
        self.loose = finder(cues.phrases)
        self.exact = finder(cues.case_sensitive, case_sensitive=True)
        self.unless = finder(cues.unless)
        # The numbers of the lists that find hits, when all of them have keys (else None).
        numbers = [f.number for f in (self.loose, self.exact) if f is not None]
        self.keyed = frozenset(numbers) if None not in numbers else None  # type: ignore[arg-type]
        self.numbers = tuple(self.keyed or ())  # the same, to walk (one or two lists)


def _spans(finders: _Finders, text: str) -> tuple[tuple[int, int], ...]:
    """A cue set's spans in ``text``. Most of the questions rules ask have no phrase of the
    set starting anywhere in the text: those are answered from the text's starts (found once
    per text) without a look-up of their own, so the cache of found spans holds only the
    few pairs with something to find."""
    if finders.keyed is not None and (starts := starts_in(finders.index, text)) is not None:
        for number in finders.numbers:  # (a set's lists are one or two; a text's, dozens)
            if number in starts:
                return _found(finders, text)
        return ()
    return _scanned(finders, text)


@functools.lru_cache(maxsize=1024)
def _scanned(finders: _Finders, text: str) -> tuple[tuple[int, int], ...]:
    """Spans of a set with a phrase the index has no key for, or in a text it cannot judge."""
    return _find(finders, text, finders.index.starts(text) if finders.keyed else None)


@functools.lru_cache(maxsize=4096)
def _found(finders: _Finders, text: str) -> tuple[tuple[int, int], ...]:
    return _find(finders, text, finders.index.starts(text))


def _find(
    finders: _Finders, text: str, starts: dict[int, list[int]] | None
) -> tuple[tuple[int, int], ...]:
    loose, exact, unless = finders.loose, finders.exact, finders.unless
    found = loose.spans_at(text, starts) if loose else []
    if exact and not _mostly_upper(text):
        found += exact.spans_at(text, starts)
    if unless and found:
        found = _unblocked(found, unless.spans_at(text, starts))
    return tuple(sorted(set(found)))


def _unblocked(found: list[tuple[int, int]], blocked: list[tuple[int, int]]):
    """The spans of ``found`` that overlap none of ``blocked``. ``blocked`` comes from one
    ``finditer``-like scan: in order and not overlapping, so its ends rise too, and the only
    blocked span that can overlap ``(s, e)`` is the first one ending after ``s``."""
    if not blocked:
        return found
    ends = [b[1] for b in blocked]
    kept = []
    for span in found:
        at = bisect.bisect_right(ends, span[0])
        if at == len(blocked) or blocked[at][0] >= span[1]:
            kept.append(span)
    return kept


def field_segments(values: Sequence[str], source: str) -> tuple[Segment, ...]:
    """Indexing terms as segments ("publication_type", "mesh", "keywords"), one per term."""
    return tuple(Segment(source, value) for value in values if value.strip())


def sentence_segments(segments: Iterable[Segment]) -> list[tuple[Segment, int, int]]:
    """Every sentence of every segment, as (segment, start, end)."""
    return [(seg, s, e) for seg in segments for s, e in sentence_spans(seg.text)]
