"""The evidence classifier end to end on articles written for these tests (never the shared
development corpus), the Evidence record's JSON form, and the topic profile's validation."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tests.factories import text_article as article
from watcher.errors import ConfigError
from watcher.evidence import (
    CLASSIFIER_VERSION,
    Profile,
    classify,
    default_profile_path,
    load_profile,
)
from watcher.localpubmed import SAMPLE_DIR
from watcher.records import Article, Evidence, Tag
from watcher.vocabulary import DESIGNS, QUESTIONS

REPO = Path(__file__).resolve().parent.parent
SAMPLE = SAMPLE_DIR


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile()


def assert_snippets_are_quoted(evidence: Evidence, source: Article) -> None:
    """Every tag quotes the article's own text (or its PubMed field) in at most ~200 chars."""
    fields = {
        "title": [source.plain_title],
        "abstract": [source.plain_abstract],
        "publication_type": list(source.publication_types),
        "mesh": list(source.mesh_terms),
        "keywords": list(source.keywords),
    }
    singles = [
        evidence.relevance_tag,
        evidence.design_tag,
        evidence.followup_tag,
        evidence.sample_size_tag,
    ]
    many = [
        *evidence.comparators,
        *evidence.questions,
        *evidence.outcomes,
        *evidence.complications,
        *evidence.reoperations,
    ]
    for tag in [t for t in singles if t is not None] + many:
        assert tag.snippet, tag
        assert len(tag.snippet) <= 200, tag
        assert any(tag.snippet in text for text in fields[tag.source]), tag


MILD_RCT = article(
    "Percutaneous image-guided lumbar decompression versus epidural steroid injection for "
    "neurogenic claudication: a randomized controlled trial",
    ("BACKGROUND", "Ligamentum flavum hypertrophy narrows the central canal."),
    (
        "METHODS",
        "One hundred and twelve patients were randomly assigned to the mild® procedure or to "
        "epidural steroid injections. The ligamentum flavum was debulked through a 5-mm portal "
        "under fluoroscopic guidance with epidurography. Outcomes were the Oswestry Disability "
        "Index (ODI), the Zurich Claudication Questionnaire and walking distance.",
    ),
    (
        "RESULTS",
        "At 24 months, ODI had improved by 18 points after mild and by 7 points after "
        "injection (P < .001). No device- or procedure-related serious adverse events "
        "occurred. Five patients (4.5%) underwent lumbar laminectomy during follow-up.",
    ),
    (
        "CONCLUSIONS",
        "Patients with ligamentum flavum thicker than 2.5 mm were most likely to benefit.",
    ),
    pmid="101",
    types=("Journal Article", "Randomized Controlled Trial"),
)


# --- relevance -------------------------------------------------------------------------------


def test_a_mild_trial_is_relevant_and_fully_tagged(profile: Profile) -> None:
    evidence = classify(MILD_RCT, profile)
    assert evidence.relevance == "relevant"
    assert evidence.relevance_score > 0.9
    assert evidence.relevance_tag is not None and evidence.relevance_tag.source == "title"
    assert (evidence.design, evidence.level) == ("rct", "I")
    assert evidence.design_tag == Tag("rct", "Randomized Controlled Trial", "publication_type")
    assert evidence.followup_months == 24.0
    assert evidence.sample_size == 112
    assert set(evidence.question_keys) == {
        "long_term_efficacy",
        "patient_selection",
        "reoperation",
        "safety",
        "comparative",
    }
    assert [t.value for t in evidence.comparators] == ["epidural_steroid_injection"]
    assert {"ODI", "ZCQ", "walking"} <= {t.value for t in evidence.outcomes}
    assert [t.value for t in evidence.complications] == [
        "No device- or procedure-related serious adverse events"
    ]
    assert [t.value for t in evidence.reoperations] == [
        "Five patients (4.5%) underwent lumbar laminectomy during follow-up"
    ]
    assert_snippets_are_quoted(evidence, MILD_RCT)


