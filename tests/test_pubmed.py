"""PubMed XML → Article (watcher.pubmed), on NCBI-shaped documents, offline.

Every test runs with connections beyond loopback blocked (tests/conftest.py), so a DTD that
Bio.Entrez tried to download would fail the test rather than quietly pass on a connected
machine.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from Bio import Entrez

from tests.pubmed_checks import (
    FIRST_AUTHORS,
    FIRST_CORRECTIONS,
    FIRST_PUBLISHED,
    assert_safe_fragment,
)
from watcher.errors import ParseError
from watcher.pubmed import parse_pubmed_xml, read_records, wrap_articles
from watcher.records import Article, DataBankEntry, Grant, TrialRegistration

DATA = Path(__file__).parent / "data" / "pubmed"

# One NCBI-shaped record with a slot for the part a test varies.
RECORD = """<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" \
"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet>
<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
        <PMID Version="1">99100041</PMID>
        <Article PubModel="Print">
            <Journal>
                <JournalIssue CitedMedium="Print">
                    <PubDate>PUBDATE</PubDate>
                </JournalIssue>
                <Title>Journal of Synthetic Spine Research</Title>
            </Journal>
            <ArticleTitle>TITLE</ArticleTitle>
            ABSTRACT
            <Language>eng</Language>
            <PublicationTypeList>
                <PublicationType UI="D016428">Journal Article</PublicationType>
            </PublicationTypeList>
        </Article>
        <MedlineJournalInfo>
            <MedlineTA>J Synth Spine Res</MedlineTA>
        </MedlineJournalInfo>
    </MedlineCitation>
    <PubmedData>
        <PublicationStatus>ppublish</PublicationStatus>
        <ArticleIdList>
            <ArticleId IdType="pubmed">99100041</ArticleId>
        </ArticleIdList>
    </PubmedData>
