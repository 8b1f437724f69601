"""Citation tracking and the recall audit, end to end: key papers in the store, ELink on the
local E-utilities server, the poll, the digest, the admin alert and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from digests.alerts import queue_alerts
from digests.compose import compose_for, preview
from tests.digest_factories import mail_settings
from tests.factories import MILD_QUERY, record, xml
from watcher.audit import audit, words_in
from watcher.cli import cli
from watcher.errors import StoreError
from watcher.evidence import load_profile
from watcher.localpubmed import SAMPLE_DIR, LocalPubMed
from watcher.poll import poll
from watcher.pubmed import EntrezClient
from watcher.store import Store
from watcher.tagging import tagger

KEYS = ["99000006", "99000011", "99000027"]  # the PORTAL-LSS reports and the 5-year cohort
# A MILD study the default query cannot see: it names the device only in the abstract, and
# neither a name the query knows nor the trademark in its title.
MISSED = 99000801
MISSED_TITLE = (
    "Interlaminar ligamentum flavum resection for central canal stenosis: a two-year "
    "multicentre cohort"
)
MISSED_ABSTRACT = (
    ("METHODS", "We followed 84 patients with neurogenic claudication treated with "
     "percutaneous interlaminar resection of the hypertrophic ligamentum flavum using the "
     "mild® device under fluoroscopic guidance."),
    ("RESULTS", "At 24 months, walking distance and the Oswestry Disability Index improved; "
     "no dural tears or hematomas occurred."),
)  # fmt: skip
NOISE = 99000802  # cites a key paper, about memory: stored and classified, not a gap
LATE = 99000803  # the default query matches it, but it entered PubMed before any window


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def citing_records() -> str:
    return xml(
        [
            record(MISSED, date(2026, 11, 20), title=MISSED_TITLE, abstract=MISSED_ABSTRACT,
                   references=("99000006", "99000011")),
            record(NOISE, date(2026, 11, 21), title="Mild cognitive impairment and walking",
                   abstract=(("", "Older adults with mild cognitive impairment walked daily."),),
                   references=("99000027",)),
            record(LATE, date(2015, 3, 2), references=("99000006",)),
        ]
    )  # fmt: skip


@pytest.fixture
def pubmed() -> Iterator[LocalPubMed]:
    """A server per test: the tests add citing records to it."""
    with LocalPubMed(SAMPLE_DIR) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path, client: EntrezClient) -> Iterator[Store]:
    """The sample polled once with the default search, three key papers marked."""
    with Store.open(tmp_path / "m.db") as opened:
        opened.add_search("mild", MILD_QUERY, author="ann", reason="first")
        assert poll(opened, client, now=at(date(2026, 12, 1)), on_stored=tagger(load_profile())).ok
        for pmid in KEYS:
            opened.add_key_paper(pmid, author="ann", now="2026-12-01T13:00:00+00:00")
        yield opened


def test_a_relevant_paper_no_search_matches_is_found_by_citation_exactly_once(
    store: Store, client: EntrezClient, pubmed: LocalPubMed, tmp_path: Path
) -> None:
    subscriber = store.add_subscriber("s@example.org", now="2026-11-01T00:00:00+00:00",
                                      frequency="weekly")  # fmt: skip
    assert compose_for(store, subscriber, now=at(date(2026, 12, 1)), mail=mail_settings(tmp_path))
    pubmed.add_xml(citing_records())
    pubmed.clear_log()
    report = poll(store, client, now=at(date(2026, 12, 2)), on_stored=tagger(load_profile()))
    cited = report.citations
    assert report.ok and cited is not None and cited.error is None
    assert cited.gaps == [str(MISSED)]
    # One ELink request for all three key papers, each id on its own; one batched efetch of
    # the citing papers not stored; one esearch asking the search about them.
    (elink,) = pubmed.requests("elink")
    assert elink.id_params == tuple(KEYS)
    assert elink.params["linkname"] == "pubmed_pubmed_citedin"
    fetches = [r.params["id"].split(",") for r in pubmed.requests("efetch")]
    assert fetches == [[str(MISSED), str(NOISE), str(LATE)]]
    uid_checks = [r for r in pubmed.requests("esearch") if "[uid]" in r.params["term"]]
    assert len(uid_checks) == 1 and str(MISSED) in uid_checks[0].params["term"]
    # The late paper was only outside the windows: the search matches it, so it is a hit.
    assert store.matched_by_searches([str(LATE), str(MISSED)]) == {str(LATE)}
    (gap,) = store.recall_gaps()
    assert (gap.article.pmid, gap.cites) == (str(MISSED), ("99000006", "99000011"))
    assert gap.evidence.relevance == "relevant"
    assert {k.pmid: k.citing for k in store.key_papers()}["99000006"] >= 10
    # The digest after the subscriber's first (baseline) one shows it as found by citation.
    mail = mail_settings(tmp_path)
    digest = preview(store, subscriber, now=at(date(2026, 12, 3)), mail=mail)
    assert "Found by citation: it cites PMID 99000006, 99000011, a key paper" in " ".join(
        digest.text.split()
    )
    assert "Found by citation" in digest.html
    # The librarian is told once, by the admin alert.
    first = queue_alerts(store, now=at(date(2026, 12, 3)), mail=mail)
    assert first and f"recall:{MISSED}" in store.alert_keys()
    assert queue_alerts(store, now=at(date(2026, 12, 4)), mail=mail) == []
    # Exactly once: the next poll asks ELink again but finds, fetches and reports nothing new.
    pubmed.clear_log()
    again = poll(store, client, now=at(date(2026, 12, 3)), on_stored=tagger(load_profile()))
    assert again.citations is not None and (again.citations.new, again.citations.gaps) == (0, [])
    assert len(pubmed.requests("elink")) == 1 and pubmed.requests("efetch") == []


def test_a_search_that_comes_to_match_it_closes_the_gap(
    store: Store, client: EntrezClient, pubmed: LocalPubMed
) -> None:
    pubmed.add_xml(citing_records())
    poll(store, client, now=at(date(2026, 12, 2)), on_stored=tagger(load_profile()))
    store.add_search("device", '"mild device"[tiab]', author="ann", reason="recall gap")
    poll(store, client, now=at(date(2026, 12, 3)), on_stored=tagger(load_profile()))
    assert store.recall_gaps() == []
    assert store.found_by_citation_only([str(MISSED)]) == {}


def test_without_key_papers_a_poll_makes_no_elink_request(
    tmp_path: Path, client: EntrezClient, pubmed: LocalPubMed
) -> None:
    with Store.open(tmp_path / "bare.db") as store:
        store.add_search("mild", MILD_QUERY, author="ann", reason="first")
        report = poll(store, client, now=at(date(2026, 12, 1)))
    assert report.citations is None and pubmed.requests("elink") == []


def test_a_failing_elink_is_reported_and_the_searches_still_count(
    store: Store, client: EntrezClient, pubmed: LocalPubMed
) -> None:
    from watcher.localpubmed import Fault

    pubmed.inject(Fault("elink", status=503, times=5))
    report = poll(store, client, now=at(date(2026, 12, 2)))
    assert report.ok and report.citations is not None
    assert "citation tracking" in (report.citations.error or "")
    assert store.known_citations(KEYS) == set()  # nothing half-recorded; asked again next poll


def test_key_papers_must_be_stored(store: Store) -> None:
    with pytest.raises(StoreError, match="PMID 12345 is not stored"):
        store.add_key_paper("12345", author="ann", now="2026-12-01T00:00:00+00:00")
    with pytest.raises(StoreError, match="already a key paper"):
        store.add_key_paper(KEYS[0], author="ann", now="2026-12-01T00:00:00+00:00")
    suggested = [a.pmid for a, _ in store.key_paper_candidates()]
    assert "99000021" in suggested and not set(KEYS) & set(suggested)  # the third RCT


def test_the_audit_finds_the_relevant_paper_the_queries_miss(
    store: Store, client: EntrezClient, pubmed: LocalPubMed
) -> None:
    pubmed.add_xml(citing_records())  # not polled: the audit must find the device study itself
    pubmed.clear_log()
    report = audit(store, client, load_profile())
    assert [m.article.pmid for m in report.missed] == [str(MISSED)]
    (missed,) = report.missed
    assert not missed.stored and missed.similar_to and missed.words
    # Words the paper shares with the papers it resembles, none of them in the saved query.
    assert set(missed.words) <= words_in(
        missed.article.plain_title + " " + missed.article.plain_abstract
    )
    assert not set(missed.words) & words_in(MILD_QUERY)
    assert str(MISSED) not in store.all_pmids()  # nothing stored
    assert len(pubmed.requests("elink")) == 1  # 27 relevant papers, one request
    assert report.requests == len(pubmed.requests())


def test_shared_words_leave_out_what_the_queries_already_say() -> None:
    assert "lumbar decompression" in words_in("Minimally invasive lumbar decompression")
    assert "with" not in words_in("decompression with the device")
    queries = words_in(MILD_QUERY)
    assert "stenosis" in queries and "ligamentum flavum" in queries


def test_key_papers_on_the_command_line(tmp_path: Path, pubmed: LocalPubMed) -> None:
    config = tmp_path / "mildwatch.toml"
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(cli, ["--config", str(config), *args])

    assert run("init", "--email", "lib@example.org").exit_code == 0  # type: ignore[attr-defined]
    config.write_text(
        config.read_text().replace(
            'base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"',
            f'base_url = "{pubmed.base_url}"',
        )
    )
    assert run("poll").exit_code == 0  # type: ignore[attr-defined]
    listed = run("key-papers", "list")
    assert "No key papers yet." in listed.output and "99000011" in listed.output  # type: ignore[attr-defined]
    unknown = run("key-papers", "add", "12345")
    assert unknown.exit_code == 1 and unknown.output.count("\n") == 1  # type: ignore[attr-defined]
    assert "PMID 12345 is not stored" in unknown.output  # type: ignore[attr-defined]
    assert run("key-papers", "add", "abc").exit_code == 2  # type: ignore[attr-defined]
    assert run("key-papers", "add", "99000011", "--note", "2-year RCT").exit_code == 0  # type: ignore[attr-defined]
    pubmed.add_xml(citing_records())
    polled = run("poll")
    assert f"PMID {MISSED}: found by citation; no saved search matches it" in polled.output  # type: ignore[attr-defined]
    status = run("status")
    assert f"Recall gap: PMID {MISSED}" in status.output  # type: ignore[attr-defined]
    assert run("key-papers", "remove", "99000011").exit_code == 0  # type: ignore[attr-defined]
    assert run("key-papers", "remove", "99000011").exit_code == 1  # type: ignore[attr-defined]
