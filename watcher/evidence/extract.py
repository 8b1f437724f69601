"""Longest follow-up, and the numbers and durations it reads (sample size, which reads the
same numbers, is :mod:`~watcher.evidence.samplesize`).

Pure functions over plain text, returning :class:`~watcher.evidence.textcues.Match` spans so
that a tag can quote the article. Durations are read in context, never as bare numbers: a
duration is follow-up only next to follow-up wording ("at 12 months", "followed for 2 years",
"6 weeks after treatment", "3, 12 and 24 months afterwards", "30-day readmission"). Ages,
symptom durations, enrolment periods, planned visits and trends ("has changed over 20 years")
are not; an economic model's horizons are dropped by the classifier.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import ahocorasick

from watcher.evidence.textcues import Match, Segment, folded, holds_any, sentence_segments
from watcher.vocabulary import NUMBER_TENS, NUMBER_UNITS, NUMBER_WORDS

# --- numbers -------------------------------------------------------------------------------

_WORD_VALUE = {w: i for i, w in enumerate(NUMBER_UNITS)} | {
    w: 20 + 10 * i for i, w in enumerate(NUMBER_TENS)
}


_DIGITS = re.compile(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?")
_WORD_BREAK = re.compile(r"[\s-]+")


def parse_number(token: str) -> float | None:
    """ "24", "1,013", "6.4", "Seventy-five", "one hundred and two" → a number."""
    text = token.strip().lower()
    if _DIGITS.fullmatch(text):
        return float(text.replace(",", ""))
    value = 0
    for word in _WORD_BREAK.split(text):
        if word == "hundred":
            value = max(value, 1) * 100
        elif word in _WORD_VALUE:
            value += _WORD_VALUE[word]
        elif word != "and":
            return None
    return float(value)


# --- where numbers can start ----------------------------------------------------------------

_DIGITS_RUN = re.compile(r"\d+")


@functools.cache
def _number_keys() -> ahocorasick.Automaton:
    """The number words, and "a" before a space of any kind (what \\s matches: every such
    character is below U+3001): (length, is a number word) each."""
    automaton = ahocorasick.Automaton()
    for word in (*NUMBER_UNITS, *NUMBER_TENS):
        automaton.add_word(word, (len(word), True))
    for space in filter(str.isspace, map(chr, range(0x3001))):
        automaton.add_word("a" + space, (2, False))
    automaton.make_automaton()
    return automaton


@functools.lru_cache(maxsize=4096)
def number_starts(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where in ``text`` a number can start (a run of digits, or a number word in any case),
    and where an "a" stands before a space: the count and duration patterns, which cannot
    start right after a letter or digit, start only there, so they are tried at these
    places (:func:`anchored`) instead of at every character. More places than needed ("one" in
    "none"), never fewer: :func:`folded` keeps each character in place."""
    words = []
    articles = []
    for end, (size, is_number) in _number_keys().iter(folded(text)):
        if is_number:
            words.append(end - size + 1)
        else:
            articles.append(end - 1)
    digits = [m.start() for m in _DIGITS_RUN.finditer(text)]
    numbers = sorted({*digits, *words}) if words else digits
    return tuple(numbers), tuple(articles)


def anchored(pattern: re.Pattern, text: str, starts: Sequence[int]) -> Iterator[re.Match]:
    """What ``pattern.finditer(text)`` finds, for a pattern that matches only at ``starts``
    (ascending) and never matches empty: tried there, left to right, never inside a match
    already found."""
    done = 0
    match = pattern.match
    for start in starts:
        if start >= done and (found := match(text, start)):
            yield found
            done = found.end()


# --- durations and follow-up ---------------------------------------------------------------

_NUM = rf"(?:\d+(?:\.\d+)?|{NUMBER_WORDS})"
_UNIT = r"(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?|decades?)"
_DURATION = re.compile(
    rf"(?<![\w.])(?P<nums>{_NUM}-?(?:\s*(?:,|,?\s*and|,?\s*or|to|through|–|-)\s*{_NUM}-?)*)"
    rf"(?:\s+or\s+(?:more|longer))?[\s‐-]*{_UNIT}(?!\w)"
    rf"|(?<!\w)(?P<a>a)\s+(?P<unit_a>year|month|week|decade)(?!\w)",
    re.IGNORECASE,
)
_NUM_IN_LIST = re.compile(_NUM, re.IGNORECASE)
# Every unit _DURATION can end in contains one of these: a text without any has no duration,
# and the costly pattern is not run over it (tests/test_fast_paths.py).
UNIT_WORDS = ("day", "week", "wk", "mo", "year", "yr", "decade")