</PubmedArticle>
</PubmedArticleSet>
"""


def one_record(
    pub_date: str = "<Year>2025</Year>",
    title: str = "[SYNTHETIC] A record.",
    abstract: str = "",
) -> str:
    return RECORD.replace("PUBDATE", pub_date).replace("TITLE", title).replace("ABSTRACT", abstract)


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    parsed = parse_pubmed_xml((DATA / "articles.xml").read_bytes(), source="articles.xml")
    return {article.pmid: article for article in parsed}


# --- the main fixture ---------------------------------------------------------------------------


def test_document_order_and_skipped_entries(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="watcher.pubmed"):
        parsed = parse_pubmed_xml((DATA / "articles.xml").read_bytes(), source="articles.xml")
    assert [a.pmid for a in parsed] == ["99100001", "99100002", "99100003", "99100004"]
    assert all(a.source_format == "pubmed-xml" for a in parsed)
    # The PubmedBookArticle (99100005) and the DeleteCitation list are skipped, and said so.
    assert "1 book record" in caplog.text and "2 PMID" in caplog.text


def test_structured_abstract_keeps_labels_and_order(articles: dict[str, Article]) -> None:
    abstract = articles["99100001"].abstract
    assert [s.label for s in abstract] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert (
        abstract[0].text == "Decompression may change <i>in vivo</i> ligamentum flavum thickness."
    )
    assert articles["99100001"].plain_abstract.startswith(
        "BACKGROUND: Decompression may change in vivo ligamentum"
    )
    # An empty Label attribute is an unlabelled paragraph.
    assert [s.label for s in articles["99100004"].abstract] == ["OBJECTIVE", ""]


def test_unstructured_and_missing_abstract(articles: dict[str, Article]) -> None:
    (section,) = articles["99100002"].abstract
    assert section.label == ""
    assert section.text == "A single paragraph abstract about interlaminar decompression."
    assert articles["99100003"].abstract == ()
    assert articles["99100003"].plain_abstract == ""


def test_inline_markup_in_title(articles: dict[str, Article]) -> None:
    article = articles["99100001"]
    assert article.title == (
        "[SYNTHETIC] Effect of <i>minimally invasive</i> lumbar decompression on "
        "Ca<sup>2+</sup> signalling &amp; pain: a randomized trial."
    )
    assert article.plain_title == (
        "[SYNTHETIC] Effect of minimally invasive lumbar decompression on Ca2+ signalling "
        "& pain: a randomized trial."
    )
    messy = articles["99100002"].title
    assert messy == (
        '[SYNTHETIC] "<i>Blood Relationship"</i> and <b>decompression</b> outcomes in '
        "<u>one</u> family."
    )
    for fragment in (article.title, messy):
        assert_safe_fragment(fragment)


def test_escaped_text_stays_text(articles: dict[str, Article]) -> None:
    methods, results = articles["99100001"].abstract[1:3]
    assert methods.text == (
        "Free-text answers such as &lt;script&gt;alert(1)&lt;/script&gt; were kept verbatim."
    )
    assert "<script" not in methods.text
    # p&lt;0.01 stays text; MathML markup is dropped and its text kept.
    assert results.text == "Pain fell by 12% (p&lt;0.01); H<sub>2</sub>O content was x=3 units."
    for section in articles["99100001"].abstract:
        assert_safe_fragment(section.text)


def test_authors_non_ascii_nfc_and_collective_name(articles: dict[str, Article]) -> None:
    # The fixture spells Ødegård with a combining ring (a + U+030A); the record has NFC.
    assert articles["99100001"].authors == FIRST_AUTHORS
    assert "\u030a" not in articles["99100001"].authors[1]
    assert articles["99100003"].authors == ("Editors of J Synth Spine Res",)
    assert articles["99100004"].authors == ()


def test_journal_and_abbreviation_fallback(articles: dict[str, Article]) -> None:
    assert articles["99100001"].journal == "Journal of Synthetic Spine Research"
    assert articles["99100001"].journal_abbrev == "J Synth Spine Res"
    # No ISOAbbreviation: MedlineTA instead.
    assert articles["99100002"].journal_abbrev == "Open Ex Lett"


def test_dates(articles: dict[str, Article]) -> None:
    article = articles["99100001"]
    assert (article.pub_date, article.pub_year, article.pub_date_text) == FIRST_PUBLISHED
    assert article.entrez_date == "2025-02-16"
    assert article.create_date == "2025-02-15"
    assert article.revised_date == "2025-06-14"
    bare = articles["99100002"]
    assert (bare.entrez_date, bare.create_date, bare.revised_date) == (None, None, "2019-03-01")


@pytest.mark.parametrize(
    ("pub_date", "iso", "year", "text"),
    [
        ("<Year>2019</Year><Month>Jan</Month><Day>15</Day>", "2019-01-15", 2019, "2019 Jan 15"),
        ("<Year>2019</Year><Month>06</Month><Day>05</Day>", "2019-06-05", 2019, "2019 Jun 5"),
        ("<Year>2019</Year><Month>1</Month>", "2019-01", 2019, "2019 Jan"),
        ("<Year>2019</Year><Month>February</Month><Day>30</Day>", "2019-02", 2019, "2019 Feb 30"),
        ("<Year>2021</Year>", "2021", 2021, "2021"),
        ("<Year>2020</Year><Season>Spring</Season>", "2020", 2020, "2020 Spring"),
        ("<MedlineDate>2019 Jan-Feb</MedlineDate>", "2019-01", 2019, "2019 Jan-Feb"),
        ("<MedlineDate>2018 Dec-2019 Jan</MedlineDate>", "2018-12", 2018, "2018 Dec-2019 Jan"),
        ("<MedlineDate>2020 Spring</MedlineDate>", "2020", 2020, "2020 Spring"),
        ("<MedlineDate>1998 Dec 15-31</MedlineDate>", "1998-12-15", 1998, "1998 Dec 15-31"),
        ("<MedlineDate>2000-2001</MedlineDate>", "2000", 2000, "2000-2001"),
        ("<MedlineDate>1977-1978 Winter</MedlineDate>", "1977", 1977, "1977-1978 Winter"),
        ("<MedlineDate>Summer 2001</MedlineDate>", "2001", 2001, "Summer 2001"),
    ],
)
def test_publication_date_forms(pub_date: str, iso: str, year: int, text: str) -> None:
    (article,) = parse_pubmed_xml(one_record(pub_date=pub_date))
    assert (article.pub_date, article.pub_year, article.pub_date_text) == (iso, year, text)


def test_doi_from_article_ids_or_elocation(articles: dict[str, Article]) -> None:
    # ArticleIdList first; the DOI of a cited reference in ReferenceList is not the article's.
    assert articles["99100001"].doi == "10.1000/jssr.2025.0001"
    # No doi in ArticleIdList: ELocationID EIdType="doi".
    assert articles["99100002"].doi == "10.2000/oel.42"
    assert articles["99100003"].doi is None


def test_pmcid(articles: dict[str, Article]) -> None:
    assert articles["99100001"].pmcid == "PMC9910001"
    assert articles["99100004"].pmcid == "PMC9910004"  # bare number in the file
    assert articles["99100002"].pmcid is None


def test_lists(articles: dict[str, Article]) -> None:
    article = articles["99100001"]
    assert article.publication_types == ("Randomized Controlled Trial", "Journal Article")
    assert article.mesh_terms == ("Postoperative Complications", "Spinal Stenosis")
    assert article.keywords == ("MILD", "ligamentum flavum")
    assert articles["99100002"].languages == ("eng", "ger")


def test_corrections_and_retraction(articles: dict[str, Article]) -> None:
    first = articles["99100001"]
    assert first.corrections == FIRST_CORRECTIONS  # "Cites" left out
    assert first.errata == (first.corrections[1],)
    assert first.retracted  # RetractionIn, no "Retracted Publication" type
    notice = articles["99100003"]
    assert notice.corrections[0].ref_type == "RetractionOf"
    assert not notice.retracted  # a "Retraction of Publication" notice is not retracted
    flagged = articles["99100004"]
    assert flagged.retracted  # publication type UI D016441, no RetractionIn
    assert [c.ref_type for c in flagged.corrections] == ["ExpressionOfConcernIn", "UpdateIn"]
    assert flagged.corrections[0].pmid is None
    assert not articles["99100002"].retracted


def test_citation_registries_conflicts_and_grants(articles: dict[str, Article]) -> None:
    """Volume, issue, pages, DataBankList, CoiStatement and GrantList, as NCBI shapes them."""
    article = articles["99100001"]
    assert (article.volume, article.issue, article.pages) == ("12", "3", "101-110")
    assert article.databanks == (
        DataBankEntry("ClinicalTrials.gov", "NCT99000001"),
        DataBankEntry("Dryad", "10.5061/dryad.000000"),
    )
    # Only the trial registration counts as one; the data repository does not.
    assert article.trial_registrations == (
        TrialRegistration("ClinicalTrials.gov", "NCT99000001", "databank"),
    )
    assert article.coi_statement.startswith("Dr. Müller is a paid consultant for Example")
    assert article.grants == (Grant("Example Agency", "R01-000000", "", "United States"),)
    plain = articles["99100002"]
    assert (plain.databanks, plain.grants, plain.coi_statement) == ((), (), "")


# --- raw records and wrap_articles --------------------------------------------------------------


def test_raw_is_the_records_own_xml(articles: dict[str, Article]) -> None:
    text = (DATA / "articles.xml").read_text(encoding="utf-8")
    for article in articles.values():
        assert article.raw.startswith("<PubmedArticle>")
        assert article.raw.endswith("</PubmedArticle>")
        assert article.raw in text
        assert article.raw.count("<PubmedArticle>") == 1
        assert f'<PMID Version="1">{article.pmid}</PMID>' in article.raw


def test_wrap_articles_round_trip(articles: dict[str, Article]) -> None:
    for article in articles.values():
        (again,) = parse_pubmed_xml(wrap_articles([article.raw]), source="stored record")
        assert again == article
        assert again.raw == article.raw
    together = parse_pubmed_xml(wrap_articles(a.raw for a in articles.values()))
    assert together == list(articles.values())


def test_wrap_articles_uses_the_newest_shipped_dtd() -> None:
    document = wrap_articles([])
    assert document.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE PubmedArticleSet'
    )
    match = re.search(
        rb'"https://dtd\.nlm\.nih\.gov/ncbi/pubmed/out/(pubmed_\d{6}\.dtd)"', document
    )
    assert match
    shipped = sorted(p.name for p in (Path(Entrez.__file__).parent / "DTDs").glob("pubmed_*.dtd"))
    assert match.group(1).decode() == shipped[-1]
    assert parse_pubmed_xml(document) == []


# --- DTDs and documents Bio.Entrez would otherwise fetch from NCBI -------------------------------


def test_unshipped_dtd_parses_offline_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="watcher.pubmed"):
        (article,) = parse_pubmed_xml((DATA / "dtd_260101.xml").read_bytes(), source="new.xml")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "pubmed_260101.dtd" in warnings[0].getMessage()
    # The element the 2025 DTD does not know is skipped; everything else is read.
    assert article.pmid == "99100011"
    assert article.authors == ("Nguyễn VA",)
    assert article.pub_date == "2026-01"
    assert article.entrez_date == "2026-01-08"
    assert article.doi == "10.1000/jssr.2026.0011"
    assert "FutureElementFrom2026" in article.raw


def test_older_shipped_dtd_is_kept_and_matches_a_re_parse() -> None:
    document = one_record(title="[SYNTHETIC] Old <i>DTD</i>.").replace(
        "pubmed_250101.dtd", "pubmed_190101.dtd"
    )
    (article,) = parse_pubmed_xml(document)
    assert article.title == "[SYNTHETIC] Old <i>DTD</i>."
    assert parse_pubmed_xml(wrap_articles([article.raw])) == [article]


def test_document_without_doctype_or_declaration() -> None:
    (article,) = read_records(DATA / "no_doctype.xml")
    assert article.pmid == "99100021"
    assert article.title == "[SYNTHETIC] A hand-saved record without a DOCTYPE."
    assert article.pub_date == "2024-11-30"


def test_efetch_error_page_raises_ncbi_message() -> None:
    with pytest.raises(ParseError) as caught:
        parse_pubmed_xml((DATA / "efetch_error.xml").read_bytes(), source="efetch reply")
    message = str(caught.value)
    assert message.startswith("efetch reply: NCBI returned an error")
    assert "Cannot retrieve history data. query_key: 1" in message


def test_declared_encoding_is_honoured() -> None:
    document = one_record(title="[SYNTHETIC] Ångström-level résumé").replace(
        '<?xml version="1.0" ?>', '<?xml version="1.0" encoding="ISO-8859-1"?>'
    )
    (article,) = parse_pubmed_xml(document.encode("latin-1"))
    assert article.title == "[SYNTHETIC] Ångström-level résumé"
    (again,) = parse_pubmed_xml(wrap_articles([article.raw]))
    assert again == article


# --- bad input -------------------------------------------------------------------------------


def test_truncated_xml_names_source_and_line() -> None:
    # articles.xml cut off after 3000 bytes, inside the first record's author list.
    with pytest.raises(ParseError, match=r"truncated\.xml: broken or truncated XML at line 56\b"):
        read_records(DATA / "truncated.xml")


def test_html_page_is_rejected() -> None:
    html = (DATA / "error_page.html").read_bytes()
    with pytest.raises(ParseError, match=r"^efetch reply: an HTML page, not PubMed XML$"):
        parse_pubmed_xml(html, source="efetch reply")
    with pytest.raises(ParseError, match=r"error_page\.html: not a PubMed XML or MEDLINE file"):
        read_records(DATA / "error_page.html")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("", "the document is empty"),
        ("PMID- 1\n", r"not XML \(syntax error at line 1, column 1\)"),
        ("<PubmedArticleSet><PubmedArticle>", "broken or truncated XML at line 1"),
        (
            '<?xml version="1.0"?>\n<eSearchResult><Count>0</Count></eSearchResult>',
            r"not PubMed XML \(root element <eSearchResult>",
        ),
        (
            '<?xml version="1.0"?>\n<PubmedArticleSet xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://www.ncbi.nlm.nih.gov/'
            'x.xsd"/>',
            "unexpected XML Schema reference",
        ),
    ],
)
def test_bad_documents(document: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_pubmed_xml(document, source="doc")
    assert str(caught.value).startswith("doc")
    assert re.search(message, str(caught.value))
    assert "\n" not in str(caught.value)


def test_bio_entrez_failure_names_record_and_line() -> None:
    # Well-formed XML that Bio.Entrez refuses (an XML namespace it does not know).
    document = one_record(
        abstract='<Abstract><AbstractText xmlns:foo="https://example.org/">x</AbstractText>'
        "</Abstract>"
    )
    with pytest.raises(ParseError) as caught:
        parse_pubmed_xml(document, source="doc.xml")
    message = str(caught.value)
    # The record starts on line 4; Bio.Entrez gives no line of its own for this error.
    assert message.startswith("doc.xml, line 4 (PMID 99100041): Bio.Entrez cannot read")
    assert "foo" in message
    assert "\n" not in message


def test_bio_entrez_expat_error_points_at_the_line() -> None:
    # Well-formed without a DTD, but MathML's mml: prefix is only bound by the 2019+ DTDs.
    document = one_record(title="[SYNTHETIC] <mml:math><mml:mi>x</mml:mi></mml:math>").replace(
        "pubmed_250101.dtd", "pubmed_180101.dtd"
    )
    title_line = 1 + next(
        n for n, line in enumerate(document.splitlines()) if "<ArticleTitle>" in line
    )
    with pytest.raises(ParseError, match=rf"^doc\.xml, line {title_line} \(PMID 99100041\)"):
        parse_pubmed_xml(document, source="doc.xml")


def test_record_without_article_element() -> None:
    document = re.sub(r"<Article PubModel.*</Article>", "", one_record(), flags=re.DOTALL)
    with pytest.raises(ParseError, match=r"^doc, line 4 \(PMID 99100041\): not a complete Pub"):
        parse_pubmed_xml(document, source="doc")


def test_delete_citation_only_gives_no_records() -> None:
    document = re.sub(
        "<PubmedArticle>.*</PubmedArticle>",
        '<DeleteCitation><PMID Version="1">99100099</PMID></DeleteCitation>',
        one_record(),
        flags=re.DOTALL,
    )
    assert "<PubmedArticle>" not in document
    assert parse_pubmed_xml(document) == []


def test_read_records_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("Reading list for the MILD meeting\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"notes\.txt: not a PubMed XML or MEDLINE file \(it st"):
        read_records(other)
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match=r"not a PubMed XML or MEDLINE file \(the file is empty"):
        read_records(empty)
    with pytest.raises(ParseError, match=r"missing\.xml: cannot read the file"):
        read_records(tmp_path / "missing.xml")
