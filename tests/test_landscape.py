"""The landscape is a pure function of (Article, Evidence) pairs: counts, follow-up, figures,
timeline, and what changed since the previous digest."""

from __future__ import annotations

import pytest

from digests.landscape import (
    build_landscape,
    citation,
    counts_as_evidence,
    first_author,
    summarize,
)
from digests.model import Count
from watcher import pubmed
from watcher.evidence import classify, load_profile
from watcher.localpubmed import SAMPLE_DIR
from watcher.records import Article, Evidence, Tag

SAMPLE = SAMPLE_DIR


def article(pmid: str, year: int = 2020, **changes: object) -> Article:
    values: dict[str, object] = {
        "pmid": pmid,
        "title": f"[SYNTHETIC] Study {pmid}",
        "authors": ("Deer TR", "Kim M"),
        "journal": "Pain Physician",
        "journal_abbrev": "Pain Physician",
        "pub_year": year,
        "publication_types": ("Journal Article",),
    }
    values.update(changes)
    return Article(**values)  # type: ignore[arg-type]


def tag(value: object, snippet: str = "") -> Tag:
    return Tag(value, snippet or str(value), "abstract")  # type: ignore[arg-type]


def evidence(
    pmid: str,
    design: str = "case_series",
    level: str | None = "IV",
    followup: float | None = None,
    n: int | None = None,
    questions: tuple[str, ...] = (),
    reoperations: tuple[Tag, ...] = (),
) -> Evidence:
    return Evidence(
        pmid=pmid,
        classifier_version="test",
        profile_version="test",
        relevance="relevant",
        relevance_score=0.9,
        relevance_tag=None,
        design=design,
        design_tag=None,
        level=level,
        followup_months=followup,
        followup_tag=None,
        sample_size=n,
        sample_size_tag=None,
        questions=tuple(tag(q) for q in questions),
        reoperations=reoperations,
    )


@pytest.fixture
def pairs() -> list[tuple[Article, Evidence]]:
    return [
        (article("1", 2014), evidence("1", "rct", "I", 12, 300, ("safety", "comparative"))),
        (article("2", 2016), evidence("2", "rct", "I", 24, 296, ("long_term_efficacy",))),
        (
            article("3", 2016),
            evidence(
                "3", "prospective_cohort", "II", 60, 52, ("long_term_efficacy", "reoperation")
            ),
        ),
        (article("4", 2020), evidence("4", "case_series", "IV", 6, 17, ("safety",))),
        (article("5", 2021), evidence("5", "case_report", "V", None, 1, ())),
        (article("6", 2022, retracted=True), evidence("6", "rct", "I", 120, 999, ("safety",))),
        (
            article("7", 2023, publication_types=("Published Erratum",)),
            evidence("7", "other", None, None, None, ("safety",)),
        ),
    ]


def test_counts_leave_out_retracted_papers_and_notices(pairs) -> None:
    land = build_landscape(pairs)
    assert land.total_studies == 5
    assert land.by_design == (  # studies, and their results reports
        Count("rct", 2, 2),
        Count("prospective_cohort", 1, 1),
        Count("case_series", 1, 1),
        Count("case_report", 1, 1),
    )
    assert land.by_level == (Count("I", 2), Count("II", 1), Count("IV", 1), Count("V", 1))
    assert land.by_question == (
        Count("long_term_efficacy", 2),
        Count("reoperation", 1),
        Count("safety", 2),
        Count("comparative", 1),
    )
    assert (land.rct_count, land.rct_patients) == (2, 596)
    assert (land.studies_24_months, land.studies_60_months) == (2, 1)
    assert not counts_as_evidence(pairs[5][0]) and not counts_as_evidence(pairs[6][0])


def test_each_article_counts_once(pairs) -> None:
    assert build_landscape([*pairs, pairs[0]]).total_studies == 5