@pytest.mark.parametrize(
    ("title", "text", "reason"),
    [
        (
            "Aerobic training in older adults with mild cognitive impairment",
            "Sixty adults with mild cognitive impairment were randomized to training or "
            "stretching; memory improved at 6 months.",
            "mild cognitive impairment",
        ),
        (
            "Return to work after mild traumatic brain injury",
            "Mild traumatic brain injury delays return to work in many adults.",
            "mild traumatic brain injury",
        ),
        (
            "Laminectomy for mild to moderate lumbar spinal stenosis",
            "Patients with mild to moderate stenosis and mild pain underwent open laminectomy.",
            "mild to moderate",
        ),
        (
            "MILD COGNITIVE IMPAIRMENT AFTER SPINE SURGERY IN THE ELDERLY",
            "Delirium and cognitive decline were assessed after lumbar fusion.",
            None,
        ),
    ],
)
def test_mild_as_an_adjective_is_not_the_procedure(
    profile: Profile, title: str, text: str, reason: str | None
) -> None:
    source = article(title, text)
    evidence = classify(source, profile)
    assert evidence.relevance == "not_relevant"
    assert evidence.questions == ()
    if reason:
        assert evidence.relevance_tag is not None
        assert evidence.relevance_tag.value.lower() == reason
    assert_snippets_are_quoted(evidence, source)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Minimally invasive lumbar decompression through a tubular retractor",
            "Minimally invasive lumbar decompression was performed under general anaesthesia "
            "with an operating microscope and a tubular retractor in 80 patients.",
        ),
        (
            "Full-endoscopic minimally invasive lumbar decompression for lateral recess stenosis",
            "The endoscope was introduced through an interlaminar window.",
        ),
        (
            "Percutaneous lumbar decompression by disc nucleoplasty for contained herniation",
            "Nucleoplasty lowers intradiscal pressure in contained disc herniation.",
        ),
    ],
)
def test_surgical_namesakes_are_not_relevant(profile: Profile, title: str, text: str) -> None:
    evidence = classify(article(title, text), profile)
    assert evidence.relevance == "not_relevant"
    assert evidence.relevance_tag is not None  # the surgical cue is quoted as the reason


def test_the_generic_phrase_alone_is_uncertain(profile: Profile) -> None:
    evidence = classify(
        article("Outcomes of minimally invasive lumbar decompression in older adults"), profile
    )
    assert evidence.relevance == "uncertain"
    assert evidence.relevance_tag is not None
    assert evidence.relevance_tag.value == "minimally invasive lumbar decompression"


def test_the_generic_phrase_with_mild_technique_is_relevant(profile: Profile) -> None:
    evidence = classify(
        article(
            "Minimally invasive lumbar decompression for central stenosis",
            "The hypertrophic ligamentum flavum was debulked percutaneously under fluoroscopy "
            "through a portal, with no implant left behind.",
        ),
        profile,
    )
    assert evidence.relevance == "relevant"


def test_a_name_mentioned_only_as_background_does_not_make_the_subject(profile: Profile) -> None:
    evidence = classify(
        article(
            "Interspinous spacers for lumbar stenosis: a prospective cohort",
            (
                "BACKGROUND",
                "Percutaneous image-guided lumbar decompression has been proposed "
                "for milder disease.",
            ),
            ("METHODS", "Sixty patients received a stand-alone spacer."),
        ),
        profile,
    )
    assert evidence.relevance != "relevant"


def test_an_abbreviation_the_article_defines_counts_as_the_procedure(profile: Profile) -> None:
    evidence = classify(
        article(
            "Consensus recommendations for interventional treatment of lumbar spinal stenosis",
            (
                "BACKGROUND",
                "Options include minimally invasive lumbar decompression (mild) "
                "and interspinous spacers.",
            ),
            (
                "RESULTS",
                "The panel recommends mild for central stenosis from ligamentum flavum "
                "hypertrophy. The panel advises against mild in unstable spines.",
            ),
        ),
        profile,
    )
    assert evidence.relevance == "relevant"
    assert evidence.relevance_tag is not None and evidence.relevance_tag.value == "mild"


def test_keywords_count_towards_relevance(profile: Profile) -> None:
    bare = article("Outcomes of a spine procedure in older adults")
    tagged = article("Outcomes of a spine procedure in older adults", keywords=("mild® procedure",))
    assert classify(bare, profile).relevance == "not_relevant"
    evidence = classify(tagged, profile)
    assert evidence.relevance == "relevant"
    assert evidence.relevance_tag == Tag("mild®", "mild® procedure", "keywords")


