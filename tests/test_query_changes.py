"""Seeing what a query change does before making it, what the next poll does after it, and
saved searches through a TOML file — against the local E-utilities server and the sample."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.factories import MILD_QUERY, client_for
from watcher.cli import cli
from watcher.errors import MildwatchError, QueryError
from watcher.evidence import load_profile
from watcher.localpubmed import SAMPLE_DIR, LocalPubMed
from watcher.poll import poll
from watcher.pubmed import EntrezClient
from watcher.querydiff import all_ids, diff_query
from watcher.searches import save_search
from watcher.searchfile import apply_change, dump_searches, plan_import, read_searches
from watcher.store import Store
from watcher.tagging import tagger

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# The default query matches 41 sample records. This one matches 13: twelve of those, and one
# memory-clinic paper on "mild cognitive impairment" the default query never fetched.
NEW_QUERY = (
    '"percutaneous image-guided lumbar decompression"[tiab] OR "mild cognitive impairment"[tiab]'
)
KEPT = {"99000001", "99000002", "99000007", "99000008", "99000009", "99000015", "99000020",
        "99000032", "99000034", "99000037", "99000042", "99000046"}  # fmt: skip
ADDED = ["99000014"]
DEFAULT_HITS = {"99000001", "99000002", "99000003", "99000004", "99000006", "99000007", "99000008",
                "99000009", "99000011", "99000012", "99000013", "99000015", "99000017",
                "99000018", "99000019", "99000020", "99000021", "99000023", "99000024",
                "99000025", "99000026", "99000027", "99000028", "99000029", "99000030",
                "99000031", "99000032", "99000033", "99000034", "99000035", "99000036",
                "99000037", "99000038", "99000039", "99000040", "99000041", "99000042",
                "99000043", "99000044", "99000045", "99000046"}  # fmt: skip
DROPPED = DEFAULT_HITS - KEPT


@pytest.fixture
def polled(tmp_path: Path, client: EntrezClient) -> Iterator[Store]:
    """The default search, polled once over the sample: its 41 records stored and tagged."""
    with Store.open(tmp_path / "m.db") as store:
        store.add_search("mild", MILD_QUERY, author="ann", reason="first version")
        report = poll(store, client, now=NOW, on_stored=tagger(load_profile()))
        assert report.ok and set(store.all_pmids()) == DEFAULT_HITS
        yield store


def pmids(entries: object) -> list[str]:
    return [e.pmid for e in entries]  # type: ignore[attr-defined]


def test_a_diff_lists_what_the_new_query_adds_and_drops_for_a_handful_of_requests(
    polled: Store, client: EntrezClient, pubmed: LocalPubMed
) -> None:
    pubmed.clear_log()
    diff = diff_query(polled, client, load_profile(), MILD_QUERY, NEW_QUERY)
    assert (diff.old_count, diff.new_count) == (41, 13)
    assert sorted(pmids(diff.added)) == ADDED
    assert set(pmids(diff.dropped)) == DROPPED
    # Every paper has its title and verdict; the relevant ones come first.
    assert all(e.title.startswith("[SYNTHETIC]") and e.relevance for e in diff.dropped)
    verdicts = [e.relevance for e in diff.dropped]
    assert verdicts == sorted(verdicts, key=["relevant", "uncertain", "not_relevant"].index)
    assert diff.dropped_relevant == sum(v == "relevant" for v in verdicts) >= 10
    # The added paper is about memory, not the spine, and was fetched to be judged.
    assert {e.relevance for e in diff.added} == {"not_relevant"}
    assert not any(e.stored for e in diff.added) and diff.fetched == 1
    # Two searches on the history server and one batched fetch of what is not stored.
    searches, fetches = pubmed.requests("esearch"), pubmed.requests("efetch")
    assert [r.params["usehistory"] for r in searches] == ["y", "y"]
    assert [r.params["id"].split(",") for r in fetches] == [ADDED]
    assert diff.requests == 3
    # Nothing was written: the judged papers are not stored, the search is as it was.
    assert set(polled.all_pmids()) == DEFAULT_HITS
    assert [r.query for r in polled.search_history("mild")] == [MILD_QUERY]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"mild procedure"[tiab] AND (stenosis[tiab]', "unbalanced '\\('"),
        ("zzqxv[tiab] AND stenosis[tiab]", "did not run the query as written.*PhraseNotFound"),
    ],
)
def test_a_diff_with_a_malformed_query_is_one_error_and_nothing_changes(
    polled: Store, client: EntrezClient, query: str, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        diff_query(polled, client, load_profile(), MILD_QUERY, query)
    assert set(polled.all_pmids()) == DEFAULT_HITS


def test_after_an_edit_the_next_poll_backfills_exactly_the_new_matches(
    polled: Store, client: EntrezClient, pubmed: LocalPubMed
) -> None:
    subscriber = polled.add_subscriber(
        "surgeon@example.org", now="2026-12-01T00:00:00+00:00", frequency="weekly"
    )
    before = {c.article.pmid for c in polled.undelivered(subscriber)}
    save_search(polled, client, "mild", NEW_QUERY, author="ann", reason="narrower")
    pubmed.clear_log()
    report = poll(polled, client, now=NOW, on_stored=tagger(load_profile()))
    assert report.ok and report.outcomes[0].window[0] == "1990/01/01"  # all time, not a window
    (fetch,) = pubmed.requests("efetch")
    assert fetch.params["id"].split(",") == ADDED  # only what was never fetched
    assert report.outcomes[0].dropped == len(DROPPED)
    # The old query's papers stay stored, marked as no longer matched by this search.
    assert set(polled.all_pmids()) == DEFAULT_HITS | set(ADDED)
    assert set(polled.unmatched_hits("mild")) == DROPPED
    # … and a surgeon does not get them any more, not even for the first time.
    after = {c.article.pmid for c in polled.undelivered(subscriber)}
    assert after == (before - DROPPED) and before & DROPPED
    # A later poll, or the old query coming back, changes the marks accordingly.
    assert poll(polled, client, now=NOW).outcomes[0].dropped == 0
    save_search(polled, client, "mild", MILD_QUERY, author="ann", reason="back")
    poll(polled, client, now=NOW)
    assert set(polled.unmatched_hits("mild")) == set(ADDED)
    assert {c.article.pmid for c in polled.undelivered(subscriber)} == before


def test_searches_go_to_a_toml_file_and_come_back(
    tmp_path: Path, polled: Store, client: EntrezClient
) -> None:
    polled.add_search(
        "mci-noise", '"mild cognitive impairment"[tiab]', 'Noise the "mild" search must skip',
        author="bo", reason="to watch the noise", enabled=False,
    )  # fmt: skip
    text = dump_searches(polled.searches(), exported_at="2026-12-01")
    assert tomllib.loads(text)["searches"][0]["query"] == '"mild cognitive impairment"[tiab]'
    path = tmp_path / "searches.toml"
    path.write_text(text, encoding="utf-8")
    # Into a fresh database: the same searches, each with a first revision saying where from.
    with Store.open(tmp_path / "fresh.db") as fresh:
        specs = read_searches(path)
        changes = plan_import(fresh, client, load_profile(), specs)
        assert [c.kind for c in changes] == ["new", "new"]
        for change in changes:
            apply_change(fresh, change, author="cy", reason="imported from searches.toml")
        copied = [(s.name, s.query, s.description, s.enabled) for s in fresh.searches()]
        assert copied == [(s.name, s.query, s.description, s.enabled) for s in polled.searches()]
        assert [(r.author, r.reason) for r in fresh.search_history("mild")] == [
            ("cy", "imported from searches.toml")
        ]
    # Back into the database it came from, after a change: only the changed search differs.
    save_search(polled, client, "mild", NEW_QUERY, author="ann", reason="narrower")
    changes = plan_import(polled, client, load_profile(), read_searches(path))
    assert [c.kind for c in changes] == ["same", "query"]
    assert sorted(pmids(changes[1].diff.added)) == sorted(DROPPED)  # type: ignore[union-attr]
    apply_change(polled, changes[1], author="cy", reason="restored from version control")
    history = polled.search_history("mild")
    assert [(r.query, r.author, r.reason) for r in history][-1] == (
        MILD_QUERY, "cy", "restored from version control"
    )  # fmt: skip
    assert polled.poll_state(polled.search("mild").id).watermark is None  # type: ignore[union-attr]


def test_an_import_with_a_bad_query_changes_nothing(
    tmp_path: Path, polled: Store, client: EntrezClient
) -> None:
    good = "[[searches]]\nname = 'other'\nquery = 'stenosis[tiab]'\n"
    cases = {
        "syntax.toml": good + "[[searches]]\nname = 'mild'\nquery = '(stenosis[tiab]'\n",
        "pubmed.toml": good + "[[searches]]\nname = 'mild'\nquery = 'zzqxv[tiab] AND mild'\n",
        "twice.toml": good + good,
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(MildwatchError) as caught:
            specs = read_searches(tmp_path / name)
            plan_import(polled, client, load_profile(), specs)
        assert "\n" not in str(caught.value)
        assert [s.name for s in polled.searches()] == ["mild"]
        assert polled.search("mild").query == MILD_QUERY  # type: ignore[union-attr]


# --- the same through the command line -------------------------------------------------------


def run(config: Path, *args: str, input: str | None = None) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=input)


@pytest.fixture
def workdir(tmp_path: Path, pubmed: LocalPubMed) -> Path:
    config = tmp_path / "mildwatch.toml"
    assert run(config, "init", "--email", "lib@example.org").exit_code == 0  # type: ignore[attr-defined]
    config.write_text(
        config.read_text().replace(
            'base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"',
            f'base_url = "{pubmed.base_url}"',
        )
    )
    assert run(config, "poll").exit_code == 0  # type: ignore[attr-defined]
    return config


def test_edit_shows_the_diff_and_saves_only_when_told(workdir: Path) -> None:
    declined = run(workdir, "searches", "edit", "mild-outcomes", "--query", NEW_QUERY,
                   "--reason", "narrower", input="n\n")  # fmt: skip
    assert declined.exit_code == 1  # type: ignore[attr-defined]
    out = declined.output  # type: ignore[attr-defined]
    assert "+ 1 added (1 not relevant)" in out and f"- {len(DROPPED)} dropped" in out
    assert "+ 99000014" in out and "- 99000043" in out and "Not saved; nothing changed." in out
    with Store.open(workdir.parent / "mildwatch.db") as store:
        assert len(store.search_history("mild-outcomes")) == 1
    accepted = run(workdir, "searches", "edit", "mild-outcomes", "--query", NEW_QUERY,
                   "--reason", "narrower", input="y\n")  # fmt: skip
    assert accepted.exit_code == 0 and "Updated 'mild-outcomes'" in accepted.output  # type: ignore[attr-defined]


def test_export_import_and_bad_paths_on_the_command_line(workdir: Path, tmp_path: Path) -> None:
    exported = tmp_path / "queries.toml"
    assert run(workdir, "searches", "export", str(exported)).exit_code == 0  # type: ignore[attr-defined]
    result = run(workdir, "searches", "import", str(exported))
    assert result.exit_code == 0 and "mild-outcomes: unchanged" in result.output  # type: ignore[attr-defined]
    for args in (("export", str(tmp_path / "missing" / "q.toml")),
                 ("import", str(tmp_path / "missing.toml"))):  # fmt: skip
        failed = run(workdir, "searches", *args)
        assert failed.exit_code != 0  # type: ignore[attr-defined]
        assert failed.output.count("\n") == 1 and "Traceback" not in failed.output  # type: ignore[attr-defined]
    diff = run(workdir, "searches", "diff", "mild-outcomes", "--query", "(stenosis")
    assert diff.exit_code == 1 and diff.output.startswith("Error: unbalanced")  # type: ignore[attr-defined]


def test_ids_past_the_esearch_cap_come_from_the_history_server() -> None:
    with LocalPubMed(SAMPLE_DIR, esearch_cap=10) as small:
        client = client_for(small)
        result, ids = all_ids(client, MILD_QUERY)
        (page,) = small.requests("efetch")
    assert result.count == 41 and len(result.ids) == 10
    assert sorted(ids) == sorted(DEFAULT_HITS) and len(ids) == 41
    assert (page.params["rettype"], page.params["retstart"]) == ("uilist", "10")


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ("name = 'mild'\nquery = '(stenosis[tiab]'\n", ":6: [[searches]] entry 2: unbalanced '('"),
        ("name = 'Mild Outcomes'\nquery = 'x'\n", ":5: [[searches]] entry 2: search name"),
        ("name = 'mild'\n", ":4: [[searches]] entry 2 needs a name and a query"),
        ("name = 'mild'\nquery = 'x'\nenabeld = false\n", ":7: [[searches]] entry 2 has unknown"),
        ("name = 'mild'\nquery = = 'x'\n", ":6: invalid TOML"),
    ],
)
def test_a_bad_searches_file_names_the_line(tmp_path: Path, second: str, expected: str) -> None:
    path = tmp_path / "searches.toml"
    good = "[[searches]]\nname = 'other'\nquery = 'stenosis[tiab]'\n"
    path.write_text(good + "[[searches]]\n" + second, encoding="utf-8")
    with pytest.raises(MildwatchError) as caught:
        read_searches(path)
    assert str(caught.value).startswith(f"{path}{expected}")
