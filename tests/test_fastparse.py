"""The fast reader (watcher/pubmed/fastparse.py) gives exactly the Articles Bio.Entrez gives.

Differential: every document is read both ways, ``parse_pubmed_xml(..., fast=False)`` (Bio.Entrez
only, the reference) and the default, and the results (Articles, or the error message) must be
equal. Each case also says whether the fast reader must read it itself or leave it to Bio.Entrez
(it logs that it did), so a reader that always gave up would fail here, not pass unseen.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from watcher.errors import ParseError
from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed import parse as pubmed_parse
from watcher.pubmed.parse import articles_from_records, parse_pubmed_xml
from watcher.pubmed.prescan import shipped_pubmed_dtds

SAMPLE = Path(__file__).parents[1] / "watcher" / "localpubmed" / "sample"
DATA = Path(__file__).parent / "data"
LEFT = pubmed_parse.LEFT_TO_ENTREZ

# A synthetic record (made up, as every title says) with slots the cases below fill in.
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" \
"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
"""
RECORD = """<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">@PMID@</PMID>
    <DateRevised><Year>2025</Year><Month>02</Month><Day>03</Day></DateRevised>
    <Article PubModel="Print">
      <Journal>
        <JournalIssue CitedMedium="Print"><Volume>7</Volume><Issue>2</Issue>
          <PubDate>@PUBDATE@</PubDate></JournalIssue>
        <Title>Synthetic Journal of Spine Care</Title>
        <ISOAbbreviation>Synth J Spine Care</ISOAbbreviation>
      </Journal>
      <ArticleTitle>@TITLE@</ArticleTitle>
      <Pagination><StartPage>10</StartPage><EndPage>19</EndPage></Pagination>
      @ARTICLE@
      <Language>eng</Language>
      <PublicationTypeList>
        <PublicationType UI="D016428">Journal Article</PublicationType>
      </PublicationTypeList>
    </Article>
    <MedlineJournalInfo><MedlineTA>Synth J Spine Care</MedlineTA></MedlineJournalInfo>
    @CITATION@
  </MedlineCitation>
  <PubmedData>
    <History>
      <PubMedPubDate PubStatus="pubmed"><Year>2025</Year><Month>1</Month><Day>5</Day>\
</PubMedPubDate>
      <PubMedPubDate PubStatus="entrez"><Year>2025</Year><Month>1</Month><Day>6</Day>\
<Hour>9</Hour></PubMedPubDate>
    </History>
    <ArticleIdList><ArticleId IdType="pubmed">@PMID@</ArticleId>@IDS@</ArticleIdList>
  </PubmedData>
</PubmedArticle>"""


def record(
    pmid: str = "99200001",
    title: str = "[SYNTHETIC] A made-up record.",
    article: str = "",
    citation: str = "",
    pub_date: str = "<Year>2025</Year><Month>Jan</Month>",
    ids: str = "",
) -> str:
    slots = {"PMID": pmid, "TITLE": title, "ARTICLE": article, "CITATION": citation}
    slots |= {"PUBDATE": pub_date, "IDS": ids}
    return re.sub("@([A-Z]+)@", lambda m: slots[m.group(1)], RECORD)


def wrap(*records: str, head: str = HEAD, between: str = "") -> str:
    body = "\n".join(records)
    return f"{head}<PubmedArticleSet>\n{body}\n{between}</PubmedArticleSet>\n"


