"""The bundled sample (watcher/localpubmed/sample): synthetic, labelled, and shaped exactly like
NCBI's XML.

``dtd_problems`` checks a document against the content model and attribute lists of the
PubMed DTD that Biopython ships; ``Bio.Entrez.read`` does not (it only checks tag names).
"""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from Bio import Entrez

from tests.factories import MILD_QUERY as DEFAULT_SEARCH
from watcher import vocabulary
from watcher.localpubmed import SAMPLE_DIR
from watcher.records import plain_text

SAMPLE = SAMPLE_DIR
DTD = Path(Entrez.__file__).parent / "DTDs" / "pubmed_250101.dtd"
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
NCBI = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
SEARCH_PHRASES = (
    "minimally invasive lumbar decompression", "mild procedure", "interlaminar decompression",
    "percutaneous image-guided lumbar decompression", "image-guided lumbar decompression",
    "percutaneous lumbar decompression", "pild", "ligamentum flavum debulking",
    "remodeling of the ligamentum flavum",
)  # fmt: skip
# The MeSH unique IDs of the publication types, as NLM assigns them (not read from our code).
PUBLICATION_TYPE_UIS = {
    "Journal Article": "D016428", "Randomized Controlled Trial": "D016449",
    "Clinical Trial": "D016430", "Multicenter Study": "D016448", "Review": "D016454",
    "Systematic Review": "D000078182", "Meta-Analysis": "D017418", "Case Reports": "D002363",
    "Comparative Study": "D003160", "Observational Study": "D064888",
    "Practice Guideline": "D017065", "Retracted Publication": "D016441",
    "Retraction of Publication": "D016440", "Published Erratum": "D016425",
    "English Abstract": "D004740", "Letter": "D016422",
}  # fmt: skip
MESH_UIS = {
    "Spinal Stenosis": "D013130", "Lumbar Vertebrae": "D008159", "Humans": "D006801",
    "Decompression, Surgical": "D003669", "Ligamentum Flavum": "D017845", "Aged": "D000368",
}  # fmt: skip
DESIGNS = set(vocabulary.DESIGNS)
CONCERNS = set(vocabulary.QUESTIONS)  # the labels call the questions "concerns"


# --- a small validator for PubMed's DTD --------------------------------------------------------

_NAME = re.compile(r"[A-Za-z][\w.:-]*")


@cache
def _pubmed_dtd() -> tuple[dict[str, Any], dict[str, dict[str, tuple[str, set[str] | None]]]]:
    """Element content models (a compiled regex, or the set allowed in mixed content) and
    attribute lists (name -> (default, allowed values or None)) of pubmed_250101.dtd."""
    text = re.sub(r"<!--.*?-->", "", DTD.read_text(encoding="utf-8"), flags=re.S)
    text = text.replace("%text;", "#PCDATA | b | i | sup | sub | u")
    elements: dict[str, Any] = {}
    for name, model in re.findall(r"<!ELEMENT\s+(\S+)\s+(.*?)>", text, flags=re.S):
        if "#PCDATA" in model:
            elements[name] = set(_NAME.findall(model.replace("#PCDATA", "")))
            continue
        pattern = ""
        for token in re.findall(r"[A-Za-z][\w.:-]*|[(),|?*+]", model):
            pattern += (
                f"(?:{re.escape(token)},)" if _NAME.fullmatch(token) else token * (token != ",")
            )
        elements[name] = re.compile(pattern)
    attributes: dict[str, dict[str, tuple[str, set[str] | None]]] = {}
    attr = re.compile(
        r'([\w:-]+)\s+(\([^)]*\)|CDATA)\s+(#REQUIRED|#IMPLIED|#FIXED\s+"[^"]*"|"[^"]*")'
    )
    for name, body in re.findall(r"<!ATTLIST\s+(\S+)\s+(.*?)>", text, flags=re.S):
        for key, kind, default in attr.findall(body):
            values = None if kind == "CDATA" else {v.strip() for v in kind[1:-1].split("|")}
            attributes.setdefault(name, {})[key] = (default, values)
    return elements, attributes


