"""One study, many reports: the pure grouping (watcher.studies) and its clues
(watcher.studylinks). Papers are built by hand; the sentences are written for these tests."""

from __future__ import annotations

import pytest

from tests.test_landscape import evidence
from watcher.records import AbstractSection, Article, DataBankEntry, Evidence
from watcher.studies import group_studies, report_label, study_of
from watcher.studylinks import (
    PROTOCOL,
    RESULTS,
    SECONDARY_DESIGNS,
    author_key,
    names_in,
    report_kind,
    study_names,
)
from watcher.studyrecords import CONFIRMED, LINKED, PROBABLY, SINGLE, Decision, Study
from watcher.vocabulary import DESIGNS


def paper(
    pmid: str,
    title: str = "Outcomes after percutaneous decompression",
    *sections: tuple[str, str],
    year: int = 2020,
    authors: tuple[str, ...] = (),
    banks: tuple[str, ...] = (),
    types: tuple[str, ...] = ("Journal Article",),
    retracted: bool = False,
) -> Article:
    return Article(
        pmid=pmid,
        title=f"[SYNTHETIC] {title}",
        abstract=tuple(AbstractSection(label, text) for label, text in sections),
        authors=authors or (f"Author{pmid} A",),
        pub_year=year,
        pub_date=str(year),
        publication_types=types,
        databanks=tuple(DataBankEntry("ClinicalTrials.gov", b) for b in banks),
        retracted=retracted,
    )


def tags(
    pmid: str, design: str = "rct", months: float | None = 12, n: int | None = 120
) -> Evidence:
    """Tags as the classifier would give them (the landscape tests' builder, level by design)."""
    level = {"rct": "I", "prospective_cohort": "II", "retrospective_cohort": "III"}.get(design)
    return evidence(pmid, design, level, months, n)


def grouped(*pairs: tuple[Article, Evidence], decisions: tuple[Decision, ...] = ()) -> list[Study]:
    return list(group_studies(pairs, decisions))


def together(studies: list[Study], *pmids: str) -> bool:
    found = study_of(studies, pmids[0])
    return found is not None and set(pmids) <= set(found.pmids)


# --- clues ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Three-year results of the HARBOR-2 randomised controlled trial.", ["HARBOR-2"]),
        ("A pragmatic multicentre trial (KESTREL) enrolled older adults.", ["KESTREL"]),
        ("Rationale for the CalDERA SPINE study", ["CalDERA SPINE"]),
        ("The ReLIEF registry followed patients for two years.", ["ReLIEF"]),
        ("Final analysis of the Nordic SPINE trial", ["SPINE"]),
        ("the MILD study showed", []),  # the procedure's own name
        ("a phase III trial of decompression", []),  # a phase, not a name
        ("patients in the ODI responder study", []),  # an outcome measure
        ("Spine surgery trial outcomes", []),  # one capital is an ordinary word
        ("the trial (NCT01234567) enrolled", []),  # a registration is not a name
        ("the HARBOR-2 and KESTREL trials were pooled", []),  # plural: several studies
    ],
)
def test_study_names_in_text(text: str, names: list[str]) -> None:
    assert names_in(text) == names


def test_a_name_in_the_background_may_be_another_trial() -> None:
    cited = paper(
        "1",
        "Decompression versus injections in older adults",
        ("BACKGROUND", "Earlier, the HARBOR-2 trial compared decompression with injections."),
        ("METHODS", "We randomized 140 patients."),
    )
    assert study_names(cited) == ()
    own = paper("2", "Decompression versus injections", ("METHODS", "The KESTREL trial enrolled."))
    assert study_names(own) == ("KESTREL",)
    pooled = paper("3", "Pooled analysis of the HARBOR-2 trial and the KESTREL trial")
    assert study_names(pooled) == ()


def test_protocols_are_told_from_results() -> None:
    assert report_kind(paper("1", "Design and rationale of the HARBOR-2 trial")) == PROTOCOL
    assert report_kind(paper("2", "Decompression for stenosis: a study protocol")) == PROTOCOL
    assert report_kind(paper("3", "X", types=("Clinical Trial Protocol",))) == PROTOCOL
    assert report_kind(paper("4", "A standard rehabilitation protocol after surgery")) == RESULTS
    assert report_kind(paper("5", "Two-year results of the HARBOR-2 trial")) == RESULTS


def test_author_keys_ignore_accents_case_and_later_initials() -> None:
    assert author_key("García-López AM") == author_key("Garcia-Lopez A") == "garcia-lopez a"
    assert author_key("Þórsdóttir S") != author_key("Thorsdottir S")  # no transliteration
    assert author_key("Spine Study Group") == "spine study group"