@pytest.mark.parametrize(
    ("title", "types"),
    [
        ("Erratum: Outcomes of the mild® procedure at two years", ("Published Erratum",)),
        ("Retraction notice to: the mild® procedure in 120 patients: 12-month results", ()),
    ],
)
def test_notices_are_not_evidence(profile: Profile, title: str, types: tuple[str, ...]) -> None:
    evidence = classify(article(title, types=types), profile)
    assert evidence.relevance == "not_relevant"
    assert evidence.design == "other"
    assert (evidence.followup_months, evidence.sample_size, evidence.questions) == (None, None, ())
    assert evidence.relevance_tag is not None


# --- design and level ------------------------------------------------------------------------


def test_publication_type_overrides_the_text(profile: Profile) -> None:
    source = article(
        "Retrospective analysis of the mild® procedure",
        ("DESIGN", "Retrospective cohort study."),
        types=("Journal Article", "Randomized Controlled Trial"),
    )
    evidence = classify(source, profile)
    assert evidence.design == "rct"
    assert evidence.design_tag is not None and evidence.design_tag.source == "publication_type"


def test_a_review_type_is_refined_by_the_title(profile: Profile) -> None:
    evidence = classify(
        article("The mild® procedure: a systematic review", types=("Journal Article", "Review")),
        profile,
    )
    assert evidence.design == "systematic_review_meta_analysis"
    assert evidence.level is None  # not limited to randomised trials
    narrative = classify(article("The mild® procedure today", types=("Review",)), profile)
    assert (narrative.design, narrative.level) == ("narrative_review", "V")


def test_a_meta_analysis_of_randomised_trials_is_level_one(profile: Profile) -> None:
    evidence = classify(
        article("Pooling what is known of the mild® procedure: a meta-analysis of RCTs"), profile
    )
    assert (evidence.design, evidence.level) == ("systematic_review_meta_analysis", "I")


@pytest.mark.parametrize(
    ("sections", "design", "level"),
    [
        ((("STUDY DESIGN", "Retrospective cohort study."),), "retrospective_cohort", "III"),
        ((("STUDY DESIGN", "Single-centre clinical series, followed prospectively."),),
         "case_series", "IV"),
        ((("DESIGN", "Multicenter, single-arm, prospective study."),), "prospective_cohort", "II"),
        ((("METHODS", "We retrospectively reviewed the charts of 40 patients."),),
         "retrospective_cohort", "III"),
        (("We retrospectively reviewed 40 patients treated with mild®.",), "retrospective_cohort",
         "III"),
        (("Previous randomized trials showed benefit. We describe our experience with mild®.",),
         "other", None),
        ((("DESIGN", "Retrospective analysis of prospectively collected registry data."),),
         "retrospective_cohort", "III"),
    ],
)  # fmt: skip
def test_design_from_the_authors_words(
    profile: Profile, sections: tuple, design: str, level: str | None
) -> None:
    evidence = classify(article("Outcomes of the mild® procedure", *sections), profile)
    assert (evidence.design, evidence.level) == (design, level)


def test_title_only_record(profile: Profile) -> None:
    source = article("The mild® procedure for spinal stenosis: a randomized controlled trial")
    evidence = classify(source, profile)
    assert (evidence.design, evidence.level) == ("rct", "I")
    assert evidence.design_tag is not None and evidence.design_tag.source == "title"
    assert evidence.followup_months is None and evidence.sample_size is None
    assert_snippets_are_quoted(evidence, source)


def test_nothing_stated_is_other_without_a_tag(profile: Profile) -> None:
    evidence = classify(article("Thoughts on the mild® procedure"), profile)
    assert (evidence.design, evidence.design_tag, evidence.level) == ("other", None, None)


def test_mesh_check_tags_give_the_design_when_the_text_does_not(profile: Profile) -> None:
    evidence = classify(
        article("Outcomes of the mild® procedure", mesh=("Humans", "Retrospective Studies")),
        profile,
    )
    assert evidence.design == "retrospective_cohort"
    assert evidence.design_tag == Tag("retrospective_cohort", "Retrospective Studies", "mesh")


