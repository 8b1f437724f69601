"""Tags are stored with their versions; reclassify re-tags stale ones and logs changes."""

import dataclasses
import json
from pathlib import Path

import pytest

from watcher.evidence import CLASSIFIER_VERSION, classify, load_profile
from watcher.localpubmed import SAMPLE_DIR
from watcher.pubmed import read_records
from watcher.store import ArticleFilter, Store
from watcher.tagging import reclassify, tag_articles

SAMPLE = SAMPLE_DIR


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "m.db") as opened:
        articles = [a for p in sorted(SAMPLE.glob("*.xml"))[:12] for a in read_records(p)]
        with opened.transaction():
            opened.save_articles(articles, run_id=None, now="2026-01-01T00:00:00+00:00")
            tag_articles(opened, articles, None, load_profile())
        yield opened


def test_evidence_round_trips_through_the_store(store: Store) -> None:
    article = store.article("99000001")
    assert store.evidence("99000001") == classify(article, load_profile())
    assert store.needs_classification(CLASSIFIER_VERSION, load_profile().version) == []


def test_articles_can_be_filtered_by_their_tags(store: Store) -> None:
    rcts = store.list_articles(ArticleFilter(design="rct"))
    assert rcts and all(r.design == "rct" and r.level == "I" for r in rcts)
    long = store.list_articles(ArticleFilter(min_followup=24))
    assert long and all(r.followup_months >= 24 for r in long)
    safety = store.list_articles(ArticleFilter(question="safety"))
    assert safety and all("safety" in r.questions for r in safety)


def test_reclassify_retags_stale_rows_and_records_what_changed(store: Store) -> None:
    stale = dataclasses.replace(
        store.evidence("99000001"), classifier_version="2020.1.0", design="case_report"
    )
    with store.transaction():
        store.save_evidence(stale, run_id=None, now="2026-01-02T00:00:00+00:00")
    store.db.execute("DELETE FROM evidence_changes")  # only the reclassify's changes below

    report = reclassify(store, load_profile())
    assert report.classified == 1
    (change,) = report.changed
    assert change["pmid"] == "99000001"
    assert change["changes"]["design"] == ["case_report", "prospective_cohort"]
    assert change["old_version"] == "2020.1.0" and change["new_version"] == CLASSIFIER_VERSION
    (run,) = store.recent_runs(kind="reclassify")
    assert run.counts == {"classified": 1, "changed": 1}
    # Nothing stale any more: a second run does nothing.
    assert reclassify(store, load_profile()).classified == 0


def test_reclassify_everything_changes_nothing_when_nothing_changed(store: Store) -> None:
    report = reclassify(store, load_profile(), everything=True)
    assert report.classified == 12 and report.changed == []
    row = store.db.execute("SELECT data FROM evidence WHERE pmid = '99000001'").fetchone()
    assert json.loads(row[0])["classifier_version"] == CLASSIFIER_VERSION
