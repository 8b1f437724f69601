"""Study names are found as the two plain regexes found them, only faster.

``names_in`` reads every relevant abstract each time the digests group papers into studies, so
its two patterns were rewritten for speed (a name as a word checked from its first capital;
"trial (NAME)" found from its bracket). The patterns as they were are kept here as the
reference; both must give the same names at the same places, on hand-made edge cases and on
many generated texts (fixed seed) mixing names, study words, brackets, odd spaces and the
letters a case-insensitive match treats as s, k and i.
"""

from __future__ import annotations

import random
import re

import pytest

from watcher.studylinks import _BEFORE, _bracketed_names, names_in

_TOKEN = r"[A-Z](?=[A-Za-z0-9-]*[A-Z])[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
_NAME = rf"(?P<name>{_TOKEN}(?:[ ]{_TOKEN})?)"
_STUDY_WORD = r"(?:trial|study|registry|cohort)"
_MODIFIERS = (
    "randomi[sz]ed|controlled|clinical|pivotal|prospective|multi-?cent(?:er|re)|open-label|"
    "blinded|double-blind|single-blind|sham-controlled|pilot|feasibility|observational|"
    "comparative|crossover|non-?inferiority|superiority|extension|follow-up|long-term|"
    "post-?market|phase|[1-4]|I{1,3}V?|IV"
)
REFERENCE_BEFORE = re.compile(
    rf"(?<![\w-]){_NAME}(?:\s+(?i:{_MODIFIERS})){{0,4}}\s+(?i:{_STUDY_WORD})\b"
)
REFERENCE_AFTER = re.compile(rf"(?i:{_STUDY_WORD})\s*\(\s*{_NAME}\s*[);,]")


def reference_hits(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    def spans(pattern: re.Pattern[str]) -> list[tuple[int, str]]:
        return [(m.start("name"), m.group("name")) for m in pattern.finditer(text)]

    return spans(REFERENCE_BEFORE), spans(REFERENCE_AFTER)


def hits(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    before = [(m.start("name"), m.group("name")) for m in _BEFORE.finditer(text)]
    return before, _bracketed_names(text)


EDGES = [
    "",
    "KESTREL trial",  # a name at the very start
    "trial (KESTREL)",  # a study word at the very start
    "(KESTREL) trial (ALPHA-2)",
    "the X-KESTREL trial, the _KESTREL trial, the 9KESTREL trial, the é-KESTREL trial",
    "a trial(KESTREL) and a study \t\n ( NORDIC SPINE ; and a cohort  (AB,CD)",
    "subtrial (KESTREL) and pilotstudy (HARBOR-2)",  # no word boundary before the word
    "trial (STUDY (KESTREL) ) study (AB (CD)",  # brackets inside brackets
    "registry\u00a0(KESTREL)",  # a no-break space is a space to \s
    "TRIAL (KESTREL) ſtudy (HARBOR) \u212aohort? coho\u212at (NORDIC) regiſtry (ALPHA)",
    "trıal (KESTREL) trİal (HARBOR)",  # dotless and dotted i: not an i to re
    "a phase III randomized controlled double-blind trial (HARBOR-2); the MiDAS ENCORE study",
    "HARBOR-2 randomized controlled double-blind sham-controlled pilot trial",  # 5 modifiers
    "AB CD EF trial (GH IJ KL)",
    "trial (KESTREL)trial (HARBOR)",
]

ALPHABET = [
    *["trial", "Study", "REGISTRY", "cohort", "ſtudy", "\u212aohort", "trıal", "trials"],
    *["randomized", "Pilot", "phase", "III", "2", "double-blind", "multi-center"],
    *["KESTREL", "HARBOR-2", "MiDAS", "ENCORE", "Ab", "AB", "aBC", "X-RAY", "NCT01234567"],
    *["(", ")", ";", ",", "-", "_", " ", " ", " ", "  ", "\t", "\n", "\u00a0", "é", "9", "."],
    *["trial (", "study  (", "Cohort(", "(KESTREL", "( AB CD", ")", ";", ","],  # brackets often
]


def generated(count: int, seed: int = 10) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(1, 40))) for _ in range(count)]


@pytest.mark.parametrize("text", EDGES)
def test_same_names_at_the_same_places_on_edge_cases(text: str) -> None:
    assert hits(text) == reference_hits(text)


def test_same_names_at_the_same_places_on_generated_texts() -> None:
    texts = generated(20_000)
    differ = [t for t in texts if hits(t) != reference_hits(t)]
    assert not differ, f"{len(differ)} texts differ, e.g. {differ[0]!r}"
    # the generated texts do exercise both patterns
    assert sum(bool(reference_hits(t)[0]) for t in texts) > 500
    assert sum(bool(reference_hits(t)[1]) for t in texts) > 500


def test_names_in_reads_both_patterns_in_text_order() -> None:
    text = "The KESTREL trial (HARBOR-2) and a later study (NORDIC SPINE)."
    assert names_in(text) == ["KESTREL", "HARBOR-2", "NORDIC SPINE"]