def test_economic_model_has_no_follow_up(profile: Profile) -> None:
    evidence = classify(
        article(
            "Cost-effectiveness of the mild® procedure compared with epidural steroid injection",
            "A Markov model with a 5-year time horizon was built from the Medicare perspective.",
        ),
        profile,
    )
    assert evidence.design == "economic_analysis"
    assert evidence.followup_months is None
    assert {"cost_coverage", "comparative"} <= set(evidence.question_keys)
    assert "long_term_efficacy" not in evidence.question_keys


def test_a_review_has_no_follow_up_of_its_own(profile: Profile) -> None:
    evidence = classify(
        article(
            "The mild® procedure: a systematic review",
            "Only studies reporting five or more years of follow-up were eligible.",
        ),
        profile,
    )
    assert evidence.followup_months is None
    assert "long_term_efficacy" in evidence.question_keys  # ≥ 24 months still answers it


def test_case_report_is_one_patient(profile: Profile) -> None:
    source = article(
        "Epidural hematoma after the mild® procedure",
        "A 79-year-old man with symptoms for 3 years developed a hematoma after mild® and "
        "underwent emergency laminectomy. At 3-month follow-up he walked unaided.",
        types=("Case Reports",),
    )
    evidence = classify(source, profile)
    assert (evidence.design, evidence.level, evidence.sample_size) == ("case_report", "V", 1)
    assert evidence.followup_months == 3.0
    assert {"safety", "reoperation"} <= set(evidence.question_keys)
    assert_snippets_are_quoted(evidence, source)


# --- questions -------------------------------------------------------------------------------


def keys(profile: Profile, *sections: str | tuple[str, str], **fields: tuple[str, ...]) -> set:
    source = article("Outcomes of the mild® procedure", *sections, **fields)
    evidence = classify(source, profile)
    assert_snippets_are_quoted(evidence, source)
    return set(evidence.question_keys)


def test_safety_is_about_the_procedure_not_other_treatments(profile: Profile) -> None:
    assert "safety" in keys(profile, "There were no dural tears or infections.")
    assert "safety" not in keys(
        profile, "Complications are common after open fusion in frail patients."
    )


def test_comparative_needs_a_comparator_not_baseline(profile: Profile) -> None:
    assert "comparative" not in keys(profile, "ODI improved compared with baseline.")
    assert "comparative" in keys(profile, "Outcomes were better than after laminectomy.")
    assert "comparative" not in keys(
        profile, "Surgeons' patients more often had laminectomy (7.0% vs 3.5%)."
    )


def test_long_term_efficacy(profile: Profile) -> None:
    assert "long_term_efficacy" in keys(profile, "Patients were followed for up to 5 years.")
    assert "long_term_efficacy" in keys(profile, "Durability of the benefit is unknown.")
    assert "long_term_efficacy" not in keys(profile, "At 12 months pain had improved.")
    assert "long_term_efficacy" not in keys(
        profile, "Patients on long-term antiplatelet therapy were included; follow-up was 3 months."
    )


def test_patient_selection_cost_and_operator(profile: Profile) -> None:
    assert "patient_selection" in keys(profile, "Stenosis severity predicted a poor outcome.")
    assert "cost_coverage" in keys(profile, "Medicare coverage requires enrolment in a study.")
    assert "cost_coverage" not in keys(profile, "Medicare beneficiaries were studied.")
    assert "operator" in keys(
        profile, "All procedures were performed by interventional radiologists."
    )


def test_reoperation_counts_are_quoted(profile: Profile) -> None:
    source = article(
        "Outcomes of the mild® procedure",
        ("RESULTS", "Two patients later received epidural steroid injections, and 3 patients "
                    "(6%) went on to open surgery."),
    )  # fmt: skip
    evidence = classify(source, profile)
    assert "reoperation" in evidence.question_keys
    assert [t.value for t in evidence.reoperations] == [
        "Two patients later received epidural steroid injections",
        "3 patients (6%) went on to open surgery",
    ]


def test_indexing_terms_answer_questions(profile: Profile) -> None:
    assert "reoperation" in keys(profile, mesh=("Humans", "Reoperation"))
    evidence = classify(article("Outcomes of the mild® procedure", mesh=("Reoperation",)), profile)
    assert evidence.questions == (Tag("reoperation", "Reoperation", "mesh"),)


