"""Sample size: the number of patients a study enrolled or treated, as the abstract states it.

Pure functions over plain text. A number counts only when it counts people ("75 patients",
"n = 75", "75 were randomized"), and then only as what it is in its sentence:

- stated as enrolled, randomised, treated or in total (tier 1) beats another patient count
  (tier 2); within a tier the largest wins, since a total is never smaller than its arms;
- arms given without a total add up ("131 mild and 128 injection patients", "the procedure
  (n = 40) or physical therapy (n = 44)", "the procedure arm included 60 patients and the
  therapy arm 58");
- a count said to have had an event ("4 patients underwent laminectomy during follow-up")
  is a last resort (tier 3), and a stated part of the sample is never the sample (tier 4):
  "6 patients (11.5%) became ...", "(40%, n = 212)", "At 2 years, 38 patients ...";
- not patients at all: years ("treated between May 2016 and May 2018 were analysed"), counts
  screened, excluded or per group in a power calculation, and denominators of a registry or a
  population the study drew from ("Of 1.2 million procedures in the registry ...").

A case report is one patient unless it says otherwise.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.evidence.extract import anchored, number_starts, parse_number
from watcher.evidence.textcues import Match, Segment, folded, holds_any, sentence_segments
from watcher.vocabulary import NUMBER_WORDS

_COUNT = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{NUMBER_WORDS})"
_PEOPLE = (
    r"patients?|subjects?|participants?|individuals|persons|people|adults|men|women"
    r"|beneficiaries|veterans|volunteers|cases"
)
_COUNT_NOUN = re.compile(
    rf"(?<![\w.,$])(?P<n>{_COUNT})(?![\w%]|\.\d|,\d)(?P<mid>(?:\s+[A-Za-z][\w-]*){{0,3}}?)"
    rf"\s+(?:{_PEOPLE})\b",
    re.IGNORECASE,
)
_COUNT_N = re.compile(r"(?<![\w.])[nN]\s*=\s*(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?![\w.])")
_COUNT_VERB = re.compile(
    rf"(?<![\w.,$])(?P<n>{_COUNT})\s+(?:were|had been)\s+(?:\w+\s+)?(?:enrolled|randomi[sz]ed"
    r"|treated|included|recruited|operated|analy[sz]ed|studied)\b",
    re.IGNORECASE,
)
_NOT_MODIFIERS_TEXT = (
    "of in with to from per at than for and or the a an were was had who that by on these "
    "those all both each other more less over under about years year months month weeks days "
    "levels level times studies trials articles"
)
_NOT_MODIFIERS = frozenset(_NOT_MODIFIERS_TEXT.split())
_ENROLLED = re.compile(
    r"\b(?:enrol\w*|randomi[sz]\w*|treated|included|recruited|underw[ea]nt|undergoing|operated"
    r"|received|consecutive|total|cohort|series|sample|population|participated|studied"
    r"|analy[sz]ed|reviewed|contained|comprised)\b|^of$",
    re.IGNORECASE,
)
# A count that is part of the sample rather than all of it: "6 patients (11.5%)", "38
# completed 24 months", "4 patients underwent laminectomy during follow-up".
_SUBSET_AFTER = re.compile(r"^\s*[(\[]\s*\d+(?:\.\d+)?\s*%|^\s+of\b")  # "(6%)", "3 cases of"
_SUBSET = re.compile(
    r"\b(?:completed|during follow[\s-]?up|died|develop\w*|experienc\w*|required|needed|lost"
    r"|later|subsequent\w*|reoperat\w*|laminectom\w*|fusion|open surgery|complication\w*"
    r"|adverse|became)\b",
    re.IGNORECASE,
)
# "(40%, n = 212)", "40% (n = 212)": a share of something, stated as a count.
_SHARE_BEFORE = re.compile(r"\d\s*%\s*[,;]?\s*[(\[]?\s*$")
# "At 2 years, 38 patients ...", "At the 12-month visit, ...": a count at a later visit.
_LATER_VISIT = re.compile(
    r"\b(?:at|by|after)\s+(?:the\s+)?(?:\w+[\s-]+(?:weeks?|months?|years?)|final|last|latest)"
    r"\b|follow[\s-]?up\b",
    re.IGNORECASE,
)
_NOT_SAMPLE = re.compile(  # the count is not of patients studied
    r"\b(?:screen\w*|eligib\w*|not (?:allocated|randomi\w*)|declin\w*|withdr\w*|lost to"
    r"|dropped out|refused)\b",
    re.IGNORECASE,
)
# The population a registry or claims study drew its patients from.
_DENOMINATOR = re.compile(
    r"\b(?:in|from|within)\s+(?:the\s+|a\s+)?(?:\w+\s+){0,3}?(?:registry|registries|database"
    r"|population|nationwide|national)\b",
    re.IGNORECASE,
)
_PER_ARM = re.compile(r"^\s*(?:per|in each|each)\b", re.IGNORECASE)
_SCREENING = re.compile(  # a CONSORT-style flow sentence, or a power calculation
    r"\bexclu\w*|\bscreen\w*|\beligib\w*|\bpower\b|\bsample size calculation", re.IGNORECASE
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_YEAR_BEFORE = re.compile(
    rf"\b(?:{_MONTHS}|in|since|from|between|until|through|during|before|after|year)\s*$",
    re.IGNORECASE,
)
_YEAR_AFTER = re.compile(r"^\s*(?:[-–/]|to\s+\d{4}|and\s+\d{4})")
# "The procedure arm included 60 patients and the therapy arm 58": a second arm stated
# elliptically, after a count of patients.
_NEXT_ARM = re.compile(
    r"\s*,?\s*(?:and|while|whereas)\s+(?:the|a|an)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:group|cohort|arm)\s+(?:\w+\s+)?(?P<n>\d{1,3}(?:,\d{3})+|\d+)\b(?!\s*%|\.\d)",
    re.IGNORECASE,
)
# "143 MILD and 143 ESI patients": two arms sharing one noun.
_PAIRED = re.compile(
    rf"(?<![\w.,$])(?P<a>{_COUNT})\s+(?P<x>[A-Za-z][\w-]*)\s+(?:and|or|vs\.?|versus)\s+"
    rf"(?P<b>{_COUNT})\s+(?:[A-Za-z][\w-]*\s+)?(?:{_PEOPLE})\b",
    re.IGNORECASE,
)
# Patterns the rules below use inline, compiled once.
_CLAUSE_BREAK = re.compile(r"[;:]")
_ASSESSED = re.compile(r"\bassessed\b")
_BRACKETED = re.compile(r"\(([^()]*)\)")
_LISTED = re.compile(r"\b(?:and|or|vs\.?|versus)\b|,")  # arms listed apart
_JOINED = re.compile(r"\s*,?\s*(?:and|vs\.?|versus)\s*")  # arms side by side
_CASE_PATIENT = re.compile(  # the one patient of a case report
    r"\b(?:an?\s+(?:\d+|[a-z]+(?:-[a-z]+)?)[\s-]year[\s-]old\b|a\s+(?:patient|man|woman|male"
    r"|female|boy|girl|case)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Count:
    """A stated number of patients, how sure it is the whole sample, and where it stands."""

    value: int
    tier: int  # 1: enrolled/treated/in total; 2: another count; 3: had an event; 4: a part
    match: Match


def _is_year(sentence: str, start: int, end: int, value: int) -> bool:
    """ "January 2018", "between 2016 and 2018", "in 2019": a date, not a count."""
    return 1900 <= value <= 2100 and bool(
        _YEAR_BEFORE.search(sentence[:start]) or _YEAR_AFTER.match(sentence[end:])
    )


# Words each count pattern cannot match without (_PEOPLE: _COUNT_NOUN and _PAIRED; the verbs:
# _COUNT_VERB): a sentence, folded, lacking them is not searched with the pattern
# (tests/test_fast_paths.py).
PEOPLE_WORDS = tuple(re.sub(r"s\?$", "", word) for word in _PEOPLE.split("|"))
VERB_WORDS = ("were", "had been")


def _count_patterns(sentence: str, low: str) -> list[tuple[re.Pattern, str]]:
    """The count patterns that can match ``sentence`` (``low``: it :func:`folded`)."""
    patterns = [(_COUNT_NOUN, "noun")] if holds_any(low, PEOPLE_WORDS) else []
    if "=" in sentence:
        patterns.append((_COUNT_N, "n"))
    if holds_any(low, VERB_WORDS):
        patterns.append((_COUNT_VERB, "verb"))
    return patterns


def _raw_counts(sentence: str, low: str | None = None) -> list[tuple[int, int, int, str]]:
    """(start, end, value, kind) of every count of people in ``sentence``, in order."""
    raw = []
    numbers = number_starts(sentence)[0]
    for pattern, kind in _count_patterns(sentence, folded(sentence) if low is None else low):
        found = pattern.finditer(sentence) if kind == "n" else anchored(pattern, sentence, numbers)
        for m in found:
            mid = m.groupdict().get("mid") or ""
            if any(w.lower() in _NOT_MODIFIERS for w in mid.split()):
                continue
            value = parse_number(m.group("n"))
            if value is None or value < 1 or value != int(value):
                continue
            if _is_year(sentence, m.start("n"), m.end("n"), int(value)):
                continue
            raw.append((m.start(), m.end(), int(value), kind))
    return sorted(raw)


def _tier(sentence: str, start: int, end: int, window: str, kind: str) -> int:
    lead = " ".join(sentence[:start].split()[-3:])
    clause = _CLAUSE_BREAK.split(sentence[:start])[-1]
    if (
        _SUBSET_AFTER.match(sentence[end:])
        or (kind == "n" and _SHARE_BEFORE.search(sentence[:start]))
        or _LATER_VISIT.search(clause)
    ):
        return 4
    if _SUBSET.search(window):
        return 3
    if _DENOMINATOR.search(window):
        return 2
    if kind != "noun" or _ENROLLED.search(window) or _ENROLLED.search(lead):
        return 1
    return 2


def _counts_in(seg: Segment, s_start: int, s_end: int) -> list[Count]:
    sentence = seg.text[s_start:s_end]
    if not number_starts(sentence)[0]:
        return []  # every count pattern, "n = 40" too, starts with a number
    low = folded(sentence)
    people = holds_any(low, PEOPLE_WORDS)
    raw = _raw_counts(sentence, low)
    if not raw:  # no arms to add up; only two counts sharing a noun ("9 A and 11 B patients")
        return _arm_sums(seg, s_start, sentence, [], people) if people else []
    # (a count is dropped for screening only beside "assessed": no such word, no search)
    screening = "assessed" in low and bool(_SCREENING.search(sentence))
    counts = []
    for index, (start, end, value, kind) in enumerate(raw):
        stop = raw[index + 1][0] if index + 1 < len(raw) else len(sentence)
        window = sentence[start:stop].split(";")[0]
        if (
            _NOT_SAMPLE.search(window)
            or _PER_ARM.match(sentence[end:])
            or (screening and _ASSESSED.search(window))
        ):
            continue
        tier = _tier(sentence, start, end, window, kind)
        counts.append(Count(value, tier, Match(seg, s_start + start, s_start + end)))
    return counts + _arm_sums(seg, s_start, sentence, counts, people)


def _total(arms: Sequence[Count], seg: Segment, start: int, end: int) -> Count:
    return Count(sum(c.value for c in arms), min(c.tier for c in arms), Match(seg, start, end))


def _arm_sums(
    seg: Segment, s_start: int, sentence: str, counts: list[Count], people: bool = True
) -> list[Count]:
    """Arms stated side by side add up to the sample when no total is stated: "120 mild
    patients and 118 control patients", "(n = 104 mild, n = 108 injection)", "the procedure
    (n = 40) or physical therapy (n = 44)", "the procedure arm 60 patients and the therapy arm
    58", "131 mild and 128 injection patients"."""
    whole = [c for c in counts if c.tier < 4]
    sums: list[list[Count]] = []
    for group in _BRACKETED.finditer(sentence):
        inside = [c for c in whole if group.start() < c.match.start - s_start < group.end()]
        if len(inside) >= 2 and all(_COUNT_N.fullmatch(c.match.text) for c in inside):
            sums.append(inside)
    labelled = [c for c in whole if _COUNT_N.fullmatch(c.match.text)]
    if len(labelled) >= 2 and not any(len(found) >= 2 for found in sums):
        gaps = [
            sentence[a.match.end - s_start : b.match.start - s_start]
            for a, b in itertools.pairwise(labelled)
        ]
        if all(_LISTED.search(gap) for gap in gaps):
            sums.append(labelled)
    run: list[Count] = []
    for count in whole:
        gap = sentence[run[-1].match.end - s_start : count.match.start - s_start] if run else ""
        if run and _JOINED.fullmatch(gap):
            run.append(count)
        else:
            if len(run) >= 2:
                sums.append(run)
            run = [count]
    if len(run) >= 2:
        sums.append(run)
    found = [_total(arms, seg, arms[0].match.start, arms[-1].match.end) for arms in sums]
    for pair in anchored(_PAIRED, sentence, number_starts(sentence)[0]) if people else ():
        first, second = parse_number(pair.group("a")), parse_number(pair.group("b"))
        if pair.group("x").lower() in _NOT_MODIFIERS or first is None or second is None:
            continue
        tier = next((c.tier for c in whole if c.match.end == s_start + pair.end()), 2)
        value = Count(
            int(first + second), tier, Match(seg, s_start + pair.start(), s_start + pair.end())
        )
        found.append(value)
    for count in whole:  # "... 60 patients and the therapy arm 58"
        after = _NEXT_ARM.match(seg.text, count.match.end, s_start + len(sentence))
        if after and count.match.text.split()[-1].lower().rstrip("s") in ("patient", "case"):
            value = int(after.group("n").replace(",", ""))
            other = Count(value, count.tier, Match(seg, after.start("n"), after.end("n")))
            found.append(_total([count, other], seg, count.match.start, after.end()))
    return found


