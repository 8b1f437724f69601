"""The evidence classifier's two numeric extractors, longest follow-up and sample size, and
the numbers and durations they read.

Pure functions over plain text, returning :class:`~watcher.evidence.textcues.Match` spans so
that a tag can quote the article. Durations and counts are read in context, never as bare
numbers: a number is follow-up only next to follow-up wording ("at 12 months", "followed for
2 years", "6 weeks after treatment"), and a count is a sample only when it counts patients.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from watcher.evidence.textcues import Match, Segment, sentence_segments
from watcher.vocabulary import NUMBER_TENS, NUMBER_UNITS, NUMBER_WORDS

# --- numbers -------------------------------------------------------------------------------

_WORD_VALUE = {w: i for i, w in enumerate(NUMBER_UNITS)} | {
    w: 20 + 10 * i for i, w in enumerate(NUMBER_TENS)
}


def parse_number(token: str) -> float | None:
    """ "24", "1,013", "6.4", "Seventy-five", "one hundred and two" → a number."""
    text = token.strip().lower()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    value = 0
    for word in re.split(r"[\s-]+", text):
        if word == "hundred":
            value = max(value, 1) * 100
        elif word in _WORD_VALUE:
            value += _WORD_VALUE[word]
        elif word != "and":
            return None
    return float(value)


# --- durations and follow-up ---------------------------------------------------------------

_NUM = rf"(?:\d+(?:\.\d+)?|{NUMBER_WORDS})"
_UNIT = r"(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?|decades?)"
_DURATION = re.compile(
    rf"(?<![\w.])(?P<nums>{_NUM}-?(?:\s*(?:,|,?\s*and|,?\s*or|to|through|–|-)\s*{_NUM}-?)*)"
    rf"[\s‐-]*{_UNIT}(?!\w)"
    rf"|(?<!\w)(?P<a>a)\s+(?P<unit_a>year|month|week|decade)(?!\w)",
    re.IGNORECASE,
)
_NUM_IN_LIST = re.compile(_NUM, re.IGNORECASE)


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
        return float(value * 120)
    return float(value * 12)


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
    found = []
    for m in _DURATION.finditer(text):
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
    r"|markov|simulat\w*|lifetime|projected|(?:is|are) (?:needed|required|warranted|lacking)"
    r"|warranted|future|should)\b",
    re.IGNORECASE,
)
_AGE_BEFORE = re.compile(r"\b(?:age[sd]?|older than|younger than|over the age of)\W*(?:\w+\W+)?$")
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
    r"|intervention|implantation)|later\b|(?:after|following)\s+(?:the\s+|their\s+|index\s+"
    r"|initial\s+)*(?:[\w®-]+\s+){0,2}?(?:surgery|treatment|procedure|operation|intervention"
    r"|injection|decompression|mild|implantation|therapy|discharge|randomi[sz]ation"
    r"|enrol\w+)\b)",
    re.IGNORECASE,
)
_AFTER_RESULT = re.compile(
    r"^\s*(?:[\w-]+\s+)?(?:results?|outcomes?|data|report|visit|assessments?|evaluation"
    r"|efficacy|durability|analysis|endpoint|end point|changes?|scores?|survey|examination"
    r"|mri|imaging|responders?|success|improvement|relief)\b"
)
_TIME_POINT = re.compile(  # "at 12 months", "by 2 years", "at 6 weeks, 3, 6 and 12 months"
    r"\b(?:at|by|through|thru|until|up to|beyond)\s+(?:the\s+|about\s+|approximately\s+"
    r"|around\s+)?(?:[\w.]+[\s-]+(?:days?|weeks?|months?|years?)\s*,?\s*(?:and\s+)?)*$"
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


def _only_filler(text: str) -> bool:
    """Between "follow-up" and a number only small words may stand ("follow-up of at least")."""
    for token in re.findall(r"[^\W\d_]+|\d", text):
        if not (token.isdigit() or token in _FILLER_WORDS or parse_number(token) is not None):
            return False
    return True


def is_followup(sentence: str, duration: Duration) -> bool:
    """Is this duration (a span of ``sentence``) a time at which patients were seen?

    Ages, symptom durations, enrolment periods, model horizons and planned visits are not.
    """
    before = sentence[: duration.start].lower()
    after = sentence[duration.end :].lower()
    if _SENTENCE_VETO.search(sentence) or _AGE_BEFORE.search(before) or _AGE_AFTER.match(after):
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
        or _TERM.search(before)
        or _BENEFIT.search(before)
        or _AFTER_EVENT.match(after)
        or (duration.adjective and _AFTER_RESULT.match(after))
    )


def followup_mentions(segments: Iterable[Segment]) -> list[tuple[float, Match]]:
    """Every duration stated as follow-up, with where it was found."""
    found = []
    for seg, s_start, s_end in sentence_segments(segments):
        sentence = seg.text[s_start:s_end]
        for duration in find_durations(sentence):
            if is_followup(sentence, duration):
                found.append(
                    (duration.months, Match(seg, s_start + duration.start, s_start + duration.end))
                )
    return found


def longest_followup(segments: Iterable[Segment]) -> tuple[float, Match] | None:
    mentions = followup_mentions(segments)
    return max(mentions, key=lambda item: item[0]) if mentions else None


# --- sample size ---------------------------------------------------------------------------

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
    r"|analy[sz]ed|reviewed)\b|^of$",
    re.IGNORECASE,
)
# A count that is part of the sample rather than all of it: "6 patients (11.5%)", "38
# completed 24 months", "4 patients underwent laminectomy during follow-up".
_SUBSET_AFTER = re.compile(r"^\s*\(\s*\d+(?:\.\d+)?\s*%|^\s+of\b")  # "(6%)", "3 cases of"
_SUBSET = re.compile(
    r"\b(?:completed|during follow[\s-]?up|died|develop\w*|experienc\w*|required|needed|lost"
    r"|later|subsequent\w*|reoperat\w*|laminectom\w*|fusion|open surgery|complication\w*"
    r"|adverse)\b",
    re.IGNORECASE,
)
_NOT_SAMPLE = re.compile(  # the count is not of patients studied
    r"\b(?:screen\w*|eligib\w*|not (?:allocated|randomi\w*)|declin\w*|withdr\w*|lost to"
    r"|dropped out|refused)\b",
    re.IGNORECASE,
)
_PER_ARM = re.compile(r"^\s*(?:per|in each|each)\b", re.IGNORECASE)
_SCREENING = re.compile(  # a CONSORT-style flow sentence, or a power calculation
    r"\bexclu\w*|\bscreen\w*|\beligib\w*|\bpower\b|\bsample size calculation", re.IGNORECASE
)
_CASE_PATIENT = re.compile(  # the one patient of a case report
    r"\b(?:an?\s+(?:\d+|[a-z]+(?:-[a-z]+)?)[\s-]year[\s-]old\b|a\s+(?:patient|man|woman|male"
    r"|female|boy|girl|case)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Count:
    """A stated number of patients, how sure it is the whole sample, and where it stands."""

    value: int
    tier: int  # 1: stated as enrolled/treated/in total; 2: another patient count; 3: a subset
    match: Match


def _counts_in(seg: Segment, s_start: int, s_end: int) -> list[Count]:
    sentence = seg.text[s_start:s_end]
    raw: list[tuple[int, int, int, str]] = []  # start, end, value, kind
    for pattern, kind in ((_COUNT_NOUN, "noun"), (_COUNT_N, "n"), (_COUNT_VERB, "verb")):
        for m in pattern.finditer(sentence):
            mid = m.groupdict().get("mid") or ""
            if any(w.lower() in _NOT_MODIFIERS for w in mid.split()):
                continue
            value = parse_number(m.group("n"))
            if value is not None and value >= 1 and value == int(value):
                raw.append((m.start(), m.end(), int(value), kind))
    raw.sort()
    screening = bool(_SCREENING.search(sentence))
    counts = []
    for index, (start, end, value, kind) in enumerate(raw):
        stop = raw[index + 1][0] if index + 1 < len(raw) else len(sentence)
        window = sentence[start:stop].split(";")[0]
        lead = " ".join(sentence[:start].split()[-3:])
        if (
            _NOT_SAMPLE.search(window)
            or _PER_ARM.match(sentence[end:])
            or (screening and re.search(r"\bassessed\b", window))
        ):
            continue
        if _SUBSET_AFTER.match(sentence[end:]) or _SUBSET.search(window):
            tier = 3
        elif kind != "noun" or _ENROLLED.search(window) or _ENROLLED.search(lead):
            tier = 1
        else:
            tier = 2
        counts.append(Count(value, tier, Match(seg, s_start + start, s_start + end)))
    return counts + _arm_sums(seg, s_start, sentence, counts)


def _arm_sums(seg: Segment, s_start: int, sentence: str, counts: list[Count]) -> list[Count]:
    """Arms stated side by side ("249 ESI patients and 241 control patients", "(n = 149
    MILD, n = 153 control)") add up to the sample when no total is stated."""
    sums = []
    for group in re.finditer(r"\(([^()]*)\)", sentence):
        inside = [c for c in counts if group.start() < c.match.start - s_start < group.end()]
        if len(inside) >= 2 and all(_COUNT_N.fullmatch(c.match.text) for c in inside):
            sums.append(inside)
    run: list[Count] = []
    for count in counts:
        gap = sentence[run[-1].match.end - s_start : count.match.start - s_start] if run else ""
        if run and re.fullmatch(r"\s*,?\s*(?:and|vs\.?|versus)\s*", gap):
            run.append(count)
        else:
            if len(run) >= 2:
                sums.append(run)
            run = [count]
    if len(run) >= 2:
        sums.append(run)
    return [
        Count(
            sum(c.value for c in arms),
            min(c.tier for c in arms),
            Match(seg, arms[0].match.start, arms[-1].match.end),
        )
        for arms in sums
    ]


def sample_size(segments: Sequence[Segment], *, case_report: bool = False) -> Count | None:
    """The number of patients enrolled/treated as stated (never studies, levels or percentages).

    Counts stated as enrolled, randomised, treated or in total win over other patient counts,
    and those over subsets ("6 patients (11.5%) underwent laminectomy"); within a tier the
    largest wins (a total is never smaller than its arms). A case report is one patient unless
    it says otherwise.
    """
    counts = [c for seg, s, e in sentence_segments(segments) for c in _counts_in(seg, s, e)]
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
