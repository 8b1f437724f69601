"""ELink: the local server answers like NCBI, and the client asks it politely (one request
for many ids, each id its own LinkSet), over the sample's reference lists and text."""

from __future__ import annotations

import io
import urllib.request
from datetime import date
from urllib.parse import urlencode

import pytest
from Bio import Entrez

from tests.factories import record, xml
from watcher.config import EntrezSettings
from watcher.errors import EntrezError
from watcher.localpubmed import SAMPLE_DIR, LocalPubMed
from watcher.localpubmed.synthetic import generate_records
from watcher.pubmed import EntrezClient, Link

# Who cites the first PORTAL-LSS report (99000006) in the sample's reference lists.
CITING_99000006 = ["99000043", "99000027", "99000025", "99000021", "99000020", "99000018",
                   "99000012", "99000011", "99000009"]  # fmt: skip


def raw(pubmed: LocalPubMed, query: list[tuple[str, str]]) -> object:
    """Ask the server directly and read the reply with Bio.Entrez (its shipped elink.dtd)."""
    url = pubmed.base_url + "elink.fcgi?" + urlencode(query)
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("text/xml")
        return Entrez.read(io.BytesIO(reply.read()))


def test_cited_in_comes_from_the_reference_lists_newest_first(pubmed: LocalPubMed) -> None:
    result = raw(pubmed, [("dbfrom", "pubmed"), ("linkname", "pubmed_pubmed_citedin"),
                          ("id", "99000006")])  # fmt: skip
    (link_set,) = result
    assert link_set["DbFrom"] == "pubmed" and link_set["IdList"] == ["99000006"]
    (db,) = link_set["LinkSetDb"]
    assert (db["DbTo"], db["LinkName"]) == ("pubmed", "pubmed_pubmed_citedin")
    assert [link["Id"] for link in db["Link"]] == CITING_99000006


def test_separate_ids_get_one_link_set_each_and_a_comma_list_is_pooled(
    pubmed: LocalPubMed,
) -> None:
    common = [("dbfrom", "pubmed"), ("db", "pubmed"), ("linkname", "pubmed_pubmed_citedin")]
    separate = raw(pubmed, [*common, ("id", "99000006"), ("id", "99000027")])
    assert [s["IdList"] for s in separate] == [["99000006"], ["99000027"]]
    cited_27 = [link["Id"] for link in separate[1]["LinkSetDb"][0]["Link"]]
    assert cited_27 == ["99000041", "99000038", "99000031", "99000029"]
    (pooled,) = raw(pubmed, [*common, ("id", "99000006,99000027")])
    assert pooled["IdList"] == ["99000006", "99000027"]
    ids = [link["Id"] for link in pooled["LinkSetDb"][0]["Link"]]
    assert sorted(ids) == sorted(set(CITING_99000006) | set(cited_27))


def test_similar_articles_carry_integer_scores_the_record_itself_first(
    pubmed: LocalPubMed,
) -> None:
    query = [("dbfrom", "pubmed"), ("cmd", "neighbor_score"), ("linkname", "pubmed_pubmed"),
             ("id", "99000011")]  # fmt: skip
    (link_set,) = raw(pubmed, query)
    links = link_set["LinkSetDb"][0]["Link"]
    scores = [int(link["Score"]) for link in links]
    assert links[0]["Id"] == "99000011" and scores[0] == max(scores) == 100_000_000
    assert scores == sorted(scores, reverse=True)
    # The other PORTAL-LSS report is closer than a memory-clinic study on "mild" impairment.
    ids = [link["Id"] for link in links]
    assert ids.index("99000006") < ids.index("99000002")
    plain = raw(pubmed, [q for q in query if q[0] != "cmd"])
    assert all("Score" not in link for link in plain[0]["LinkSetDb"][0]["Link"])


