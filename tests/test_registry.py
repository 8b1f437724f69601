"""The registry watcher against the local ClinicalTrials.gov double on 127.0.0.1: the v2 reply
shapes and errors, paging, retries, and the poll's promises (each change recorded once,
nothing stored half-way, papers and trials linked both ways)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.mailservers import free_port
from watcher.config import RegistrySettings
from watcher.errors import RegistryError, RegistryQueryError
from watcher.localpubmed import SAMPLE_DIR as PUBMED_SAMPLE
from watcher.localregistry import LATER_DIR, SAMPLE_DIR, Fault, LocalRegistry
from watcher.pubmed import read_records
from watcher.registry import RegistryClient, parse_study, trial_events
from watcher.registry.parse import longest_time_frame
from watcher.registry.poll import poll_registry
from watcher.store import Store
from watcher.trials import RegistrySearch

SEARCH = RegistrySearch(term='"mild procedure" OR "image-guided lumbar decompression"')
MILD_TRIALS = {f"NCT9900010{n}" for n in range(1, 7)}
FIRST = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)


def study(nct_id: str, folder: Path = SAMPLE_DIR) -> dict:
    return json.loads((folder / f"{nct_id}.json").read_text(encoding="utf-8"))


@pytest.fixture
def registry() -> Iterator[LocalRegistry]:
    with LocalRegistry(SAMPLE_DIR) as server:
        yield server


@pytest.fixture
def slept() -> list[float]:
    return []


def backoffs(slept: list[float]) -> list[float]:
    """The waits between tries (the rate limiter's own waits, a millisecond, left out)."""
    return [s for s in slept if s >= 0.01]


@pytest.fixture
def client(registry: LocalRegistry, slept: list[float]) -> Iterator[RegistryClient]:
    settings = RegistrySettings(
        base_url=registry.base_url, page_size=4, requests_per_second=1000, timeout=1.0,
        max_tries=3, backoff_seconds=0.5,
    )  # fmt: skip
    with RegistryClient(settings, sleep=slept.append) as made:
        yield made


# --- reading the API's JSON, and what changed (pure) -------------------------------------------


def test_a_study_reads_into_a_trial_with_every_field_the_digest_needs() -> None:
    trial = parse_study(study("NCT99000101"))
    assert (trial.nct_id, trial.acronym, trial.status) == ("NCT99000101", "PORTAL-LSS", "COMPLETED")
    assert trial.title.startswith("[SYNTHETIC] ") and trial.synthetic
    assert (trial.allocation, trial.phases, trial.study_type) == (
        "RANDOMIZED",
        ("NA",),
        "INTERVENTIONAL",
    )
    assert (trial.enrollment, trial.enrollment_type) == (300, "ACTUAL")
    assert (trial.completion_date, trial.completion_type) == ("2016-04", "ACTUAL")
    assert trial.has_results and trial.results_first_posted == "2017-01-20"
    assert trial.result_pmids == ("99000006", "99000011")
    assert trial.interventions[0].startswith("DEVICE: mild procedure")
    assert trial.followup_months == 24.0
    planned = parse_study(study("NCT99000102"))
    assert planned.expected_completion == ("2019-12", "ACTUAL")
    assert planned.followup_months == 60.0 and not planned.has_results


def test_time_frames_give_the_longest_planned_follow_up_in_months() -> None:
    assert longest_time_frame(["Baseline to 6 months", "up to 5 years", "12 weeks"]) == 60.0
    assert longest_time_frame(["2-year", "30 days"]) == 24.0
    assert longest_time_frame(["At discharge"]) is None


def test_a_study_without_an_nct_id_is_a_malformed_reply() -> None:
    broken = study("NCT99000101")
    broken["protocolSection"]["identificationModule"]["nctId"] = "NCT123"
    with pytest.raises(RegistryError, match="no valid nctId"):
        parse_study(broken)


def test_changes_become_events_and_an_unchanged_record_makes_none() -> None:
    first, later = parse_study(study("NCT99000104")), parse_study(study("NCT99000104", LATER_DIR))
    assert [e.kind for e in trial_events(None, first, at="t")] == ["registered"]
    assert trial_events(first, first, at="t") == []
    [stopped] = trial_events(first, later, at="t")  # its end dates are part of the ending
    assert (stopped.kind, stopped.old, stopped.new) == ("terminated", "RECRUITING", "TERMINATED")
    assert "Enrollment too slow" in stopped.detail
    before, after = parse_study(study("NCT99000102")), parse_study(study("NCT99000102", LATER_DIR))
    [moved] = trial_events(before, after, at="t")
    assert (moved.kind, moved.old, moved.new) == ("date_moved", "2026-12", "2027-09")
    assert moved.detail == "study completion (estimated)"
    posted = parse_study(study("NCT99000105", LATER_DIR))
    [results] = trial_events(parse_study(study("NCT99000105")), posted, at="t")
    assert (results.kind, results.new) == ("results_posted", "2025-08-19")


# --- the local server speaks the v2 API -------------------------------------------------------


def get(registry: LocalRegistry, **params: str) -> httpx.Response:
    return httpx.get(registry.base_url + "studies", params=params, timeout=5)


def test_the_server_pages_with_tokens_and_counts_on_the_first_page(registry: LocalRegistry) -> None:
    first = get(registry, **{"query.term": "stenosis", "pageSize": "4", "countTotal": "true"})
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    page = first.json()
    assert (len(page["studies"]), page["totalCount"]) == (4, 6)
    second = get(registry, **{"query.term": "stenosis", "pageSize": "4", "countTotal": "true",
                              "pageToken": page["nextPageToken"]}).json()  # fmt: skip
    assert len(second["studies"]) == 2 and "nextPageToken" not in second
    assert "totalCount" not in second
    ids = [
        s["protocolSection"]["identificationModule"]["nctId"]
        for s in page["studies"] + second["studies"]
    ]
    assert set(ids) == MILD_TRIALS


def test_the_server_keeps_only_the_fields_asked_for(registry: LocalRegistry) -> None:
    fields = "protocolSection.identificationModule,hasResults"
    reply = get(registry, **{"query.intr": "laminectomy", "fields": fields}).json()
    [only] = reply["studies"]
    assert set(only) == {"protocolSection", "hasResults"}
    assert set(only["protocolSection"]) == {"identificationModule"}
    assert only["protocolSection"]["identificationModule"]["nctId"] == "NCT99000104"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"query.term": '"mild procedure'}, "unbalanced quotation marks"),
        ({"query.cond": "(stenosis OR"}, "invalid query.cond"),
        ({"query.term": "x", "fields": "protocolSection,bogusSection"}, "unknown field"),
        ({"query.term": "x", "pageSize": "5000"}, "pageSize must be between 1 and 1000"),
        ({"query.term": "x", "pageToken": "nonsense"}, "invalid pageToken"),
        ({"query.spelling": "x"}, "unknown parameter"),
    ],
)
def test_a_malformed_request_gets_400_with_a_plain_reason(
    registry: LocalRegistry, params: dict[str, str], reason: str
) -> None:
    reply = get(registry, **params)
    assert reply.status_code == 400 and reply.headers["content-type"].startswith("text/plain")
    assert reason in reply.text


