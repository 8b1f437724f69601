"""MEDLINE text → Article (watcher.pubmed.medline, through Bio.Medline), and the date wording both
PubMed formats share."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.pubmed_checks import FIRST_AUTHORS, FIRST_CORRECTIONS, FIRST_PUBLISHED
from watcher.errors import ParseError
from watcher.pubmed import parse_medline, parse_pubmed_xml, read_records
from watcher.pubmed.medline import parse_date_text, split_abstract
from watcher.records import AbstractSection, Article, Correction

DATA = Path(__file__).parent / "data" / "pubmed"


@pytest.fixture(scope="module")
def records() -> dict[str, Article]:
    return {a.pmid: a for a in read_records(DATA / "two_records.txt")}


def test_two_records_in_file_order() -> None:
    parsed = read_records(DATA / "two_records.txt")
    assert [a.pmid for a in parsed] == ["99100001", "99100031"]
    assert {a.source_format for a in parsed} == {"medline"}


def test_fields(records: dict[str, Article]) -> None:
    article = records["99100001"]
    assert article.title == (
        "[SYNTHETIC] Effect of minimally invasive lumbar decompression on Ca2+ signalling "
        "&amp; pain: a randomized trial."
    )
    assert article.authors == FIRST_AUTHORS
    assert article.journal == "Journal of Synthetic Spine Research"
    assert article.journal_abbrev == "J Synth Spine Res"
    assert (article.pub_date, article.pub_year, article.pub_date_text) == FIRST_PUBLISHED
    assert article.entrez_date == "2025-02-16"  # EDAT 2025/02/16 05:33
    assert article.create_date == "2025-02-15"  # CRDT
    assert article.revised_date == "2025-06-14"  # LR 20250614
    assert article.doi == "10.1000/jssr.2025.0001"  # AID "... [doi]"
    assert article.pmcid == "PMC9910001"
    assert article.publication_types == ("Randomized Controlled Trial", "Journal Article")
    assert article.mesh_terms == ("Postoperative Complications", "Spinal Stenosis")
    assert article.keywords == ("MILD", "ligamentum flavum")
    assert article.languages == ("eng",)


def test_structured_abstract_is_split(records: dict[str, Article]) -> None:
    abstract = records["99100001"].abstract
    assert [s.label for s in abstract] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert abstract[3].text == "Benefit lasted 24 months."  # continuation lines joined


def test_plain_text_is_escaped(records: dict[str, Article]) -> None:
    methods, results = records["99100001"].abstract[1:3]
    assert methods.text == (
        "Free-text answers such as &lt;script&gt;alert(1)&lt;/script&gt; were kept verbatim."
    )
    assert results.text == "Pain fell by 12% (p&lt;0.01); H2O content was x=3 units."
    assert records["99100031"].title == (
        '[SYNTHETIC] Decompression outcomes in one family: "Blood Relationship" &amp; risk '
        "(n&lt;5)."
    )
    assert records["99100031"].plain_title.endswith("& risk (n<5).")


def test_unstructured_abstract_with_a_colon_stays_whole(records: dict[str, Article]) -> None:
    (section,) = records["99100031"].abstract
    assert section.label == ""
    assert section.text.startswith("We describe three siblings")
    assert section.text.endswith("HIV: not relevant here. RESULTS: none were reoperated.")


def test_second_record(records: dict[str, Article]) -> None:
    article = records["99100031"]
    # CN between two AU lines keeps its place (Bio.Medline groups fields by tag).
    assert article.authors == ("Smith A", "Synthetic Spine Consortium", "Jones B")
    assert (article.pub_date, article.pub_year, article.pub_date_text) == (
        "2018-12",
        2018,
        "2018 Dec-2019 Jan",
    )
    assert article.doi == "10.2000/oel.77"  # from LID: no AID doi
    assert article.pmcid is None
    assert article.mesh_terms == ()
    assert article.languages == ("eng", "ger")
    assert (article.entrez_date, article.create_date) == ("2019-01-05", "2019-01-04")


def test_corrections_and_retraction(records: dict[str, Article]) -> None:
    first = records["99100001"]
    # The PMID of the first (CommentIn) sits on a continuation line.
    assert first.corrections == FIRST_CORRECTIONS
    assert first.errata == (first.corrections[1],)
    assert first.retracted  # RIN
    second = records["99100031"]
    assert second.retracted  # PT Retracted Publication
    assert second.corrections == (
        Correction("ErratumFor", "Open Ex Lett. 2018;6:12", "99100032"),
        Correction("ExpressionOfConcernIn", "Open Ex Lett. 2019;7:30", None),
    )


def test_raw_re_parses_to_the_same_article(records: dict[str, Article]) -> None:
    text = (DATA / "two_records.txt").read_text(encoding="utf-8")
    for article in records.values():
        assert article.raw.startswith(f"PMID- {article.pmid}\n")
        assert article.raw in text
        assert parse_medline(article.raw) == [article]


def test_same_record_in_both_formats_agrees(records: dict[str, Article]) -> None:
    (xml,) = [
        a for a in parse_pubmed_xml((DATA / "articles.xml").read_bytes()) if a.pmid == "99100001"
    ]
    medline = records["99100001"]
    # MEDLINE has no inline markup; everything a reader sees is otherwise the same.
    assert xml.plain_title == medline.plain_title
    assert xml.plain_abstract == medline.plain_abstract
    ignore = {"title", "abstract", "source_format", "raw"}
    for field in dataclasses.fields(Article):
        if field.name not in ignore:
            assert getattr(xml, field.name) == getattr(medline, field.name), field.name


def test_blank_lines_crlf_and_bom() -> None:
    text = "\ufeff\r\nPMID- 1\r\nTI  - [SYNTHETIC] One.\r\n\r\n\r\nPMID- 2\r\nTI  - Two.\r\n"
    assert [(a.pmid, a.title) for a in parse_medline(text)] == [
        ("1", "[SYNTHETIC] One."),
        ("2", "Two."),
    ]
    assert parse_medline("\n\n") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PMID- 1\nThis is not MEDLINE\n", r"^x\.txt: line 2 is not a MEDLINE field"),
        ("PMID- 1\n\nTI  - No PMID here\n", r"^x\.txt: record 2 \(line 3\) has no PMID"),
        ("      stray continuation\n", r"^x\.txt: line 1 continues a field"),
    ],
)
def test_bad_medline(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_medline(text, source="x.txt")


def test_read_records_reports_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("PMID- 1\nTI  - Müller\n".encode("latin-1"))
    with pytest.raises(ParseError, match=r"latin1\.txt: line 2 is not UTF-8"):
        read_records(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BACKGROUND: a. METHODS: b.", [("BACKGROUND", "a."), ("METHODS", "b.")]),
        (
            "MATERIALS AND METHODS: a (n=3). TRIAL REGISTRATION: NCT000.",
            [("MATERIALS AND METHODS", "a (n=3)."), ("TRIAL REGISTRATION", "NCT000.")],
        ),
        ("AIMS/HYPOTHESIS: x. RESULTS: y.", [("AIMS/HYPOTHESIS", "x."), ("RESULTS", "y.")]),
        ("HIV: a review of COVID-19 care.", [("", "HIV: a review of COVID-19 care.")]),
        ("Plain text with COVID-19: a colon.", [("", "Plain text with COVID-19: a colon.")]),
        ("", []),
    ],
)
def test_split_abstract(text: str, expected: list[tuple[str, str]]) -> None:
    assert split_abstract(text) == tuple(AbstractSection(*pair) for pair in expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019 Jan 15", ("2019-01-15", 2019)),
        ("2019 Jan-Feb", ("2019-01", 2019)),
        ("2018 Dec-2019 Jan", ("2018-12", 2018)),
        ("2020 Spring", ("2020", 2020)),
        ("1998 Dec 15-31", ("1998-12-15", 1998)),
        ("2000-2001", ("2000", 2000)),
        ("2019 Sept", ("2019-09", 2019)),
        ("2019 March 3", ("2019-03-03", 2019)),
        ("2019 Feb 30", ("2019-02", 2019)),
        ("1999 4th Quarter", ("1999", 1999)),
        ("Fall 2017", ("2017", 2017)),
        ("undated", (None, None)),
    ],
)
def test_parse_date_text(text: str, expected: tuple[str | None, int | None]) -> None:
    assert parse_date_text(text) == expected
