"""The landscape counted by study (digests.landscape + digests.studyview): a trial with several
reports counts once and its patients once; its follow-up is its longest report's; what grew
since the previous digest is told once; items name a study's other reports; the chart and its
text twin follow each study's follow-up."""

from __future__ import annotations

from dataclasses import replace

from digests.chart import render_timeline_png, timeline_alt_text, timeline_table
from digests.landscape import build_landscape, evidence_studies, summarize
from digests.model import Count
from digests.studyview import study_notes
from tests.test_studies import paper, tags
from watcher.records import HarmEvent, Tag
from watcher.studyrecords import Decision

NCT = "NCT01110001"


def harbor() -> list:
    """A trial reported four times (protocol, 1, 2 and 5 years), another trial, a cohort."""
    name = "of the HARBOR-2 trial"
    return [
        (paper("1", f"Rationale and design {name}", year=2012), tags("1", "rct", 60, 300)),
        (paper("2", f"One-year results {name}", year=2014), tags("2", "rct", 12, 296)),
        (paper("3", f"Two-year results {name}", year=2016), tags("3", "rct", 24, 296)),
        (
            paper("4", "Five years", ("", f"Registered: {NCT}."), year=2021),
            tags("4", "rct", 60, 180),
        ),
        (paper("5", "The KESTREL trial", year=2019), tags("5", "rct", 12, 148)),
        (paper("6", "A cohort", year=2016), tags("6", "prospective_cohort", 36, 52)),
    ]


def with_registration(pairs: list) -> list:
    """The protocol also carries the registration the 5-year report gives."""
    protocol, evidence = pairs[0]
    return [(paper("1", protocol.plain_title[12:], year=2012, banks=(NCT,)), evidence), *pairs[1:]]


def test_counts_and_randomised_patients_once_per_study() -> None:
    land = build_landscape(with_registration(harbor()))
    assert (land.total_studies, land.total_reports, land.awaiting_results) == (3, 5, 0)
    assert (land.rct_count, land.rct_reports, land.rct_patients) == (2, 4, 296 + 148)
    assert land.by_design == (Count("rct", 2, 4), Count("prospective_cohort", 1, 1))
    assert land.by_level == (Count("I", 2), Count("II", 1))
    assert (land.studies_24_months, land.studies_60_months) == (2, 1)  # HARBOR-2 and the cohort
    # Papers, not studies, before grouping: the same pairs without the trial's registration
    # leave its 5-year report on its own.
    apart = build_landscape(harbor())
    assert (apart.rct_count, apart.rct_patients) == (3, 296 + 148 + 180)


def test_each_study_with_its_reports_in_order_and_its_longest_follow_up() -> None:
    land = build_landscape(with_registration(harbor()))
    (trial,) = land.followed
    assert trial.name == "HARBOR-2" and trial.design == "rct"
    assert (trial.sample_size, trial.main_pmid, trial.followup_months) == (296, "2", 60)
    assert [r.text for r in trial.reports] == [
        "protocol 2012 (PMID 1)", "1-year 2014 (PMID 2)", "2-year 2016 (PMID 3)",
        "5-year 2021 (PMID 4)",
    ]  # fmt: skip
    longest = land.longest_followup
    assert longest is not None and (longest.months, longest.pmid, longest.study) == (
        60, "4", "HARBOR-2",
    )  # fmt: skip
    assert [(t.name, t.points) for t in land.tracks if len(t.points) > 1] == [
        ("HARBOR-2", ((2014, 12.0), (2016, 24.0), (2021, 60.0)))
    ]


def test_what_grew_since_the_previous_digest_is_told_once() -> None:
    before = with_registration(harbor())[:3] + harbor()[4:]  # up to the 2-year report
    first = build_landscape(before)
    assert first.growth == ()  # a first digest has nothing to compare with
    remembered = summarize(first, evidence_studies(before))
    after = with_registration(harbor())
    grown = build_landscape(after, previous=remembered)
    (growth,) = grown.growth
    assert growth.text == "HARBOR-2: now 60 months, was 24" and growth.pmid == "4"
    again = build_landscape(after, previous=summarize(grown, evidence_studies(after)))
    assert again.growth == ()
    # A digest kept before studies were remembered gives nothing to compare: no claim.
    assert build_landscape(after, previous={"longest_followup_months": 36}).growth == ()


