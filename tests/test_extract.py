"""The text extractors on phrasings of our own: numbers, durations, follow-up in context,
sample sizes, sentences, snippets and phrase cues."""

from __future__ import annotations

import pytest

from watcher.evidence.extract import find_durations, longest_followup, parse_number, to_months
from watcher.evidence.samplesize import sample_size
from watcher.evidence.textcues import CueSet, Segment, sentence_spans, snippet


def abstract(*texts: str, label: str = "") -> list[Segment]:
    return [Segment("abstract", text, label) for text in texts]


# --- numbers and units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("24", 24),
        ("1,013", 1013),
        ("6.4", 6.4),
        ("Seventy-five", 75),
        ("seventy five", 75),
        ("Forty-two", 42),
        ("twelve", 12),
        ("one hundred and two", 102),
        ("two hundred", 200),
        ("ninety-nine", 99),
    ],
)
def test_parse_number_reads_digits_and_number_words(token: str, value: float) -> None:
    assert parse_number(token) == value


@pytest.mark.parametrize("token", ["", "several", "1.2.3", "twelfth"])
def test_parse_number_refuses_what_is_not_a_number(token: str) -> None:
    assert parse_number(token) is None


@pytest.mark.parametrize(
    ("value", "unit", "months"),
    [
        (6, "weeks", 1.5),
        (12, "weeks", 3.0),
        (26, "weeks", 6.0),
        (52, "weeks", 12.0),
        (104, "weeks", 24.0),
        (5, "days", 0.2),
        (90, "days", 3.0),
        (180, "days", 6.0),
        (365, "days", 12.0),
        (18, "months", 18.0),
        (5, "yr", 60.0),
        (2, "years", 24.0),
        (1, "decade", 120.0),
    ],
)
def test_to_months_follows_clinical_conventions(value: float, unit: str, months: float) -> None:
    assert to_months(value, unit) == months
    assert isinstance(to_months(value, unit), float)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("followed for 12 to 24 months", 24.0),
        ("12-24 months", 24.0),
        ("1-, 2- and 5-year results", 60.0),
        ("at 3, 6 and 12 months", 12.0),
        ("two-year outcomes", 24.0),
        ("5-yr data", 60.0),
        ("for a year", 12.0),
        ("Six weeks", 1.5),
    ],
)
def test_find_durations_takes_the_longest_of_a_range_or_list(text: str, months: float) -> None:
    assert max(d.months for d in find_durations(text)) == months


def test_find_durations_ignores_numbers_without_a_unit() -> None:
    assert (
        find_durations("Between 2010 and 2015, 40 patients had 1-2-level disease (50 to 85%).")
        == []
    )


# --- follow-up in context --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("Patients were followed for 24 months after the procedure.", 24.0),
        ("Outcomes were recorded at 6 weeks, 3, 6 and 12 months.", 12.0),
        ("The mean follow-up was 6.4 months (SD 2.1).", 6.4),
        ("Mean follow-up of 6.4 months was achieved.", 6.4),
        ("We report results through 1 year.", 12.0),
        ("Long-term (3 years) outcomes were favourable.", 36.0),
        ("At the two-year follow-up, disability was lower.", 24.0),
        ("These are the 5-yr outcomes of the cohort.", 60.0),
        ("Relief was sustained for more than two years in most patients.", 24.0),
        ("Disability improved 12 months after the procedure.", 12.0),
        ("Follow-up ranged from 12 to 36 months.", 36.0),
        ("The follow-up period lasted eighteen months.", 18.0),
        ("We present 1-, 2- and 5-year results.", 60.0),
        ("Three patients needed surgery by 2 years.", 24.0),
        ("Nineteen patients completed a one-year follow-up visit.", 12.0),
        ("Scans were taken 3 to 6 days postoperatively.", 0.2),
        ("Walking improved up to 18 months after treatment.", 18.0),
        ("Relief was rated over the short term (4 weeks) and the long term (52 weeks).", 12.0),
        ("Disability was scored before the procedure and 3, 12 and 36 months afterwards.", 36.0),
        ("Mean ODI improved steadily over 4 years.", 48.0),
        ("The 30-day readmission rate was 2%.", 1.0),
        ("Patients were reached by telephone at a mean of 5.2 years.", 62.4),
        ("Use of services was counted during 3.5 years after the diagnosis.", 42.0),
        ("Mean follow-up was 19 months (range, 6-44 months).", 44.0),
    ],
)
def test_followup_read_from_follow_up_wording(text: str, months: float) -> None:
    found = longest_followup(abstract(text))
    assert found is not None
    assert found[0] == months
    assert found[1].snippet == text


