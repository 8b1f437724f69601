"""Clauses and negation: the grammar the harm and sponsorship readers need beyond sentences.

One sentence often says two things ("No patient developed a hematoma, and one had minor oozing
at the portal site"; "Dr. A consults for a device maker; the other authors declare no
conflicts"), so those readers work clause by clause. Pure functions over plain text.
"""

from __future__ import annotations

import re

from watcher.evidence.extract import parse_number
from watcher.vocabulary import NUMBER_WORDS

# Where a clause ends: ";" and ":", and a comma before a conjunction that starts a new claim.
_BREAK = re.compile(
    r"[;:]\s*|,\s*(?:and|but|while|whereas|although|though|yet)\s+|\s+(?:but|whereas)\s+",
    re.IGNORECASE,
)
# Words that deny what follows them in the same clause ("no hematoma", "without infection"),
# unless they deny a difference rather than an event ("no difference in complication rates").
_NEGATION = re.compile(
    r"\b(?:no|none|not|without|neither|nor|zero|never|free\s+of|absence\s+of)\b"
    r"(?!\s+(?:significant\s+|statistically\s+(?:significant\s+)?)?(?:differen|chang))",
    re.IGNORECASE,
)
# ... and wording after an event that denies it ("was not observed", "occurred in none").
_NEGATED_AFTER = re.compile(
    r"[^.;:]{0,40}?\b(?:(?:was|were|did|has|have|had)\s+not\s+(?:been\s+)?"
    r"(?:observed|seen|occur|reported|found|detected|develop|noted)"
    r"|(?:occurred|developed|was\s+seen|were\s+seen)\s+in\s+(?:none|no)\b)",
    re.IGNORECASE,
)
NEGATION_WINDOW = 8  # words before an event that a negation may govern


# Where a clause can end or a parenthesis open or close; every other character only moves on.
# A run of spaces can only end a clause before "but"/"whereas" (see _BREAK), so it is a stop
# only then, at its first space (the break found there is the same from any of its spaces).
_STOPS = re.compile(r"[()\[\];:,.]|\s+(?=(?:but|whereas)\s)", re.IGNORECASE)


def clause_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The clauses of ``text[start:end]`` as spans of ``text``; breaks inside parentheses do
    not count ("similar (16.8 vs 15.9; P = 0.61)")."""
    end = len(text) if end is None else end
    spans, begin, depth, position = [], start, 0, start
    while (stop_at := _STOPS.search(text, position, end)) is not None:
        position = stop_at.start()
        char = text[position]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            found = _BREAK.match(text, position, end)
            stop = position  # where the clause ends: before the break, after a full stop
            if not found and (found := _sentence_end(text, position, end)):
                stop = position + 1
            if found and found.end() > position:
                if text[begin:stop].strip():
                    spans.append((begin, stop))
                begin = position = found.end()
                continue
        position += 1
    if text[begin:end].strip():
        spans.append((begin, end))
    return spans


_PERIOD = re.compile(r"\.\s+(?=[A-Z])")
# Words a period follows without ending a sentence: titles, "vs.", "et al.", "No. 5".
_NOT_ENDS_TEXT = "dr mr mrs ms prof vs al st fig no e.g i.e"
_NOT_ENDS = frozenset(_NOT_ENDS_TEXT.split())
_TOKEN_BEFORE = re.compile(r"([\w.]+)$")


def _sentence_end(text: str, position: int, end: int) -> re.Match | None:
    """A sentence end the sentence splitter keeps together ("… Example Devices Inc. The
    other authors …": "Inc." is an abbreviation there), but a clause reader must not."""
    found = _PERIOD.match(text, position, end)
    if not found:
        return None
    word = _TOKEN_BEFORE.search(text, max(0, position - 40), position)
    if word is not None and word.start() == max(0, position - 40) > 0:
        word = _TOKEN_BEFORE.search(text, 0, position)  # a longer token than the window
    token = word.group(1).lower() if word else ""
    return None if token in _NOT_ENDS or len(token) == 1 else found


def negated(text: str, clause_start: int, start: int, end: int) -> bool:
    """Whether the clause denies what ``text[start:end]`` names: a negation among the few
    words before it, or a denial right after it."""
    words = text[clause_start:start].split()[-NEGATION_WINDOW:]
    return bool(_NEGATION.search(" ".join(words)) or _NEGATED_AFTER.match(text, end))


# --- counts ----------------------------------------------------------------------------------

_N = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{NUMBER_WORDS}|a\s+single)"
_FRACTION = re.compile(
    rf"(?<![\w.])(?P<n>{_N})\s*(?:/|of|out\s+of)\s*(?:the\s+)?(?P<d>\d{{1,3}}(?:,\d{{3}})+|\d+"
    rf"|{NUMBER_WORDS})(?![\w.%])",
    re.IGNORECASE,
)
_WHO = (
    r"(?:[\w-]+\s+)?(?:patients?|cases?|participants?|subjects?|procedures?|people|persons?"
    r"|individuals?|levels?|men|women)"
)
_COUNTED = re.compile(
    rf"(?<![\w.-])(?P<n>{_N})\s+(?:{_WHO}\b|(?:had|developed|experienced|sustained|suffered"
    r"|required|needed|reported|showed)\b)",
    re.IGNORECASE,
)
_WITH_PERCENT = re.compile(  # "4 (3.3%) developed", "6 patients (6.8%)"
    rf"(?<![\w.-])(?P<n>{_N})\s*(?:{_WHO}\s*)?\(\s*\d+(?:\.\d+)?\s*%\s*\)", re.IGNORECASE
)
_EVENTS_BEFORE = re.compile(rf"(?<![\w.-])(?P<n>{_N})\s+(?:[\w-]+\s+){{0,3}}$", re.IGNORECASE)
#: A percentage, not a confidence level ("95% CI").
PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%(?!\s*(?:CI|confidence))")


def number_value(token: str) -> int | None:
    """ "12", "1,013", "Seventy-five", "a single" → an integer."""
    if " ".join(token.lower().split()) == "a single":
        return 1
    value = parse_number(token)
    return int(value) if value is not None else None


def stated_count(clause: str, start: int, end: int) -> tuple[int | None, int | None, float | None]:
    """(count, denominator, percent) a clause states for what ``clause[start:end]`` names:
    the count nearest to it ("in 4 of 120 patients", "Two patients", "one had", "two
    hematomas") and the nearest percentage, each None when not stated."""
    candidates: list[tuple[int, int, int | None, int | None]] = []  # (s, e, n, d)
    for found in _FRACTION.finditer(clause):
        candidates.append((*found.span(), number_value(found["n"]), number_value(found["d"])))
    for found in (*_WITH_PERCENT.finditer(clause), *_COUNTED.finditer(clause)):
        if not any(s <= found.start() < e for s, e, _, _ in candidates):
            candidates.append((*found.span(), number_value(found["n"]), None))
    before = _EVENTS_BEFORE.search(clause[:start])
    if before:
        candidates.append((before.start(), start, number_value(before["n"]), None))

    def distance(span: tuple[int, int]) -> int:
        return max(0, span[0] - end, start - span[1])

    counts = [c for c in candidates if c[2] is not None]
    count = denominator = None
    if counts:
        _, _, count, denominator = min(counts, key=lambda c: distance((c[0], c[1])))
        if denominator is not None and count is not None and denominator < count:
            denominator = None  # "6 of the 2 levels": not a proportion
    percents = list(PERCENT.finditer(clause))
    percent = float(min(percents, key=lambda p: distance(p.span()))[1]) if percents else None
    return count, denominator, percent