def to_months(value: float, unit: str) -> float:
    """Months as clinicians quote them: 6 weeks = 1.5, 26 weeks = 6, 52 weeks = 12, 5 days = 0.2.

    Weeks in multiples of 13 are quarters (trial schedules: 13/26/52/104 weeks); other weeks
    count four to the month (6 weeks = 1.5 months, as papers write it).
    """
    unit = unit.lower()
    if unit.startswith("d") and not unit.startswith("dec"):
        months = value / 30.4375
        return float(round(months)) if abs(months - round(months)) < 0.15 else round(months, 1)
    if unit.startswith("w"):
        return round(value * 3 / 13, 1) if value % 13 == 0 else round(value / 4, 1)
    if unit.startswith("mo"):
        return round(float(value), 1)
    if unit.startswith("dec"):
        return round(float(value * 120), 1)
    return round(float(value * 12), 1)


@dataclass(frozen=True)
class Duration:
    """A stated duration: its length in months and where it stands in the text."""

    months: float
    start: int
    end: int
    adjective: bool  # "2-year", "six-month": a modifier ("2-year outcomes")


def find_durations(text: str) -> list[Duration]:
    """Every stated duration; for a range or list ("12 to 24 months", "1-, 2- and 5-year") the
    longest."""
    found: list[Duration] = []
    if not holds_any(folded(text), UNIT_WORDS):
        return found
    numbers, articles = number_starts(text)
    for m in anchored(_DURATION, text, sorted(numbers + articles)):
        if m.group("a"):
            found.append(Duration(to_months(1, m.group("unit_a")), m.start(), m.end(), False))
            continue
        values = [parse_number(n) for n in _NUM_IN_LIST.findall(m.group("nums"))]
        values = [v for v in values if v is not None]
        if not values:
            continue
        unit = m.group("unit")
        adjective = unit.lower().rstrip("s") == unit.lower() and "-" in text[m.start() : m.end()]
        found.append(Duration(to_months(max(values), unit), m.start(), m.end(), adjective))
    return found


_SENTENCE_VETO = re.compile(
    r"\b(?:planned|will|is ongoing|are ongoing|to be (?:collected|reported|completed)|horizon"
    r"|markov|simulat\w*|lifetime|projected|(?:is|are) (?:needed|required|warranted|lacking"
    r"|scheduled)"
    r"|warranted|future|should)\b",
    re.IGNORECASE,
)
# Words (folded) _SENTENCE_VETO cannot match without: a sentence lacking them all is not
# searched with it (tests/test_fast_paths.py).
VETO_WORDS = (
    "planned", "will", "ongoing", "to be", "horizon", "markov", "simulat", "lifetime",
    "projected", "needed", "required", "warranted", "lacking", "scheduled", "future", "should",
)  # fmt: skip
_AGE_BEFORE = re.compile(
    r"\b(?:age[sd]?|older than|younger than|over the age of)\W*(?:\w+\W+)?$"
    r"|\b(?:patients|adults|people|persons|subjects|individuals|men|women|participants|those)"
    r"\s+(?:over|above|under|below)\s*$"
)
_AGE_AFTER = re.compile(r"^(?:[\s-]*old\b|\s+of\s+age\b|\s+(?:or|and)\s+(?:older|younger|over))")
_SPAN_AFTER = re.compile(
    r"^[\s’']*(?:(?!follow)[\w-]+\s+)?(?:period|span|horizon|window|survival|history|interval)\b"
)
_FOLLOW = re.compile(r"follow(?:ed)?[\s-]?ups?\b|followed\b|followup\b")
_FILLER_WORDS_TEXT = (
    "of for up to at least a an the mean median average minimum maximum was were is are "
    "lasted period duration time range ranged ranging from between and or over through until "
    "approximately about nearly more than beyond longest final last total data available "
    "visit visits assessment assessments completed day days week weeks wk wks month months "
    "mo mos year years yr yrs"
)
_FILLER_WORDS = frozenset(_FILLER_WORDS_TEXT.split())
_AFTER_FOLLOW = re.compile(r"^[\s’'s-]*(?:of\s+)?(?:[\w-]+\s+)?(?:follow[\s-]?ups?|followup)\b")
_AFTER_EVENT = re.compile(
    r"^\s*(?:post[\s-]?(?:operative(?:ly)?|op(?:eratively)?|procedur\w*|treatment|injection"
    r"|intervention|implantation)|later\b|afterwards?\b|thereafter\b"
    r"|(?:after|following)\s+(?:the\s+|their\s+|index\s+"
    r"|initial\s+)*(?:[\w®-]+\s+){0,2}?(?:surgery|treatment|procedure|operation|intervention"
    r"|injection|decompression|mild|implantation|therapy|discharge|randomi[sz]ation"
    r"|enrol\w+|diagnosis)\b)",
    re.IGNORECASE,
)
_AFTER_RESULT = re.compile(
    r"^\s*(?:[\w-]+\s+)?(?:results?|outcomes?|data|report|visit|assessments?|evaluation"
    r"|efficacy|durability|analysis|endpoint|end point|changes?|scores?|survey|examination"
    r"|mri|imaging|responders?|success|improvement|relief|readmissions?|mortality"
    r"|complications?|reoperations?)\b"
)
_TIME_POINT = re.compile(  # "at 12 months", "by 2 years", "at 6 weeks, 3, 6 and 12 months"
    r"\b(?:at|by|through|thru|until|up to|beyond)\s+(?:the\s+|about\s+|approximately\s+"
    r"|around\s+|an?\s+(?:mean|median|average)\s+of\s+|(?:mean|median)\s+)?"
    r"(?:[\w.]+[\s-]+(?:days?|weeks?|months?|years?)\s*,?\s*(?:and\s+)?)*$"
)
_OVER = re.compile(  # "pain fell over 4 years": only in a sentence about patients' outcomes
    r"\b(?:over|during)\s+(?:the\s+|a\s+|an\s+)?(?:first\s+|next\s+|following\s+)?$"
)
_OUTCOME_WORDS = re.compile(
    r"\b(?:outcomes?|scores?|pain|disability|function|improv\w*|effects?|benefit|relief"
    r"|ODI|VAS|NRS|ZCQ|Oswestry)\b",
    re.IGNORECASE,
)
_TERM = re.compile(
    r"\b(?:short|intermediate|medium|mid|long)(?:[\s-]term)?\s*\(\s*"
    r"(?:more than\s+|over\s+|at least\s+|up to\s+|>\s*|≥\s*)?$"
)
_BENEFIT = re.compile(
    r"\b(?:relief|improvements?|benefits?|effects?|efficacy|response|results?|outcomes?)\b"
    r"[^.;]{0,40}\b(?:last\w*|persist\w*|sustain\w*|maintain\w*|durable|remained|stayed"
    r"|continued)\b[^.;]{0,25}$"
)


