"""`mildwatch import`: records from files saved from PubMed, stored and tagged a batch at a time.

Two passes over the files, each in little memory (:func:`~watcher.pubmed.files.read_batches`):
the first only reads them, so a bad file stores nothing; the second stores and tags each batch
in its own transaction. A crash part-way leaves the committed batches; importing the same
files again stores nothing twice (articles are keyed by PMID, an unchanged one is only seen
again). The study groups are recomputed once, at the end (``regroup``), from each relevant
paper's compact data (:class:`~watcher.studypapers.Paper`), not from the whole records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watcher.clock import iso, utc_now
from watcher.collector import held_batches
from watcher.evidence import Profile
from watcher.pubmed.files import read_batches
from watcher.regroup import regroup
from watcher.store import Store
from watcher.tagging import tag_articles

EVENT_KINDS = ("new", "updated", "retracted")


@dataclass(frozen=True)
class ImportReport:
    records: int
    counts: dict[str, int]


def check_files(paths: Sequence[Path]) -> int:
    """Read every file through once (nothing kept): the number of records, or the
    :class:`~watcher.errors.ParseError` of the first bad file."""
    return sum(len(batch) for path in paths for batch in read_batches(path))


def import_files(
    store: Store,
    paths: Sequence[Path],
    profile: Profile,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Check the files, then store and tag their records a batch at a time (one run)."""
    total = check_files(paths)
    now = iso(utc_now())
    with store.transaction():
        run_id = store.start_run("import", now=now)
    counts: Counter[str] = Counter()
    done = 0
    try:
        for path in paths:
            for batch in held_batches(read_batches(path)):
                with store.transaction():
                    events = store.save_articles(batch, run_id=run_id, now=now)
                    tag_articles(store, batch, run_id, profile)
                counts.update(event.kind for event in events)
                done += len(batch)
                if progress:
                    progress("store", done, total)
        report = ImportReport(done, {kind: counts[kind] for kind in EVENT_KINDS})
        with store.transaction():
            regroup(store, now=now)
            store.finish_run(run_id, status="ok", counts=report.counts, error=None, now=now)
    except BaseException as exc:
        store.abandon_run(run_id, exc, now=iso(utc_now()))
        raise
    return report