ABSTRACT = """<Abstract>
  <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Back  pain <i>in
  vivo</i> is common.</AbstractText>
  <AbstractText Label="" NlmCategory="UNASSIGNED">Unlabelled &amp; plain.</AbstractText>
  <AbstractText Label="RESULTS">p&lt;0.05 at 12&#160;weeks &#x2013; <sup>a</sup></AbstractText>
  <AbstractText Label="EMPTY"/>
  <CopyrightInformation>Synthetic copyright line.</CopyrightInformation>
</Abstract>"""
AUTHORS = """<AuthorList CompleteYN="N">
  <Author ValidYN="Y"><LastName>Mu\u0308ller</LastName><ForeName>Jo</ForeName>\
<Initials>J</Initials><AffiliationInfo><Affiliation>Somewhere.</Affiliation>\
</AffiliationInfo></Author>
  <Author><LastName>Ødegård</LastName><Initials>KM</Initials></Author>
  <Author ValidYN="N"><LastName>Withdrawn</LastName><Initials>W</Initials></Author>
  <Author><CollectiveName>Synthetic <i>Spine</i> Study Group</CollectiveName></Author>
  <Author><LastName>Only</LastName></Author>
</AuthorList>"""
CITATION_PARTS = """<CommentsCorrectionsList>
  <CommentsCorrections RefType="ErratumIn"><RefSource>Synth J. 2025;1:2</RefSource>\
<PMID Version="1">99200090</PMID></CommentsCorrections>
  <CommentsCorrections RefType="Cites"><RefSource>Cited elsewhere</RefSource>\
</CommentsCorrections>
  <CommentsCorrections RefType="RetractionIn"><RefSource>Synth J. 2025;1:3</RefSource>\
</CommentsCorrections>
</CommentsCorrectionsList>
<MeshHeadingList>
  <MeshHeading><DescriptorName UI="D1" MajorTopicYN="N">Spinal Stenosis</DescriptorName>\
<QualifierName UI="Q1">surgery</QualifierName></MeshHeading>
  <MeshHeading><DescriptorName UI="D2">Humans</DescriptorName></MeshHeading>
</MeshHeadingList>
<KeywordList Owner="NOTNLM"><Keyword>decompression</Keyword><Keyword>MILD</Keyword>\
</KeywordList>
<KeywordList Owner="NLM"><Keyword>ligamentum <i>flavum</i></Keyword></KeywordList>
<CoiStatement>The authors report <b>no</b> conflicts &amp; no funding.</CoiStatement>"""
ARTICLE_PARTS = """<ELocationID EIdType="pii" ValidYN="Y">S0000</ELocationID>
<ELocationID EIdType="doi" ValidYN="N">10.0000/invalid</ELocationID>
<ELocationID EIdType="doi">10.0000/synthetic.1</ELocationID>
<DataBankList CompleteYN="Y"><DataBank><DataBankName>ClinicalTrials.gov</DataBankName>\
<AccessionNumberList><AccessionNumber>NCT00000001</AccessionNumber>\
<AccessionNumber>NCT00000002</AccessionNumber></AccessionNumberList></DataBank></DataBankList>
<GrantList CompleteYN="Y"><Grant><GrantID>R01 XX000001</GrantID><Acronym>XX</Acronym>\
<Agency>Synthetic Institute</Agency><Country>United States</Country></Grant>\
<Grant><Agency>Other Fund</Agency></Grant></GrantList>"""

