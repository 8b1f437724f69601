"""The classifier on labelled check records written for these tests (tests/data/
evidence_cases.jsonl), one per way new papers trip it: design when PubMed has indexed only
"Journal Article", sample sizes that are years, denominators, arms or later visits, follow-up
that is a model horizon or a plan, procedure names that are generic or borrowed, and the
weaker questions. Every record is phrased here, never taken from the development corpus; each
states only the fields it tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.factories import text_article
from watcher.evidence import Profile, classify, load_profile
from watcher.records import Article

CASES = Path(__file__).parent / "data" / "evidence_cases.jsonl"
_LABEL = re.compile(r"^([A-Z][A-Z /]+):\s+(.*)$")


def load_cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]


def as_article(case: dict) -> Article:
    """A case as the PubMed parser would give it: "LABEL: text" lines as labelled sections."""
    sections = []
    for line in case["abstract"].splitlines():
        found = _LABEL.match(line)
        sections.append((found.group(1), found.group(2)) if found else line)
    return text_article(
        case["title"], *sections, pmid=case["id"], types=tuple(case["publication_types"])
    )


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile()


@pytest.mark.parametrize("case", load_cases(), ids=lambda case: case["id"])
def test_check_record(profile: Profile, case: dict) -> None:
    evidence = classify(as_article(case), profile)
    expect = case["expect"]
    got = {
        "relevance": evidence.relevance,
        "design": evidence.design,
        "followup_months": evidence.followup_months,
        "sample_size": evidence.sample_size,
    }
    for key in got.keys() & expect.keys():
        assert got[key] == expect[key], (key, evidence)
    assert set(expect.get("questions", ())) <= set(evidence.question_keys), evidence.questions
    assert not set(expect.get("not_questions", ())) & set(evidence.question_keys), evidence


def test_every_category_of_the_issue_is_covered() -> None:
    by_category: dict[str, int] = {}
    for case in load_cases():
        by_category[case["category"]] = by_category.get(case["category"], 0) + 1
    assert set(by_category) == {"design", "sample_size", "followup", "relevance", "questions"}
    assert min(by_category.values()) >= 5
    assert len({case["id"] for case in load_cases()}) == len(load_cases())
