"""Harms as events, absence statements kept apart, and findings against the procedure: the
classifier end to end on articles written for these tests (never the shared development
corpus), each kind of harm at least once."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from watcher import pubmed
from watcher.errors import ConfigError
from watcher.evidence import Profile, classify, default_profile_path, load_profile
from watcher.localpubmed import SAMPLE_DIR
from watcher.records import AbstractSection, Article, Evidence, HarmEvent
from watcher.vocabulary import ABSENCE_SCOPES, AGAINST, HARM_KINDS

NAMED = "Patients with lumbar stenosis were treated with the mild procedure under fluoroscopy."


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile()


def article(
    *sections: str | tuple[str, str],
    title: str = "Percutaneous image-guided lumbar decompression: a case series",
    types: tuple[str, ...] = ("Journal Article",),
) -> Article:
    """A MILD article whose results say ``sections`` (unlabelled strings are RESULTS)."""
    parts = [("METHODS", NAMED)] + [s if isinstance(s, tuple) else ("RESULTS", s) for s in sections]
    return Article(
        pmid="7",
        title=html.escape(title, quote=False),
        abstract=tuple(
            AbstractSection(label, html.escape(text, quote=False)) for label, text in parts
        ),
        publication_types=types,
    )


def harms(evidence: Evidence) -> dict[str, HarmEvent]:
    return {event.kind: event for event in evidence.harms}


def quoted(evidence: Evidence, source: Article) -> None:
    """Every harm, absence and finding against quotes the article's own words."""
    texts = {"title": source.plain_title, "abstract": source.plain_abstract}
    for item in (*evidence.harms, *evidence.absences, *evidence.against):
        assert item.snippet and len(item.snippet) <= 200, item
        assert item.snippet in texts[item.source], item


# --- each kind of harm ----------------------------------------------------------------------


def test_hematoma_with_count_denominator_and_percent(profile: Profile) -> None:
    source = article("Epidural hematoma occurred in 3 of 120 patients (2.5%) and resolved.")
    event = harms(classify(source, profile))["hematoma_bleeding"]
    assert (event.count, event.denominator, event.percent) == (3, 120, 2.5)
    assert event.seriousness is None and event.surgery == "unknown" and not event.serious
    quoted(classify(source, profile), source)


def test_infection_in_a_case_report_needed_surgery(profile: Profile) -> None:
    source = article(
        ("CASE PRESENTATION", "Two weeks after the procedure a 71-year-old woman returned with "
         "fever and a draining wound."),
        ("CASE PRESENTATION", "Cultures confirmed a deep wound infection."),
        ("CASE PRESENTATION", "She underwent surgical debridement and received antibiotics."),
        title="Wound infection after percutaneous image-guided lumbar decompression: a case report",
        types=("Case Reports",),
    )  # fmt: skip
    evidence = classify(source, profile)
    event = harms(evidence)["infection"]
    assert event.source == "title" and event.count == 1  # the case report's one patient
    assert event.surgery == "yes" and event.serious
    assert event.seriousness == "serious"  # "deep wound infection", said in the case
    assert [t.value for t in evidence.against] == ["serious_harm"]
    quoted(evidence, source)


def test_dural_tear_minor_without_surgery(profile: Profile) -> None:
    source = article("A small dural tear was seen in two patients and was managed conservatively.")
    event = harms(classify(source, profile))["dural_tear_csf_leak"]
    assert (event.count, event.seriousness, event.surgery) == (2, "minor", "no")
    assert classify(source, profile).against == ()


@pytest.mark.parametrize(
    "sentence",
    [
        "Transient new paresthesia in the foot was reported by 4 patients (5%).",
        "A nerve root injury with permanent foot drop occurred in one patient.",
        "One patient had a new motor deficit that required open surgery.",
    ],
)
def test_nerve_or_spinal_cord_injury(profile: Profile, sentence: str) -> None:
    event = harms(classify(article(sentence), profile))["neural_injury"]
    assert event.count in (4, 1)