def test_a_new_study_is_news_but_not_growth() -> None:
    before = harbor()[4:]
    remembered = summarize(build_landscape(before), evidence_studies(before))
    land = build_landscape(with_registration(harbor()), previous=remembered)
    assert land.growth == ()


def test_items_name_the_other_reports_of_their_study() -> None:
    notes = study_notes(evidence_studies(with_registration(harbor())))
    assert set(notes) == {"1", "2", "3", "4"}
    five = notes["4"]
    assert five.text == (
        "5-year report of HARBOR-2 (NCT01110001); earlier: protocol (PMID 1), "
        "1-year (PMID 2), 2-year (PMID 3)"
    )
    assert [r.pmid for r in five.earlier] == ["1", "2", "3"] and five.later == ()
    assert notes["1"].text.startswith("Protocol of HARBOR-2") and not notes["1"].earlier


def test_a_probable_study_says_so() -> None:
    shared, design = ("Lindgren K",), "prospective_cohort"
    pairs = [
        (paper("7", "Year one", authors=shared, year=2012), tags("7", design, 12, 58)),
        (paper("8", "Year five", authors=shared, year=2017), tags("8", design, 60, 58)),
    ]
    note = study_notes(evidence_studies(pairs))["8"]
    assert note.probable and note.text.startswith("Probably the 5-year report")
    (followed,) = build_landscape(pairs).followed
    assert followed.probable and followed.name == "Lindgren K 2012"


def test_librarians_decisions_reach_the_landscape() -> None:
    pairs = harbor()
    decision = Decision("merge", ("3", "4"), author="ann", at="1")
    land = build_landscape(pairs, studies=evidence_studies(pairs, (decision,)))
    assert land.rct_count == 2 and land.rct_patients == 296 + 148


def test_the_timeline_counts_a_study_in_the_year_it_first_reported() -> None:
    land = build_landscape(with_registration(harbor()))
    years = {y.year: y for y in land.timeline}
    assert years[2012].by_design == () and years[2012].reports == 1  # the protocol
    assert years[2014].by_design == (Count("rct", 1),)
    assert years[2016].total == 1 and years[2016].reports == 2  # the cohort, and a 2-year report
    assert years[2021].total == 0 and years[2021].reports == 1
    table = timeline_table(land.timeline, land.tracks)
    assert table.splitlines()[0].split()[-4:] == ["Total", "Papers", "Longest", "FU"]
    assert "HARBOR-2 (RCT): 2014 12 mo -> 2016 24 mo -> 2021 60 mo" in table
    assert "3 studies published 2012–2021 in 6 reports" in timeline_alt_text(land.timeline)
    png = render_timeline_png(land.timeline, land.tracks)
    assert png is not None and png != render_timeline_png(land.timeline)


def test_a_study_that_says_none_occurred_in_two_reports_counts_once() -> None:
    none = (Tag("any", "No adverse events occurred.", "abstract"),)
    serious = (Tag("serious", "No serious adverse events occurred.", "abstract"),)
    pairs = [
        (article, replace(evidence, absences=none if article.pmid in ("2", "3") else serious))
        for article, evidence in with_registration(harbor())
    ]
    safety = build_landscape(pairs).safety
    # HARBOR-2 said "none" in its 1- and 2-year reports (and "none serious" at 5 years): one
    # study; KESTREL and the cohort said "none serious": two more.
    assert (safety.no_events, safety.no_serious) == (1, 2)


def test_a_harm_a_study_reports_twice_is_one_study_told_by_its_latest_report() -> None:
    def tear(count: int, total: int) -> HarmEvent:
        words = f"Dural tears occurred in {count} of {total} patients."
        return HarmEvent("dural_tear", words, "abstract", count, total)

    said = {"2": (tear(1, 296),), "3": (tear(2, 296),), "5": (tear(1, 148),)}
    pairs = [
        (article, replace(evidence, harms=said.get(article.pmid, ())))
        for article, evidence in with_registration(harbor())
    ]
    (group,) = build_landscape(pairs).safety.harms
    # HARBOR-2's 1- and 2-year reports are one study: its 2-year count; KESTREL is another.
    assert [(r.pmid, r.facts) for r in group.reports] == [
        ("3", "2 of 296 patients"),
        ("5", "1 of 148 patients"),
    ]
