"""The stored study groups are written from each paper's compact data (``Store.study_papers``,
``group_papers``), not from every record whole: on the bundled sample, generated records and
trials reported several times, with librarians' decisions, they come out exactly as
``group_studies`` makes them from the full records."""

from __future__ import annotations

from dataclasses import replace

import pytest

from digests.landscape import evidence_studies
from tests.factories import xml
from tests.study_factories import reported_studies
from watcher.evidence import classify, load_profile
from watcher.fileimport import import_files
from watcher.localpubmed import SAMPLE_DIR
from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.pubmed import parse_pubmed_xml
from watcher.regroup import current_studies, regroup
from watcher.store import Store
from watcher.studylinks import counts_as_evidence
from watcher.studypapers import paper_from
from watcher.studyrecords import Decision
from watcher.tagging import tag_articles

NOW = "2026-03-01T08:00:00+00:00"


def figures(study) -> tuple:
    """Everything the stored groups keep of a study, and what digests rank it by."""
    longest = study.longest
    return (
        study.key, study.pmids, tuple(r.kind for r in study.reports), study.status,
        study.design, study.level, study.main.pmid, study.sample_size,
        longest.pmid if longest else None, study.followup_months, study.names,
        study.registrations, study.links, study.question_keys, study.strength,
    )  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("papers")
    generated = folder / "generated.xml"
    generated.write_text(document(generate_articles(600, seed=11)), encoding="utf-8")
    several = folder / "several.xml"
    several.write_text(xml(reported_studies(99006000)), encoding="utf-8")
    with Store.open(folder / "mildwatch.db") as opened:
        paths = [*sorted(SAMPLE_DIR.glob("*.xml")), generated, several]
        import_files(opened, paths, load_profile())
        with opened.transaction():
            opened.add_study_decision(
                Decision("merge", ("99006021", "99006022"), author="ann"), now=NOW
            )
            opened.add_study_decision(
                Decision("split", ("99006012",), ("99006011",), author="bo"), now=NOW
            )
        yield opened


def test_each_paper_reads_the_same_from_its_columns_as_from_its_record(store: Store) -> None:
    full = {a.pmid: paper_from(a, e) for a, e in store.classified() if counts_as_evidence(a)}
    compact = {p.pmid: p for p in store.study_papers()}
    assert len(full) > 300
    assert compact == full


def test_groups_from_compact_papers_equal_groups_from_whole_records(store: Store) -> None:
    stored = regroup(store, now=NOW)
    whole = current_studies(store)
    assert [figures(s) for s in stored] == [figures(s) for s in whole]
    assert store.study_groups() == {s.key: list(s.pmids) for s in whole}
    kinds = {link.kind for s in whole for link in s.links}
    assert kinds == {"librarian", "registry", "name", "probable"}  # every path is exercised
    assert sum(len(s.reports) > 1 for s in whole) >= 4


def test_a_digest_run_groups_from_stored_facts_as_from_whole_records(store: Store) -> None:
    """A digest run groups every paper it shows or counts (``digests.shared``): from a paper's
    stored facts where it has them, from its record where not; the same studies either way."""
    pairs, decisions = store.classified(), store.study_decisions()
    stored = {paper.pmid: paper for paper in store.study_papers()}
    some = dict(list(stored.items())[::2])
    whole = [figures(s) for s in evidence_studies(pairs, decisions)]
    assert len(stored) > 300 and len(whole) > 300
    for given in (stored, some):
        assert [figures(s) for s in evidence_studies(pairs, decisions, given)] == whole


def test_papers_without_stored_facts_are_read_from_their_records_at_a_regroup(
    store: Store,
) -> None:
    """A database from before facts were kept has none; a paper tagged with a secondary design
    has no clues. A regroup reads what is missing from the records, and groups as before."""
    before = [figures(s) for s in regroup(store, now=NOW)]
    rows = store.db.execute("SELECT COUNT(*) FROM study_clues").fetchone()[0]
    with_clues = store.db.execute(
        "SELECT pmid FROM study_clues WHERE clues IS NOT NULL ORDER BY pmid LIMIT 40"
    ).fetchall()
    store.db.execute("DELETE FROM study_clues WHERE pmid > '99000020'")
    store.db.execute(
        f"UPDATE study_clues SET clues = NULL WHERE pmid IN ({','.join('?' * len(with_clues))})",
        [pmid for (pmid,) in with_clues],
    )
    assert len(list(store.papers_lacking_facts())) > 300
    assert [figures(s) for s in regroup(store, now=NOW)] == before
    assert store.db.execute("SELECT COUNT(*) FROM study_clues").fetchone()[0] == rows
    assert list(store.papers_lacking_facts()) == []


def test_a_changed_record_loses_its_facts_until_it_is_tagged_again(tmp_path) -> None:
    profile = load_profile()
    records = parse_pubmed_xml(xml(reported_studies(99007000)).encode())
    article = next(
        a for a in records if a.trial_registrations and classify(a, profile).relevance == "relevant"
    )
    with Store.open(tmp_path / "mildwatch.db") as opened:
        with opened.transaction():
            opened.save_articles([article], run_id=None, now=NOW)
            tag_articles(opened, [article], None, profile)
        assert opened.db.execute("SELECT clues FROM study_clues").fetchone()[0] is not None
        changed = replace(article, title="[SYNTHETIC] A renamed report.")
        with opened.transaction():
            opened.save_articles([changed], run_id=None, now=NOW)
        assert opened.db.execute("SELECT COUNT(*) FROM study_clues").fetchone()[0] == 0
        with opened.transaction():
            tag_articles(opened, [changed], None, profile)
        assert [p.pmid for p in opened.study_papers()] == [article.pmid]