def dtd_problems(document: str) -> list[str]:
    """Every way ``document`` breaks pubmed_250101.dtd's element and attribute rules."""
    elements, attributes = _pubmed_dtd()
    problems = []
    for el in ET.fromstring(document.encode()).iter():
        model = elements.get(el.tag)
        kids = [child.tag for child in el]
        if model is None:
            problems.append(f"<{el.tag}> is not declared")
        elif isinstance(model, set):
            problems += [f"<{k}> not allowed in <{el.tag}>" for k in kids if k not in model]
        elif not model.fullmatch("".join(f"{k}," for k in kids)):
            problems.append(f"<{el.tag}> children {kids} break its content model")
        declared = attributes.get(el.tag, {})
        for key, value in el.attrib.items():
            if key not in declared:
                problems.append(f"<{el.tag} {key}> is not declared")
            elif declared[key][1] is not None and value not in declared[key][1]:
                problems.append(f"<{el.tag} {key}={value!r}> is not an allowed value")
        missing = [k for k, (d, _) in declared.items() if d == "#REQUIRED" and k not in el.attrib]
        problems += [f"<{el.tag}> lacks required {k}" for k in missing]
    return problems


def matches_default_search(title: str, abstract: str, mesh: list[str]) -> bool:
    """The default MILD search by hand: tokens split on non-alphanumerics, any case; "mild"
    in the title (the trademark, "mild®") or one of the phrases in the title or abstract."""
    tokens = re.findall(r"[a-z0-9]+", plain_text(f"{title} {abstract}").lower())
    text = f" {' '.join(tokens)} "
    named = any(f" {' '.join(re.findall(r'[a-z0-9]+', p))} " in text for p in SEARCH_PHRASES)
    named = named or "mild" in re.findall(r"[a-z0-9]+", plain_text(title).lower())
    return named and (" stenosis " in text or " claudication " in text or "Spinal Stenosis" in mesh)


# --- fixtures ----------------------------------------------------------------------------------


def sample_files() -> list[Path]:
    return sorted(SAMPLE.glob("*.xml"))