def test_questions_are_left_empty_for_other_topics(profile: Profile) -> None:
    evidence = classify(
        article(
            "Laminectomy versus fusion in mild to moderate stenosis",
            "No complications occurred; 4 patients required revision at 2 years.",
        ),
        profile,
    )
    assert evidence.relevance == "not_relevant"
    assert evidence.questions == () and evidence.comparators == ()


# --- the record and its JSON ----------------------------------------------------------------------


def test_to_dict_has_the_contract_shape_and_round_trips(profile: Profile) -> None:
    evidence = classify(MILD_RCT, profile)
    data = json.loads(json.dumps(evidence.to_dict()))
    assert data["pmid"] == "101"
    assert data["relevance"] == "relevant" and data["design"] == "rct"
    assert data["followup_months"] == 24.0 and data["sample_size"] == 112
    assert data["questions"] == list(evidence.question_keys)
    assert data["comparators"] == ["epidural_steroid_injection"]
    assert (data["classifier_version"], data["profile_version"]) == (CLASSIFIER_VERSION, "3")
    assert set(data["evidence"]) == {
        "relevance",
        "design",
        "followup_months",
        "sample_size",
        "questions",
        "comparators",
        "outcomes",
        "complications",
        "reoperations",
    }
    assert data["evidence"]["sample_size"]["value"] == 112
    assert Evidence.from_dict(data) == evidence


def test_from_dict_round_trips_empty_tags(profile: Profile) -> None:
    evidence = classify(article("Thoughts"), profile)
    assert evidence.relevance_tag is None and evidence.design_tag is None
    assert Evidence.from_dict(json.loads(json.dumps(evidence.to_dict()))) == evidence


def test_classification_is_pure_and_keys_are_known(profile: Profile) -> None:
    first, second = classify(MILD_RCT, profile), classify(MILD_RCT, profile)
    assert first == second
    assert first.design in DESIGNS
    assert set(first.question_keys) <= set(QUESTIONS)


# --- the topic profile -------------------------------------------------------------------------


def copy_profile(tmp_path: Path, old: str = "", new: str = "") -> Path:
    text = default_profile_path().read_text(encoding="utf-8")
    if old:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "topic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_profile_seeds_the_mild_search() -> None:
    import tomllib

    data = tomllib.loads(default_profile_path().read_text(encoding="utf-8"))
    assert data["profile"]["name"] == "mild"
    (search,) = data["searches"]
    assert search["name"] == "mild-outcomes"
    assert search["query"].startswith('("minimally invasive lumbar decompression"[tiab]')
    assert search["query"].endswith("OR claudication[tiab])")


def test_a_librarian_can_tune_the_vocabulary(tmp_path: Path) -> None:
    debulking = '    "ligamentum flavum debulking",\n'
    path = copy_profile(tmp_path, debulking, debulking + '    "spine whisperer",\n')
    path.write_text(path.read_text().replace('version = "2"', 'version = "3"', 1))
    tuned = load_profile(path)
    source = article("Outcomes of the spine whisperer in 30 patients")
    assert classify(source, load_profile()).relevance == "not_relevant"
    evidence = classify(source, tuned)
    assert evidence.relevance == "relevant"
    assert evidence.profile_version == "3"


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"topic\.toml not found"):
        load_profile(tmp_path / "topic.toml")


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "topic.toml"
    path.write_text('[profile]\nname = "x"\nversion = \n')
    with pytest.raises(ConfigError, match=r"topic\.toml: not valid TOML.*line 3"):
        load_profile(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('rct = "I"', 'rct = "VI"', r"topic\.toml:\d+: design\.levels\.rct: level must be"),
        ('"Case Reports" = "case_report"', '"Case Reports" = "anecdote"',
         r"topic\.toml:\d+: design\.publication_types\.Case Reports: unknown design 'anecdote'"),
        ("relevant_at = 0.6", 'relevant_at = "high"',
         r"topic\.toml:\d+: relevance\.relevant_at: must be a number"),
        ("[questions.operator]", "[questions.operators]",
         r"topic\.toml:\d+: questions\.operators: unknown question"),
        ("[outcomes.PROMIS]\ncase_sensitive", "[outcomes.PROMIS]\ncase_sensitiv",
         r"topic\.toml:\d+: outcomes\.PROMIS\.case_sensitiv: unknown key"),
        ("background_sections = [", "backgroud_sections = [",
         r"relevance\.backgroud_sections: unknown key; use background_sections, relevant_at"),
        ('skip_sentences = ["model*", "modelled"', 'skip_sentences = [7, "modelled"',
         r"questions\.long_term_efficacy\.skip_sentences: must be a list"),
        ('long_term_months = 24', 'long_term_months = "two years"',
         r"followup\.long_term_months: must be a number"),
        ('phrases = ["hematoma*"', 'phrases = [1, "hematoma*"',
         r"complications\.phrases: must be a list of non-empty strings"),
    ],
)  # fmt: skip
def test_profile_errors_name_file_key_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = copy_profile(tmp_path, old, new)
    with pytest.raises(ConfigError, match=message) as raised:
        load_profile(path)
    line = int(str(raised.value).split(":")[1])
    assert new.splitlines()[-1] in path.read_text().splitlines()[line - 1]


