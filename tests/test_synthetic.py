"""The synthetic record generator: deterministic, NCBI-shaped, varied, labelled honestly."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from Bio import Entrez

from tests.test_sample import (
    DEFAULT_SEARCH,
    SEARCH_PHRASES,
    dtd_problems,
    matches_default_search,
)
from watcher.errors import MildwatchError
from watcher.localpubmed.index import RecordIndex
from watcher.localpubmed.query import parse_query
from watcher.localpubmed.synthetic import (
    JOURNALS,
    generate_articles,
    generate_records,
    write_corpus,
)
from watcher.localpubmed.synthetic_xml import Author, SyntheticRecord, document, render_article
from watcher.records import plain_text

START, END = date(2015, 1, 1), date(2026, 10, 31)


def parse(xml: str) -> list[dict]:
    """Records as Bio.Entrez reads them, offline (the DTD ships with Biopython)."""
    result = Entrez.read(io.BytesIO(xml.encode()), escape=True)
    assert not result["PubmedBookArticle"]
    return list(result["PubmedArticle"])


def entrez_date(article: dict) -> date:
    (stamp,) = [
        h for h in article["PubmedData"]["History"] if h.attributes["PubStatus"] == "entrez"
    ]
    return date(int(stamp["Year"]), int(stamp["Month"]), int(stamp["Day"]))


def test_same_seed_same_text_and_another_seed_differs() -> None:
    assert generate_articles(40, seed=7) == generate_articles(40, seed=7)
    assert generate_articles(40, seed=7) != generate_articles(40, seed=8)
    # a longer run starts with different dates (they are spread over n), but is itself stable
    assert generate_articles(80, seed=7) == generate_articles(80, seed=7)


def test_pmids_are_unique_and_consecutive_from_first_pmid() -> None:
    pmids = [r.pmid for r in generate_records(25, first_pmid=99100101)]
    assert pmids == list(range(99100101, 99100126))
    assert [r.pmid for r in generate_records(3)] == [99100001, 99100002, 99100003]
    assert generate_records(0) == []


def test_output_parses_offline_and_says_it_is_synthetic() -> None:
    articles = parse(document(generate_articles(120, seed=1)))
    assert len(articles) == 120
    for article in articles:
        citation = article["MedlineCitation"]
        pmid = str(citation["PMID"])
        assert citation["Article"]["ArticleTitle"].startswith("[SYNTHETIC] ")
        ids = {i.attributes["IdType"]: str(i) for i in article["PubmedData"]["ArticleIdList"]}
        assert ids["pubmed"] == pmid and ids["doi"] == f"10.99999/synthetic.{pmid}"
        assert ids.get("pmc", f"PMC{pmid}") == f"PMC{pmid}"
        authors = citation["Article"]["AuthorList"]
        assert authors and all(a["LastName"] for a in authors)


def test_output_follows_the_pubmed_dtd() -> None:
    assert dtd_problems(document(generate_articles(200, seed=2))) == []


def test_entrez_dates_spread_between_start_and_end_in_pmid_order() -> None:
    articles = parse(document(generate_articles(150, seed=3, start=START, end=END)))
    dates = [entrez_date(a) for a in articles]
    assert dates == sorted(dates)
    assert dates[0] >= START and dates[-1] <= END
    assert dates[0].year == START.year and dates[-1].year == END.year
    assert len({d.year for d in dates}) == END.year - START.year + 1


def test_designs_topics_follow_up_and_sizes_vary() -> None:
    records = generate_records(400, seed=4)
    labels = [r.labels for r in records]
    designs = Counter(lab["design"] for lab in labels)
    assert len(designs) >= 8 and max(designs.values()) < 0.4 * len(labels)
    relevant = sum(lab["relevant_mild"] for lab in labels)
    assert 0.5 * len(labels) < relevant < 0.85 * len(labels)
    assert len({lab["followup_months"] for lab in labels}) >= 6
    assert len({lab["sample_size"] for lab in labels}) >= 100
    titles = [plain_text(r.title) for r in records]
    assert any("mild cognitive impairment" in t for t in titles)
    assert any("mild traumatic brain injury" in t for t in titles)


def test_every_generated_mild_record_is_found_by_the_default_search() -> None:
    caught = 0
    for r in generate_records(300, seed=5):
        text = " ".join(t for _, t in r.abstract)
        hit = matches_default_search(r.title, text, [m.split("/")[0] for m in r.mesh])
        if r.labels["relevant_mild"]:
            assert hit, r.title
        caught += hit and not r.labels["relevant_mild"]
    assert caught >= 10, "near-misses the search lets through exercise the classifier"


def test_every_phrase_of_the_default_search_occurs_so_it_runs_as_written(
    tmp_path: Path,
) -> None:
    """PubMed drops an unquoted word found nowhere (PhraseNotFound: PILD) and the poller then
    fails the search; real PubMed has every name, and so must a generated corpus."""
    records = generate_records(300, seed=10)
    mild = [r for r in records if r.labels["relevant_mild"]]

    def words(text: str) -> str:
        return " " + " ".join(re.findall(r"[a-z0-9]+", plain_text(text).lower())) + " "

    texts = [words(" ".join([r.title, *(t for _, t in r.abstract)])) for r in mild]
    for phrase in SEARCH_PHRASES:
        share = sum(words(phrase) in text for text in texts) / len(texts)
        assert share >= 0.1, (phrase, share)
    write_corpus(tmp_path / "corpus", 300, seed=10)
    index = RecordIndex()
    index.add_path(tmp_path / "corpus")
    _, result = index.search(parse_query(DEFAULT_SEARCH), "")
    assert not result.phrases_not_found and not result.quoted_phrases_not_found


def spelled(n: int) -> str:
    """1-99 in words, as a sentence-opening count is written ("seventy-five")."""
    ones = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")  # fmt: skip
    tens = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    return ones[n] if n < 20 else tens[n // 10] + (f"-{ones[n % 10]}" if n % 10 else "")


def test_labels_are_read_off_the_generated_text() -> None:
    for r in generate_records(300, seed=6):
        text = plain_text(" ".join([r.title] + [t for _, t in r.abstract])).lower()
        n, months = r.labels["sample_size"], r.labels["followup_months"]
        if n is not None and n > 1:
            forms = {f" {n} ", f"= {n})", f" {n:,} "} | (
                {f"{spelled(n)} patients"} if n < 100 else set()
            )
            assert any(form in text for form in forms), (r.pmid, n)
        if months is not None:
            forms = {f"{months} months", f"{months}-month"}
            if months % 12 == 0:
                y = int(months) // 12
                forms |= {f"{y} years", f"{y}-yr", f"{spelled(y)} years", f"{spelled(y)}-year"}
            assert any(form in text for form in forms), (r.pmid, months)
        if not r.labels["relevant_mild"]:
            assert r.labels["concerns"] == []


def test_the_last_year_before_end_is_not_yet_indexed() -> None:
    for r in generate_records(200, seed=9, end=END):
        fresh = (END - r.entrez.date()).days < 365
        if fresh:
            assert (
                r.indexed is None and r.mesh == () and r.publication_types == ("Journal Article",)
            )
        else:
            assert r.indexed is not None and r.mesh


def test_write_corpus_splits_into_documents_of_per_file_records(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path / "corpus", 120, seed=2, per_file=50)
    assert [p.name for p in paths] == [
        "synthetic-99100001-99100050.xml",
        "synthetic-99100051-99100100.xml",
        "synthetic-99100101-99100120.xml",
    ]
    counts = [len(parse(p.read_text(encoding="utf-8"))) for p in paths]
    assert counts == [50, 50, 20]
    joined = "".join(p.read_text(encoding="utf-8") for p in paths)
    assert all(a in joined for a in generate_articles(120, seed=2))


def test_write_corpus_into_something_that_is_not_a_folder_names_it(tmp_path: Path) -> None:
    blocker = tmp_path / "corpus"
    blocker.write_text("not a folder")
    with pytest.raises(MildwatchError, match=r"corpus.*choose a writable folder"):
        write_corpus(blocker, 5)


def test_a_record_must_say_it_is_synthetic() -> None:
    fields = dict(journal=JOURNALS["spine"], entrez=datetime(2024, 1, 2, 6, 0),
                  pub_date=date(2024, 1, 2), doi="10.99999/synthetic.1")  # fmt: skip
    with pytest.raises(ValueError, match="SYNTHETIC"):
        SyntheticRecord(pmid=99199999, title="A real-looking title.", **fields)
    record = SyntheticRecord(pmid=99199999, title="[SYNTHETIC] Test.", **fields)
    with pytest.raises(ValueError, match="Made Up Descriptor"):
        render_article(replace(record, mesh=("Made Up Descriptor",)))
    with pytest.raises(ValueError, match="Editorial Musing"):
        render_article(replace(record, publication_types=("Editorial Musing",)))


def test_rendering_keeps_inline_markup_corrections_and_collective_authors() -> None:
    from watcher.records import Correction

    record = SyntheticRecord(
        pmid=99199998,
        title="[SYNTHETIC] Ca<sup>2+</sup> and <i>mild</i>® in p &lt; 0.05 cases.",
        journal=JOURNALS["pain"], entrez=datetime(2023, 5, 6, 7, 8), pub_date=date(2023, 6, 1),
        created=datetime(2026, 1, 2, 3, 4), pages="229-242", volume="3", issue="2",
        authors=(Author("Ødegård", "Jean-Luc"), Author("Example Consensus Group", collective=True)),
        publication_types=("Journal Article", "Retracted Publication"),
        corrections=(Correction("RetractionIn", "Synth Pain Med Rep. 2024;1:1", "99199997"),),
        mesh=("Spinal Stenosis/surgery*", "Humans"), doi=None,
    )  # fmt: skip
    xml = document([render_article(record)])
    assert dtd_problems(xml) == []
    (article,) = parse(xml)
    citation = article["MedlineCitation"]
    assert citation["Article"]["ArticleTitle"] == record.title
    assert citation["Article"]["Pagination"]["MedlinePgn"] == "229-42"
    (link,) = citation["CommentsCorrectionsList"]
    assert link.attributes["RefType"] == "RetractionIn" and link["PMID"] == "99199997"
    first, group = citation["Article"]["AuthorList"]
    assert first["Initials"] == "JL" and group["CollectiveName"] == "Example Consensus Group"
    headings = [(str(h["DescriptorName"]), h["DescriptorName"].attributes["MajorTopicYN"])
                for h in citation["MeshHeadingList"]]  # fmt: skip
    assert headings == [("Humans", "N"), ("Spinal Stenosis", "N")]
    stamps = {h.attributes["PubStatus"]: h["Year"] for h in article["PubmedData"]["History"]}
    assert stamps == {"entrez": "2023", "pubmed": "2026", "medline": "2026"}
    root = ET.fromstring(xml.encode())
    assert root.find(".//ELocationID") is None and root.find(".//ArticleDate") is not None


def test_registrations_grants_and_conflicts_render_and_parse_back_in_both_formats() -> None:
    """DataBankList, GrantList and CoiStatement in NCBI's places, read back by both parsers
    (the local server writes MEDLINE from the same XML: SI, GR and COIS)."""
    from watcher.localpubmed.index import parse_document
    from watcher.localpubmed.medline_writer import medline_text
    from watcher.pubmed import parse_pubmed_xml
    from watcher.pubmed.medline import parse_medline
    from watcher.records import DataBankEntry, Grant

    record = SyntheticRecord(
        pmid=99199996, title="[SYNTHETIC] Funded and registered.", journal=JOURNALS["pain"],
        entrez=datetime(2023, 5, 6, 7, 8), pub_date=date(2023, 6, 1), pages="1-9",
        databanks=(("ClinicalTrials.gov", "NCT99000042"),),
        grants=(("EF-7", "EF", "Example Foundation", "Sweden"),),
        coi_statement="A.B. received consulting fees from Example Devices &amp; Co.",
    )  # fmt: skip
    xml = document([render_article(record)])
    assert dtd_problems(xml) == []
    (article,) = parse_pubmed_xml(xml)
    assert article.databanks == (DataBankEntry("ClinicalTrials.gov", "NCT99000042"),)
    assert article.grants == (Grant("Example Foundation", "EF-7", "EF", "Sweden"),)
    assert article.coi_statement == "A.B. received consulting fees from Example Devices & Co."
    (indexed,) = parse_document(xml, "test")
    text = medline_text(indexed)
    (from_medline,) = parse_medline(text)
    assert (from_medline.databanks, from_medline.grants, from_medline.coi_statement) == (
        article.databanks, article.grants, article.coi_statement,
    )  # fmt: skip