def test_other_harms_and_complications_counted_without_a_kind(profile: Profile) -> None:
    fracture = harms(
        classify(article("A spinous process fracture occurred in 1 patient."), profile)
    )
    assert fracture["other"].count == 1
    rate = classify(article("The overall complication rate was 4.2% at 12 months."), profile)
    assert harms(rate)["other"].percent == 4.2
    # "complications" with no number states no harm; a specific kind in the same clause
    # is reported under its own kind, not twice.
    assert (
        classify(article("Complication rates did not differ between groups."), profile).harms == ()
    )
    both = classify(
        article("Complications occurred in 2 patients: one hematoma and one infection."), profile
    )
    assert [e.kind for e in both.harms] == ["hematoma_bleeding", "infection", "other"]


def test_kinds_come_in_the_vocabulary_order_one_event_each(profile: Profile) -> None:
    source = article(
        "Two patients had a dural tear.",
        "One superficial infection and one minor hematoma were treated without surgery.",
        "A second dural tear was surgically repaired.",
    )
    evidence = classify(source, profile)
    assert [e.kind for e in evidence.harms] == [
        "hematoma_bleeding",
        "infection",
        "dural_tear_csf_leak",
    ]
    tear = harms(evidence)["dural_tear_csf_leak"]
    assert tear.count == 2 and tear.surgery == "yes"  # the best-stated mention, what others add
    assert set(HARM_KINDS) >= {e.kind for e in evidence.harms}


# --- absence statements are not harms -------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "scopes"),
    [
        ("There were no device- or procedure-related adverse events.", ["any"]),
        ("No serious complications occurred during 24 months of follow-up.", ["serious"]),
        ("We observed no major adverse events in either arm.", ["serious"]),
        ("There were no dural tears, hematomas or infections.",
         ["hematoma_bleeding", "infection", "dural_tear_csf_leak"]),
        ("Nerve root injury was not observed.", ["neural_injury"]),
        ("All patients went home the same day without complications.", ["any"]),
    ],
)  # fmt: skip
def test_absence_statements_are_kept_apart(
    profile: Profile, sentence: str, scopes: list[str]
) -> None:
    source = article(sentence)
    evidence = classify(source, profile)
    assert evidence.harms == ()
    assert sorted(str(t.value) for t in evidence.absences) == sorted(scopes)
    assert set(scopes) <= set(ABSENCE_SCOPES)
    quoted(evidence, source)


def test_one_sentence_can_deny_one_harm_and_report_another(profile: Profile) -> None:
    source = article(
        "No patient had an epidural hematoma, and one had a superficial wound infection."
    )
    evidence = classify(source, profile)
    assert [e.kind for e in evidence.harms] == ["infection"]
    assert [t.value for t in evidence.absences] == ["hematoma_bleeding"]
    assert harms(evidence)["infection"].count == 1


def test_a_difference_denied_is_not_a_harm_denied(profile: Profile) -> None:
    evidence = classify(
        article("There was no difference in complication rates (2.0% vs 2.4%)."), profile
    )
    assert evidence.absences == ()
    assert harms(evidence)["other"].percent == 2.0


# --- what is not a report of a harm ---------------------------------------------------------


@pytest.mark.parametrize(
    "section",
    [
        ("RESULTS", "The procedure carries a low risk of infection."),
        ("RESULTS", "Epidural hematoma can follow the procedure in anticoagulated patients."),
        ("CONCLUSIONS", "Patients should be watched for neurologic deficits after discharge."),
        ("BACKGROUND", "Dural tears occurred in 4% of patients in earlier surgical series."),
        ("METHODS", "Outcomes were pain, function and complications such as hematoma."),
        ("RESULTS", "One patient died of an unrelated myocardial infarction."),
    ],
)
def test_risks_background_and_unrelated_events_are_not_harms(
    profile: Profile, section: tuple[str, str]
) -> None:
    evidence = classify(article(section), profile)
    assert evidence.harms == () and evidence.absences == ()


def test_another_treatments_harms_are_not_read(profile: Profile) -> None:
    source = Article(
        pmid="8",
        title="Open laminectomy in older adults with mild cognitive impairment",
        abstract=(AbstractSection("RESULTS", "Dural tears occurred in 6 patients (6.8%)."),),
    )
    evidence = classify(source, profile)
    assert evidence.relevance == "not_relevant" and evidence.harms == ()