@functools.lru_cache(maxsize=4096)
def sentence_counts(sentence: str) -> tuple[tuple[int, int, int, int], ...]:
    """(value, tier, start, end) of every count of people in ``sentence``, arms summed; a
    pure function of the sentence's words, so it is read once per distinct sentence (rules
    and records repeat sentences: "design" asks for these counts too)."""
    counts = _counts_in(Segment("", sentence), 0, len(sentence))
    return tuple((c.value, c.tier, c.match.start, c.match.end) for c in counts)


def patient_counts(segments: Sequence[Segment]) -> list[Count]:
    """Every stated count of patients, arms summed, parts of the sample (tier 4) left out."""
    return [
        Count(value, tier, Match(seg, s + start, s + end))
        for seg, s, e in sentence_segments(segments)
        for value, tier, start, end in sentence_counts(seg.text[s:e])
        if tier < 4
    ]


def sample_size(segments: Sequence[Segment], *, case_report: bool = False) -> Count | None:
    """The number of patients enrolled/treated as stated (never studies, levels, years or
    percentages, and never a part of the sample); None when the abstract does not say."""
    counts = patient_counts(segments)
    if case_report:
        small = [c for c in counts if c.tier == 1 and c.value <= 10]
        if small:
            return max(small, key=lambda c: c.value)
        for seg, s, e in sentence_segments(segments):
            found = _CASE_PATIENT.search(seg.text, s, e)
            if found:
                return Count(1, 1, Match(seg, found.start(), found.end()))
        return None
    if not counts:
        return None
    best_tier = min(c.tier for c in counts)
    return max((c for c in counts if c.tier == best_tier), key=lambda c: c.value)