# --- the client: paging, politeness, errors ------------------------------------------------------


def test_the_client_follows_every_page_and_asks_only_for_what_it_reads(
    client: RegistryClient, registry: LocalRegistry
) -> None:
    trials = client.search_all(SEARCH)
    assert {t.nct_id for t in trials} == MILD_TRIALS  # not the mild cognitive impairment trial
    sent = registry.requests("studies")
    assert [r.params.get("pageToken") for r in sent] == [None, "lr4"]
    assert sent[0].params["query.term"] == SEARCH.term and "query.intr" not in sent[0].params
    assert sent[0].params["fields"].startswith("protocolSection.identificationModule,")
    assert (sent[0].params["pageSize"], sent[0].params["countTotal"]) == ("4", "true")


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=429, retry_after=3),
        Fault(status=500),
        Fault(status=503, times=2),
        Fault(truncate=True),  # half a JSON document
        Fault(delay=1.5),  # longer than the client's 1 s timeout
    ],
)
def test_transient_failures_are_retried_with_backoff(
    client: RegistryClient, registry: LocalRegistry, slept: list[float], fault: Fault
) -> None:
    registry.inject(fault)
    assert {t.nct_id for t in client.search_all(SEARCH)} == MILD_TRIALS
    assert client.requests_made == 2 + fault.times
    assert backoffs(slept)[: fault.times] == [
        max(0.5 * 2**i, fault.retry_after or 0) for i in range(fault.times)
    ]