_TOKEN = re.compile(r"[^\W\d_]+|\d")


def _only_filler(text: str) -> bool:
    """Between "follow-up" and a number only small words may stand ("follow-up of at least")."""
    for token in _TOKEN.findall(text):
        if not (token.isdigit() or token in _FILLER_WORDS or parse_number(token) is not None):
            return False
    return True


def is_followup(sentence: str, duration: Duration) -> bool:
    """Is this duration (a span of ``sentence``) a time at which patients were seen?

    Ages, symptom durations, enrolment periods, model horizons and planned visits are not.
    """
    return not _vetoed(sentence) and _seen_then(sentence, duration)


def _vetoed(sentence: str) -> bool:
    """A sentence about plans, models or what is needed: none of its durations is follow-up."""
    return holds_any(folded(sentence), VETO_WORDS) and bool(_SENTENCE_VETO.search(sentence))


def _seen_then(sentence: str, duration: Duration) -> bool:
    """:func:`is_followup` for a sentence that is not :func:`_vetoed`."""
    before = sentence[: duration.start].lower()
    after = sentence[duration.end :].lower()
    if _AGE_BEFORE.search(before) or _AGE_AFTER.match(after):
        return False
    if _AFTER_FOLLOW.match(after):
        return True
    if _SPAN_AFTER.match(after):
        return False
    follows = list(_FOLLOW.finditer(before))
    if follows and _only_filler(before[follows[-1].end() :]):
        return True
    return bool(
        _TIME_POINT.search(before)
        or (_OVER.search(before) and _OUTCOME_WORDS.search(sentence) is not None)
        or _TERM.search(before)
        or _BENEFIT.search(before)
        or _AFTER_EVENT.match(after)
        or (duration.adjective and _AFTER_RESULT.match(after))
    )


def followup_mentions(segments: Iterable[Segment]) -> list[tuple[float, Match]]:
    """Every duration stated as follow-up, with where it was found."""
    return [
        (months, Match(seg, s_start + start, s_start + end))
        for seg, s_start, s_end in sentence_segments(segments)
        for months, start, end in sentence_followups(seg.text[s_start:s_end])
    ]


@functools.lru_cache(maxsize=4096)
def sentence_followups(sentence: str) -> tuple[tuple[float, int, int], ...]:
    """(months, start, end) of every duration ``sentence`` states as follow-up: a pure
    function of the sentence, read once per distinct sentence."""
    durations = find_durations(sentence)
    if not durations or _vetoed(sentence):  # the sentence's veto is looked for once
        return ()
    return tuple((d.months, d.start, d.end) for d in durations if _seen_then(sentence, d))


def longest_followup(segments: Iterable[Segment]) -> tuple[float, Match] | None:
    mentions = followup_mentions(segments)
    return max(mentions, key=lambda item: item[0]) if mentions else None