def test_secondary_designs_are_vocabulary_keys() -> None:
    assert set(DESIGNS) > SECONDARY_DESIGNS


# --- grouping ---------------------------------------------------------------------------------


def test_reports_sharing_a_registration_are_one_study() -> None:
    studies = grouped(
        (paper("10", "One-year outcomes", banks=("NCT01110001",)), tags("10")),
        (
            paper("11", "Three-year outcomes", ("", "Registered as NCT01110001."), year=2022),
            tags("11", months=36),
        ),
        (paper("12", "Unrelated trial", banks=("NCT01110002",)), tags("12")),
    )
    trial = study_of(studies, "10")
    assert trial is not None and trial.pmids == ("10", "11")
    assert trial.status == LINKED and trial.name == "NCT01110001"
    (link,) = trial.links
    assert (link.kind, link.detail, link.pmids) == ("registry", "NCT01110001", ("10", "11"))
    assert study_of(studies, "12").status == SINGLE  # type: ignore[union-attr]
    assert len(studies) == 2


def test_reports_naming_the_same_study_are_one() -> None:
    studies = grouped(
        (paper("20", "One-year results of the HARBOR-2 randomized trial"), tags("20")),
        (
            paper(
                "21", "Longer follow-up", ("METHODS", "Follow-up of a trial (HARBOR-2)."), year=2023
            ),
            tags("21", months=24),
        ),
        (paper("22", "The MILD study of stenosis"), tags("22")),
        (paper("23", "Another MILD study"), tags("23")),
    )
    assert together(studies, "20", "21")
    assert study_of(studies, "20").links[0].kind == "name"  # type: ignore[union-attr]
    assert not together(studies, "22", "23")  # a generic name joins nothing
    assert len(studies) == 3


def test_the_weak_signal_is_marked_probable_and_needs_every_clue() -> None:
    shared = ("Lindgren K", "Osei B")
    cohort = "prospective_cohort"
    first = (paper("30", "First year", authors=(*shared, "Old D")), tags("30", cohort, 12, 64))
    later = (
        paper("31", "Five years on", authors=(*shared, "New C"), year=2025),
        tags("31", cohort, 60, 64),
    )
    studies = grouped(first, later)
    found = study_of(studies, "30")
    assert found is not None and found.pmids == ("30", "31") and found.status == PROBABLY
    assert "n = 64" in found.links[0].detail and "Lindgren K, Osei B" in found.links[0].detail
    article, evidence = later
    for changed in (
        (article, tags("31", cohort, 60, 65)),  # another sample size
        (article, tags("31", "retrospective_cohort", 60, 64)),  # another design
        (
            paper("31", "Five years on", authors=("Osei B", "New C"), year=2025),
            evidence,
        ),  # one author
        (article, tags("31", cohort, 12, 64)),  # the same follow-up
        (article, tags("31", cohort, 6, 64)),  # the later paper followed patients for less
    ):
        assert len(grouped(first, changed)) == 2, changed
    single = (paper("32", "Five years on", authors=("Osei B",), year=2025), evidence)
    assert len(grouped(first, single)) == 1  # a one-author paper: its author is enough


def test_weak_links_never_put_two_reports_at_one_time_point_in_a_study() -> None:
    cohort, authors = "prospective_cohort", ("Lindgren K", "Osei B")
    pairs = [
        (paper(str(p), "Report", authors=authors, year=2010 + p - 40), tags(str(p), cohort, m, 80))
        for p, m in ((40, 12), (41, 24), (42, 24))
    ]
    studies = grouped(*pairs)
    assert sorted(len(s.reports) for s in studies) == [1, 2]


def test_the_weak_signal_never_joins_differently_named_or_registered_studies() -> None:
    authors = ("Lindgren K",)
    named = grouped(
        (paper("40", "The HARBOR-2 trial", authors=authors), tags("40")),
        (paper("41", "The KESTREL trial", authors=authors), tags("41")),
    )
    assert len(named) == 2
    registered = grouped(
        (paper("42", "A", authors=authors, banks=("NCT01110001",)), tags("42")),
        (paper("43", "B", authors=authors, banks=("NCT01110002",)), tags("43")),
    )
    assert len(registered) == 2


def test_one_name_two_registrations_are_two_trials() -> None:
    studies = grouped(
        (paper("50", "The HARBOR-2 trial", banks=("NCT01110001",)), tags("50")),
        (paper("51", "The HARBOR-2 trial extension", banks=("NCT01110009",)), tags("51")),
    )
    assert len(studies) == 2


