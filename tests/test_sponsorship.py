"""Who paid for a study: CoiStatement and GrantList in NCBI's shapes (XML over Biopython's real
client from the local E-utilities server, and MEDLINE), and the sponsorship classifier on
statements written for these tests, each value at least once."""

from __future__ import annotations

import html
from collections import Counter

import pytest

from tests.factories import client_for
from watcher import pubmed
from watcher.evidence import Profile, classify, load_profile
from watcher.localpubmed import SAMPLE_DIR, LocalPubMed
from watcher.pubmed.medline import parse_medline
from watcher.records import AbstractSection, Article, Evidence, Grant
from watcher.vocabulary import SPONSORSHIP, SPONSORSHIP_CUES

# Two records as efetch returns them (pubmed_250101.dtd): GrantList inside Article after
# Language, CoiStatement last in MedlineCitation, entities and inline markup as NCBI writes
# them. The text is written for this test; the records are synthetic.
NCBI_XML = """<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" \
"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet>
<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
        <PMID Version="1">99300001</PMID>
        <Article PubModel="Print-Electronic">
            <Journal><JournalIssue CitedMedium="Internet"><PubDate><Year>2024</Year></PubDate>\
</JournalIssue><Title>Synthetic Pain Medicine Reports</Title></Journal>
            <ArticleTitle>[SYNTHETIC] Percutaneous image-guided lumbar decompression for \
neurogenic claudication: a prospective cohort.</ArticleTitle>
            <ELocationID EIdType="doi" ValidYN="Y">10.99999/synthetic.99300001</ELocationID>
            <Abstract>
                <AbstractText Label="METHODS" NlmCategory="METHODS">Forty patients with lumbar \
spinal stenosis underwent the mild procedure.</AbstractText>
                <AbstractText Label="RESULTS" NlmCategory="RESULTS">Walking time improved at \
12 months.</AbstractText>
            </Abstract>
            <Language>eng</Language>
            <GrantList CompleteYN="Y">
                <Grant>
                    <GrantID>R01 AR099001</GrantID>
                    <Acronym>AR</Acronym>
                    <Agency>NIAMS NIH HHS</Agency>
                    <Country>United States</Country>
                </Grant>
                <Grant>
                    <Agency>Example Spine Devices Inc.</Agency>
                    <Country>United States</Country>
                </Grant>
            </GrantList>
            <PublicationTypeList><PublicationType UI="D016428">Journal Article\
</PublicationType></PublicationTypeList>
        </Article>
        <MedlineJournalInfo><MedlineTA>Synth Pain Med Rep</MedlineTA></MedlineJournalInfo>
        <CoiStatement>Dr. &#xd8;deg&#xe5;rd is a paid consultant for Vertos Medical &amp; \
receives royalties for <i>ligamentum flavum</i> instruments. The other authors declare no \
conflicts of interest.</CoiStatement>
    </MedlineCitation>
    <PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>\
<ArticleId IdType="pubmed">99300001</ArticleId></ArticleIdList></PubmedData>
</PubmedArticle>
<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
        <PMID Version="1">99300002</PMID>
        <Article PubModel="Print">
            <Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2023</Year></PubDate>\
</JournalIssue><Title>Synthetic Journal of Spine Interventions</Title></Journal>
            <ArticleTitle>[SYNTHETIC] The mild procedure in a regional hospital.</ArticleTitle>
            <ELocationID EIdType="doi" ValidYN="Y">10.99999/synthetic.99300002</ELocationID>
            <Abstract><AbstractText>Thirty patients underwent the mild procedure for lumbar \
spinal stenosis.</AbstractText></Abstract>
            <Language>eng</Language>
            <GrantList CompleteYN="Y">
                <Grant>
                    <GrantID>EX-77</GrantID>
                    <Agency>Example Regional Health Research Council</Agency>
                    <Country>Norway</Country>
                </Grant>
            </GrantList>
            <PublicationTypeList><PublicationType UI="D016428">Journal Article\
</PublicationType></PublicationTypeList>
        </Article>
        <MedlineJournalInfo><MedlineTA>Synth J Spine Interv</MedlineTA></MedlineJournalInfo>
        <CoiStatement>The authors declare that they have no conflicts of interest.</CoiStatement>
    </MedlineCitation>
    <PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>\
<ArticleId IdType="pubmed">99300002</ArticleId></ArticleIdList></PubmedData>
</PubmedArticle>
</PubmedArticleSet>
"""


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile()