def test_a_registry_that_keeps_failing_is_one_clear_error(
    client: RegistryClient, registry: LocalRegistry
) -> None:
    registry.inject(Fault(status=502, times=3))
    with pytest.raises(RegistryError) as error:
        client.search_all(SEARCH)
    message = str(error.value)
    assert "failed 3 times (last: HTTP 502)" in message and "[registry] base_url" in message
    assert "\n" not in message


def test_a_rejected_query_is_not_retried_and_says_how_to_fix_it(
    client: RegistryClient, registry: LocalRegistry
) -> None:
    with pytest.raises(RegistryQueryError) as error:
        client.search_all(RegistrySearch(term='"mild procedure'))
    assert "rejected the registry search (invalid query.term: unbalanced" in str(error.value)
    assert "mildwatch trials search set" in str(error.value)
    assert len(registry.requests()) == 1


def test_an_unreachable_registry_is_one_clear_error(slept: list[float]) -> None:
    settings = RegistrySettings(
        base_url=f"http://127.0.0.1:{free_port()}/api/v2/", max_tries=2, requests_per_second=1000
    )
    with RegistryClient(settings, sleep=slept.append) as client, pytest.raises(RegistryError) as e:
        client.search_all(SEARCH)
    assert "failed 2 times (last: cannot connect" in str(e.value) and backoffs(slept) == [2.0]
    assert str(e.value).endswith("check the network and [registry] base_url")


# --- the poll: once, whole, linked ---------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "mildwatch.db") as opened:
        opened.save_registry_search(SEARCH, author="test", reason="test", now="2024-01-01")
        yield opened


def kinds(store: Store) -> list[tuple[str, str]]:
    return [(e.nct_id, e.kind) for e in store.trial_events()]


def test_a_status_change_and_a_moved_date_are_each_recorded_once(
    store: Store, client: RegistryClient, registry: LocalRegistry
) -> None:
    first = poll_registry(store, client, now=FIRST)
    assert first.ok and first.found == 6 and {e.kind for e in first.events} == {"registered"}
    registry.add_path(LATER_DIR)
    second = poll_registry(store, client, now=LATER)
    assert sorted((e.nct_id, e.kind) for e in second.events) == [
        ("NCT99000102", "date_moved"), ("NCT99000104", "terminated"),
        ("NCT99000105", "results_posted"), ("NCT99000106", "status"),
    ]  # fmt: skip
    assert store.trial("NCT99000104").status == "TERMINATED"  # type: ignore[union-attr]
    assert store.trial("NCT99000102").completion_date == "2027-09"  # type: ignore[union-attr]
    recorded = kinds(store)
    third = poll_registry(store, client, now=LATER)
    assert third.ok and third.events == [] and kinds(store) == recorded


def test_a_malformed_reply_stores_nothing_half_way(
    store: Store, client: RegistryClient, registry: LocalRegistry
) -> None:
    """Page 1 arrives, page 2 stays unreadable through every retry: no trial, no event."""
    registry.inject(Fault(status=None), Fault(truncate=True, times=3))
    report = poll_registry(store, client, now=FIRST)
    assert not report.ok and "unreadable reply" in (report.error or "")
    assert store.trials() == [] and store.trial_events() == []
    state = store.registry_state()
    assert state["consecutive_failures"] == 1 and state["last_success_at"] is None
    again = poll_registry(store, client, now=FIRST)  # the next poll gets it all
    assert again.ok and len(store.trials()) == 6 and len(store.trial_events()) == 6
    assert store.registry_state()["consecutive_failures"] == 0