@pytest.mark.parametrize(
    "text",
    [
        "A 72-year-old man presented with neurogenic claudication.",
        "Patients had had symptoms for 2 years before treatment.",
        "Patients were enrolled during a 10-year period of enrollment.",
        "Patients treated between 2010 and 2015 were reviewed.",
        "A Markov model with a 5-year time horizon was built.",
        "Outcomes over a 10-year horizon were simulated.",
        "A two-year visit is planned and will be reported later.",
        "Visits are scheduled at 3, 6 and 12 months.",
        "All patients were aged 65 years or older.",
        "Patients over 70 years were eligible.",
        "Mean age was 71 years (range 52-88).",
        "Payments for spine procedures have fallen over 15 years.",
        "The estimated 2-year survival of the device was 90%.",
        "Soreness lasted 3 days on average.",
        "Conservative care for at least 6 months had failed in every patient.",
        "Patients with a 3-year history of claudication were eligible.",
        "Longer follow-up beyond 2 years is needed.",
        "Procedures lasted a median of 52 minutes.",
    ],
)
def test_durations_that_are_not_follow_up_are_ignored(text: str) -> None:
    assert longest_followup(abstract(text)) is None


def test_followup_picks_the_followup_among_distractors() -> None:
    text = (
        "A 78-year-old woman with symptoms for 4 years was treated after 6 months of failed "
        "physical therapy; at 3-month follow-up she walked without pain."
    )
    found = longest_followup(abstract(text))
    assert found is not None and found[0] == 3.0


def test_longest_followup_across_sections() -> None:
    segments = abstract("Outcomes were assessed at 6 months.", label="METHODS") + abstract(
        "At 24 months, 70% of patients were responders.", label="RESULTS"
    )
    found = longest_followup(segments)
    assert found is not None and found[0] == 24.0
    assert found[1].segment.label == "RESULTS"


# --- sample size --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("In all, 212 patients were randomized (n = 104 mild, n = 108 injection).", 212),
        ("Patients (N=75) were treated with the procedure.", 75),
        ("Seventy-five patients were treated.", 75),
        ("One hundred and two patients underwent the procedure.", 102),
        ("A total of 1,230 procedures in 1,013 patients were analysed.", 1013),
        ("Thirty patients were treated at 2 levels and 12 at 3 levels.", 30),
        ("Of 200 patients screened, 150 were enrolled.", 150),
        ("We included 12 studies with 1,500 patients.", 1500),
        ("Fifty patients were enrolled; 6 patients (12%) required laminectomy.", 50),
        ("Of 486 patients, 371 were treated by pain physicians and 115 by surgeons.", 486),
        ("Six trials (249 MILD patients and 241 control patients) were pooled.", 490),
        ("In total 96 were randomised.", 96),
        ("Data for 50 consecutive elderly patients were analysed.", 50),
        ("Upright scans of 26 healthy volunteers were compared.", 26),
        ("Forty-five patients were enrolled, and 38 patients (84%) completed 2 years.", 45),
    ],
)
def test_sample_size_phrasings(text: str, n: int) -> None:
    found = sample_size(abstract(text))
    assert found is not None
    assert found.value == n
    assert found.match.snippet == text


@pytest.mark.parametrize(
    ("text", "n"),
    [
        # years are dates, not counts
        ("Patients treated between May 2016 and May 2018 were analysed; 44 patients in all.", 44),
        # the population a registry study drew from is not its sample
        ("Of 41,000 patients in the national registry, 615 patients received the implant.", 615),
        # arms stated without a total add up
        ("The procedure arm included 60 patients and the therapy arm 58.", 118),
        ("Patients chose the procedure (n = 40) or physical therapy (n = 44).", 84),
        ("Results for 131 mild and 128 injection patients are reported.", 259),
        # enrolled or randomised beats analysed, and a later visit is a part of the sample
        ("A total of 150 were randomised; 71 and 69 patients were analysed.", 150),
    ],
)
def test_sample_size_traps(text: str, n: int) -> None:
    found = sample_size(abstract(text))
    assert found is not None and found.value == n