def test_error_line_inside_an_array_of_tables(tmp_path: Path) -> None:
    path = copy_profile(tmp_path, 'design = "case_series"', 'design = "anecdotes"')
    with pytest.raises(ConfigError, match=r"design\.cues\[\d+\]\.design: unknown design") as e:
        load_profile(path)
    line = int(str(e.value).split(":")[1])
    assert path.read_text().splitlines()[line - 1] == 'design = "anecdotes"'


# --- the bundled synthetic sample and the benchmark script ---------------------------------------


def test_bundled_sample_labels(profile: Profile) -> None:
    """The sample's labelled synthetic records (watcher/localpubmed/sample) meet the accuracy
    targets."""
    labels_path = SAMPLE / "labels.jsonl"
    if not labels_path.exists():
        pytest.skip("watcher/localpubmed/sample/labels.jsonl is not there")
    from watcher.pubmed import read_records

    labels = [json.loads(line) for line in labels_path.read_text().splitlines() if line.strip()]
    articles = {a.pmid: a for xml in SAMPLE.glob("*.xml") for a in read_records(xml)}
    tp = fp = fn = design = followup = size = 0
    for record in labels:
        source = articles[record["pmid"]]
        evidence = classify(source, profile)
        assert_snippets_are_quoted(evidence, source)
        want = record["labels"]
        relevant = evidence.relevance == "relevant"
        tp += relevant and want["relevant_mild"]
        fp += relevant and not want["relevant_mild"]
        fn += want["relevant_mild"] and not relevant
        design += evidence.design == want["design"]
        followup += evidence.followup_months == want["followup_months"]
        size += evidence.sample_size == want["sample_size"]
    assert tp / (tp + fp) >= 0.95 and tp / (tp + fn) >= 0.95
    assert design / len(labels) >= 0.90
    assert followup / len(labels) >= 0.90
    assert size / len(labels) >= 0.85


