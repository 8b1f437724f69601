"""Text primitives for the evidence classifier: segments, sentences, snippets, phrase cues,
numbers, and the two numeric extractors (longest follow-up, sample size).

Pure functions over plain text. Everything found is a :class:`Match` — a span inside one
:class:`Segment` of the article — so that every tag the classifier emits can quote the
article's own words (``Match.snippet``) and name where they came from (``Match.source``).
Durations and counts are read in context, never as bare numbers: a number is follow-up only
next to follow-up wording ("at 12 months", "followed for 2 years", "6 weeks after treatment"),
and a count is a sample only when it counts patients.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries, not fooled by "vs.", "et al.", "U.S." or decimals."""
    spans, start = [], 0
    for found in _SENTENCE_END.finditer(text):
        word = re.search(r"([\w.]*)$", text[start : found.start()])
        token = word.group(1).lower() if word else ""
        if token in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", token):
            continue  # "vs.", "U.S.", a lone initial
        spans.append((start, found.end()))
        start = found.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def sentence_of(text: str, position: int) -> tuple[int, int]:
    for start, end in sentence_spans(text):
        if start <= position < end:
            return start, end
    return 0, len(text)


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


# --- phrase cues ---------------------------------------------------------------------------


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
            if not parts or parts[-1] != r"[\s\-‐–]*":
                parts.append(r"[\s\-‐–]*")
        elif char == "®":
            parts.append(r"\s?(?:®|\(®\)|\(R\))")
        else:
            parts.append(re.escape(char))
    body = "".join(parts)
    head = r"(?<!\w)" if text[:1].isalnum() else ""
    tail = r"\w*" if truncated else (r"(?!\w)" if text[-1:].isalnum() else "")
    return head + body + tail


def compile_phrases(phrases: Sequence[str], *, case_sensitive: bool = False) -> re.Pattern | None:
    if not phrases:
        return None
    ordered = sorted({p for p in phrases if p.strip()}, key=len, reverse=True)
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile("|".join(f"(?:{phrase_regex(p)})" for p in ordered), flags)


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 20 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


@dataclass(frozen=True)
class CueSet:
    """Phrases that signal one thing, with the phrases that cancel a hit they overlap.

    ``case_sensitive`` phrases ("MILD", "MiDAS") are skipped in all-capitals text, where case
    says nothing.
    """

    phrases: tuple[str, ...] = ()
    case_sensitive: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern | None, re.Pattern | None, re.Pattern | None] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        patterns = (
            compile_phrases(self.phrases),
            compile_phrases(self.case_sensitive, case_sensitive=True),
            compile_phrases(self.unless),
        )
        object.__setattr__(self, "_patterns", patterns)

    def __bool__(self) -> bool:
        return bool(self.phrases or self.case_sensitive)

    def spans(self, text: str) -> list[tuple[int, int]]:
        loose, exact, unless = self._patterns
        found = [m.span() for m in loose.finditer(text)] if loose else []
        if exact and not _mostly_upper(text):
            found += [m.span() for m in exact.finditer(text)]
        if unless and found:
            blocked = [m.span() for m in unless.finditer(text)]
            found = [s for s in found if not any(s[0] < b[1] and b[0] < s[1] for b in blocked)]
        return sorted(set(found))

    def matches(self, segments: Iterable[Segment]) -> list[Match]:
        return [Match(seg, *span) for seg in segments for span in self.spans(seg.text)]

    def first(self, segments: Iterable[Segment]) -> Match | None:
        return next(iter(self.matches(segments)), None)


def sentence_segments(segments: Iterable[Segment]) -> list[tuple[Segment, int, int]]:
    """Every sentence of every segment, as (segment, start, end)."""
    return [(seg, s, e) for seg in segments for s, e in sentence_spans(seg.text)]


# --- numbers -------------------------------------------------------------------------------

_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen")  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_WORD_VALUE = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_UNIT_WORDS = "|".join(sorted(_UNITS, key=len, reverse=True))
_ONES = "|".join(sorted(_UNITS[1:10], key=len, reverse=True))
_SMALL = rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{_ONES}))?|{_UNIT_WORDS})"
NUMBER_WORDS = rf"(?:{_SMALL}(?:\s+hundred(?:\s+(?:and\s+)?{_SMALL})?)?)"


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
