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

# --- balance: harms, who paid, findings against the procedure ----------------------------------
# Harms are reported as events of a kind; statements that nothing happened are kept apart as
# absence statements (their scope: "any" adverse event, "serious" ones, or one harm kind).

_HARM_KINDS = (
    ("hematoma_bleeding", "Hematoma or bleeding"),
    ("infection", "Infection"),
    ("dural_tear_csf_leak", "Dural tear or CSF leak"),
    ("neural_injury", "Nerve or spinal-cord injury"),
    ("other", "Other or unspecified complication"),
)
#: Kinds of harm, in the order "How safe is it?" lists them (the specific ones first).
HARM_KINDS: tuple[str, ...] = tuple(key for key, _ in _HARM_KINDS)
HARM_LABELS: dict[str, str] = dict(_HARM_KINDS)
#: How serious a harm was, where the study says so (None when it does not).
SERIOUSNESS: tuple[str, ...] = ("serious", "minor")
#: Whether a harm needed surgery.
SURGERY_NEEDED: dict[str, str] = {
    "yes": "needed surgery",
    "no": "no surgery needed",
    "unknown": "surgery not stated",
}
#: What an absence statement rules out, besides one harm kind.
ABSENCE_SCOPES: dict[str, str] = {
    "any": "no procedure-related adverse events",
    "serious": "no serious adverse events",
    **{key: f"no {label.lower()}" for key, label in _HARM_KINDS},
}

_SPONSORSHIP = (
    ("industry", "Industry", "funded by a device maker, or authors paid by one"),
    ("independent", "Independent", "no conflicts declared and funding not from industry"),
    ("not_stated", "Funding not stated", "the record does not say who paid and whether the "
                                          "authors have ties to industry"),
)  # fmt: skip
#: Who paid for a study: each study carries one value, with the words behind it.
SPONSORSHIP: tuple[str, ...] = tuple(key for key, _, _ in _SPONSORSHIP)
SPONSORSHIP_LABELS: dict[str, str] = {key: label for key, label, _ in _SPONSORSHIP}
SPONSORSHIP_MEANING: dict[str, str] = {key: meaning for key, _, meaning in _SPONSORSHIP}
#: What each quoted funding or disclosure statement says.
SPONSORSHIP_CUES: dict[str, str] = {
    "industry_funding": "funded by industry",
    "industry_tie": "author tie to industry",
    "no_conflicts": "no conflicts declared",
    "public_funding": "funded from non-industry sources",
    "no_funding": "no external funding",
}

#: Findings that go against the procedure: never cut from a digest by the item cap.
AGAINST: dict[str, str] = {
    "serious_harm": "Serious harm",
    "high_reoperation_rate": "High rate of further treatment or surgery",
    "no_radiological_decompression": "No decompression on imaging",
}

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
