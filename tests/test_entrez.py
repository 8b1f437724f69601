"""Biopython's real Entrez client, over HTTP, against the project's local E-utilities."""

import inspect
from collections.abc import Iterator
from datetime import date

import pytest
from Bio import Entrez

from tests.factories import record, xml
from watcher.config import NCBI_EUTILS, EntrezSettings
from watcher.errors import EntrezError, QueryError
from watcher.localpubmed import Fault, LocalPubMed
from watcher.pubmed.client import EntrezClient, install_biopython_seams

QUERY = '"lumbar decompression"[tiab]'


@pytest.fixture
def pubmed() -> Iterator[LocalPubMed]:
    with LocalPubMed() as server:
        server.add_xml(xml(record(99200000 + i, date(2025, 1, 1 + i % 28)) for i in range(450)))
        yield server


def settings(server: LocalPubMed, **changes: object) -> EntrezSettings:
    values = {
        "email": "tests@example.org",
        "base_url": server.base_url,
        "api_key": "test-key",  # 10 requests/s keeps the suite quick; rate test drops it
        "backoff_seconds": 0.05,
        "timeout": 5.0,
    }
    values.update(changes)
    return EntrezSettings(**values)


def test_biopython_seams_we_wrap_still_exist() -> None:
    """Fails when a Biopython upgrade moves what watcher/pubmed/client.py wraps (biopython is
    pinned)."""
    install_biopython_seams()
    assert getattr(Entrez._build_request, "_mildwatch", False)
    assert Entrez.max_tries == 1
    source = inspect.getsource(Entrez.esearch) + inspect.getsource(Entrez.efetch)
    assert NCBI_EUTILS in source and "_build_request(cgi" in source
    assert "urlopen(request)" in inspect.getsource(Entrez._open)


def test_esearch_reaches_the_configured_base_url_with_etiquette(pubmed: LocalPubMed) -> None:
    client = EntrezClient(settings(pubmed, tool="mildwatch-test"))
    result = client.esearch(QUERY)
    assert result.count == 450 and len(result.ids) == 450
    assert result.webenv and result.query_key
    assert "Title/Abstract" in result.translation
    (logged,) = pubmed.requests("esearch")
    assert logged.params["tool"] == "mildwatch-test"
    assert logged.params["email"] == "tests@example.org"
    assert logged.params["api_key"] == "test-key"
    assert logged.params["usehistory"] == "y"


def test_error_list_is_surfaced_not_swallowed(pubmed: LocalPubMed) -> None:
    client = EntrezClient(settings(pubmed))
    result = client.esearch("decompression[tiabx]")
    assert result.count > 0  # PubMed "helpfully" searched all fields instead...
    assert result.problems == ["FieldNotFound 'tiabx'"]  # ...and said so


def test_syntax_error_is_a_query_error(pubmed: LocalPubMed) -> None:
    client = EntrezClient(settings(pubmed))
    with pytest.raises(QueryError, match="PubMed rejected the search"):
        client.esearch("(lumbar AND decompression")


def test_fetch_batches_cost_ceil_u_over_batch_requests(pubmed: LocalPubMed) -> None:
    client = EntrezClient(settings(pubmed, batch_size=200))
    ids = list(client.esearch(QUERY).ids)
    batches = list(client.fetch_batches(ids))
    assert [len(b) for b in batches] == [200, 200, 50]
    fetches = pubmed.requests("efetch")
    assert len(fetches) == 3
    assert [f.method for f in fetches] == ["POST", "POST", "GET"]  # Biopython POSTs ≥ 200 ids
    assert {a.pmid for b in batches for a in b} == set(ids)


def test_history_server_pages_past_the_esearch_cap() -> None:
    with LocalPubMed(esearch_cap=100) as server:
        server.add_xml(xml(record(99300000 + i, date(2025, 2, 1)) for i in range(250)))
        client = EntrezClient(settings(server, batch_size=100))
        result = client.esearch(QUERY, retmax=100)
        assert (result.count, len(result.ids)) == (250, 100)
        rest = [a.pmid for batch in client.fetch_history(result, start=100) for a in batch]
    assert len(rest) == 150 and not set(rest) & set(result.ids)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="esearch", status=429, retry_after=0),
        Fault(endpoint="esearch", status=500, times=2),
        Fault(endpoint="esearch", status=503),
        Fault(endpoint="esearch", truncate=True),
        Fault(endpoint="esearch", delay=1.5),  # longer than the client's timeout
    ],
)
def test_transient_failures_are_retried_and_lose_nothing(pubmed: LocalPubMed, fault: Fault) -> None:
    pubmed.inject(fault)
    client = EntrezClient(settings(pubmed, timeout=0.5))
    result = client.esearch(QUERY)
    assert result.count == 450
    assert client.requests_made == fault.times + 1


