"""Where a list of phrases matches in a text: exactly where its regex would, found much faster.

:func:`~watcher.evidence.textcues.compile_phrases` makes one case-insensitive alternation per
phrase list. Scanning a text with it tries every alternative at every position (Python's
regex engine cannot skip ahead in a case-insensitive alternation), and the classifier asks
about 70 lists about every sentence. So all the lists of a profile share one Aho–Corasick
automaton (a :class:`PhraseIndex`) of *keys*: each phrase's leading literal, lower-cased,
without the spaces and hyphens the phrase lets vary ("long-term follow*" → "longtermfollow";
"systematic ... review*" → "systematic"). One pass over a text, lower-cased and without those
characters, finds every place where any phrase of any list can start, once per text; each
list then tries its regex at its own places only, left to right and never inside a match it
already found, as ``finditer`` does. So the spans are the same, and a list with no key in a
text costs a dictionary look-up. A key found inside a word ("no" in "known") is no place at
all when the phrases with that key start with a letter or digit, as their patterns then ask
for no word character before them.

A list is scanned the old way when a key cannot be made for one of its phrases (a phrase
starting with a hyphen, or with a non-ASCII letter), and so is a text whose lower-casing
changes its length or which holds one of the letters the regex folds specially (İ, ı, ſ): for
those, a key could miss a match.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable

import ahocorasick

SEPARATORS = "\\s\\-‐–"  # what a phrase's " " or "-" may stand for (textcues.phrase_regex)
_SEPARATOR = re.compile(f"[{SEPARATORS}]")
_SEPARATED = re.compile(f"([{SEPARATORS}]+)")

Fold = tuple[str, list[int], list[int]]


def phrase_key(phrase: str) -> str | None:
    """What a match of ``phrase`` must start with in a folded text, or None if that cannot be
    said simply (the phrase's list is then scanned over the whole text)."""
    text = phrase.strip()
    if " ... " in text:
        text = text.split(" ... ")[0].strip()
    text = text.rstrip("*").split("®")[0]
    if not text or _SEPARATOR.match(text) or not text.isascii():
        return None
    return _SEPARATOR.sub("", text).lower() or None


def fold(text: str) -> Fold | None:
    """``text`` lower-cased without separators, with where each kept run starts in the folded
    text and in ``text``; None when keys cannot be trusted on it."""
    lowered = text.lower()
    if len(lowered) != len(text) or "İ" in text or "ı" in text or "ſ" in text:
        return None  # the regex matches İ ı ſ to i i s ignoring case (three look-ups: fast)
    parts = _SEPARATED.split(lowered)  # kept, separators, kept, ..., kept
    kept = parts[0::2]
    origins = [0, *itertools.accumulate(map(len, parts))][0::2]
    offsets = [0, *itertools.accumulate(map(len, kept))]
    return "".join(kept), offsets[:-1], origins


class PhraseIndex:
    """The keys of many phrase lists in one automaton, built when first used; a list joins
    with :meth:`add` (before that) and gets a number."""

    def __init__(self) -> None:
        self._keys: dict[str, set[int]] = {}
        self._size = 0
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, phrases: Iterable[str]) -> int | None:
        """Register a list; its number, or None when one of its phrases has no key."""
        keys = [phrase_key(p) for p in phrases if p.strip()]
        if not keys or not all(keys) or self._automaton is not None:
            return None
        number, self._size = self._size, self._size + 1
        for key in keys:
            self._keys.setdefault(key, set()).add(number)  # type: ignore[arg-type]
        return number

    def starts(self, text: str) -> dict[int, list[int]] | None:
        """Where in ``text`` each list's phrases can start (ascending); None: scan it."""
        return starts_in(self, text)

    def automaton(self) -> ahocorasick.Automaton:
        if self._automaton is None:
            automaton = ahocorasick.Automaton()
            for key, lists in self._keys.items():
                automaton.add_word(key, (len(key), key[0].isalnum(), tuple(sorted(lists))))
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton


class Part(str):
    """A piece of a longer text (a sentence or clause of a section) that knows where it
    stands in it: where phrases can start in it is read off the whole text's starts, found
    once, rather than found again (a rule asks about a section, then about its sentences).
    Equal to, and hashed as, the plain string."""

    whole: str
    at: int


def part_of(text: str, start: int, end: int) -> str:
    """``text[start:end]`` as a :class:`Part` of ``text``."""
    piece = Part(text[start:end])
    piece.whole, piece.at = text, start
    return piece


