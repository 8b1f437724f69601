"""The local E-utilities server, driven by Biopython's real Entrez client over HTTP."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from Bio import Entrez
from Bio.Entrez.Parser import CorruptedXMLError

from tests.factories import MILD_QUERY, POLL_WINDOW
from watcher.errors import EntrezError, ParseError
from watcher.localpubmed import Fault, LocalPubMed, pubmed_doctype, serve_forever

CORPUS = Path(__file__).parent / "data" / "localpubmed"
CORPUS_FILE = CORPUS / "mild_corpus.xml"
NCBI = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
HEAD = (
    '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)


def article(pmid: int | str, title: str, entrez: datetime | None = None) -> str:
    """A minimal but valid <PubmedArticle>."""
    history = ""
    if entrez:
        history = (
            f'<History><PubMedPubDate PubStatus="entrez"><Year>{entrez.year}</Year>'
            f"<Month>{entrez.month}</Month><Day>{entrez.day}</Day></PubMedPubDate></History>"
        )
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}'
        '</PMID><Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate>'
        "<Year>2024</Year></PubDate></JournalIssue><Title>Synthetic Letters</Title></Journal>"
        f"<ArticleTitle>{title}</ArticleTitle><Language>eng</Language></Article>"
        f"</MedlineCitation><PubmedData>{history}<PublicationStatus>ppublish</PublicationStatus>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>'
        "</PubmedData></PubmedArticle>"
    )


def document(*articles: str) -> str:
    return HEAD + "<PubmedArticleSet>\n" + "\n".join(articles) + "\n</PubmedArticleSet>\n"


@pytest.fixture
def pubmed() -> Iterator[LocalPubMed]:
    with LocalPubMed(CORPUS) as server:
        yield server


@pytest.fixture
def point(monkeypatch: pytest.MonkeyPatch) -> Callable[[LocalPubMed], Any]:
    """Point Bio.Entrez at a server (docs/tech-notes.md §1.1) and skip its client-side pacing."""
    real = Entrez._build_request

    def use(server: LocalPubMed) -> Any:
        def build(cgi: str, *args: Any, **kwargs: Any) -> Any:
            assert cgi.startswith(NCBI), cgi
            return real(server.base_url + cgi[len(NCBI) :], *args, **kwargs)

        monkeypatch.setattr(Entrez, "_build_request", build)
        return Entrez

    # Biopython's own defaults, whatever other modules' tests left behind in this process
    monkeypatch.setattr(Entrez, "urlopen", urllib.request.urlopen)
    monkeypatch.setattr(Entrez, "max_tries", 3)
    monkeypatch.setattr(Entrez, "tool", "biopython")
    monkeypatch.setattr(Entrez, "api_key", None)
    monkeypatch.setattr(Entrez, "email", "librarian@example.org")
    monkeypatch.setattr(Entrez, "time", SimpleNamespace(time=time.time, sleep=lambda s: None))
    return use


@pytest.fixture
def entrez(pubmed: LocalPubMed, point: Callable[[LocalPubMed], Any]) -> Any:
    return point(pubmed)


def esearch(entrez: Any, term: str, **params: Any) -> dict:
    with entrez.esearch(db="pubmed", term=term, **params) as handle:
        return entrez.read(handle)


def efetch(entrez: Any, **params: Any) -> list[str]:
    """PMIDs of the fetched records, in the order served."""
    with entrez.efetch(db="pubmed", retmode="xml", **params) as handle:
        result = entrez.read(handle)
    return [str(a["MedlineCitation"]["PMID"]) for a in result["PubmedArticle"]]


def get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


# --- esearch ---------------------------------------------------------------------------------


def test_esearch_reply_parses_like_ncbi(entrez: Any) -> None:
    result = esearch(entrez, "stenosis[tiab]")
    assert result["Count"] == "5"
    assert result["RetMax"] == "5" and result["RetStart"] == "0"
    # most recent Entrez date first; the record without one comes last
    assert result["IdList"] == ["39100004", "39100002", "39100001", "39100003", "39100006"]
    assert result["QueryTranslation"] == '"stenosis"[Title/Abstract]'
    assert result["TranslationSet"] == []
    assert "WebEnv" not in result and "ErrorList" not in result and "WarningList" not in result


def test_esearch_pages_and_sorts(entrez: Any) -> None:
    page = esearch(entrez, "stenosis", retstart=1, retmax=2)
    assert page["Count"] == "5" and page["RetMax"] == "2" and page["RetStart"] == "1"
    assert page["IdList"] == ["39100002", "39100001"]
    by_pub_date = esearch(entrez, "stenosis", sort="pub_date")["IdList"]
    assert by_pub_date == ["39100004", "39100001", "39100006", "39100003", "39100002"]
    assert esearch(entrez, "stenosis", retmax=0)["IdList"] == []


def test_default_mild_search_with_poll_window(entrez: Any) -> None:
    result = esearch(entrez, f"({MILD_QUERY}) AND {POLL_WINDOW}", usehistory="y")
    # 39100004 entered PubMed on 2024/04/01; 39100006 has no Entrez or create date at all
    assert result["IdList"] == ["39100002", "39100001", "39100003"]
    assert result["QueryKey"] == "1" and result["WebEnv"].startswith("MCID_")
    assert "ErrorList" not in result
    assert result["QueryTranslation"].endswith(
        " AND (2024/01/01:2024/03/31[Date - Entry] OR 2024/01/01:2024/03/31[Date - Create])"
    )
    assert "ErrorList" not in esearch(entrez, MILD_QUERY)


def test_esearch_date_windows_by_datetype(entrez: Any) -> None:
    window = {"mindate": "2024/01/01", "maxdate": "2024/03/31"}
    by = {
        kind: esearch(entrez, "stenosis[tiab]", datetype=kind, **window)["IdList"]
        for kind in ("edat", "crdt", "pdat")
    }
    assert by["edat"] == ["39100002", "39100001", "39100003"]
    assert by["crdt"] == ["39100002", "39100001"]  # 39100003 was created 2023/12/20
    assert by["pdat"] == ["39100001", "39100003", "39100006"]  # "2024 Jan-Feb" counts
    assert esearch(entrez, "stenosis", datetype="mdat", mindate="2024", maxdate="2024")[
        "IdList"
    ] == ["39100001"]
    translated = esearch(entrez, "stenosis[tiab]", datetype="edat", **window)
    assert translated["QueryTranslation"].endswith(" AND 2024/01/01:2024/03/31[edat]")
    # NCBI needs both ends; one alone is ignored
    assert esearch(entrez, "stenosis[tiab]", datetype="edat", mindate="2024/03/01")["Count"] == "5"


def test_esearch_reldate_and_empty_term_with_window(entrez: Any, pubmed: LocalPubMed) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    pubmed.add_xml(document(article(39100050, "Fresh lumbar stenosis report.", yesterday)))
    assert esearch(entrez, "stenosis", datetype="edat", reldate=7)["IdList"] == ["39100050"]
    everything = esearch(entrez, "", datetype="edat", mindate="2024/01", maxdate="2024/02")
    assert everything["IdList"] == ["39100001", "39100005", "39100003"]


def test_query_terms_in_the_term_parameter(entrez: Any) -> None:
    def ids(term: str) -> set[str]:
        return set(esearch(entrez, term)["IdList"])

    assert ids("2024/01/01:2024/03/31[crdt]") == {"39100001", "39100002", "39100005"}
    assert ids('"2024/01/01"[crdt] : "2024/03/31"[crdt] AND stenosis') == {"39100001", "39100002"}
    assert ids("smith j[au]") == {"39100001"}
    assert ids("muller[au]") == {"39100001"}
    assert ids("ger[la]") == {"39100004"}
    assert ids("german[Language] OR review[pt]") == {"39100004", "39100005"}
    assert ids('"randomized controlled trial"[pt]') == {"39100001"}
    assert ids('"spinal stenosis"[mh]') == {"39100001"}
    assert ids("mild[ti] NOT cognitive") == {"39100001", "39100003"}
    assert ids("image-guided[tiab]") == {"39100001", "39100002"}
    assert ids("debulk*[tiab]") == {"39100001", "39100004"}
    assert ids("2024 Jan[dp]") == set()  # words and a date: dp binds "Jan", found nowhere


def test_esearch_error_and_warning_lists(entrez: Any) -> None:
    broadened = esearch(entrez, "mild[tiabx] AND zzqxmild")
    assert broadened["ErrorList"] == {"PhraseNotFound": ["zzqxmild"], "FieldNotFound": ["tiabx"]}
    assert broadened["Count"] == "3"
    quoted = esearch(entrez, '"lumbar zzqx"[tiab]')
    assert quoted["Count"] == "0"
    assert quoted["WarningList"]["QuotedPhraseNotFound"] == ['"lumbar zzqx"']
    assert quoted["WarningList"]["OutputMessage"] == ["No items found."]
    assert "ErrorList" not in quoted


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("(mild OR stenosis", "never closed"),
        ('"mild procedure', "unclosed quote"),
        ("", "Empty term"),
    ],
)
def test_esearch_query_errors_are_ncbi_errors(entrez: Any, term: str, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        esearch(entrez, term)


def test_esearch_rejects_other_databases(entrez: Any) -> None:
    with entrez.esearch(db="protein", term="mild") as handle, pytest.raises(RuntimeError):
        entrez.read(handle)


# --- efetch ----------------------------------------------------------------------------------


def test_efetch_by_id_serves_the_original_xml_in_request_order(pubmed: LocalPubMed) -> None:
    status, headers, body = get(
        pubmed.base_url + "efetch.fcgi?db=pubmed&retmode=xml&id=39100003,99999999,39100001"
    )
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=UTF-8"
    text = body.decode()
    assert text.startswith(HEAD + "<PubmedArticleSet>\n")
    source = CORPUS_FILE.read_text(encoding="utf-8")
    first = source[source.index("<PubmedArticle>") : source.index("</PubmedArticle>") + 16]
    assert first in text  # byte for byte, inline markup and entities untouched
    assert "(mild®)" in first and "<i>randomized</i>" in first and "p&lt;0.01" in first
    assert text.index('<PMID Version="1">39100003') < text.index('<PMID Version="1">39100001')


def test_efetch_parses_with_entrez(entrez: Any) -> None:
    assert efetch(entrez, id="39100006,39100001,39100002") == ["39100006", "39100001", "39100002"]
    assert efetch(entrez, id=["99999999"]) == []


def test_efetch_post_with_many_ids(entrez: Any, pubmed: LocalPubMed) -> None:
    ids = [str(40000000 + n) for n in range(250)] + ["39100002", "39100001"]
    assert efetch(entrez, id=ids) == ["39100002", "39100001"]
    [request] = pubmed.requests("efetch")
    assert request.method == "POST"
    assert request.params["id"].count(",") == 251


def test_history_pages_past_the_esearch_cap(point: Callable[[LocalPubMed], Any]) -> None:
    day = datetime(2024, 1, 1, tzinfo=UTC)
    records = [
        article(41000000 + n, "Lumbar stenosis cohort.", day + timedelta(n)) for n in range(25)
    ]
    with LocalPubMed(esearch_cap=10) as server:
        server.add_xml(document(*records))
        entrez = point(server)
        result = esearch(entrez, "stenosis", usehistory="y", retmax=100)
        assert result["Count"] == "25"
        newest_first = [str(41000000 + n) for n in reversed(range(25))]
        assert result["IdList"] == newest_first[:10]  # clamped to the cap
        assert esearch(entrez, "stenosis", retstart=5, retmax=100)["IdList"] == newest_first[5:10]
        with pytest.raises(RuntimeError, match="cannot be larger than 9"):
            esearch(entrez, "stenosis", retstart=10)
        webenv, key = result["WebEnv"], result["QueryKey"]
        pages = [
            efetch(entrez, webenv=webenv, query_key=key, retstart=start, retmax=10)
            for start in (0, 10, 20)
        ]
        assert [len(p) for p in pages] == [10, 10, 5]
        assert [pmid for page in pages for pmid in page] == newest_first
        with pytest.raises(urllib.error.HTTPError) as caught:
            efetch(entrez, webenv=webenv, query_key=key, retstart=25, retmax=10)
        assert caught.value.code == 400
        assert b"OUT OF RANGE" in caught.value.read()


def test_history_appends_to_a_known_webenv(entrez: Any) -> None:
    first = esearch(entrez, "mild", usehistory="y")
    second = esearch(entrez, "stenosis", usehistory="y", WebEnv=first["WebEnv"])
    assert second["WebEnv"] == first["WebEnv"] and second["QueryKey"] == "2"
    assert efetch(entrez, webenv=first["WebEnv"], query_key="2", retmax=2) == second["IdList"][:2]


def test_unknown_webenv_is_an_ncbi_error(entrez: Any) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        efetch(entrez, webenv="MCID_000000000000000000000000", query_key="1")
    assert caught.value.code == 400
    assert b"<ERROR>Cannot retrieve history data" in caught.value.read()


def test_efetch_without_ids_is_an_error(pubmed: LocalPubMed) -> None:
    status, _, body = get(pubmed.base_url + "efetch.fcgi?db=pubmed&retmode=xml")
    assert status == 400 and b"Empty id list" in body


def test_efetch_medline_text(entrez: Any) -> None:
    with entrez.efetch(db="pubmed", id="39100001", rettype="medline", retmode="text") as handle:
        text = handle.read()
    assert text.startswith("PMID- 39100001\n")
    assert (
        "\nTI  - Minimally invasive lumbar decompression (mild®) for lumbar spinal stenosis: a\n"
        "      randomized controlled trial.\n" in text
    )
    assert "\nFAU - Smith, John Andrew\nAU  - Smith JA\n" in text
    assert "\nMH  - *Spinal Stenosis/surgery\n" in text
    assert "\nEDAT- 2024/02/10 06:41\n" in text


def test_pubmed_dtd_is_configurable(point: Callable[[LocalPubMed], Any]) -> None:
    assert "1st January 2024" in pubmed_doctype("pubmed_240101.dtd")
    assert "22nd March 2026" in pubmed_doctype("pubmed_260322.dtd")
    with pytest.raises(ValueError):
        pubmed_doctype("pubmed_2025.dtd")
    with LocalPubMed(CORPUS, pubmed_dtd="pubmed_240101.dtd") as server:
        assert efetch(point(server), id="39100001") == ["39100001"]
        _, _, body = get(server.base_url + "efetch.fcgi?db=pubmed&id=39100001")
        assert b"/pubmed/out/pubmed_240101.dtd" in body


def test_einfo(entrez: Any) -> None:
    with entrez.einfo(db="pubmed") as handle:
        info = entrez.read(handle)
    assert info["DbInfo"][0]["Count"] == "6"  # a list under the 2019 DTD NCBI serves
    with entrez.einfo() as handle:
        assert entrez.read(handle)["DbList"] == ["pubmed"]


def test_unknown_paths_are_404(pubmed: LocalPubMed) -> None:
    status, _, _ = get(pubmed.base_url + "esummary.fcgi?db=pubmed&id=1")
    assert status == 404
    status, _, _ = get(pubmed.base_url.replace("/entrez/eutils/", "/esearch.fcgi?term=mild"))
    assert status == 404
    assert [r.status for r in pubmed.requests()] == [404, 404]


# --- corpus changes --------------------------------------------------------------------------


def test_records_are_replaced_and_removed_at_runtime(entrez: Any, pubmed: LocalPubMed) -> None:
    assert pubmed.add_xml(document(article(39100001, "Retracted: a duplicate report."))) == [
        "39100001"
    ]
    assert esearch(entrez, "retracted")["IdList"] == ["39100001"]
    assert "39100001" not in esearch(entrez, "minimally invasive")["IdList"]
    with entrez.efetch(db="pubmed", id="39100001", retmode="xml") as handle:
        record = entrez.read(handle)["PubmedArticle"][0]
    assert record["MedlineCitation"]["Article"]["ArticleTitle"] == "Retracted: a duplicate report."
    pubmed.remove("39100001")
    assert efetch(entrez, id="39100001") == []
    assert esearch(entrez, "retracted")["Count"] == "0"


def test_add_path_takes_a_file_or_folder(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(document(article(1, "One")), encoding="utf-8")
    (tmp_path / "b.xml").write_text(document(article(2, "Two"), article(3, "Three")))
    (tmp_path / "notes.txt").write_text("not a corpus file")
    server = LocalPubMed([tmp_path / "a.xml"])
    assert server.add_path(tmp_path) == ["1", "2", "3"]
    assert len(server.index) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<PubmedArticleSet><PubmedArticle>", "not well-formed"),
        ("", "not well-formed"),
        ("<eSearchResult><Count>0</Count></eSearchResult>", "not <PubmedArticleSet>"),
        (document(article("abc", "No PMID")), "no numeric MedlineCitation/PMID"),
    ],
)
def test_bad_corpus_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text(content)
    with pytest.raises(ParseError, match=message) as caught:
        LocalPubMed(tmp_path)
    assert str(bad) in str(caught.value)


def test_missing_corpus_path(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such corpus"):
        LocalPubMed(tmp_path / "nowhere")


def test_latin1_corpus_file_is_decoded(tmp_path: Path) -> None:
    text = document(article(5, "Wirbelsäule")).replace('<?xml version="1.0" ?>', "")
    (tmp_path / "latin.xml").write_bytes(
        ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + text).encode("latin-1")
    )
    server = LocalPubMed(tmp_path)
    assert "Wirbelsäule" in server.index.records(["5"])[0].xml


def test_concurrent_requests_while_records_change(pubmed: LocalPubMed) -> None:
    url = pubmed.base_url + "esearch.fcgi?" + urlencode({"db": "pubmed", "term": "stenosis"})
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = [pool.submit(get, url) for _ in range(40)]
        for n in range(20):
            pubmed.add_xml(document(article(42000000 + n, "Lumbar stenosis note.")))
        statuses = [reply.result()[0] for reply in replies]
    assert statuses == [200] * 40
    assert len(pubmed.requests("esearch")) == 40
    assert b"<Count>25</Count>" in get(url)[2]


# --- faults and the request log --------------------------------------------------------------


def test_429_with_retry_after(entrez: Any, pubmed: LocalPubMed, monkeypatch) -> None:
    monkeypatch.setattr(Entrez, "max_tries", 1)
    pubmed.inject(Fault(status=429, retry_after=7))
    with pytest.raises(urllib.error.HTTPError) as caught:
        esearch(entrez, "mild")
    assert caught.value.code == 429 and caught.value.headers["Retry-After"] == "7"
    assert json.loads(caught.value.read())["error"] == "API rate limit exceeded"
    assert esearch(entrez, "mild")["Count"] == "3"  # consumed


def test_500_fault_times_against_entrez_retries(entrez: Any, pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="esearch", status=500, times=2))
    assert esearch(entrez, "mild")["Count"] == "3"  # Entrez retried twice (max_tries=3)
    assert [r.status for r in pubmed.requests("esearch")] == [500, 500, 200]
    pubmed.inject(Fault(status=503, times=3, retry_after=1))
    with pytest.raises(urllib.error.HTTPError) as caught:
        esearch(entrez, "mild")
    assert caught.value.code == 503


def test_faults_are_consumed_in_order_per_endpoint(pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="efetch", status=500), Fault(status=503))
    search_url = pubmed.base_url + "esearch.fcgi?db=pubmed&term=mild"
    fetch_url = pubmed.base_url + "efetch.fcgi?db=pubmed&id=39100001"
    assert get(search_url)[0] == 503  # the first fault that matches esearch
    assert get(search_url)[0] == 200
    assert get(fetch_url)[0] == 500
    assert get(fetch_url)[0] == 200
    with pytest.raises(ValueError):
        pubmed.inject(Fault(endpoint="esummary"))


def test_delay_fault_makes_a_client_time_out(pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="esearch", delay=30))
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        get(pubmed.base_url + "esearch.fcgi?db=pubmed&term=mild", timeout=0.2)
    assert get(pubmed.base_url + "esearch.fcgi?db=pubmed&term=mild")[0] == 200
    # stopping the server abandons the delayed reply instead of waiting 30 s
    pubmed.stop()


def test_small_delay_still_answers(entrez: Any, pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(delay=0.05))
    assert esearch(entrez, "mild")["Count"] == "3"


def test_truncated_reply_is_well_formed_http_with_broken_xml(
    entrez: Any, pubmed: LocalPubMed
) -> None:
    url = pubmed.base_url + "efetch.fcgi?db=pubmed&retmode=xml&id=39100001"
    full = get(url)[2]
    pubmed.inject(Fault(endpoint="efetch", truncate=True, times=2))
    status, headers, cut = get(url)
    assert status == 200 and int(headers["Content-Length"]) == len(cut) == len(full) // 2
    with pytest.raises(CorruptedXMLError):
        efetch(entrez, id="39100001")
    assert efetch(entrez, id="39100001") == ["39100001"]


def test_request_log_records_what_was_sent(entrez: Any, pubmed: LocalPubMed) -> None:
    before = time.monotonic()
    esearch(entrez, "mild", usehistory="y")
    efetch(entrez, id="39100001")
    search, fetch = pubmed.requests()
    assert (search.endpoint, search.method, search.status) == ("esearch", "GET", 200)
    assert search.params["term"] == "mild" and search.params["usehistory"] == "y"
    assert search.params["tool"] == "biopython"
    assert search.params["email"] == "librarian@example.org"
    assert before <= search.at <= fetch.at
    assert fetch.params["id"] == "39100001"
    assert pubmed.requests("efetch") == [fetch]
    log = pubmed.requests()
    log.clear()  # a copy
    assert len(pubmed.requests()) == 2
    pubmed.clear_log()
    assert pubmed.requests() == []


def test_server_is_quiet(
    entrez: Any, pubmed: LocalPubMed, capfd: pytest.CaptureFixture[str]
) -> None:
    esearch(entrez, "mild")
    get(pubmed.base_url + "nothing.fcgi")
    assert capfd.readouterr().err == ""


# --- lifecycle -------------------------------------------------------------------------------


def test_base_url_needs_a_running_server() -> None:
    server = LocalPubMed()
    with pytest.raises(EntrezError, match="not running"):
        server.base_url  # noqa: B018 - the property is under test
    with server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/entrez/eutils/")
    server.stop()  # stopping twice is harmless


def test_port_in_use_is_an_entrez_error() -> None:
    with LocalPubMed() as first:
        port = int(first.base_url.split(":")[2].split("/")[0])
        with pytest.raises(EntrezError, match=f"{port}.*choose another port"):
            LocalPubMed(port=port).start()


def test_serve_forever_returns_on_keyboard_interrupt(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    def on_ready(base_url: str) -> None:
        query = urlencode({"db": "pubmed", "term": "mild"})
        seen.append(get(f"{base_url}esearch.fcgi?{query}")[0])
        raise KeyboardInterrupt

    with caplog.at_level(logging.INFO, logger="watcher.localpubmed"):
        serve_forever([CORPUS], port=0, on_ready=on_ready)
    assert seen == [200]
    assert "6 records" in caplog.text