def test_truncated_efetch_is_retried(pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="efetch", truncate=True))
    client = EntrezClient(settings(pubmed))
    articles = client.fetch(["99200001", "99200002"])
    assert [a.pmid for a in articles] == ["99200001", "99200002"]
    assert len(pubmed.requests("efetch")) == 2


def test_backoff_grows_and_honours_retry_after(pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="esearch", status=429, retry_after=2, times=1))
    pubmed.inject(Fault(endpoint="esearch", status=500, times=1))
    slept: list[float] = []
    client = EntrezClient(settings(pubmed, backoff_seconds=0.5), sleep=lambda s: slept.append(s))
    client.esearch(QUERY)
    backoffs = [s for s in slept if s >= 0.5]
    assert backoffs == [2.0, 1.0]  # Retry-After wins over 0.5; then 0.5 * 2


def test_persistent_failure_gives_one_clear_error(pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="esearch", status=500, times=10))
    client = EntrezClient(settings(pubmed, max_tries=3))
    with pytest.raises(EntrezError) as error:
        client.esearch(QUERY)
    message = str(error.value)
    assert "failed esearch 3 times (last: HTTP 500)" in message
    assert pubmed.base_url in message and "nothing was lost" in message
    assert "test-key" not in message
    assert len(pubmed.requests("esearch")) == 3


def test_client_errors_are_not_retried(pubmed: LocalPubMed) -> None:
    pubmed.inject(Fault(endpoint="esearch", status=400))
    client = EntrezClient(settings(pubmed))
    with pytest.raises(EntrezError, match="HTTP 400"):
        client.esearch(QUERY)
    assert len(pubmed.requests("esearch")) == 1


def test_unreachable_server_is_a_clear_error() -> None:
    server = LocalPubMed().start()
    base = server.base_url
    server.stop()
    client = EntrezClient(
        EntrezSettings(email="t@example.org", base_url=base, max_tries=2, backoff_seconds=0.01)
    )
    with pytest.raises(EntrezError, match=r"cannot connect.*check the network and entrez.base_url"):
        client.esearch(QUERY)


def test_missing_email_fails_before_any_request() -> None:
    with pytest.raises(EntrezError, match="email"):
        EntrezClient(EntrezSettings(email=None))


def test_no_more_than_three_requests_per_second_without_a_key(pubmed: LocalPubMed) -> None:
    client = EntrezClient(settings(pubmed, api_key=None))
    for _ in range(7):
        client.esearch(QUERY, retmax=1, usehistory=False)
    arrivals = [r.at for r in pubmed.requests("esearch")]
    assert "api_key" not in pubmed.requests("esearch")[0].params
    # Any four consecutive requests span at least a second: never more than 3 in one second.
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[3:], strict=False)]
    assert len(arrivals) == 7 and min(spans) >= 1.0, spans


def test_no_more_than_ten_requests_per_second_with_a_key(pubmed: LocalPubMed) -> None:
    client = EntrezClient(settings(pubmed))  # settings() gives it an API key
    for _ in range(25):
        client.esearch(QUERY, retmax=1, usehistory=False)
    arrivals = [r.at for r in pubmed.requests("esearch")]
    # Any eleven consecutive requests span at least a second: never more than 10 in one.
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[10:], strict=False)]
    assert len(arrivals) == 25 and min(spans) >= 1.0, spans


def test_two_clients_with_different_base_urls_do_not_mix(pubmed: LocalPubMed) -> None:
    with LocalPubMed() as other:
        other.add_xml(xml([record(99400001, date(2025, 3, 1))]))
        first, second = EntrezClient(settings(pubmed)), EntrezClient(settings(other))
        assert first.esearch(QUERY).count == 450
        assert second.esearch(QUERY).count == 1
        assert first.esearch(QUERY).count == 450
    # and the seam leaves NCBI's URL alone outside a client call
    request = Entrez._build_request(
        NCBI_EUTILS + "esearch.fcgi", {"db": "pubmed", "email": "x@y.z"}
    )
    assert request.full_url.startswith(NCBI_EUTILS)