@pytest.mark.parametrize(
    "texts",
    [
        ("Three patients (4%) had a wound infection.",),
        ("Breakage made up 40% (n = 212) of the 530 adverse event reports.",),
        ("At 24 months, 61 patients returned for assessment.",),
    ],
)
def test_a_part_of_the_sample_is_never_the_sample(texts: tuple[str, ...]) -> None:
    assert sample_size(abstract(*texts)) is None


def test_a_later_visit_count_does_not_replace_the_sample() -> None:
    text = ("Ninety patients were treated.", "At 60 months, 41 patients returned for assessment.")
    found = sample_size(abstract(*text))
    assert found is not None and found.value == 90


@pytest.mark.parametrize(
    "text",
    [
        "In 58% of patients the stenosis was severe.",
        "Patients aged 72 years or older were eligible.",
        "A sample size calculation required 55 patients in each group.",
        "Levels treated: 2 in most cases.",
        "Twelve studies were included in the review.",
        "Mean ODI improved by 12.5 points.",
        "Of 140 eligible patients, 12 were never allocated.",
        "Fourteen interventional pain physicians took part.",
    ],
)
def test_counts_that_are_not_the_sample_are_ignored(text: str) -> None:
    assert sample_size(abstract(text)) is None


def test_screening_flow_is_not_the_sample() -> None:
    text = "In total 390 patients were assessed and 270 were excluded."
    assert sample_size(abstract(text)) is None


def test_case_report_is_one_patient_unless_stated() -> None:
    text = "We describe a 91-year-old man whose claudication was treated percutaneously."
    found = sample_size(abstract(text), case_report=True)
    assert found is not None and found.value == 1
    assert found.match.text == "a 91-year-old"
    case = sample_size(abstract("We present a case of dural tear."), case_report=True)
    assert case is not None and (case.value, case.match.text) == (1, "a case")
    two = sample_size(abstract("Two patients were treated; both recovered."), case_report=True)
    assert two is not None and two.value == 2


# --- sentences, snippets, cues -------------------------------------------------------------------


def test_sentences_are_not_split_at_abbreviations_or_decimals() -> None:
    text = (
        "Pain fell (P = .015, ANOVA). Results vs. controls were similar in the U.S. cohort. "
        "Mean VAS was 7.6 at baseline."
    )
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Pain fell (P = .015, ANOVA).",
        "Results vs. controls were similar in the U.S. cohort.",
        "Mean VAS was 7.6 at baseline.",
    ]


def test_snippet_is_an_exact_substring_within_the_limit() -> None:
    long_sentence = "Word " * 80 + "the key finding here " + "more " * 80 + "end."
    text = "Short first sentence. " + long_sentence
    start = text.index("key")
    quoted = snippet(text, start, start + 3)
    assert quoted in text
    assert "key" in quoted
    assert len(quoted) <= 200
    assert snippet(text, 0, 5) == "Short first sentence."


@pytest.mark.parametrize(
    ("phrases", "text", "found"),
    [
        (("long term",), "long-term results", "long-term"),
        (("fluoroscop*",), "under fluoroscopic guidance", "fluoroscopic"),
        (("mild®",), "the mild(R) procedure", "mild(R)"),
        (("mild®",), "the mild® procedure", "mild®"),
        (("underwent ... laminectomy",), "He underwent emergency lumbar laminectomy.",
         "underwent emergency lumbar laminectomy"),
    ],
)  # fmt: skip
def test_cue_phrases_are_loose_on_case_spacing_and_endings(
    phrases: tuple[str, ...], text: str, found: str
) -> None:
    spans = CueSet(phrases).spans(text)
    assert [text[s:e] for s, e in spans] == [found]


def test_cue_phrases_match_whole_words_only() -> None:
    assert CueSet(("mild",)).spans("mildly symptomatic") == []
    assert CueSet(("underwent ... laminectomy",)).spans("He underwent MILD. Laminectomy.") == []


def test_case_sensitive_cues_and_all_capitals() -> None:
    cues = CueSet(case_sensitive=("MILD",))
    assert cues.spans("Outcomes of MILD in 40 patients") == [(12, 16)]
    assert cues.spans("mild pain") == []
    assert cues.spans("EFFECTS OF EXERCISE IN MILD COGNITIVE IMPAIRMENT: A TRIAL") == []


def test_unless_cancels_overlapping_hits() -> None:
    cues = CueSet(("mild",), unless=("mild cognitive impairment",))
    assert cues.spans("mild cognitive impairment and mild pain") == [(30, 34)]
