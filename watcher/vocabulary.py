"""The words every wing shares: study designs, levels of evidence, the surgeons' questions, and
how each is shown. This is the one place these keys are written.

The classifier's profile is validated against these keys, the store checks subscribers'
question filters against them, and the digests order, label and colour by them. Each key
stands once, in a row that holds everything said about it, so a label table cannot drift from
the key list (``tests/test_vocabulary.py`` checks every table and the bundled profile).

Order matters: designs and questions are listed the way digests show them (strongest design
first; the questions in the order of design.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Design:
    key: str
    label: str  # how a digest names it
    short: str  # chart legend and text-table column head: short enough for ten in 560 px
    colour: str  # chart colour: Okabe–Ito colour-blind-safe, strongest designs darkest


@dataclass(frozen=True)
class Question:
    key: str
    title: str  # a digest section heading: the question a surgeon asks
    short: str  # a tag-sized name ("Also tagged: long-term efficacy")


_DESIGNS = (
    Design("systematic_review_meta_analysis", "Systematic review / meta-analysis", "SR/MA",
           "#5D3A9B"),
    Design("rct", "Randomized controlled trial", "RCT", "#0072B2"),
    Design("prospective_cohort", "Prospective cohort", "Prosp", "#009E73"),
    Design("retrospective_cohort", "Retrospective cohort", "Retro", "#56B4E9"),
    Design("case_series", "Case series", "Series", "#E69F00"),
    Design("case_report", "Case report", "Case", "#F0E442"),
    Design("narrative_review", "Narrative review", "Review", "#999999"),
    Design("economic_analysis", "Economic analysis", "Econ", "#CC79A7"),
    Design("guideline_consensus", "Guideline / consensus", "Guide", "#D55E00"),
    Design("other", "Other design", "Other", "#CCCCCC"),
)  # fmt: skip

_QUESTIONS = (
    Question("long_term_efficacy", "Does the benefit last?", "long-term efficacy"),
    Question("patient_selection", "Who benefits?", "patient selection"),
    Question("reoperation", "How many need more treatment or open surgery?", "reoperation"),
    Question("safety", "How safe is it?", "safety"),
    Question("cost_coverage", "Cost and coverage", "cost and coverage"),
    Question("comparative", "Compared with what?", "comparative"),
    Question("operator", "Who performs it, and does it matter?", "operator"),
)

#: Study designs, strongest first (the order of chart stacks and tables).
DESIGNS: tuple[str, ...] = tuple(d.key for d in _DESIGNS)
DESIGN_LABELS: dict[str, str] = {d.key: d.label for d in _DESIGNS}
DESIGN_SHORT: dict[str, str] = {d.key: d.short for d in _DESIGNS}
DESIGN_COLOURS: dict[str, str] = {d.key: d.colour for d in _DESIGNS}

#: Levels of evidence as spine journals grade therapeutic studies, strongest first.
LEVELS: tuple[str, ...] = ("I", "II", "III", "IV", "V")

#: The questions surgeons ask (design.md), in the order a digest shows them.
QUESTIONS: tuple[str, ...] = tuple(q.key for q in _QUESTIONS)
QUESTION_TITLES: dict[str, str] = {q.key: q.title for q in _QUESTIONS}
QUESTION_SHORT: dict[str, str] = {q.key: q.short for q in _QUESTIONS}

# --- numbers written as words ------------------------------------------------------------------
# The classifier reads counts and durations spelled out ("Seventy-five patients", "two years"),
# the digests recognise a stated figure by them, and the synthetic records spell numbers so.

NUMBER_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                "seventeen", "eighteen", "nineteen")  # fmt: skip
NUMBER_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNIT_WORDS = "|".join(sorted(NUMBER_UNITS, key=len, reverse=True))
_ONES = "|".join(sorted(NUMBER_UNITS[1:10], key=len, reverse=True))
_SMALL = rf"(?:(?:{'|'.join(NUMBER_TENS)})(?:[\s-](?:{_ONES}))?|{_UNIT_WORDS})"
#: A regex (no groups) for a number in words up to the hundreds: "forty-five", "one hundred ten".
NUMBER_WORDS = rf"(?:{_SMALL}(?:\s+hundred(?:\s+(?:and\s+)?{_SMALL})?)?)"

# --- registered trials (ClinicalTrials.gov) -----------------------------------------------------
# The registry's own status keys (API v2 ``overallStatus``) and how a digest says them; and the
# kinds of change the registry watcher records about a trial, with their digest wording.

TRIAL_STATUS_LABELS: dict[str, str] = {
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "RECRUITING": "Recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "SUSPENDED": "Suspended",
    "TERMINATED": "Terminated",
    "COMPLETED": "Completed",
    "WITHDRAWN": "Withdrawn",
    "UNKNOWN": "Unknown status",
}
#: Statuses of trials still running or about to: their evidence is on its way.
TRIAL_ONGOING: tuple[str, ...] = (
    "NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
    "SUSPENDED",
)  # fmt: skip
#: Statuses that end a trial without its planned evidence.
TRIAL_STOPPED: tuple[str, ...] = ("TERMINATED", "WITHDRAWN")

#: Kinds of trial event, most important first (the order a digest lists changes in).
TRIAL_EVENT_LABELS: dict[str, str] = {
    "terminated": "Terminated",
    "withdrawn": "Withdrawn",
    "suspended": "Suspended",
    "results_posted": "Results posted",
    "completed": "Completed",
    "date_moved": "Completion date moved",
    "status": "Status changed",
    "registered": "Newly registered",
}
TRIAL_EVENT_KINDS: tuple[str, ...] = tuple(TRIAL_EVENT_LABELS)