def test_a_trial_and_its_papers_are_linked_both_ways(store: Store, client: RegistryClient) -> None:
    papers = [a for n in ("99000006", "99000021") for a in read_records(PUBMED_SAMPLE / f"{n}.xml")]
    with store.transaction():
        store.save_articles(papers, run_id=None, now="2024-12-31T00:00:00+00:00")
    poll_registry(store, client, now=FIRST)
    links = {(link.nct_id, link.pmid, link.source) for link in store.trial_links()}
    assert ("NCT99000101", "99000006", "registry") in links  # the trial lists its report
    assert ("NCT99000102", "99000021", "databank") in links  # the paper names its trial
    assert [link.nct_id for link in store.trial_links(pmids=["99000021"])] == ["NCT99000102"]


def test_a_paper_naming_its_trial_in_the_abstract_is_linked_even_if_the_registry_is_down(
    store: Store, tmp_path: Path, slept: list[float]
) -> None:
    from tests.factories import record, xml
    from watcher.pubmed import parse_pubmed_xml

    text = (("RESULTS", "Registered at ClinicalTrials.gov (NCT99000103); follow-up continues."),)
    [paper] = parse_pubmed_xml(xml([record(99000777, FIRST.date(), abstract=text)]))
    with store.transaction():
        store.save_articles([paper], run_id=None, now="2024-12-31T00:00:00+00:00")
    down = RegistrySettings(base_url=f"http://127.0.0.1:{free_port()}/api/v2/", max_tries=1)
    with RegistryClient(down, sleep=slept.append) as client:
        report = poll_registry(store, client, now=FIRST)
    assert not report.ok and "cannot connect" in (report.error or "")
    assert store.trial_links() == [store.trial_links(pmids=["99000777"])[0]]
    assert store.trial_links()[0].source == "abstract"


# --- configuration and vocabulary -----------------------------------------------------------------


def test_the_registry_is_off_without_a_section_and_checked_when_present(tmp_path: Path) -> None:
    from watcher.config import parse_config, starter_config
    from watcher.errors import ConfigError

    path = tmp_path / "mildwatch.toml"
    assert not parse_config("", path=path, env={}).registry.enabled  # upgrades stay quiet
    started = parse_config(starter_config(email="a@example.org"), path=path, env={}).registry
    assert started.enabled and started.base_url == "https://clinicaltrials.gov/api/v2/"
    with pytest.raises(ConfigError, match=r"mildwatch.toml:2: registry.page_size must be between"):
        parse_config("[registry]\npage_size = 5000\n", path=path, env={})
    with pytest.raises(ConfigError, match=r"registry\.base_url must start with https://"):
        parse_config('[registry]\nbase_url = "ftp://x"\n', path=path, env={})


def test_the_stored_event_kinds_are_the_vocabulary(store: Store) -> None:
    from watcher.vocabulary import TRIAL_EVENT_KINDS

    sql = store.db.execute("SELECT sql FROM sqlite_master WHERE name = 'trial_events'").fetchone()
    for kind in TRIAL_EVENT_KINDS:
        assert f"'{kind}'" in sql[0]


def test_the_profile_seeds_the_registry_search_once(store: Store, tmp_path: Path) -> None:
    from watcher.errors import ConfigError
    from watcher.evidence import default_profile_path
    from watcher.registry.poll import profile_registry_search, seed_registry_search

    bundled = profile_registry_search(default_profile_path())
    assert bundled is not None and '"mild procedure"' in bundled.term
    seed_registry_search(store, bundled, now="2025-01-01")
    assert store.registry_search().term == SEARCH.term  # type: ignore[union-attr]  # kept
    wrong = tmp_path / "profile.toml"
    wrong.write_text('[registry]\nterms = "mild"\n')
    with pytest.raises(ConfigError, match=r"\[registry\] may hold only term, intr and cond"):
        profile_registry_search(wrong)