@functools.lru_cache(maxsize=4096)
def starts_in(index: PhraseIndex, text: str) -> dict[int, list[int]] | None:
    """:meth:`PhraseIndex.starts` (the cue matcher calls it straight: it asks ~230 times a
    record)."""
    if (
        isinstance(text, Part)
        and not (text.at and _is_word(text.whole[text.at - 1]))  # (see below)
        and (whole := _in_order(index, text.whole)) is not None
    ):
        return _within(whole, text.at, text.at + len(text))
    folded = fold(text)
    if folded is None:
        return None
    flat, offsets, origins = folded
    found: dict[int, set[int]] = {}
    if flat:
        for end, (size, word_start, lists) in index.automaton().iter(flat):
            at = end - size + 1
            run = bisect.bisect_right(offsets, at) - 1
            place = origins[run] + at - offsets[run]
            if word_start and place and _is_word(text[place - 1]):
                # Every phrase with this key starts with a letter or digit, so its pattern
                # starts with "no word character before" and cannot match here, inside a
                # word ("no" in "stenosis"): skipping it spares a try, and often a compile.
                # A piece cut right after a word character sees no such character before its
                # start, so its starts are found afresh, not read off the whole text's.
                continue
            for number in lists:
                if number in found:
                    found[number].add(place)
                else:
                    found[number] = {place}
    return {number: sorted(starts) for number, starts in found.items()}


def _is_word(char: str) -> bool:
    """Whether ``char`` is one the regex class ``\\w`` matches (letters and digits of any
    script, and "_")."""
    return char.isalnum() or char == "_"


@functools.lru_cache(maxsize=1024)
def _in_order(index: PhraseIndex, text: str) -> tuple[list[int], list[int]] | None:
    """The starts of a whole text as two lists in the text's order: places, and the number
    of the list starting at each (so a piece's starts are one slice of them)."""
    starts = starts_in(index, text)
    if starts is None:
        return None
    pairs = sorted((place, number) for number, places in starts.items() for place in places)
    return [place for place, _ in pairs], [number for _, number in pairs]


def _within(whole: tuple[list[int], list[int]], start: int, end: int) -> dict[int, list[int]]:
    """The starts in ``[start, end)`` of a whole text, as places in that piece of it. Every
    key found in the piece is found in the whole at the same place (folding is character by
    character); a key found there that runs past the piece's end is a place where a pattern
    is tried in vain, never a wrong match."""
    places, numbers = whole
    found: dict[int, list[int]] = {}
    for at in range(bisect.bisect_left(places, start), bisect.bisect_left(places, end)):
        found.setdefault(numbers[at], []).append(places[at] - start)
    return found


class PhraseFinder:
    """One phrase list's pattern, and its number in a :class:`PhraseIndex` (None: no keys).

    The pattern is compiled when a text first needs it (``compile`` makes it): compiling a
    profile's hundred alternations costs about 0.1 s, paid at every start of a command, and
    the index answers most texts without one, so a run compiles only the lists some text can
    match (about half of them over a thousand records)."""

    __slots__ = ("_compile", "_pattern", "index", "number")

    def __init__(
        self, compile: Callable[[], re.Pattern], phrases: Iterable[str], index: PhraseIndex
    ) -> None:
        self._compile = compile
        self._pattern: re.Pattern | None = None
        self.index = index
        self.number = index.add(phrases)

    @property
    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            self._pattern = self._compile()
        return self._pattern

    def scan(self, text: str) -> list[tuple[int, int]]:
        """The spans ``finditer`` gives: the reference the fast path must equal."""
        return [m.span() for m in self.pattern.finditer(text)]

    def spans(self, text: str) -> list[tuple[int, int]]:
        return self.spans_at(text, self.index.starts(text) if self.number is not None else None)

    def spans_at(self, text: str, starts: dict[int, list[int]] | None) -> list[tuple[int, int]]:
        """:meth:`spans`, given the index's ``starts`` of ``text`` (None: scan it), so that
        a caller with several lists of one index looks the text up once."""
        if starts is None or self.number is None:
            return self.scan(text)
        places = starts.get(self.number)
        if not places:
            return []
        found: list[tuple[int, int]] = []
        done = 0
        match = self.pattern.match
        for start in places:
            if start >= done and (m := match(text, start)):
                found.append(m.span())
                done = m.end()
        return found