CASES: dict[str, tuple[str, bool]] = {  # name: (document, read by the fast reader itself)
    "plain": (wrap(record()), True),
    "everything": (
        wrap(
            record(
                title="[SYNTHETIC] <i>Nested <sup>2+</sup></i> &amp; &lt;tags&gt; &quot;q&quot;",
                article=ABSTRACT + AUTHORS + ARTICLE_PARTS,
                citation=CITATION_PARTS,
                ids='<ArticleId IdType="doi">10.0000/synthetic.2</ArticleId>'
                '<ArticleId IdType="pmc">PMC123</ArticleId><ArticleId>99200001</ArticleId>',
            )
        ),
        True,
    ),
    "markup oddities": (
        wrap(
            record(
                title='[SYNTHETIC] <i class="x" id="y">a</i><i/> <span>kept text</span> '
                "<u>open <b>bold</b></u> &#x1D6FC; <sub/>tail",
                article="<VernacularTitle>Titre</VernacularTitle>",
            )
        ),
        True,
    ),
    "no title, vernacular title": (
        wrap(record(title="", article="<VernacularTitle>[SYNTHETIC] <i>T</i></VernacularTitle>")),
        True,
    ),
    "repeated single element: the last one wins": (
        wrap(
            record(
                title="[SYNTHETIC] First title.",
                article="<ArticleTitle>[SYNTHETIC] Second title.</ArticleTitle>"
                "<Pagination><MedlinePgn>e1-e9</MedlinePgn></Pagination>",
            )
        ),
        True,
    ),
    "elements nobody reads, and unknown ones": (
        wrap(
            record(
                article="<FutureElement><ArticleTitle>not this</ArticleTitle></FutureElement>"
                "<DataBankList><DataBank><DataBankName>X</DataBankName><AccessionNumberList>"
                "<AccessionNumber>A1</AccessionNumber><FutureNumber>A2</FutureNumber>"
                "</AccessionNumberList></DataBank><FutureBank/></DataBankList>"
                "<ArticleDate DateType='Electronic'><Year>2024</Year></ArticleDate>",
                citation="<ChemicalList><Chemical><RegistryNumber>0</RegistryNumber>"
                "<NameOfSubstance UI='D0'>Water</NameOfSubstance></Chemical></ChemicalList>",
            )
        ),
        True,
    ),
    "MedlineDate": (wrap(record(pub_date="<MedlineDate>2024 Nov-Dec</MedlineDate>")), True),
    "Season": (wrap(record(pub_date="<Year>2024</Year><Season>Winter</Season>")), True),
    "no PubDate parts": (wrap(record(pub_date="")), True),
    "several records, a book and a DeleteCitation": (
        wrap(
            record("99200001"),
            "<PubmedBookArticle><BookDocument><PMID Version='1'>99200050</PMID>"
            "</BookDocument></PubmedBookArticle>",
            record("99200002", title="[SYNTHETIC] Second."),
            between="<DeleteCitation><PMID Version='1'>99200060</PMID>"
            "<PMID Version='1'>99200061</PMID></DeleteCitation>\n",
        ),
        True,
    ),
    "no DOCTYPE, no declaration": (wrap(record(), head=""), True),
    "SYSTEM DOCTYPE": (
        wrap(
            record(),
            head='<!DOCTYPE PubmedArticleSet SYSTEM "https://dtd.nlm.nih.gov/ncbi/pubmed/out/'
            'pubmed_240101.dtd">\n',
        ),
        True,
    ),
    "a DTD Biopython does not ship": (
        wrap(record(), head=HEAD.replace("250101", "260101").replace("2025", "2026")),
        True,
    ),
    "MathML, declared and not": (
        wrap(
            record(
                title='[SYNTHETIC] <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML" '
                'display="inline"><mml:mi mathvariant="italic">x</mml:mi><mml:mo>+</mml:mo>'
                "</mml:math> and <mml:math><mml:msup><mml:mi>y</mml:mi><mml:mn>2</mml:mn>"
                "</mml:msup></mml:math>"
            )
        ),
        True,
    ),
    # Left to Bio.Entrez: each gives Bio.Entrez's own result (Articles or its error).
    "an old DTD declaring fields differently": (
        wrap(record(citation=CITATION_PARTS), head=HEAD.replace("250101", "150101")),
        False,
    ),
    "a 2018 DTD without MathML": (
        wrap(record(title="[SYNTHETIC] <mml:mi>x</mml:mi>"), head=HEAD.replace("250101", "180101")),
        False,
    ),
    "another namespace": (
        wrap(record(title='[SYNTHETIC] <x:i xmlns:x="https://example.org/">a</x:i>')),
        False,
    ),
    "a known element in the wrong place": (
        wrap(record(article="<KeywordList><Keyword>misplaced</Keyword></KeywordList>")),
        False,
    ),
    "a known element in the wrong list": (
        wrap(
            record(
                article="<AuthorList><Author><LastName>A</LastName></Author><Keyword>k"
                "</Keyword></AuthorList>"
            )
        ),
        False,
    ),
    "a processing instruction": (wrap(record(title="[SYNTHETIC] a<?pi data?>b")), False),
    "an entity XML does not define": (wrap(record(title="[SYNTHETIC] &alpha; waves")), False),
    "a record without PMID": (
        wrap(record(citation="").replace("PMID>", "NoPMID>").replace("<PMID ", "<NoPMID ")),
        False,
    ),
    "a MeshHeading without DescriptorName": (
        wrap(record(citation="<MeshHeadingList><MeshHeading/></MeshHeadingList>")),
        False,
    ),
    "broken XML": (wrap(record()).replace("</ArticleTitle>", "</ArticleTitl>"), False),
}