def test_coi_statement_and_grant_list_over_the_real_entrez_client(profile: Profile) -> None:
    with LocalPubMed() as server:
        server.add_xml(NCBI_XML)
        client = client_for(server)
        first, second = client.fetch(["99300001", "99300002"])
    assert first.grants == (
        Grant("NIAMS NIH HHS", "R01 AR099001", "AR", "United States"),
        Grant("Example Spine Devices Inc.", "", "", "United States"),
    )
    assert first.coi_statement == (
        "Dr. Ødegård is a paid consultant for Vertos Medical & receives royalties for "
        "ligamentum flavum instruments. The other authors declare no conflicts of interest."
    )
    assert second.grants == (
        Grant("Example Regional Health Research Council", "EX-77", "", "Norway"),
    )
    industry, independent = classify(first, profile), classify(second, profile)
    assert industry.sponsorship == "industry"
    assert [(t.value, t.source) for t in industry.sponsorship_tags] == [
        ("industry_funding", "grants"),
        ("industry_tie", "coi_statement"),
        ("no_conflicts", "coi_statement"),
        ("public_funding", "grants"),
    ]
    assert industry.sponsorship_tags[1].snippet.startswith("Dr. Ødegård is a paid consultant")
    assert independent.sponsorship == "independent"


def test_medline_cois_and_gr_lines() -> None:
    text = (
        "PMID- 99300003\nTI  - [SYNTHETIC] A MILD cohort.\n"
        "GR  - EF-9/Example Foundation/Sweden\nGR  - Example Spine Devices Inc./United States\n"
        "COIS- Dr. A reports consulting fees from Vertos Medical. The other authors have\n"
        "      nothing to disclose.\n"
    )
    (article,) = parse_medline(text)
    assert article.grants == (
        Grant("Example Foundation", "EF-9", "", "Sweden"),
        Grant("Example Spine Devices Inc.", "", "", "United States"),
    )
    assert article.coi_statement.endswith("The other authors have nothing to disclose.")
    assert classify(article, load_profile()).sponsorship == "industry"


# --- the classifier: each value, and the traps -----------------------------------------------


def study(coi: str = "", grants: tuple[Grant, ...] = (), *sections: tuple[str, str]) -> Article:
    text = (("RESULTS", "Walking improved after the mild procedure for lumbar stenosis."),)
    return Article(
        pmid="5",
        title="Percutaneous image-guided lumbar decompression: a prospective study",
        abstract=tuple(
            AbstractSection(label, html.escape(body, quote=False))
            for label, body in text + sections
        ),
        coi_statement=coi,
        grants=grants,
    )


def sponsorship(profile: Profile, *args: object) -> Evidence:
    return classify(study(*args), profile)  # type: ignore[arg-type]


NIH = (Grant("NINDS NIH HHS", "R01 NS099002", "NS", "United States"),)


@pytest.mark.parametrize(
    "coi",
    [
        "Dr. Kim is a consultant for Vertos Medical.",
        "J.K. serves as a consultant for Medtronic; the other authors report no conflicts.",
        "One author is an employee of Example Devices Ltd and holds stock options.",
        "Dr. Lee received speaker fees and travel support.",  # the payer unnamed
        "The authors declare no conflicts of interest. Dr. Park holds equity in Vertos.",
    ],
)
def test_a_tie_to_a_device_maker_is_industry(profile: Profile, coi: str) -> None:
    evidence = sponsorship(profile, coi, NIH)
    assert evidence.sponsorship == "industry"
    assert "industry_tie" in [t.value for t in evidence.sponsorship_tags]


@pytest.mark.parametrize(
    "coi",
    [
        "The authors declare no conflicts of interest.",
        "The authors have no competing interests to declare.",
        "None of the authors received payment from the manufacturer of the device.",
        "Nothing to disclose.",
        "The authors report no financial relationships with Vertos Medical.",
    ],
)
def test_no_conflicts_is_never_an_industry_tie(profile: Profile, coi: str) -> None:
    alone = sponsorship(profile, coi)
    assert alone.sponsorship == "not_stated"  # who paid is still unsaid
    assert [t.value for t in alone.sponsorship_tags] == ["no_conflicts"]
    assert sponsorship(profile, coi, NIH).sponsorship == "independent"


def test_funding_statements_in_the_abstract(profile: Profile) -> None:
    funded = sponsorship(
        profile, "", (), ("FUNDING", "This study was funded by Vertos Medical, Inc.")
    )
    assert funded.sponsorship == "industry"
    assert funded.sponsorship_tags[0].value == "industry_funding"
    assert funded.sponsorship_tags[0].snippet == "This study was funded by Vertos Medical, Inc."
    sentence = sponsorship(
        profile, "", (), ("RESULTS", "This industry-sponsored registry enrolled 300 patients.")
    )
    assert sentence.sponsorship == "industry"
    public = sponsorship(
        profile,
        "The authors declare no conflicts of interest.",
        (),
        ("CONCLUSIONS", "The work was supported by a grant from the Example Foundation."),
    )
    assert public.sponsorship == "independent"
    unfunded = sponsorship(
        profile,
        "Nothing to disclose.",
        (),
        ("FUNDING", "The study received no funding from industry."),
    )
    assert unfunded.sponsorship == "independent"