@pytest.fixture(scope="module")
def trees() -> dict[str, ET.Element]:
    """Each file's <PubmedArticle>, by file stem (ElementTree never fetches the DTD)."""
    return {f.stem: ET.parse(f).getroot().find("PubmedArticle") for f in sample_files()}


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, Any]]:
    lines = (SAMPLE / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    assert len(rows) == len({row["pmid"] for row in rows}), "a PMID is labelled twice"
    return {row["pmid"]: row for row in rows}


def history(article: ET.Element, status: str) -> date:
    el = article.find(f"PubmedData/History/PubMedPubDate[@PubStatus='{status}']")
    assert el is not None, f"no {status} date"
    return date(int(el.findtext("Year")), int(el.findtext("Month")), int(el.findtext("Day")))


def mesh(article: ET.Element) -> list[str]:
    return [d.text or "" for d in article.iterfind(".//MeshHeading/DescriptorName")]


def title_and_abstract(article: ET.Element) -> tuple[str, str]:
    def inner(el: ET.Element) -> str:  # keep inline markup, as Entrez.read(escape=True) does
        return (el.text or "") + "".join(ET.tostring(c, encoding="unicode") for c in el)

    title = inner(article.find(".//ArticleTitle"))
    return title, " ".join(inner(t) for t in article.iterfind(".//Abstract/AbstractText"))


def publication_types(article: ET.Element) -> list[str]:
    return [p.text or "" for p in article.iterfind(".//PublicationTypeList/PublicationType")]


# --- every file ----------------------------------------------------------------------------------


def test_about_forty_files_named_by_their_pmid_in_the_synthetic_range() -> None:
    files = sample_files()
    assert 38 <= len(files) <= 48
    for f in files:
        assert re.fullmatch(r"\d{8}", f.stem), f.name
        assert 99000001 <= int(f.stem) <= 99000099, f.name
    assert (SAMPLE / "README.md").is_file() and (SAMPLE / "labels.jsonl").is_file()
    assert "synthetic" in (SAMPLE / "README.md").read_text(encoding="utf-8").lower()


def test_every_file_parses_offline_as_one_synthetic_record() -> None:
    for f in sample_files():
        head = f.read_text(encoding="utf-8").splitlines()[:2]
        assert head == ['<?xml version="1.0" ?>', DOCTYPE], f.name
        with f.open("rb") as handle:
            result = Entrez.read(handle, escape=True)
        assert len(result["PubmedArticle"]) == 1 and not result["PubmedBookArticle"], f.name
        article = result["PubmedArticle"][0]
        citation = article["MedlineCitation"]
        assert str(citation["PMID"]) == f.stem
        assert citation["Article"]["ArticleTitle"].startswith("[SYNTHETIC] "), f.name
        ids = {i.attributes["IdType"]: str(i) for i in article["PubmedData"]["ArticleIdList"]}
        assert ids["pubmed"] == f.stem
        assert ids["doi"].startswith("10.99999/synthetic."), f.name
        assert ids.get("pmc", "PMC99").startswith("PMC99"), f.name


def test_every_file_follows_the_pubmed_dtd() -> None:
    for f in sample_files():
        assert dtd_problems(f.read_text(encoding="utf-8")) == [], f.name


def test_the_validator_can_fail() -> None:
    good = (SAMPLE / "99000001.xml").read_text(encoding="utf-8")
    assert dtd_problems(good) == []
    late_language = good.replace("<Language>eng</Language>", "").replace(
        "</PublicationTypeList>", "</PublicationTypeList><Language>eng</Language>"
    )
    assert dtd_problems(late_language) == [
        "<Article> children ['Journal', 'ArticleTitle', 'Pagination', 'ELocationID', "
        "'Abstract', 'AuthorList', 'PublicationTypeList', 'Language', 'ArticleDate'] break its "
        "content model"
    ]
    assert dtd_problems(good.replace('PubStatus="entrez"', 'PubStatus="created"')) == [
        "<PubMedPubDate PubStatus='created'> is not an allowed value"
    ]
    assert dtd_problems(good.replace(' Version="1"', "")) == ["<PMID> lacks required Version"]


def test_publication_types_and_mesh_carry_nlm_unique_ids(trees: dict[str, ET.Element]) -> None:
    for pmid, article in trees.items():
        for pt in article.iterfind(".//PublicationType"):
            assert PUBLICATION_TYPE_UIS[pt.text or ""] == pt.get("UI"), pmid
        for descriptor in article.iterfind(".//DescriptorName"):
            ui = MESH_UIS.get(descriptor.text or "")
            assert re.fullmatch(r"D\d{6,9}", descriptor.get("UI", "")), pmid
            assert ui in (None, descriptor.get("UI")), (pmid, descriptor.text)


# --- labels ------------------------------------------------------------------------------------


def test_labels_cover_exactly_the_bundled_records(labels: dict[str, dict[str, Any]]) -> None:
    assert set(labels) == {f.stem for f in sample_files()}
    for pmid, row in labels.items():
        lab = row["labels"]
        assert set(lab) == {"relevant_mild", "design", "followup_months", "sample_size",
                            "concerns"}, pmid  # fmt: skip
        assert isinstance(lab["relevant_mild"], bool), pmid
        assert lab["design"] in DESIGNS, pmid
        assert lab["followup_months"] is None or lab["followup_months"] > 0, pmid
        assert lab["sample_size"] is None or (
            isinstance(lab["sample_size"], int) and lab["sample_size"] > 0
        ), pmid
        assert set(lab["concerns"]) <= CONCERNS, pmid
        assert lab["relevant_mild"] or lab["concerns"] == [], pmid
        assert isinstance(row["ambiguous"], bool), pmid


def test_labelled_numbers_are_written_in_the_text(
    trees: dict[str, ET.Element], labels: dict[str, dict[str, Any]]
) -> None:
    """A sample size or follow-up label must be read off the record, not invented."""
    words = {12: "twelve", 17: "seventeen", 24: "twenty-four", 45: "forty-five",
             52: "fifty-two", 58: "fifty-eight", 62: "sixty-two", 64: "sixty-four",
             75: "seventy-five", 88: "eighty-eight", 140: "one hundred forty",
             310: "three hundred ten"}  # fmt: skip
    for pmid, article in trees.items():
        lab = labels[pmid]["labels"]
        text = plain_text(" ".join(title_and_abstract(article))).lower()
        n = lab["sample_size"]
        if n is not None and n > 1:
            forms = {f"{n:,}", str(n), words.get(n, "@"), f"{n // 1000},{n % 1000:03d}"}
            assert any(form in text for form in forms), (pmid, n)
        months = lab["followup_months"]
        if months is not None:
            years = {12: "1", 24: "2", 36: "3", 60: "5"}.get(months, "@")
            spelled = {"1": "one", "2": "two", "5": "five"}.get(years, "@")
            forms = {f"{months} month", f"{months}-month", f"{years} year", f"{years}-year",
                     f"{years}-yr", f"{spelled} year", f"{spelled}-year",
                     f"{round(months * 30)} days"}  # fmt: skip
            assert any(form in text for form in forms), (pmid, months)


def test_mix_of_mild_records_and_near_misses(labels: dict[str, dict[str, Any]]) -> None:
    mild = [r["labels"] for r in labels.values() if r["labels"]["relevant_mild"]]
    assert 24 <= len(mild) <= 30
    assert 10 <= len(labels) - len(mild) <= 18
    designs = {lab["design"] for lab in mild}
    assert designs >= DESIGNS - {"other"}
    # two trials, one reported four times (protocol, 1, 2 and 5 years): reports, not trials
    assert sum(lab["design"] == "rct" for lab in mild) == 5
    assert {12, 24, 60} <= {lab["followup_months"] for lab in mild}
    assert set().union(*(lab["concerns"] for lab in mild)) == CONCERNS


# --- what the records must contain ----------------------------------------------------------------


def test_entrez_dates_span_2012_to_2026_and_pmids_follow_creation(
    trees: dict[str, ET.Element],
) -> None:
    entrez = {pmid: history(a, "entrez") for pmid, a in trees.items()}
    assert min(entrez.values()).year == 2012 and max(entrez.values()).year == 2026
    assert len({d.year for d in entrez.values()}) >= 12
    created = [history(trees[p], "pubmed") for p in sorted(trees)]
    assert created == sorted(created), "PMIDs are assigned in order of creation"


def test_three_records_were_added_to_pubmed_years_after_publication(
    trees: dict[str, ET.Element],
) -> None:
    late = {
        pmid for pmid, a in trees.items()
        if (history(a, "pubmed") - history(a, "entrez")).days > 365
    }  # fmt: skip
    assert len(late) == 3
    for pmid in late:
        article = trees[pmid]
        assert history(article, "pubmed").year == 2026
        assert history(article, "entrez").year == int(article.findtext(".//PubDate/Year"))


def test_newest_records_are_not_yet_indexed_and_older_ones_are(
    trees: dict[str, ET.Element],
) -> None:
    by_entrez = sorted(trees.values(), key=lambda a: history(a, "entrez"))
    newest, oldest = by_entrez[-3:], by_entrez[:20]
    for article in newest:
        assert article.find("MedlineCitation").get("Status") != "MEDLINE"
        assert mesh(article) == [] and publication_types(article) == ["Journal Article"]
    for article in oldest:
        if article.find("MedlineCitation").get("Status") == "MEDLINE":
            assert mesh(article) and article.find(".//DateCompleted") is not None
    unindexed = [a for a in trees.values() if not mesh(a)]
    assert len(unindexed) >= 5


def test_the_required_special_cases_are_present(trees: dict[str, ET.Element]) -> None:
    def with_pt(name: str) -> list[ET.Element]:
        return [a for a in trees.values() if name in publication_types(a)]

    def links(article: ET.Element, ref_type: str) -> list[str]:
        path = f".//CommentsCorrections[@RefType='{ref_type}']/PMID"
        return [el.text or "" for el in article.iterfind(path)]

    (retracted,) = with_pt("Retracted Publication")
    (notice,) = with_pt("Retraction of Publication")
    retracted_pmid = retracted.findtext(".//PMID")
    assert links(retracted, "RetractionIn") == [notice.findtext(".//PMID")]
    assert links(notice, "RetractionOf") == [retracted_pmid]
    (corrected,) = [a for a in trees.values() if links(a, "ErratumIn")]
    assert trees[links(corrected, "ErratumIn")[0]].find(".//PublicationType").text == (
        "Published Erratum"
    )
    assert [a.findtext(".//PubDate/MedlineDate") for a in trees.values()
            if a.find(".//PubDate/MedlineDate") is not None] == ["2019 Jan-Feb"]  # fmt: skip
    assert any(a.find(".//Abstract") is None for a in trees.values())
    (german,) = [a for a in trees.values() if a.findtext(".//Language") == "ger"]
    assert german.findtext(".//ArticleTitle").startswith("[SYNTHETIC] [")
    assert german.findtext(".//VernacularTitle")
    assert "English Abstract" in publication_types(german)
    markup = {c.tag for a in trees.values() for el in a.iterfind(".//ArticleTitle") for c in el}
    markup |= {c.tag for a in trees.values() for el in a.iterfind(".//AbstractText") for c in el}
    assert {"i", "sup"} <= markup
    names = [el.text or "" for a in trees.values() for el in a.iterfind(".//LastName")]
    assert any(not name.isascii() for name in names)
    assert any(a.find(".//CollectiveName") is not None for a in trees.values())


def test_one_trial_and_one_cohort_are_reported_several_times(
    trees: dict[str, ET.Element],
) -> None:
    """The multi-report studies the demo shows: a trial tied together by its registration in
    some records and its name in others, and a cohort tied only by its design, size and authors."""

    def text(pmid: str) -> str:
        return plain_text(" ".join(title_and_abstract(trees[pmid])))

    def bank(pmid: str) -> list[str]:
        return [el.text or "" for el in trees[pmid].iterfind(".//DataBank/AccessionNumberList/*")]

    def authors(pmid: str) -> set[str]:
        return {el.text or "" for el in trees[pmid].iterfind(".//Author/LastName")}

    trial = ("99000044", "99000006", "99000011", "99000045")
    assert [("PORTAL-LSS" in text(p), "NCT99000101" in text(p)) for p in trial] == [
        (True, True), (True, False), (True, False), (False, True)
    ]  # fmt: skip
    assert bank("99000044") == ["NCT99000101"] and bank("99000045") == []
    assert "rationale and design" in text("99000044")
    assert "fifty-eight" in text("99000001").lower() and "fifty-eight" in text("99000046").lower()
    assert len(authors("99000001") & authors("99000046")) == 3


def test_every_mild_record_matches_the_default_search_and_some_near_misses_do(
    trees: dict[str, ET.Element], labels: dict[str, dict[str, Any]]
) -> None:
    hits = {p for p, a in trees.items() if matches_default_search(*title_and_abstract(a), mesh(a))}
    mild = {p for p, row in labels.items() if row["labels"]["relevant_mild"]}
    assert mild <= hits
    caught_studies = {p for p in hits - mild if labels[p]["labels"]["design"] != "other"}
    assert len(caught_studies) >= 5, "the classifier needs near-misses the search lets through"
    assert hits != set(trees), "some near-misses must fall outside the search"


# --- through the local E-utilities server -------------------------------------------------------


@pytest.fixture
def entrez(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Bio.Entrez pointed at a local server over the bundled sample (docs/tech-notes.md §1.1)."""
    from watcher.localpubmed import LocalPubMed

    with LocalPubMed([SAMPLE]) as server:
        real = Entrez._build_request

        def build(cgi: str, *args: Any, **kwargs: Any) -> Any:
            return real(server.base_url + cgi.removeprefix(NCBI), *args, **kwargs)

        monkeypatch.setattr(Entrez, "_build_request", build)
        monkeypatch.setattr(Entrez, "email", "librarian@example.org")
        monkeypatch.setattr(Entrez, "time", SimpleNamespace(time=time.time, sleep=lambda s: 0))
        yield Entrez


def search(entrez: Any, term: str) -> set[str]:
    with entrez.esearch(db="pubmed", term=term, retmax=500) as handle:
        result = entrez.read(handle)
    assert "ErrorList" not in result, result.get("ErrorList")
    return set(result["IdList"])


def test_default_search_on_the_local_server_finds_every_mild_record(
    entrez: Any, labels: dict[str, dict[str, Any]]
) -> None:
    found = search(entrez, DEFAULT_SEARCH)
    mild = {pmid for pmid, row in labels.items() if row["labels"]["relevant_mild"]}
    assert mild <= found
    assert len(found - mild) >= 5
    assert found < set(labels)


def test_an_entrez_date_window_misses_the_late_additions(entrez: Any) -> None:
    by_entrez = search(entrez, "2026/01/01:2026/12/31[edat]")
    by_creation = search(entrez, "2026/01/01:2026/12/31[crdt]")
    assert by_entrez and by_entrez < by_creation
    late = by_creation - by_entrez
    assert len(late) == 3