def test_reviews_letters_and_retracted_papers_join_no_trial() -> None:
    trial = (paper("60", "The HARBOR-2 trial", banks=("NCT01110001",)), tags("60"))
    review = (
        paper("61", "A review of the HARBOR-2 trial", banks=("NCT01110001",)),
        tags("61", "systematic_review_meta_analysis", None, None),
    )
    letter = (paper("62", "On the HARBOR-2 trial", types=("Letter",)), tags("62", "other"))
    retracted = (paper("63", "The HARBOR-2 trial", retracted=True), tags("63"))
    pooled = (paper("64", "Pooled", banks=("NCT01110001", "NCT01110002")), tags("64"))
    studies = grouped(trial, review, letter, retracted, pooled)
    assert len(studies) == 5


def test_a_study_counts_its_results_not_its_protocol() -> None:
    studies = grouped(
        (
            paper("70", "Rationale and design of the HARBOR-2 trial", year=2012),
            tags("70", months=60, n=400),  # planned numbers
        ),
        (
            paper("71", "Six-month results of the HARBOR-2 trial", year=2014),
            tags("71", months=6, n=None),
        ),
        (
            paper("72", "One-year results of the HARBOR-2 trial", year=2015),
            tags("72", months=12, n=380),
        ),
        (
            paper("73", "Two-year results of the HARBOR-2 trial", year=2016),
            tags("73", "prospective_cohort", 24, 450),  # crossovers added: a larger n
        ),
    )
    (trial,) = studies
    assert [report_label(r) for r in trial.reports] == [
        "protocol", "6-month report", "1-year report", "2-year report",
    ]  # fmt: skip
    assert trial.main.pmid == "72" and trial.sample_size == 380  # first results report with n
    assert trial.followup_months == 24 and trial.longest.pmid == "73"  # type: ignore[union-attr]
    assert trial.design == "rct" and trial.level == "I"  # the strongest report's
    assert trial.key == "70" and trial.name == "HARBOR-2"
    (only_protocol,) = grouped((paper("74", "Study protocol for a trial"), tags("74")))
    assert not only_protocol.has_results and only_protocol.sample_size is None


# --- librarians' decisions ----------------------------------------------------------------------


def test_merge_split_and_confirm() -> None:
    a = (paper("80", "First"), tags("80", months=12, n=90))
    b = (paper("81", "Second", year=2022), tags("81", months=24, n=91))
    named = (paper("82", "The KESTREL trial"), tags("82"))
    named_later = (paper("83", "The KESTREL trial at two years", year=2022), tags("83"))
    pairs = (a, b, named, named_later)
    assert len(grouped(*pairs)) == 3

    merged = grouped(*pairs, decisions=(Decision("merge", ("80", "81"), author="ann", at="1"),))
    study = study_of(merged, "80")
    assert study is not None and study.pmids == ("80", "81") and study.status == CONFIRMED
    assert study.links[0].kind == "librarian" and "merge by ann" in study.links[0].detail

    split = Decision("split", ("83",), ("82",), author="bo", at="2")
    apart = grouped(*pairs, decisions=(split,))
    assert not together(apart, "82", "83") and len(apart) == 4
    # the latest word about a pair wins: a later merge undoes the split
    again = grouped(*pairs, decisions=(split, Decision("merge", ("82", "83"), at="3")))
    assert together(again, "82", "83")
    confirm = grouped(*pairs, decisions=(Decision("confirm", ("82", "83"), at="1"),))
    assert study_of(confirm, "82").status == CONFIRMED  # type: ignore[union-attr]


def test_a_split_holds_when_a_new_report_would_bridge_it() -> None:
    old = (paper("90", "The KESTREL trial", banks=("NCT01110005",)), tags("90"))
    wrong = (paper("91", "The KESTREL trial revisited"), tags("91"))
    split = Decision("split", ("91",), ("90",), at="1")
    bridge = (paper("92", "Ten-year report", banks=("NCT01110005",)), tags("92", months=120))
    studies = grouped(old, wrong, bridge, decisions=(split,))
    assert together(studies, "90", "92") and not together(studies, "91", "90")


def test_decisions_about_papers_not_given_are_ignored() -> None:
    decision = Decision("merge", ("100", "999"), at="1")
    (study,) = grouped((paper("100", "Alone"), tags("100")), decisions=(decision,))
    assert study.status == SINGLE