@pytest.fixture
def accuracy(monkeypatch: pytest.MonkeyPatch):
    """benchmarks/accuracy.py, a script rather than a package module."""
    spec = importlib.util.spec_from_file_location("accuracy", REPO / "benchmarks" / "accuracy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "accuracy", module)
    spec.loader.exec_module(module)
    return module


def test_benchmark_builds_sections_from_label_lines(accuracy) -> None:
    source = accuracy.article_from_record(
        {
            "pmid": 7,
            "title": "A & B",
            "abstract": "BACKGROUND/AIMS: x < y.\nSUMMARY OF BACKGROUND DATA: more.\nplain line",
            "publication_types": ["Journal Article"],
        }
    )
    assert [s.label for s in source.abstract] == [
        "BACKGROUND/AIMS",
        "SUMMARY OF BACKGROUND DATA",
        "",
    ]
    assert source.plain_title == "A & B" and source.abstract[0].text == "x &lt; y."


def test_benchmark_write_keeps_other_sections(accuracy, tmp_path: Path) -> None:
    target = tmp_path / "benchmarks.md"
    target.write_text("# Benchmarks\n\n## Poll speed\n\nfast\n")
    accuracy.write_section(target, "## Evidence classifier accuracy\n\nold\n")
    accuracy.write_section(target, "## Evidence classifier accuracy\n\nnew\n")
    text = target.read_text()
    assert text.count("## Evidence classifier accuracy") == 1
    assert "new" in text and "old" not in text and "## Poll speed\n\nfast" in text


def test_benchmark_never_replaces_a_kept_section(accuracy, tmp_path: Path) -> None:
    target = tmp_path / "benchmarks.md"
    target.write_text("# Benchmarks\n\n## Evidence classifier accuracy\n\nlive\n\n## Poll\n\nx\n")
    kept = accuracy.section_title(accuracy.DEFAULT_CORPUS, kept="first look", day="2026-11-25")
    first = f"{kept}\n\n{accuracy.KEPT_MARK}\n\nbefore\n"
    accuracy.write_section(target, first)
    with pytest.raises(ValueError, match="kept section"):
        accuracy.write_section(target, f"{kept}\n\nafter\n")
    accuracy.write_section(target, "## Evidence classifier accuracy\n\nlive again\n")
    text = target.read_text()
    assert "before" in text and "after" not in text and "live again" in text
    # A new accuracy section goes next to the others, not after unrelated ones.
    assert text.index(kept) < text.index("## Poll")


@pytest.mark.parametrize(
    ("spec", "expected"), [("25-51", (25, 51)), ("25-", (25, None)), ("7", (7, 7))]
)
def test_benchmark_scores_a_slice_of_the_corpus(accuracy, spec: str, expected: tuple) -> None:
    assert accuracy.parse_records(spec) == expected
    lines = list(range(1, 52))
    first, last = expected
    assert accuracy.select_records(lines, first, last)[0] == first
    assert accuracy.select_records(lines, first, last)[-1] == (last or 51)


@pytest.mark.parametrize("spec", ["x", "0-3", "9-2", "1-99"])
def test_benchmark_refuses_a_bad_slice(accuracy, spec: str) -> None:
    with pytest.raises(ValueError, match="--records"):
        accuracy.select_records(list(range(51)), *accuracy.parse_records(spec))


def test_search_reach_runs_the_saved_query_through_the_local_server(accuracy) -> None:
    """benchmarks/search_reach.py: labelled records rendered as PubMed XML, searched by the
    local server's query engine; the widened default search reaches the trademark title."""
    from benchmarks import search_reach

    def labelled(pmid: int, title: str, abstract: str, mild: bool) -> dict:
        labels = {"relevant_mild": mild}
        return {"pmid": pmid, "title": title, "abstract": abstract, "year": 2024, "labels": labels}

    records = [
        labelled(11, "MILD® relieves claudication", "RESULTS: Stenosis symptoms eased.", True),
        labelled(12, "Remodeling of the ligamentum flavum", "Claudication improved.", True),
        labelled(13, "Mild stenosis treated with exercise", "Claudication eased.", False),
        labelled(14, "Exercise for knee pain", "Pain eased.", False),
    ]
    now = search_reach.measure(records, search_reach.default_query())
    before = search_reach.measure(records, search_reach.PREVIOUS_QUERY)
    assert (now.hits, now.recall, now.noise, now.missed) == (2, 1.0, 1, [])
    assert (before.hits, before.missed) == (0, ["11", "12"])
    table = "\n".join(search_reach.reach_lines(records))
    assert "| default search (mild.toml) | 2 of 2 (1.00) | 1 of 2 | none |" in table


def test_a_profile_written_before_the_newer_tables_still_loads(tmp_path: Path) -> None:
    """A librarian's copy of an older mild.toml lacks [relevance.topic], [design.this_study],
    [[design.inferred]], [design.treated_patients] and [design.compared_groups]: it loads,
    and only those rules are off."""
    text = default_profile_path().read_text(encoding="utf-8")
    newer = ("[relevance.topic]", "[design.this_study]", "[[design.inferred]]",
             "[design.treated_patients]", "[design.compared_groups]")  # fmt: skip
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.strip() in newer
        if not skipping:
            kept.append(line)
    path = tmp_path / "older.toml"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    older = load_profile(path)
    assert not older.relevance.topic and older.design.inferred == ()
    assert classify(MILD_RCT, older).relevance == "relevant"
    inferred = article("Walking after the mild® procedure", "Forty patients were treated.")
    assert classify(inferred, load_profile()).design == "case_series"
    assert classify(inferred, older).design == "other"