def read_both(text: str | bytes) -> tuple[object, object, str]:
    """(reference, fast, what the fast path logged): Articles or the ParseError's message."""

    def read(fast: bool) -> object:
        try:
            return parse_pubmed_xml(text, source="doc", fast=fast)
        except ParseError as error:
            return f"ParseError: {error}"

    reference = read(False)
    logger = logging.getLogger("watcher.pubmed")
    handler = _Collect()
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        fast = read(True)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return reference, fast, "\n".join(handler.messages)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.parametrize("name", list(CASES))
def test_made_up_cases(name: str) -> None:
    text, fast_reads_it = CASES[name]
    reference, fast, logged = read_both(text)
    assert fast == reference
    assert (LEFT not in logged) == fast_reads_it, logged


def test_cases_cover_what_they_claim() -> None:
    """The cases are not vacuous: the rich one fills every kind of field."""
    (article,) = parse_pubmed_xml(CASES["everything"][0])
    assert len(article.abstract) == 4 and article.abstract[0].label == "BACKGROUND"
    assert article.authors == (
        "Müller J",
        "Ødegård KM",
        "Synthetic Spine Study Group",
        "Only",
    )
    assert article.doi == "10.0000/synthetic.2" and article.pmcid == "PMC123"
    assert article.retracted and len(article.corrections) == 2
    assert article.keywords == ("decompression", "MILD", "ligamentum flavum")
    assert article.coi_statement and len(article.grants) == 2 and len(article.databanks) == 2
    assert article.entrez_date == "2025-01-06" and article.revised_date == "2025-02-03"
    (twice,) = parse_pubmed_xml(CASES["repeated single element: the last one wins"][0])
    assert twice.title == "[SYNTHETIC] Second title." and twice.pages == "e1-e9"
    (math,) = parse_pubmed_xml(CASES["MathML, declared and not"][0])
    assert "x+" in math.title and "y2" in math.title


@pytest.mark.parametrize("path", sorted(SAMPLE.glob("*.xml")), ids=lambda p: p.name)
def test_bundled_sample(path: Path) -> None:
    reference, fast, logged = read_both(path.read_bytes())
    assert isinstance(reference, list) and reference
    assert fast == reference and LEFT not in logged


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_synthetic_documents(seed: int) -> None:
    reference, fast, logged = read_both(document(generate_articles(150, seed=seed)))
    assert isinstance(reference, list) and len(reference) == 150
    assert fast == reference and LEFT not in logged


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("*/*.xml")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_fixtures(path: Path) -> None:
    reference, fast, _ = read_both(path.read_bytes())
    assert fast == reference


def test_records_of_a_file_batch() -> None:
    """``articles_from_records`` (the batches of ``mildwatch import``) agrees too."""
    raws = [a.raw for a in parse_pubmed_xml(document(generate_articles(40, seed=5)))]
    dtd = shipped_pubmed_dtds()[-1]
    assert articles_from_records(raws, dtd) == articles_from_records(raws, dtd, fast=False)
    assert articles_from_records(raws, dtd) is not None
