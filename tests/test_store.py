import dataclasses
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from watcher.errors import StoreError
from watcher.records import AbstractSection, Article, Correction, DataBankEntry, Grant
from watcher.store import Store


def article(pmid: str = "99000001", **changes: object) -> Article:
    base = Article(
        pmid=pmid,
        title="[SYNTHETIC] Percutaneous image-guided lumbar decompression: <i>2-year</i> outcomes",
        abstract=(
            AbstractSection("METHODS", "Seventy-five patients were followed for 24 months."),
            AbstractSection("RESULTS", "ODI improved (p&lt;0.01)."),
        ),
        authors=("Müller A", "Ødegård B"),
        journal="Synthetic Journal of Spine Interventions",
        journal_abbrev="Synth J Spine Interv",
        pub_date="2019-01",
        pub_year=2019,
        pub_date_text="2019 Jan-Feb",
        entrez_date="2019-01-05",
        doi="10.99999/synthetic.1",
        pmcid="PMC9900001",
        publication_types=("Journal Article",),
        mesh_terms=("Spinal Stenosis",),
        languages=("eng",),
        raw="<PubmedArticle>...</PubmedArticle>",
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "m.db") as opened:
        yield opened


def test_open_applies_migrations_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store.open(path) as store:
        assert store.pending_migrations() == []
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        applied = [r[0] for r in store.db.execute("SELECT name FROM _sqlite_migrations")]
        assert applied[:2] == ["0001_watcher_tables", "0002_evidence_tables"]
    with Store.open(path) as again:  # re-opening is a no-op
        count = again.db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
        assert count == len(applied)


def test_shipped_migrations_keep_their_names(store: Store) -> None:
    """Databases in the field record these names: renaming one would run it again."""
    rows = store.db.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")
    assert [r[0] for r in rows][:4] == [
        "0001_watcher_tables",
        "0002_evidence_tables",
        "0003_scheduler_tables",
        "0004_digest_tables",
    ]


def test_unopenable_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"folder .* does not exist"):
        Store.open(tmp_path / "missing" / "m.db")
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(garbage)
    assert garbage.read_bytes() == b"this is not a database" * 100


def test_articles_round_trip_exactly(store: Store) -> None:
    a = article(corrections=(Correction("ErratumIn", "Synth J. 2020;1:2", "99000050"),))
    with store.transaction():
        events = store.save_articles([a], run_id=None, now="2026-01-01T00:00:00+00:00")
    assert [e.kind for e in events] == ["new"]
    assert store.article(a.pmid) == a
    assert store.article(a.pmid).raw == a.raw


def test_citation_fields_round_trip(store: Store) -> None:
    a = article(
        volume="19",
        issue="3",
        pages="E431-E442",
        databanks=(DataBankEntry("ClinicalTrials.gov", "NCT99000011"),),
        coi_statement="The authors declare no conflicts of interest.",
        grants=(Grant("Example Foundation", "EF-1", "EF", "Sweden"),),
    )
    with store.transaction():
        store.save_articles([a], run_id=None, now="2026-01-01T00:00:00+00:00")
    assert store.article(a.pmid) == a


def test_fields_added_later_leave_old_hashes_alone() -> None:
    """A record with none of the later fields hashes as it did before they existed, so the
    upgrade does not turn every stored record into an "updated" one."""
    a = article()
    data = dataclasses.asdict(a)
    for name in ("raw", "source_format", "volume", "issue", "pages", "databanks",
                 "coi_statement", "grants"):  # fmt: skip
        data.pop(name)
    before = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode())
    assert a.content_hash() == before.hexdigest()
    assert article(pages="1-9").content_hash() != a.content_hash()


def test_unchanged_record_makes_no_event_changed_one_does(store: Store) -> None:
    a = article()
    with store.transaction():
        store.save_articles([a], run_id=None, now="2026-01-01T00:00:00+00:00")
        assert store.save_articles([a], run_id=None, now="2026-01-02T00:00:00+00:00") == []
        changed = dataclasses.replace(a, title=a.title + " (corrected)", raw="<new/>")
        events = store.save_articles([changed], run_id=None, now="2026-01-03T00:00:00+00:00")
    assert [(e.kind, e.detail) for e in events] == [("updated", "title")]
    row = store.db.execute("SELECT first_seen, last_seen FROM articles").fetchone()
    assert row == ("2026-01-01T00:00:00+00:00", "2026-01-03T00:00:00+00:00")