# --- findings against the procedure ---------------------------------------------------------


def test_high_rate_of_later_surgery_and_no_decompression_on_imaging(profile: Profile) -> None:
    source = article(
        "Fourteen patients (16.1%) underwent open laminectomy within two years.",
        "Follow-up MRI showed no significant change in the dural sac cross-sectional area.",
    )
    evidence = classify(source, profile)
    assert [t.value for t in evidence.against] == [
        "high_reoperation_rate",
        "no_radiological_decompression",
    ]
    assert set(AGAINST) >= {str(t.value) for t in evidence.against}
    quoted(evidence, source)
    low = classify(article("Three patients (3.4%) underwent open laminectomy."), profile)
    assert low.against == ()


def test_the_threshold_is_the_librarians(tmp_path: Path) -> None:
    text = default_profile_path().read_text(encoding="utf-8")
    path = tmp_path / "strict.toml"
    path.write_text(text.replace("high_reoperation_percent = 10", "high_reoperation_percent = 3"))
    source = article("Three patients (3.4%) underwent open laminectomy.")
    assert [t.value for t in classify(source, load_profile(path)).against] == [
        "high_reoperation_rate"
    ]


def test_harm_kinds_in_the_profile_must_match_the_vocabulary(tmp_path: Path) -> None:
    text = default_profile_path().read_text(encoding="utf-8")
    path = tmp_path / "broken.toml"
    path.write_text(text.replace("[harms.kinds.infection]", "[harms.kinds.infections]"))
    with pytest.raises(ConfigError, match=r"harms\.kinds.*hematoma_bleeding, infection"):
        load_profile(path)


# --- the bundled sample --------------------------------------------------------------------


def test_the_samples_case_reports_and_series_report_harms(profile: Profile) -> None:
    found = {}
    for path in sorted(SAMPLE_DIR.glob("*.xml")):
        for item in pubmed.read_records(path):
            evidence = classify(item, profile)
            if evidence.relevance == "relevant":
                found[item.pmid] = evidence
    assert harms(found["99000004"])["hematoma_bleeding"].surgery == "yes"
    assert harms(found["99000008"])["dural_tear_csf_leak"].surgery == "no"
    assert harms(found["99000017"])["infection"].serious
    assert harms(found["99000035"])["hematoma_bleeding"].count == 1
    assert harms(found["99000034"])["dural_tear_csf_leak"].seriousness == "minor"
    # The "nothing happened" sentences are absences, never harms.
    for pmid in ("99000006", "99000011", "99000012", "99000021", "99000027", "99000041"):
        assert found[pmid].harms == () and found[pmid].absences, pmid
    assert {str(t.value) for t in found["99000003"].absences} == {
        "hematoma_bleeding",
        "infection",
        "dural_tear_csf_leak",
    }


def test_each_harm_in_a_list_keeps_its_own_count_and_seriousness(profile: Profile) -> None:
    source = article(
        "Complications were one dural tear, two superficial infections and one small hematoma."
    )
    found = harms(classify(source, profile))
    assert (found["dural_tear_csf_leak"].count, found["dural_tear_csf_leak"].seriousness) == (
        1,
        None,
    )
    assert (found["infection"].count, found["infection"].seriousness) == (2, "minor")
    assert (found["hematoma_bleeding"].count, found["hematoma_bleeding"].seriousness) == (
        1,
        "minor",
    )


@pytest.mark.parametrize(
    ("sentence", "surgery"),
    [
        ("Epidural hematoma developed in 2 of 90 patients; both resolved without surgery.", "no"),
        ("Epidural hematoma developed in 2 patients; both needed evacuation.", "yes"),
        # a later clause about other patients says nothing about these
        ("One patient had a dural tear; three patients (4%) later underwent open decompression.",
         "unknown"),
        ("Bleeding occurred in four patients, none of whom needed reoperation.", "no"),
    ],
)  # fmt: skip
def test_whether_a_harm_needed_surgery(profile: Profile, sentence: str, surgery: str) -> None:
    (event,) = classify(article(sentence), profile).harms
    assert event.surgery == surgery