def test_longest_follow_up_and_whether_it_grew(pairs) -> None:
    first = build_landscape(pairs)
    longest = first.longest_followup
    assert longest is not None and (longest.months, longest.pmid) == (60, "3")
    assert longest.citation == "Deer TR et al. 2016" and not longest.grew
    assert summarize(first)["longest_followup_months"] == 60

    grown = build_landscape(pairs, previous={"longest_followup_months": 24.0})
    assert grown.longest_followup.grew and grown.longest_followup.previous_months == 24  # type: ignore[union-attr]
    same = build_landscape(pairs, previous=summarize(first))
    assert not same.longest_followup.grew  # type: ignore[union-attr]
    from_nothing = build_landscape(pairs, previous={"longest_followup_months": None})
    assert from_nothing.longest_followup.grew  # type: ignore[union-attr]
    assert from_nothing.longest_followup.previous_months is None  # type: ignore[union-attr]


def test_a_tie_on_follow_up_goes_to_the_stronger_study() -> None:
    land = build_landscape(
        [
            (article("8"), evidence("8", "case_series", "IV", 36, 10)),
            (article("9"), evidence("9", "rct", "I", 36, 200)),
        ]
    )
    assert land.longest_followup.pmid == "9"  # type: ignore[union-attr]


def test_reported_figures_keep_their_sources_strongest_first() -> None:
    pairs = [
        (article("10", authors=("Lindqvist J",)), evidence("10", "case_series", "IV")),
        (
            article("11", 2016),
            evidence(
                "11",
                "rct",
                "I",
                reoperations=(tag("8 of 149 patients", "Surgery in 8 of 149 patients (5.4%)."),),
            ),
        ),
    ]
    land = build_landscape(pairs)
    assert [f.text for f in land.reoperations] == ["Surgery in 8 of 149 patients (5.4%)."]
    assert land.reoperations[0].citation == "Deer TR et al. 2016"
    assert land.reoperations[0].pubmed_url == "https://pubmed.ncbi.nlm.nih.gov/11/"
    many = [
        (article(str(i)), evidence(str(i), reoperations=(tag(f"{i} of 99 patients"),)))
        for i in range(20, 30)
    ]
    assert len(build_landscape(many, figures_limit=4).reoperations) == 4


def test_timeline_by_year_and_design(pairs) -> None:
    timeline = build_landscape(pairs).timeline
    assert [y.year for y in timeline] == [2014, 2016, 2020, 2021]
    y2016 = timeline[1]
    assert y2016.by_design == (Count("rct", 1), Count("prospective_cohort", 1))
    assert y2016.longest_followup_months == 60 and y2016.total == 2
    assert timeline[-1].longest_followup_months is None


def test_empty_landscape() -> None:
    land = build_landscape([])
    assert land.total_studies == 0 and land.longest_followup is None and land.timeline == ()
    assert summarize(land)["longest_followup_months"] is None


def test_citations() -> None:
    assert first_author(article("1", authors=())) == ""
    assert first_author(article("1", authors=("Deer TR",))) == "Deer TR"
    assert citation(article("1", 2024, authors=())) == "Pain Physician 2024"
    assert citation(article("1", None, authors=("Kim M", "X"))) == "Kim M et al."


def test_the_bundled_sample_landscape() -> None:
    """The classifier's tags on the sample corpus, end to end through the landscape."""
    profile = load_profile()
    pairs = []
    for path in sorted(SAMPLE.glob("*.xml")):
        for item in pubmed.read_records(path):
            tagged = classify(item, profile)
            if tagged.relevance == "relevant":
                pairs.append((item, tagged))
    land = build_landscape(pairs)
    assert land.longest_followup is not None and land.longest_followup.months == 60
    assert land.studies_60_months >= 1 and land.rct_count >= 1
    assert all(f.pmid and f.citation for f in land.reoperations)
    retracted = {a.pmid for a, _ in pairs if a.retracted}
    reports = {r.pmid for group in land.safety.harms for r in group.reports}
    assert retracted and not retracted & reports
    assert [g.kind for g in land.safety.harms][:3] == [
        "hematoma_bleeding",
        "infection",
        "dural_tear_csf_leak",
    ]