@pytest.mark.parametrize(
    "text",
    [
        "The device (Vertos Medical) was used under fluoroscopy in every case.",
        "Medicare paid for the procedure in most hospitals.",
        "Dr. Lee is an employee of Example University Hospital.",
    ],
)
def test_a_company_or_payment_in_passing_is_no_tie(profile: Profile, text: str) -> None:
    assert sponsorship(profile, "", (), ("RESULTS", text)).sponsorship == "not_stated"
    assert sponsorship(profile, "", (), ("RESULTS", text)).sponsorship_tags == ()


def test_silence_is_not_stated(profile: Profile) -> None:
    evidence = sponsorship(profile)
    assert (evidence.sponsorship, evidence.sponsorship_tags) == ("not_stated", ())


def test_every_value_and_cue_is_in_the_vocabulary(profile: Profile) -> None:
    for args in (("Dr. Kim consults for Vertos Medical.",), ("None declared.", NIH), ()):
        evidence = sponsorship(profile, *args)
        assert evidence.sponsorship in SPONSORSHIP
        assert {str(t.value) for t in evidence.sponsorship_tags} <= set(SPONSORSHIP_CUES)


def test_the_sample_has_industry_independent_and_silent_records(profile: Profile) -> None:
    values: Counter[str] = Counter()
    for path in sorted(SAMPLE_DIR.glob("*.xml")):
        for item in pubmed.read_records(path):
            evidence = classify(item, profile)
            if evidence.relevance == "relevant":
                values[evidence.sponsorship] += 1
                for tag in evidence.sponsorship_tags:
                    assert tag.snippet in (item.coi_statement + " ".join(
                        f"{g.agency} {g.grant_id}" for g in item.grants))  # fmt: skip
    assert values["industry"] >= 5 and values["independent"] >= 4
    assert values["not_stated"] >= 10


def test_generated_records_say_who_paid_and_what_went_wrong_as_labelled(profile: Profile) -> None:
    """The generator's disclosures and harm sentences (NCBI's elements), read back as labelled."""
    from watcher.localpubmed.synthetic import generate_records
    from watcher.localpubmed.synthetic_xml import document, render_article

    records = generate_records(240, seed=5)
    articles = pubmed.parse_pubmed_xml(document(render_article(r) for r in records))
    seen: Counter[str] = Counter()
    for record, article in zip(records, articles, strict=True):
        labels = record.labels or {}
        evidence = classify(article, profile)
        assert evidence.sponsorship == labels["sponsorship"], record.pmid
        seen[evidence.sponsorship] += 1
        if labels["relevant_mild"]:
            assert sorted({e.kind for e in evidence.harms}) == sorted(labels["harms"]), record.pmid
    assert all(seen[value] >= 20 for value in SPONSORSHIP)


def test_the_balance_benchmark_scores_harms_and_sponsorship(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/accuracy.py on a balance-labelled corpus: the numbers, and a miss reported."""
    import importlib.util
    import json
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "accuracy.py"
    spec = importlib.util.spec_from_file_location("accuracy", script)
    assert spec and spec.loader
    accuracy = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "accuracy", accuracy)
    spec.loader.exec_module(accuracy)

    def record(pmid: int, results: str, coi: str, harms: list, sponsorship: str) -> str:
        return json.dumps({
            "pmid": pmid, "title": "[SYNTHETIC] The mild procedure: a case series",
            "abstract": f"METHODS: Patients underwent the mild procedure.\nRESULTS: {results}",
            "coi_statement": coi, "grants": [],
            "labels": {"harms": harms, "absences": [], "sponsorship": sponsorship},
        })  # fmt: skip

    hematoma = {"kind": "hematoma_bleeding", "count": 1, "denominator": None,
                "seriousness": "minor", "surgery": "no"}  # fmt: skip
    corpus = tmp_path / "balance.jsonl"
    corpus.write_text(
        record(1, "One small hematoma was managed conservatively.", "", [hematoma], "not_stated")
        + "\n"
        + record(2, "Walking improved.", "Dr. A consults for Vertos Medical.", [], "independent")
        + "\n"
    )
    assert accuracy.main([str(corpus)]) == 0
    report = capsys.readouterr().out
    assert report.startswith("## Harms and sponsorship accuracy: balance.jsonl")
    assert "| harm hematoma_bleeding | P 1.00 / R 1.00 (labelled 1, found 1) |" in report
    assert "| harm needed surgery agrees | 1 of 1 |" in report
    assert "| sponsorship accuracy | 0.50 | ≥ 0.90 | NOT MET |" in report
    assert "- 2 sponsorship: predicted industry, labelled independent." in report


@pytest.mark.parametrize(
    ("coi", "value"),
    [
        ("The authors declare no conflicts of interest. Funding: none.", "independent"),
        ("Dr. A consults for Vertos Medical.", "industry"),
        ("None of the authors received money from industry for this work.", "not_stated"),
    ],
)
def test_disclosure_wordings(profile: Profile, coi: str, value: str) -> None:
    assert sponsorship(profile, coi).sponsorship == value