def test_without_a_linkname_every_link_is_listed_and_empty_ones_are_left_out(
    pubmed: LocalPubMed,
) -> None:
    (link_set,) = raw(pubmed, [("dbfrom", "pubmed"), ("id", "99000021")])
    names = [db["LinkName"] for db in link_set["LinkSetDb"]]
    assert names == ["pubmed_pubmed", "pubmed_pubmed_citedin", "pubmed_pubmed_refs"]
    refs = [link["Id"] for link in link_set["LinkSetDb"][2]["Link"]]
    assert refs == ["99000011", "99000006"]
    (unknown,) = raw(pubmed, [("dbfrom", "pubmed"), ("id", "1")])
    assert unknown["IdList"] == ["1"] and unknown["LinkSetDb"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([("dbfrom", "protein"), ("id", "1")], "Invalid db name specified: protein"),
        ([("dbfrom", "pubmed"), ("cmd", "llinks"), ("id", "1")], "Command not served"),
        ([("dbfrom", "pubmed"), ("linkname", "pubmed_gene"), ("id", "1")], "Invalid linkname"),
        ([("dbfrom", "pubmed")], "Empty id list"),
    ],
)
def test_bad_requests_get_ncbis_error_element(
    pubmed: LocalPubMed, query: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        raw(pubmed, query)


def test_the_client_asks_for_many_ids_in_one_request_each_id_on_its_own(
    pubmed: LocalPubMed, client: EntrezClient
) -> None:
    pubmed.clear_log()
    found = client.elink(["99000006", "99000027", "99000001"], linkname="pubmed_pubmed_citedin")
    (request,) = pubmed.requests("elink")
    assert request.id_params == ("99000006", "99000027", "99000001")
    assert request.params["tool"] and request.params["email"] == "tests@example.org"
    assert [link.pmid for link in found["99000006"]] == CITING_99000006
    assert found["99000001"] == (Link("99000020"), Link("99000012"), Link("99000009"))
    similar = client.elink(["99000011"], linkname="pubmed_pubmed", scores=True)
    assert "99000011" not in {link.pmid for link in similar["99000011"]}  # not its own link
    assert all(link.score and link.score > 0 for link in similar["99000011"])


def test_the_client_batches_by_a_hundred_ids(pubmed: LocalPubMed, client: EntrezClient) -> None:
    pubmed.clear_log()
    ids = [str(99000001 + i) for i in range(43)] * 3  # 129 ids: two requests, POSTed as a form
    client.elink(ids, linkname="pubmed_pubmed_citedin")
    assert [len(r.id_params) for r in pubmed.requests("elink")] == [100, 29]


def test_the_client_turns_an_elink_error_into_one_line(client: EntrezClient) -> None:
    with pytest.raises(EntrezError, match="ELink refused the request: Invalid linkname"):
        client.elink(["99000006"], linkname="pubmed_nowhere")


def test_records_added_later_link_at_once() -> None:
    citing = record(99000901, date(2026, 1, 5))
    citing = citing.replace(
        "</PubmedData>",
        "<ReferenceList><Reference><Citation>A cited work.</Citation><ArticleIdList>"
        '<ArticleId IdType="pubmed">99000006</ArticleId></ArticleIdList></Reference>'
        "</ReferenceList></PubmedData>",
    )
    with LocalPubMed(SAMPLE_DIR) as server:
        settings = EntrezSettings(
            email="t@example.org",
            base_url=server.base_url,
            api_key="0123456789abcdef0123456789abcdef0123",
        )
        client = EntrezClient(settings)
        before = client.elink(["99000006"], linkname="pubmed_pubmed_citedin")["99000006"]
        server.add_xml(xml([citing]))
        after = client.elink(["99000006"], linkname="pubmed_pubmed_citedin")["99000006"]
    assert [link.pmid for link in after] == ["99000901", *(link.pmid for link in before)]


def test_generated_records_cite_earlier_records_on_their_topic() -> None:
    records = generate_records(300, seed=3)
    by_pmid = {str(r.pmid): r for r in records}
    cited = [(r, pmid) for r in records for _, pmid in r.references]
    assert len(cited) > 300  # about 2.5 references a record
    for citing, pmid in cited:
        assert pmid in by_pmid and int(pmid) < citing.pmid
    again = generate_records(300, seed=3)
    assert [r.references for r in again] == [r.references for r in records]