def test_retraction_and_erratum_become_their_own_events(store: Store) -> None:
    a = article()
    retracted = dataclasses.replace(
        a,
        retracted=True,
        publication_types=("Journal Article", "Retracted Publication"),
        corrections=(
            Correction("RetractionIn", "Synth J. 2026;3:4", "99000099"),
            Correction("ErratumIn", "Synth J. 2025;2:1", None),
        ),
    )
    with store.transaction():
        store.save_articles([a], run_id=None, now="2026-01-01T00:00:00+00:00")
        events = store.save_articles([retracted], run_id=None, now="2026-02-01T00:00:00+00:00")
    assert sorted((e.kind, e.detail) for e in events) == [
        ("erratum", "Synth J. 2025;2:1"),
        ("retracted", "Synth J. 2026;3:4"),
    ]
    assert [e.kind for e in store.events(kinds=["retracted"])] == ["retracted"]


def test_transaction_rolls_back_everything_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.save_articles([article()], run_id=None, now="2026-01-01T00:00:00+00:00")
        raise RuntimeError("crash mid-way")
    assert store.count_articles() == 0
    assert store.events() == []


def test_known_pmids_handles_more_ids_than_sqlite_parameters(store: Store) -> None:
    articles = [article(str(99000000 + i)) for i in range(1, 1201)]
    with store.transaction():
        store.save_articles(articles, run_id=None, now="2026-01-01T00:00:00+00:00")
    asked = [a.pmid for a in articles] + ["1", "2"]
    assert store.known_pmids(asked) == {a.pmid for a in articles}


def test_search_revisions_keep_every_change(store: Store) -> None:
    store.add_search("mild", "mild[tiab]", "first", author="lib", reason="initial")
    store.update_search("mild", query='"mild procedure"[tiab]', author="lib2", reason="narrower")
    store.update_search("mild", enabled=False, author="lib2", reason="pause")
    history = store.search_history("mild")
    assert [(h.revision, h.query, h.enabled, h.author) for h in history] == [
        (1, "mild[tiab]", True, "lib"),
        (2, '"mild procedure"[tiab]', True, "lib2"),
        (3, '"mild procedure"[tiab]', False, "lib2"),
    ]
    assert store.searches(enabled_only=True) == []
    with pytest.raises(StoreError, match="already exists"):
        store.add_search("mild", "x", author="lib", reason="dup")
    with pytest.raises(StoreError, match="no saved search named 'nope'"):
        store.update_search("nope", query="x", author="lib", reason="r")


def test_poll_state_failure_keeps_watermark(store: Store) -> None:
    search = store.add_search("mild", "mild[tiab]", author="lib", reason="initial")
    with store.transaction():
        store.record_poll_success(
            search.id,
            watermark="2026/01/10",
            count=5,
            translation="t",
            now="2026-01-10T06:00:00+00:00",
        )
        store.record_poll_failure(search.id, error="HTTP 500", now="2026-01-11T06:00:00+00:00")
        state = store.record_poll_failure(
            search.id, error="HTTP 500", now="2026-01-12T06:00:00+00:00"
        )
    assert state.watermark == "2026/01/10"
    assert state.consecutive_failures == 2
    assert state.last_error == "HTTP 500"


def test_hits_need_a_stored_article(store: Store) -> None:
    search = store.add_search("mild", "mild[tiab]", author="lib", reason="initial")
    with pytest.raises(sqlite3.IntegrityError), store.db.atomic():
        store.record_hits(search.id, ["12345"], now="2026-01-01T00:00:00+00:00")


def test_interrupted_runs_are_marked(store: Store) -> None:
    """A run whose process died (here: a child that started a run and exited) is
    interrupted; a run of this very process is not."""
    code = (
        "import sys; from watcher.store import Store\n"
        "s = Store.open(sys.argv[1]); print(s.start_run('poll', now='2026-01-01T00:00:00+00:00'))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, str(store.path)], capture_output=True, text=True, check=True
    )
    run_id = int(child.stdout)
    assert store.recent_runs()[0].status == "interrupted"  # reads true at once
    mine = store.start_run("reclassify", now="2026-01-01T00:00:01+00:00")
    assert store.mark_interrupted_runs(now="2026-01-02T00:00:00+00:00") == 1
    store.finish_run(mine, status="ok", counts={}, error=None, now="2026-01-02T00:00:00+00:00")
    run = next(r for r in store.recent_runs() if r.id == run_id)
    assert (run.id, run.status) == (run_id, "interrupted")
