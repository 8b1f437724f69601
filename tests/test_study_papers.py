"""The stored study groups are written from each paper's compact data (``Store.study_papers``,
``group_papers``), not from every record whole: on the bundled sample, generated records and
trials reported several times, with librarians' decisions, they come out exactly as
``group_studies`` makes them from the full records."""

from __future__ import annotations

import pytest

from tests.factories import xml
from tests.study_factories import reported_studies
from watcher.evidence import load_profile
from watcher.fileimport import import_files
from watcher.localpubmed import SAMPLE_DIR
from watcher.localpubmed.synthetic import generate_articles
from watcher.localpubmed.synthetic_xml import document
from watcher.regroup import current_studies, regroup
from watcher.store import Store
from watcher.studylinks import counts_as_evidence
from watcher.studypapers import paper_from
from watcher.studyrecords import Decision

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
    compact = {p.pmid: p for p in store.study_papers(keep=counts_as_evidence)}
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
